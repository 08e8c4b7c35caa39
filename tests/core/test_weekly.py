"""The weekly summary: figures worked out by hand for a constructed week, and the guard's verdict on
simulated weeks of every persona in both languages."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from functools import cache

import pytest

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.coach import guard
from sleepcot.coach.briefing import CLINICIAN_NOTE
from sleepcot.coach.weekly import (
    MAX_CHARS,
    MAX_SENTENCES,
    WeeklySummary,
    weekly_summary,
)
from sleepcot.domain import AgeBand, Language, Night, NightKind, Profile, Tag, TagKind

TZ = timezone(timedelta(hours=1))
SUNDAY = date(2026, 3, 15)
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CJK = re.compile(r"[\u4e00-\u9fff]")


def night(day: date, *, bed: time = time(23, 0), sleep_min: int = 420, hrv: float = 50,
          spo2_min: float = 93) -> Night:
    """A main night ending on `day`: in bed at `bed`, asleep `sleep_min` minutes, 20 minutes awake in bed."""
    start = datetime.combine(day - timedelta(days=1), bed, tzinfo=TZ)
    if bed.hour < 12:
        start += timedelta(days=1)
    in_bed_min = sleep_min + 20
    return Night(
        source="test", vendor_id=day.isoformat(), start=start, end=start + timedelta(minutes=in_bed_min),
        time_in_bed_s=in_bed_min * 60, total_sleep_s=sleep_min * 60, latency_s=600, awake_s=600,
        deep_s=90 * 60, rem_s=100 * 60, light_s=(sleep_min - 190) * 60, hrv_rmssd_ms=hrv, hr_lowest_bpm=52,
        spo2_min_pct=spo2_min, spo2_avg_pct=96,
    )


def day_of_week(weekday: int) -> date:
    """The date of `weekday` (0 Monday) in the week that ends on SUNDAY."""
    return SUNDAY - timedelta(days=6 - weekday)


# Six nights (Wednesday missing), two tagged alcohol with low HRV. Worked out by hand:
# sleep 420+390+450+360+480+420 = 2520 min over 6 nights = 420 min = 7 h, against a usual 450 min: 30 min less;
# longest Saturday 480 min, shortest Friday 360 min; bedtimes 23:00 23:30 23:00 00:00 23:30 23:00 have mean
# 23:20 and SD sqrt((400+100+400+1600+100+400)/5) = 24.5 min; HRV (40+36)/2 = 38 ms on alcohol nights
# against (50+52+54+48)/4 = 51 ms on the other four.
WEEK = [
    night(day_of_week(0), bed=time(23, 0), sleep_min=420, hrv=50),
    night(day_of_week(1), bed=time(23, 30), sleep_min=390, hrv=40),
    night(day_of_week(3), bed=time(23, 0), sleep_min=450, hrv=52),
    night(day_of_week(4), bed=time(0, 0), sleep_min=360, hrv=36),
    night(day_of_week(5), bed=time(23, 30), sleep_min=480, hrv=54),
    night(day_of_week(6), bed=time(23, 0), sleep_min=420, hrv=48),
]
BEFORE = [night(day_of_week(0) - timedelta(days=i), sleep_min=450) for i in range(1, 15)]
ALCOHOL = [Tag(local_date=day_of_week(1), kind=TagKind.ALCOHOL), Tag(local_date=day_of_week(4), kind=TagKind.ALCOHOL)]
PROFILE = Profile(name="Ana", age_band=AgeBand.ADULT, timezone="Europe/Berlin")


def passes_guard(summary: WeeklySummary) -> bool:
    return guard.check(summary.text, summary.facts, red_flag=summary.red_flag).ok


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。])\s*", text) if s.strip()]


def test_constructed_week_states_the_hand_computed_figures():
    summary = weekly_summary(WEEK, BEFORE, PROFILE, ALCOHOL)
    assert summary.text == (
        "You recorded 6 of 7 nights this week and slept 7 h on average. "
        "That is 30 min less than your usual 7 h 30 min, within the recommended 7–9 h for your age. "
        "Your bedtimes were regular: they varied by 24 min (standard deviation). "
        "On 2 nights tagged alcohol, your HRV averaged 38 ms, against 51 ms on the other 4 nights. "
        "Your longest night was Saturday (8 h), the shortest Friday (6 h). "
        "Next week, try fewer nights with alcohol and see whether your HRV follows."
    )
    assert not summary.red_flag
    assert passes_guard(summary)
    facts = {f.key: f.value for f in summary.facts}
    assert facts["week.nights"] == 6
    assert facts["week.mean_sleep_s"] == 7 * 3600
    assert facts["base.total_sleep_s"] == 7.5 * 3600
    assert facts["change.total_sleep_s"] == -30 * 60  # signed: less than usual
    assert facts["week.longest_sleep_s"] == 8 * 3600
    assert facts["week.shortest_sleep_s"] == 6 * 3600
    assert facts["week.bedtime_sd_min"] == 24
    assert facts["tagged.alcohol.hrv_rmssd_ms"] == 38
    assert facts["untagged.alcohol.hrv_rmssd_ms"] == 51


def test_constructed_week_in_chinese():
    summary = weekly_summary(WEEK, BEFORE, PROFILE.model_copy(update={"language": Language.ZH}), ALCOHOL)
    assert summary.text == (
        "本周 7 晚中记录了 6 晚，平均每晚睡 7小时。"
        "这比你平时的 7小时30分钟 少 30分钟，在你这个年龄推荐的 7–9小时 之内。"
        "你的上床时间很规律，波动为 24分钟（标准差）。"
        "标记了饮酒的 2 晚，你的心率变异性平均为 38 ms，其余 4 晚平均为 51 ms。"
        "睡得最长的是周六（8小时），最短的是周五（6小时）。"
        "下周试着减少饮酒的夜晚，看看你的心率变异性是否随之改善。"
    )
    assert passes_guard(summary)


def test_the_order_of_the_nights_does_not_matter():
    assert weekly_summary(list(reversed(WEEK)), BEFORE[::-1], PROFILE, ALCOHOL) == weekly_summary(WEEK, BEFORE, PROFILE, ALCOHOL)


def test_an_empty_week_has_no_summary():
    assert weekly_summary([], BEFORE, PROFILE, []) is None


def test_a_week_with_one_night():
    summary = weekly_summary([WEEK[-1]], BEFORE, PROFILE, [])
    assert summary.text.startswith("You recorded 1 of 7 nights this week and slept 7 h.")
    assert "longest" not in summary.text and "bedtimes" not in summary.text  # one night has neither
    assert 3 <= len(sentences(summary.text)) <= MAX_SENTENCES
    assert passes_guard(summary)


def test_without_a_baseline_the_week_is_compared_with_the_norm_only():
    summary = weekly_summary(WEEK, BEFORE[:2], PROFILE, [])  # two nights are too few for a baseline
    assert "usual" not in summary.text
    assert "That is within the recommended 7–9 h for your age." in summary.text
    assert passes_guard(summary)


def test_late_bedtimes_that_vary_are_called_irregular_with_advice_on_the_schedule():
    week = [night(day_of_week(i), bed=bed) for i, bed in enumerate((time(22, 0), time(1, 30), time(23, 0),
                                                                     time(2, 0), time(22, 30)))]
    summary = weekly_summary(week, BEFORE, PROFILE, [])
    assert "more than the 1 h that marks an irregular schedule" in summary.text
    assert summary.text.endswith("Next week, go to bed and get up at the same times every day, weekends included.")
    assert passes_guard(summary)


def test_spo2_at_the_red_flag_threshold_ends_with_the_clinician_note():
    week = WEEK[:3] + [night(day_of_week(4), spo2_min=88)] + WEEK[4:]
    summary = weekly_summary(week, BEFORE, PROFILE, [])
    assert summary.red_flag
    assert "Your lowest SpO2 this week was 88%, on Friday, and it fell to 88% or under on 1 of 6 nights." in summary.text
    assert summary.text.endswith(CLINICIAN_NOTE[Language.EN])
    assert passes_guard(summary)


def test_red_flags_are_never_crowded_out_by_the_rest():
    """Short, irregular nights with low oxygen and tagged alcohol: more to say than fits."""
    week = [night(day_of_week(i), bed=bed, sleep_min=290 + 5 * i, hrv=30 + 5 * i, spo2_min=85)
            for i, bed in enumerate((time(22, 0), time(1, 30), time(23, 0), time(2, 0), time(22, 30), time(0, 30)))]
    tags = [Tag(local_date=day_of_week(i), kind=TagKind.ALCOHOL) for i in (0, 1)]
    for language in Language:
        summary = weekly_summary(week, BEFORE, PROFILE.model_copy(update={"language": language}), tags)
        assert summary.red_flag
        assert summary.text.endswith(CLINICIAN_NOTE[language])
        assert "SpO2" in summary.text
        assert ("chronic short sleep" if language is Language.EN else "长期睡眠不足") in summary.text
        assert len(sentences(summary.text)) <= MAX_SENTENCES
        assert len(summary.text) <= MAX_CHARS
        assert passes_guard(summary)


@cache
def simulated(persona: Persona, seed: int, day: date) -> tuple[list[Night], list[Night], list[Tag]]:
    """The week ending on `day` and the 60 days before it, main nights only, and the week's tags."""
    adapter = SimulatorAdapter(persona, seed, SUNDAY)
    first = day - timedelta(days=6)
    nights = [n for n in adapter.fetch_nights(first - timedelta(days=60), day) if n.kind is NightKind.MAIN]
    week = [n for n in nights if n.local_date >= first]
    before = [n for n in nights if n.local_date < first]
    return week, before, adapter.fetch_tags(first, day)


