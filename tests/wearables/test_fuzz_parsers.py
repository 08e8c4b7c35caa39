"""A fuzz pass over every vendor parser and the Apple Health export reader (issue 17).

Whatever a payload holds, the only exception that leaves a parser is `PayloadError` (the payload as a whole
cannot be read); a malformed record inside a readable payload is skipped and listed in `Parsed.rejected`
(integrations/base.parse_records), and every night that comes out is a whole, valid Night. Withings is the
one documented exception to "only PayloadError": a body with a non-zero `status` raises its WithingsError (a
VendorError), on purpose, so that the HTTP client retries (601) or refreshes the token (401).

Inputs: (a) arbitrary JSON values, (b) the recorded vendor payloads of tests/fixtures/wearables with a few
mutations each (keys dropped, values replaced by other JSON types, huge, negative, infinite or NaN numbers,
odd strings, wrapped in lists, wrong date formats), (c) for Apple, small export.xml files (plain or zipped)
built from odd attribute values, and raw bytes. "No partial write" is checked through the real store: a
payload refused as a whole stores nothing of it, a corrupt record stores exactly the other nights, whole.

Every test is bounded and reproducible in CI: derandomized, no example database, a few dozen examples each
(the file runs in well under a minute on two cores).
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import logging
import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations import apple_health, fitbit, garmin, google_health, oura, polar, whoop, withings
from integrations.base import Parsed, PayloadError
from integrations.sync import sync
from integrations.vendors import VENDORS
from sleepcot.domain import Night, Profile
from sleepcot.store import Store, UserStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables"


def bounded(examples: int, **more: Any) -> settings:
    """Few examples, no deadline, the same examples on every run, nothing saved between runs. A longer pass
    (by hand, or a nightly job): SLEEPCOT_FUZZ_SCALE=50 runs fifty times the examples."""
    examples *= max(1, int(os.environ.get("SLEEPCOT_FUZZ_SCALE", "1")))
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture], **more)


def _load(vendor: str, name: str) -> Any:
    return json.loads((FIXTURES / vendor / name).read_text(encoding="utf-8"))


# -- the recorded payloads (and, where a vendor's companion payload has no recording, one built from its
#    documented fields, as the contract tests do) --------------------------------------------------------
OURA = _load("oura", "sleep_v2_doc_example_via_hedgertronic.json")
OURA_READINESS = {"data": [{"day": "2022-07-12", "temperature_deviation": -0.2, "score": 66}]}
OURA_SPO2 = {"data": [{"day": "2022-07-12", "spo2_percentage": {"average": 96.5}}]}
FITBIT = _load("fitbit", "fitbit_sleep_response_2_items.json")
FITBIT_CLASSIC = _load("fitbit", "fitbit_sleep_response_classic.json")
GARMIN_DAY = _load("garmin", "garth_sleep-service_dailySleepData_2025-07-07.json")
GARMIN_WELLNESS = _load("garmin", "garth_wellness-service_dailySleepData_2021-07-20.json")
GARMIN_NODATA = _load("garmin", "garth_sleep-service_dailySleepData_nodata_2030-01-01.json")
GARMIN_HRV = _load("garmin", "garth_hrv-service_hrv_2023-07-20.json")
GARMIN_HRV_DAY = copy.deepcopy(GARMIN_DAY)  # the sleep of the HRV recording's day, so the two join
GARMIN_HRV_DAY["dailySleepDTO"]["calendarDate"] = GARMIN_HRV["hrvSummary"]["calendarDate"]
GARMIN_PUSH = {"sleeps": [{
    "userId": "4aacafe82427c251df9c9592d0c06768", "userAccessToken": "test-token", "summaryId": "x-test-1",
    "calendarDate": "2024-03-11", "startTimeInSeconds": 1710108000, "startTimeOffsetInSeconds": 3600,
    "durationInSeconds": 28800, "unmeasurableSleepInSeconds": 0, "deepSleepDurationInSeconds": 5400,
    "lightSleepDurationInSeconds": 14400, "remSleepInSeconds": 6000, "awakeDurationInSeconds": 3000,
    "sleepLevelsMap": {"awake": [{"startTimeInSeconds": 1710108000, "endTimeInSeconds": 1710108600}],
                       "light": [{"startTimeInSeconds": 1710108600, "endTimeInSeconds": 1710115800}],
                       "deep": [{"startTimeInSeconds": 1710115800, "endTimeInSeconds": 1710121200}],
                       "rem": [{"startTimeInSeconds": 1710129600, "endTimeInSeconds": 1710135600}]},
    "validation": "ENHANCED_FINAL", "timeOffsetSleepSpo2": {"0": 95, "60": 96},
    "timeOffsetSleepRespiration": {"60": 15.0}, "overallSleepScore": {"value": 82, "qualifierKey": "GOOD"},
    "naps": [{"napDurationInSeconds": 1200, "napStartTimeInSeconds": 1710165600, "napOffsetInSeconds": 3600,
              "napValidation": "DEVICE"}],
}]}
GOOGLE = _load("google_health", "sleep_list_manual_classic_slackhealthbot.json")
POLAR = _load("polar", "v3_users_sleep_docexample.json")
POLAR_RECHARGE = {"recharges": [{"date": POLAR["nights"][0]["date"], "heart_rate_avg": 55,
                                 "heart_rate_variability_avg": 40, "breathing_rate_avg": 14.1}]}
WHOOP = _load("whoop", "v2_activity_sleep_collection_docexample.json")
WHOOP_RECOVERY = _load("whoop", "v2_recovery_collection_docexample.json")
WITHINGS = _load("withings", "sleep_v2_getsummary.json")
WITHINGS_STAGES = _load("withings", "sleep_v2_get_one_night.json")
WITHINGS_STAGES_SHORT = copy.deepcopy(WITHINGS_STAGES)  # the fuzzed copy: 40 segments are plenty
WITHINGS_STAGES_SHORT["body"]["series"] = WITHINGS_STAGES_SHORT["body"]["series"][:40]
APPLE_XML = (FIXTURES / "apple_health" / "export_alxdrcirilo_apple-health-parser.xml").read_bytes()


# -- strategies -------------------------------------------------------------------------------------------
def _keys(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from _keys(value)
    elif isinstance(document, list):
        for value in document:
            yield from _keys(value)


RECORDED = (OURA, OURA_READINESS, OURA_SPO2, FITBIT, FITBIT_CLASSIC, GARMIN_DAY, GARMIN_WELLNESS, GARMIN_HRV,
            GARMIN_PUSH, GOOGLE, POLAR, POLAR_RECHARGE, WHOOP, WHOOP_RECOVERY, WITHINGS, WITHINGS_STAGES_SHORT)
# every field name the vendors use, so that arbitrary JSON reaches past the envelope checks
KEYS = sorted({key for document in RECORDED for key in _keys(document)}
              | {"errors", "error", "callbackURL", "mainSleep", "nap", "readiness"})

ODD_STRINGS = (
    "", " ", "0", "-1", "1e400", "NaN", "Infinity", "null", "true", "[]", "{}", "\x00", "\ud800", "🛌", "A" * 300,
    # dates and times in wrong or impossible formats
    "2022-07-12", "2022-13-45T25:61:00Z", "2022-02-30T01:00:00+02:00", "12/07/2022 01:05", "2022-07-12 01:05:14",
    "2022-07-12T01:05:14", "2022-07-12T01:05:14+25:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2022-W28-2", "1657587914", "yesterday", "24:00", "25:61", "-1:-1", "12:3x", "12", ":", "Z", "+99:99",
    "-05:00", "3600s", "-90000s", "infs", "1e30s",
    # timezones and enum-like values
    "America", "Europe/", "../../etc/passwd", "/etc/localtime", "Europe/Paris", "UTC", "long_sleep", "deleted",
    "SCORED", "PENDING_SCORE", "stages", "classic", "STAGES", "wake", "rem", "deep",
)
ODD_NUMBERS = (0, -1, 1, -0.0, 0.5, 59.9999, 2**31, -(2**31), 2**63, -(2**63), 10**30, -(10**30), 1e308, -1e308,
               math.inf, -math.inf, math.nan, 1710108000, 1710108000000, 86400, 86401, -86400)
ODD = st.sampled_from((None, True, False, [], {}, [[[]]], {"": {}}, *ODD_STRINGS, *ODD_NUMBERS))

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12) | ODD)
JSON = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=6),
                    max_leaves=24)


def _paths(document: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*path, index))


def _at(document: Any, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


def _odd_variant(draw: Callable, value: Any) -> Any:
    """A value of the same kind made wrong: a number scaled, negated or turned into text; a text cut, reversed
    or reformatted (the ISO dates in the payloads become other date formats)."""
    if isinstance(value, bool):
        return draw(st.sampled_from((not value, int(value), str(value).lower(), None)))
    if isinstance(value, int | float):
        return draw(st.sampled_from((-value, value * 1000, value / 1000, value + 0.5, str(value), value * 10**20,
                                     float(value), [value], {"value": value})))
    if isinstance(value, str):
        return draw(st.sampled_from((value[:10], value[: len(value) // 2], value[::-1], value.replace("-", "/"),
                                     value.replace("T", " "), value + "Z", value.upper(), value * 3, value + "\x00",
                                     value.replace(":", ""), [value], {"value": value})))
    return draw(ODD)


@st.composite
def mutated(draw: Callable, document: Any, within: tuple = ()) -> Any:
    """`document` (deep-copied) with one to four mutations at or under the path `within`."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        try:
            target = _at(document, within)
        except (KeyError, IndexError, TypeError):
            break  # an earlier mutation removed the part being mutated
        path = draw(st.sampled_from(list(_paths(target, within))))
        operation = draw(st.sampled_from(("drop", "replace", "vary", "wrap", "duplicate")))
        parent, step = (_at(document, path[:-1]), path[-1]) if path else (None, None)
        value = _at(document, path)
        if operation == "drop" and parent is not None and path != within:  # `within` itself stays in place
            del parent[step]
            continue
        if operation == "duplicate" and isinstance(value, list) and value:
            value.append(copy.deepcopy(draw(st.sampled_from(value))))
            continue
        if operation == "wrap":
            new = [value]
        elif operation == "vary":
            new = copy.deepcopy(_odd_variant(draw, value))
        else:
            new = copy.deepcopy(draw(ODD | JSON))  # never the strategy's own (shared) list or dict
        if parent is None:
            return new if within == () else document
        parent[step] = new
    return document


