"""Garmin sleep, read into canonical nights, from two kinds of payload.

1. Garmin Connect, as the garth / python-garminconnect libraries return it (one call per calendar day):
   - `/sleep-service/sleep/dailySleepData?date=YYYY-MM-DD` and the older
     `/wellness-service/wellness/dailySleepData/{displayName}?date=...&nonSleepBufferMinutes=60`
     (sleepVersion 1: no sleepScores, awakeCount, restingHeartRate or skin temperature). Both answer
     `{"dailySleepDTO": {...}, "sleepMovement": ..., "sleepLevels": ..., ...}`.
     `dailySleepDTO.id` identifies the sleep; `calendarDate` is the local day it ends;
     `sleepStartTimestampGMT`/`sleepEndTimestampGMT` are epoch MILLISECONDS, and the `...Local` twins are the
     local wall time written as if it were UTC, so the user's offset is Local - GMT (-21600000 ms = -6 h).
     sleepTimeSeconds = deep + light + remSleepSeconds; awakeSleepSeconds is the awake time inside the window
     (SECONDS); awakeCount; averageSpO2Value / lowestSpO2Value (%); averageRespirationValue (breaths/min);
     averageSpO2HRSleep, the average heart rate over the night's SpO2 measurement (it spans the sleep:
     wellnessSpO2SleepSummaryDTO.sleepMeasurementStartGMT/EndGMT), stored as the night's average heart rate;
     sleepScores.overall.value (0-100); and, beside the DTO, restingHeartRate (Garmin's resting heart rate of
     the day, its lowest sustained rate, normally reached in this sleep: stored as the night's lowest heart
     rate) and avgSkinTempDeviationC (°C from the user's baseline). A day without sleep answers 200 with
     every DTO field null: no night, and no rejection (garth's own test for `id`). `sleepLevels` and
     `sleepMovement` are not read: the recorded payloads carry none (null or []) and their level coding is
     undocumented. `napTimeSeconds` is a total without times, so naps are not read from Connect.
   - `/hrv-service/hrv/{YYYY-MM-DD}`: `hrvSummary.lastNightAvg` is the average overnight HRV in ms; Garmin's
     HRV status (Firstbeat) is computed from RMSSD, so it is stored as hrv_rmssd_ms.
2. The official Garmin Health API "sleeps" summaries that Garmin pushes to a webhook
   (`{"sleeps": [{...}]}`, each with userId and userAccessToken), documented in the Garmin Health API
   specification (section "Sleep Summaries", gated behind the developer program; field names as reproduced in
   public code such as RADAR-base/RADAR-Schemas commons/push/garmin/garmin_sleep_summary.avsc):
   summaryId, calendarDate, startTimeInSeconds (UTC epoch SECONDS), startTimeOffsetInSeconds (add it for the
   device's local time), durationInSeconds (in the specification's examples = deep + light + REM + awake),
   deepSleepDurationInSeconds, lightSleepDurationInSeconds, remSleepInSeconds, awakeDurationInSeconds,
   unmeasurableSleepInSeconds, sleepLevelsMap (`{"deep"|"light"|"rem"|"awake": [{startTimeInSeconds,
   endTimeInSeconds}]}`), validation (OFF_WRIST: "only start and end sleep times will be provided", so no
   night), timeOffsetSleepSpo2 / timeOffsetSleepRespiration (`{"seconds after start": value}`),
   overallSleepScore (`{"value", "qualifierKey"}`) and naps (`[{napStartTimeInSeconds, napDurationInSeconds,
   napOffsetInSeconds, napValidation}]`, read as NAP nights). A PING notification carries only a callbackURL
   to fetch the summaries from, and is refused. The offset is the device's display time, which the user may
   set by hand (specification, "Time Values in the Health API").

Connect nights are dated by their own local end; time in bed is the window end - start; efficiency is
derived by Night (total sleep / time in bed) as for every vendor; Garmin reports no sleep latency.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from statistics import fmean
from typing import Any

from integrations.base import (
    Parsed,
    PayloadError,
    count_awakenings,
    from_epoch,
    load_json,
    offset,
    parse_records,
    plausible,
)
from sleepcot.domain import Night, NightKind, Segment, Stage

VENDOR = "garmin"

_LEVELS = {"deep": Stage.DEEP, "light": Stage.LIGHT, "rem": Stage.REM, "awake": Stage.AWAKE}


def parse_daily_sleep(payload: Any, hrv: Any = None) -> Parsed:
    """One day's Connect dailySleepData (sleep-service or wellness-service); `hrv` is the same day's
    hrv-service payload, whose overnight RMSSD is merged in."""
    if not isinstance(payload, dict) or not isinstance(payload.get("dailySleepDTO"), dict):
        raise PayloadError("garmin: expected a dailySleepData response with a 'dailySleepDTO' object")
    hrv_ms = parse_hrv(hrv)
    if hrv_ms is not None:
        _check_same_day(payload["dailySleepDTO"], hrv["hrvSummary"])
    return parse_records(VENDOR, [payload], lambda day: _connect_night(day, hrv_ms), _describe_day)


def parse_hrv(payload: Any) -> float | None:
    """The overnight average RMSSD (ms) of an hrv-service payload; None for a day without one."""
    if not payload:
        return None  # the hrv-service answers no content for a night without HRV
    if not isinstance(payload, dict):
        raise PayloadError(f"garmin: expected an hrv-service object, got {type(payload).__name__}")
    summary = payload.get("hrvSummary") or {}
    if not isinstance(summary, dict):
        raise PayloadError(f"garmin: the hrv-service 'hrvSummary' must be an object, got {type(summary).__name__}")
    return plausible("hrv_rmssd_ms", summary.get("lastNightAvg"))


def parse_health_api_sleeps(payload: Any) -> Parsed:
    """A Garmin Health API push of sleep summaries: one main sleep per summary, plus its naps."""
    sleeps = payload.get("sleeps") if isinstance(payload, dict) else None
    if not isinstance(sleeps, list):
        raise PayloadError("garmin: expected a Health API push {\"sleeps\": [...]}")
    if any(isinstance(summary, dict) and "callbackURL" in summary for summary in sleeps):
        raise PayloadError("garmin: this is a Health API ping notification; its callbackURL serves the summaries")
    parsed = parse_records(VENDOR, sleeps, _health_night, _describe_summary)
    naps = [(summary, nap) for summary in sleeps if isinstance(summary, dict)
            and isinstance(summary.get("naps"), list) for nap in summary["naps"]]
    return parsed.extend(parse_records(VENDOR, naps, _health_nap, lambda pair: f"{_describe_summary(pair[0])} nap"))


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved dailySleepData response (sleep-service or wellness-service), a JSON array of them, or a saved
    Health API push. `tz` is unused: Garmin sends each time with its offset."""
    payload = load_json(path, VENDOR)
    if isinstance(payload, dict) and "sleeps" in payload:
        return parse_health_api_sleeps(payload)
    parsed = Parsed()
    for day in payload if isinstance(payload, list) else [payload]:
        parsed.extend(parse_daily_sleep(day))
    return parsed


