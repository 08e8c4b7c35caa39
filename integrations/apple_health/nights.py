"""Apple Health: nights from what one pass over the export kept (the sleep records, the vitals columns). How
periods are joined, merged into one timeline, dated, told main sleep from nap and given their vitals is set
out in the package's docstring (`integrations.apple_health`). The merge is n log n in the records; the loops
over periods and nights check the import's deadline (`check_time`)."""

from __future__ import annotations

import logging
import statistics
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from heapq import heappop, heappush
from itertools import pairwise

from integrations.base import Parsed, from_epoch, iana_zone, parse_records, plausible
from sleepcot.domain import Night, NightKind, Segment, Stage

log = logging.getLogger(__name__)

VENDOR = "apple_health"
PERIOD_GAP_S = 60 * 60
NAP_MAX_SLEEP_S = 3 * 3600
DAYTIME_MINUTES = (10 * 60, 20 * 60)  # local clock, [10:00, 20:00)
TEMP_BASELINE_DAYS = 60
TEMP_BASELINE_NIGHTS = 5

STAGED_VALUES = {"AsleepCore": Stage.LIGHT, "AsleepDeep": Stage.DEEP, "AsleepREM": Stage.REM}
SLEEP_VALUES = {"InBed", "Asleep", "AsleepUnspecified", "Awake", *STAGED_VALUES}
ASLEEP = {Stage.LIGHT, Stage.DEEP, Stage.REM, Stage.ASLEEP}


def _celsius(value: float, unit: str | None) -> float:
    if unit == "degC":
        return value
    if unit == "degF":
        return (value - 32) * 5 / 9
    raise ValueError(f"unknown temperature unit {unit!r}")


# the quantity types read, by series name: type identifier and the conversion to the canonical unit
VITALS: dict[str, tuple[str, Callable[[float, str | None], float]]] = {
    "hr": ("HKQuantityTypeIdentifierHeartRate", lambda value, unit: value),
    "spo2": ("HKQuantityTypeIdentifierOxygenSaturation", lambda value, unit: value * 100),
    "resp": ("HKQuantityTypeIdentifierRespiratoryRate", lambda value, unit: value),
    "wrist_temp": ("HKQuantityTypeIdentifierAppleSleepingWristTemperature", _celsius),
}


@dataclass(frozen=True, slots=True)
class SleepRecord:
    start: float  # Unix seconds
    end: float
    value: str  # the HKCategoryValueSleepAnalysis name without its prefix, e.g. "AsleepCore"
    source: str
    zone: str | None  # HKTimeZone metadata


@dataclass
class Series:
    """Samples of one quantity as compact (time, value) columns; time is the sample's midpoint in Unix s."""

    times: array = field(default_factory=lambda: array("d"))
    values: array = field(default_factory=lambda: array("d"))


def build_nights(records: list[SleepRecord], series: dict[str, Series], tz: tzinfo,
                 check_time: Callable[[], None], max_period_records: int) -> Parsed:
    """The nights of every sleep period; `check_time` is called between periods (it raises past the deadline).
    A period of more than `max_period_records` records (a real night has a few hundred at most) is rejected,
    so that merging it cannot take unbounded memory; the other periods are still read."""
    sleeps: list[_Sleep] = []
    rejected: list[str] = []
    for period in _periods(records):
        check_time()
        if len(period) > max_period_records:
            log.warning("%s: rejected a sleep period of more than %d records", VENDOR, max_period_records)
            rejected.append(f"{VENDOR}: rejected the sleep period from {_utc(period[0].start)}: its "
                            f"{len(period):,} records are more than the {max_period_records:,} one period may hold")
        elif sleep := _Sleep.of(period, tz):
            sleeps.append(sleep)
    check_time()
    kinds = _kinds(sleeps)
    vitals = _vitals(series, sleeps, check_time)
    return Parsed(rejected=rejected).extend(parse_records(
        VENDOR, zip(sleeps, kinds, vitals, strict=True), lambda item: _night(*item),
        describe=lambda item: item[0].vendor_id))


def _utc(moment: float) -> str:
    return f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%dT%H:%M:%SZ}"


def _periods(records: list[SleepRecord]) -> list[list[SleepRecord]]:
    """Overlapping or nearly touching records (gaps up to PERIOD_GAP_S) as one sleep period each."""
    periods: list[list[SleepRecord]] = []
    reach = 0.0
    for record in sorted(records, key=lambda r: (r.start, r.end)):
        if not periods or record.start > reach + PERIOD_GAP_S:
            periods.append([])
            reach = record.end
        periods[-1].append(record)
        reach = max(reach, record.end)
    return periods


