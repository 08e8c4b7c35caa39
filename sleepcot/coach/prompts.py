"""The ONE source of prompt formats, for serving and for training (distill renders its examples here).

Each task — the morning briefing, a follow-up about the user's own data, a knowledge question, a question
about the user's whole history (and the request that reads such a question into a plan) — becomes a
`Prompt`: the chat messages, and the facts the reply may use (the guard checks the reply against exactly
these). The chain of thought has four steps: what the data shows -> how it compares with your baseline and
the norms -> why it likely happened -> what to do tonight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sleepcot.analysis import Analysis
from sleepcot.analysis.findings import FINDING_TOPICS
from sleepcot.analysis.norms import norm_facts
from sleepcot.coach import findings
from sleepcot.coach.knowledge import Card
from sleepcot.domain import Fact, Language, Metric, Profile, Unit
from sleepcot.units import WEEKDAYS

STEPS = {
    Language.EN: ("What the data shows", "Against your baseline and the norms", "Why it likely happened", "What to do tonight"),
    Language.ZH: ("数据显示", "与你的基线和标准相比", "可能的原因", "今晚怎么做"),
}
# How each step of the briefing opens. Backends that can prefill get these openers and write each step's
# content themselves (small models keep the structure that way); the rest get the headings in the prompt.
OPENERS = {
    Language.EN: ("Last night you slept", "The main finding is {top}:", "", "My advice for tonight is to"),
    Language.ZH: ("昨晚你睡了", "最主要的发现是 {top}：", "", "今晚我的建议是"),
}
LANGUAGE_RULE = {
    Language.EN: "Answer in English.",
    Language.ZH: "请用简体中文回答。",
}
SYSTEM = (
    "You are SleepCoT, a friendly sleep coach. Use only the numbers given to you, exactly as written. "
    "Never diagnose a disease and never recommend medication. If a red flag is listed, advise seeing a doctor."
)
SYMPTOM_RULE = "What I describe needs a doctor's look: tell me plainly to see one. "
STRICT = (
    "Your last answer broke the rules. Copy numbers exactly from the data; do not invent any number; "
    "do not name a disease the user has."
)
# Words in a question that point at one night metric (a fact key).
METRIC_WORDS = {
    "night.deep_s": ("deep", "深睡"), "night.rem_s": ("rem", "快速眼动"), "night.light_s": ("light sleep", "浅睡"),
    "night.hrv_rmssd_ms": ("hrv", "variability", "变异"), "night.hr_lowest_bpm": ("heart rate", "pulse", "心率"),
    "night.efficiency_pct": ("efficien", "效率"), "night.latency_s": ("fall asleep", "latency", "入睡"),
    "night.spo2_min_pct": ("spo2", "oxygen", "血氧"), "night.awake_s": ("awake", "woke", "醒"),
    "night.resp_rate_bpm": ("breathing", "respirat", "呼吸"), "night.skin_temp_dev_c": ("temperature", "温度"),
    "night.total_sleep_s": ("how long", "how much sleep", "hours", "sleep time", "slept", "睡了多久", "时长"),
    "night.bedtime": ("bedtime", "go to bed", "went to bed", "上床", "就寝"),
    "night.wake": ("wake time", "wake up time", "got up", "起床"),
}
USER_WORDS_CHARS = 120  # how much of a user's free text (a goal, a reported condition) a prompt quotes
NAME_CHARS = 40
TURN_CHARS = 600  # how much of an earlier turn of the conversation is replayed
FOLLOWUP_OPENER = {Language.EN: "Last night your {label} was", Language.ZH: "昨晚你的{label}是"}
NIGHT_FIELDS = ("night.total_sleep_s", "night.bedtime", "night.wake", "night.efficiency_pct", "night.deep_s",
                "night.rem_s", "night.latency_s", "night.hrv_rmssd_ms", "night.hr_lowest_bpm", "night.spo2_min_pct")


@dataclass
class Prompt:
    task: str
    messages: list[dict[str, str]]
    facts: list[Fact]
    red_flag: bool = False
    topic_words: tuple[str, ...] = ()
    question: str = ""
    language: Language = Language.EN
    sources: list[str] = field(default_factory=list)
    steps: tuple[str, ...] = ()  # the opening words of each line of a structured reply
    min_figures: int = 0  # how many of the user's figures the reply must cite
    asked: tuple[Metric, ...] = ()  # the metrics a question asks about: the reply must state one (or say why not)
    answer: list[Fact] = field(default_factory=list)  # computed figures that answer it: the reply must state one

    @property
    def general(self) -> bool:
        """A knowledge answer: its figures are general, checked against their subject, not the user's night."""
        return self.task in ("knowledge", "mcq")


