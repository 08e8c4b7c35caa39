"""Apple Health: the `export.xml` that the Health app's "Export All Health Data" writes (or the `export.zip`
around it, member `apple_health_export/export.xml`) as canonical nights, read in one streaming pass.

Sources: HealthKit documentation, developer.apple.com/documentation/healthkit (HKCategoryValueSleepAnalysis,
HKQuantityTypeIdentifier.appleSleepingWristTemperature, HKMetadataKeyTimeZone); the export's own DTD; an
element census of a real 3.1 GB export (neiltron/apple-health-mcp docs/reference/apple-health-export-xml.md).

Payload facts relied on:
- One root `HealthData`, an internal DTD (ELEMENT/ATTLIST declarations only, never an ENTITY), then
  `Record` elements (attributes `type`, `sourceName`, `unit`, `value`, `startDate`, `endDate`, children
  `MetadataEntry key= value=`) among `Workout`, `ActivitySummary`, `Correlation` and others. Records inside a
  `Correlation` repeat top-level records, so only top-level records are read. Exports reach gigabytes, hence
  `iterparse`, every element cleared once read, and vitals kept as two `array('d')` (16 bytes a sample).
- Timestamps look like "2024-01-01 03:27:53 +0200". The offset is the exporting phone's at the moment of
  the export, not the one in force at the instant: the shared fixture, exported in June in Amsterdam, writes
  January records with +0200 (Amsterdam is +0100 in January), and the census shows an October New York record
  written -0500. So only the instant is trusted; the local offset comes from the sleep records' `HKTimeZone`
  metadata (an IANA name, written by the Watch), else from the user's `tz`.
- `HKCategoryTypeIdentifierSleepAnalysis` values: `InBed`; `Asleep` (until iOS 16) and `AsleepUnspecified`;
  `Awake`; `AsleepCore` (AASM N1+N2: stored as light), `AsleepDeep` (N3), `AsleepREM`. Several sources overlap
  in one night (the iPhone's InBed, the Watch's stages, apps such as AutoSleep with unspecified asleep).
- `HKQuantityTypeIdentifierHeartRate` (count/min), `OxygenSaturation` (a fraction, 0.97 = 97 %),
  `RespiratoryRate` (count/min): samples anywhere in the file, in no order.
- `AppleSleepingWristTemperature`: one sample a night, an ABSOLUTE wrist temperature (degC, or degF in the
  user's unit), not a deviation; Apple needs "about 5 nights" to set its own baseline.
- `HeartRateVariabilitySDNN` is SDNN, not RMSSD: it is not read (hrv_rmssd_ms stays None). `RestingHeartRate`
  is Apple's daily figure over the whole day, not the night: not read either.

How nights are made:
- Periods: every sleep record of every source, sorted by start, joined while the next one starts at most
  PERIOD_GAP_S (60 min) after the furthest end so far. Within a recorded night the sources cover it without
  holes (the Watch writes Awake stages, InBed spans the bedtime), so a gap means nobody saw the user in bed;
  60 min bridges a watch taken off for a while or sources that stop minutes apart, and still keeps a nap or
  an evening doze on the sofa apart from the night. A bridged gap counts as neither in bed nor asleep.
- One timeline per period, never a sum: at each instant the record of highest priority decides the stage:
  1. Core/Deep/REM/Awake from a source that writes stages (the Watch), the source with most staged time first;
  2. asleep without a stage (Asleep, AsleepUnspecified), from any source;
  3. InBed, or Awake from a source that writes no stages: awake in bed.
  So time asleep is the union of every source's asleep time, except where the Watch saw the user awake, and
  time in bed is the union of all records. Stage totals come from the staged segments (None when the period
  has no staged record). latency = in-bed time before the first asleep segment; awake_s = the rest of the
  in-bed time that is not asleep (wake bouts and the final wake in bed); awakenings = awake segments between
  two asleep ones. A period with no asleep time (the iPhone's InBed alone) holds no sleep: no night.
- Main sleep or nap: a period with under NAP_MAX_SLEEP_S (3 h) asleep whose local midpoint lies in the
  daytime (10:00-20:00) is a nap; of the other periods ending on one local date, the one with most sleep is
  the main sleep and the rest are naps. A shift worker's 6 h day sleep is thus a main sleep, and a 20 min
  nap on a day without a recorded night is still a nap.
- Vitals over the period [start, end]: heart rate average and lowest sample, SpO2 average and lowest (in %),
  respiratory rate average. Skin temperature: a deviation only against the user's own baseline in the same
  export, the median of the wrist temperatures of the TEMP_BASELINE_DAYS (60) days before the period, once
  there are at least TEMP_BASELINE_NIGHTS (5, as Apple) of them; otherwise None. Out-of-bounds vitals are
  dropped by `plausible`.
- vendor_id: "ah-" + the period's start in UTC ("ah-2024-01-01T01:27:53Z"): the same export imported again
  gives the same ids, and a newer export keeps them for every night whose earliest record is unchanged (it
  changes only if a record starting earlier is added to that night, e.g. a source that synced late).
"""

