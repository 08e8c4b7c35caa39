"""Contract tests for the Apple Health export.xml parser: the recorded fixture, overlapping sources merged as
a union, local dating across midnight and DST, main sleep vs nap, vitals, malformed records, hostile XML,
the export.zip, memory that stays bounded on a large export (measured in subprocesses), and the limits that
stop a runaway or hostile upload (zip bombs, too many records, deep or wide elements, endless tags, a deadline)
with a clear message, 100,000 overlapping records merged in seconds."""

from __future__ import annotations

import http.server
import io
import json
import logging
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations import apple_health
from integrations.apple_health import parse_export, read_export
from integrations.base import PayloadError
from sleepcot.domain import NightKind, Stage

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests/fixtures/wearables/apple_health/export_alxdrcirilo_apple-health-parser.xml"
BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
CET, CEST = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
HR = "HKQuantityTypeIdentifierHeartRate"
WATCH, IPHONE, AUTOSLEEP = "Ann's Apple Watch", "Ann's iPhone", "AutoSleep"

# An internal DTD of the kind every real export opens with: ELEMENT and ATTLIST declarations, no ENTITY.
DTD = """<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>"""


def fixture_text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def with_doctype(subset: str, text: str | None = None) -> bytes:
    """The fixture (or `text`) with `<!DOCTYPE HealthData [subset]>` after its XML declaration."""
    declaration, rest = (text or fixture_text()).split("\n", 1)
    return f"{declaration}\n<!DOCTYPE HealthData [\n{subset}\n]>\n{rest}".encode()


def record(kind: str, start: str, end: str, value: str | float, source: str = WATCH, unit: str | None = None,
           zone: str | None = None) -> str:
    """One Record as the Health app writes it; `value` of a sleep record is the name after the prefix."""
    if kind == SLEEP:
        value = f"HKCategoryValueSleepAnalysis{value}"
    unit_attribute = f' unit="{unit}"' if unit else ""
    metadata = f'<MetadataEntry key="HKTimeZone" value="{zone}"/>' if zone else ""
    return (f'<Record type="{kind}" sourceName="{source}"{unit_attribute} creationDate="{end}" startDate="{start}" '
            f'endDate="{end}" value="{value}">{metadata}</Record>\n')


def export(*records: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n' + DTD + '\n]>\n'
            '<HealthData locale="en_DE">\n<ExportDate value="2026-11-01 09:00:00 +0100"/>\n'
            + "".join(records) + "</HealthData>\n").encode()


def parse(data: bytes, tz: ZoneInfo = BERLIN):
    return parse_export(io.BytesIO(data), tz)


# --- the recorded fixture ---------------------------------------------------------------------------------

def test_fixture_read_export_hand_worked() -> None:
    parsed = read_export(FIXTURE, UTC)  # UTC on purpose: the records' HKTimeZone must date the night
    # The two sleep records do NOT overlap: the iPhone's InBed is 00:55:28-00:56:53 +0200 (85 s), the
    # Watch's AsleepCore 03:27:53-03:40:23 +0200 (750 s). The gap, 00:56:53 -> 03:27:53 = 2 h 31 min, is over
    # the 60 min that joins records into one period, so they are two periods; their union would be
    # 85 + 750 = 835 s, but the InBed-only period holds no sleep and yields no night (not a rejection).
    assert parsed.rejected == []
    [night] = parsed.nights
    # 03:27:53 +0200 = 01:27:53 UTC; the record says HKTimeZone Europe/Amsterdam, +0100 in January (the
    # "+0200" is the phone's offset when it exported, in June): 02:27:53 +01:00.
    assert night.start == datetime(2024, 1, 1, 2, 27, 53, tzinfo=CET)
    assert night.start.utcoffset() == timedelta(hours=1)
    assert night.end == datetime(2024, 1, 1, 2, 40, 23, tzinfo=CET)
    assert night.local_date == date(2024, 1, 1)
    assert night.vendor_id == "ah-2024-01-01T01:27:53Z"
    assert night.source == "apple_health"
    # 03:40:23 - 03:27:53 = 12 min 30 s = 750 s in bed, all of it AsleepCore (light)
    assert night.time_in_bed_s == 750
    assert night.total_sleep_s == 750
    assert (night.light_s, night.deep_s, night.rem_s) == (750, 0, 0)
    assert (night.latency_s, night.awake_s, night.awakenings) == (0, 0, 0)
    assert night.efficiency_pct == 100.0  # 750 / 750
    # the only period ending on 2024-01-01; 12.5 min asleep but at 02:34 local (not daytime): the main sleep
    assert night.kind is NightKind.MAIN
    # the fixture's heart-rate samples are at 01:01 +0200, before the period: no vitals
    assert (night.hr_avg_bpm, night.hr_lowest_bpm, night.hrv_rmssd_ms, night.skin_temp_dev_c) == (None,) * 4
    [segment] = night.segments
    assert (segment.stage, segment.seconds) == (Stage.LIGHT, 750)


