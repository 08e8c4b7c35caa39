"""Contract tests for the WHOOP API v2 parser against WHOOP's documented sleep and recovery examples
(tests/fixtures/wearables/whoop, see SOURCE.txt). Expected values are worked out by hand from the payload's fields."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations import whoop
from integrations.base import PayloadError
from sleepcot.domain import NightKind

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables" / "whoop"
SLEEP_FILE = FIXTURES / "v2_activity_sleep_collection_docexample.json"
RECOVERY_FILE = FIXTURES / "v2_recovery_collection_docexample.json"
SLEEP_ID = "ecfc6a15-4661-442f-a9a4-f160dd7afae8"
EST = timezone(timedelta(hours=-5))


@pytest.fixture
def sleeps() -> dict:
    return json.loads(SLEEP_FILE.read_text())


@pytest.fixture
def recovery() -> dict:
    return json.loads(RECOVERY_FILE.read_text())


def sleep_like(sleeps: dict, **changes: object) -> dict:
    sleep = copy.deepcopy(sleeps["records"][0])
    sleep.update(changes)
    return sleep


def recovery_of_the_sleep(recovery: dict) -> dict:
    """The documented recovery, attached to the documented sleep (the two examples carry unrelated ids)."""
    recovery["records"][0]["sleep_id"] = SLEEP_ID
    return recovery


def test_documented_sleep_in_canonical_units(sleeps: dict) -> None:
    parsed = whoop.parse_sleep(sleeps)

    assert parsed.rejected == []
    [night] = parsed.nights
    assert night.source == "whoop"
    assert night.vendor_id == SLEEP_ID
    assert night.kind is NightKind.MAIN  # nap: false
    # 02:25:44.774Z and 10:25:44.774Z at timezone_offset -05:00
    assert night.start == datetime(2022, 4, 23, 21, 25, 44, 774000, tzinfo=EST)
    assert night.end == datetime(2022, 4, 24, 5, 25, 44, 774000, tzinfo=EST)
    assert night.start.utcoffset() == night.end.utcoffset() == timedelta(hours=-5)
    assert night.time_in_bed_s == 30273  # total_in_bed_time_milli 30272735 ms
    assert night.light_s == 14906  # 14905851 ms
    assert night.deep_s == 6630  # total_slow_wave_sleep_time_milli 6630370 ms
    assert night.rem_s == 5880  # 5879573 ms
    assert night.total_sleep_s == 27416  # 14906 + 6630 + 5880
    assert night.awake_s == 1404  # total_awake_time_milli 1403507 ms
    assert night.latency_s is None  # WHOOP gives none
    assert night.awakenings == 12  # disturbance_count
    assert night.efficiency_pct == pytest.approx(91.69533848)
    assert night.resp_rate_bpm == pytest.approx(16.11328125)
    assert night.score == 98  # sleep_performance_percentage 98.0


def test_night_crossing_midnight_belongs_to_the_local_day_it_ends(sleeps: dict) -> None:
    [night] = whoop.parse_sleep(sleeps).nights

    assert night.start.date() == date(2022, 4, 23)
    assert night.local_date == date(2022, 4, 24)


def test_offset_is_the_users_own(sleeps: dict) -> None:
    # 2022-04-24T20:30Z at +09:00 is 05:30 on the 25th: the local day, not the UTC day, dates the night.
    sleeps["records"] = [sleep_like(sleeps, start="2022-04-24T13:00:00.000Z", end="2022-04-24T20:30:00.000Z",
                                    timezone_offset="+09:00")]

    [night] = whoop.parse_sleep(sleeps).nights

    assert night.end == datetime(2022, 4, 25, 5, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert night.end.utcoffset() == timedelta(hours=9)
    assert night.local_date == date(2022, 4, 25)


def test_documented_recovery_belongs_to_another_sleep(sleeps: dict, recovery: dict) -> None:
    assert recovery["records"][0]["sleep_id"] != SLEEP_ID

    [night] = whoop.parse_sleep(sleeps, recovery=recovery).nights

    assert (night.hr_lowest_bpm, night.hrv_rmssd_ms, night.spo2_avg_pct) == (None, None, None)


def test_recovery_vitals_join_their_sleep(sleeps: dict, recovery: dict) -> None:
    [night] = whoop.parse_sleep(sleeps, recovery=recovery_of_the_sleep(recovery)).nights

    assert night.hr_lowest_bpm == 64.0  # resting_heart_rate, measured during the sleep
    assert night.hrv_rmssd_ms == pytest.approx(31.813562)  # hrv_rmssd_milli
    assert night.spo2_avg_pct == pytest.approx(95.6875)


def test_absolute_skin_temperature_is_not_stored_as_a_deviation(sleeps: dict, recovery: dict) -> None:
    assert recovery["records"][0]["score"]["skin_temp_celsius"] == 33.7

    [night] = whoop.parse_sleep(sleeps, recovery=recovery_of_the_sleep(recovery)).nights

    assert night.skin_temp_dev_c is None


def test_unscored_recovery_adds_nothing(sleeps: dict, recovery: dict) -> None:
    recovery_of_the_sleep(recovery)["records"][0]["score_state"] = "PENDING_SCORE"

    [night] = whoop.parse_sleep(sleeps, recovery=recovery).nights

    assert night.hrv_rmssd_ms is None


def test_nap_is_kept_apart(sleeps: dict) -> None:
    sleeps["records"].append(sleep_like(sleeps, id="nap-1", nap=True))

    nights = whoop.parse_sleep(sleeps).nights

    assert [(night.vendor_id, night.kind) for night in nights] == [(SLEEP_ID, NightKind.MAIN), ("nap-1", NightKind.NAP)]


@pytest.mark.parametrize("state", ["PENDING_SCORE", "UNSCORABLE"])
def test_unscored_sleep_yields_nothing_and_is_not_an_error(sleeps: dict, state: str) -> None:
    unscored = sleep_like(sleeps, id="unscored", score_state=state)
    del unscored["score"]
    sleeps["records"].append(unscored)

    parsed = whoop.parse_sleep(sleeps)

    assert [night.vendor_id for night in parsed.nights] == [SLEEP_ID]
    assert parsed.rejected == []


def test_malformed_sleep_is_rejected_and_the_others_kept(sleeps: dict) -> None:
    broken = sleep_like(sleeps, id="broken-sleep")
    del broken["score"]["stage_summary"]
    sleeps["records"].append(broken)

    parsed = whoop.parse_sleep(sleeps)

    assert [night.vendor_id for night in parsed.nights] == [SLEEP_ID]
    assert len(parsed.rejected) == 1
    assert "broken-sleep" in parsed.rejected[0] and "stage_summary" in parsed.rejected[0]


def test_unknown_score_state_is_rejected(sleeps: dict) -> None:
    sleeps["records"] = [sleep_like(sleeps, score_state="SCORING")]

    parsed = whoop.parse_sleep(sleeps)

    assert parsed.nights == [] and "SCORING" in parsed.rejected[0]


def test_unreadable_timezone_offset_is_rejected(sleeps: dict) -> None:
    sleeps["records"] = [sleep_like(sleeps, timezone_offset="EST")]

    parsed = whoop.parse_sleep(sleeps)

    assert parsed.nights == [] and len(parsed.rejected) == 1


@pytest.mark.parametrize("wrong", [[], {"records": {}}, {"data": []}, None])
def test_wrong_shape_is_a_payload_error(wrong: object) -> None:
    with pytest.raises(PayloadError, match="'records' list"):
        whoop.parse_sleep(wrong)


def test_wrong_shape_of_recovery_is_a_payload_error(sleeps: dict) -> None:
    with pytest.raises(PayloadError, match="recovery"):
        whoop.parse_sleep(sleeps, recovery={"records": None})


def test_next_token(sleeps: dict, recovery: dict) -> None:
    assert whoop.next_token(sleeps) == "MTIzOjEyMzEyMw"
    assert whoop.next_token(recovery) is None
    assert whoop.next_token({"records": []}) is None  # absent on the last page


def test_read_export_reads_the_saved_response() -> None:
    parsed = whoop.read_export(SLEEP_FILE, ZoneInfo("America/New_York"))

    assert [night.vendor_id for night in parsed.nights] == [SLEEP_ID]


def test_read_export_of_a_non_json_file_is_a_payload_error(tmp_path: Path) -> None:
    export = tmp_path / "whoop.zip"
    export.write_bytes(b"PK\x03\x04 not json")

    with pytest.raises(PayloadError, match=re.escape("whoop.zip")):
        whoop.read_export(export, ZoneInfo("America/New_York"))
