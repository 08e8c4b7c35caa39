"""The expected answer to a history question, worked out plainly from the user's nights and tags — written
apart from `sleepcot.analysis.history` (and importing nothing of it), so that the evaluation checks the
product against a second reading of the same rules rather than against itself:

- one main night per local date (the longest total sleep, where two sources recorded one); a night belongs
  to the local date it ends on; naps are all the naps;
- bedtime: the night's start in the user's timezone, in minutes after midnight, plus 1440 when before noon
  (00:30 continues 23:30); wake: the end's minutes; mid-sleep: bedtime plus half the time from start to end;
- sleep debt: the night's shortfall under the sleep the user's age needs (the norms table);
- periods: the last N days (N local dates ending today), this week (Monday to today), last week (the Monday
  to Sunday before), this or last month, a named month (the latest one not after today), since a date,
  between two dates, or every night; weekends are nights whose local date is a Saturday or Sunday;
- a mean needs 2 nights, a median or spread 3, a trend 7 spanning 14 days, a habit 5 on each side (over the
  last 90 days unless the question names a period);
- a trend is the least-squares slope per week, with the means of the period's first and last seven days.

A spec (the bank's `reference`): {"measure", "statistic", "period": {"kind", ...; "days"}, "threshold":
{"op": "<" | "<=" | ">" | ">=", "value", "unit"}, "compare": {"period": {...}} | {"days": "weekends"} |
{"habit": [kinds]}}.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sleepcot.analysis.norms import NORMS, need_norm
from sleepcot.domain import Night, NightKind, Profile, Tag, Unit

FIELDS = {
    "total_sleep": "total_sleep_s", "time_in_bed": "time_in_bed_s", "deep": "deep_s", "rem": "rem_s",
    "light": "light_s", "awake": "awake_s", "latency": "latency_s", "efficiency": "efficiency_pct",
    "awakenings": "awakenings", "hrv": "hrv_rmssd_ms", "heart_rate": "hr_avg_bpm", "lowest_heart_rate": "hr_lowest_bpm",
    "breathing": "resp_rate_bpm", "spo2": "spo2_avg_pct", "lowest_spo2": "spo2_min_pct",
    "temperature": "skin_temp_dev_c", "score": "score", "nap": "total_sleep_s",
}
CLOCKS = ("bedtime", "wake", "midsleep")
MEASURES = (*FIELDS, *CLOCKS, "sleep_debt")
UNITS: dict[str, Unit] = {
    **{m: Unit.SECONDS for m in ("total_sleep", "time_in_bed", "deep", "rem", "light", "awake", "latency", "nap",
                                 "sleep_debt")},
    **{m: Unit.PERCENT for m in ("efficiency", "spo2", "lowest_spo2")},
    **{m: Unit.CLOCK for m in CLOCKS},
    "awakenings": Unit.COUNT, "hrv": Unit.MS, "heart_rate": Unit.BPM, "lowest_heart_rate": Unit.BPM,
    "breathing": Unit.BREATHS, "temperature": Unit.CELSIUS, "score": Unit.SCORE,
}
STATISTICS = ("mean", "median", "min", "max", "total", "count", "stdev", "trend")
PERIODS = ("last_days", "last_weeks", "this_week", "last_week", "this_month", "last_month", "month", "since",
           "between", "all")
FEWEST = {"mean": 2, "median": 3, "stdev": 3, "trend": 7, "total": 1, "min": 1, "max": 1, "count": 0}
HABIT_FEWEST = 5
HABIT_DAYS = 90
TREND_DAYS = 14
THRESHOLD_UNITS = {"h": 3600.0, "min": 60.0}


@dataclass(frozen=True)
class Expected:
    """What a right answer states. `kind`: value | extreme | count | compare | trend | too_few. `unit`: the
    figures' unit (clock times as minutes after midnight); `change_unit`: that of a difference or a spread
    (seconds, for durations and clock times)."""

    kind: str
    unit: Unit
    change_unit: Unit
    value: float | None = None  # value, extreme, count
    days: tuple[date, ...] = ()  # an extreme's night(s) (all of them, where several tie)
    main: float | None = None  # compare: the question's side, the other, main minus other
    other: float | None = None
    difference: float | None = None
    per_week: float | None = None  # trend
    first_week: float | None = None
    last_week: float | None = None
    nights: int = 0  # on the question's side (compare: the smaller side)
    needed: int = 0  # too_few: nights each side needs
    span: int = 0  # too_few, of a trend: the days its nights must span
    values: tuple[float, ...] = ()  # too_few: the few nights' own values (a reply may state one of them)
    sides: dict[str, Any] = field(default_factory=dict)  # what each side was (dates, nights), for reading reports

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "unit": self.unit.value}
        for name in ("value", "main", "other", "difference", "per_week", "first_week", "last_week"):
            if getattr(self, name) is not None:
                out[name] = round(getattr(self, name), 3)
        if self.days:
            out["days"] = [d.isoformat() for d in self.days]
        if self.kind == "too_few":
            out.update(nights=self.nights, needed=self.needed)
        return {**out, **self.sides}

    def describe(self) -> str:
        """The expected figures as a person reads them ("7 h 23 min on 2026-10-14")."""
        from sleepcot.units import format_value

        def show(value: float | None, unit: Unit) -> str:
            if value is None:
                return "?"
            if unit is Unit.CELSIUS:
                return f"{value:+.2f} °C"
            text = format_value(value, unit)
            return f"{text} ({value:.2f})" if unit in (Unit.PERCENT, Unit.BREATHS, Unit.MS, Unit.BPM, Unit.SCORE,
                                                      Unit.COUNT) and value != round(value) else text

        def change(value: float | None) -> str:
            if value is None or self.change_unit is Unit.CELSIUS:
                return show(value, self.change_unit)
            if self.change_unit is Unit.SECONDS and abs(value) < 60:
                return f"{value / 60:+.1f} min"
            return ("-" if value < 0 else "+") + show(abs(value), self.change_unit)

        if self.kind == "too_few":
            return f"too few nights ({self.nights}, needs {self.needed}{f' over {self.span} days' if self.span else ''})"
        if self.kind == "count":
            return f"{int(self.value)} nights"
        if self.kind == "extreme":
            return f"{show(self.value, self.unit)} on {', '.join(d.isoformat() for d in self.days)}"
        if self.kind == "compare":
            return (f"{show(self.main, self.unit)} vs {show(self.other, self.unit)} "
                    f"(difference {change(self.difference)})")
        if self.kind == "trend":
            return (f"{change(self.per_week)} per week; first week {show(self.first_week, self.unit)}, "
                    f"last week {show(self.last_week, self.unit)}")
        return show(self.value, self.unit)


# --- periods ------------------------------------------------------------------------------------------
def _month_end(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)


def period_dates(period: dict[str, Any], today: date, first_night: date | None) -> tuple[date, date]:
    """The first and last local date a period covers."""
    kind = period["kind"]
    if kind == "last_days":
        return today - timedelta(days=period["n"] - 1), today
    if kind == "last_weeks":
        return today - timedelta(days=7 * period["n"] - 1), today
    if kind == "this_week":
        return today - timedelta(days=today.weekday()), today
    if kind == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if kind == "this_month":
        return today.replace(day=1), today
    if kind == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if kind == "month":
        month = period["month"]
        year = period.get("year") or (today.year if month <= today.month else today.year - 1)
        start = date(year, month, 1)
        return start, min(_month_end(start), today)
    if kind == "since":
        return date.fromisoformat(period["start"]), today
    if kind == "between":
        return date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    if kind == "all":
        return first_night or today, today
    raise ValueError(f"unknown period kind {kind!r}")


def _day_kept(period: dict[str, Any], day: date) -> bool:
    days = period.get("days", "all")
    return day.weekday() >= 5 if days == "weekends" else day.weekday() < 5 if days == "weekdays" else True


# --- each night's value ------------------------------------------------------------------------------------
def _local_minutes(moment, profile: Profile) -> float:
    local = moment.astimezone(profile.tz)
    return local.hour * 60 + local.minute + local.second / 60


def night_value(night: Night, measure: str, profile: Profile) -> float | None:
    if measure in ("bedtime", "midsleep"):
        bedtime = _local_minutes(night.start, profile)
        bedtime += 1440 if bedtime < 720 else 0
        return bedtime if measure == "bedtime" else bedtime + (night.end - night.start).total_seconds() / 120
    if measure == "wake":
        return _local_minutes(night.end, profile)
    if measure == "sleep_debt":
        return max(0.0, NORMS[need_norm(profile.age_band)].value * 3600 - night.total_sleep_s)
    value = getattr(night, FIELDS[measure])
    return None if value is None else float(value)


def main_nights(nights: list[Night]) -> list[Night]:
    """One main night per local date: the one with the longest total sleep (the first, where two tie)."""
    best: dict[date, Night] = {}
    for night in sorted(nights, key=lambda n: (n.local_date, n.start)):
        if night.kind is NightKind.MAIN and (night.local_date not in best
                                             or night.total_sleep_s > best[night.local_date].total_sleep_s):
            best[night.local_date] = night
    return [best[day] for day in sorted(best)]


# --- the statistics ---------------------------------------------------------------------------------------
def _threshold(spec: dict[str, Any], measure: str) -> tuple[str, float]:
    threshold = spec["threshold"]
    value = threshold["value"]
    unit = threshold.get("unit")
    if unit == "clock":
        hours, minutes = (int(part) for part in value.split(":"))
        value = hours * 60 + minutes
        if measure in ("bedtime", "midsleep") and value < 720:
            value += 1440
    elif unit in THRESHOLD_UNITS:
        value = value * THRESHOLD_UNITS[unit]
    return threshold["op"], float(value)


def _meets(value: float, op: str, limit: float) -> bool:
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]


def _slope(points: list[tuple[date, float]]) -> float:
    xs = [(day - points[0][0]).days for day, _ in points]
    ys = [value for _, value in points]
    x_mean, y_mean = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys)) / sum((x - x_mean) ** 2 for x in xs)


@dataclass(frozen=True)
class _Side:
    start: date
    end: date
    points: list[tuple[date, float]]

    def about(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "nights": len(self.points)}


def _enough(statistic: str, side: _Side) -> bool:
    points = side.points
    if len(points) < FEWEST[statistic]:
        return False
    if statistic == "trend":
        if (points[-1][0] - points[0][0]).days + 1 < TREND_DAYS:
            return False
        return any(d < side.start + timedelta(days=7) for d, _ in points) and \
            any(d > side.end - timedelta(days=7) for d, _ in points)
    return True


def _figure(statistic: str, side: _Side, spec: dict[str, Any], measure: str) -> float:
    values = [value for _, value in side.points]
    if statistic == "mean":
        return sum(values) / len(values)
    if statistic == "median":
        return statistics.median(values)
    if statistic == "stdev":
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    if statistic == "total":
        return float(sum(values))
    if statistic == "count":
        if "threshold" not in spec:
            return float(len(values))
        op, limit = _threshold(spec, measure)
        return float(sum(1 for v in values if _meets(v, op, limit)))
    raise ValueError(f"no single figure for {statistic!r}")


def _too_few(unit: Unit, change_unit: Unit, sides: list[_Side], needed: int, about: dict, span: int = 0) -> Expected:
    fewest = min(sides, key=lambda s: len(s.points))
    return Expected("too_few", unit, change_unit, nights=len(fewest.points), needed=needed, span=span,
                    values=tuple(v for s in sides for _, v in s.points), sides=about)


def expected(spec: dict[str, Any], nights: list[Night], tags: list[Tag], profile: Profile, today: date) -> Expected:
    """The answer `spec` asks for, from all of a user's nights (main sleeps and naps, every source) and tags;
    `today` is the user's local date."""
    measure, statistic = spec["measure"], spec["statistic"]
    unit = UNITS[measure]
    change_unit = Unit.SECONDS if unit in (Unit.CLOCK, Unit.SECONDS) else unit
    if measure == "nap":
        chosen = sorted((n for n in nights if n.kind is NightKind.NAP), key=lambda n: (n.local_date, n.start))
    else:
        chosen = main_nights(nights)
    first_night = chosen[0].local_date if chosen else None
    compare = spec.get("compare") or {}
    period = spec.get("period") or {"kind": "all"}
    if "habit" in compare and period["kind"] == "all":
        start, end = today - timedelta(days=HABIT_DAYS - 1), today
    else:
        start, end = period_dates(period, today, first_night)

    def side(first: date, last: date, of_period: dict[str, Any], keep=lambda day: True) -> _Side:
        points = [(n.local_date, v) for n in chosen if first <= n.local_date <= last and _day_kept(of_period, n.local_date)
                  and keep(n.local_date) and (v := night_value(n, measure, profile)) is not None]
        return _Side(first, last, points)

    def scaled(value: float, as_change: bool = False) -> float:
        """Clock figures stay minutes; a clock's change or spread is said in seconds, like durations."""
        return value * 60 if as_change and unit is Unit.CLOCK else value

    if not compare:
        main = side(start, end, period)
        about = {"period": main.about()}
        if not _enough(statistic, main):
            return _too_few(unit, change_unit, [main], FEWEST[statistic], about,
                            TREND_DAYS if statistic == "trend" else 0)
        if statistic in ("min", "max"):
            pick = min if statistic == "min" else max
            best = pick(v for _, v in main.points)
            days = tuple(d for d, v in main.points if v == best)
            return Expected("extreme", unit, change_unit, value=best, days=days, nights=len(main.points), sides=about)
        if statistic == "count":
            return Expected("count", Unit.NIGHTS, Unit.NIGHTS, value=_figure("count", main, spec, measure),
                            nights=len(main.points), sides=about)
        if statistic == "trend":
            first = [v for d, v in main.points if d < main.start + timedelta(days=7)]
            last = [v for d, v in main.points if d > main.end - timedelta(days=7)]
            return Expected("trend", unit, change_unit, per_week=scaled(_slope(main.points) * 7, True),
                            first_week=sum(first) / len(first), last_week=sum(last) / len(last),
                            nights=len(main.points), sides=about)
        if statistic == "stdev":
            return Expected("value", change_unit, change_unit, value=scaled(_figure("stdev", main, spec, measure), True),
                            nights=len(main.points), sides=about)
        figure = _figure(statistic, main, spec, measure)
        return Expected("value", unit, change_unit, value=figure, nights=len(main.points), sides=about)

    if "period" in compare:
        main = side(start, end, period)
        other_start, other_end = period_dates(compare["period"], today, first_night)
        other = side(other_start, other_end, compare["period"])
        needed = FEWEST[statistic]
    elif "days" in compare:
        main = side(start, end, {**period, "days": "weekends"})
        other = side(start, end, {**period, "days": "weekdays"})
        needed = FEWEST[statistic]
    else:
        kinds = set(compare["habit"])
        tagged = {t.local_date for t in tags if t.kind.value in kinds}
        main = side(start, end, period, lambda day: day in tagged)
        other = side(start, end, period, lambda day: day not in tagged)
        needed = max(HABIT_FEWEST, FEWEST[statistic])
    about = {"main": main.about(), "other": other.about()}
    if len(main.points) < needed or len(other.points) < needed:
        return _too_few(unit, change_unit, [main, other], needed, about)
    a, b = _figure(statistic, main, spec, measure), _figure(statistic, other, spec, measure)
    return Expected("compare", unit, change_unit, main=a, other=b, difference=scaled(a - b, True),
                    nights=min(len(main.points), len(other.points)), sides=about)


def expected_for(spec: dict[str, Any], source: Any, today: date) -> Expected:
    """`expected` for a user in the store: `source` is their `UserStore`."""
    return expected(spec, source.nights(None, None, kind=None), source.tags(), source.profile(), today)
