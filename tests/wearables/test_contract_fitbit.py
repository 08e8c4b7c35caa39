"""Contract tests for integrations/fitbit.py against real legacy Fitbit Web API v1.2 sleep responses
(tests/fixtures/wearables/fitbit, see SOURCE.txt). Expected values are worked out by hand from the payloads'
fields; variants are built here from the real logs."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations.base import PayloadError
from integrations.fitbit import parse_sleep_log, read_export
from sleepcot.domain import NightKind, Stage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables" / "fitbit"
TWO_ITEMS = FIXTURES / "fitbit_sleep_response_2_items.json"
CLASSIC = FIXTURES / "fitbit_sleep_response_classic.json"
PARIS = ZoneInfo("Europe/Paris")  # the logs' local times are naive; in May Paris is UTC+2
PLUS_2H = timezone(timedelta(hours=2))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _seconds_in(night, stage: Stage) -> int:
    return sum(segment.seconds for segment in night.segments if segment.stage is stage)


def test_two_items_are_a_nap_and_a_main_sleep() -> None:
    parsed = parse_sleep_log(_load(TWO_ITEMS), PARIS)
    assert parsed.rejected == []
    assert [(night.vendor_id, night.kind) for night in parsed.nights] == [
        ("41332621161", NightKind.NAP),  # isMainSleep false
        ("41325676437", NightKind.MAIN),  # isMainSleep true
    ]


def test_the_nap() -> None:
    nap = parse_sleep_log(_load(TWO_ITEMS), PARIS).nights[0]
    assert nap.source == "fitbit"
    assert nap.start == datetime(2023, 5, 14, 15, 26, tzinfo=PLUS_2H)  # "2023-05-14T15:26:00.000" read in Paris
    assert nap.end == datetime(2023, 5, 14, 18, 30, 30, tzinfo=PLUS_2H)
    assert nap.local_date == date(2023, 5, 14)  # = dateOfSleep
    assert nap.time_in_bed_s == 11040  # timeInBed 184 * 60
    assert nap.total_sleep_s == 9360  # minutesAsleep 156 * 60 (stages: no restless)
    assert nap.latency_s == 0  # minutesToFallAsleep 0
    assert nap.awake_s == 1680  # 11040 - 9360 - 0 = 28 min = minutesAwake
    assert (nap.deep_s, nap.light_s, nap.rem_s) == (300, 8340, 720)  # summary 5, 139, 12 min * 60
    assert nap.efficiency_pct == 84.8  # 100 * 9360 / 11040 = 84.78; Fitbit's own "efficiency": 96 is not used
    assert nap.awakenings == 7  # 6 shortData wake bouts + the 18:15:30 wake; the 15:26 one precedes sleep


def test_the_main_sleep() -> None:
    main = parse_sleep_log(_load(TWO_ITEMS), PARIS).nights[1]
    assert main.start == datetime(2023, 5, 14, 1, 51, tzinfo=PLUS_2H)
    assert main.end == datetime(2023, 5, 14, 9, 23, 30, tzinfo=PLUS_2H)
    assert main.local_date == date(2023, 5, 14)
    assert main.time_in_bed_s == 27120  # timeInBed 452 * 60
    assert main.total_sleep_s == 25020  # minutesAsleep 417 * 60 (= deep 92 + light 181 + rem 144)
    assert main.awake_s == 2100  # 27120 - 25020 - 0 = 35 min = minutesAwake
    assert (main.deep_s, main.light_s, main.rem_s) == (5520, 10860, 8640)  # 92, 181, 144 min * 60
    assert main.efficiency_pct == 92.3  # 100 * 25020 / 27120 = 92.26; Fitbit says 98
    assert main.awakenings == 31  # 30 shortData wake bouts + the 06:17 wake


def test_the_main_sleep_hypnogram_cuts_the_short_wakes_in() -> None:
    main = parse_sleep_log(_load(TWO_ITEMS), PARIS).nights[1]
    segments = main.segments
    assert segments[0].start == main.start and segments[-1].end == main.end
    assert all(a.end == b.start for a, b in zip(segments, segments[1:]))
    # data wakes 450 + 300 s, plus the 30 short wakes: 21 x 30 + 4 x 60 + 4 x 90 + 1 x 120 = 1350 s
    assert _seconds_in(main, Stage.AWAKE) == 450 + 300 + 1350  # = 2100 s, the summary's 35 wake minutes
    # data light 1110+540+1170+1350+1470+930+1830+1290+240+1590 = 11520 s, less the 630 s of short wakes in
    # light = 10890 s = 181.5 min (the summary floors it to 181)
    assert _seconds_in(main, Stage.LIGHT) == 10890
    assert segments[0].stage is Stage.AWAKE and segments[0].seconds == 450  # 01:51:00, 450 s
    assert (segments[1].stage, segments[1].seconds) == (Stage.LIGHT, 300)  # 01:58:30 until the 02:03:30 wake


def test_local_times_are_read_in_the_users_timezone() -> None:
    main = parse_sleep_log(_load(TWO_ITEMS), ZoneInfo("America/New_York")).nights[1]
    assert main.start == datetime(2023, 5, 14, 1, 51, tzinfo=timezone(timedelta(hours=-4)))  # EDT
    assert main.start.utcoffset() == main.end.utcoffset() == timedelta(hours=-4)


def test_the_classic_log_counts_restless_as_sleep() -> None:
    parsed = parse_sleep_log(_load(CLASSIC), PARIS)
    assert parsed.rejected == []
    [night] = parsed.nights
    assert (night.vendor_id, night.kind) == ("41366101052", NightKind.MAIN)
    assert night.start == datetime(2023, 5, 17, 0, 35, tzinfo=PLUS_2H)
    assert night.end == datetime(2023, 5, 17, 8, 7, 30, tzinfo=PLUS_2H)
    assert night.local_date == date(2023, 5, 17)
    assert night.time_in_bed_s == 27120  # timeInBed 452 * 60
    assert night.total_sleep_s == 27000  # (minutesAsleep 439 + restless 11) * 60
    assert night.awake_s == 120  # 27120 - 27000 - 0: the 2 awake minutes
    assert (night.deep_s, night.light_s, night.rem_s) == (None, None, None)
    assert night.efficiency_pct == 99.6  # 100 * 27000 / 27120 = 99.56; Fitbit says 97
    # 00:35 awake 120 s, then asleep and restless alternate until 08:07 as one sleep run
    assert [(s.stage, s.seconds) for s in night.segments] == [(Stage.AWAKE, 120), (Stage.ASLEEP, 27000)]
    assert night.awakenings == 0


def test_an_export_file_is_a_bare_list_with_main_sleep() -> None:
    # Fitbit's data export (sleep-YYYY-MM-DD.json) holds the log objects as a bare list, with "mainSleep"
    # where the API says "isMainSleep"
    logs = copy.deepcopy(_load(TWO_ITEMS)["sleep"])
    for log in logs:
        log["mainSleep"] = log.pop("isMainSleep")
    parsed = parse_sleep_log(logs, PARIS)
    assert [(night.vendor_id, night.kind) for night in parsed.nights] == [
        ("41332621161", NightKind.NAP), ("41325676437", NightKind.MAIN)]


def test_a_malformed_log_is_rejected_and_the_others_kept() -> None:
    payload = _load(TWO_ITEMS)
    del payload["sleep"][0]["levels"]
    parsed = parse_sleep_log(payload, PARIS)
    assert [night.vendor_id for night in parsed.nights] == ["41325676437"]
    assert len(parsed.rejected) == 1
    assert "41332621161" in parsed.rejected[0] and "levels" in parsed.rejected[0]


def test_an_unknown_log_type_is_rejected() -> None:
    payload = _load(CLASSIC)
    payload["sleep"][0]["type"] = "v1"
    parsed = parse_sleep_log(payload, PARIS)
    assert parsed.nights == [] and "unknown sleep log type" in parsed.rejected[0]


@pytest.mark.parametrize("payload", [{"summary": {}}, "sleep", None, {"sleep": {}},
                                     {"errors": [{"errorType": "expired_token"}], "success": False}])
def test_a_payload_of_the_wrong_shape_raises(payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_sleep_log(payload, PARIS)


def test_read_export_reads_the_saved_responses() -> None:
    assert [n.vendor_id for n in read_export(TWO_ITEMS, PARIS).nights] == ["41332621161", "41325676437"]
    assert [n.total_sleep_s for n in read_export(CLASSIC, PARIS).nights] == [27000]


def test_read_export_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "sleep-2023-05-14.json"
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(PayloadError, match="JSON"):
        read_export(path, PARIS)