def test_fixture_with_a_real_style_dtd_still_parses() -> None:
    nights = parse(with_doctype(DTD), UTC).nights
    assert [n.vendor_id for n in nights] == ["ah-2024-01-01T01:27:53Z"]


def test_fixture_in_export_zip(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        archive.writestr("apple_health_export/export.xml", fixture_text())
    [night] = read_export(path, UTC).nights
    assert (night.vendor_id, night.total_sleep_s) == ("ah-2024-01-01T01:27:53Z", 750)
    [night] = parse_export(io.BytesIO(path.read_bytes()), UTC).nights  # the Telegram upload path
    assert night.vendor_id == "ah-2024-01-01T01:27:53Z"


def test_zip_member_found_by_name_and_resource_forks_skipped() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__MACOSX/Health/._export.xml", b"\x00\x05\x16\x07 not xml")
        archive.writestr("Health/export.xml", fixture_text())
    buffer.seek(0)
    assert [n.total_sleep_s for n in parse_export(buffer, UTC).nights] == [750]


def test_zip_without_export_xml() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
    buffer.seek(0)
    with pytest.raises(PayloadError, match=r"no export\.xml"):
        parse_export(buffer, UTC)


# --- merging sources --------------------------------------------------------------------------------------

def three_sources() -> list[str]:
    """One night, 2024-03-11 -> 12 in Berlin (+0100), from three overlapping sources."""
    def t(clock: str, day: int = 11) -> str:
        return f"2024-03-{day} {clock}:00 +0100"

    watch = [("23:00", 11, "00:30", 12, "AsleepCore"), ("00:30", 12, "01:30", 12, "AsleepDeep"),
             ("01:30", 12, "02:30", 12, "AsleepREM"), ("02:30", 12, "02:45", 12, "Awake"),
             ("02:45", 12, "05:00", 12, "AsleepCore"), ("05:00", 12, "06:15", 12, "AsleepREM")]
    return [
        record(SLEEP, t("22:30"), t("06:45", 12), "InBed", IPHONE),
        record(SLEEP, t("22:50"), t("06:40", 12), "AsleepUnspecified", AUTOSLEEP),
        *(record(SLEEP, t(a, da), t(b, db), value, WATCH, zone="Europe/Berlin") for a, da, b, db, value in watch),
    ]


def test_three_overlapping_sources_make_a_union_not_a_sum() -> None:
    [night] = parse(export(*three_sources())).nights
    # iPhone InBed    22:30-06:45                                   29700 s
    # AutoSleep       22:50-06:40 asleep (unspecified)              28200 s
    # Watch           23:00-00:30 core, 00:30-01:30 deep, 01:30-02:30 REM, 02:30-02:45 AWAKE,
    #                 02:45-05:00 core, 05:00-06:15 REM             25200 s asleep
    # A sum would be 28200 + 25200 = 53400 s asleep, more than the 29700 s in bed.
    # Timeline (highest priority wins): 22:30-22:50 in bed, awake (1200) | 22:50-23:00 AutoSleep asleep (600)
    # | Watch stages 23:00-06:15, its Awake 02:30-02:45 (900) winning over AutoSleep's asleep
    # | 06:15-06:40 AutoSleep asleep (1500) | 06:40-06:45 in bed, awake (300).
    assert night.time_in_bed_s == 29700  # union 22:30 -> 06:45
    assert night.total_sleep_s == 27300  # 600 + 25200 + 1500 = 29700 - 1200 - 900 - 300
    assert night.total_sleep_s != 28200 + 25200
    assert night.latency_s == 1200  # 22:50 - 22:30
    assert night.awake_s == 1200  # 29700 - 27300 - 1200: the 02:30 bout (900) and the final 5 min (300)
    assert night.awakenings == 1  # the 02:30 bout; the final wake is not an awakening
    # stages from the Watch only: deep 3600; light 5400 + 8100 = 13500; REM 3600 + 4500 = 8100
    assert (night.deep_s, night.light_s, night.rem_s) == (3600, 13500, 8100)
    assert night.efficiency_pct == 91.9  # 100 * 27300 / 29700 = 91.92
    assert night.start == datetime(2024, 3, 11, 22, 30, tzinfo=CET)
    assert night.end == datetime(2024, 3, 12, 6, 45, tzinfo=CET)
    assert night.local_date == date(2024, 3, 12)  # crossed midnight: dated by the day it ends
    assert night.vendor_id == "ah-2024-03-11T21:30:00Z"  # 22:30 +0100
    assert night.kind is NightKind.MAIN
    stages = [(s.start.strftime("%H:%M"), s.stage) for s in night.segments]
    assert stages == [("22:30", Stage.AWAKE), ("22:50", Stage.ASLEEP), ("23:00", Stage.LIGHT),
                      ("00:30", Stage.DEEP), ("01:30", Stage.REM), ("02:30", Stage.AWAKE), ("02:45", Stage.LIGHT),
                      ("05:00", Stage.REM), ("06:15", Stage.ASLEEP), ("06:40", Stage.AWAKE)]
    assert sum(s.seconds for s in night.segments) == night.time_in_bed_s


def test_autosleep_alone_has_no_stages() -> None:
    [night] = parse(export(*three_sources()[:2])).nights
    # InBed 22:30-06:45 (29700), AutoSleep asleep 22:50-06:40 = 7 h 50 min = 28200 s
    assert (night.time_in_bed_s, night.total_sleep_s, night.latency_s) == (29700, 28200, 1200)
    assert (night.deep_s, night.light_s, night.rem_s) == (None, None, None)


def test_vitals_inside_the_period() -> None:
    vitals = [
        record(HR, "2024-03-12 00:00:00 +0100", "2024-03-12 00:00:00 +0100", 58, unit="count/min"),
        record(HR, "2024-03-12 03:00:00 +0100", "2024-03-12 03:00:00 +0100", 52, unit="count/min"),
        record(HR, "2024-03-12 06:00:00 +0100", "2024-03-12 06:00:00 +0100", 61, unit="count/min"),
        record(HR, "2024-03-12 12:00:00 +0100", "2024-03-12 12:00:00 +0100", 90, unit="count/min"),  # after
        record("HKQuantityTypeIdentifierRestingHeartRate", "2024-03-12 00:00:00 +0100",
               "2024-03-12 23:59:59 +0100", 48, unit="count/min"),
        record("HKQuantityTypeIdentifierOxygenSaturation", "2024-03-12 02:00:00 +0100",
               "2024-03-12 02:00:00 +0100", 0.95, unit="%"),
        record("HKQuantityTypeIdentifierOxygenSaturation", "2024-03-12 04:00:00 +0100",
               "2024-03-12 04:00:00 +0100", 0.97, unit="%"),
        record("HKQuantityTypeIdentifierRespiratoryRate", "2024-03-12 01:00:00 +0100",
               "2024-03-12 01:00:00 +0100", 14.5, unit="count/min"),
        record("HKQuantityTypeIdentifierRespiratoryRate", "2024-03-12 05:00:00 +0100",
               "2024-03-12 05:00:00 +0100", 15.5, unit="count/min"),
        record("HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "2024-03-12 03:00:00 +0100",
               "2024-03-12 03:01:00 +0100", 45, unit="ms"),
        record("HKQuantityTypeIdentifierAppleSleepingWristTemperature", "2024-03-11 22:50:00 +0100",
               "2024-03-12 06:40:00 +0100", 34.8, unit="degC"),
    ]
    # vitals first, sleep after: the file is in no order
    [night] = parse(export(*vitals, *three_sources())).nights
    assert night.hr_avg_bpm == 57.0  # (58 + 52 + 61) / 3; the 90 at noon is outside the period
    assert night.hr_lowest_bpm == 52.0  # the lowest sample, not the daily RestingHeartRate of 48
    assert (night.spo2_avg_pct, night.spo2_min_pct) == (96.0, 95.0)  # (0.95 + 0.97) / 2 * 100; 0.95 * 100
    assert night.resp_rate_bpm == 15.0  # (14.5 + 15.5) / 2
    assert night.hrv_rmssd_ms is None  # Apple's SDNN is not RMSSD
    assert night.skin_temp_dev_c is None  # 34.8 degC is absolute; no baseline of its own in this export


def test_wrist_temperature_deviation_against_own_baseline() -> None:
    temperatures = ["34.0", "34.2", "34.4", "34.6", "34.8", "95.36", "34.1"]  # the sixth in degF = 35.2 degC
    records = []
    for day, value in enumerate(temperatures, start=1):
        start, end = f"2024-06-{day:02d} 23:00:00 +0200", f"2024-06-{day + 1:02d} 07:00:00 +0200"
        unit = "degF" if value == "95.36" else "degC"
        records += [record(SLEEP, start, end, "AsleepCore"),
                    record("HKQuantityTypeIdentifierAppleSleepingWristTemperature", start, end, value, unit=unit)]
    nights = parse(export(*records)).nights
    deviations = [n.skin_temp_dev_c for n in nights]
    # nights 1-5 have fewer than 5 earlier values: no baseline yet
    assert deviations[:5] == [None] * 5
    # night 6: 35.2 - median(34.0, 34.2, 34.4, 34.6, 34.8) = 35.2 - 34.4 = 0.8
    # night 7: 34.1 - median(34.0, 34.2, 34.4, 34.6, 34.8, 35.2) = 34.1 - (34.4 + 34.6) / 2 = -0.4
    assert deviations[5:] == [0.8, -0.4]


# --- local dating ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "switch", "last", "day", "start_offset", "end_offset", "seconds"), [
    # spring forward, 2026-03-29 02:00 CET -> 03:00 CEST: 22:00 UTC -> 05:00 UTC = 7 h
    ("2026-03-28 23:00:00 +0100", "2026-03-29 03:30:00 +0200", "2026-03-29 07:00:00 +0200", date(2026, 3, 29),
     1, 2, 7 * 3600),
    # fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 21:00 UTC -> 06:00 UTC = 9 h
    ("2026-10-24 23:00:00 +0200", "2026-10-25 02:30:00 +0100", "2026-10-25 07:00:00 +0100", date(2026, 10, 25),
     2, 1, 9 * 3600),
])
def test_dst_night_keeps_each_instant_offset(first: str, switch: str, last: str, day: date, start_offset: int,
                                            end_offset: int, seconds: int) -> None:
    data = export(record(SLEEP, first, switch, "AsleepCore"), record(SLEEP, switch, last, "AsleepREM"))
    [night] = parse(data, BERLIN).nights  # no HKTimeZone on these records: the user's zone dates them
    assert night.start.utcoffset() == timedelta(hours=start_offset)
    assert night.end.utcoffset() == timedelta(hours=end_offset)
    assert (night.start.hour, night.end.hour) == (23, 7)
    assert night.local_date == day
    assert night.time_in_bed_s == night.total_sleep_s == seconds
    assert night.segments[0].start.utcoffset() == timedelta(hours=start_offset)
    assert night.segments[-1].end.utcoffset() == timedelta(hours=end_offset)


