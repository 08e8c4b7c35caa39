"""Sleep knowledge cards and their retrieval: short, sourced statements the coach grounds answers in.

Card texts take their clinical numbers from the norms table (`{norm_key}` placeholders), so a threshold
lives in one place. Retrieval is BM25 over title, keywords and text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from sleepcot.analysis.norms import NORMS
from sleepcot.coach.guard import facts_in
from sleepcot.domain import Fact


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    text: str
    source: str
    keywords: str = ""

    def facts(self) -> list[Fact]:
        """The figures this card states, so an answer may repeat them."""
        return facts_in(self.text, f"card.{self.key}", self.title)


def _n(key: str) -> str:
    value = NORMS[key].value
    return f"{value:g}"


_CARDS = [
    Card("duration", "How much sleep adults need",
         f"Adults 18-64 need {_n('sleep_min_adult_h')}-{_n('sleep_max_adult_h')} h a night; adults over 65 "
         f"{_n('sleep_min_older_h')}-{_n('sleep_max_older_h')} h; teenagers {_n('sleep_min_teen_h')}-{_n('sleep_max_teen_h')} h. "
         "Regularly sleeping less raises the risk of poor attention, mood and metabolic health.",
         NORMS["sleep_min_adult_h"].source, "hours enough need duration short long how much"),
    Card("deep", "Deep sleep",
         "Deep (slow-wave, N3) sleep restores the body and comes mostly in the first half of the night. It shrinks "
         "with age, and late caffeine, alcohol, a warm room and an irregular schedule reduce it; daytime exercise "
         "and a regular schedule support it.",
         NORMS["deep_low_pct"].source, "deep slow wave n3 restorative"),
    Card("rem", "REM sleep",
         "REM sleep supports memory and emotional processing and comes mostly in the last hours of the night, so a "
         "short night or an early alarm cuts it most. Alcohol in the evening suppresses REM.",
         NORMS["rem_low_pct"].source, "rem dream dreaming memory"),
    Card("caffeine", "Caffeine and sleep",
         f"Caffeine has a half-life of about five hours. Even {_n('caffeine_cutoff_h')} h before bed it shortens sleep "
         "and lightens deep sleep, often without you noticing; keep coffee, tea, cola and energy drinks to the morning.",
         NORMS["caffeine_cutoff_h"].source, "coffee caffeine tea espresso energy drink cola afternoon"),
    Card("alcohol", "Alcohol and sleep",
         "Alcohol helps you fall asleep but fragments the second half of the night, suppresses REM, raises the "
         "heart rate and lowers HRV. Stopping a few hours before bed limits the damage.",
         "Ebrahim et al., Alcohol and sleep I: effects on normal sleep, Alcohol Clin Exp Res 2013", "alcohol wine beer drink drinking nightcap"),
    Card("efficiency", "Sleep efficiency and insomnia",
         f"Sleep efficiency is time asleep divided by time in bed; {_n('efficiency_good_pct')}% or more is good. "
         f"Taking over {_n('latency_insomnia_min')} min to fall asleep or lying awake over {_n('waso_insomnia_min')} min, "
         "three nights a week for months, fits insomnia; CBT-I (stimulus control, a fixed wake time, "
         "sleep restriction) is the first-line treatment, guided by a clinician.",
         NORMS["latency_insomnia_min"].source, "insomnia efficiency awake fall asleep cbt-i can't sleep lying awake"),
    Card("hygiene", "Habits that help sleep",
         "A fixed wake time, morning daylight, a cool, dark and quiet bedroom, a wind-down routine, no screens in "
         "bed and no heavy meals or alcohol late in the evening are the basics of good sleep.",
         "Irish et al., The role of sleep hygiene in promoting public health, Sleep Med Rev 2015", "tips habits hygiene routine improve better bedroom light screens"),
    Card("regularity", "Regular sleep schedule",
         f"Bedtimes that vary by more than {_n('bedtime_sd_irregular_min')} min, or a mid-sleep shift of over "
         f"{_n('social_jetlag_h')} h on free days (social jetlag), confuse the body clock; anchor the wake time first.",
         NORMS["social_jetlag_h"].source, "schedule regular weekend jetlag circadian body clock shift work"),
    Card("apnea", "Breathing pauses and oxygen dips",
         f"Repeated dips of blood oxygen to {_n('spo2_min_red_flag_pct')}% or lower, loud snoring, gasping or "
         "daytime sleepiness can be signs of obstructive sleep apnea. Only a sleep test can tell: see a doctor. "
         "Wrist SpO2 readings are noisy, so look for repeated patterns rather than one night.",
         NORMS["spo2_min_red_flag_pct"].source, "apnea apnoea snoring oxygen spo2 breathing gasping"),
    Card("hrv", "HRV and resting heart rate",
         "HRV (RMSSD) and the lowest night-time heart rate reflect recovery; compare them with your own baseline, "
         "not with other people. Alcohol, late hard exercise, stress and illness lower HRV and raise heart rate.",
         NORMS["hr_rise_bpm"].source, "hrv heart rate variability resting recovery rmssd"),
    Card("naps", "Naps",
         "A short early-afternoon nap of about twenty minutes can restore alertness; long or late naps make it "
         "harder to fall asleep at night.",
         "Milner & Cote, Benefits of napping in healthy adults, J Sleep Res 2009", "nap napping afternoon siesta"),
    Card("debt", "Sleep debt",
         f"Sleep lost adds up: a week of short nights impairs attention even when you feel used to it, and "
         f"averaging under {_n('chronic_short_h')} h is chronic short sleep. Recover gradually with earlier bedtimes.",
         NORMS["debt_notable_h"].source, "debt catch up weekend recover tired sleepy"),
    Card("wearables", "What wearables measure",
         "Wearables estimate sleep stages from movement and heart rate; they are good at total sleep and trends "
         "but can misjudge individual stages. Use them to follow your own trends, not as a diagnosis.",
         "de Zambotti et al., Wearable sleep technology in clinical and research settings, Med Sci Sports Exerc 2019",
         "wearable tracker ring watch accuracy accurate stages measure"),
]
CARDS: dict[str, Card] = {c.key: c for c in _CARDS}

_TOKEN = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


def _tokens(text: str) -> list[str]:
    return [t[:-1] if len(t) > 3 and t.endswith("s") else t for t in _TOKEN.findall(text.lower())]


@cache
def _index() -> tuple[list[Counter], dict[str, int], float]:
    docs = [Counter(_tokens(f"{c.title} {c.keywords} {c.keywords} {c.text}")) for c in _CARDS]
    df: Counter = Counter(t for d in docs for t in d)
    avg = sum(sum(d.values()) for d in docs) / len(docs)
    return docs, dict(df), avg


def retrieve(question: str, k: int = 2, *, k1: float = 1.2, b: float = 0.75) -> list[Card]:
    """The k cards that best match the question (BM25); none when nothing matches."""
    docs, df, avg = _index()
    n = len(docs)
    query = set(_tokens(question))
    scored = []
    for card, doc in zip(_CARDS, docs, strict=True):
        length = sum(doc.values())
        score = sum(
            math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * doc[t] * (k1 + 1) / (doc[t] + k1 * (1 - b + b * length / avg))
            for t in query if t in doc
        )
        if score > 0:
            scored.append((score, card))
    scored.sort(key=lambda pair: -pair[0])
    return [card for _, card in scored[:k]]
