"""The words the guard reads claims by, English and Chinese: what each metric is called (the subject of a
figure) and the cues that say what a figure is of it (its relation: a change from the baseline, a share of
the night, the baseline, a period's aggregate, a norm).

Both languages are always read together: a Chinese reply may carry English labels, and the other way round.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sleepcot.coach.guard.sentences import compile_words
from sleepcot.domain import Metric, Relation

M = Metric
# Each phrase names one or more metrics; the longest phrase wins where phrases overlap ("deep sleep" over
# "sleep", "heart rate variability" over "heart rate"). English phrases match whole words.
SUBJECTS: dict[str, tuple[Metric, ...]] = {
    # total sleep
    "total sleep": (M.TOTAL_SLEEP,), "sleep time": (M.TOTAL_SLEEP,), "time asleep": (M.TOTAL_SLEEP,),
    "sleep duration": (M.TOTAL_SLEEP,), "slept": (M.TOTAL_SLEEP,), "sleeping": (M.TOTAL_SLEEP,),
    "your sleep": (M.TOTAL_SLEEP,), "of sleep": (M.TOTAL_SLEEP,), "sleep was": (M.TOTAL_SLEEP,),
    "sleep lasted": (M.TOTAL_SLEEP,), "got": (M.TOTAL_SLEEP,), "asleep": (M.TOTAL_SLEEP,), "you sleep": (M.TOTAL_SLEEP,),
    "sleep at least": (M.TOTAL_SLEEP,), "sleep for": (M.TOTAL_SLEEP,), "to sleep": (M.TOTAL_SLEEP,),
    "average sleep": (M.TOTAL_SLEEP,), "nap": (M.TOTAL_SLEEP,), "naps": (M.TOTAL_SLEEP,), "nap time": (M.TOTAL_SLEEP,),
    "napped": (M.TOTAL_SLEEP,), "小睡": (M.TOTAL_SLEEP,), "午睡": (M.TOTAL_SLEEP,),
    "hours of sleep": (M.TOTAL_SLEEP,), "night's sleep": (M.TOTAL_SLEEP,), "longest night": (M.TOTAL_SLEEP,),
    "shortest night": (M.TOTAL_SLEEP,), "short night": (M.TOTAL_SLEEP,), "short sleep": (M.TOTAL_SLEEP,),
    "总睡眠": (M.TOTAL_SLEEP,), "睡眠时长": (M.TOTAL_SLEEP,), "睡眠时间": (M.TOTAL_SLEEP,), "睡了": (M.TOTAL_SLEEP,),
    "每晚睡": (M.TOTAL_SLEEP,), "睡够": (M.TOTAL_SLEEP,), "睡得最长": (M.TOTAL_SLEEP,),
    "最短的": (M.TOTAL_SLEEP,), "睡眠不足": (M.TOTAL_SLEEP,),
    # time in bed
    "time in bed": (M.TIME_IN_BED,), "in bed for": (M.TIME_IN_BED,), "卧床": (M.TIME_IN_BED,), "在床上": (M.TIME_IN_BED,),
    # stages
    "deep sleep": (M.DEEP,), "deep": (M.DEEP,), "slow-wave sleep": (M.DEEP,), "slow wave sleep": (M.DEEP,),
    "n3": (M.DEEP,), "深睡": (M.DEEP,), "深度睡眠": (M.DEEP,), "深睡眠": (M.DEEP,),
    "rem sleep": (M.REM,), "rem": (M.REM,), "dream sleep": (M.REM,), "快速眼动": (M.REM,), "快速眼动睡眠": (M.REM,),
    "light sleep": (M.LIGHT,), "浅睡": (M.LIGHT,), "浅度睡眠": (M.LIGHT,), "浅睡眠": (M.LIGHT,),
    # awake after sleep onset, and the number of awakenings
    "awake after falling asleep": (M.AWAKE,), "after falling asleep": (M.AWAKE,), "after first falling asleep": (M.AWAKE,),
    "after you fell asleep": (M.AWAKE,), "after you first fell asleep": (M.AWAKE,), "after sleep onset": (M.AWAKE,),
    "入睡后": (M.AWAKE,), "awake": (M.AWAKE,), "waso": (M.AWAKE,), "wake after sleep onset": (M.AWAKE,),
    "time awake": (M.AWAKE,), "awake time": (M.AWAKE,), "lay awake": (M.AWAKE,), "lying awake": (M.AWAKE,),
    "woke": (M.AWAKE, M.WAKE, M.AWAKENINGS), "woke up": (M.AWAKE, M.WAKE, M.AWAKENINGS),
    "waking": (M.AWAKE, M.WAKE, M.AWAKENINGS), "wake-ups": (M.AWAKENINGS,), "awakenings": (M.AWAKENINGS,),
    "清醒": (M.AWAKE,), "醒着": (M.AWAKE,), "夜醒": (M.AWAKE, M.AWAKENINGS), "醒来": (M.AWAKE, M.WAKE, M.AWAKENINGS),
    "醒了": (M.AWAKE, M.AWAKENINGS), "觉醒": (M.AWAKE, M.AWAKENINGS),
    # time to fall asleep
    "fall asleep": (M.LATENCY,), "fell asleep": (M.LATENCY,), "falling asleep": (M.LATENCY,),
    "to nod off": (M.LATENCY,), "sleep latency": (M.LATENCY,), "latency": (M.LATENCY,), "sleep onset": (M.LATENCY,),
    "slow onset": (M.LATENCY,), "入睡": (M.LATENCY,), "入睡用时": (M.LATENCY,), "才睡着": (M.LATENCY,),
    "睡着": (M.TOTAL_SLEEP, M.LATENCY),
    # efficiency
    "efficiency": (M.EFFICIENCY,), "sleep efficiency": (M.EFFICIENCY,), "efficient": (M.EFFICIENCY,),
    "of your time in bed": (M.EFFICIENCY,), "效率": (M.EFFICIENCY,), "睡眠效率": (M.EFFICIENCY,),
    # heart
    "hrv": (M.HRV,), "heart rate variability": (M.HRV,), "rmssd": (M.HRV,), "variability": (M.HRV, M.REGULARITY),
    "心率变异": (M.HRV,), "心率变异性": (M.HRV,),
    "heart rate": (M.HEART_RATE,), "resting heart rate": (M.HEART_RATE,), "lowest heart rate": (M.HEART_RATE,),
    "pulse": (M.HEART_RATE,), "heart": (M.HEART_RATE,), "hr": (M.HEART_RATE,), "rhr": (M.HEART_RATE,),
    "心率": (M.HEART_RATE,), "静息心率": (M.HEART_RATE,), "最低心率": (M.HEART_RATE,), "脉搏": (M.HEART_RATE,),
    # blood oxygen, breathing, temperature
    "spo2": (M.SPO2,), "oxygen": (M.SPO2,), "blood oxygen": (M.SPO2,), "saturation": (M.SPO2,), "o2": (M.SPO2,),
    "oxygen level": (M.SPO2,), "血氧": (M.SPO2,), "血氧饱和度": (M.SPO2,),
    "breathing rate": (M.BREATHING,), "respiratory rate": (M.BREATHING,), "breathing": (M.BREATHING,),
    "respiration": (M.BREATHING,), "breaths": (M.BREATHING,), "呼吸频率": (M.BREATHING,), "呼吸": (M.BREATHING,),
    "temperature": (M.TEMPERATURE,), "skin temperature": (M.TEMPERATURE,), "temp": (M.TEMPERATURE,),
    "体温": (M.TEMPERATURE,), "温度": (M.TEMPERATURE,), "皮肤温度": (M.TEMPERATURE,),
    # clock times
    "bedtime": (M.BEDTIME, M.REGULARITY), "bedtimes": (M.BEDTIME, M.REGULARITY), "bed time": (M.BEDTIME,),
    "went to bed": (M.BEDTIME,), "go to bed": (M.BEDTIME,), "to bed": (M.BEDTIME,), "lights out": (M.BEDTIME,),
    "turned in": (M.BEDTIME,), "上床": (M.BEDTIME, M.REGULARITY), "就寝": (M.BEDTIME,), "睡觉时间": (M.BEDTIME,),
    "wake time": (M.WAKE,), "wake-up time": (M.WAKE,), "wake up": (M.WAKE,), "got up": (M.WAKE,),
    "get up": (M.WAKE,), "起床": (M.WAKE,),
    # patterns across nights
    "sleep debt": (M.SLEEP_DEBT,), "debt": (M.SLEEP_DEBT,), "睡眠债": (M.SLEEP_DEBT,), "睡眠负债": (M.SLEEP_DEBT,),
    "varied by": (M.REGULARITY,), "varies by": (M.REGULARITY,), "vary by": (M.REGULARITY,),
    "standard deviation": (M.REGULARITY,), "regular": (M.REGULARITY,), "irregular": (M.REGULARITY,),
    "波动": (M.REGULARITY,), "标准差": (M.REGULARITY,), "规律": (M.REGULARITY,), "前后相差": (M.REGULARITY,),
    "mid-sleep": (M.MIDSLEEP,), "midsleep": (M.MIDSLEEP,), "social jetlag": (M.MIDSLEEP,), "centred": (M.MIDSLEEP,),
    "centered": (M.MIDSLEEP,), "社会时差": (M.MIDSLEEP,), "社交时差": (M.MIDSLEEP,), "睡眠中点": (M.MIDSLEEP,),
    # the profile's habits
    "caffeine": (M.CAFFEINE,), "caffeinated": (M.CAFFEINE,), "coffee": (M.CAFFEINE,), "coffees": (M.CAFFEINE,),
    "cups": (M.CAFFEINE,), "咖啡": (M.CAFFEINE,), "咖啡因": (M.CAFFEINE,),
    "alcohol": (M.ALCOHOL,), "alcoholic": (M.ALCOHOL,), "drinks": (M.ALCOHOL, M.CAFFEINE), "wine": (M.ALCOHOL,),
    "beer": (M.ALCOHOL,), "酒": (M.ALCOHOL,), "饮酒": (M.ALCOHOL,),
    "exercise": (M.EXERCISE,), "exercises": (M.EXERCISE,), "workout": (M.EXERCISE,), "workouts": (M.EXERCISE,),
    "运动": (M.EXERCISE,), "锻炼": (M.EXERCISE,),
    # what we hold no facts about: a figure said of one of these is not ours to say
    # a vendor's sleep score
    "score": (M.SCORE,), "sleep score": (M.SCORE,), "得分": (M.SCORE,), "睡眠得分": (M.SCORE,), "评分": (M.SCORE,),
    "睡眠评分": (M.SCORE,), "分数": (M.SCORE,),
    "readiness": (), "recovery score": (), "strain score": (), "stress level": (),
    "steps": (), "calories": (), "body battery": (), "weight": (), "blood pressure": (), "glucose": (),
    "blood sugar": (), "步数": (), "卡路里": (), "体重": (), "血压": (), "血糖": (),
}

# Subjects whose figures are always about a period of nights.
PERIOD_SUBJECTS = frozenset({M.REGULARITY, M.MIDSLEEP, M.SLEEP_DEBT})
# The unit kinds a metric's figures come in (a change may be said in percent of anything but a clock time).
_DURATION = frozenset({"duration", "%"})
_CLOCK = frozenset({"clock", "duration"})  # a clock time, or how far it moved ("22 min later")
UNIT_KINDS: dict[Metric, frozenset[str]] = {
    M.TOTAL_SLEEP: _DURATION, M.TIME_IN_BED: _DURATION, M.DEEP: _DURATION, M.REM: _DURATION,
    M.LIGHT: _DURATION, M.AWAKE: _DURATION, M.LATENCY: _DURATION, M.SLEEP_DEBT: _DURATION,
    M.REGULARITY: _DURATION, M.MIDSLEEP: _DURATION | _CLOCK,
    M.EFFICIENCY: frozenset({"%"}), M.SPO2: frozenset({"%"}), M.HRV: frozenset({"ms", "%"}),
    M.HEART_RATE: frozenset({"bpm", "%"}), M.BREATHING: frozenset({"breaths", "%"}),
    M.TEMPERATURE: frozenset({"°C"}), M.BEDTIME: _CLOCK, M.WAKE: _CLOCK,
    M.AWAKENINGS: frozenset({"count"}), M.NIGHTS: frozenset({"count"}), M.SCORE: frozenset({"count"}),
    M.CAFFEINE: frozenset({"count", "clock"}), M.ALCOHOL: frozenset({"count"}), M.EXERCISE: frozenset({"count"}),
}

# --- relation cues ----------------------------------------------------------------------------------------
# Right after a figure: the figure is a change, and which way ("37% under your usual", "28 min less deep sleep").
_DOWN = r"below|under|less|lower|shorter|fewer|down|beneath|drop|decrease|reduction|deficit|shortfall"
_UP = r"above|over(?!\s+(?:the\s+|a\s+|these\s+)?(?:last|past|night|week|month|period|course|\d))|more|higher|longer|greater|increase|rise|gain|jump|extra"
CHANGE_AFTER = re.compile(rf"^\s*(?:({_DOWN})|({_UP}))\b", re.I)
# Right before a figure: a change said as a verb or a noun ("dropped by", "a rise of", "比平时少了"); each cue's
# groups come in pairs, down then up.
CHANGE_BEFORE = compile_words(
    r"(?:\b(?:(dropped|fell|decreased|declined|down|lost|shrank|reduced|shortened|lower|less|shorter)|"
    r"(rose|increased|climbed|jumped|gained|grew|up|lengthened|higher|more|longer))\s+"
    r"(?:than\s+(?:\S+\s+){0,3}?)?by\s+|\b(?:(dropped|fell|dipped|sank|plunged|slid)|(rose|climbed|jumped|soared))\s+|"
    r"\b(?:(drop|fall|decrease|decline|reduction|deficit|shortfall)|(rise|increase|gain|jump))\s+of\s+|"
    r"\bdifference\s+of\s+|\bchanged?\s+by\s+|"
    r"(?:(?<![至最更很太])(少|低|减少|下降|降低|缩短|短|落后)|(?<![至最更很太好])(多|高|增加|上升|升高|延长|长))了?\s*|"
    r"\b(?:was|were|is|are|went)\s+(?:(down)|(up))\s+)"
    r"(?:about|around|roughly|nearly|almost|some|just|only|approximately|约|大约|将近|近)?\s*$",
)
# Where a change started: "fell to 54 min from 1 h 30 min", "dropped from 1 h 30 min to ...", "从1小时30分钟降到": a baseline.
_CHANGE_VERB = re.compile(r"\b(?:fell|dropped|dipped|slipped|sank|declined|decreased|shrank|rose|climbed|jumped|"
                          r"increased|grew|went\s+(?:up|down))\b", re.I)


def changed_from(before: str) -> bool:
    """Whether the words `before` a figure make it where a change started."""
    tail = before.rstrip()
    return tail.endswith("从") or (tail[-4:].lower() == "from" and bool(_CHANGE_VERB.search(tail)))


# A percent that is a share of the night ("12% of your sleep", "占总睡眠的12%").
SHARE_AFTER = re.compile(
    r"^\s*(?:of\s+(?:(?:your|the|total|all|last|that)\s+)*(?:night'?s?\s+)?(?:total\s+)?"
    r"(?:sleep(?:\s+time)?|night|time\s+asleep)\b|of\s+(?:it|that|this|them)\b|的睡眠)",
    re.I,
)
SHARE_BEFORE = re.compile(r"(?:\b(?:share|proportion|percentage|made\s+up|makes?\s+up|accounted\s+for|accounts?\s+for)"
                          r"\b(?:\s+\S+){0,3}\s*|\bof\s+(?:your\s+|the\s+|total\s+)*(?:night|sleep)\s*[(（]\s*|占(?:了|到)?(?:\S{0,6}?的)?\s*|(?:比例|占比|百分比)(?:是|为|有|只有)?\s*)$", re.I)
# Cues read in the words before a figure (within its phrase), nearest first.
BEFORE_CUES: tuple[tuple[re.Pattern, frozenset[Relation]], ...] = (
    (re.compile(r"\b(?:usual|usually|baseline|typical|typically|normally|normal|your\s+own|your\s+norm)\b|"
                r"平时|平常|通常|往常|基线|一般", re.I), frozenset({Relation.BASELINE})),
    (re.compile(r"\b(?:on\s+average|averaged?|averaging|mean|\d+-night)\b|平均", re.I),
     frozenset({Relation.BASELINE, Relation.AGGREGATE})),
    (re.compile(r"\b(?:longest|shortest|this\s+week|the\s+week|best|worst|lowest\s+of\s+the\s+week)\b|最长|最短|本周|这周|这一周",
                re.I), frozenset({Relation.AGGREGATE})),
    (re.compile(r"\b(?:recommended|recommends?|recommendation|need|needs|at\s+least|at\s+most|minimum|maximum|"
                r"guidelines?|target|aim\s+for|goal|threshold|limit|healthy|good[- ]quality|ideal|within|"
                r"adults|experts?|range)\b|推荐|建议|至少|最少|最多|标准|正常|健康|以内|界限|阈值|目标|需要", re.I),
     frozenset({Relation.NORM})),
)
# Advice for tonight may name a target (a norm) or one of the user's own figures ("your last coffee by 14:00").
ADVICE_CUE = (re.compile(r"\b(?:advice|advise|suggest|aim|try\s+to|plan)\b", re.I),
              frozenset({Relation.NORM, Relation.VALUE}))
AFTER_CUES: tuple[tuple[re.Pattern, frozenset[Relation]], ...] = (
    (re.compile(r"^\s*(?:[^\s,;.:，；。：]+\s+){0,3}?(?:is\s+|are\s+)?(?:recommended|needed|the\s+minimum|minimum|maximum|"
                r"or\s+(?:more|less|lower|higher|under|over|above|below)|adults?\s+need|is\s+(?:normal|healthy|ideal)|"
                r"threshold|limit)\b|^\s*(?:以上|以下|以内|或以上|或以下|或更多|或更少|为宜|的标准)", re.I),
     frozenset({Relation.NORM})),
    (re.compile(r"^\s*(?:[^\s,;.:，；。：]+\s+){0,2}?(?:on\s+average|a\s+night\s+on\s+average)\b", re.I),
     frozenset({Relation.AGGREGATE, Relation.BASELINE})),
    (re.compile(r"^\s*(?:\([^)]*\)\s*)?(?:over|in|during|across)\s+(?:the\s+)?(?:last|past)\b", re.I),
     frozenset({Relation.AGGREGATE, Relation.BASELINE})),
)
# Words right before a figure that make it a bound ("over 6 hours", "不到7小时"): +1 the value is above it.
BOUND_BEFORE = re.compile(
    r"(?:\b(?:(over|more\s+than|above|at\s+least|longer\s+than|beyond|upwards\s+of)|"
    r"(under|less\s+than|below|at\s+most|shorter\s+than|fewer\s+than|up\s+to|no\s+more\s+than))|"
    r"(超过|多于|高于|不少于|至少)|(不到|少于|低于|不足|最多|不超过))\s*(?:the\s+|about\s+|约)?\s*$",
    re.I,
)
# A figure that names a period ("over the last 7 nights", "最近7晚") counts nights, whatever the clause is about.
PERIOD_BEFORE = re.compile(r"(?:\b(?:last|past|previous|recent|of|out\s+of|over|these|those|the\s+other|all)\s+|"
                           r"最近|过去|近|其余|这|中有)\s*$", re.I)
NIGHT_AFTER = re.compile(r"[\s-]*nights?\b(?!\s+(?:of|in|out))|\s*的?(?:夜晚|晚上)", re.I)
VALUE_CUE = re.compile(r"\blast\s+night\b|昨晚|昨天晚上", re.I)


def _trie(words: list[str]) -> str:
    """One regular expression for many phrases, factored by common prefixes: Python's `re` tries a flat
    alternation of hundreds of phrases at every position, which made reading a reply's subjects the
    guard's slowest step. Longer phrases are tried before their prefixes, so the longest one wins."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [(re.escape(char) if char != " " else r"\s+") + pattern(child) for char, child in node.items() if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree)