@dataclass(frozen=True)
class _Sleep:
    """One period's timeline: (start, end, stage) segments in Unix seconds, and the zone it is dated in."""

    segments: list[tuple[float, float, Stage]]
    zone: tzinfo

    @classmethod
    def of(cls, records: list[SleepRecord], fallback: tzinfo) -> _Sleep | None:
        segments = _timeline(records)
        if not any(stage in ASLEEP for _, _, stage in segments):
            return None
        last_zone = next((r.zone for r in sorted(records, key=lambda r: r.end, reverse=True) if r.zone), None)
        return cls(segments, _zone(last_zone) or fallback)

    @property
    def start(self) -> float:
        return self.segments[0][0]

    @property
    def end(self) -> float:
        return self.segments[-1][1]

    @property
    def vendor_id(self) -> str:
        return f"ah-{_utc(self.start)}"

    def local(self, moment: float) -> datetime:
        return from_epoch(moment, self.zone)

    def seconds(self, stages: set[Stage]) -> int:
        return round(sum(end - start for start, end, stage in self.segments if stage in stages))


_zone = lru_cache(maxsize=64)(iana_zone)


def _timeline(records: list[SleepRecord]) -> list[tuple[float, float, Stage]]:
    """Sweep the period's boundaries; in each stretch the covering record of highest priority decides (of
    equals, the first in start order). The covering records are a heap on (priority, start order), and one
    that has ended is dropped when it comes to the top: n log n, however many records overlap."""
    staged: dict[str, float] = {}
    for record in records:
        if record.value in STAGED_VALUES:
            staged[record.source] = staged.get(record.source, 0.0) + record.end - record.start
    stagers = sorted(staged, key=lambda source: (-staged[source], source))
    rank = {source: len(stagers) - index for index, source in enumerate(stagers)}
    ranked = sorted(((r.start, r.end, *_priority(r, rank)) for r in records), key=lambda item: item[0])
    bounds = sorted({r.start for r in records} | {r.end for r in records})
    segments: list[tuple[float, float, Stage]] = []
    covering: list[tuple[int, int, int, float, Stage]] = []  # (-level, -source rank, start order, end, stage)
    following = 0
    for left, right in pairwise(bounds):
        while following < len(ranked) and ranked[following][0] <= left:
            _, end, level, source_rank, stage = ranked[following]
            heappush(covering, (-level, -source_rank, following, end, stage))
            following += 1
        while covering and covering[0][3] <= left:
            heappop(covering)
        if not covering:
            continue  # a gap no source covers
        stage = covering[0][4]
        if segments and segments[-1][2] is stage and segments[-1][1] == left:
            segments[-1] = (segments[-1][0], right, stage)
        else:
            segments.append((left, right, stage))
    return segments


def _priority(record: SleepRecord, rank: dict[str, int]) -> tuple[int, int, Stage]:
    """(level, source rank, stage): staged sources' stages, then asleep without a stage, then in bed."""
    if record.value in STAGED_VALUES:
        return 3, rank[record.source], STAGED_VALUES[record.value]
    if record.value == "Awake" and record.source in rank:
        return 3, rank[record.source], Stage.AWAKE
    if record.value in ("Asleep", "AsleepUnspecified"):
        return 2, 0, Stage.ASLEEP
    return 1, 0, Stage.AWAKE


def _kinds(sleeps: list[_Sleep]) -> list[NightKind]:
    """Short daytime periods are naps; of the rest ending on one local date, the longest sleep is the main."""
    kinds = [NightKind.NAP] * len(sleeps)
    main: dict[date, int] = {}
    for index, sleep in enumerate(sleeps):
        if _daytime_nap(sleep):
            continue
        day = sleep.local(sleep.end).date()
        if day not in main or _length(sleep) > _length(sleeps[main[day]]):
            main[day] = index
    for index in main.values():
        kinds[index] = NightKind.MAIN
    return kinds


def _length(sleep: _Sleep) -> tuple[int, int]:
    return sleep.seconds(ASLEEP), sleep.seconds(set(Stage))


def _daytime_nap(sleep: _Sleep) -> bool:
    middle = sleep.local((sleep.start + sleep.end) / 2)
    minutes = middle.hour * 60 + middle.minute
    return sleep.seconds(ASLEEP) < NAP_MAX_SLEEP_S and DAYTIME_MINUTES[0] <= minutes < DAYTIME_MINUTES[1]


