"""Apple Health: the `export.xml` that the Health app's "Export All Health Data" writes (or the `export.zip`
around it, member `apple_health_export/export.xml`) as canonical nights, read in one streaming pass within the
limits below. This module reads the file; the `nights` module makes the nights from what the pass kept.

Sources: HealthKit documentation, developer.apple.com/documentation/healthkit (HKCategoryValueSleepAnalysis,
HKQuantityTypeIdentifier.appleSleepingWristTemperature, HKMetadataKeyTimeZone); the export's own DTD; an
element census of a real 3.1 GB export (neiltron/apple-health-mcp docs/reference/apple-health-export-xml.md).

Payload facts relied on:
- One root `HealthData`, an internal DTD (ELEMENT/ATTLIST declarations only, never an ENTITY), then
  `Record` elements (attributes `type`, `sourceName`, `unit`, `value`, `startDate`, `endDate`, children
  `MetadataEntry key= value=`) among `Workout`, `ActivitySummary`, `Correlation` and others. Records inside a
  `Correlation` repeat top-level records, so only top-level records are read. Exports reach gigabytes, hence
  `iterparse`, every element cleared and dropped from its parent once read (a top-level record keeps its
  `MetadataEntry` children until it is read), and vitals kept as two `array('d')` (16 bytes a sample). Nesting
  is shallow (at most 4 levels: `Record` > `HeartRateVariabilityMetadataList` > `InstantaneousBeatsPerMinute`,
  `Workout` > `WorkoutRoute` > `FileReference`), the DTD declares no default attribute value, and the only text
  is the whitespace between elements.
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
- One timeline per period, never a sum: at each instant the record of highest priority decides the stage (a
  sweep over the period's boundaries with the covering records in a heap: n log n, however many overlap):
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

Limits: an upload is read in the bot's own process, so a file that would take unbounded time or memory is
refused with a PayloadError that says which limit it passed (the bot shows it to the user). Every real export
passes them: the largest documented is 3.1 GB (some 8 million records at about 400 bytes each), read here at
about 20 MB/s (bench/apple_health.py). Memory stays bounded: at most MAX_RECORDS vitals samples (16 bytes
each) and MAX_SLEEP_RECORDS sleep records are kept; the parser holds one top-level element at a time, at most
MAX_DEPTH deep and MAX_CHILDREN children wide, and at most MAX_QUIET_BYTES of one tag or text; a sleep period
of more than MAX_PERIOD_RECORDS records is rejected (listed in `Parsed.rejected`) rather than merged. The
whole import, merge included, stops at MAX_PARSE_S. The limits are module constants, read at each call.
"""

from __future__ import annotations

import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from integrations.apple_health.nights import SLEEP_VALUES, VENDOR, VITALS, Series, SleepRecord, build_nights
from integrations.base import Parsed, PayloadError, parse_records, parse_time

__all__ = ["MAX_CHILDREN", "MAX_DEPTH", "MAX_PARSE_S", "MAX_PERIOD_RECORDS", "MAX_QUIET_BYTES", "MAX_RECORDS",
           "MAX_SLEEP_RECORDS", "MAX_XML_BYTES", "VENDOR", "ZIP_MEMBER", "parse_export", "read_export"]

ZIP_MEMBER = "apple_health_export/export.xml"
SLEEP_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"
SLEEP_VALUE_PREFIX = "HKCategoryValueSleepAnalysis"
MAX_RECORD_S = 24 * 3600

# Limits (see the module docstring). Each is well above what the heaviest real export needs.
MAX_XML_BYTES = 8_000_000_000  # export.xml unpacked: 2.5x the largest documented export (3.1 GB)
MAX_RECORDS = 20_000_000  # top-level records: 8 GB at ~400 bytes a record; as vitals, at most 320 MB kept
MAX_SLEEP_RECORDS = 1_000_000  # ~100 a night from every source for 25 years; ~120 bytes each kept
MAX_PERIOD_RECORDS = 200_000  # in one sleep period (else rejected): a real one has a few hundred; ~90 MB to merge
MAX_DEPTH = 16  # element nesting: a real export nests 4 deep (root included)
MAX_CHILDREN = 10_000  # children of one element below the root: a real one has a few hundred at most
MAX_QUIET_BYTES = 1_000_000  # read with no element starting or ending: a real DTD, the longest, is ~10 KB
MAX_PARSE_S = 600.0  # a whole import: the 3.1 GB export takes ~155 s here; room for a server 4x slower


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """`export.xml`, or the `export.zip` the Health app writes (its export.xml is streamed, never extracted)."""
    try:
        with path.open("rb") as stream:
            return parse_export(stream, tz)
    except OSError as exc:
        raise PayloadError(f"{VENDOR}: cannot read {path.name}: {exc}") from exc


