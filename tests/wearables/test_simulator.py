"""The simulated wearable: deterministic, internally consistent, physiologically plausible, and each
persona shows its characteristic problem (its story night most clearly)."""

from __future__ import annotations

import statistics
from datetime import date, time, timedelta

import pytest

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.domain import AgeBand, Night, NightKind, Stage, TagKind

TODAY = date(2025, 6, 18)


def _nights(persona: Persona, seed: int = 7, days: int = 30, today: date = TODAY, tz: str | None = None) -> list[Night]:
    return SimulatorAdapter(persona, seed, today, tz).fetch_nights(today - timedelta(days=days - 1), today)


def _mains(persona: Persona, seed: int = 7, days: int = 30) -> list[Night]:
    return [n for n in _nights(persona, seed, days) if n.kind is NightKind.MAIN]


def _mean(nights: list[Night], value) -> float:
    return statistics.mean(value(n) for n in nights)


def _share(stage: str):
    return lambda n: getattr(n, f"{stage}_s") / n.total_sleep_s


def _dump(nights: list[Night]) -> list[dict]:
    return [n.model_dump() for n in nights]


# --- determinism ---------------------------------------------------------------------------------------


def test_same_seed_gives_identical_nights_and_tags() -> None:
    first = SimulatorAdapter(Persona.EVENING_ALCOHOL, 3, TODAY)
    second = SimulatorAdapter(Persona.EVENING_ALCOHOL, 3, TODAY)
    start = TODAY - timedelta(days=20)
    assert _dump(first.fetch_nights(start, TODAY)) == _dump(second.fetch_nights(start, TODAY))
    assert first.fetch_tags(start, TODAY) == second.fetch_tags(start, TODAY)


def test_different_seeds_are_different_people() -> None:
    one, other = _mains(Persona.HEALTHY, seed=1), _mains(Persona.HEALTHY, seed=2)
    assert [n.total_sleep_s for n in one] != [n.total_sleep_s for n in other]
    assert _mean(one, lambda n: n.hrv_rmssd_ms) != _mean(other, lambda n: n.hrv_rmssd_ms)


@pytest.mark.parametrize("persona", list(Persona))
def test_a_sub_range_returns_the_same_nights_as_a_larger_range(persona: Persona) -> None:
    adapter = SimulatorAdapter(persona, 11, TODAY)
    wide = {n.vendor_id: n.model_dump() for n in adapter.fetch_nights(TODAY - timedelta(days=40), TODAY)}
    narrow = adapter.fetch_nights(TODAY - timedelta(days=12), TODAY - timedelta(days=5))
    assert narrow and all(wide[n.vendor_id] == n.model_dump() for n in narrow)
    assert {n.local_date for n in narrow} == {TODAY - timedelta(days=d) for d in range(5, 13)}
    wide_tags = [
        t for t in adapter.fetch_tags(TODAY - timedelta(days=40), TODAY)
        if TODAY - timedelta(days=12) <= t.local_date <= TODAY - timedelta(days=5)
    ]
    assert adapter.fetch_tags(TODAY - timedelta(days=12), TODAY - timedelta(days=5)) == wide_tags


# --- invariants ----------------------------------------------------------------------------------------