# The data block's own words (the findings' words come from coach.findings).
DATA_WORDS = {
    Language.EN: {"profile": "Profile", "logged": "Logged before last night", "night": "Last night ({day})",
                  "findings": "Findings, most important first:", "cause": "Likely cause", "advice": "Advice",
                  "red": " (RED FLAG)", "colon": ": ", "sep": "; ", "end": ".", "space": " "},
    Language.ZH: {"profile": "用户资料", "logged": "昨晚之前记录了", "night": "昨晚（{day}）",
                  "findings": "发现，按重要性排列：", "cause": "可能原因", "advice": "建议",
                  "red": "（危险信号）", "colon": "：", "sep": "；", "end": "。", "space": ""},
}


def _line(fact: Fact, language: Language = Language.EN) -> str:
    return f"{findings.fact_name(fact, language)}{DATA_WORDS[language]['colon']}{fact.render(language)}"


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


def quoted(text: str) -> str:
    """A user's own words as a prompt quotes them: on one line, bounded, inside quotation marks they cannot
    close, so that an instruction typed into a goal reads as what the user said, never as the prompt's own
    instructions or data. (User text only ever goes into the user turn; the system part is fixed.)"""
    words = _one_line(text.replace("“", '"').replace("”", '"'), USER_WORDS_CHARS)
    return f"“{words}”"


PROFILE_WORDS = {
    Language.EN: {"user": "The user", "age": ", age {}", "goals": "goals, in their words: ",
                  "coffee": "{} caffeinated drinks a day", "last": ", the last at {}", "alcohol": "{} alcoholic drinks a week",
                  "exercise": "exercises {} days a week", "shifts": "works shifts", "reports": "reports, in their words: ",
                  "sep": ". ", "list": "; ", "end": "."},
    Language.ZH: {"user": "用户", "age": "，年龄{}", "goals": "目标（用户原话）：", "coffee": "每天{}杯含咖啡因的饮料",
                  "last": "，最后一杯在{}", "alcohol": "每周{}杯含酒精的饮料", "exercise": "每周运动{}天", "shifts": "倒班工作",
                  "reports": "自述（用户原话）：", "sep": "；", "list": "；", "end": "。"},
}


def _profile_line(profile: Profile) -> str:
    w = PROFILE_WORDS[profile.language]
    name = _one_line(profile.name, NAME_CHARS) if profile.name else w["user"]
    parts = [name + w["age"].format(profile.age_band.value)]
    if profile.goals:
        parts.append(w["goals"] + w["list"].join(quoted(goal) for goal in profile.goals))
    habits = profile.habits
    if habits.caffeine_cups_per_day is not None:
        coffee = w["coffee"].format(habits.caffeine_cups_per_day)
        if habits.caffeine_last_time is not None:
            coffee += w["last"].format(f"{habits.caffeine_last_time:%H:%M}")
        parts.append(coffee)
    if habits.alcohol_drinks_per_week is not None:
        parts.append(w["alcohol"].format(habits.alcohol_drinks_per_week))
    if habits.exercise_days_per_week is not None:
        parts.append(w["exercise"].format(habits.exercise_days_per_week))
    if profile.shift_work:
        parts.append(w["shifts"])
    if profile.conditions:
        parts.append(w["reports"] + w["list"].join(quoted(condition) for condition in profile.conditions))
    return w["sep"].join(parts) + w["end"]


def profile_facts(profile: Profile) -> list[Fact]:
    """The profile's own figures, which the reply may repeat."""
    habits, facts = profile.habits, []
    if habits.caffeine_cups_per_day is not None:
        facts.append(Fact(key="profile.caffeine", label="caffeinated drinks a day", value=habits.caffeine_cups_per_day,
                          unit=Unit.COUNT, subject=Metric.CAFFEINE))
    if habits.caffeine_last_time is not None:
        last = habits.caffeine_last_time
        facts.append(Fact(key="profile.caffeine_last", label="last caffeine", value=last.hour * 60 + last.minute,
                          unit=Unit.CLOCK, subject=Metric.CAFFEINE))
    if habits.alcohol_drinks_per_week is not None:
        facts.append(Fact(key="profile.alcohol", label="drinks a week", value=habits.alcohol_drinks_per_week, unit=Unit.COUNT,
                          subject=Metric.ALCOHOL))
    if habits.exercise_days_per_week is not None:
        facts.append(Fact(key="profile.exercise", label="exercise days a week", value=habits.exercise_days_per_week,
                          unit=Unit.COUNT, subject=Metric.EXERCISE))
    return facts