def test_main_sleep_and_naps() -> None:
    data = export(
        record(SLEEP, "2024-05-05 23:00:00 +0200", "2024-05-06 07:00:00 +0200", "AsleepCore"),  # 8 h night
        record(SLEEP, "2024-05-06 14:00:00 +0200", "2024-05-06 14:40:00 +0200", "AsleepUnspecified"),  # 40 min
        record(SLEEP, "2024-05-08 08:30:00 +0200", "2024-05-08 14:30:00 +0200", "AsleepCore"),  # 6 h day sleep
        record(SLEEP, "2024-05-09 13:00:00 +0200", "2024-05-09 13:30:00 +0200", "AsleepCore"),  # nap, no night
        record(SLEEP, "2024-05-09 22:00:00 +0200", "2024-05-10 01:00:00 +0200", "AsleepCore"),  # 3 h
        record(SLEEP, "2024-05-10 02:30:00 +0200", "2024-05-10 07:30:00 +0200", "AsleepCore"),  # 5 h, 90 min later
    )
    nights = parse(data).nights
    assert [(n.local_date, n.total_sleep_s, n.kind) for n in nights] == [
        (date(2024, 5, 6), 28800, NightKind.MAIN),
        (date(2024, 5, 6), 2400, NightKind.NAP),  # under 3 h, midpoint 14:20 local: daytime
        (date(2024, 5, 8), 21600, NightKind.MAIN),  # midpoint 11:30, but 6 h: a shift worker's main sleep
        (date(2024, 5, 9), 1800, NightKind.NAP),  # short and daytime: a nap even with no night that day
        (date(2024, 5, 10), 10800, NightKind.NAP),  # not daytime, but shorter than the 5 h ending the same day
        (date(2024, 5, 10), 18000, NightKind.MAIN),
    ]