def _phrase_pattern(phrases: list[str]) -> re.Pattern:
    latin = [p.lower() for p in phrases if not re.search(r"[\u3400-\u9fff]", p)]
    chinese = [p for p in phrases if re.search(r"[\u3400-\u9fff]", p)]
    return compile_words(rf"(?<![a-z0-9])(?:{_trie(latin)})(?![a-z0-9])", _trie(chinese))


SUBJECT_PATTERN = _phrase_pattern(list(SUBJECTS))
SUBJECT_OF = {phrase.lower(): metrics for phrase, metrics in SUBJECTS.items()}


@lru_cache(maxsize=1024)
def subjects_of(phrase: str) -> tuple[Metric, ...]:
    return SUBJECT_OF[re.sub(r"\s+", " ", phrase.lower())]


# A reply that says plainly why it cannot give a figure ("I can't see that in your data", "没有这段时间的数据").
CANNOT = re.compile(
    r"\bI\s+(?:don't|do\s+not|can't|cannot|can\s+not|am\s+not\s+able\s+to)\s+(?:have|see|find|tell|give|answer|know)\b|"
    r"\b(?:isn't|is\s+not|wasn't|was\s+not|weren't|were\s+not|not)\s+(?:recorded|measured|available|tracked|"
    r"in\s+(?:your|the)\s+data)\b|\bno\s+(?:data|record|reading|measurement)s?\b|\bonly\s+(?:see|have)\b|"
    r"\b(?:didn't|did\s+not|doesn't|does\s+not)\s+(?:record|measure|track)\b|"
    r"没有(?:\S{0,10})?(?:数据|记录)|无法|看不到|未记录|没有测量|只能看到",
    re.I,
)