def data_block(analysis: Analysis, *, max_findings: int = 3) -> tuple[str, list[Fact]]:
    """The user's data as the model sees it, in the user's language, and the facts it contains."""
    language = analysis.profile.language
    w = DATA_WORDS[language]
    by_key = {f.key: f for f in analysis.facts()}
    night = [by_key[k] for k in NIGHT_FIELDS if k in by_key]
    lines = [f"{w['profile']}{w['colon']}{_profile_line(analysis.profile)}"]
    if analysis.tags:
        lines.append(f"{w['logged']}{w['colon']}" + findings.causes([t.kind for t in analysis.tags], language) + w["end"])
    day = day_name(analysis.night.local_date, language)
    lines.append(w["night"].format(day=day) + w["colon"] + w["sep"].join(_line(f, language) for f in night) + w["end"])
    lines.append(w["findings"])
    facts = list(night) + profile_facts(analysis.profile)
    for i, finding in enumerate(analysis.findings[:max_findings], 1):
        causes = findings.causes(finding.likely_causes, language)
        advice = findings.advice(finding, language)
        lines.append(f"{i}. {findings.title(finding, language)}{w['red'] if finding.red_flag else ''}{w['colon']}"
                     + findings.detail(finding, language)
                     + (f"{w['space']}{w['cause']}{w['colon']}{causes}{w['end']}" if causes else "")
                     # the rest: a shorter prompt
                     + (f"{w['space']}{w['advice']}{w['colon']}{advice}" if i == 1 or finding.red_flag else ""))
        facts += finding.facts
    return "\n".join(lines), facts


def day_name(day: date, language: Language) -> str:
    """'Tue 04 Mar', or in Chinese '3月4日 星期二'."""
    if language is Language.ZH:
        return f"{day.month}月{day.day}日 {WEEKDAYS[language][day.weekday()]}"
    return f"{day:%a %d %b}"


def briefing(analysis: Analysis, *, strict: bool = False) -> Prompt:
    language = analysis.profile.language
    data, facts = data_block(analysis)
    steps = "\n".join(f"{i}. {step}:" for i, step in enumerate(STEPS[language], 1))
    red = bool(analysis.red_flags)
    user = (
        f"{data}\n\nWrite my morning briefing in four short steps, most important finding first:\n{steps}\n"
        + ("Tell me to see a doctor about the red flag. " if red else "")
        + LANGUAGE_RULE[language]
    )
    prompt = _prompt("briefing", user, facts, analysis, red, FINDING_TOPICS.get(analysis.top.code, ()), "", strict)
    prompt.steps = step_openers(language, findings.title(analysis.top, language, in_sentence=True))
    prompt.min_figures = 2  # a briefing reasons from the user's own numbers, or it is not personal
    return prompt


def step_openers(language: Language, top_title: str) -> tuple[str, ...]:
    openers = [o.format(top=top_title) for o in OPENERS[language]]
    return tuple(f"{i}. {head}: {opener}".rstrip() for i, (head, opener)
                 in enumerate(zip(STEPS[language], openers, strict=True), 1))


def followup(question: str, analysis: Analysis, history: list[tuple[str, str]] = (), *, strict: bool = False,
             cards: list[Card] = (), symptom: bool = False) -> Prompt:
    """A question about my own data. `symptom`: the question describes a symptom a clinician should see."""
    language = analysis.profile.language
    data, shown = data_block(analysis, max_findings=4)
    background = "".join(f"\nBackground ({c.source}): {c.text}" for c in cards)
    # every figure of the analysis may be said (the fallback names any finding the question is about)
    facts = list({f.key: f for f in shown + analysis.facts() + profile_facts(analysis.profile)}.values())
    facts += [f for c in cards for f in c.facts()]
    user = (
        f"{data}{background}\n\nQuestion about my sleep: {_one_line(question, len(question))}\n"
        "Answer in 2-4 sentences: my numbers first, then the likely reason, then one thing to try. "
        + ("Remind me to see a doctor about the red flag. " if analysis.red_flags else "")
        + (SYMPTOM_RULE if symptom else "")
        + LANGUAGE_RULE[language]
    )
    prompt = _prompt("followup", user, facts, analysis, bool(analysis.red_flags) or symptom, (), question, strict, history)
    prompt.sources = [c.source for c in cards]
    by_key = {f.key: f for f in facts}
    named = [by_key[k] for k in metrics_named(question) if k in by_key]
    if named:  # a question about one of my numbers is answered starting from that number
        prompt.steps = (FOLLOWUP_OPENER[language].format(label=findings.fact_name(named[0], language)),)
        prompt.min_figures = 1
        prompt.asked = (named[0].subject,)
    return prompt


def metrics_named(question: str) -> list[str]:
    """The night metrics (fact keys) a question names, in the order of METRIC_WORDS."""
    q = question.lower()
    return [key for key, words in METRIC_WORDS.items() if any(w in q for w in words)]


def _background(cards: list[Card]) -> str:
    """The best card whole (its direct answer, then why), the runners-up by their direct answers: a short prompt
    is a fast one on a small CPU. The sources travel with the reply (`Prompt.sources`), not through the model."""
    return "\n".join(f"- {c.title}: {c.answer}" + (f" {c.text}" if i == 0 else "") for i, c in enumerate(cards)) \
        or "- (no source found)"


