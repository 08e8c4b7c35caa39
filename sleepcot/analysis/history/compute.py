"""A plan run over the user's own nights: the figures a history answer states, each a `Fact` with its
subject, computed here exactly (the model only phrases them), and the nights they rest on.

Main sleeps only (one per local date: the longest, when two sources recorded the same night), naps when the
plan measures naps. Clock times are read in the user's timezone. A summary of too few nights is not made:
the result says how many there are and how many it needs.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sleepcot.analysis.history.habits import HABIT_DAYS, HABIT_MIN_NIGHTS, Uncertainty, compare_means
from sleepcot.analysis.history.periods import date_range, keeps, names
from sleepcot.analysis.history.plan import Aggregate, CompareKind, Days, Measure, Period, PeriodKind, Plan
from sleepcot.analysis.norms import NORMS, need_norm
from sleepcot.domain import Fact, Metric, Night, NightKind, NightValue, Profile, Relation, TagKind, Unit

EARLIEST = date(2000, 1, 1)  # "all my nights" starts here
NOON = 12 * 60
# The fewest nights each aggregate is worked out from (a mean of one night is no mean).
MIN_NIGHTS = {Aggregate.MEAN: 2, Aggregate.MEDIAN: 3, Aggregate.STDEV: 3, Aggregate.TOTAL: 1, Aggregate.MIN: 1,
              Aggregate.MAX: 1, Aggregate.COUNT: 0, Aggregate.TREND: 7}
TREND_MIN_DAYS = 14  # a trend spans at least two weeks
WEEK = 7


class HistorySource(Protocol):
    """Where a plan reads the user's nights (a `UserStore`)."""

    def profile(self) -> Profile: ...

    def history(self, start: date, end: date, *, kind: NightKind = NightKind.MAIN, column: str | None = None,
                habit: Iterable[TagKind] = ()) -> list[NightValue]: ...

    def latest_night(self, kind: NightKind = NightKind.MAIN) -> Night | None: ...


@dataclass(frozen=True)
class Point:
    day: date
    value: float