def _check_same_day(dto: dict, hrv_summary: dict) -> None:
    sleep_day, hrv_day = dto.get("calendarDate"), hrv_summary.get("calendarDate")
    if sleep_day and hrv_day and sleep_day != hrv_day:
        raise PayloadError(f"garmin: the HRV payload is for {hrv_day}, the sleep payload for {sleep_day}")


def _connect_night(day: dict, hrv_ms: float | None) -> Night | None:
    dto = day["dailySleepDTO"]
    if dto.get("id") is None or dto.get("sleepStartTimestampGMT") is None:
        return None  # a day without sleep: every field null
    start = _connect_time(dto["sleepStartTimestampGMT"], dto["sleepStartTimestampLocal"])
    end = _connect_time(dto["sleepEndTimestampGMT"], dto["sleepEndTimestampLocal"])
    return Night(
        source=VENDOR,
        vendor_id=str(dto["id"]),
        start=start,
        end=end,
        kind=NightKind.MAIN,
        time_in_bed_s=int((end - start).total_seconds()),
        total_sleep_s=dto["sleepTimeSeconds"],
        awake_s=dto.get("awakeSleepSeconds"),
        deep_s=dto.get("deepSleepSeconds"),
        light_s=dto.get("lightSleepSeconds"),
        rem_s=dto.get("remSleepSeconds") if dto.get("deviceRemCapable") else None,
        awakenings=dto.get("awakeCount"),
        hr_avg_bpm=plausible("hr_avg_bpm", dto.get("averageSpO2HRSleep")),
        hr_lowest_bpm=plausible("hr_lowest_bpm", day.get("restingHeartRate")),
        hrv_rmssd_ms=hrv_ms,
        resp_rate_bpm=plausible("resp_rate_bpm", dto.get("averageRespirationValue")),
        spo2_avg_pct=plausible("spo2_avg_pct", dto.get("averageSpO2Value")),
        spo2_min_pct=plausible("spo2_min_pct", dto.get("lowestSpO2Value")),
        skin_temp_dev_c=plausible("skin_temp_dev_c", day.get("avgSkinTempDeviationC")),
        score=_score(((dto.get("sleepScores") or {}).get("overall") or {}).get("value")),
    )