# --- the stretch of nights a history figure is said of (the names `analysis.history.periods.names` gives) ---------
# ("the last week" of a trend is the period's own last week, not the calendar's)
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_ZH_MONTH_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
_PERIOD_NAMES = (
    ("this_week", r"\bthis\s+week\b|这周(?!末)|本周(?!末)|这个?星期(?!六|天|日)|这一周|这礼拜"),
    ("last_week", r"(?<!the\s)\b(?:last|previous)\s+week\b|\bthe\s+week\s+before\b|上周(?!末)|上个?星期(?!六|天|日)|上一周|上礼拜"),
    ("this_month", r"\bthis\s+month\b|这个月|本月|这月"),
    ("last_month", r"(?<!the\s)\b(?:last|previous)\s+month\b|\bthe\s+month\s+before\b|上个月|上月"),
    ("weekends", r"\bweekends?\b|周末|星期六和星期天|周六和周日"),
    ("weekdays", r"\bweek\s?days?\b|\bwork\s?(?:days|nights)\b|\bschool\s+nights\b|工作日|周一到周五|平日"),
    # a month by name, not inside a date ("16 Nov 2026", "11月16日")
    *((f"month:{n}", rf"(?<!\d)(?<!\d\s)\b{name}\b(?!\s*\d)" if name != "May" else
       r"(?:(?<=\bin\s)|(?<=\bof\s)|(?<=\bfor\s)|(?<=\bsince\s)|(?<=\bduring\s))(?-i:May)\b(?!\s*\d)")  # not "May I"
      for n, name in enumerate(_MONTHS_EN, 1)),
    *((f"month:{n}", rf"(?<![一二三四五六七八九十\d]){zh}月(?!份?\s*\d|[一二三四五六七八九十\d]+[日号])")
      for n, zh in reversed(list(enumerate(_ZH_MONTH_NUMBERS, 1)))),
    *((f"month:{n}", rf"(?<!\d){n}月(?!份?\s*\d|[一二三四五六七八九十\d]+[日号])") for n in range(12, 0, -1)),
)
PERIOD_NAME = re.compile("|".join(f"(?P<p{i}>{pattern})" for i, (_, pattern) in enumerate(_PERIOD_NAMES)), re.I)


def period_names(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each stretch of nights `text` names ("last week", "上个月", "in October")."""
    return [(m.start(), m.end(), _PERIOD_NAMES[int(m.lastgroup[1:])][0]) for m in PERIOD_NAME.finditer(text)]
