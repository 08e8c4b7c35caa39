"""Oura API v2 sleep periods as canonical nights.

Source: Oura API v2 OpenAPI, https://cloud.ouraring.com/v2/docs (schemas PublicModifiedSleepModel,
PublicSleepType, PublicDailyReadiness, PublicDailySpO2; mirrored in api-evangelist/oura
openapi/_original/oura-oura-ring-api-openapi.yml).

Payload facts relied on:
- `GET /v2/usercollection/sleep` answers {"data": [period, ...], "next_token": str | null}. A period has a
  stable `id`, `day`, `bedtime_start`/`bedtime_end` (ISO 8601 with the user's UTC offset) and durations in
  seconds: `time_in_bed`, `total_sleep_duration` (may be null: then deep + light + REM), `awake_time`,
  `deep_sleep_duration`, `light_sleep_duration`, `rem_sleep_duration`, `latency`.
- `awake_time` includes the latency (time_in_bed = total sleep + awake_time), so the time awake after first
  falling asleep is awake_time - latency.
- `efficiency` is a percentage (1-100); `average_heart_rate`, `lowest_heart_rate` in bpm; `average_breath`
  in breaths per minute; `average_hrv` in ms, and it is RMSSD: "Oura calculates your nighttime HRV using
  rMSSD ... the mean of all five-minute samples" (support.ouraring.com/hc/en-us/articles/360025441974).
- `type`: `long_sleep` (long enough, > 3 h, to count for the day's scores) is the main sleep; `sleep`
  (user-confirmed sleep/nap, 15 min to 3 h) and `late_nap` (confirmed, ended after 6 pm, counts for the
  next day) are naps; `rest` (a false detection the user rejected) and `deleted` (deleted by the user) are
  not sleep and yield nothing.
- `sleep_phase_30_sec` / `sleep_phase_5_min`: one character per epoch from `bedtime_start`, 1 deep, 2 light,
  3 REM, 4 awake. The documentation example holds a placeholder text there; a hypnogram that is not made of
  those digits is left out (logged), the night kept. Oura gives no count of awakenings: it is counted from
  the hypnogram (awake runs after the first sleep), when there is one.
- Skin temperature deviation (°C) and SpO2 are daily values describing the day's main sleep: the period's
  own `readiness.temperature_deviation`, else `daily_readiness` (`temperature_deviation`) of the same `day`;
  `daily_spo2` (`spo2_percentage.average`, %) of the same `day`. Naps get neither.
- Vitals outside the Night bounds are dropped by `plausible` (the documentation example has an
  `average_heart_rate` of 4.25), the night kept.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, tzinfo
from itertools import groupby
from pathlib import Path
from typing import Any

from integrations.base import (
    Parsed,
    PayloadError,
    RateLimit,
    count_awakenings,
    load_json,
    page_token,
    paged,
    parse_records,
    parse_time,
    plausible,
)
from integrations.oauth import OAuthAdapter, OAuthApp
from sleepcot.domain import Night, NightKind, Segment, Stage

log = logging.getLogger(__name__)

VENDOR = "oura"
KINDS: dict[str, NightKind | None] = {
    "long_sleep": NightKind.MAIN,
    "sleep": NightKind.NAP,
    "late_nap": NightKind.NAP,
    "rest": None,
    "deleted": None,
}
PHASES = {"1": Stage.DEEP, "2": Stage.LIGHT, "3": Stage.REM, "4": Stage.AWAKE}
HYPNOGRAMS = (("sleep_phase_30_sec", 30), ("sleep_phase_5_min", 300))  # finest first


def parse_sleep(payload: Any, *, readiness: Any = None, spo2: Any = None, tz: tzinfo | None = None) -> Parsed:
    """Nights from a `/v2/usercollection/sleep` response; `readiness` and `spo2` are the responses of
    `/v2/usercollection/daily_readiness` and `/v2/usercollection/daily_spo2` for the same days. `tz` is only
    used for a timestamp without an offset."""
    periods = _collection(payload, "sleep")
    temperatures = {day: item.get("temperature_deviation") for day, item in _by_day(readiness, "daily_readiness")}
    oxygen = {day: _field(item.get("spo2_percentage"), "average") for day, item in _by_day(spo2, "daily_spo2")}
    return parse_records(VENDOR, periods, lambda period: _night(period, temperatures, oxygen, tz))


def next_token(payload: Any) -> str | None:
    """The token for the next page, or None on the last page."""
    if not isinstance(payload, dict):
        raise PayloadError("oura: a collection response must be a JSON object")
    return page_token(VENDOR, "next_token", payload.get("next_token"))


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved `/v2/usercollection/sleep` response."""
    return parse_sleep(load_json(path, VENDOR), tz=tz)


def _collection(payload: Any, name: str) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise PayloadError(f"oura: a {name} response must be a JSON object with a 'data' list")
    return payload["data"]


def _by_day(payload: Any, name: str) -> list[tuple[str, dict[str, Any]]]:
    """The daily items that can be joined to a period by their `day` (text); an item without one joins nothing."""
    if payload is None:
        return []
    return [(item["day"], item) for item in _collection(payload, name)
            if isinstance(item, dict) and isinstance(item.get("day"), str)]


