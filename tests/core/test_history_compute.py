"""History plans computed over nights in the store (SQLite and PostgreSQL): the figures checked by hand, one
query per plan, only the asking user's nights, the user's timezone for clock times, and honesty about too
few nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import event

from sleepcot.analysis.history import (
    Aggregate,
    CompareKind,
    Comparison,
    Measure,
    Period,
    PeriodKind,
    Plan,
    Threshold,
    run,
)
from sleepcot.domain import Night, NightKind, Profile, Tag, TagKind, Unit

BERLIN_WINTER = timezone(timedelta(hours=1))
TODAY = date(2026, 11, 20)  # a Friday


def night(day: date, *, bed: time = time(23, 0), hours: float = 7.0, tz: timezone = BERLIN_WINTER, source: str = "oura",
          kind: NightKind = NightKind.MAIN, **values: object) -> Night:
    """A night ending on `day`, in bed from `bed` (the evening before, or `day` itself after midnight)."""
    start_day = day if bed < time(12) else day - timedelta(days=1)
    start = datetime.combine(start_day, bed, tz)
    asleep = int(hours * 3600)
    end = start + timedelta(seconds=asleep + 1800)
    return Night(source=source, vendor_id=f"{source}-{day}-{kind.value}-{bed}", start=start, end=end, local_date=day,
                 kind=kind, time_in_bed_s=asleep + 1800, total_sleep_s=asleep, **values)


def user_with(store, nights: list[Night], tags: list[Tag] = (), zone: str = "Europe/Berlin"):
    user = store.for_user(store.create_user(Profile(timezone=zone)))
    user.upsert_nights(nights)
    for tag in tags:
        user.add_tag(tag)
    return user


def days_back(n: int) -> list[date]:
    return [TODAY - timedelta(days=i) for i in range(n)][::-1]


def test_a_mean_over_the_last_nights_counts_one_main_sleep_per_date(store):
    nights = [night(d, hours=6 + i % 3) for i, d in enumerate(days_back(6))]  # 6, 7, 8, 6, 7, 8 h
    nights.append(night(TODAY, hours=5, source="apple_health"))  # the same night, recorded shorter by a second source
    nights.append(night(TODAY, bed=time(14, 0), hours=0.5, kind=NightKind.NAP))  # a nap is not a main sleep
    user = user_with(store, nights)
    result = run(Plan(period=Period(kind=PeriodKind.LAST_NIGHTS, nights=3)), user, TODAY)
    assert result.main.nights == 3
    assert result.main.figure == pytest.approx((6 + 7 + 8) * 3600 / 3)
    assert [p.day for p in result.main.points] == days_back(3)


def test_bedtimes_either_side_of_midnight_average_to_midnight_in_the_user_s_timezone(store):
    # stored in UTC (as some vendors send them): 22:30 and 23:30 UTC are 23:30 and 00:30 in Berlin
    nights = [night(days_back(2)[0], bed=time(22, 30), tz=UTC), night(TODAY, bed=time(23, 30), tz=UTC)]
    user = user_with(store, nights)
    result = run(Plan(measure=Measure.BEDTIME, period=Period(kind=PeriodKind.LAST_NIGHTS, nights=2)), user, TODAY)
    assert result.main.figure % 1440 == 0  # 24:00, not noon
    assert any(f.unit is Unit.CLOCK and f.render() == "00:00" for f in result.facts)


def test_weekend_nights_are_those_ending_on_saturday_and_sunday(store):
    nights = [night(d, hours=9 if d.weekday() >= 5 else 6) for d in days_back(14)]
    user = user_with(store, nights)
    result = run(Plan(compare=Comparison(kind=CompareKind.DAYS)), user, TODAY)
    assert (result.main.name, result.main.nights, result.main.figure) == ("weekends", 4, 9 * 3600)
    assert (result.other.name, result.other.nights, result.other.figure) == ("weekdays", 10, 6 * 3600)
    assert result.difference == 3 * 3600


def test_a_count_under_a_threshold_and_the_worst_night_of_a_named_month(store):
    october = [date(2026, 10, d) for d in range(1, 32)]
    nights = [night(d, hours=7.5 if d.day % 4 else 5.5) for d in october] + [night(date(2026, 11, 3), hours=3)]
    user = user_with(store, nights)
    count = run(Plan(aggregate=Aggregate.COUNT, threshold=Threshold(below=True, value=7, unit=Unit.HOURS),
                     period=Period(kind=PeriodKind.MONTH, month=10)), user, TODAY)
    assert (count.main.matched, count.main.nights) == (7, 31)  # the 4th, 8th, ... 28th
    worst = run(Plan(aggregate=Aggregate.MIN, period=Period(kind=PeriodKind.MONTH, month=10)), user, TODAY)
    assert (worst.main.figure, worst.main.day) == (5.5 * 3600, date(2026, 10, 4))  # November's 3 h is not October's


def test_a_trend_is_the_change_per_week_and_the_first_and_last_weeks(store):
    nights = [night(d, hrv_rmssd_ms=40 + i) for i, d in enumerate(days_back(28))]  # +1 ms a day
    user = user_with(store, nights)
    result = run(Plan(measure=Measure.HRV, aggregate=Aggregate.TREND, period=Period(kind=PeriodKind.LAST_NIGHTS, nights=28)),
                 user, TODAY)
    assert result.main.per_week == pytest.approx(7.0)
    assert (result.main.first_week, result.main.last_week) == (43.0, 64.0)


def test_a_period_with_one_night_is_not_averaged(store):
    user = user_with(store, [night(TODAY)])
    result = run(Plan(period=Period(kind=PeriodKind.THIS_WEEK)), user, TODAY)
    assert result.main.nights == 1 and result.main.figure is None and not result.enough


def test_a_habit_compares_logged_nights_with_the_rest_and_says_how_sure(store):
    days = days_back(40)
    drinking = set(days[::3])
    nights = [night(d, deep_s=3000 if d in drinking else 4800 + 60 * (i % 5)) for i, d in enumerate(days)]
    user = user_with(store, nights, [Tag(local_date=d, kind=TagKind.ALCOHOL) for d in drinking])
    plan = Plan(measure=Measure.DEEP, compare=Comparison(kind=CompareKind.HABIT, habit=(TagKind.ALCOHOL,)))
    result = run(plan, user, TODAY)
    assert (result.main.nights, result.other.nights) == (len(drinking), 40 - len(drinking))
    assert result.main.figure == 3000 and result.difference < -1500
    assert result.uncertainty.p_value < 0.01 and result.uncertainty.high < 0 and not result.uncertainty.could_be_chance


def test_a_habit_logged_too_rarely_is_not_compared(store):
    days = days_back(30)
    nights = [night(d, deep_s=4000) for d in days]
    user = user_with(store, nights, [Tag(local_date=d, kind=TagKind.ALCOHOL) for d in days[:2]])
    result = run(Plan(measure=Measure.DEEP, compare=Comparison(kind=CompareKind.HABIT, habit=(TagKind.ALCOHOL,))),
                 user, TODAY)
    assert (result.main.nights, result.other.nights, result.needed) == (2, 28, 5)
    assert result.main.figure is None and result.difference is None and not result.enough


def test_identical_nights_with_and_without_a_habit_could_be_chance(store):
    days = days_back(32)
    nights = [night(d, hrv_rmssd_ms=40 + i % 4) for i, d in enumerate(days)]  # each side has each value as often
    user = user_with(store, nights, [Tag(local_date=d, kind=TagKind.STRESS) for i, d in enumerate(days) if i // 4 % 2])
    result = run(Plan(measure=Measure.HRV, compare=Comparison(kind=CompareKind.HABIT, habit=(TagKind.STRESS,))),
                 user, TODAY)
    assert result.uncertainty.could_be_chance


def test_a_plan_reads_only_the_asking_user_s_nights_in_one_query(store):
    ann = user_with(store, [night(d, hrv_rmssd_ms=30) for d in days_back(10)],
                    [Tag(local_date=d, kind=TagKind.ALCOHOL) for d in days_back(10)])
    ben = user_with(store, [night(d, hrv_rmssd_ms=80) for d in days_back(10)])
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "nights" in statement:
            statements.append(statement)

    engine = store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = run(Plan(measure=Measure.HRV, compare=Comparison(kind=CompareKind.HABIT, habit=(TagKind.ALCOHOL,))),
                     ben, TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert result.main.nights == 0 and {p.value for p in result.other.points} == {80.0}  # Ann's tags are not Ben's
    assert {p.value for p in run(Plan(measure=Measure.HRV), ann, TODAY).main.points} == {30.0}


def test_an_old_history_is_counted_back_from_its_latest_night_and_says_so(store):
    old = date(2024, 3, 10)
    user = user_with(store, [night(old - timedelta(days=i), hours=6 + i % 2) for i in range(10)])
    result = run(Plan(period=Period(kind=PeriodKind.LAST_NIGHTS, nights=4)), user, TODAY)
    assert result.counted_back and result.today == old
    assert result.main.nights == 4 and result.main.figure == pytest.approx(6.5 * 3600)
    recent = run(Plan(period=Period(kind=PeriodKind.MONTH, month=3, year=2024)), user, TODAY)
    assert not recent.counted_back and recent.main.nights == 10  # a named period is never moved