# -- what a parser may do ---------------------------------------------------------------------------------
def _withings_status_error(payload: Any, exc: Exception) -> bool:
    """A WithingsError is the documented answer to a body whose integer `status` is not 0."""
    return (isinstance(exc, withings.WithingsError) and isinstance(payload, dict)
            and type(payload.get("status")) is int and payload["status"] != 0)


def check_parsed(result: Any, vendor: str) -> None:
    """A Parsed whose nights are whole, valid and the vendor's own."""
    assert isinstance(result, Parsed)
    assert all(isinstance(line, str) for line in result.rejected)
    for night in result.nights:
        assert isinstance(night, Night) and night.source == vendor
        again = Night.model_validate(night.model_dump())  # nothing half-made: it validates as it stands
        assert again.model_dump() == night.model_dump()


def run_parser(parse: Callable[[Any], Any], payload: Any, vendor: str) -> Any:
    try:
        result = parse(payload)
    except PayloadError:
        return None
    except withings.WithingsError as exc:
        if vendor == "withings" and _withings_status_error(payload, exc):
            return None
        raise
    return result


# Each parser, with the recorded payload it reads. The companions (Oura's readiness and SpO2, Garmin's HRV,
# Polar's recharge, WHOOP's recovery) are fuzzed beside a recorded sleep payload.
PARSERS: dict[str, tuple[str, Callable[[Any], Any], Any]] = {
    "oura.parse_sleep": ("oura", lambda p: oura.parse_sleep(p, tz=UTC), OURA),
    "oura.parse_sleep readiness": ("oura", lambda p: oura.parse_sleep(OURA, readiness=p, tz=UTC), OURA_READINESS),
    "oura.parse_sleep spo2": ("oura", lambda p: oura.parse_sleep(OURA, spo2=p, tz=UTC), OURA_SPO2),
    "fitbit.parse_sleep_log stages": ("fitbit", lambda p: fitbit.parse_sleep_log(p, UTC), FITBIT),
    "fitbit.parse_sleep_log classic": ("fitbit", lambda p: fitbit.parse_sleep_log(p, UTC), FITBIT_CLASSIC),
    "garmin.parse_daily_sleep": ("garmin", garmin.parse_daily_sleep, GARMIN_DAY),
    "garmin.parse_daily_sleep wellness": ("garmin", garmin.parse_daily_sleep, GARMIN_WELLNESS),
    "garmin.parse_daily_sleep hrv": ("garmin", lambda p: garmin.parse_daily_sleep(GARMIN_HRV_DAY, p), GARMIN_HRV),
    "garmin.parse_health_api_sleeps": ("garmin", garmin.parse_health_api_sleeps, GARMIN_PUSH),
    "google_health.parse_data_points": ("google_health", google_health.parse_data_points, GOOGLE),
    "polar.parse_sleep": ("polar", lambda p: polar.parse_sleep(p, tz=UTC), POLAR),
    "polar.parse_sleep recharge": ("polar", lambda p: polar.parse_sleep(POLAR, recharge=p, tz=UTC), POLAR_RECHARGE),
    "whoop.parse_sleep": ("whoop", whoop.parse_sleep, WHOOP),
    "whoop.parse_sleep recovery": ("whoop", lambda p: whoop.parse_sleep(WHOOP, recovery=p), WHOOP_RECOVERY),
    "withings.parse_summary": ("withings", lambda p: withings.parse_summary(p, tz=UTC), WITHINGS),
}


