"""Simulated sleep reports: a persona's story night analysed against its own 60-night history, with the
follow-up questions a user would plausibly ask about it. Distillation synthesizes its training reports here
and evaluation its held-out ones; the two never share a seed (`EVAL_SEEDS` is reserved for evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import Analysis, analyze
from sleepcot.domain import Language, NightKind

HISTORY_DAYS = 60
REPORT_DAY = date(2026, 3, 18)  # a fixed story night, so a report set is the same on every machine
EVAL_SEEDS = range(900_000, 1_000_000)  # held out: training reports draw their seeds below this range
CHINESE_EVERY = 4  # every 4th report belongs to a Chinese-speaking user

# What users ask about a night, by its top finding; {value} is the finding's first figure as written.
FOLLOWUPS: dict[str, dict[Language, tuple[str, ...]]] = {
    "short_sleep": {Language.EN: ("Why did I sleep so little last night?", "How can I get more sleep tonight?"),
                    Language.ZH: ("我昨晚为什么睡得这么少？", "今晚怎样才能多睡一点？")},
    "long_latency": {Language.EN: ("Why did it take me so long to fall asleep?", "What helps me fall asleep faster?"),
                     Language.ZH: ("我昨晚为什么很久才睡着？", "怎样才能更快入睡？")},
    "low_efficiency": {Language.EN: ("What does my sleep efficiency mean?", "Why was I awake so much in bed?"),
                       Language.ZH: ("我的睡眠效率说明什么？", "为什么我在床上清醒了这么久？")},
    "high_waso": {Language.EN: ("Why did I keep waking up last night?", "How do I stop waking up at night?"),
                  Language.ZH: ("我昨晚为什么总是醒？", "怎样才能夜里不再醒来？")},
    "low_deep": {Language.EN: ("Why was my deep sleep low last night?", "How can I get more deep sleep?"),
                 Language.ZH: ("我昨晚的深睡为什么少？", "怎样才能增加深睡？")},
    "low_rem": {Language.EN: ("Why was my REM sleep low?", "Is my REM sleep a problem?"),
                Language.ZH: ("我的快速眼动睡眠为什么少？", "我的快速眼动睡眠有问题吗？")},
    "hrv_down": {Language.EN: ("Why did my HRV drop last night?", "Should I worry about my HRV?"),
                 Language.ZH: ("我昨晚的心率变异性为什么下降了？", "我需要担心我的心率变异性吗？")},
    "hr_up": {Language.EN: ("Why was my heart rate higher last night?", "Is my resting heart rate okay?"),
              Language.ZH: ("我昨晚的心率为什么偏高？", "我的静息心率正常吗？")},
    "resp_up": {Language.EN: ("Why was my breathing rate up?", "Does my breathing rate mean I'm getting sick?"),
                Language.ZH: ("我的呼吸频率为什么升高了？", "呼吸频率升高是不是说明我要生病了？")},
    "temp_up": {Language.EN: ("Why was my temperature higher last night?", "Am I getting sick?"),
                Language.ZH: ("我昨晚的体温为什么偏高？", "我是不是要生病了？")},
    "low_spo2": {Language.EN: ("What do my oxygen dips mean?", "Should I see a doctor about my oxygen?"),
                 Language.ZH: ("我的血氧下降意味着什么？", "我应该为血氧问题去看医生吗？")},
    "possible_breathing_disturbance": {Language.EN: ("What do my oxygen dips mean?", "Is my snoring a problem?"),
                                       Language.ZH: ("我的血氧下降意味着什么？", "我打鼾是个问题吗？")},
    "irregular_schedule": {Language.EN: ("Does my irregular bedtime matter?", "How do I fix my sleep schedule?"),
                           Language.ZH: ("我的作息不规律有影响吗？", "怎样调整我的作息？")},
    "social_jetlag": {Language.EN: ("Is sleeping in on weekends bad for me?", "What is social jetlag?"),
                      Language.ZH: ("周末睡懒觉对我不好吗？", "什么是社会时差？")},
    "sleep_debt": {Language.EN: ("How much sleep debt do I have?", "How do I catch up on sleep?"),
                   Language.ZH: ("我欠了多少睡眠债？", "我该怎么补觉？")},
    "chronic_short_sleep": {Language.EN: ("Am I sleeping enough on average?", "What happens if I keep sleeping this little?"),
                            Language.ZH: ("我平均睡得够吗？", "如果一直睡这么少会怎样？")},
    "good_night": {Language.EN: ("Was last night a good night?", "What did I do right last night?"),
                   Language.ZH: ("我昨晚睡得好吗？", "我昨晚哪些做得对？")},
}
GENERAL = {Language.EN: "What should I do tonight to sleep better?", Language.ZH: "今晚我该怎么做才能睡得更好？"}
# Questions about one number of the night, asked after the ones above (each names a metric in METRIC_WORDS).
ABOUT_A_NUMBER = {
    Language.EN: ("How was my deep sleep last night?", "What was my HRV last night?", "How long did it take me to fall asleep?",
                  "What was my lowest heart rate last night?", "How efficient was my sleep last night?",
                  "How much REM sleep did I get?", "How long did I sleep last night?"),
    Language.ZH: ("我昨晚的深睡怎么样？", "我昨晚的心率变异性是多少？", "我昨晚多久才入睡？", "我昨晚的最低心率是多少？",
                  "我昨晚的睡眠效率怎么样？", "我昨晚的快速眼动睡眠有多少？", "我昨晚睡了多久？"),
}


@dataclass(frozen=True)
class Report:
    """One simulated user's night, analysed, and who they are."""

    id: str
    persona: Persona
    seed: int
    analysis: Analysis

    @property
    def language(self) -> Language:
        return self.analysis.profile.language

    def followups(self, count: int = 2) -> list[str]:
        """Plausible follow-up questions: about the top finding first, then a general one, then about one
        number of the night (which one depends on the seed)."""
        asked = list(FOLLOWUPS.get(self.analysis.top.code, {}).get(self.language, ()))
        numbers = ABOUT_A_NUMBER[self.language]
        return (asked + [GENERAL[self.language], numbers[self.seed % len(numbers)]])[:count]


def simulated_report(persona: Persona, seed: int, language: Language = Language.EN, day: date = REPORT_DAY) -> Report:
    """The persona's story night on `day` for the person `seed` draws, against the nights before it."""
    adapter = SimulatorAdapter(persona, seed, day)
    profile = persona_profile(persona).model_copy(update={"language": language})
    nights = adapter.fetch_nights(day - timedelta(days=HISTORY_DAYS), day)
    story = max((n for n in nights if n.kind is NightKind.MAIN and n.local_date == day), key=lambda n: n.total_sleep_s)
    tags = adapter.fetch_tags(day, day)
    return Report(f"{persona.value}-{seed}", persona, seed, analyze(story, nights, profile, tags))


def nth_report(i: int, seeds: range) -> Report:
    """Report number `i` of a set: the personas in turn, one seed (one person) each from `seeds`, and every
    `CHINESE_EVERY`th user Chinese-speaking."""
    personas = list(Persona)
    language = Language.ZH if i % CHINESE_EVERY == CHINESE_EVERY - 1 else Language.EN
    return simulated_report(personas[i % len(personas)], seeds[i], language)


def simulated_reports(count: int, seeds: range) -> list[Report]:
    """The first `count` reports of the set `nth_report` draws from `seeds`."""
    if count > len(seeds):
        raise ValueError(f"{count} reports need {count} seeds; the range has {len(seeds)}")
    return [nth_report(i, seeds) for i in range(count)]