def _check_night(night: Night) -> None:
    assert night.source == "simulator"
    assert night.time_in_bed_s == (night.end - night.start).total_seconds()
    assert night.total_sleep_s == night.deep_s + night.light_s + night.rem_s
    assert night.time_in_bed_s == night.total_sleep_s + night.latency_s + night.awake_s
    assert night.efficiency_pct == round(100 * night.total_sleep_s / night.time_in_bed_s, 1)
    assert night.local_date == night.end.date()

    segments = night.segments
    assert segments[0].start == night.start and segments[-1].end == night.end
    assert all(a.end == b.start for a, b in zip(segments, segments[1:]))
    assert all(s.seconds > 0 and s.seconds % 30 == 0 for s in segments)
    assert all(a.stage is not b.stage for a, b in zip(segments, segments[1:]))
    totals = {stage: sum(s.seconds for s in segments if s.stage is stage) for stage in Stage}
    assert (totals[Stage.DEEP], totals[Stage.LIGHT], totals[Stage.REM]) == (night.deep_s, night.light_s, night.rem_s)
    assert totals[Stage.AWAKE] == night.latency_s + night.awake_s
    assert segments[0].stage is Stage.AWAKE and segments[0].seconds == night.latency_s
    assert segments[1].stage is Stage.LIGHT  # sleep begins in light sleep
    assert night.awakenings == sum(1 for s in segments[1:] if s.stage is Stage.AWAKE)
    assert totals[Stage.ASLEEP] == 0

    assert 40 <= night.hr_lowest_bpm <= 80 and night.hr_lowest_bpm + 4 <= night.hr_avg_bpm <= night.hr_lowest_bpm + 13
    assert 12 <= night.hrv_rmssd_ms <= 120
    assert 10 <= night.resp_rate_bpm <= 24
    assert 78 <= night.spo2_min_pct < night.spo2_avg_pct <= 99
    assert -1 < night.skin_temp_dev_c < 1.5
    if night.kind is NightKind.MAIN:
        assert 0 <= night.score <= 100
        assert 3 * 3600 <= night.total_sleep_s <= 10 * 3600
    else:
        assert night.score is None and night.total_sleep_s <= 2 * 3600


@pytest.mark.parametrize("persona", list(Persona))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_night_is_internally_consistent(persona: Persona, seed: int) -> None:
    nights = _nights(persona, seed, days=60)
    for night in nights:
        _check_night(night)
    mains = [n for n in nights if n.kind is NightKind.MAIN]
    assert [n.local_date for n in mains] == [TODAY - timedelta(days=d) for d in range(59, -1, -1)]
    ordered = sorted(nights, key=lambda n: n.start)
    assert all(a.end <= b.start for a, b in zip(ordered, ordered[1:])), "sleep periods overlap"
    assert len({n.vendor_id for n in nights}) == len(nights)


@pytest.mark.parametrize("persona", list(Persona))
def test_today_is_the_last_night_and_ends_in_the_morning(persona: Persona) -> None:
    nights = SimulatorAdapter(persona, 5, TODAY).fetch_nights(TODAY - timedelta(days=3), TODAY + timedelta(days=5))
    last = max(nights, key=lambda n: n.end)
    assert last.local_date == TODAY and last.kind is NightKind.MAIN
    assert last.end.time() < time(11, 0)
    tags = SimulatorAdapter(persona, 5, TODAY).fetch_tags(TODAY - timedelta(days=60), TODAY + timedelta(days=5))
    assert all(t.local_date <= TODAY for t in tags)


def test_deep_sleep_is_front_loaded_and_rem_back_loaded() -> None:
    for night in _mains(Persona.HEALTHY):
        early = [s for s in night.segments if s.end <= night.midpoint]
        late = [s for s in night.segments if s.start >= night.midpoint]

        def seconds(segments, stage):
            return sum(s.seconds for s in segments if s.stage is stage)

        assert seconds(early, Stage.DEEP) > 2 * seconds(late, Stage.DEEP)
        assert seconds(late, Stage.REM) > seconds(early, Stage.REM)


# --- healthy norms and each persona's signature ---------------------------------------------------------


