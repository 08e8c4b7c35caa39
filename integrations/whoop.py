"""WHOOP API v2 sleeps (with their recoveries) as canonical nights.

Source: WHOOP developer documentation and v2 OpenAPI, https://developer.whoop.com/api (schemas Sleep,
SleepScore, SleepStageSummary, Recovery, RecoveryScore; mirrored in api-evangelist/whoop
openapi/whoop-sleep-api-openapi.yml and json-schema/whoop-recoveryscore-schema.json).

Payload facts relied on:
- `GET /developer/v2/activity/sleep` answers {"records": [sleep, ...], "next_token": str (absent on the last
  page)}. A sleep has a stable `id` (UUID), `start`/`end` in UTC ("Z"), `timezone_offset` ("-05:00", "+hh:mm"
  or "Z": the user's offset when the sleep was recorded), `nap` (bool), `score_state` and, only when SCORED,
  `score`.
- `score.stage_summary` durations are in milliseconds: `total_in_bed_time_milli`, `total_awake_time_milli`,
  `total_light_sleep_time_milli`, `total_slow_wave_sleep_time_milli` (deep), `total_rem_sleep_time_milli`;
  `disturbance_count` ("number of times the user was disturbed during sleep") counts as awakenings. WHOOP
  gives no sleep-onset latency: `awake_s` is all the time awake in bed.
- `score.respiratory_rate` (breaths/min), `score.sleep_efficiency_percentage` (0-100, time asleep over time
  in bed), `score.sleep_performance_percentage` (0-100, sleep over sleep needed; WHOOP's sleep score).
- score_state: PENDING_SCORE ("WHOOP is currently evaluating the sleep") yields nothing now: it is read again
  once scored, because sync re-reads the last days and the vendor id makes it an upsert. UNSCORABLE ("not
  enough user metric data") never gets stages or durations, so it holds no night we can use: nothing. Any
  other state is not documented: the record is rejected.
- `GET /developer/v2/recovery` answers {"records": [recovery, ...]}; a recovery belongs to the sleep whose
  `id` is its `sleep_id`. When SCORED its `score` has `resting_heart_rate` (bpm, measured during that sleep:
  kept as the night's lowest heart rate, the closest Night field), `hrv_rmssd_milli` ("RMSSD, in
  milliseconds"), `spo2_percentage` (%) and `skin_temp_celsius`, "the user's skin temperature, in Celsius":
  an absolute temperature, not a deviation from the user's baseline, so it is NOT stored as skin_temp_dev_c.
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Any

from integrations.base import (
    Parsed,
    PayloadError,
    RateLimit,
    load_json,
    page_token,
    paged,
    parse_records,
    parse_time,
    plausible,
)
from integrations.oauth import OAuthAdapter, OAuthApp
from sleepcot.domain import Night, NightKind

VENDOR = "whoop"
SCORED = "SCORED"
NOT_SCORED = frozenset({"PENDING_SCORE", "UNSCORABLE"})


def parse_sleep(payload: Any, *, recovery: Any = None) -> Parsed:
    """Nights from a `/developer/v2/activity/sleep` response; `recovery` is a `/developer/v2/recovery`
    response for the same period (its vitals join the sleep they were measured in)."""
    sleeps = _records(payload, "sleep")
    recoveries = {} if recovery is None else _by_sleep(_records(recovery, "recovery"))
    return parse_records(VENDOR, sleeps, lambda sleep: _night(sleep, recoveries.get(sleep.get("id"))))


def next_token(payload: Any) -> str | None:
    """The token for the next page (sent back as the `nextToken` query parameter), or None on the last page."""
    if not isinstance(payload, dict):
        raise PayloadError("whoop: a collection response must be a JSON object")
    return page_token(VENDOR, "next_token", payload.get("next_token"))


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved `/developer/v2/activity/sleep` response. `tz` is not needed: every WHOOP sleep carries the
    user's UTC offset."""
    return parse_sleep(load_json(path, VENDOR))


def _records(payload: Any, name: str) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise PayloadError(f"whoop: a {name} response must be a JSON object with a 'records' list")
    return payload["records"]


def _by_sleep(recoveries: list[Any]) -> dict[str, dict[str, Any]]:
    """The recoveries that can be joined to a sleep by their `sleep_id` (a UUID; v1 used integers); one
    without a usable id joins nothing."""
    return {item["sleep_id"]: item for item in recoveries
            if isinstance(item, dict) and isinstance(item.get("sleep_id"), str | int)
            and not isinstance(item["sleep_id"], bool)}


