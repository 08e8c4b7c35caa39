"""Withings sleep summaries (and one night's sleep stages) as canonical nights.

Source: Withings API reference, https://developer.withings.com/api-reference (Sleep v2 - Getsummary, Sleep v2 -
Get, Response Status; mirrored in api-evangelist/withings openapi/withings-sleep-api-openapi.yml and
openapi/withings-data-api-openapi.yml).

Payload facts relied on:
- Errors come with HTTP 200 and a non-zero `status` in the body (`check_status`). Families documented under
  "Response Status": 0 success; 100-102, 200 and 401 "Authentication failed" (an expired or invalid token:
  401 carries "invalid_token"); 601 "Too many request"; the rest invalid params, unauthorized, timeout or
  "an error occurred", reported with their code.
- `POST /v2/sleep action=getsummary` answers {"status": 0, "body": {"series": [...], "more": bool, "offset":
  int}}. A series item has a stable `id`, `timezone` (IANA name), `startdate`/`enddate` (Unix seconds), `date`
  and `data`: durations in seconds (`total_timeinbed`, `total_sleep_time` = light + deep + REM,
  `asleepduration` for nights from an external source without stages, `lightsleepduration`,
  `deepsleepduration`, `remsleepduration`, `wakeupduration` = all time awake in bed, `sleep_latency` (older
  data: `durationtosleep`), `waso`), `wakeupcount`, `sleep_efficiency` as a ratio (0.86 = 86 %),
  `hr_average`/`hr_min` (bpm), `rr_average` (breaths/min), `sleep_score`. Fields missing from a night (older
  data has no `total_timeinbed`: then enddate - startdate) are derived or left unknown. The summary has no
  RMSSD (the `get` HRV series is SDNN/RMSSD per minute and is not read here), no SpO2.
- The time awake after first falling asleep is wakeupduration - latency (WASO plus the time awake before
  getting up), as for the other vendors.
- Withings has no notion of a nap. A period shorter than 3 hours whose midpoint falls in the local daytime
  (10:00-20:00) is a nap; anything longer, or centred in the night, is a main sleep (so a shift worker's
  6-hour day sleep and a short 2-hour night both stay main sleeps).
- `POST /v2/sleep action=get` answers {"status": 0, "body": {"series": [segment, ...]}} with segments (in no
  particular order) of `startdate`, `enddate`, `state`: 0 awake, 1 light, 2 deep, 3 REM, 4 manual and
  5 unspecified (sleep without a stage), 15 out of bed (awake); other codes are left out as gaps.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from integrations.base import (
    Parsed,
    PayloadError,
    RateLimit,
    from_epoch,
    iana_zone,
    load_json,
    paged,
    parse_records,
    plausible,
)
from integrations.http import RateLimited, Unauthorized, VendorError
from integrations.oauth import OAuthAdapter, OAuthApp
from sleepcot.domain import Night, NightKind, Segment, Stage

log = logging.getLogger(__name__)

VENDOR = "withings"
AUTH_FAILED = frozenset({100, 101, 102, 200, 401})
TOO_MANY_REQUESTS = 601
STATES = {0: Stage.AWAKE, 1: Stage.LIGHT, 2: Stage.DEEP, 3: Stage.REM, 4: Stage.ASLEEP, 5: Stage.ASLEEP,
          15: Stage.AWAKE}
NAP_MAX_S = 3 * 3600
STAGE_NIGHTS = 3  # the newest days whose nights are fetched with their stages
DAYTIME_HOURS = range(10, 20)


class WithingsError(VendorError):
    """A non-zero `status` in a Withings response body."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        self.code = code
        super().__init__(f"Withings API status {code}" + (f": {detail}" if detail else ""))


class WithingsAuthError(WithingsError, Unauthorized):
    """The access token is invalid or expired (status 100-102, 200, 401): refresh it or reconnect."""


class WithingsRateLimited(WithingsError, RateLimited):
    """Too many requests (status 601)."""


