"""Which local dates a plan's period covers, counted from the user's today in their own timezone, and the
names a reply may call them by."""

from __future__ import annotations

from datetime import date, timedelta

from sleepcot.analysis.history.plan import Days, Period, PeriodKind


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(start: date) -> date:
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def date_range(period: Period, today: date, first: date | None = None) -> tuple[date, date]:
    """The first and last local date of `period` (nights belong to the date they end on). `first`: the
    user's first night, where the period is all of them."""
    kind = period.kind
    if kind is PeriodKind.LAST_NIGHTS:
        return today - timedelta(days=period.nights - 1), today
    if kind is PeriodKind.THIS_WEEK:
        return today - timedelta(days=today.weekday()), today
    if kind is PeriodKind.LAST_WEEK:
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if kind is PeriodKind.THIS_MONTH:
        return _month_start(today), today
    if kind is PeriodKind.LAST_MONTH:
        start = _month_start(_month_start(today) - timedelta(days=1))
        return start, _month_end(start)
    if kind is PeriodKind.MONTH:
        year = period.year or (today.year if period.month <= today.month else today.year - 1)
        start = date(year, period.month, 1)
        return start, min(_month_end(start), today) if start <= today else _month_end(start)
    if kind is PeriodKind.SINCE:
        return period.start, today
    if kind is PeriodKind.BETWEEN:
        return period.start, period.end
    return first or today, today


def keeps(period: Period, day: date) -> bool:
    """Whether the night ending on `day` belongs to the period's days (weekdays, weekends, or all)."""
    if period.days is Days.WEEKENDS:
        return day.weekday() >= 5
    if period.days is Days.WEEKDAYS:
        return day.weekday() < 5
    return True


NAMED = {PeriodKind.THIS_WEEK: "this_week", PeriodKind.LAST_WEEK: "last_week", PeriodKind.THIS_MONTH: "this_month",
         PeriodKind.LAST_MONTH: "last_month"}
MONTH_NAMED_DAYS = 31  # a stretch this short may be called by the month(s) it falls in


def names(period: Period, start: date, end: date) -> frozenset[str]:
    """What a reply may call the nights from `start` to `end` of `period` (the guard's names, `guard.lexicon`):
    "this_week", "last_month"…, "month:11" for each month a stretch of at most a month falls in, and
    "weekends" or "weekdays" when only those nights count."""
    out = {NAMED[period.kind]} if period.kind in NAMED else set()
    if period.kind is PeriodKind.MONTH:
        out.add(f"month:{period.month}")
    if (end - start).days < MONTH_NAMED_DAYS:
        out |= {f"month:{start.month}", f"month:{end.month}"}
    if period.days is not Days.ALL:
        out.add(period.days.value)
    return frozenset(out)
