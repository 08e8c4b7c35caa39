"""Contract tests for integrations/garmin.py against real Garmin Connect payloads recorded by garth
(tests/fixtures/wearables/garmin, see SOURCE.txt). Expected values are worked out by hand from the payloads'
fields; variants are built here from the real payloads. There is no real Garmin Health API sleep summary,
so those tests build one from the documented field names (see HEALTH_API_PUSH)."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations.base import PayloadError
from integrations.garmin import parse_daily_sleep, parse_health_api_sleeps, parse_hrv, read_export
from sleepcot.domain import NightKind, Stage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables" / "garmin"
SLEEP_SERVICE = FIXTURES / "garth_sleep-service_dailySleepData_2025-07-07.json"
WELLNESS = FIXTURES / "garth_wellness-service_dailySleepData_2021-07-20.json"
NO_DATA = FIXTURES / "garth_sleep-service_dailySleepData_nodata_2030-01-01.json"
HRV = FIXTURES / "garth_hrv-service_hrv_2023-07-20.json"
TZ = ZoneInfo("America/Chicago")  # unused by Garmin payloads, which carry their offsets
MINUS_6H, MINUS_5H, PLUS_1H = (timezone(timedelta(hours=h)) for h in (-6, -5, 1))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- Garmin Connect ------------------------------------------------------------------------------------


def test_sleep_service_night() -> None:
    parsed = parse_daily_sleep(_load(SLEEP_SERVICE))
    assert parsed.rejected == []
    [night] = parsed.nights
    assert (night.source, night.vendor_id, night.kind) == ("garmin", "1751863648000", NightKind.MAIN)
    # offset: sleepStartTimestampLocal 1751842048000 - GMT 1751863648000 = -21600000 ms = -6 h (same at the end)
    # start 1751863648 s = 2025-07-07T04:47:28Z -> 22:47:28 -06:00 on the 6th; end 1751888248 = 11:37:28Z
    assert night.start == datetime(2025, 7, 6, 22, 47, 28, tzinfo=MINUS_6H)
    assert night.end == datetime(2025, 7, 7, 5, 37, 28, tzinfo=MINUS_6H)
    assert night.local_date == date(2025, 7, 7)  # crosses midnight; = calendarDate
    assert night.time_in_bed_s == 24600  # 1751888248 - 1751863648
    assert night.total_sleep_s == 24180  # sleepTimeSeconds = 5280 deep + 13440 light + 5460 REM
    assert (night.deep_s, night.light_s, night.rem_s) == (5280, 13440, 5460)
    assert night.awake_s == 420  # awakeSleepSeconds; 24180 + 420 = 24600 in bed
    assert night.latency_s is None  # Garmin reports none
    assert night.efficiency_pct == 98.3  # 100 * 24180 / 24600 = 98.29
    assert night.awakenings == 1  # awakeCount
    assert night.hr_avg_bpm == 46.0  # averageSpO2HRSleep
    assert night.hr_lowest_bpm == 44.0  # restingHeartRate
    assert night.resp_rate_bpm == 13.0  # averageRespirationValue
    assert (night.spo2_avg_pct, night.spo2_min_pct) == (93.0, 86.0)  # averageSpO2Value, lowestSpO2Value
    assert night.skin_temp_dev_c == -0.4  # avgSkinTempDeviationC
    assert night.score == 83  # sleepScores.overall.value
    assert night.hrv_rmssd_ms is None  # no hrv-service payload given


def test_wellness_service_night_has_no_score_or_resting_heart_rate() -> None:
    [night] = parse_daily_sleep(_load(WELLNESS)).nights
    assert night.vendor_id == "1626758400000"
    # offset: 1626740400000 - 1626758400000 = -18000000 ms = -5 h
    # start 1626758400 s = 2021-07-20T05:20:00Z -> 00:20 -05:00; end 1626785940 = 12:59:00Z -> 07:59 -05:00
    assert night.start == datetime(2021, 7, 20, 0, 20, tzinfo=MINUS_5H)
    assert night.end == datetime(2021, 7, 20, 7, 59, tzinfo=MINUS_5H)
    assert night.local_date == date(2021, 7, 20)
    assert night.time_in_bed_s == 27540  # 1626785940 - 1626758400
    assert night.total_sleep_s == 25740  # 4440 + 18720 + 2580
    assert (night.deep_s, night.light_s, night.rem_s, night.awake_s) == (4440, 18720, 2580, 1800)
    assert night.efficiency_pct == 93.5  # 100 * 25740 / 27540 = 93.46
    assert (night.hr_avg_bpm, night.resp_rate_bpm, night.spo2_avg_pct, night.spo2_min_pct) == (51.0, 15.0, 92.0, 84.0)
    # sleepVersion 1 has no awakeCount, sleepScores, restingHeartRate or skin temperature
    assert (night.awakenings, night.score, night.hr_lowest_bpm, night.skin_temp_dev_c) == (None, None, None, None)


def test_a_no_data_day_yields_no_night_and_no_rejection() -> None:
    parsed = parse_daily_sleep(_load(NO_DATA))
    assert parsed.nights == [] and parsed.rejected == []


def test_parse_hrv_reads_last_night_average_rmssd() -> None:
    assert parse_hrv(_load(HRV)) == 42.0  # hrvSummary.lastNightAvg
    assert parse_hrv(None) is None and parse_hrv({}) is None
    without = _load(HRV)
    without["hrvSummary"]["lastNightAvg"] = None
    assert parse_hrv(without) is None
    with pytest.raises(PayloadError):
        parse_hrv([42])


def test_hrv_of_the_same_day_is_merged_in() -> None:
    hrv = _load(HRV)
    hrv["hrvSummary"]["calendarDate"] = "2025-07-07"  # re-dated to the recorded sleep's day
    [night] = parse_daily_sleep(_load(SLEEP_SERVICE), hrv=hrv).nights
    assert night.hrv_rmssd_ms == 42.0


def test_hrv_of_another_day_is_refused() -> None:
    with pytest.raises(PayloadError, match="2023-07-20"):
        parse_daily_sleep(_load(SLEEP_SERVICE), hrv=_load(HRV))  # HRV 2023-07-20, sleep 2025-07-07


def test_an_implausible_vital_is_dropped_and_the_night_kept() -> None:
    payload = _load(SLEEP_SERVICE)
    payload["dailySleepDTO"]["averageSpO2HRSleep"] = 4.0  # below the 20 bpm floor
    [night] = parse_daily_sleep(payload).nights
    assert night.hr_avg_bpm is None and night.total_sleep_s == 24180


def test_a_malformed_day_is_rejected(tmp_path: Path) -> None:
    broken = _load(WELLNESS)
    del broken["dailySleepDTO"]["sleepTimeSeconds"]
    parsed = parse_daily_sleep(broken)
    assert parsed.nights == [] and len(parsed.rejected) == 1
    assert "1626758400000" in parsed.rejected[0] and "sleepTimeSeconds" in parsed.rejected[0]
    # in a saved list of days, the other days are kept
    path = tmp_path / "days.json"
    path.write_text(json.dumps([_load(SLEEP_SERVICE), broken, _load(NO_DATA)]), encoding="utf-8")
    parsed = read_export(path, TZ)
    assert [night.vendor_id for night in parsed.nights] == ["1751863648000"] and len(parsed.rejected) == 1


@pytest.mark.parametrize("payload", [[], "x", {"dailySleepDTO": None}, {"sleepLevels": []}])
def test_a_daily_sleep_payload_of_the_wrong_shape_raises(payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_daily_sleep(payload)


@pytest.mark.parametrize("path, vendor_ids", [(SLEEP_SERVICE, ["1751863648000"]), (WELLNESS, ["1626758400000"]),
                                              (NO_DATA, [])])
def test_read_export_reads_either_daily_sleep_shape(path: Path, vendor_ids: list[str]) -> None:
    parsed = read_export(path, TZ)
    assert [night.vendor_id for night in parsed.nights] == vendor_ids and parsed.rejected == []


def test_read_export_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "sleep.json"
    path.write_text("{truncated", encoding="utf-8")
    with pytest.raises(PayloadError, match="JSON"):
        read_export(path, TZ)


# --- Garmin Health API push ------------------------------------------------------------------------------

# Built here, not recorded: the Health API specification is gated behind Garmin's developer program. The
# field names are those of its "Sleep Summaries" table and examples (summaryId, calendarDate,
# startTimeInSeconds, startTimeOffsetInSeconds, durationInSeconds, unmeasurableSleepInSeconds,
# deepSleepDurationInSeconds, lightSleepDurationInSeconds, remSleepInSeconds, awakeDurationInSeconds,
# sleepLevelsMap, validation, timeOffsetSleepSpo2, timeOffsetSleepRespiration, overallSleepScore, naps), as
# reproduced in public code: RADAR-base/RADAR-Schemas commons/push/garmin/garmin_sleep_summary.avsc and
# public webhook receivers; the push wraps summaries as {"sleeps": [...]} with userId and userAccessToken.
# The OFF_WRIST summary is the specification's own example.
def _span(start: int, end: int) -> dict:
    return {"startTimeInSeconds": start, "endTimeInSeconds": end}


HEALTH_API_PUSH = {"sleeps": [
    {
        "userId": "4aacafe82427c251df9c9592d0c06768", "userAccessToken": "test-token",
        "summaryId": "x-test-1", "calendarDate": "2024-03-11",
        "startTimeInSeconds": 1710108000, "startTimeOffsetInSeconds": 3600, "durationInSeconds": 28800,
        "unmeasurableSleepInSeconds": 0, "deepSleepDurationInSeconds": 5400, "lightSleepDurationInSeconds": 14400,
        "remSleepInSeconds": 6000, "awakeDurationInSeconds": 3000,
        "sleepLevelsMap": {
            "awake": [_span(1710108000, 1710108600), _span(1710121200, 1710122400), _span(1710135600, 1710136800)],
            "light": [_span(1710108600, 1710115800), _span(1710122400, 1710129600)],
            "deep": [_span(1710115800, 1710121200)],
            "rem": [_span(1710129600, 1710135600)],
        },
        "validation": "ENHANCED_FINAL",
        "timeOffsetSleepSpo2": {"0": 95, "60": 96, "120": 93},
        "timeOffsetSleepRespiration": {"60": 15.0, "120": 14.0},
        "overallSleepScore": {"value": 82, "qualifierKey": "GOOD"},
        "naps": [{"napDurationInSeconds": 1200, "napStartTimeInSeconds": 1710165600, "napOffsetInSeconds": 3600,
                  "napValidation": "DEVICE"}],
    },
    {
        "userId": "4aacafe82427c251df9c9592d0c06768", "userAccessToken": "test-token",
        "summaryId": "x-EXAMPLE", "calendarDate": "2021-01-29", "durationInSeconds": 28260,
        "startTimeInSeconds": 1611840660, "startTimeOffsetInSeconds": 32400, "unmeasurableSleepInSeconds": 0,
        "deepSleepDurationInSeconds": 0, "lightSleepDurationInSeconds": 0, "remSleepInSeconds": 0,
        "awakeDurationInSeconds": 0, "validation": "OFF_WRIST", "timeOffsetSleepSpo2": {},
        "timeOffsetSleepRespiration": {},
    },
]}


def test_health_api_sleep_summary() -> None:
    parsed = parse_health_api_sleeps(copy.deepcopy(HEALTH_API_PUSH))
    assert parsed.rejected == []
    main, nap = parsed.nights  # the OFF_WRIST summary has no measured sleep: no night
    assert (main.vendor_id, main.kind) == ("x-test-1", NightKind.MAIN)
    # 1710108000 = 2024-03-10T22:00:00Z, + 3600 s = 23:00 +01:00; + 28800 s = 2024-03-11T06:00Z = 07:00 +01:00
    assert main.start == datetime(2024, 3, 10, 23, 0, tzinfo=PLUS_1H)
    assert main.end == datetime(2024, 3, 11, 7, 0, tzinfo=PLUS_1H)
    assert main.local_date == date(2024, 3, 11)  # = calendarDate
    assert main.time_in_bed_s == 28800  # durationInSeconds = 5400 + 14400 + 6000 + 3000
    assert main.total_sleep_s == 25800  # 5400 deep + 14400 light + 6000 REM
    assert (main.deep_s, main.light_s, main.rem_s, main.awake_s) == (5400, 14400, 6000, 3000)
    assert main.efficiency_pct == 89.6  # 100 * 25800 / 28800 = 89.58
    assert main.awakenings == 2  # awake ranges at 01:40Z and 05:40Z; the 22:00Z one precedes sleep
    assert (main.spo2_avg_pct, main.spo2_min_pct) == (94.7, 93.0)  # (95 + 96 + 93) / 3 = 94.67; min 93
    assert main.resp_rate_bpm == 14.5  # (15.0 + 14.0) / 2
    assert main.score == 82  # overallSleepScore.value
    assert [s.stage for s in main.segments] == [Stage.AWAKE, Stage.LIGHT, Stage.DEEP, Stage.AWAKE, Stage.LIGHT,
                                                Stage.REM, Stage.AWAKE]
    assert main.segments[2].seconds == 5400  # deep 1710115800 -> 1710121200
    # nap: 1710165600 = 2024-03-11T14:00Z, + 3600 s = 15:00 +01:00, for 1200 s
    assert (nap.vendor_id, nap.kind) == ("x-test-1-nap-1710165600", NightKind.NAP)
    assert nap.start == datetime(2024, 3, 11, 15, 0, tzinfo=PLUS_1H)
    assert nap.end == datetime(2024, 3, 11, 15, 20, tzinfo=PLUS_1H)
    assert (nap.time_in_bed_s, nap.total_sleep_s) == (1200, 1200)


def test_a_malformed_health_api_summary_is_rejected_and_the_others_kept() -> None:
    push = copy.deepcopy(HEALTH_API_PUSH)
    broken = copy.deepcopy(push["sleeps"][0])
    broken["summaryId"] = "x-broken"
    del broken["startTimeInSeconds"]
    del broken["naps"]
    push["sleeps"].append(broken)
    parsed = parse_health_api_sleeps(push)
    assert [night.vendor_id for night in parsed.nights] == ["x-test-1", "x-test-1-nap-1710165600"]
    assert len(parsed.rejected) == 1
    assert "x-broken" in parsed.rejected[0] and "startTimeInSeconds" in parsed.rejected[0]


PING = {"sleeps": [{"userId": "4aacafe82427c251df9c9592d0c06768", "callbackURL":
                    "https://apis.garmin.com/wellness-api/rest/sleeps?uploadStartTimeInSeconds=1710108000"
                    "&uploadEndTimeInSeconds=1710136800&token=XXXX"}]}


@pytest.mark.parametrize("payload", [[], {"sleeps": {}}, {"dailies": []}, PING])
def test_a_health_api_payload_of_the_wrong_shape_or_a_ping_raises(payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_health_api_sleeps(payload)


def test_read_export_reads_a_saved_health_api_push(tmp_path: Path) -> None:
    path = tmp_path / "sleeps.json"
    path.write_text(json.dumps(HEALTH_API_PUSH), encoding="utf-8")
    assert [night.kind for night in read_export(path, TZ).nights] == [NightKind.MAIN, NightKind.NAP]