def test_the_recorded_payloads_parse_cleanly() -> None:
    """The fuzzing starts from payloads that read without a rejection, so a rejection is the mutation's."""
    for name, (vendor, parse, payload) in PARSERS.items():
        parsed = parse(copy.deepcopy(payload))
        assert parsed.nights and parsed.rejected == [], name
        check_parsed(parsed, vendor)
    assert withings.parse_segments(copy.deepcopy(WITHINGS_STAGES), UTC)


@pytest.mark.parametrize("name", PARSERS)
@bounded(40)
@given(payload=JSON)
def test_arbitrary_json_raises_nothing_but_payload_error(name: str, payload: Any) -> None:
    vendor, parse, _ = PARSERS[name]
    result = run_parser(parse, payload, vendor)
    if result is not None:
        check_parsed(result, vendor)


@pytest.mark.parametrize("name", PARSERS)
@bounded(60)
@given(data=st.data())
def test_mutated_recordings_raise_nothing_but_payload_error(name: str, data: st.DataObject) -> None:
    vendor, parse, recorded = PARSERS[name]
    payload = data.draw(mutated(recorded))
    result = run_parser(parse, payload, vendor)
    if result is not None:
        check_parsed(result, vendor)


@bounded(60)
@given(payload=mutated(WITHINGS_STAGES_SHORT) | JSON)
def test_withings_stages_raise_nothing_but_payload_error(payload: Any) -> None:
    """A night's stage timeline (`get`): malformed anywhere, the whole timeline is refused (PayloadError) and
    the adapter keeps the night's summary without it."""
    try:
        segments = withings.parse_segments(payload, UTC)
    except PayloadError:
        return
    except withings.WithingsError as exc:
        assert _withings_status_error(payload, exc)
        return
    assert all(segment.end > segment.start for segment in segments)