def test_healthy_nights_sit_inside_adult_norms() -> None:
    nights = _mains(Persona.HEALTHY)[:-1]  # the story night aside
    assert 7 <= _mean(nights, lambda n: n.total_sleep_s / 3600) <= 8.5
    assert 0.13 <= _mean(nights, _share("deep")) <= 0.23
    assert 0.19 <= _mean(nights, _share("rem")) <= 0.26
    assert 5 <= _mean(nights, lambda n: n.latency_s / 60) <= 20
    assert 88 <= _mean(nights, lambda n: n.efficiency_pct) <= 96
    assert 95 <= _mean(nights, lambda n: n.spo2_avg_pct) <= 98
    assert 90 <= _mean(nights, lambda n: n.spo2_min_pct) <= 94
    assert 12 <= _mean(nights, lambda n: n.resp_rate_bpm) <= 18
    assert 45 <= _mean(nights, lambda n: n.hr_lowest_bpm) <= 65
    assert abs(_mean(nights, lambda n: n.skin_temp_dev_c)) < 0.3
    assert _mean(nights, lambda n: n.score) > 80


@pytest.fixture(scope="module")
def healthy() -> list[Night]:
    return _mains(Persona.HEALTHY)


def test_insomnia_has_long_latency_and_low_efficiency(healthy: list[Night]) -> None:
    nights = _mains(Persona.INSOMNIA)
    assert 30 <= _mean(nights, lambda n: n.latency_s / 60) <= 90
    assert 45 <= _mean(nights, lambda n: n.awake_s / 60) <= 120
    assert 65 <= _mean(nights, lambda n: n.efficiency_pct) <= 80
    assert _mean(nights, lambda n: n.latency_s) > 3 * _mean(healthy, lambda n: n.latency_s)
    assert _mean(nights, lambda n: n.efficiency_pct) < _mean(healthy, lambda n: n.efficiency_pct) - 10


def test_apnea_has_desaturations_fast_breathing_and_fragmented_sleep(healthy: list[Night]) -> None:
    nights = _mains(Persona.APNEA)
    assert 80 <= _mean(nights, lambda n: n.spo2_min_pct) <= 87
    assert 92 <= _mean(nights, lambda n: n.spo2_avg_pct) <= 94
    assert 17 <= _mean(nights, lambda n: n.resp_rate_bpm) <= 21
    assert _mean(nights, lambda n: n.spo2_min_pct) < _mean(healthy, lambda n: n.spo2_min_pct) - 5
    assert _mean(nights, lambda n: n.resp_rate_bpm) > _mean(healthy, lambda n: n.resp_rate_bpm) + 2
    assert _mean(nights, lambda n: n.awakenings) > 3 * _mean(healthy, lambda n: n.awakenings)
    assert "snoring" in " ".join(persona_profile(Persona.APNEA).conditions)


def test_older_adult_has_less_deep_sleep_and_lower_hrv(healthy: list[Night]) -> None:
    nights = _mains(Persona.OLDER_ADULT)
    assert 0.05 <= _mean(nights, _share("deep")) <= 0.12
    assert _mean(nights, _share("deep")) < 0.6 * _mean(healthy, _share("deep"))
    assert _mean(nights, lambda n: n.hrv_rmssd_ms) < _mean(healthy, lambda n: n.hrv_rmssd_ms)
    naps = [n for n in _nights(Persona.OLDER_ADULT) if n.kind is NightKind.NAP]
    assert naps and all(time(12, 0) <= n.start.time() <= time(16, 0) for n in naps)


def test_short_sleeper_sleeps_5_to_6_hours(healthy: list[Night]) -> None:
    nights = _mains(Persona.SHORT_SLEEPER)
    assert 5 <= _mean(nights, lambda n: n.total_sleep_s / 3600) <= 6
    assert _mean(nights, lambda n: n.total_sleep_s) < _mean(healthy, lambda n: n.total_sleep_s) - 3600
    assert sum(7 * 3600 - n.total_sleep_s for n in nights[-7:]) > 7 * 3600  # a week's debt past 7 hours