def parse_export(stream: BinaryIO, tz: tzinfo) -> Parsed:
    """Nights from an export.xml stream, or from a seekable stream holding the export.zip. `tz` is the user's
    timezone: it dates a night whose records carry no HKTimeZone, and reads a timestamp without an offset.
    PayloadError for a file that cannot be read, or that passes one of the limits."""
    deadline = _Deadline(MAX_PARSE_S)
    if not _is_zip(stream):
        return _parse_xml(stream, tz, deadline)
    with _unzipped(stream) as member:
        try:
            return _parse_xml(member, tz, deadline)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise PayloadError(f"{VENDOR}: a damaged export.zip: {exc}") from exc


@contextmanager
def _unzipped(stream: BinaryIO) -> Iterator[BinaryIO]:
    """The export.zip's export.xml, opened for streaming once the size the zip declares for it is within the cap
    (a bomb's is refused before a byte is unpacked; `_Reader` counts what actually comes, as a header may lie)."""
    try:
        archive = zipfile.ZipFile(stream)
        info = archive.getinfo(_export_member(archive))
        if info.file_size > MAX_XML_BYTES:
            raise PayloadError(f"{VENDOR}: the export.xml unpacks to {_size(info.file_size)}, more than the "
                               f"{_size(MAX_XML_BYTES)} an import may read")
        member = archive.open(info)
    except PayloadError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:  # ValueError: an offset past the file
        raise PayloadError(f"{VENDOR}: a damaged export.zip: {exc}") from exc
    except NotImplementedError as exc:  # a compression method or zip feature that zipfile does not implement
        raise PayloadError(f"{VENDOR}: an export.zip packed in a way this importer cannot unpack ({exc})") from exc
    with archive, member:
        yield member


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


def _size(count: float) -> str:
    return f"{count / 1e9:.3g} GB" if count >= 1e9 else f"{count / 1e6:.3g} MB"