@bounded(60)
@given(payload=JSON | mutated(OURA) | mutated(WHOOP) | mutated(GOOGLE) | mutated(WITHINGS))
def test_page_tokens_are_text_or_none(payload: Any) -> None:
    """The paging helpers answer a usable token (text) or None, or refuse the page: never a list or a number
    sent back to the vendor as a query parameter, never another exception."""
    for next_token in (oura.next_token, whoop.next_token, google_health.next_page_token):
        try:
            token = next_token(payload)
        except PayloadError:
            continue
        assert token is None or (isinstance(token, str) and token)
    try:
        has_more, offset = withings.more(payload)
    except PayloadError:
        return
    except withings.WithingsError as exc:
        assert _withings_status_error(payload, exc)
        return
    assert isinstance(has_more, bool) and type(offset) is int


JSON_READERS = sorted(name for name, vendor in VENDORS.items() if vendor.read_export is not None
                      and name != "apple_health")


@bounded(25)
@given(content=st.binary(max_size=64) | st.text(max_size=64).map(str.encode)
       | JSON.map(lambda value: json.dumps(value).encode()), vendor=st.sampled_from(JSON_READERS))
def test_saved_files_raise_nothing_but_payload_error(content: bytes, vendor: str) -> None:
    """`sleepcot import` and the registry read a saved file: bytes that are not UTF-8, not JSON, or JSON of any
    shape end in PayloadError or a Parsed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "payload.json"
        path.write_bytes(content)
        try:
            result = VENDORS[vendor].read_export(path, UTC)
        except PayloadError:
            return
        except withings.WithingsError as exc:
            assert vendor == "withings" and _withings_status_error(json.loads(content), exc)
            return
    check_parsed(result, vendor)


# -- Apple Health -----------------------------------------------------------------------------------------
APPLE_TYPES = ("HKCategoryTypeIdentifierSleepAnalysis", "HKQuantityTypeIdentifierHeartRate",
               "HKQuantityTypeIdentifierOxygenSaturation", "HKQuantityTypeIdentifierRespiratoryRate",
               "HKQuantityTypeIdentifierAppleSleepingWristTemperature", "HKQuantityTypeIdentifierStepCount", "")
APPLE_VALUES = ("HKCategoryValueSleepAnalysisInBed", "HKCategoryValueSleepAnalysisAsleepCore",
                "HKCategoryValueSleepAnalysisAsleepDeep", "HKCategoryValueSleepAnalysisAsleepREM",
                "HKCategoryValueSleepAnalysisAwake", "HKCategoryValueSleepAnalysisAsleepUnspecified",
                "HKCategoryValueSleepAnalysisDreaming", "62", "0.97", "-5", "1e400", "nan", "inf", "", "x")
APPLE_TIMES = ("2024-01-01 00:55:28 +0200", "2024-01-01 07:10:00 +0200", "2024-01-01 03:00:00 +0000",
               "2024-13-01 00:55:28 +0200", "2024-01-01 00:55:28", "2024-01-01T00:55:28Z", "yesterday", "",
               "0001-01-01 00:00:00 +1400", "9999-12-31 23:59:59 -1400", "2024-01-01 00:55:28 +9900")
APPLE_UNITS = ("count/min", "%", "degC", "degF", "K", "")
APPLE_ZONES = ("Europe/Amsterdam", "America", "Europe/", "../../etc/passwd", "A" * 300, "", "UTC", "\x01")
XML_SAFE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


APPLE_SLEEP = {"type": "HKCategoryTypeIdentifierSleepAnalysis", "sourceName": "Ann's Apple Watch",
               "startDate": "2024-01-01 00:55:28 +0200", "endDate": "2024-01-01 07:10:00 +0200",
               "value": "HKCategoryValueSleepAnalysisAsleepCore"}
APPLE_HEART = {"type": "HKQuantityTypeIdentifierHeartRate", "sourceName": "Ann's Apple Watch", "unit": "count/min",
               "startDate": "2024-01-01 03:00:00 +0200", "endDate": "2024-01-01 03:00:00 +0200", "value": "52"}
APPLE_POOLS = {"type": APPLE_TYPES, "startDate": APPLE_TIMES, "endDate": APPLE_TIMES, "value": APPLE_VALUES,
               "unit": APPLE_UNITS, "sourceName": ("Ann's iPhone", "AutoSleep", "")}


@st.composite
def apple_record(draw: Callable) -> str:
    """A well-formed sleep or heart-rate record with up to three attributes made odd or left out, and maybe
    an HKTimeZone (of any name)."""
    attributes = dict(draw(st.sampled_from((APPLE_SLEEP, APPLE_HEART))))
    for key in draw(st.sets(st.sampled_from(sorted(APPLE_POOLS)), max_size=3)):
        attributes[key] = draw(st.sampled_from(APPLE_POOLS[key]) | XML_SAFE | st.none())
    text = " ".join(f'{key}="{_attribute(value)}"' for key, value in attributes.items() if value is not None)
    zone = draw(st.none() | st.sampled_from(APPLE_ZONES))
    metadata = "" if zone is None else f'<MetadataEntry key="HKTimeZone" value="{_attribute(zone)}"/>'
    return f"<Record {text}>{metadata}</Record>"


@st.composite
def apple_export(draw: Callable) -> bytes:
    records = "".join(draw(st.lists(apple_record(), max_size=6)))
    root = draw(st.sampled_from(("HealthData", "HealthData", "HealthData", "Other")))
    xml = f'<?xml version="1.0" encoding="UTF-8"?><{root} locale="en">{records}</{root}>'.encode()
    shape = draw(st.sampled_from(("xml", "xml", "zip", "truncated", "damaged zip")))
    if shape == "truncated":
        return xml[: draw(st.integers(min_value=0, max_value=len(xml)))]
    if shape in ("zip", "damaged zip"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(draw(st.sampled_from(("apple_health_export/export.xml", "export.xml", "other.xml"))),
                             xml)
        data = buffer.getvalue()
        if shape == "damaged zip":
            cut = draw(st.integers(min_value=4, max_value=len(data) - 1))
            data = data[:cut] + bytes([data[cut] ^ 0xFF]) + data[cut + 1:]
        return data
    return xml


@bounded(60)
@given(data=apple_export() | st.binary(max_size=200) | st.just(APPLE_XML))
def test_apple_export_raises_nothing_but_payload_error(data: bytes) -> None:
    """The Apple Health reader (`parse_export`, which `read_export` opens the file for) on small exports with
    odd records and HKTimeZones, truncated XML, zips (whole or with a byte flipped) and raw bytes."""
    try:
        result = apple_health.parse_export(io.BytesIO(data), UTC)
    except PayloadError:
        return
    check_parsed(result, "apple_health")


# -- no partial write ---------------------------------------------------------------------------------------
def _user(store: Store) -> UserStore:
    """A new user who already holds one night from another source."""
    user = store.for_user(store.create_user(Profile()))
    earlier = Night(source="simulator", vendor_id="sim-1", start=datetime(2020, 1, 1, 23, tzinfo=UTC),
                    end=datetime(2020, 1, 2, 7, tzinfo=UTC), time_in_bed_s=28800, total_sleep_s=27000, deep_s=5400)
    assert user.upsert_nights([earlier]) == 1
    return user


def _held(user: UserStore) -> dict[tuple[str, str], dict]:
    return {(night.source, night.vendor_id): night.model_dump() for night in user.nights(kind=None)}


def _shifted(text: str, days: int) -> str:
    return (datetime.fromisoformat(text) + timedelta(days=days)).isoformat()


def _twin_polar(night: dict) -> dict:
    """Polar's night a day earlier (its vendor id is its start, so the twin must move)."""
    twin = copy.deepcopy(night)
    for key in ("sleep_start_time", "sleep_end_time"):
        twin[key] = _shifted(twin[key], -1)
    twin["date"] = (date.fromisoformat(twin["date"]) - timedelta(days=1)).isoformat()
    return twin


