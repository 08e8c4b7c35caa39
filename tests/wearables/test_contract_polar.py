"""Contract tests for the Polar AccessLink v3 parser against Polar's documented sleep example
(tests/fixtures/wearables/polar, see SOURCE.txt). Expected values are worked out by hand from the payload's fields."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations import polar
from integrations.base import PayloadError
from sleepcot.domain import NightKind, Stage

FIXTURE = Path(__file__).parents[1] / "fixtures" / "wearables" / "polar" / "v3_users_sleep_docexample.json"
MOSCOW = timezone(timedelta(hours=3))

# No recorded Nightly Recharge payload exists: this one is built from the example values of Polar's AccessLink
# documentation, schema `nightly-recharge` (https://www.polar.com/accesslink-api/#nightly-recharge; the same
# examples are in Polar's OpenAPI as mirrored by tryAGI/Polar src/libs/Polar/openapi.yaml).
RECHARGE = {
    "recharges": [{
        "polar_user": "https://www.polaraccesslink/v3/users/1",
        "date": "2020-01-01",
        "heart_rate_avg": 70,
        "beat_to_beat_avg": 816,
        "heart_rate_variability_avg": 28,
        "breathing_rate_avg": 14.1,
        "nightly_recharge_status": 3,
        "ans_charge": 0.0,
        "ans_charge_status": 3,
        "hrv_samples": {"00:41": 14, "00:46": 14, "00:51": 15},
        "breathing_samples": {"00:39": 13.4, "00:44": 13.5, "00:49": 13.5},
    }],
}


@pytest.fixture
def payload() -> dict:
    return json.loads(FIXTURE.read_text())


def night_like(payload: dict, **changes: object) -> dict:
    night = copy.deepcopy(payload["nights"][0])
    night.update(changes)
    return night


def test_documented_night_in_canonical_units(payload: dict) -> None:
    parsed = polar.parse_sleep(payload)

    assert parsed.rejected == []
    [night] = parsed.nights
    assert night.source == "polar"
    assert night.kind is NightKind.MAIN
    assert night.start == datetime(2020, 1, 1, 0, 39, 7, tzinfo=MOSCOW)
    assert night.end == datetime(2020, 1, 1, 9, 19, 37, tzinfo=MOSCOW)
    assert night.start.utcoffset() == night.end.utcoffset() == timedelta(hours=3)
    assert night.time_in_bed_s == 31230  # fell asleep 00:39:07, woke 09:19:37: 8 h 40 min 30 s
    assert night.total_sleep_s == 4000  # 1000 light + 1000 deep + 1000 REM + 1000 unrecognised
    assert (night.light_s, night.deep_s, night.rem_s) == (1000, 1000, 1000)
    assert night.awake_s == 1000  # total_interruption_duration
    assert night.latency_s is None  # the period starts when the user fell asleep
    assert night.efficiency_pct == 12.8  # 100 * 4000 / 31230 (the example's numbers are not a real night)
    assert night.score == 80
    assert night.hr_avg_bpm == 76.3  # heart_rate_samples (76 + 77 + 76) / 3
    assert night.hr_lowest_bpm == 76


def test_vendor_id_is_derived_from_the_utc_start(payload: dict) -> None:
    [night] = polar.parse_sleep(payload).nights

    assert night.vendor_id == "polar-20191231T213907Z"  # 00:39:07+03:00 = 2019-12-31T21:39:07Z
    assert polar.parse_sleep(payload).nights[0].vendor_id == night.vendor_id


def test_night_is_dated_by_the_local_day_it_ends(payload: dict) -> None:
    [night] = polar.parse_sleep(payload).nights

    assert night.start.astimezone(UTC).date() == date(2019, 12, 31)
    assert night.local_date == date(2020, 1, 1)


def test_documented_hypnogram_with_an_undefined_code(payload: dict) -> None:
    [night] = polar.parse_sleep(payload).nights

    # {"00:39": 2, "00:50": 3, "01:23": 6}: LIGHTER and LIGHT NON-REM are one light run from the moment of falling
    # asleep; code 6 is not defined by Polar, so 01:23 to waking is left out.
    assert [(s.start, s.end, s.stage) for s in night.segments] == [
        (datetime(2020, 1, 1, 0, 39, 7, tzinfo=MOSCOW), datetime(2020, 1, 1, 1, 23, tzinfo=MOSCOW), Stage.LIGHT),
    ]


@pytest.mark.parametrize("hypnogram", [
    {"23:50": 2, "00:20": 4, "01:00": 1, "06:55": 0},
    {"00:20": 4, "01:00": 1, "06:55": 0, "23:50": 2},  # the same, as a key-sorted JSON writer would save it
])
def test_hypnogram_across_midnight(payload: dict, hypnogram: dict) -> None:
    payload["nights"] = [night_like(payload, sleep_start_time="2019-12-31T23:50:00+03:00",
                                    sleep_end_time="2020-01-01T07:00:00+03:00", hypnogram=hypnogram)]

    [night] = polar.parse_sleep(payload).nights

    assert [(s.start.isoformat(), s.end.isoformat(), s.stage) for s in night.segments] == [
        ("2019-12-31T23:50:00+03:00", "2020-01-01T00:20:00+03:00", Stage.LIGHT),
        ("2020-01-01T00:20:00+03:00", "2020-01-01T01:00:00+03:00", Stage.DEEP),
        ("2020-01-01T01:00:00+03:00", "2020-01-01T06:55:00+03:00", Stage.REM),
        ("2020-01-01T06:55:00+03:00", "2020-01-01T07:00:00+03:00", Stage.AWAKE),
    ]
    assert night.local_date == date(2020, 1, 1)


def test_unknown_stage_is_sleep_without_a_stage(payload: dict) -> None:
    payload["nights"] = [night_like(payload, hypnogram={"00:39": 5})]

    [night] = polar.parse_sleep(payload).nights

    assert [(s.start, s.end, s.stage) for s in night.segments] == [(night.start, night.end, Stage.ASLEEP)]


def test_nightly_recharge_joins_the_night_of_its_date(payload: dict) -> None:
    [night] = polar.parse_sleep(payload, recharge=RECHARGE).nights

    assert night.hrv_rmssd_ms == 28  # heart_rate_variability_avg, RMSSD in ms
    assert night.resp_rate_bpm == 14.1  # breathing_rate_avg
    assert night.hr_avg_bpm == 76.3  # the whole night's samples, not the recharge's 4-hour window


def test_recharge_heart_rate_is_used_without_samples(payload: dict) -> None:
    payload["nights"] = [night_like(payload, heart_rate_samples={})]

    [night] = polar.parse_sleep(payload, recharge=RECHARGE).nights

    assert night.hr_avg_bpm == 70  # heart_rate_avg
    assert night.hr_lowest_bpm is None


def test_recharge_of_another_date_is_not_joined(payload: dict) -> None:
    recharge = copy.deepcopy(RECHARGE)
    recharge["recharges"][0]["date"] = "2020-01-02"

    [night] = polar.parse_sleep(payload, recharge=recharge).nights

    assert night.hrv_rmssd_ms is None and night.resp_rate_bpm is None


def test_malformed_night_is_rejected_and_the_others_kept(payload: dict) -> None:
    broken = night_like(payload, date="2020-01-02", sleep_start_time="2020-01-01T23:10:00+03:00",
                        sleep_end_time="2020-01-02T07:00:00+03:00")
    del broken["light_sleep"]
    payload["nights"].append(broken)

    parsed = polar.parse_sleep(payload)

    assert [night.local_date for night in parsed.nights] == [date(2020, 1, 1)]
    assert len(parsed.rejected) == 1
    assert "2020-01-02" in parsed.rejected[0] and "light_sleep" in parsed.rejected[0]


def test_unreadable_hypnogram_time_is_rejected(payload: dict) -> None:
    payload["nights"] = [night_like(payload, hypnogram={"25:61": 2})]

    parsed = polar.parse_sleep(payload)

    assert parsed.nights == [] and "25:61" in parsed.rejected[0]


@pytest.mark.parametrize("wrong", [[], {"nights": {}}, {"recharges": []}, None])
def test_wrong_shape_is_a_payload_error(wrong: object) -> None:
    with pytest.raises(PayloadError, match="'nights' list"):
        polar.parse_sleep(wrong)


def test_wrong_shape_of_recharge_is_a_payload_error(payload: dict) -> None:
    with pytest.raises(PayloadError, match="'recharges' list"):
        polar.parse_sleep(payload, recharge=RECHARGE["recharges"])


def test_read_export_reads_the_saved_response() -> None:
    parsed = polar.read_export(FIXTURE, ZoneInfo("Europe/Moscow"))

    assert [night.vendor_id for night in parsed.nights] == ["polar-20191231T213907Z"]


def test_read_export_of_a_non_json_file_is_a_payload_error(tmp_path: Path) -> None:
    export = tmp_path / "polar-user-data-export.zip"
    export.write_bytes(b"PK\x03\x04")

    with pytest.raises(PayloadError, match=re.escape("polar-user-data-export.zip")):
        polar.read_export(export, ZoneInfo("Europe/Moscow"))