class _Deadline:
    """The time one import may take; `check` raises PayloadError once it has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise PayloadError(f"{VENDOR}: reading the export took more than {self.seconds:g} s, the most an "
                               "import may take")


class _Reader:
    """The export.xml stream as the parser reads it (16 KB at a time): counts the bytes that actually come
    (a zip's header may lie), and checks the deadline and the bytes since the parser last reported an element."""

    def __init__(self, stream: BinaryIO, deadline: _Deadline) -> None:
        self.stream, self.deadline = stream, deadline
        self.count = 0  # bytes read
        self.mark = 0  # bytes read when the parser last reported an element starting or ending

    def read(self, size: int = -1) -> bytes:
        self.deadline.check()
        if self.count - self.mark > MAX_QUIET_BYTES:
            raise PayloadError(f"{VENDOR}: the export.xml runs more than {_size(MAX_QUIET_BYTES)} without a single "
                               "element starting or ending (one endless tag, text or DTD)")
        data = self.stream.read(size)
        self.count += len(data)
        if self.count > MAX_XML_BYTES:
            raise PayloadError(f"{VENDOR}: the export.xml is larger than {_size(MAX_XML_BYTES)}, the most an "
                               "import may read")
        return data


def _parse_xml(stream: BinaryIO, tz: tzinfo, deadline: _Deadline) -> Parsed:
    export = _Export(tz)
    parsed = parse_records(VENDOR, _records(stream, deadline), export.add,
                           describe=lambda record: record.get("type", "?"))
    return parsed.extend(build_nights(export.sleep, export.series, tz, deadline.check, MAX_PERIOD_RECORDS))


def _records(stream: BinaryIO, deadline: _Deadline) -> Iterator[Element]:
    """The top-level `Record` elements, each cleared (and dropped from the root) once the caller has read it;
    every other element is cleared and dropped from its parent when it ends, but a top-level record's
    `MetadataEntry` children, kept until the record is read. Any ENTITY declaration (billion laughs, external
    or parameter entities) stops the parse at once: nothing is fetched, nothing expands; so does a default
    attribute value in the DTD (expat would add it to every element that lacks the attribute)."""
    reader = _Reader(stream, deadline)
    parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.parser.AttlistDeclHandler = _refuse_attribute_default
    opened: list[Element] = []  # the open elements, the root first
    children: list[int] = []  # how many children each open element has had
    records = sleep_records = 0
    try:
        for event, element in iterparse(reader, events=("start", "end"), parser=parser):
            reader.mark = reader.count
            if event == "start":
                if not opened:
                    _root(element)
                elif len(opened) > 1:  # the root alone holds millions
                    children[-1] += 1
                    if children[-1] > MAX_CHILDREN:
                        raise PayloadError(f"{VENDOR}: an element <{opened[-1].tag[:40]}> holds more than "
                                           f"{MAX_CHILDREN:,} child elements")
                opened.append(element)
                children.append(0)
                if len(opened) > MAX_DEPTH:
                    raise PayloadError(f"{VENDOR}: the export.xml nests elements more than {MAX_DEPTH} deep")
                continue
            opened.pop()
            children.pop()
            if len(opened) == 1:  # a top-level element
                if element.tag == "Record":
                    records += 1
                    if records > MAX_RECORDS:
                        raise PayloadError(f"{VENDOR}: the export holds more than {MAX_RECORDS:,} records, the "
                                           "most an import may read")
                    if element.get("type") == SLEEP_TYPE:
                        sleep_records += 1
                        if sleep_records > MAX_SLEEP_RECORDS:
                            raise PayloadError(f"{VENDOR}: the export holds more than {MAX_SLEEP_RECORDS:,} sleep "
                                               "records, the most an import may read")
                    yield element
                element.clear()
                opened[0].clear()
            elif opened:
                parent = opened[-1]
                if len(opened) == 2 and parent.tag == "Record" and element.tag == "MetadataEntry":
                    continue  # read with its record
                element.clear()
                if len(parent) and parent[-1] is element:
                    del parent[-1]
    except DefusedXmlException as exc:
        raise PayloadError(f"{VENDOR}: refused an export.xml that declares XML entities ({exc})") from exc
    except ParseError as exc:
        raise PayloadError(f"{VENDOR}: not a readable export.xml: {exc}") from exc


def _root(element: Element) -> None:
    if element.tag != "HealthData":
        raise PayloadError(f"{VENDOR}: not an Apple Health export: the root element is <{element.tag[:40]}>")


def _refuse_attribute_default(element: str, attribute: str, kind: str, default: str | None, required: bool) -> None:
    if default is not None:
        raise PayloadError(f"{VENDOR}: refused an export.xml whose DTD declares a default value for the attribute "
                           f"{attribute[:40]} of <{element[:40]}>, which no Health app export does")


class _Export:
    """What one pass over the file keeps: the sleep records, and the vitals samples as compact columns. The
    short texts of the sleep records (value, source, zone) are shared, not one copy per record."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.sleep: list[SleepRecord] = []
        self.series = {name: Series() for name in VITALS}
        self._types = {identifier: (name, convert) for name, (identifier, convert) in VITALS.items()}
        self._texts: dict[str, str] = {value: value for value in SLEEP_VALUES}

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

    def _sleep_record(self, record: Element) -> SleepRecord:
        value = record.attrib["value"].removeprefix(SLEEP_VALUE_PREFIX)
        if value not in SLEEP_VALUES:
            raise ValueError(f"unknown sleep analysis value {value!r}")
        start, end = self._interval(record)
        zone = next((entry.get("value") for entry in record.iter("MetadataEntry")
                     if entry.get("key") == "HKTimeZone"), None)
        return SleepRecord(start, end, self._shared(value), self._shared(record.get("sourceName", "")),
                           None if zone is None else self._shared(zone))

    def _shared(self, text: str) -> str:
        return self._texts.setdefault(text, text)