def _connect_time(gmt_ms: int, local_ms: int) -> datetime:
    """An instant from Connect's GMT epoch ms, in the offset its 'local as if UTC' twin implies."""
    return from_epoch(gmt_ms / 1000, offset((local_ms - gmt_ms) / 1000))


def _health_night(summary: dict) -> Night | None:
    zone = offset(summary["startTimeOffsetInSeconds"])
    start = from_epoch(summary["startTimeInSeconds"], zone)
    deep = summary.get("deepSleepDurationInSeconds", 0)
    light = summary.get("lightSleepDurationInSeconds", 0)
    rem = summary.get("remSleepInSeconds", 0)
    if deep + light + rem == 0:
        return None  # OFF_WRIST and the like: a window without measured sleep
    segments = _health_segments(summary.get("sleepLevelsMap") or {}, zone)
    spo2 = list((summary.get("timeOffsetSleepSpo2") or {}).values())
    breaths = list((summary.get("timeOffsetSleepRespiration") or {}).values())
    return Night(
        source=VENDOR,
        vendor_id=summary["summaryId"],
        start=start,
        end=start + timedelta(seconds=summary["durationInSeconds"]),
        kind=NightKind.MAIN,
        time_in_bed_s=summary["durationInSeconds"],
        total_sleep_s=deep + light + rem,
        awake_s=summary.get("awakeDurationInSeconds"),
        deep_s=deep,
        light_s=light,
        rem_s=rem,
        awakenings=count_awakenings([s.stage for s in segments]) if segments else None,
        resp_rate_bpm=plausible("resp_rate_bpm", round(fmean(breaths), 1)) if breaths else None,
        spo2_avg_pct=plausible("spo2_avg_pct", round(fmean(spo2), 1)) if spo2 else None,
        spo2_min_pct=plausible("spo2_min_pct", min(spo2)) if spo2 else None,
        score=_score((summary.get("overallSleepScore") or {}).get("value")),
        segments=segments or None,
    )


def _health_nap(pair: tuple[dict, dict]) -> Night:
    summary, nap = pair
    start = from_epoch(nap["napStartTimeInSeconds"], offset(nap["napOffsetInSeconds"]))
    duration = nap["napDurationInSeconds"]
    return Night(
        source=VENDOR,
        vendor_id=f"{summary['summaryId']}-nap-{nap['napStartTimeInSeconds']}",
        start=start,
        end=start + timedelta(seconds=duration),
        kind=NightKind.NAP,
        time_in_bed_s=duration,
        total_sleep_s=duration,
    )


def _health_segments(levels: dict, zone: timezone) -> list[Segment]:
    segments = [
        Segment(start=from_epoch(span["startTimeInSeconds"], zone), end=from_epoch(span["endTimeInSeconds"], zone),
                stage=_LEVELS[level])
        for level, spans in levels.items() if level in _LEVELS for span in spans
    ]
    return sorted(segments, key=lambda segment: segment.start)


def _score(value: float | None) -> int | None:
    score = plausible("score", value)
    return None if score is None else round(score)


def _describe_day(day: Any) -> str:
    dto = day.get("dailySleepDTO") if isinstance(day, dict) else None
    return str(dto.get("id") or dto.get("calendarDate", "?")) if isinstance(dto, dict) else "?"


def _describe_summary(summary: Any) -> str:
    return str(summary.get("summaryId", "?")) if isinstance(summary, dict) else "?"
