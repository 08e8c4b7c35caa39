"""Contract tests for integrations/google_health.py against a real Google Health API v4 sleep list response
(tests/fixtures/wearables/google_health, see SOURCE.txt). Expected values are worked out by hand from the
payload's fields; variants are built here from the real data point."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations.base import PayloadError
from integrations.google_health import next_page_token, parse_data_points, read_export
from sleepcot.domain import NightKind, Stage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables" / "google_health"
FIXTURE = FIXTURES / "sleep_list_manual_classic_slackhealthbot.json"
PLUS_2H = timezone(timedelta(hours=2))  # "startUtcOffset": "7200s" = 2 h


@pytest.fixture
def page() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_manual_classic_sleep_is_one_main_night_dated_by_its_local_end(page: dict) -> None:
    parsed = parse_data_points(page)
    assert parsed.rejected == []
    [night] = parsed.nights
    assert night.source == "google_health"
    assert night.vendor_id == "yyy"  # last segment of "users/xxx/dataTypes/sleep/dataPoints/yyy"
    # 2026-04-04T18:39:00Z + 7200 s = 20:39 local; 2026-04-05T02:39:00Z + 7200 s = 04:39 local the next day
    assert night.start == datetime(2026, 4, 4, 20, 39, tzinfo=PLUS_2H)
    assert night.end == datetime(2026, 4, 5, 4, 39, tzinfo=PLUS_2H)
    assert night.start.utcoffset() == night.end.utcoffset() == timedelta(hours=2)
    assert night.local_date == date(2026, 4, 5)  # crosses midnight: dated by the local day it ends
    assert night.kind is NightKind.MAIN  # metadata carries neither mainSleep nor nap
    assert night.time_in_bed_s == 28800  # minutesInSleepPeriod "480" * 60
    assert night.total_sleep_s == 28800  # (minutesAsleep "480" + 0 RESTLESS minutes) * 60
    assert night.latency_s == 0  # minutesToFallAsleep "0"
    assert night.awake_s == 0  # 28800 in bed - 28800 asleep - 0 latency
    assert night.efficiency_pct == 100.0  # 28800 / 28800
    assert (night.deep_s, night.light_s, night.rem_s) == (None, None, None)  # CLASSIC: no stages
    assert night.awakenings == 0
    assert [(s.start, s.end, s.stage) for s in night.segments] == [
        (datetime(2026, 4, 4, 20, 39, tzinfo=PLUS_2H), datetime(2026, 4, 5, 4, 39, tzinfo=PLUS_2H), Stage.ASLEEP)]
    # Google Health sleep points carry no vitals
    assert (night.hr_avg_bpm, night.hr_lowest_bpm, night.hrv_rmssd_ms, night.spo2_avg_pct, night.score) == (
        None, None, None, None, None)


def test_next_page_token(page: dict) -> None:
    assert next_page_token(page) is None  # the recorded page is the last one
    assert next_page_token({"dataPoints": [], "nextPageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0"}) == (
        "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0")
    assert next_page_token({"nextPageToken": ""}) is None
    with pytest.raises(PayloadError):
        next_page_token([])


def _second_point(page: dict, point_id: str) -> dict:
    point = copy.deepcopy(page["dataPoints"][0])
    point["name"] = f"users/xxx/dataTypes/sleep/dataPoints/{point_id}"
    return point


def test_main_sleep_and_nap_from_metadata_main_sleep(page: dict) -> None:
    # newer API revisions mark the day's main sleep with metadata.mainSleep; proto3 JSON omits a false one
    page["dataPoints"].append(_second_point(page, "nap1"))
    page["dataPoints"][0]["sleep"]["metadata"]["mainSleep"] = True
    kinds = {night.vendor_id: night.kind for night in parse_data_points(page).nights}
    assert kinds == {"yyy": NightKind.MAIN, "nap1": NightKind.NAP}


def test_nap_flag_without_main_sleep_marks(page: dict) -> None:
    nap = _second_point(page, "nap2")
    nap["sleep"]["metadata"]["nap"] = True
    page["dataPoints"].append(nap)
    kinds = {night.vendor_id: night.kind for night in parse_data_points(page).nights}
    assert kinds == {"yyy": NightKind.MAIN, "nap2": NightKind.NAP}


def test_restless_minutes_count_as_sleep(page: dict) -> None:
    summary = page["dataPoints"][0]["sleep"]["summary"]
    summary.update(minutesAsleep="455", minutesAwake="10", minutesToFallAsleep="4", stagesSummary=[
        {"type": "ASLEEP", "minutes": "455", "count": "3"}, {"type": "RESTLESS", "minutes": "15", "count": "2"},
        {"type": "AWAKE", "minutes": "10", "count": "1"}])
    [night] = parse_data_points(page).nights
    assert night.total_sleep_s == 28200  # (455 asleep + 15 restless) * 60
    assert night.latency_s == 240  # 4 * 60
    assert night.awake_s == 360  # 28800 in bed - 28200 asleep - 240 latency


def test_stages_sleep_maps_stage_minutes_segments_and_awakenings(page: dict) -> None:
    sleep = page["dataPoints"][0]["sleep"]
    sleep["type"] = "STAGES"

    def stage(kind: str, start: str, end: str) -> dict:
        return {"startTime": start, "startUtcOffset": "7200s", "endTime": end, "endUtcOffset": "7200s", "type": kind}

    sleep["stages"] = [stage("AWAKE", "2026-04-04T18:39:00Z", "2026-04-04T18:51:00Z"),
                       stage("LIGHT", "2026-04-04T18:51:00Z", "2026-04-04T21:00:00Z"),
                       stage("DEEP", "2026-04-04T21:00:00Z", "2026-04-04T22:30:00Z"),
                       stage("AWAKE", "2026-04-04T22:30:00Z", "2026-04-04T22:35:00Z"),
                       stage("REM", "2026-04-04T22:35:00Z", "2026-04-05T00:20:00Z"),
                       stage("LIGHT", "2026-04-05T00:20:00Z", "2026-04-05T02:39:00Z")]
    sleep["summary"].update(minutesAsleep="463", minutesAwake="17", minutesToFallAsleep="12", stagesSummary=[
        {"type": "LIGHT", "minutes": "268", "count": "2"}, {"type": "DEEP", "minutes": "90", "count": "1"},
        {"type": "REM", "minutes": "105", "count": "1"}, {"type": "AWAKE", "minutes": "17", "count": "2"}])
    [night] = parse_data_points(page).nights
    # light 18:51-21:00 (129 min) + 00:20-02:39 (139 min) = 268 min; deep 90 min; REM 22:35-00:20 = 105 min
    assert (night.light_s, night.deep_s, night.rem_s) == (268 * 60, 90 * 60, 105 * 60)
    assert night.total_sleep_s == 463 * 60  # 268 + 90 + 105 = 463
    assert night.latency_s == 720 and night.awake_s == 300  # 480 - 463 - 12 = 5 min
    assert night.awakenings == 1  # the 22:30 wake; the 18:39 one is before falling asleep
    assert [s.stage for s in night.segments] == [Stage.AWAKE, Stage.LIGHT, Stage.DEEP, Stage.AWAKE, Stage.REM,
                                                 Stage.LIGHT]
    assert night.segments[4].end == datetime(2026, 4, 5, 2, 20, tzinfo=PLUS_2H)  # 00:20Z + 2 h


def test_a_malformed_point_is_rejected_and_the_others_kept(page: dict) -> None:
    broken = _second_point(page, "broken")
    del broken["sleep"]["interval"]
    page["dataPoints"].append(broken)
    parsed = parse_data_points(page)
    assert [night.vendor_id for night in parsed.nights] == ["yyy"]
    assert len(parsed.rejected) == 1
    assert "broken" in parsed.rejected[0] and "interval" in parsed.rejected[0]


def test_an_unprocessed_sleep_without_summary_waits_for_a_later_sync(page: dict) -> None:
    pending = _second_point(page, "pending")
    del pending["sleep"]["summary"]
    pending["sleep"]["metadata"]["processed"] = False
    page["dataPoints"].append(pending)
    parsed = parse_data_points(page)
    assert [night.vendor_id for night in parsed.nights] == ["yyy"] and parsed.rejected == []


def test_a_point_without_name_gets_an_id_derived_from_its_start(page: dict) -> None:
    del page["dataPoints"][0]["name"]
    [night] = parse_data_points(page).nights
    assert night.vendor_id == "google_health-20260404T183900Z"  # startTime 2026-04-04T18:39:00Z


@pytest.mark.parametrize("payload", [[], "dataPoints", {"dataPoints": {}},
                                     {"error": {"code": 401, "status": "UNAUTHENTICATED"}}])
def test_a_payload_of_the_wrong_shape_raises(payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_data_points(payload)


def test_an_empty_page_has_no_nights() -> None:
    parsed = parse_data_points({})
    assert parsed.nights == [] and parsed.rejected == []


def test_read_export_reads_the_saved_response(page: dict) -> None:
    parsed = read_export(FIXTURE, ZoneInfo("Europe/Berlin"))
    assert [night.vendor_id for night in parsed.nights] == ["yyy"]
    assert parsed.nights[0].model_dump() == parse_data_points(page).nights[0].model_dump()


def test_read_export_reads_a_list_of_saved_pages(page: dict, tmp_path: Path) -> None:
    second = {"dataPoints": [_second_point(page, "other")]}
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([page, second]), encoding="utf-8")
    assert [night.vendor_id for night in read_export(path, ZoneInfo("UTC")).nights] == ["yyy", "other"]


def test_read_export_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "sleep.json"
    path.write_text("<html>not json</html>", encoding="utf-8")
    with pytest.raises(PayloadError, match="JSON"):
        read_export(path, ZoneInfo("UTC"))
    with pytest.raises(PayloadError):
        read_export(tmp_path / "missing.json", ZoneInfo("UTC"))
