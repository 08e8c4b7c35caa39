"""Contract tests for the Withings parser against real Sleep Analyzer data recorded by python-withings
(tests/fixtures/wearables/withings, see SOURCE.txt). Expected values are worked out by hand from the payload."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations import withings
from integrations.base import PayloadError
from sleepcot.domain import NightKind, Stage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables" / "withings"
SUMMARY_FILE = FIXTURES / "sleep_v2_getsummary.json"
ONE_NIGHT_FILE = FIXTURES / "sleep_v2_get_one_night.json"
PARIS = ZoneInfo("Europe/Paris")
INVALID_TOKEN = {"status": 401, "body": {},
                 "error": "XRequestID: Not provided invalid_token: The access token provided is invalid"}


@pytest.fixture
def summary() -> dict:
    return json.loads(SUMMARY_FILE.read_text())


@pytest.fixture
def one_night() -> dict:
    return json.loads(ONE_NIGHT_FILE.read_text())


def item_like(summary: dict, **changes: object) -> dict:
    item = copy.deepcopy(summary["body"]["series"][0])
    item.update(changes)
    return item


def test_first_night_in_canonical_units(summary: dict) -> None:
    parsed = withings.parse_summary(summary)

    assert parsed.rejected == []
    night = parsed.nights[0]
    assert night.source == "withings"
    assert night.vendor_id == "2081804182"
    assert night.kind is NightKind.MAIN
    # startdate 1618691453 = 2021-04-17T20:30:53Z, enddate 1618713173 = 2021-04-18T02:32:53Z; Paris is at +02:00
    assert night.start == datetime(2021, 4, 17, 22, 30, 53, tzinfo=PARIS)
    assert night.end == datetime(2021, 4, 18, 4, 32, 53, tzinfo=PARIS)
    assert night.start.utcoffset() == night.end.utcoffset() == timedelta(hours=2)
    assert night.time_in_bed_s == 21720  # no total_timeinbed in this older data: 1618713173 - 1618691453
    assert night.total_sleep_s == 18660  # total_sleep_time = 10440 light + 5820 deep + 2400 REM
    assert (night.light_s, night.deep_s, night.rem_s) == (10440, 5820, 2400)
    assert night.latency_s == 540  # sleep_latency
    assert night.awake_s == 2520  # wakeupduration 3060 - latency 540 (= waso 1380 + wakeup_latency 1140)
    assert night.awakenings == 1  # wakeupcount
    assert night.efficiency_pct == 86.0  # sleep_efficiency 0.86 is a ratio
    assert (night.hr_avg_bpm, night.hr_lowest_bpm, night.resp_rate_bpm) == (103, 70, 14)
    assert night.score == 37
    assert night.hrv_rmssd_ms is None and night.spo2_avg_pct is None


def test_nights_crossing_midnight_belong_to_the_day_they_end(summary: dict) -> None:
    nights = withings.parse_summary(summary).nights

    # every night starts around 22:30 Paris time and ends the next morning, on the day Withings calls `date`
    assert [night.start.date() for night in nights] == [date(2021, 4, day) for day in range(17, 9, -1)]
    assert [night.local_date for night in nights] == [date(2021, 4, day) for day in range(18, 10, -1)]
    assert [night.local_date.isoformat() for night in nights] == [item["date"] for item in summary["body"]["series"]]


def test_each_instant_keeps_its_own_offset_across_dst(summary: dict) -> None:
    # Paris moved from +01:00 to +02:00 at 02:00 on 2021-03-28. 1616878800 = 2021-03-27T21:00Z,
    # 1616907600 = 2021-03-28T05:00Z: 22:00+01:00 to 07:00+02:00 is 8 h in bed, not the 9 h on the wall clock.
    data = dict(summary["body"]["series"][0]["data"], total_sleep_time=25200)
    summary["body"]["series"] = [item_like(summary, startdate=1616878800, enddate=1616907600, data=data)]

    [night] = withings.parse_summary(summary).nights

    assert night.start.utcoffset() == timedelta(hours=1)
    assert night.end.utcoffset() == timedelta(hours=2)
    assert night.time_in_bed_s == 8 * 3600
    assert night.local_date == date(2021, 3, 28)


def test_item_without_timezone_uses_the_users(summary: dict) -> None:
    item = item_like(summary)
    del item["timezone"]
    summary["body"]["series"] = [item]

    [night] = withings.parse_summary(summary, tz=ZoneInfo("America/New_York")).nights

    assert night.end == datetime(2021, 4, 17, 22, 32, 53, tzinfo=ZoneInfo("America/New_York"))  # 02:32:53Z at -04:00
    assert night.end.utcoffset() == timedelta(hours=-4)
    assert night.local_date == date(2021, 4, 17)


@pytest.mark.parametrize(("startdate", "enddate", "kind"), [
    (1618660800, 1618666200, NightKind.NAP),  # 14:00-15:30 Paris: 1.5 h centred in the afternoon
    (1618704000, 1618711200, NightKind.MAIN),  # 02:00-04:00 Paris: a short night is still the main sleep
    (1618639200, 1618660800, NightKind.MAIN),  # 08:00-14:00 Paris: a 6 h day sleep (shift work)
])
def test_nap_by_duration_and_time_of_day(summary: dict, startdate: int, enddate: int, kind: NightKind) -> None:
    in_bed = enddate - startdate
    data = {"lightsleepduration": in_bed - 600, "wakeupduration": 600, "sleep_latency": 300}
    summary["body"]["series"] = [item_like(summary, startdate=startdate, enddate=enddate, data=data)]

    [night] = withings.parse_summary(summary).nights

    assert night.kind is kind
    assert night.total_sleep_s == in_bed - 600  # no total_sleep_time: light + deep + REM (only light here)


def test_malformed_night_is_rejected_and_the_others_kept(summary: dict) -> None:
    del summary["body"]["series"][3]["data"]

    parsed = withings.parse_summary(summary)

    assert len(parsed.nights) == 7
    assert "2081804405" not in [night.vendor_id for night in parsed.nights]
    assert len(parsed.rejected) == 1
    assert "2081804405" in parsed.rejected[0] and "'data'" in parsed.rejected[0]


@pytest.mark.parametrize("wrong", [[], {"status": 0}, {"status": 0, "body": {}}, {"body": {"series": []}}])
def test_wrong_shape_is_a_payload_error(wrong: object) -> None:
    with pytest.raises(PayloadError, match="withings"):
        withings.parse_summary(wrong)


def test_status_401_is_an_invalid_token() -> None:
    with pytest.raises(withings.WithingsAuthError, match="invalid_token") as caught:
        withings.check_status(INVALID_TOKEN)

    assert caught.value.code == 401


@pytest.mark.parametrize("code", [100, 101, 102, 200])
def test_other_authentication_failures_are_auth_errors(code: int) -> None:
    with pytest.raises(withings.WithingsAuthError):
        withings.check_status({"status": code, "body": {}})


def test_status_601_is_rate_limited() -> None:
    with pytest.raises(withings.WithingsRateLimited) as caught:
        withings.check_status({"status": 601, "body": {}, "error": "Too many request"})

    assert caught.value.code == 601


def test_other_statuses_are_errors_with_their_code() -> None:
    with pytest.raises(withings.WithingsError, match="503: Invalid Params") as caught:
        withings.check_status({"status": 503, "body": {}, "error": "Invalid Params"})

    assert caught.value.code == 503
    assert not isinstance(caught.value, (withings.WithingsAuthError, withings.WithingsRateLimited))


def test_success_passes(summary: dict) -> None:
    withings.check_status(summary)  # status 0


def test_parsers_raise_the_status_error() -> None:
    with pytest.raises(withings.WithingsAuthError):
        withings.parse_summary(INVALID_TOKEN)
    with pytest.raises(withings.WithingsAuthError):
        withings.more(INVALID_TOKEN)


def test_more_pages(summary: dict) -> None:
    assert withings.more(summary) == (True, 300)
    assert withings.more({"status": 0, "body": {"series": [], "more": False, "offset": 0}}) == (False, 0)


def test_one_nights_segments_match_its_summary(one_night: dict) -> None:
    segments = withings.parse_segments(one_night, PARIS)

    # 298 one-to-ten-minute stretches, out of order in the payload, become six runs
    assert [(s.start.time().isoformat(), s.end.time().isoformat(), s.stage) for s in segments] == [
        ("22:30:53", "22:39:53", Stage.AWAKE),  # 1618691453..1618691993: 540 s = sleep_latency
        ("22:39:53", "01:33:53", Stage.LIGHT),  # 10440 s = lightsleepduration
        ("01:33:53", "01:56:53", Stage.AWAKE),  # 1380 s = waso
        ("01:56:53", "03:33:53", Stage.DEEP),  # 5820 s = deepsleepduration
        ("03:33:53", "04:13:53", Stage.REM),  # 2400 s = remsleepduration
        ("04:13:53", "04:32:53", Stage.AWAKE),  # 1140 s = wakeup_latency
    ]
    assert segments[0].start == datetime(2021, 4, 17, 22, 30, 53, tzinfo=PARIS)  # the summary's startdate
    assert segments[-1].end == datetime(2021, 4, 18, 4, 32, 53, tzinfo=PARIS)  # the summary's enddate
    assert all(segment.start.utcoffset() == timedelta(hours=2) for segment in segments)


def test_undefined_state_leaves_a_gap(one_night: dict) -> None:
    deep = next(item for item in one_night["body"]["series"] if item["startdate"] == 1618703813)
    deep["state"] = 99  # the first minute of deep sleep (01:56:53-01:57:53)

    segments = withings.parse_segments(one_night, PARIS)

    deep_runs = [(s.start.time().isoformat(), s.end.time().isoformat()) for s in segments if s.stage is Stage.DEEP]
    assert deep_runs == [("01:57:53", "03:33:53")]


def test_malformed_segment_is_a_payload_error(one_night: dict) -> None:
    del one_night["body"]["series"][5]["enddate"]

    with pytest.raises(PayloadError, match="segment 5"):
        withings.parse_segments(one_night, PARIS)


def test_read_export_reads_the_saved_response() -> None:
    parsed = withings.read_export(SUMMARY_FILE, PARIS)

    assert len(parsed.nights) == 8 and parsed.rejected == []
    assert parsed.nights[0].vendor_id == "2081804182"


def test_read_export_of_a_non_json_file_is_a_payload_error(tmp_path: Path) -> None:
    export = tmp_path / "sleep.csv"
    export.write_text("from,to,light (s),deep (s)\n")

    with pytest.raises(PayloadError, match=re.escape("sleep.csv")):
        withings.read_export(export, PARIS)