# A knowledge reply opens with the best card's direct answer (prefilled where the backend can), then says why.
KNOWLEDGE_RULE = ("Start your answer with this sentence, word for word: \"{opener}\" Then explain why in 1-2 "
                  "sentences using the background. ")


def knowledge(question: str, cards: list[Card], language: Language = Language.EN, *, strict: bool = False,
              symptom: bool = False) -> Prompt:
    """A general sleep question. `symptom`: the question describes a symptom a clinician should see."""
    opener = cards[0].answer if cards else ""
    user = (
        f"Background:\n{_background(cards)}\n\nQuestion: {question}\n"
        + (KNOWLEDGE_RULE.format(opener=opener) if opener else "Answer in 2-4 sentences using the background. ")
        + (SYMPTOM_RULE if symptom else "") + LANGUAGE_RULE[language]
    )
    facts = [f for c in cards for f in c.facts()] + norm_facts()
    return Prompt("knowledge", _messages(user, strict), facts, red_flag=symptom, question=question, language=language,
                  sources=[c.source for c in cards], steps=(opener,) if opener else ())


HISTORY_RULE = ("Answer in 1-3 short sentences with these figures, exactly as written: say the period and how many "
                "nights. Do not add any other number. ")


def history(question: str, computed: str, facts: list[Fact], asked: Metric | None, language: Language, *,
            answer: list[Fact] = (), strict: bool = False) -> Prompt:
    """A question about my whole history: the figures were computed from my nights (`computed` says them
    plainly); the reply phrases them and must state the `asked` one (None: too few nights, no figure is asked)."""
    user = f"My sleep history, computed from my nights:\n{computed}\n\nQuestion: {_one_line(question, len(question))}\n" \
           + HISTORY_RULE + LANGUAGE_RULE[language]
    return Prompt("history", _messages(user, strict), facts, question=question, language=language, min_figures=0 if asked is None else 1,
                  asked=() if asked is None else (asked,), answer=list(answer))


PLAN_RULE = ("Read my question about my sleep history into a query. Today is {today} ({weekday}). Fields: measure, "
             "aggregate (mean, median, min, max, total, count, stdev, trend), period (last_nights with nights, "
             "this_week, last_week, this_month, last_month, month with month number, since with start date, between "
             "with start and end dates, all), days (all, weekdays, weekends), threshold_below and threshold_value with "
             "threshold_unit for counts, compare (none, period, days, habit) with compare_period or habit.")


def plan_request(question: str, today: str, weekday: str) -> list[dict[str, str]]:
    """The messages that ask the model to fill a history plan (the reply is constrained to its JSON schema)."""
    return [{"role": "system", "content": PLAN_RULE.format(today=today, weekday=weekday)},
            {"role": "user", "content": _one_line(question, len(question))}]


MCQ_LETTERS = "ABCD"
MCQ_RULE = "Reply with the letter of the one correct option."
MCQ_OPENER = {Language.EN: "The answer is", Language.ZH: "答案是"}


def multiple_choice(question: str, choices: list[str], cards: list[Card], language: Language = Language.EN) -> Prompt:
    """A multiple-choice knowledge question (evaluation and training); the reply opens with the answer's letter."""
    background = f"Background:\n{_background(cards)}\n\n" if cards else ""
    options = "\n".join(f"{letter}. {choice}" for letter, choice in zip(MCQ_LETTERS, choices, strict=False))
    user = f"{background}Question: {question}\n{options}\n{MCQ_RULE}"
    messages = _messages(user, strict=False)
    # the options are in the prompt, so a figure they contain is the user's to repeat, as the question's is
    return Prompt("mcq", messages, [f for c in cards for f in c.facts()], question=f"{question}\n{options}", language=language,
                  sources=[c.source for c in cards], steps=(MCQ_OPENER[language],))


def _messages(user: str, strict: bool, history: list[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """The system rules, the conversation so far, my message. A retry's stricter rule ends my message, so the
    retry shares the first try's whole prompt up to it (llama.cpp and Ollama keep that part computed)."""
    messages = [{"role": "system", "content": SYSTEM}]
    messages += [{"role": role, "content": text[:TURN_CHARS]} for role, text in history]
    messages.append({"role": "user", "content": f"{user} {STRICT}" if strict else user})
    return messages


def _prompt(task: str, user: str, facts: list[Fact], analysis: Analysis, red: bool, topic: tuple[str, ...],
            question: str, strict: bool, history: list[tuple[str, str]] = ()) -> Prompt:
    return Prompt(task, _messages(user, strict, history), facts, red, topic, question, analysis.profile.language)