@pytest.mark.parametrize(("resume", "periods"), [("02:59", 1), ("03:01", 2)])
def test_periods_split_on_gaps_over_an_hour(resume: str, periods: int) -> None:
    data = export(record(SLEEP, "2024-02-10 00:00:00 +0100", "2024-02-10 02:00:00 +0100", "AsleepCore"),
                  record(SLEEP, f"2024-02-10 {resume}:00 +0100", "2024-02-10 06:00:00 +0100", "AsleepCore"))
    nights = parse(data).nights
    assert len(nights) == periods
    if periods == 1:  # 59 min gap bridged, but not counted: 7200 + (06:00 - 02:59 = 10860) = 18060 s
        assert (nights[0].time_in_bed_s, nights[0].awakenings) == (18060, 0)
        assert nights[0].end - nights[0].start == timedelta(hours=6)


def test_vendor_ids_stable_across_imports_and_a_newer_export() -> None:
    first = parse(export(*three_sources())).nights
    again = parse(export(*three_sources())).nights
    later_night = record(SLEEP, "2024-03-12 23:10:00 +0100", "2024-03-13 06:50:00 +0100", "AsleepCore")
    newer = parse(export(*three_sources(), later_night)).nights
    assert [n.vendor_id for n in first] == [n.vendor_id for n in again] == ["ah-2024-03-11T21:30:00Z"]
    assert [n.vendor_id for n in newer] == ["ah-2024-03-11T21:30:00Z", "ah-2024-03-12T22:10:00Z"]
    assert newer[0].model_dump() == first[0].model_dump()