def test_shift_worker_has_irregular_bedtimes_and_day_sleeps(healthy: list[Night]) -> None:
    nights = _mains(Persona.SHIFT_WORKER)
    spread = statistics.pstdev(n.bedtime_minutes for n in nights)
    assert spread > 60 and spread > 3 * statistics.pstdev(n.bedtime_minutes for n in healthy)
    assert _mean(nights, lambda n: n.total_sleep_s) < _mean(healthy, lambda n: n.total_sleep_s)
    adapter = SimulatorAdapter(Persona.SHIFT_WORKER, 7, TODAY)
    tags = adapter.fetch_tags(TODAY - timedelta(days=29), TODAY)
    shifts = {t.local_date for t in tags if t.kind is TagKind.NIGHT_SHIFT}
    day_sleeps = {n.local_date for n in nights if time(7, 0) <= n.start.time() <= time(10, 0)}
    assert shifts and shifts == day_sleeps
    assert any(n.kind is NightKind.NAP for n in _nights(Persona.SHIFT_WORKER))
    assert persona_profile(Persona.SHIFT_WORKER).shift_work


def test_evening_alcohol_lowers_rem_and_hrv_on_tagged_nights() -> None:
    adapter = SimulatorAdapter(Persona.EVENING_ALCOHOL, 7, TODAY)
    start = TODAY - timedelta(days=29)
    tags: dict[date, set[TagKind]] = {}
    for tag in adapter.fetch_tags(start, TODAY):
        tags.setdefault(tag.local_date, set()).add(tag.kind)
    nights = adapter.fetch_nights(start, TODAY)
    drinking = [n for n in nights if TagKind.ALCOHOL in tags.get(n.local_date, ())]
    sober = [n for n in nights if not tags.get(n.local_date)]
    assert len(drinking) >= 5 and len(sober) >= 5
    assert _mean(drinking, _share("rem")) < 0.85 * _mean(sober, _share("rem"))
    assert _mean(drinking, lambda n: n.hrv_rmssd_ms) < 0.88 * _mean(sober, lambda n: n.hrv_rmssd_ms)
    assert _mean(drinking, lambda n: n.hr_lowest_bpm) > _mean(sober, lambda n: n.hr_lowest_bpm) + 2
    assert any(TagKind.LATE_CAFFEINE in kinds for kinds in tags.values())


def test_healthy_logs_workouts_sometimes() -> None:
    tags = SimulatorAdapter(Persona.HEALTHY, 7, TODAY).fetch_tags(TODAY - timedelta(days=29), TODAY)
    workouts = [t for t in tags if t.kind is TagKind.WORKOUT]
    assert 5 <= len(workouts) <= 25


# --- story nights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_healthy_story_night_is_a_late_coffee_with_little_deep_sleep(seed: int) -> None:
    adapter = SimulatorAdapter(Persona.HEALTHY, seed, TODAY)
    *before, story = adapter.fetch_nights(TODAY - timedelta(days=14), TODAY)
    assert story.local_date == TODAY and len(before) == 14
    assert TagKind.LATE_CAFFEINE in {t.kind for t in adapter.fetch_tags(TODAY, TODAY)}
    assert story.deep_s <= 0.75 * _mean(before, lambda n: n.deep_s)
    assert story.latency_s > max(n.latency_s for n in before)
    assert story.hrv_rmssd_ms < _mean(before, lambda n: n.hrv_rmssd_ms)
    assert abs(story.total_sleep_s - _mean(before, lambda n: n.total_sleep_s)) < 3600  # the rest is normal
    assert story.score < _mean(before, lambda n: n.score)


