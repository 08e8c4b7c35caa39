"""Contract tests for the Oura API v2 parser against Oura's documented sleep example (tests/fixtures/wearables/oura,
see SOURCE.txt). Expected values are worked out by hand from the payload's fields."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations import oura
from integrations.base import PayloadError
from sleepcot.domain import NightKind, Stage

FIXTURE = Path(__file__).parents[1] / "fixtures" / "wearables" / "oura" / "sleep_v2_doc_example_via_hedgertronic.json"
PERIOD_ID = "8f9a5221-639e-4a85-81cb-4065ef23f979"
PACIFIC = ZoneInfo("America/Los_Angeles")

# Oura's documented daily_readiness example item (reproduced in hedgertronic/oura-ring README.md): day 2021-10-27,
# temperature_deviation -0.2 °C.
READINESS_EXAMPLE = {
    "contributors": {"activity_balance": 56, "body_temperature": 98, "hrv_balance": 75, "previous_day_activity": None,
                     "previous_night": 35, "recovery_index": 47, "resting_heart_rate": 94, "sleep_balance": 73},
    "day": "2021-10-27", "score": 66, "temperature_deviation": -0.2, "temperature_trend_deviation": 0.1,
    "timestamp": "2021-10-27T00:00:00+00:00",
}


@pytest.fixture
def payload() -> dict:
    return json.loads(FIXTURE.read_text())


def period_like(payload: dict, **changes: object) -> dict:
    period = copy.deepcopy(payload["data"][0])
    period.update(changes)
    return period


def test_documented_night_in_canonical_units(payload: dict) -> None:
    parsed = oura.parse_sleep(payload)

    assert parsed.rejected == []
    [night] = parsed.nights
    assert night.source == "oura"
    assert night.vendor_id == PERIOD_ID
    assert night.kind is NightKind.MAIN  # type long_sleep
    assert night.start == datetime(2022, 7, 12, 1, 5, 14, tzinfo=PACIFIC)
    assert night.end == datetime(2022, 7, 12, 9, 25, 14, tzinfo=PACIFIC)
    assert night.start.utcoffset() == night.end.utcoffset() == timedelta(hours=-7)  # "-07:00" kept
    assert night.local_date == date(2022, 7, 12)
    assert night.time_in_bed_s == 30000  # 09:25:14 - 01:05:14 = 8 h 20 min = 30000 s = time_in_bed
    assert night.total_sleep_s == 25200  # total_sleep_duration is null: 4170 deep + 18750 light + 2280 REM
    assert (night.deep_s, night.light_s, night.rem_s) == (4170, 18750, 2280)
    assert night.latency_s == 540
    assert night.awake_s == 4260  # awake_time 4800 (= 30000 - 25200, latency included) - latency 540
    assert night.efficiency_pct == 84
    assert night.hr_lowest_bpm == 48
    assert night.hrv_rmssd_ms == 117
    assert night.resp_rate_bpm == 12.625
    assert night.awakenings is None  # no count from Oura and no readable hypnogram


def test_impossible_average_heart_rate_is_dropped_and_the_night_kept(payload: dict) -> None:
    assert payload["data"][0]["average_heart_rate"] == 4.25  # as published in the documentation

    [night] = oura.parse_sleep(payload).nights

    assert night.vendor_id == PERIOD_ID
    assert night.hr_avg_bpm is None


def test_placeholder_hypnogram_is_left_out(payload: dict) -> None:
    assert oura.parse_sleep(payload).nights[0].segments is None  # "<long sequence of 1|2|3|4>"


def test_hypnogram_becomes_stage_segments(payload: dict) -> None:
    payload["data"] = [period_like(payload, sleep_phase_5_min="4422211334")]

    [night] = oura.parse_sleep(payload).nights

    start = night.start  # each character is 5 minutes from bedtime_start: 4 awake, 1 deep, 2 light, 3 REM
    assert [(s.start - start, s.end - start, s.stage) for s in night.segments] == [
        (timedelta(minutes=0), timedelta(minutes=10), Stage.AWAKE),
        (timedelta(minutes=10), timedelta(minutes=25), Stage.LIGHT),
        (timedelta(minutes=25), timedelta(minutes=35), Stage.DEEP),
        (timedelta(minutes=35), timedelta(minutes=45), Stage.REM),
        (timedelta(minutes=45), timedelta(minutes=50), Stage.AWAKE),
    ]
    assert night.awakenings == 1  # the awake run after sleep began; the first one is lying awake before it


def test_readiness_temperature_and_spo2_join_the_main_sleep_of_the_same_day(payload: dict) -> None:
    same_day = dict(READINESS_EXAMPLE, day="2022-07-12")  # the documented item, moved to the sleep's day
    # A daily_spo2 item in the documented shape (PublicDailySpO2); 96.5 % is a test value.
    spo2 = {"data": [{"id": "spo2-1", "day": "2022-07-12", "spo2_percentage": {"average": 96.5}}], "next_token": None}

    [night] = oura.parse_sleep(payload, readiness={"data": [same_day]}, spo2=spo2).nights

    assert night.skin_temp_dev_c == -0.2
    assert night.spo2_avg_pct == 96.5


def test_readiness_of_another_day_is_not_joined(payload: dict) -> None:
    [night] = oura.parse_sleep(payload, readiness={"data": [READINESS_EXAMPLE]}).nights  # day 2021-10-27

    assert night.skin_temp_dev_c is None


def test_the_periods_own_readiness_wins(payload: dict) -> None:
    payload["data"] = [period_like(payload, readiness={"contributors": {}, "temperature_deviation": 0.4})]
    same_day = dict(READINESS_EXAMPLE, day="2022-07-12")

    [night] = oura.parse_sleep(payload, readiness={"data": [same_day]}).nights

    assert night.skin_temp_dev_c == 0.4


@pytest.mark.parametrize("sleep_type", ["sleep", "late_nap"])
def test_confirmed_short_sleeps_are_naps_without_the_days_vitals(payload: dict, sleep_type: str) -> None:
    payload["data"] = [period_like(payload, type=sleep_type)]
    same_day = dict(READINESS_EXAMPLE, day="2022-07-12")
    spo2 = {"data": [{"id": "spo2-1", "day": "2022-07-12", "spo2_percentage": {"average": 96.5}}]}

    [nap] = oura.parse_sleep(payload, readiness={"data": [same_day]}, spo2=spo2).nights

    assert nap.kind is NightKind.NAP
    assert nap.skin_temp_dev_c is None and nap.spo2_avg_pct is None


@pytest.mark.parametrize("sleep_type", ["rest", "deleted"])
def test_rejected_and_deleted_periods_yield_nothing(payload: dict, sleep_type: str) -> None:
    payload["data"] = [period_like(payload, type=sleep_type)]

    parsed = oura.parse_sleep(payload)

    assert parsed.nights == [] and parsed.rejected == []


def test_night_crossing_midnight_belongs_to_the_day_it_ends(payload: dict) -> None:
    payload["data"] = [period_like(payload, bedtime_start="2022-07-11T23:05:14-07:00",
                                   bedtime_end="2022-07-12T07:25:14-07:00")]

    [night] = oura.parse_sleep(payload).nights

    assert night.start.date() == date(2022, 7, 11)
    assert night.local_date == date(2022, 7, 12)


def test_late_nap_is_dated_by_the_local_day_not_the_utc_day(payload: dict) -> None:
    # 20:30 at -07:00 is 03:30 UTC on 2022-07-13; the user's day is still 2022-07-12.
    payload["data"] = [period_like(payload, type="late_nap", bedtime_start="2022-07-12T19:00:00-07:00",
                                   bedtime_end="2022-07-12T20:30:00-07:00", time_in_bed=5400, deep_sleep_duration=600,
                                   light_sleep_duration=3000, rem_sleep_duration=900, awake_time=900, latency=300)]

    [nap] = oura.parse_sleep(payload).nights

    assert nap.end.utcoffset() == timedelta(hours=-7)
    assert nap.local_date == date(2022, 7, 12)


def test_malformed_period_is_rejected_and_the_others_kept(payload: dict) -> None:
    broken = period_like(payload, id="broken-period")
    del broken["bedtime_start"]
    payload["data"].append(broken)

    parsed = oura.parse_sleep(payload)

    assert [night.vendor_id for night in parsed.nights] == [PERIOD_ID]
    assert len(parsed.rejected) == 1
    assert "broken-period" in parsed.rejected[0] and "bedtime_start" in parsed.rejected[0]


def test_unknown_sleep_type_is_rejected(payload: dict) -> None:
    payload["data"] = [period_like(payload, type="siesta")]

    parsed = oura.parse_sleep(payload)

    assert parsed.nights == []
    assert "siesta" in parsed.rejected[0]


@pytest.mark.parametrize("wrong", [[], {"data": {}}, {"records": []}, "data"])
def test_wrong_shape_is_a_payload_error(wrong: object) -> None:
    with pytest.raises(PayloadError, match="'data' list"):
        oura.parse_sleep(wrong)


def test_wrong_shape_of_readiness_is_a_payload_error(payload: dict) -> None:
    with pytest.raises(PayloadError, match="daily_readiness"):
        oura.parse_sleep(payload, readiness=[READINESS_EXAMPLE])


def test_next_token(payload: dict) -> None:
    assert oura.next_token(payload) is None
    assert oura.next_token({"data": [], "next_token": "bmV4dA"}) == "bmV4dA"


def test_read_export_reads_the_saved_response() -> None:
    parsed = oura.read_export(FIXTURE, PACIFIC)

    assert [night.vendor_id for night in parsed.nights] == [PERIOD_ID]
    assert parsed.nights[0].total_sleep_s == 25200


def test_read_export_of_a_non_json_file_is_a_payload_error(tmp_path: Path) -> None:
    export = tmp_path / "sleep.csv"
    export.write_text("day,score\n2022-07-12,80\n")

    with pytest.raises(PayloadError, match=re.escape("sleep.csv")):
        oura.read_export(export, PACIFIC)
