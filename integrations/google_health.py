"""Google Health API v4 sleep: the list response of `GET /v4/users/me/dataTypes/sleep/dataPoints`
(`{"dataPoints": [...], "nextPageToken": "..."}`), read into canonical nights.

Payload facts, from the API's discovery document (googleapis/google-api-go-client health/v4/health-api.json:
DataPoint, Sleep, SessionTimeInterval, SleepStage, SleepSummary, SleepMetadata):
- A data point is `{"name": "users/{user}/dataTypes/sleep/dataPoints/{id}", "dataSource": ..., "sleep": ...}`;
  the last segment of `name` is the vendor id (DataPoint.name is optional, so without it the id is derived
  from the start).
- `sleep.interval` has `startTime`/`endTime` (RFC 3339, UTC) and `startUtcOffset`/`endUtcOffset`, the user's
  offset at each end as a google-duration string ("7200s").
- `sleep.type` is CLASSIC (stages AWAKE, RESTLESS, ASLEEP) or STAGES (AWAKE, LIGHT, DEEP, REM); `sleep.stages`
  is the list of contiguous segments, each with its own times, offsets and `type` (the SleepStage enum:
  AWAKE, LIGHT, DEEP, REM, ASLEEP, RESTLESS).
- `sleep.summary` (output only) holds int64 MINUTES sent as strings: minutesInSleepPeriod (bedtime to wake
  time, "the sum of all stages"), minutesAsleep ("for classic sleep the sum of ASLEEP stages, excluding
  AWAKE and RESTLESS"), minutesAwake, minutesToFallAsleep, minutesAfterWakeUp, and stagesSummary
  (`[{"type", "minutes", "count"}]`). proto3 JSON leaves out a zero, so a missing count is 0.
- `sleep.metadata`: stagesStatus, processed, `nap` ("naps are sleeps without stages and relatively short
  durations") and, in newer revisions of the API (the v4beta and Dart clients), `mainSleep` ("the longest
  sleep session with stages within one day ... one main_sleep per day"). Because proto3 JSON omits a false
  boolean, a page that carries `mainSleep` anywhere marks every other sleep on it as a nap; a page that
  never carries it falls back to `nap`.

Choices: time in bed is minutesInSleepPeriod; total sleep is minutesAsleep plus RESTLESS minutes (restless
is movement during sleep, not wakefulness: the same choice as integrations/fitbit.py, whose docstring gives
Fitbit's own definition); awake_s is the rest of the period after the time to fall asleep. A sleep whose
summary is not computed yet (`metadata.processed` false) is skipped until a later sync. Google Health sends
no heart rate, HRV, SpO2 or score in a sleep point, so those stay None.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from integrations.base import (
    Parsed,
    PayloadError,
    RateLimit,
    count_awakenings,
    load_json,
    offset,
    page_token,
    paged,
    parse_records,
    parse_time,
)
from integrations.oauth import OAuthAdapter, OAuthApp
from sleepcot.domain import Night, NightKind, Segment, Stage

VENDOR = "google_health"

_STAGES = {
    "AWAKE": Stage.AWAKE,
    "LIGHT": Stage.LIGHT,
    "DEEP": Stage.DEEP,
    "REM": Stage.REM,
    "ASLEEP": Stage.ASLEEP,
    "RESTLESS": Stage.ASLEEP,  # movement during sleep, counted as sleep (see the module docstring)
}


def parse_data_points(payload: Any) -> Parsed:
    """The sleeps in one page of the dataPoints list response."""
    if not isinstance(payload, dict):
        raise PayloadError(f"google_health: expected the dataPoints list response, got {_type_name(payload)}")
    if "error" in payload:
        raise PayloadError(f"google_health: the response is an error: {str(payload['error'])[:200]}")
    points = payload.get("dataPoints", [])  # an empty page leaves the field out
    if not isinstance(points, list):
        raise PayloadError(f"google_health: 'dataPoints' must be a list, got {_type_name(points)}")
    page_marks_main_sleep = any("mainSleep" in _metadata(point) for point in points)
    return parse_records(VENDOR, points, lambda point: _night(point, page_marks_main_sleep), _describe)


def next_page_token(payload: Any) -> str | None:
    """The token for the next page (the `pageToken` query parameter), or None on the last page."""
    if not isinstance(payload, dict):
        raise PayloadError(f"google_health: expected the dataPoints list response, got {_type_name(payload)}")
    return page_token(VENDOR, "nextPageToken", payload.get("nextPageToken"))


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved list response, or a JSON array of saved pages. `tz` is unused: every time carries its offset."""
    payload = load_json(path, VENDOR)
    pages = payload if isinstance(payload, list) else [payload]
    parsed = Parsed()
    for page in pages:
        parsed.extend(parse_data_points(page))
    return parsed