@pytest.mark.parametrize("seed", range(3))
def test_every_story_night_is_that_personas_worst(seed: int) -> None:
    def story_and_rest(persona: Persona) -> tuple[Night, list[Night]]:
        *rest, story = _mains(persona, seed, days=15)
        return story, rest

    story, rest = story_and_rest(Persona.INSOMNIA)
    assert story.latency_s >= 80 * 60 and story.efficiency_pct < min(n.efficiency_pct for n in rest)
    story, rest = story_and_rest(Persona.APNEA)
    assert story.spo2_min_pct <= 82 and story.awakenings > 1.3 * _mean(rest, lambda n: n.awakenings)
    story, rest = story_and_rest(Persona.SHORT_SLEEPER)
    assert story.total_sleep_s < 5 * 3600 and story.total_sleep_s < _mean(rest, lambda n: n.total_sleep_s) - 2700
    story, rest = story_and_rest(Persona.OLDER_ADULT)
    assert story.segments[-1].stage is Stage.AWAKE and story.segments[-1].seconds >= 70 * 60  # woke far too early
    story, rest = story_and_rest(Persona.EVENING_ALCOHOL)
    adapter = SimulatorAdapter(Persona.EVENING_ALCOHOL, seed, TODAY)
    tagged = {t.local_date for t in adapter.fetch_tags(rest[0].local_date, TODAY)}
    sober = [n for n in rest if n.local_date not in tagged]
    assert _share("rem")(story) < 0.7 * _mean(sober, _share("rem"))
    assert story.hrv_rmssd_ms < 0.8 * _mean(sober, lambda n: n.hrv_rmssd_ms)
    story, rest = story_and_rest(Persona.SHIFT_WORKER)
    assert story.start.time() >= time(21, 0) and story.latency_s >= 40 * 60  # back on nights, against the clock
    assert rest[-1].start.time() < time(10, 0) < rest[-1].end.time()  # after a day sleep


# --- profiles and time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(Persona))
def test_each_persona_has_a_usable_profile(persona: Persona) -> None:
    profile = persona_profile(persona)
    assert profile.name and profile.goals and profile.sex
    assert profile.habits.caffeine_cups_per_day is not None
    assert SimulatorAdapter(persona, 0, TODAY).zone.key == profile.timezone
    profile.goals.append("edited")
    assert "edited" not in persona_profile(persona).goals
    assert (profile.age_band is AgeBand.OLDER) == (persona is Persona.OLDER_ADULT)


@pytest.mark.parametrize(
    ("tz", "change_day", "before", "after"),
    [
        ("Europe/Berlin", date(2025, 3, 30), 1, 2),
        ("Europe/Berlin", date(2025, 10, 26), 2, 1),
        ("America/New_York", date(2025, 11, 2), -4, -5),
    ],
)
@pytest.mark.parametrize("persona", [Persona.HEALTHY, Persona.SHIFT_WORKER, Persona.OLDER_ADULT])
def test_nights_across_a_dst_change_keep_their_length_and_date(
    tz: str, change_day: date, before: int, after: int, persona: Persona
) -> None:
    nights = _nights(persona, 4, days=10, today=change_day + timedelta(days=3), tz=tz)
    for night in nights:
        _check_night(night)
        assert sum(s.seconds for s in night.segments) == night.time_in_bed_s

    def hours(moment) -> float:
        return moment.utcoffset() / timedelta(hours=1)

    night = next(n for n in nights if n.local_date == change_day and n.kind is NightKind.MAIN)
    if night.start.date() < change_day:  # an overnight sleep spans the change: the wall clock jumps an hour
        assert (hours(night.start), hours(night.end)) == (before, after)
        wall = night.end.replace(tzinfo=None) - night.start.replace(tzinfo=None)
        assert wall - timedelta(seconds=night.time_in_bed_s) == timedelta(hours=after - before)
    assert hours(nights[0].start) == before and hours(nights[-1].end) == after


def test_tz_override_moves_the_clock_not_the_sleep() -> None:
    berlin = _nights(Persona.HEALTHY, 1, days=3)
    tokyo = _nights(Persona.HEALTHY, 1, days=3, tz="Asia/Tokyo")
    assert [n.start.time() for n in berlin] == [n.start.time() for n in tokyo]
    assert [n.total_sleep_s for n in berlin] == [n.total_sleep_s for n in tokyo]
    assert all(n.start.utcoffset() == timedelta(hours=9) for n in tokyo)