WEEKS = [(persona, seed, day) for persona in Persona for seed in range(4) for day in (SUNDAY, SUNDAY - timedelta(days=3))]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(("persona", "seed", "day"), WEEKS, ids=lambda v: str(getattr(v, "value", v)))
def test_simulated_weeks_pass_the_guard(persona: Persona, seed: int, day: date, language: Language):
    week, before, tags = simulated(persona, seed, day)
    profile = persona_profile(persona).model_copy(update={"language": language})
    summary = weekly_summary(week, before, profile, tags)
    verdict = guard.check(summary.text, summary.facts, red_flag=summary.red_flag)
    assert verdict.ok, (summary.text, verdict.problems)
    assert 3 <= len(sentences(summary.text)) <= MAX_SENTENCES
    assert len(summary.text) <= MAX_CHARS
    assert "<" not in summary.text  # plain text, no HTML
    if language is Language.ZH:
        assert len(CJK.findall(summary.text)) > 40
        assert not any(name in summary.text for name in EN_WEEKDAYS)
        assert not re.search(r"\b(?:the|your|nights?|week)\b", summary.text, re.IGNORECASE)
    else:
        assert not CJK.search(summary.text)


def test_the_apnea_persona_gets_the_clinician_note_every_week():
    for seed in range(4):
        week, before, tags = simulated(Persona.APNEA, seed, SUNDAY)
        for language in Language:
            summary = weekly_summary(week, before, persona_profile(Persona.APNEA).model_copy(update={"language": language}), tags)
            assert summary.red_flag
            assert summary.text.endswith(CLINICIAN_NOTE[language])
            assert ("SpO2" in summary.text) and not guard.check(summary.text, summary.facts).diagnoses


def test_a_missing_night_is_counted_and_its_weekday_never_named():
    week, before, tags = simulated(Persona.HEALTHY, 1, SUNDAY)
    wednesday = day_of_week(2)
    summary = weekly_summary([n for n in week if n.local_date != wednesday], before, persona_profile(Persona.HEALTHY), tags)
    assert summary.text.startswith("You recorded 6 of 7 nights this week")
    assert "Wednesday" not in summary.text
    assert passes_guard(summary)


def test_the_healthy_persona_sees_its_late_coffee_night():
    week, before, tags = simulated(Persona.HEALTHY, 0, SUNDAY)
    summary = weekly_summary(week, before, persona_profile(Persona.HEALTHY), tags)
    assert "On 1 night tagged late caffeine, your deep sleep averaged" in summary.text
    assert not summary.red_flag