def _renamed(key: str) -> Callable[[dict], dict]:
    def twin(record: dict) -> dict:
        return {**copy.deepcopy(record), key: f"{record[key]}-twin"}
    return twin


def _garmin_days(days: list) -> Parsed:
    """Garmin Connect's days, one payload each, as `read_export` reads a saved list of them."""
    parsed = Parsed()
    for day in days:
        parsed.extend(garmin.parse_daily_sleep(day))
    return parsed


# vendor: (a recorded payload, the path to its records, how to make a second good record from the first
# where the recording holds only one, the parse a user's import goes through)
STORED: dict[str, tuple[Any, tuple, Callable[[dict], dict] | None, Callable[[Any], Parsed]]] = {
    "oura": (OURA, ("data",), _renamed("id"), lambda p: oura.parse_sleep(p, tz=UTC)),
    "fitbit": (FITBIT, ("sleep",), None, lambda p: fitbit.parse_sleep_log(p, UTC)),
    "garmin connect": ([GARMIN_DAY, GARMIN_NODATA, GARMIN_WELLNESS], (), None, _garmin_days),
    "garmin health api": (GARMIN_PUSH, ("sleeps",), _renamed("summaryId"), garmin.parse_health_api_sleeps),
    "google_health": (GOOGLE, ("dataPoints",), _renamed("name"), google_health.parse_data_points),
    "polar": (POLAR, ("nights",), _twin_polar, lambda p: polar.parse_sleep(p, tz=UTC)),
    "whoop": (WHOOP, ("records",), _renamed("id"), whoop.parse_sleep),
    "withings": (WITHINGS, ("body", "series"), None, lambda p: withings.parse_summary(p, tz=UTC)),
}