# --- malformed records and payloads ----------------------------------------------------------------------

def test_malformed_record_rejected_and_logged_rest_kept(caplog: pytest.LogCaptureFixture) -> None:
    text = fixture_text()
    broken = text.replace('startDate="2024-01-01 00:55:28 +0200"', 'startDate="2024-13-01 00:55:28 +0200"')
    broken = broken.replace('startDate="2024-01-01 01:01:36 +0200"', 'startDate="yesterday"')
    assert broken.count("2024-13-01") == 1 and broken.count("yesterday") == 1
    with caplog.at_level(logging.WARNING):
        parsed = parse(broken.encode(), UTC)
    # records are counted from 0 in the file: the first heart rate (0) and the iPhone's InBed (6)
    assert len(parsed.rejected) == 2
    assert "rejected record 0 (id HKQuantityTypeIdentifierHeartRate)" in parsed.rejected[0]
    assert "rejected record 6 (id HKCategoryTypeIdentifierSleepAnalysis)" in parsed.rejected[1]
    assert "month must be in 1..12" in parsed.rejected[1]
    assert sum("rejected record" in r.getMessage() for r in caplog.records) == 2
    assert [n.total_sleep_s for n in parsed.nights] == [750]  # the Watch's AsleepCore is still read


def test_unknown_sleep_value_rejected() -> None:
    parsed = parse(export(record(SLEEP, "2024-02-10 00:00:00 +0100", "2024-02-10 06:00:00 +0100", "Dreaming"),
                          record(SLEEP, "2024-02-11 00:00:00 +0100", "2024-02-11 06:00:00 +0100", "AsleepDeep")))
    assert len(parsed.rejected) == 1 and "Dreaming" in parsed.rejected[0]
    assert [n.deep_s for n in parsed.nights] == [21600]


@pytest.mark.parametrize(("data", "message"), [
    (b'{"data": [{"id": "1"}]}', "not a readable export.xml"),
    (b"", "not a readable export.xml"),
    (b'<?xml version="1.0"?><ClinicalDocument><Record/></ClinicalDocument>', "root element is <ClinicalDocument>"),
    (b'<HealthData locale="en"><Record type="x"', "not a readable export.xml"),  # truncated
])
def test_wrong_shape_payload(data: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse(data)


def test_a_zip_packed_with_an_unsupported_method_is_refused_clearly() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apple_health_export/export.xml", fixture_text())
        archive.filelist[-1].compress_type = 99  # what the central directory will say: AES, which zipfile lacks
    buffer.seek(0)
    with pytest.raises(PayloadError, match="packed in a way this importer cannot unpack"):
        parse_export(buffer, UTC)


@pytest.mark.parametrize("zone", ["America", "Europe/" + "x" * 300, "Not/A_Zone"])
def test_an_unusable_hktimezone_falls_back_to_the_users_zone(zone: str) -> None:
    data = export(record(SLEEP, "2024-03-11 23:00:00 +0100", "2024-03-12 07:00:00 +0100", "AsleepCore", zone=zone))
    [night] = parse(data, BERLIN).nights  # "America" is a tzdata folder, the long name too long for a file
    assert (night.start, night.local_date) == (datetime(2024, 3, 11, 23, tzinfo=CET), date(2024, 3, 12))


def test_read_export_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PayloadError, match="cannot read"):
        read_export(tmp_path / "export.xml", UTC)


# --- hostile XML -----------------------------------------------------------------------------------------

@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request made to it (there must be none)."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leaked "fetched">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()


def referencing(entity: str) -> str:
    """The fixture with `&entity;` as the text of its root element."""
    return fixture_text().replace('<HealthData locale="en_NL">', f'<HealthData locale="en_NL">&{entity};', 1)