from __future__ import annotations

import statistics
import zipfile
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from integrations.base import Parsed, PayloadError, from_epoch, parse_records, parse_time, plausible
from sleepcot.domain import Night, NightKind, Segment, Stage

VENDOR = "apple_health"
ZIP_MEMBER = "apple_health_export/export.xml"
SLEEP_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"
SLEEP_VALUE_PREFIX = "HKCategoryValueSleepAnalysis"
PERIOD_GAP_S = 60 * 60
MAX_RECORD_S = 24 * 3600
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


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """`export.xml`, or the `export.zip` the Health app writes (its export.xml is streamed, never extracted)."""
    try:
        with path.open("rb") as stream:
            return parse_export(stream, tz)
    except OSError as exc:
        raise PayloadError(f"{VENDOR}: cannot read {path.name}: {exc}") from exc


def parse_export(stream: BinaryIO, tz: tzinfo) -> Parsed:
    """Nights from an export.xml stream, or from a seekable stream holding the export.zip. `tz` is the user's
    timezone: it dates a night whose records carry no HKTimeZone, and reads a timestamp without an offset."""
    try:
        if _is_zip(stream):
            with zipfile.ZipFile(stream) as archive, archive.open(_export_member(archive)) as member:
                return _parse_xml(member, tz)
        return _parse_xml(stream, tz)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise PayloadError(f"{VENDOR}: a damaged export.zip: {exc}") from exc


def _is_zip(stream: BinaryIO) -> bool:
    if not stream.seekable():
        return False
    position = stream.tell()
    head = stream.read(4)
    stream.seek(position)
    return head == b"PK\x03\x04"


def _export_member(archive: zipfile.ZipFile) -> str:
    names = archive.namelist()
    if ZIP_MEMBER in names:
        return ZIP_MEMBER
    for name in names:  # a re-zipped export; not a macOS "._export.xml" resource fork
        if name.endswith("export.xml") and not PurePosixPath(name).name.startswith("._"):
            return name
    raise PayloadError(f"{VENDOR}: the zip holds no export.xml")


def _parse_xml(stream: BinaryIO, tz: tzinfo) -> Parsed:
    export = _Export(tz)
    parsed = parse_records(VENDOR, _records(stream), export.add, describe=lambda record: record.get("type", "?"))
    sleeps = [sleep for sleep in (_Sleep.of(records, tz) for records in _periods(export.sleep)) if sleep]
    kinds = _kinds(sleeps)
    vitals = _vitals(export, sleeps)
    nights = parse_records(VENDOR, zip(sleeps, kinds, vitals, strict=True), lambda item: _night(*item),
                           describe=lambda item: item[0].vendor_id)
    return parsed.extend(nights)


def _records(stream: BinaryIO) -> Iterator[Element]:
    """The top-level `Record` elements, each cleared (and dropped from the root) once the caller has read it.
    Any ENTITY declaration (billion laughs, external or parameter entities) stops the parse at once: nothing
    is fetched, nothing expands."""
    root: Element | None = None
    depth = 0
    try:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=False, forbid_entities=True,
                                        forbid_external=True):
            if event == "start":
                depth += 1
                if root is None:
                    root = _root(element)
                continue
            depth -= 1
            if depth == 1:
                if element.tag == "Record":
                    yield element
                element.clear()
                root.clear()
    except DefusedXmlException as exc:
        raise PayloadError(f"{VENDOR}: refused an export.xml that declares XML entities ({exc})") from exc
    except ParseError as exc:
        raise PayloadError(f"{VENDOR}: not a readable export.xml: {exc}") from exc


def _root(element: Element) -> Element:
    if element.tag != "HealthData":
        raise PayloadError(f"{VENDOR}: not an Apple Health export: the root element is <{element.tag}>")
    return element


@dataclass(frozen=True, slots=True)
class _SleepRecord:
    start: float  # Unix seconds
    end: float
    value: str  # the HKCategoryValueSleepAnalysis name without its prefix, e.g. "AsleepCore"
    source: str
    zone: str | None  # HKTimeZone metadata


@dataclass
class _Series:
    """Samples of one quantity as compact (time, value) columns; time is the sample's midpoint in Unix s."""

    times: array = field(default_factory=lambda: array("d"))
    values: array = field(default_factory=lambda: array("d"))