@pytest.mark.parametrize("name", STORED)
def test_a_corrupt_record_stores_exactly_the_good_nights(store: Store, name: str) -> None:
    """An import (or a sync) of a payload with one corrupt record: the documented rule is that the record is
    skipped, so the user ends up with exactly what they held plus the payload's other nights, each whole.
    A payload that is refused as a whole (PayloadError) changes nothing."""
    recorded, at, twin, parse = STORED[name]
    payload = copy.deepcopy(recorded)
    records = _at(payload, at)
    if twin is not None:
        records.append(twin(records[0]))
    clean = parse(copy.deepcopy(payload))
    assert len(clean.nights) >= 2 and clean.rejected == []

    @bounded(15)
    @given(data=st.data())
    def corrupt_one(data: st.DataObject) -> None:
        index = data.draw(st.integers(min_value=0, max_value=len(records) - 1), label="corrupt record")
        broken = data.draw(mutated(payload, within=(*at, index)))
        user = _user(store)
        before = _held(user)
        try:
            parsed = parse(broken)
        except PayloadError:
            assert _held(user) == before
            return
        user.upsert_nights(parsed.nights)
        after = _held(user)
        new = {key: night for key, night in after.items() if key not in before}
        assert {key: after[key] for key in before} == before  # what the user held is untouched
        assert new == {(n.source, n.vendor_id): n.model_dump() for n in parsed.nights}  # stored whole, as parsed
        good = [n for n in clean.nights if n.vendor_id not in _ids_of(clean, parse, payload, at, index)]
        for night in good:  # every other record's night, exactly as from the clean payload
            assert _comparable(name, new[(night.source, night.vendor_id)]) == _comparable(name, night.model_dump())

    corrupt_one()