LAUGHS = "\n".join(['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)])


def test_billion_laughs_refused() -> None:
    with pytest.raises(PayloadError, match="declares XML entities"):
        parse(with_doctype(DTD + "\n" + LAUGHS, referencing("lol9")))


def test_external_file_entity_refused() -> None:
    with pytest.raises(PayloadError, match="declares XML entities"):
        parse(with_doctype('<!ENTITY secret SYSTEM "file:///etc/passwd">', referencing("secret")))


def test_external_http_entity_refused_and_never_fetched(listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    with pytest.raises(PayloadError, match="declares XML entities"):
        parse(with_doctype(f'<!ENTITY remote SYSTEM "{url}/remote.xml">', referencing("remote")))
    assert requests == []


def test_parameter_entity_refused_and_never_fetched(listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    with pytest.raises(PayloadError, match="declares XML entities"):
        parse(with_doctype(f'<!ENTITY % remote SYSTEM "{url}/evil.dtd">\n%remote;'))
    with pytest.raises(PayloadError, match="declares XML entities"):
        parse(with_doctype('<!ENTITY % inner "<!ENTITY lol \'lol\'>">\n%inner;'))
    assert requests == []


def test_external_dtd_subset_never_fetched(listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    declaration, rest = fixture_text().split("\n", 1)
    data = f'{declaration}\n<!DOCTYPE HealthData SYSTEM "{url}/healthkit.dtd">\n{rest}'.encode()
    assert [n.total_sleep_s for n in parse(data, UTC).nights] == [750]  # read without loading the DTD
    assert requests == []


# --- resources, measured in a fresh interpreter ------------------------------------------------------------

MEASURE = """
import io, json, resource, sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
from integrations.apple_health import read_export
from integrations.base import PayloadError

def peak_mb():
    # VmHWM is this interpreter's own peak; ru_maxrss on Linux starts from the forking parent's (pytest's)
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

read_export(Path(sys.argv[1]), ZoneInfo("UTC"))  # warm up: every import and lazy table loaded
baseline = peak_mb()
began = time.perf_counter()
message = ""
try:
    outcome = len(read_export(Path(sys.argv[2]), ZoneInfo("Europe/Berlin")).nights)
except PayloadError as exc:
    outcome, message = type(exc).__name__, str(exc)
print(json.dumps({"baseline_mb": baseline, "peak_mb": peak_mb(), "seconds": time.perf_counter() - began,
                  "outcome": outcome, "message": message}))
"""


def measure(path: Path) -> dict:
    """Parse `path` in a fresh interpreter: its peak RSS before (baseline) and after, and the seconds taken."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(FIXTURE), str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_billion_laughs_fails_fast_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(with_doctype(DTD + "\n" + LAUGHS, referencing("lol9")))  # 10**9 "lol"s if expanded: 3 GB
    figures = measure(path)
    assert figures["outcome"] == "PayloadError"
    assert figures["seconds"] < 1.0
    assert figures["peak_mb"] - figures["baseline_mb"] < 5


def write_large_export(path: Path, megabytes: int) -> int:
    """A realistic export: the DTD, a heart-rate sample every 2 min with its metadata, and a staged night
    from the Watch beside the iPhone's InBed each day, until the file holds `megabytes`. Returns the nights."""
    device = ("&lt;&lt;HKDevice: 0x3012772a0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
              "hardware:Watch6,7, software:10.2&gt;")
    first = datetime(2025, 1, 1, tzinfo=UTC)
    days = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(export().decode().removesuffix("</HealthData>\n"))
        while out.tell() < megabytes * 1_000_000:
            day = first + timedelta(days=days)
            for minute in range(0, 1440, 2):
                moment = f"{day + timedelta(minutes=minute):%Y-%m-%d %H:%M:%S} +0000"
                out.write(f'<Record type="{HR}" sourceName="{WATCH}" sourceVersion="10.2" device="{device}" '
                          f'unit="count/min" creationDate="{moment}" startDate="{moment}" endDate="{moment}" '
                          f'value="{55 + minute % 40}">\n <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" '
                          f'value="0"/>\n</Record>\n')
            bed = day + timedelta(hours=21, minutes=30)
            out.write(record(SLEEP, f"{bed:%Y-%m-%d %H:%M:%S} +0000", f"{bed + timedelta(hours=8):%Y-%m-%d %H:%M:%S} "
                             "+0000", "InBed", IPHONE))
            for block in range(15):
                start = bed + timedelta(minutes=15 + 30 * block)
                out.write(record(SLEEP, f"{start:%Y-%m-%d %H:%M:%S} +0000",
                                 f"{start + timedelta(minutes=30):%Y-%m-%d %H:%M:%S} +0000",
                                 ("AsleepCore", "AsleepDeep", "AsleepREM")[block % 3], WATCH, zone="Europe/Berlin"))
            days += 1
        out.write("</HealthData>\n")
    return days


def test_memory_stays_bounded_on_a_large_export(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    days = write_large_export(path, 30)
    size_mb = path.stat().st_size / 1e6
    figures = measure(path)
    assert figures["outcome"] == days  # one main night a day
    # The whole tree (xml.etree.ElementTree.parse) would cost about 3x the file; streaming costs the compact
    # vitals columns (16 bytes a sample) and the nights: a few MB over the interpreter's own baseline.
    assert figures["peak_mb"] - figures["baseline_mb"] < size_mb / 4, figures


# --- limits: a runaway or hostile upload stops with a clear message, in bounded time and memory --------------

MEMBER = "apple_health_export/export.xml"


def limit(monkeypatch: pytest.MonkeyPatch, name: str, value: float) -> None:
    """Lower one of the parser's limits (module constants, read at each call) for one test."""
    monkeypatch.setattr(apple_health, name, value)


def zipped(data: bytes) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, data)
    buffer.seek(0)
    return buffer


def apple_time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S %z}"


def heart_rates(count: int) -> list[str]:
    first = datetime(2024, 3, 1, tzinfo=CET)
    return [record(HR, apple_time(first + timedelta(seconds=30 * i)), apple_time(first + timedelta(seconds=30 * i)),
                   60 + i % 30, unit="count/min") for i in range(count)]


@pytest.mark.timeout(60)
def test_100000_overlapping_records_merge_in_seconds() -> None:
    # 50,000 pairs of identical Watch records, pair j from T + j s to T + j s + 6 h (core for even j, deep for
    # odd), so up to 43,200 records overlap at once, and the iPhone's InBed from T - 30 min to T + 20 h.
    bedtime = datetime(2024, 3, 11, 22, 30, tzinfo=CET)
    records = [record(SLEEP, apple_time(bedtime - timedelta(minutes=30)), apple_time(bedtime + timedelta(hours=20)),
                      "InBed", IPHONE)]
    for j in range(50_000):
        start, end = bedtime + timedelta(seconds=j), bedtime + timedelta(seconds=j, hours=6)
        stage = "AsleepCore" if j % 2 == 0 else "AsleepDeep"
        records += [record(SLEEP, apple_time(start), apple_time(end), stage, zone="Europe/Berlin")] * 2
    upload = zipped(export(*records))
    began = time.perf_counter()
    [night] = parse_export(upload, BERLIN).nights
    assert time.perf_counter() - began < 30  # n log n: a few seconds; the quadratic sweep, over a minute
    # Of the covering Watch records the earliest decides (one source, one level): pair 0 (core) until T + 6 h,
    # then pair k + 1 for the second T + 6 h + k, k = 0 .. 49,998: deep when k + 1 is odd (25,000 s), else core.
    assert night.total_sleep_s == 71_599  # T -> T + 49,999 s + 6 h
    assert (night.deep_s, night.light_s, night.rem_s) == (25_000, 21_600 + 24_999, 0)
    assert night.time_in_bed_s == 73_800  # the InBed, T - 30 min -> T + 20 h
    assert (night.latency_s, night.awake_s, night.awakenings) == (1800, 401, 0)
    assert night.vendor_id == "ah-2024-03-11T21:00:00Z"
    assert night.kind is NightKind.MAIN
    assert len(night.segments) == 1 + 1 + 49_999 + 1  # awake, core to T + 6 h, one second each, awake


def test_a_zip_whose_export_xml_claims_more_than_the_cap_is_refused_before_reading() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, export(*three_sources()))
        archive.filelist[-1].file_size = 9_000_000_000  # what the central directory will claim, as a bomb's does
    buffer.seek(0)
    with pytest.raises(PayloadError, match=r"unpacks to 9 GB, more than the 8 GB"):
        parse_export(buffer, BERLIN)


def test_a_zip_bomb_is_refused_naming_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, "MAX_XML_BYTES", 4_000_000)
    buffer = io.BytesIO()
    head, tail = export(*three_sources()).split(b"</HealthData>")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(MEMBER, "w") as member:
        member.write(head)
        for _ in range(32):  # 32 MB of blank padding, streamed into the archive
            member.write(b" " * 1_000_000)
        member.write(b"</HealthData>" + tail)
    assert len(buffer.getvalue()) < 100_000  # over 300 times smaller than what it unpacks to
    buffer.seek(0)
    with pytest.raises(PayloadError, match=r"export\.xml unpacks to 32 MB, more than the 4 MB"):
        parse_export(buffer, BERLIN)


def test_an_export_xml_past_the_size_cap_is_refused_while_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, "MAX_XML_BYTES", 1_000_000)
    records = three_sources()
    padding = [" " * 100_000 + "\n"] * 20  # 2 MB between the records: no header to tell the size beforehand
    with pytest.raises(PayloadError, match=r"export\.xml is larger than 1 MB"):
        parse(export(records[0], *padding, *records[1:]))
    assert len(parse(export(*records)).nights) == 1  # a file under the cap is read as before


def test_too_many_records_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, "MAX_RECORDS", 1000)
    assert len(parse(export(*heart_rates(992), *three_sources())).nights) == 1  # exactly 1000 records
    with pytest.raises(PayloadError, match=r"more than 1,000 records"):
        parse(export(*heart_rates(993), *three_sources()))