def _night(point: dict, page_marks_main_sleep: bool) -> Night | None:
    sleep = point["sleep"]
    metadata = sleep.get("metadata", {})
    summary = sleep.get("summary")
    if summary is None:
        if metadata.get("processed") is False:
            return None  # not summarised yet: a later sync reads it
        raise KeyError("summary")
    interval = sleep["interval"]
    start = _local(interval["startTime"], interval["startUtcOffset"])
    end = _local(interval["endTime"], interval["endUtcOffset"])
    stage_minutes = {entry["type"]: int(entry.get("minutes", "0")) for entry in summary.get("stagesSummary", [])}
    time_in_bed_s = 60 * int(summary["minutesInSleepPeriod"])
    total_sleep_s = 60 * (int(summary.get("minutesAsleep", "0")) + stage_minutes.get("RESTLESS", 0))
    latency_s = 60 * int(summary.get("minutesToFallAsleep", "0"))
    staged = sleep.get("type") == "STAGES"
    segments = _segments(sleep.get("stages", []))
    return Night(
        source=VENDOR,
        vendor_id=_vendor_id(point, start),
        start=start,
        end=end,
        kind=_kind_of(metadata, page_marks_main_sleep),
        time_in_bed_s=time_in_bed_s,
        total_sleep_s=total_sleep_s,
        latency_s=latency_s,
        awake_s=max(0, time_in_bed_s - total_sleep_s - latency_s),
        deep_s=60 * stage_minutes.get("DEEP", 0) if staged else None,
        light_s=60 * stage_minutes.get("LIGHT", 0) if staged else None,
        rem_s=60 * stage_minutes.get("REM", 0) if staged else None,
        awakenings=count_awakenings([s.stage for s in segments]) if segments else None,
        segments=segments or None,
    )


def _local(moment: str, utc_offset: str) -> datetime:
    return parse_time(moment).astimezone(offset(utc_offset))


def _kind_of(metadata: dict, page_marks_main_sleep: bool) -> NightKind:
    if page_marks_main_sleep:
        return NightKind.MAIN if metadata.get("mainSleep") is True else NightKind.NAP
    return NightKind.NAP if metadata.get("nap") is True else NightKind.MAIN


def _segments(stages: list[dict]) -> list[Segment]:
    """The stage segments in time order; a segment of unspecified type is left out."""
    segments = [
        Segment(start=_local(stage["startTime"], stage["startUtcOffset"]),
                end=_local(stage["endTime"], stage["endUtcOffset"]), stage=_STAGES[stage["type"]])
        for stage in stages if stage.get("type") in _STAGES
    ]
    return sorted(segments, key=lambda segment: segment.start)


def _vendor_id(point: dict, start: datetime) -> str:
    name = point.get("name")
    if name:
        return name.rsplit("/", 1)[-1]
    return f"{VENDOR}-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _metadata(point: Any) -> dict:
    if isinstance(point, dict) and isinstance(point.get("sleep"), dict):
        metadata = point["sleep"].get("metadata")
        return metadata if isinstance(metadata, dict) else {}
    return {}


def _describe(point: Any) -> str:
    return str(point.get("name", "?")).rsplit("/", 1)[-1] if isinstance(point, dict) else "?"


def _type_name(value: Any) -> str:
    return type(value).__name__


# -- the API ---------------------------------------------------------------------------------------------
API = "https://health.googleapis.com/v4/users/me/dataTypes/sleep/dataPoints"
REVOKE = "https://oauth2.googleapis.com/revoke"  # developers.google.com/identity/protocols/oauth2: token=
OAUTH = OAuthApp(
    vendor=VENDOR, authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    scope="https://www.googleapis.com/auth/googlehealth.sleep.readonly", pkce=True,
    authorize_params={"access_type": "offline", "prompt": "consent"},  # a refresh token, every time
)


class GoogleHealthAdapter(OAuthAdapter):
    """Fitbit and Pixel sleep through the Google Health API (Fitbit's legacy Web API answers 410 since
    November 2026), filtered by the local day a sleep ends."""

    vendor = VENDOR
    oauth = OAUTH
    limits = (RateLimit(150, 3600.0, "user", "Fitbit's per-user budget, kept until Google publishes the "
                                              "Health API's per-user quota"),)

    async def revoke(self) -> bool:
        token = await self.tokens.access_token()
        await self.http.request_json("POST", REVOKE, user_key=self.tokens.user.user_id, data={"token": token})
        return True

    async def fetch(self, start: date, end: date) -> Parsed:
        window = {"pageSize": "25", "filter": f'sleep.interval.civil_end_time >= "{start}" AND '
                                              f'sleep.interval.civil_end_time < "{end + timedelta(days=1)}"'}
        parsed = Parsed()

        async def page(token: str | None) -> Any:
            body = await self.request_json("GET", API, params={**window, **({"pageToken": token} if token else {})})
            parsed.extend(parse_data_points(body))  # main sleep vs nap is decided per page
            return body

        await paged(page, next_page_token, lambda body: [])
        return parsed.between(start, end)