class _Export:
    """What one pass over the file keeps: the sleep records, and the vitals samples as compact columns."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.sleep: list[_SleepRecord] = []
        self.series = {name: _Series() for name in VITALS}
        self._types = {identifier: (name, convert) for name, (identifier, convert) in VITALS.items()}

    def add(self, record: Element) -> None:
        kind = record.get("type")
        if kind == SLEEP_TYPE:
            self.sleep.append(self._sleep_record(record))
        elif kind in self._types:
            name, convert = self._types[kind]
            start, end = self._interval(record)
            series = self.series[name]
            value = convert(float(record.attrib["value"]), record.get("unit"))
            series.times.append((start + end) / 2)
            series.values.append(value)

    def _interval(self, record: Element) -> tuple[float, float]:
        start = parse_time(record.attrib["startDate"], self.tz).timestamp()
        end = parse_time(record.attrib["endDate"], self.tz).timestamp()
        if not 0 <= end - start <= MAX_RECORD_S:
            raise ValueError("a record must end after it starts, within 24 h")
        return start, end

    def _sleep_record(self, record: Element) -> _SleepRecord:
        value = record.attrib["value"].removeprefix(SLEEP_VALUE_PREFIX)
        if value not in SLEEP_VALUES:
            raise ValueError(f"unknown sleep analysis value {value!r}")
        start, end = self._interval(record)
        zone = next((entry.get("value") for entry in record.iter("MetadataEntry")
                     if entry.get("key") == "HKTimeZone"), None)
        return _SleepRecord(start, end, value, record.get("sourceName", ""), zone)


def _periods(records: list[_SleepRecord]) -> list[list[_SleepRecord]]:
    """Overlapping or nearly touching records (gaps up to PERIOD_GAP_S) as one sleep period each."""
    periods: list[list[_SleepRecord]] = []
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
    def of(cls, records: list[_SleepRecord], fallback: tzinfo) -> _Sleep | None:
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
        return f"ah-{datetime.fromtimestamp(self.start, UTC):%Y-%m-%dT%H:%M:%SZ}"

    def local(self, moment: float) -> datetime:
        return from_epoch(moment, self.zone)

    def seconds(self, stages: set[Stage]) -> int:
        return round(sum(end - start for start, end, stage in self.segments if stage in stages))


@lru_cache(maxsize=64)
def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _timeline(records: list[_SleepRecord]) -> list[tuple[float, float, Stage]]:
    """Sweep the period's boundaries; in each stretch the covering record of highest priority decides."""
    staged: dict[str, float] = {}
    for record in records:
        if record.value in STAGED_VALUES:
            staged[record.source] = staged.get(record.source, 0.0) + record.end - record.start
    stagers = sorted(staged, key=lambda source: (-staged[source], source))
    rank = {source: len(stagers) - index for index, source in enumerate(stagers)}
    ranked = sorted(((r.start, r.end, *_priority(r, rank)) for r in records), key=lambda item: item[0])
    bounds = sorted({r.start for r in records} | {r.end for r in records})
    segments: list[tuple[float, float, Stage]] = []
    active: list[tuple[float, float, int, int, Stage]] = []
    following = 0
    for left, right in pairwise(bounds):
        while following < len(ranked) and ranked[following][0] <= left:
            active.append(ranked[following])
            following += 1
        active = [item for item in active if item[1] > left]
        if not active:
            continue  # a gap no source covers
        stage = max(active, key=lambda item: (item[2], item[3]))[4]
        if segments and segments[-1][2] is stage and segments[-1][1] == left:
            segments[-1] = (segments[-1][0], right, stage)
        else:
            segments.append((left, right, stage))
    return segments


def _priority(record: _SleepRecord, rank: dict[str, int]) -> tuple[int, int, Stage]:
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


def _per_period(series: _Series, sleeps: list[_Sleep]) -> list[_Stats | None]:
    """Each sample into the period that holds it (periods never overlap), in one pass over the samples."""
    starts, ends = [s.start for s in sleeps], [s.end for s in sleeps]
    stats: list[_Stats | None] = [None] * len(sleeps)
    for moment, value in zip(series.times, series.values, strict=True):
        index = bisect_right(starts, moment) - 1
        if index >= 0 and moment <= ends[index]:
            stats[index] = stats[index] or _Stats()
            stats[index].add(value)
    return stats


def _vitals(export: _Export, sleeps: list[_Sleep]) -> list[dict[str, float | None]]:
    """The Night's vitals fields for each sleep (sleeps are in time order)."""
    hr, spo2, resp, wrist = (_per_period(export.series[name], sleeps) for name in VITALS)
    deviations = _skin_temp_deviations(export.series["wrist_temp"], sleeps, wrist)
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


def _skin_temp_deviations(series: _Series, sleeps: list[_Sleep], nightly: list[_Stats | None]) -> list[float | None]:
    """The night's wrist temperature minus the median of the user's own values in the 60 days before it."""
    history = sorted(zip(series.times, series.values, strict=True))
    times = [moment for moment, _ in history]
    deviations: list[float | None] = []
    for sleep, night in zip(sleeps, nightly, strict=True):
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