def _field(parent: Any, name: str) -> Any:
    """`parent[name]` when `parent` is an object, else None (a daily value missing or malformed: left unknown)."""
    return parent.get(name) if isinstance(parent, dict) else None


def _night(period: dict[str, Any], temperatures: dict[str, Any], oxygen: dict[str, Any],
           tz: tzinfo | None) -> Night | None:
    if period["type"] not in KINDS:
        raise ValueError(f"unknown sleep type {period['type']!r}")
    kind = KINDS[period["type"]]
    if kind is None:
        return None
    start, end = parse_time(period["bedtime_start"], tz), parse_time(period["bedtime_end"], tz)
    deep, light, rem = (period.get(f"{stage}_sleep_duration") for stage in ("deep", "light", "rem"))
    total = period.get("total_sleep_duration")
    if total is None:
        total = sum(stage or 0 for stage in (deep, light, rem))
    latency, awake = period.get("latency"), period.get("awake_time")
    main = kind is NightKind.MAIN
    segments = _segments(period, start, end)
    return Night(
        source=VENDOR,
        vendor_id=period["id"],
        start=start,
        end=end,
        kind=kind,
        time_in_bed_s=period["time_in_bed"],
        total_sleep_s=total,
        latency_s=latency,
        awake_s=None if awake is None else max(0, awake - (latency or 0)),
        deep_s=deep,
        light_s=light,
        rem_s=rem,
        awakenings=None if segments is None else count_awakenings([segment.stage for segment in segments]),
        efficiency_pct=period.get("efficiency"),
        hr_avg_bpm=plausible("hr_avg_bpm", period.get("average_heart_rate")),
        hr_lowest_bpm=plausible("hr_lowest_bpm", period.get("lowest_heart_rate")),
        hrv_rmssd_ms=plausible("hrv_rmssd_ms", period.get("average_hrv")),
        resp_rate_bpm=plausible("resp_rate_bpm", period.get("average_breath")),
        spo2_avg_pct=plausible("spo2_avg_pct", oxygen.get(period["day"])) if main else None,
        skin_temp_dev_c=plausible("skin_temp_dev_c", _temperature(period, temperatures)) if main else None,
        segments=segments,
    )


def _temperature(period: dict[str, Any], temperatures: dict[str, Any]) -> float | None:
    own = (period.get("readiness") or {}).get("temperature_deviation")
    return own if own is not None else temperatures.get(period["day"])


def _segments(period: dict[str, Any], start: datetime, end: datetime) -> list[Segment] | None:
    for field, epoch_s in HYPNOGRAMS:
        phases = period.get(field)
        if not phases:
            continue
        if not set(phases) <= PHASES.keys():
            log.warning("oura: period %s has an unreadable %s; no hypnogram kept", period["id"], field)
            return None
        return _runs(phases, epoch_s, start, end)
    return None


def _runs(phases: str, epoch_s: int, start: datetime, end: datetime) -> list[Segment]:
    segments, epoch = [], 0
    for phase, run in groupby(phases):
        first, epoch = epoch, epoch + len(list(run))
        run_start = start + timedelta(seconds=first * epoch_s)
        run_end = min(start + timedelta(seconds=epoch * epoch_s), end)
        if run_start < run_end:
            segments.append(Segment(start=run_start, end=run_end, stage=PHASES[phase]))
    return segments


# -- the API ---------------------------------------------------------------------------------------------
API = "https://api.ouraring.com/v2/usercollection/"
REVOKE = "https://api.ouraring.com/oauth/revoke"  # cloud.ouraring.com/docs/authentication: ?access_token=
OAUTH = OAuthApp(
    vendor=VENDOR, authorize_url="https://cloud.ouraring.com/oauth/authorize",
    token_url="https://api.ouraring.com/oauth/token", scope="daily heartrate spo2",
)


class OuraAdapter(OAuthAdapter):
    """Sleep periods with the day's readiness (temperature deviation) and SpO2. Oura's refresh tokens are
    single-use: the TokenKeeper serializes refreshes and stores the new one."""

    vendor = VENDOR
    oauth = OAUTH
    limits = (RateLimit(5000, 300.0, "user", "cloud.ouraring.com/v2/docs: 5,000 requests per 5 minutes per token"),)

    async def revoke(self) -> bool:
        token = await self.tokens.access_token()
        await self.http.request_json("GET", REVOKE, user_key=self.tokens.user.user_id, params={"access_token": token})
        return True

    async def fetch(self, start: date, end: date) -> Parsed:
        window = {"start_date": (start - timedelta(days=1)).isoformat(), "end_date": (end + timedelta(days=1)).isoformat()}
        sleep, readiness, spo2 = [await self._collection(name, window)
                                  for name in ("sleep", "daily_readiness", "daily_spo2")]
        return parse_sleep({"data": sleep}, readiness={"data": readiness}, spo2={"data": spo2}, tz=self.tz
                           ).between(start, end)

    async def _collection(self, name: str, window: dict[str, str]) -> list:
        async def page(token: str | None) -> Any:
            return await self.request_json("GET", API + name, params={**window, **({"next_token": token} if token else {})})
        return await paged(page, next_token, lambda body: _collection(body, name))