@dataclass(frozen=True)
class Side:
    """One set of nights and what the plan's aggregate makes of them."""

    name: str  # period | compared | weekends | weekdays | with | without
    start: date
    end: date
    points: list[Point]
    figure: float | None = None  # the aggregate; None: too few nights
    day: date | None = None  # the night of a lowest or highest value
    matched: int | None = None  # nights meeting the threshold (a count)
    first_week: float | None = None  # a trend's first and last week's means, and its change per week
    last_week: float | None = None
    per_week: float | None = None

    @property
    def nights(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class HistoryResult:
    plan: Plan
    today: date
    main: Side
    other: Side | None = None
    difference: float | None = None  # main minus other
    uncertainty: Uncertainty | None = None
    needed: int = 0  # nights each side needs
    facts: list[Fact] = field(default_factory=list)
    counted_back: bool = False  # nothing was recorded near today: `today` is the latest night's date instead

    @property
    def enough(self) -> bool:
        sides = [self.main] if self.other is None else [self.main, self.other]
        return all(s.figure is not None or (self.plan.aggregate is Aggregate.COUNT) for s in sides)

    @property
    def unit(self) -> Unit:
        return self.plan.info.unit

    def as_dict(self) -> dict[str, Any]:
        def side(s: Side | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {"name": s.name, "start": s.start.isoformat(), "end": s.end.isoformat(), "figure": s.figure,
                    "day": s.day.isoformat() if s.day else None, "matched": s.matched, "first_week": s.first_week,
                    "last_week": s.last_week, "per_week": s.per_week,
                    "nights": [{"date": p.day.isoformat(), "value": p.value} for p in s.points]}

        return {"plan": self.plan.model_dump(mode="json"), "today": self.today.isoformat(),
                "counted_back": self.counted_back, "unit": self.unit.value,
                "enough": self.enough, "needed": self.needed, "main": side(self.main), "other": side(self.other),
                "difference": self.difference,
                "uncertainty": None if self.uncertainty is None else vars(self.uncertainty),
                "facts": [f.model_dump(mode="json") for f in self.facts]}


def _clock(minutes: float, continue_past_midnight: bool) -> float:
    """A clock time in minutes; a bedtime after midnight continues past 24:00, so 00:30 comes after 23:30."""
    return minutes + 1440 if continue_past_midnight and minutes < NOON else minutes


def _minutes(moment: datetime) -> float:
    """Minutes after the local midnight, to the second: a spread or a mean is not rounded before it is made."""
    return moment.hour * 60 + moment.minute + moment.second / 60


def _value(night: NightValue, measure: Measure, zone: ZoneInfo, need_s: float) -> float | None:
    if measure is Measure.BEDTIME or measure is Measure.MIDSLEEP:
        bedtime = _clock(_minutes(night.start.astimezone(zone)), True)
        if measure is Measure.BEDTIME:
            return bedtime
        return bedtime + (night.end - night.start).total_seconds() / 120
    if measure is Measure.WAKE:
        return _minutes(night.end.astimezone(zone))
    if measure is Measure.SLEEP_DEBT:
        return max(0.0, need_s - night.total_sleep_s)
    return night.value


def _one_per_date(nights: list[NightValue]) -> list[NightValue]:
    """The main sleep of each local date: the longest, where several sources recorded one."""
    best: dict[date, NightValue] = {}
    for night in nights:
        kept = best.get(night.local_date)
        if kept is None or night.total_sleep_s > kept.total_sleep_s:
            best[night.local_date] = night
    return [best[day] for day in sorted(best)]


def threshold_value(plan: Plan) -> float:
    """The threshold in the measure's canonical unit (seconds; a clock time continuing past midnight)."""
    threshold = plan.threshold
    value = threshold.value
    if threshold.unit is Unit.HOURS:
        value *= 3600
    elif threshold.unit is Unit.MINUTES:
        value *= 60 if plan.info.unit is Unit.SECONDS else 1
    elif threshold.unit is Unit.CLOCK:
        value = _clock(int(value), plan.measure in (Measure.BEDTIME, Measure.MIDSLEEP))
    return value


def _summarize(plan: Plan, side: Side) -> Side:
    values = [p.value for p in side.points]
    aggregate, n = plan.aggregate, len(values)
    if aggregate is Aggregate.COUNT:
        if plan.threshold is None:
            return _with(side, figure=float(n), matched=n)
        limit = threshold_value(plan)
        below, or_equal = plan.threshold.below, plan.threshold.or_equal
        matched = sum(1 for v in values if (v < limit if below else v > limit) or (or_equal and v == limit))
        return _with(side, figure=float(matched), matched=matched)
    if n < max(1, MIN_NIGHTS[aggregate]):
        return side
    if aggregate is Aggregate.MEAN:
        return _with(side, figure=statistics.fmean(values))
    if aggregate is Aggregate.MEDIAN:
        return _with(side, figure=statistics.median(values))
    if aggregate is Aggregate.STDEV:
        return _with(side, figure=statistics.stdev(values))
    if aggregate is Aggregate.TOTAL:
        return _with(side, figure=float(sum(values)))
    if aggregate in (Aggregate.MIN, Aggregate.MAX):
        pick = min if aggregate is Aggregate.MIN else max
        point = pick(side.points, key=lambda p: p.value)  # the first such night, where several tie
        return _with(side, figure=point.value, day=point.day)
    return _trend(side)


def _trend(side: Side) -> Side:
    """Least-squares change per week, and the mean of the period's first and last seven days."""
    points = side.points
    if (points[-1].day - points[0].day).days + 1 < TREND_MIN_DAYS:
        return side
    xs = [(p.day - points[0].day).days for p in points]
    x_mean, y_mean = statistics.fmean(xs), statistics.fmean(p.value for p in points)
    spread = sum((x - x_mean) ** 2 for x in xs)
    slope = sum((x - x_mean) * (p.value - y_mean) for x, p in zip(xs, points)) / spread
    first = [p.value for p in points if (p.day - side.start).days < WEEK]
    last = [p.value for p in points if (side.end - p.day).days < WEEK]
    if not first or not last:
        return side
    return _with(side, figure=slope * WEEK, per_week=slope * WEEK, first_week=statistics.fmean(first),
                 last_week=statistics.fmean(last))


def _with(side: Side, **changes: Any) -> Side:
    return Side(**{**side.__dict__, **changes})


def _side(name: str, start: date, end: date, nights: list[NightValue], plan: Plan, period: Period, zone: ZoneInfo,
          need_s: float, keep: Any = None) -> Side:
    points = [Point(n.local_date, v) for n in nights
              if start <= n.local_date <= end and keeps(period, n.local_date) and (keep is None or keep(n))
              and (v := _value(n, plan.measure, zone, need_s)) is not None]
    return _summarize(plan, Side(name, start, end, points))


RELATIVE = (PeriodKind.LAST_NIGHTS, PeriodKind.THIS_WEEK, PeriodKind.LAST_WEEK, PeriodKind.THIS_MONTH,
            PeriodKind.LAST_MONTH)


def run(plan: Plan, source: HistorySource, today: date) -> HistoryResult:
    """Run `plan` over the user's nights (one query), `today` being the user's local date. When a period
    counted back from today holds no night at all and the user's nights end earlier (a wearable not worn
    lately, an old export imported), the plan is counted back from their latest night instead, and says so."""
    if plan.measure is Measure.QUALITY:  # the score where the nights have one, else the total sleep
        scored = run(plan.model_copy(update={"measure": Measure.SCORE}), source, today)
        sides = [side for side in (scored.main, scored.other) if side is not None]
        if any(side.points for side in sides):
            return scored
        return run(plan.model_copy(update={"measure": Measure.TOTAL_SLEEP}), source, today)
    result = _run(plan, source, today)
    relative = plan.period.kind in RELATIVE or (plan.compare is not None and plan.compare.kind is CompareKind.HABIT
                                                and plan.period.kind is PeriodKind.ALL)
    if relative and not result.main.points and (result.other is None or not result.other.points):
        latest = source.latest_night(NightKind.NAP if plan.measure is Measure.NAP else NightKind.MAIN)
        if latest is not None and latest.local_date < result.main.start:
            moved = _run(plan, source, latest.local_date)
            return HistoryResult(**{**moved.__dict__, "counted_back": True})
    return result


def _run(plan: Plan, source: HistorySource, today: date) -> HistoryResult:
    profile = source.profile()
    zone, need_s = profile.tz, NORMS[need_norm(profile.age_band)].value * 3600
    compare = plan.compare
    habit = compare.habit if compare is not None and compare.kind is CompareKind.HABIT else ()
    if habit and plan.period.kind is PeriodKind.ALL:
        start, end = today - timedelta(days=HABIT_DAYS - 1), today
    else:
        start, end = date_range(plan.period, today, EARLIEST)
    query_start, query_end = start, end
    if compare is not None and compare.kind is CompareKind.PERIOD:
        other_start, other_end = date_range(compare.period, today, EARLIEST)
        query_start, query_end = min(start, other_start), max(end, other_end)
    kind = NightKind.NAP if plan.measure is Measure.NAP else NightKind.MAIN
    nights = source.history(query_start, query_end, kind=kind, column=plan.info.column, habit=habit)
    if kind is NightKind.MAIN:
        nights = _one_per_date(nights)
    if plan.period.kind is PeriodKind.ALL and nights:  # all my nights, or a habit's window, from the first one
        start = max(start, nights[0].local_date) if habit else nights[0].local_date
    other, needed = None, MIN_NIGHTS[plan.aggregate]
    if compare is None:
        main = _side("period", start, end, nights, plan, plan.period, zone, need_s)
    elif compare.kind is CompareKind.PERIOD:
        main = _side("period", start, end, nights, plan, plan.period, zone, need_s)
        if compare.period.kind is PeriodKind.ALL and nights:
            other_start = nights[0].local_date
        other = _side("compared", other_start, other_end, nights, plan, compare.period, zone, need_s)
    elif compare.kind is CompareKind.DAYS:
        weekends, weekdays = (plan.period.model_copy(update={"days": d}) for d in (Days.WEEKENDS, Days.WEEKDAYS))
        main = _side("weekends", start, end, nights, plan, weekends, zone, need_s)
        other = _side("weekdays", start, end, nights, plan, weekdays, zone, need_s)
    else:
        main = _side("with", start, end, nights, plan, plan.period, zone, need_s, keep=lambda n: n.tagged)
        other = _side("without", start, end, nights, plan, plan.period, zone, need_s, keep=lambda n: not n.tagged)
        needed = HABIT_MIN_NIGHTS
        if main.nights < needed or other.nights < needed:
            main, other = _with(main, figure=None), _with(other, figure=None)
    difference = uncertainty = None
    if other is not None and main.figure is not None and other.figure is not None:
        difference = main.figure - other.figure
        if habit:
            uncertainty = compare_means([p.value for p in main.points], [p.value for p in other.points])
    result = HistoryResult(plan, today, main, other, difference, uncertainty, needed)
    return HistoryResult(**{**result.__dict__, "facts": facts_of(result)})


def _facts(key: str, label: str, value: float, unit: Unit, subjects: tuple[Metric, ...],
           relations: tuple[Relation, ...], periods: frozenset[str] = frozenset()) -> list[Fact]:
    return [Fact(key=key, label=label, value=value, unit=unit, subject=subject, relation=relation, periods=periods)
            for subject in subjects for relation in relations]


def _names(plan: Plan, side: Side) -> frozenset[str]:
    """What a reply may call a side's nights (`periods.names`)."""
    if side.name == "compared":
        period = plan.compare.period
    elif side.name in (Days.WEEKENDS.value, Days.WEEKDAYS.value):
        period = plan.period.model_copy(update={"days": Days(side.name)})
    else:
        period = plan.period
    return names(period, side.start, side.end)


COUNTED = ((Metric.NIGHTS,), (Relation.COUNT,))
STATED = (Relation.AGGREGATE, Relation.VALUE, Relation.BASELINE)  # a period's figure: its aggregate and its value
CHANGED = (Relation.CHANGE, Relation.VALUE)


def facts_of(result: HistoryResult) -> list[Fact]:
    """Every figure a history answer may state, with its subject. A period's figure is both the aggregate and,
    for the period it is said of, its value; a difference is a change. A spread of a clock time is a duration,
    which the guard reads as of the schedule's regularity as well."""
    plan, info = result.plan, result.plan.info
    about = (info.subject,)
    clock = info.unit is Unit.CLOCK
    change_unit = Unit.NIGHTS if plan.aggregate is Aggregate.COUNT else Unit.MINUTES if clock else info.unit
    facts = _facts("history.needed", "nights needed", result.needed, Unit.NIGHTS, *COUNTED)
    for period in (plan.period, plan.compare.period if plan.compare else None):
        if period is not None and period.kind is PeriodKind.LAST_NIGHTS:
            facts += _facts("history.period_nights", "nights in the period", period.nights, Unit.NIGHTS, *COUNTED)
    if plan.threshold is not None:
        facts += _facts("history.threshold", "the threshold asked about", threshold_value(plan), info.unit, about,
                        (Relation.VALUE, Relation.NORM))
    sides = [side for side in (result.main, result.other) if side is not None]
    for side in sides:
        key, label = f"history.{side.name}", f"{plan.measure.value} {plan.aggregate.value}, {side.name}"
        called = _names(plan, side)
        facts += _facts(f"{key}.nights", f"nights, {side.name}", side.nights, Unit.NIGHTS, *COUNTED, called)
        if side.figure is None:
            continue
        if plan.aggregate is Aggregate.COUNT:
            facts += _facts(f"{key}.count", label, side.figure, Unit.NIGHTS, *COUNTED, called)
            if plan.measure is Measure.NAP:  # "you took 3 naps": a count of sleeps, not of nights
                facts += _facts(f"{key}.naps", "naps", side.figure, Unit.COUNT, about, (Relation.VALUE, Relation.COUNT),
                                called)
        elif plan.aggregate is Aggregate.TREND:  # its first and last weeks are within the period, not all of it
            facts += _facts(f"{key}.per_week", label, side.per_week, change_unit, about, CHANGED)
            for which in ("first_week", "last_week"):
                facts += _facts(f"{key}.{which}", f"{label}, {which}", getattr(side, which), info.unit, about, STATED)
            facts += _facts(f"{key}.change", f"{label}, change", side.last_week - side.first_week, change_unit, about,
                            (Relation.CHANGE,))
        elif plan.aggregate is Aggregate.STDEV:
            facts += _facts(f"{key}.figure", label, side.figure, change_unit, (info.subject, Metric.REGULARITY), STATED,
                            called)
        else:
            facts += _facts(f"{key}.figure", label, side.figure, info.unit, about, STATED, called)
    if result.difference is not None:  # of both sides: "3 min more this week than last week"
        facts += _facts("history.difference", f"{plan.measure.value} difference", result.difference, change_unit, about,
                        CHANGED, frozenset().union(*(_names(plan, side) for side in sides)))
    if result.uncertainty is not None:
        for bound in ("low", "high"):
            facts += _facts(f"history.interval.{bound}", f"95% interval of the difference, {bound}",
                            getattr(result.uncertainty, bound), change_unit, about, (Relation.VALUE,))  # not the change
    return facts