def _comparable(name: str, night: dict) -> dict:
    """Google Health decides main sleep or nap per page (a page that marks `mainSleep` anywhere makes every
    unmarked sleep a nap), so there a corrupt record may change the others' kind, by that documented rule."""
    return {key: value for key, value in night.items() if not (name == "google_health" and key == "kind")}


def _ids_of(clean: Parsed, parse: Callable[[Any], Parsed], payload: Any, at: tuple, index: int) -> set[str]:
    """The vendor ids the record at `index` yields in the clean payload (a Garmin summary yields its naps too)."""
    without = copy.deepcopy(payload)
    del _at(without, at)[index]
    kept = {night.vendor_id for night in parse(without).nights}
    return {night.vendor_id for night in clean.nights} - kept


def _served(adapter: type, pages: dict[str, dict[str | None, Any]], token_param: str, last: Any) -> Any:
    """A real adapter whose HTTP requests are answered from memory: `pages[collection][token]`, and `last`
    (an empty last page) for a token the pages do not know."""

    class Served(adapter):  # type: ignore[misc, valid-type]
        async def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
            form = kwargs.get("params") or kwargs.get("data") or {}
            if form.get("action") == "get":  # a Withings night's stages
                return {"status": 0, "body": {"series": []}}
            collection = next(name for name in pages if url.endswith(name))
            return copy.deepcopy(pages[collection].get(form.get(token_param), last))

    return Served(None, None, UTC)


# vendor: (adapter, its pages given a second page, a valid empty second page, the paging parameter, the day
# synced to: the day after the recorded nights)
SYNCED: dict[str, tuple[type, Callable[[Any], dict], Any, str, date]] = {
    "oura": (oura.OuraAdapter, lambda second: {
        "sleep": {None: {"data": OURA["data"], "next_token": "p2"}, "p2": second},
        "daily_readiness": {None: {"data": []}}, "daily_spo2": {None: {"data": []}}},
        {"data": []}, "next_token", date(2022, 7, 13)),
    "whoop": (whoop.WhoopAdapter, lambda second: {
        "activity/sleep": {None: {"records": WHOOP["records"], "next_token": "p2"}, "p2": second},
        "recovery": {None: {"records": []}}}, {"records": []}, "nextToken", date(2022, 4, 25)),
    "google_health": (google_health.GoogleHealthAdapter, lambda second: {
        "dataPoints": {None: {"dataPoints": GOOGLE["dataPoints"], "nextPageToken": "p2"}, "p2": second}},
        {}, "pageToken", date(2026, 4, 6)),
    "withings": (withings.WithingsAdapter, lambda second: {
        "sleep": {None: {"status": 0, "body": {**WITHINGS["body"], "more": True, "offset": 8}}, "8": second}},
        {"status": 0, "body": {"series": []}}, "offset", date(2021, 4, 19)),
}