def check_status(payload: Any) -> None:
    """Raise the WithingsError for a response whose body status is not 0."""
    if not isinstance(payload, dict) or type(payload.get("status")) is not int:  # true/false are no status
        raise PayloadError("withings: a response must be a JSON object with an integer 'status'")
    code, detail = payload["status"], payload.get("error")
    if code == 0:
        return
    if code in AUTH_FAILED:
        raise WithingsAuthError(code, detail)
    if code == TOO_MANY_REQUESTS:
        raise WithingsRateLimited(code, detail)
    raise WithingsError(code, detail)


def parse_summary(payload: Any, *, tz: tzinfo | None = None) -> Parsed:
    """Nights from a `getsummary` response. `tz` is used only for an item without a `timezone`."""
    return parse_records(VENDOR, _series(payload), lambda item: _night(item, tz))


def parse_segments(payload: Any, tz: tzinfo) -> list[Segment]:
    """The sleep stages of a `get` response, in order, each stretch of one stage merged into one segment."""
    segments: list[Segment] = []
    stretches = sorted((_stretch(index, item, tz) for index, item in enumerate(_series(payload))), key=lambda s: s[0])
    for start, end, state in stretches:
        if state not in STATES:
            log.warning("withings: a stretch of an undefined sleep state left out")  # never the state or time
            continue
        if segments and segments[-1].stage is STATES[state] and segments[-1].end == start:
            start = segments.pop().start
        segments.append(Segment(start=start, end=end, stage=STATES[state]))
    return segments