def test_too_many_sleep_records_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, "MAX_SLEEP_RECORDS", 8)
    assert len(parse(export(*three_sources())).nights) == 1  # 8 sleep records
    extra = record(SLEEP, "2024-03-13 23:00:00 +0100", "2024-03-14 07:00:00 +0100", "AsleepCore")
    with pytest.raises(PayloadError, match=r"more than 8 sleep records"):
        parse(export(*three_sources(), extra))


def test_a_sleep_period_of_too_many_records_is_rejected_and_the_rest_read(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, "MAX_PERIOD_RECORDS", 7)
    later = record(SLEEP, "2024-03-13 23:00:00 +0100", "2024-03-14 07:00:00 +0100", "AsleepCore")
    parsed = parse(export(*three_sources(), later))  # the first night holds 8 records
    assert [n.local_date for n in parsed.nights] == [date(2024, 3, 14)]
    assert parsed.rejected == ["apple_health: rejected the sleep period from 2024-03-11T21:30:00Z: its 8 records "
                               "are more than the 7 one period may hold"]


def metadata_heavy(entries: int) -> bytes:
    """One sleep record carrying `entries` MetadataEntry children, after the three sources' night."""
    opening = record(SLEEP, "2024-03-13 23:00:00 +0100", "2024-03-14 07:00:00 +0100", "AsleepCore").split(">")[0]
    children = '<MetadataEntry key="HKTimeZone" value="Europe/Berlin"/>\n' * entries
    return export(*three_sources(), f"{opening}>\n{children}</Record>\n")