@pytest.mark.parametrize("vendor", SYNCED)
def test_a_sync_whose_later_page_is_corrupt_stores_nothing_of_it(store: Store, vendor: str) -> None:
    """A sync reads every page before it stores: a corrupt later page fails the whole sync (retried at the next
    one), and the nights of the good first page are not stored half-way."""
    adapter, pages, empty, token_param, today = SYNCED[vendor]
    whole = asyncio.run(sync(_user(store), _served(adapter, pages(empty), token_param, empty), today))
    assert whole.nights_changed >= 1  # the first page alone holds nights in the synced window
    first = next(iter(pages(None).values()))[None]

    @bounded(12)
    @given(second=JSON | mutated(first))
    def corrupt_second_page(second: Any) -> None:
        user = _user(store)
        before = _held(user)
        try:
            result = asyncio.run(sync(user, _served(adapter, pages(second), token_param, empty), today))
        except PayloadError:
            assert _held(user) == before
            return
        except withings.WithingsError as exc:
            assert _withings_status_error(second, exc) and _held(user) == before
            return
        after = _held(user)
        assert {key: after[key] for key in before} == before
        assert len(after) - len(before) == result.nights_changed

    corrupt_second_page()


# -- what a rejection logs ----------------------------------------------------------------------------------
SECRET_VALUES = ("siesta-4711", "2022-07-12T01:05:14-07:00", "2999-99-99T99:99:99", "30000", "8.8125", "117")


def test_a_rejection_logs_no_raw_value_from_the_payload(caplog: pytest.LogCaptureFixture) -> None:
    """A rejected record is logged by vendor, index, the vendor's id for it, the field and the error class:
    never a value it holds (a time, a duration, a vital, an unknown enum value)."""
    period = copy.deepcopy(OURA["data"][0])
    unknown_type = {**period, "id": "rec-a", "type": "siesta-4711"}
    bad_time = {**period, "id": "rec-b", "bedtime_end": "2999-99-99T99:99:99"}
    bad_bed = {**period, "id": "rec-c", "time_in_bed": -30000}
    wrong_type = {**period, "id": "rec-d", "time_in_bed": {"value": 8.8125, "hrv": 117}}
    missing = {key: value for key, value in period.items() if key != "bedtime_start"} | {"id": "rec-e"}
    payloads = {
        "oura": lambda: oura.parse_sleep({"data": [unknown_type, bad_time, bad_bed, wrong_type, missing]}, tz=UTC),
        "fitbit": lambda: fitbit.parse_sleep_log({"sleep": [{**FITBIT["sleep"][0], "type": "siesta-4711"}]}, UTC),
        "polar": lambda: polar.parse_sleep({"nights": [{**POLAR["nights"][0], "hypnogram": {"25:61": 1},
                                                        "sleep_start_time": "2022-07-12T01:05:14-07:00"}]}),
        "whoop": lambda: whoop.parse_sleep({"records": [{**WHOOP["records"][0], "score_state": "siesta-4711"}]}),
    }
    with caplog.at_level(logging.DEBUG, logger="integrations"):
        results = {vendor: parse() for vendor, parse in payloads.items()}
    assert {vendor: len(parsed.rejected) for vendor, parsed in results.items()} == {
        "oura": 5, "fitbit": 1, "polar": 1, "whoop": 1}
    logged = [record.getMessage() for record in caplog.records]
    rejections = [line for line in logged if "rejected record" in line]
    assert len(rejections) == 8
    assert any("(id rec-e)" in line and "bedtime_start" in line for line in rejections)  # the missing field
    assert any("(id rec-c)" in line and "time_in_bed_s" in line for line in rejections)  # the invalid field
    for line in logged:
        for secret in (*SECRET_VALUES, "25:61"):
            assert secret not in line, line


@pytest.mark.parametrize("vendor_id", ["\ud800", "night\x00one"])
def test_an_id_that_cannot_be_stored_rejects_its_record_not_the_import(store: Store, vendor_id: str) -> None:
    """A vendor id with a lone surrogate (valid JSON: "\\ud800", refused by the Night) or a NUL (PostgreSQL
    refuses it in text) is rejected with its record at parsing, so the write of the other nights cannot fail
    because of it."""
    good = copy.deepcopy(OURA["data"][0])
    payload = {"data": [good, {**good, "id": vendor_id}]}
    parsed = oura.parse_sleep(payload)
    assert [night.vendor_id for night in parsed.nights] == [good["id"]] and len(parsed.rejected) == 1
    user = _user(store)
    assert user.upsert_nights(parsed.nights) == 1
    assert ("oura", good["id"]) in _held(user)