@dataclass
class _Stats:
    count: int = 0
    total: float = 0.0
    lowest: float = float("inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.lowest = min(self.lowest, value)

    @property
    def mean(self) -> float:
        return self.total / self.count


def _per_period(series: Series, sleeps: list[_Sleep]) -> list[_Stats | None]:
    """Each sample into the period that holds it (periods never overlap), in one pass over the samples."""
    starts, ends = [s.start for s in sleeps], [s.end for s in sleeps]
    stats: list[_Stats | None] = [None] * len(sleeps)
    for moment, value in zip(series.times, series.values, strict=True):
        index = bisect_right(starts, moment) - 1
        if index >= 0 and moment <= ends[index]:
            stats[index] = stats[index] or _Stats()
            stats[index].add(value)
    return stats


def _vitals(series: dict[str, Series], sleeps: list[_Sleep], check_time: Callable[[], None],
            ) -> list[dict[str, float | None]]:
    """The Night's vitals fields for each sleep (sleeps are in time order)."""
    hr, spo2, resp, wrist = (_per_period(series[name], sleeps) for name in VITALS)
    deviations = _skin_temp_deviations(series["wrist_temp"], sleeps, wrist, check_time)
    return [
        {
            "hr_avg_bpm": _rounded("hr_avg_bpm", hr[i] and hr[i].mean),
            "hr_lowest_bpm": _rounded("hr_lowest_bpm", hr[i] and hr[i].lowest),
            "spo2_avg_pct": _rounded("spo2_avg_pct", spo2[i] and spo2[i].mean),
            "spo2_min_pct": _rounded("spo2_min_pct", spo2[i] and spo2[i].lowest),
            "resp_rate_bpm": _rounded("resp_rate_bpm", resp[i] and resp[i].mean),
            "skin_temp_dev_c": plausible("skin_temp_dev_c", deviations[i]),
        }
        for i in range(len(sleeps))
    ]


def _rounded(field_name: str, value: float | None) -> float | None:
    return plausible(field_name, None if value is None else round(value, 1))


def _skin_temp_deviations(series: Series, sleeps: list[_Sleep], nightly: list[_Stats | None],
                          check_time: Callable[[], None]) -> list[float | None]:
    """The night's wrist temperature minus the median of the user's own values in the 60 days before it."""
    history = sorted(zip(series.times, series.values, strict=True))
    times = [moment for moment, _ in history]
    deviations: list[float | None] = []
    for sleep, night in zip(sleeps, nightly, strict=True):
        check_time()  # a real export has one wrist temperature a night; a crafted one, millions a window
        first = bisect_left(times, sleep.start - TEMP_BASELINE_DAYS * 86400)
        before = [value for _, value in history[first:bisect_left(times, sleep.start)]]
        if night is None or len(before) < TEMP_BASELINE_NIGHTS:
            deviations.append(None)
        else:
            deviations.append(round(night.mean - statistics.median(before), 2))
    return deviations


def _night(sleep: _Sleep, kind: NightKind, vitals: dict[str, float | None]) -> Night:
    segments = sleep.segments
    first_asleep = next(i for i, (_, _, stage) in enumerate(segments) if stage in ASLEEP)
    last_asleep = max(i for i, (_, _, stage) in enumerate(segments) if stage in ASLEEP)
    in_bed, asleep = sleep.seconds(set(Stage)), sleep.seconds(ASLEEP)
    latency = round(sum(end - start for start, end, _ in segments[:first_asleep]))
    staged = any(stage in STAGED_VALUES.values() for _, _, stage in segments)
    return Night(
        source=VENDOR,
        vendor_id=sleep.vendor_id,
        start=sleep.local(sleep.start),
        end=sleep.local(sleep.end),
        kind=kind,
        time_in_bed_s=in_bed,
        total_sleep_s=asleep,
        latency_s=latency,
        awake_s=in_bed - asleep - latency,
        deep_s=sleep.seconds({Stage.DEEP}) if staged else None,
        light_s=sleep.seconds({Stage.LIGHT}) if staged else None,
        rem_s=sleep.seconds({Stage.REM}) if staged else None,
        awakenings=sum(1 for _, _, stage in segments[first_asleep:last_asleep] if stage is Stage.AWAKE),
        segments=[Segment(start=sleep.local(start), end=sleep.local(end), stage=stage)
                  for start, end, stage in segments],
        **vitals,
    )