def more(payload: Any) -> tuple[bool, int]:
    """Whether another page follows, and the `offset` to ask it with."""
    body = _body(payload)
    has_more, offset = body.get("more", False), body.get("offset", 0)
    if type(has_more) not in (bool, int) or has_more not in (0, 1):  # true/false, or 1/0
        raise PayloadError("withings: 'more' must be true or false")
    if type(offset) is not int or offset < 0:
        raise PayloadError("withings: 'offset' must be a non-negative integer")
    return bool(has_more), offset


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved `getsummary` response."""
    return parse_summary(load_json(path, VENDOR), tz=tz)


def _body(payload: Any) -> dict[str, Any]:
    check_status(payload)
    if not isinstance(payload.get("body"), dict):
        raise PayloadError("withings: a response must carry a 'body' object")
    return payload["body"]


def _series(payload: Any) -> list[Any]:
    series = _body(payload).get("series")
    if not isinstance(series, list):
        raise PayloadError("withings: a sleep response body must carry a 'series' list")
    return series


def _stretch(index: int, item: Any, tz: tzinfo) -> tuple[datetime, datetime, Any]:
    try:
        start, end, state = from_epoch(item["startdate"], tz), from_epoch(item["enddate"], tz), item["state"]
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # the message names the field, no value
        field = f" ({exc.args[0]!r} missing)" if type(exc) is KeyError else ""
        raise PayloadError(f"withings: malformed sleep segment {index}{field}: {type(exc).__name__}") from exc
    if type(state) is not int:
        raise PayloadError(f"withings: malformed sleep segment {index}: its state is not an integer")
    if end < start:
        raise PayloadError(f"withings: malformed sleep segment {index}: it ends before it starts")
    return start, end, state


def _night(item: dict[str, Any], tz: tzinfo | None) -> Night:
    zone = _zone(item.get("timezone"), tz)
    start, end = from_epoch(item["startdate"], zone), from_epoch(item["enddate"], zone)
    data = item["data"]
    light, deep, rem = data.get("lightsleepduration"), data.get("deepsleepduration"), data.get("remsleepduration")
    latency = _first(data.get("sleep_latency"), data.get("durationtosleep"))
    awake, efficiency = data.get("wakeupduration"), data.get("sleep_efficiency")
    return Night(
        source=VENDOR,
        vendor_id=str(item["id"]),
        start=start,
        end=end,
        kind=_kind(start, end),
        time_in_bed_s=_first(data.get("total_timeinbed"), item["enddate"] - item["startdate"]),
        total_sleep_s=_first(data.get("total_sleep_time"), data.get("asleepduration"),
                             sum(stage or 0 for stage in (light, deep, rem))),
        latency_s=latency,
        awake_s=None if awake is None else max(0, awake - (latency or 0)),
        deep_s=deep,
        light_s=light,
        rem_s=rem,
        awakenings=data.get("wakeupcount"),
        efficiency_pct=None if efficiency is None else round(100 * efficiency, 1),
        hr_avg_bpm=plausible("hr_avg_bpm", data.get("hr_average")),
        hr_lowest_bpm=plausible("hr_lowest_bpm", data.get("hr_min")),
        resp_rate_bpm=plausible("resp_rate_bpm", data.get("rr_average")),
        score=data.get("sleep_score"),
    )


def _zone(name: str | None, fallback: tzinfo | None) -> tzinfo:
    if not name:
        if fallback is None:
            raise ValueError("the night has no timezone")
        return fallback
    zone = iana_zone(name)
    if zone is None:
        raise ValueError(f"unknown timezone {name!r}")
    return zone


def _kind(start: datetime, end: datetime) -> NightKind:
    midpoint = start + (end - start) / 2
    short = (end - start).total_seconds() < NAP_MAX_S
    return NightKind.NAP if short and midpoint.hour in DAYTIME_HOURS else NightKind.MAIN


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


# -- the API ---------------------------------------------------------------------------------------------
API = "https://wbsapi.withings.net/v2/sleep"
DATA_FIELDS = ",".join((
    "total_timeinbed", "total_sleep_time", "sleep_efficiency", "sleep_latency", "wakeupduration", "wakeupcount",
    "waso", "lightsleepduration", "deepsleepduration", "remsleepduration", "durationtosleep", "hr_average",
    "hr_min", "rr_average", "sleep_score", "breathing_disturbances_intensity",
))


def _unwrap_token(envelope: dict[str, Any]) -> dict[str, Any]:
    """Withings' token endpoint answers {"status": 0, "body": {...token...}}, or a non-zero status with
    HTTP 200: turned into the OAuth error authlib understands (invalid_grant: reconnect)."""
    if envelope.get("status") == 0 and isinstance(envelope.get("body"), dict):
        return envelope["body"]
    return {"error": "invalid_grant", "error_description": f"Withings status {envelope.get('status')}"}


OAUTH = OAuthApp(
    vendor=VENDOR, authorize_url="https://account.withings.com/oauth2_user/authorize2",
    token_url="https://wbsapi.withings.net/v2/oauth2", scope="user.activity",
    token_params={"action": "requesttoken"}, unwrap=_unwrap_token,
)


class WithingsAdapter(OAuthAdapter):
    """Sleep summaries (getsummary), paged by `offset`; the newest nights (`STAGE_NIGHTS` days up to the
    window's end: the ones a briefing reads) with their stage timeline (get, one request a night; a backfill
    of older nights keeps to the summaries, since the 120 requests a minute are the whole app's). Every refresh
    returns a new refresh token that replaces the old one (the TokenKeeper stores it)."""

    vendor = VENDOR
    oauth = OAUTH
    limits = (RateLimit(120, 60.0, "app", "Withings developer plans: 120 requests per minute per app"),)
    check_body = staticmethod(check_status)

    async def fetch(self, start: date, end: date) -> Parsed:
        form = {"action": "getsummary", "startdateymd": (start - timedelta(days=1)).isoformat(),
                "enddateymd": (end + timedelta(days=1)).isoformat(), "data_fields": DATA_FIELDS}

        async def page(offset: str | None) -> Any:
            return await self.request_json("POST", API, data={**form, **({"offset": offset} if offset else {})})

        def next_offset(body: Any) -> str | None:
            has_more, offset = more(body)
            return str(offset) if has_more else None

        series = await paged(page, next_offset, _series)
        parsed = parse_summary({"status": 0, "body": {"series": series}}, tz=self.tz).between(start, end)
        recent = end - timedelta(days=STAGE_NIGHTS - 1)
        parsed.nights = [await self._with_stages(night) if night.local_date >= recent else night
                         for night in parsed.nights]
        return parsed

    async def _with_stages(self, night: Night) -> Night:
        """The night with its stages; as it was when they are missing or malformed (the summary's totals
        stand on their own)."""
        form = {"action": "get", "startdate": int(night.start.timestamp()), "enddate": int(night.end.timestamp())}
        try:
            segments = parse_segments(await self.request_json("POST", API, data=form), night.start.tzinfo)
        except PayloadError as exc:
            log.warning("withings: stages of night %s left out: %s", night.vendor_id, exc)
            return night
        return night.model_copy(update={"segments": segments or None})
