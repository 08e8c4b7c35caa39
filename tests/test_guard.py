"""The guard catches planted wrong figures, diagnoses and missing red-flag advice, and lets faithful
replies through whatever units they use."""

from __future__ import annotations

import pytest

from sleepcot.coach import guard
from sleepcot.domain import Fact, Unit

FACTS = [
    Fact(key="night.total_sleep_s", label="total sleep", value=22_320, unit=Unit.SECONDS),  # 6 h 12 min
    Fact(key="night.deep_s", label="deep sleep", value=2_880, unit=Unit.SECONDS),  # 48 min
    Fact(key="base14.deep_s", label="usual deep sleep", value=4_560, unit=Unit.SECONDS),  # 1 h 16 min
    Fact(key="change.deep_s", label="change", value=37, unit=Unit.PERCENT),
    Fact(key="night.efficiency_pct", label="efficiency", value=84.6, unit=Unit.PERCENT),
    Fact(key="night.hrv_rmssd_ms", label="HRV", value=41.2, unit=Unit.MS),
    Fact(key="night.hr_lowest_bpm", label="lowest HR", value=55, unit=Unit.BPM),
    Fact(key="night.bedtime", label="bedtime", value=23 * 60 + 40, unit=Unit.CLOCK),
    Fact(key="night.skin_temp_dev_c", label="temp", value=0.4, unit=Unit.CELSIUS),
    Fact(key="norm.sleep_min_h", label="minimum", value=7, unit=Unit.HOURS),
]


@pytest.mark.parametrize("reply", [
    "1. What the data shows: you slept 6 h 12 min and went to bed at 23:40.",
    "You slept about 6.2 hours, or 372 minutes, with 48 minutes of deep sleep.",
    "Deep sleep was 48 min, 37% below your usual 1 h 16 min; efficiency was 85%.",
    "Your HRV was 41 ms and your lowest heart rate 55 bpm; skin temperature +0.4 °C.",
    "You went to bed at 11:40 pm. Adults need at least 7 hours.",
    "Step 2: compared with your baseline of 76 minutes of deep sleep, last night was lower.",
    "你昨晚睡了6小时12分钟，深睡48分钟。",
])
def test_faithful_replies_pass(reply):
    verdict = guard.check(reply, FACTS)
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize("reply, planted", [
    ("You slept 7 h 12 min last night.", "7 h 12 min"),
    ("Deep sleep was 58 minutes, which is fine.", "58 minutes"),
    ("Your efficiency was 92%.", "92%"),
    ("Your HRV of 62 ms is great.", "62 ms"),
    ("You went to bed at 22:15.", "22:15"),
    ("Your deep sleep dropped 20% from your usual.", "20%"),
    ("Deep sleep was 48%.", "48%"),  # right number, wrong unit
    ("Your lowest heart rate was 48 bpm.", "48 bpm"),
])
def test_planted_wrong_numbers_are_caught(reply, planted):
    verdict = guard.check(reply, FACTS)
    assert not verdict.ok
    assert planted in " ".join(verdict.unsupported)


@pytest.mark.parametrize("reply", [
    "You have sleep apnea, so your oxygen drops.",
    "This confirms that you have insomnia.",
    "You are suffering from chronic insomnia.",
    "You're an insomniac, clearly.",
    "You should take zolpidem before bed.",
    "Take 10 mg of melatonin tonight.",
    "你患有睡眠呼吸暂停。",
])
def test_diagnoses_and_prescriptions_are_caught(reply):
    verdict = guard.check(reply, FACTS)
    assert verdict.diagnoses and not verdict.ok


def test_careful_wording_about_conditions_is_not_a_diagnosis():
    reply = "Oxygen dips like these can come with sleep apnea; only a doctor can diagnose it, so please ask one."
    assert guard.check(reply, FACTS, red_flag=True).ok


def test_red_flag_without_clinician_advice_is_rejected():
    reply = "Your deep sleep was 48 min. Sleep on your side tonight."
    assert guard.check(reply, FACTS, red_flag=True).missing_red_flag_advice
    assert guard.check(reply + " Please see a doctor about the oxygen dips.", FACTS, red_flag=True).ok


def test_reply_must_name_the_top_finding_when_asked():
    verdict = guard.check("You slept 6 h 12 min. Keep it up.", FACTS, topic_words=("deep",))
    assert verdict.missing_topic and not verdict.ok


def test_numbers_from_the_users_question_may_be_echoed():
    reply = "Aiming for 8 hours is reasonable; last night you slept 6 h 12 min."
    assert not guard.check(reply, FACTS).ok
    assert guard.check(reply, FACTS, allowed_text="Should I aim for 8 hours?").ok


def test_empty_or_nonsense_short_replies_are_rejected():
    assert guard.check("   ", FACTS).empty
    assert not guard.check("ok", FACTS).ok