def test_an_element_with_too_many_children_is_refused() -> None:
    assert len(parse(metadata_heavy(100)).nights) == 2
    with pytest.raises(PayloadError, match=r"<Record> holds more than 10,000 child elements"):
        parse(metadata_heavy(20_000))


def test_an_element_with_a_million_children_is_refused_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(metadata_heavy(1_000_000))  # 56 MB
    figures = measure(path)
    assert figures["outcome"] == "PayloadError", figures
    assert "more than 10,000 child elements" in figures["message"]
    assert figures["peak_mb"] - figures["baseline_mb"] < 20, figures  # kept whole: several hundred MB


def test_deeply_nested_elements_are_refused() -> None:
    opening = record(HR, "2024-03-12 00:00:00 +0100", "2024-03-12 00:00:00 +0100", 58, unit="count/min")
    opening = opening.split("></Record>")[0] + ">"
    deep = opening + "<HeartRateVariabilityMetadataList>" * 100_000 + "</HeartRateVariabilityMetadataList>" * 100_000
    with pytest.raises(PayloadError, match=r"nests elements more than 16 deep"):
        parse(export(*three_sources(), deep + "</Record>\n"))


def test_one_endless_tag_is_refused() -> None:
    endless = record(SLEEP, "2024-03-13 23:00:00 +0100", "2024-03-14 07:00:00 +0100", "AsleepCore",
                     source="x" * 3_000_000)  # one 3 MB attribute: expat buffers (and rescans) the whole tag
    with pytest.raises(PayloadError, match=r"more than 1 MB without a single element"):
        parse(export(*three_sources(), endless))


def test_attribute_defaults_in_the_dtd_are_refused() -> None:
    # expat adds a declared default to every element that lacks the attribute: a DTD of a few MB of defaults
    # would make each 10-byte <Record/> a few MB in memory
    amplifier = DTD + f'\n<!ATTLIST Record padding CDATA "{"x" * 1000}">'
    data = export(*three_sources()).replace(DTD.encode(), amplifier.encode())
    with pytest.raises(PayloadError, match=r"default value for the attribute padding of <Record>"):
        parse(data)


def test_a_parse_past_its_time_budget_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, "MAX_PARSE_S", 0.2)
    data = export(*heart_rates(60_000), *three_sources())  # about 2 s to read in full
    began = time.perf_counter()
    with pytest.raises(PayloadError, match=r"took more than 0\.2 s"):
        parse(data)
    assert time.perf_counter() - began < 1.0  # gave up at the budget, not at the end of the file
