"""How much sleep an age needs, said of that age: a figure in a clause that says how much sleep someone of
an age or life stage needs ("a 10-year-old needs 9-12 hours", "青少年需要睡8-10小时") must lie within that
age's recommended range in the norms table. "A 10-year-old needs 6 hours" is refused although 6 h is a
norm (of chronic short sleep in adults): true of something else.

A clause is read only when it names an age or a life stage, a need ("needs", "should get", "需要") and sleep,
and no nap (a nap's length is not the day's need); a child or a baby of no stated age may be any of the ages
the word covers.
"""

from __future__ import annotations

from sleepcot.analysis.norms import NORMS
from sleepcot.coach.guard.claims import CLAUSE_BREAK
from sleepcot.coach.guard.figures import numbers_in_digits, read_figures
from sleepcot.coach.guard.sentences import compile_any, sentences
from sleepcot.units import SECONDS_PER

# The age bands of the norms table: the ages (years, both ends included) each covers; a 1-year-old or an
# 18-year-old is of two
_BAND_AGES = (("newborn", 0, 0.25), ("infant", 0.33, 1), ("toddler", 1, 2.99), ("preschool", 3, 5.99),
              ("school", 6, 12.99), ("teen", 13, 18.99), ("adult", 18, 64.99), ("older", 65, 200))
_GROUPS = (  # (words for people of an age, the bands they may be); the first that matches a clause counts
    (compile_any(r"\bnewborns?\b", "新生儿"), ("newborn",)),
    (compile_any(r"\b(?:bab(?:y|ies)|infants?)\b", "婴儿|宝宝"), ("newborn", "infant")),
    (compile_any(r"\btoddlers?\b", "幼儿"), ("toddler",)),
    (compile_any(r"\bpre-?school(?:ers?)?\b", "学龄前"), ("preschool",)),
    (compile_any(r"\b(?:school[-\s]?age[d]?|grade[-\s]?school(?:ers?)?|primary[-\s]school|elementary[-\s]school)\b",
                 "小学生|学龄儿童"), ("school",)),
    (compile_any(r"\b(?:teen(?:ager)?s?|adolescents?|high[-\s]?school(?:ers?)?)\b", "青少年|中学生|高中生|初中生"), ("teen",)),
    (compile_any(r"\b(?:kids?|child(?:ren)?)\b", "儿童|孩子|小孩"), ("toddler", "preschool", "school")),
    (compile_any(r"\b(?:older\s+(?:adults?|people)|seniors?|elderly|retirees?|over\s+65)\b", "老年人|老人"), ("older",)),
    (compile_any(r"\badults?\b", "成年人|成人"), ("adult",)),
)
_TO = r"\s*(?:-|–|to|到|至)\s*"
# an age ("a 10-year-old", "aged 13-18", "children of 6 to 12 years", "10岁", "6个月大的宝宝"); a lone "3 months"
# or "3个月" is more often how long something lasts
_AGE_YEARS = compile_any(rf"(\d+){_TO}(\d+)\s*(?:years?|yrs?)\b(?!\s+ago)|(\d+)[-\s]?(?:years?|yrs?)[-\s]?olds?\b|"
                         rf"\b(\d+)\s*(?:yo|y/o)\b|\baged?\s+(\d+)(?:{_TO}(\d+))?", rf"(\d+)(?:{_TO}(\d+))?\s*岁")
_AGE_MONTHS = compile_any(rf"(\d+)(?:{_TO}(\d+))?[-\s]?months?[-\s]?olds?\b|(\d+){_TO}(\d+)\s*months?\b",
                          rf"(\d+)(?:{_TO}(\d+))?\s*个月(?=大|的(?:宝宝|婴儿|孩子|小孩))")
_AGE_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
              "seventeen eighteen").split()
_AGE_IN_WORDS = compile_any(rf"\b({'|'.join(_AGE_WORDS)})[-\s](?:years?|yrs?)[-\s]olds?\b")
_NEED = compile_any(r"\b(?:needs?|should\s+(?:get|sleep|have|aim\s+for)|requires?|recommended|aim\s+for)\b",
                    "需要|应该睡|应睡|建议|推荐|才够|就够")
# a need said with its figure straight after it is a need of sleep even where the clause says no "sleep"
_NEED_OF = compile_any(r"\b(?:needs?|requires?|should\s+get)\s+(?:about\s+|around\s+|roughly\s+|at\s+least\s+|only\s+|"
                       r"just\s+)?\d", r"需要(?:大约|至少|只|睡)?\d")
# a figure that is a period ("per 24 hours", "每24小时") or something other than sleep ("150 minutes of exercise")
_PER_BEFORE = compile_any(r"\b(?:per|every|each|in|within|a|an|out\s+of)\s+(?:the\s+|a\s+|every\s+)?$", "每$")
_OTHER_AFTER = compile_any(r"^\s+of\s+(?!sleep|shut)\w", "^的(?!睡眠)")
_SLEEP = compile_any(r"\bsleep", "睡")
_NAP = compile_any(r"\bnap", "午睡|小睡|打盹")


def _ages(clause: str) -> list[tuple[float, float]]:
    """The ages (years) a clause names, each as a span: "a 10-year-old", "aged 13-18", "4至12个月"."""
    out = []
    for pattern, per_year in ((_AGE_YEARS, 1), (_AGE_MONTHS, 12)):
        for m in pattern.finditer(clause):
            numbers = [float(g) / per_year for g in m.groups() if g]
            out.append((numbers[0], numbers[-1]))
    out += [((age := _AGE_WORDS.index(m.group(1).lower()) + 1), age) for m in _AGE_IN_WORDS.finditer(clause)]
    return out


def _bands(clause: str) -> tuple[str, ...]:
    """The norms' age bands a clause speaks of: those its ages fall in, else the first group of people it names."""
    if ages := _ages(clause):
        return tuple(band for band, first, last in _BAND_AGES if any(lo <= last and hi >= first for lo, hi in ages))
    return next((bands for words, bands in _GROUPS if words.search(clause)), ())


def misstated_needs(text: str) -> list[str]:
    """The figures said as the sleep an age needs that lie outside that age's recommended range."""
    out = []
    for sentence in sentences(numbers_in_digits(text)):
        for clause in CLAUSE_BREAK.split(sentence):
            if not (_NEED.search(clause) and (_SLEEP.search(clause) or _NEED_OF.search(clause))) or _NAP.search(clause):
                continue
            bands = _bands(clause)
            if not bands:
                continue
            low = min(NORMS[f"sleep_min_{band}_h"].value for band in bands)
            high = max(NORMS[f"sleep_max_{band}_h"].value for band in bands)
            for mention in read_figures(clause):
                if (mention.unit not in SECONDS_PER or _PER_BEFORE.search(clause[:mention.start])
                        or _OTHER_AFTER.search(clause[mention.end:])):
                    continue
                hours, slack = (v * SECONDS_PER[mention.unit] / 3600 for v in (mention.value, mention.tolerance))
                if not low - slack <= hours <= high + slack:
                    out.append(f"{mention.text} (the sleep {'/'.join(bands)} need: {low:g}-{high:g} h)")
    return out