def _night(sleep: dict[str, Any], recovery: dict[str, Any] | None) -> Night | None:
    if sleep["score_state"] in NOT_SCORED:
        return None
    if sleep["score_state"] != SCORED:
        raise ValueError(f"unknown score_state {sleep['score_state']!r}")
    zone = _zone(sleep["timezone_offset"])
    score = sleep["score"]
    stages = score["stage_summary"]
    deep = _seconds(stages["total_slow_wave_sleep_time_milli"])
    light = _seconds(stages["total_light_sleep_time_milli"])
    rem = _seconds(stages["total_rem_sleep_time_milli"])
    performance = plausible("score", score.get("sleep_performance_percentage"))
    return Night(
        source=VENDOR,
        vendor_id=sleep["id"],
        start=parse_time(sleep["start"]).astimezone(zone),
        end=parse_time(sleep["end"]).astimezone(zone),
        kind=NightKind.NAP if sleep["nap"] else NightKind.MAIN,
        time_in_bed_s=_seconds(stages["total_in_bed_time_milli"]),
        total_sleep_s=deep + light + rem,
        awake_s=_seconds(stages["total_awake_time_milli"]),
        deep_s=deep,
        light_s=light,
        rem_s=rem,
        awakenings=stages.get("disturbance_count"),
        efficiency_pct=score.get("sleep_efficiency_percentage"),
        resp_rate_bpm=plausible("resp_rate_bpm", score.get("respiratory_rate")),
        score=None if performance is None else round(performance),
        **_recovery_vitals(recovery),
    )


def _recovery_vitals(recovery: dict[str, Any] | None) -> dict[str, float | None]:
    if recovery is None or recovery.get("score_state") != SCORED:
        return {}
    score = recovery.get("score") or {}
    return {
        "hr_lowest_bpm": plausible("hr_lowest_bpm", score.get("resting_heart_rate")),
        "hrv_rmssd_ms": plausible("hrv_rmssd_ms", score.get("hrv_rmssd_milli")),
        "spo2_avg_pct": plausible("spo2_avg_pct", score.get("spo2_percentage")),
    }


def _zone(designator: str) -> tzinfo:
    """A W3C time zone designator ("Z", "+hh:mm", "-hh:mm") as a fixed UTC offset."""
    return parse_time(f"2000-01-01T00:00:00{designator}").tzinfo


def _seconds(milliseconds: int) -> int:
    return round(milliseconds / 1000)


# -- the API ---------------------------------------------------------------------------------------------
API = "https://api.prod.whoop.com/developer/v2/"
OAUTH = OAuthApp(
    vendor=VENDOR, authorize_url="https://api.prod.whoop.com/oauth/oauth2/auth",
    token_url="https://api.prod.whoop.com/oauth/oauth2/token",
    scope="offline read:sleep read:recovery",  # without `offline` WHOOP issues no refresh token
)


class WhoopAdapter(OAuthAdapter):
    """Sleeps and the recoveries that score them (HRV, resting HR, SpO2), matched by sleep id."""

    vendor = VENDOR
    oauth = OAUTH
    limits = (
        RateLimit(100, 60.0, "app", "developer.whoop.com/docs/developing/rate-limiting: 100 requests per minute"),
        RateLimit(10000, 86400.0, "app", "developer.whoop.com/docs/developing/rate-limiting: 10,000 per day"),
    )

    async def revoke(self) -> bool:
        """developer.whoop.com, "Revoke user access": DELETE /v2/user/access, with the user's token."""
        await self.request_json("DELETE", API + "user/access")
        return True

    async def fetch(self, start: date, end: date) -> Parsed:
        window = {"start": f"{start - timedelta(days=1)}T00:00:00Z", "end": f"{end + timedelta(days=1)}T23:59:59Z",
                  "limit": "25"}
        sleep = await self._collection("activity/sleep", window)
        recovery = await self._collection("recovery", window)
        return parse_sleep({"records": sleep}, recovery={"records": recovery}).between(start, end)

    async def _collection(self, path: str, window: dict[str, str]) -> list:
        async def page(token: str | None) -> Any:
            return await self.request_json("GET", API + path, params={**window, **({"nextToken": token} if token else {})})
        return await paged(page, next_token, lambda body: _records(body, path))
