"""Polar AccessLink v3 nights (with their Nightly Recharge) as canonical nights.

Source: Polar AccessLink API v3 documentation, https://www.polar.com/accesslink-api/ (sections Sleep and
Nightly Recharge; its OpenAPI is mirrored in tryAGI/Polar src/libs/Polar/openapi.yaml).

Payload facts relied on:
- `GET /v3/users/sleep` answers {"nights": [night, ...]} for the last 28 days. A night has `date`,
  `sleep_start_time` and `sleep_end_time` (ISO 8601 with the user's offset) which are when the user FELL
  ASLEEP and WOKE UP: Polar gives no time in bed and no sleep-onset latency, so time_in_bed_s here is the
  sleep period, latency_s is unknown.
- Durations in seconds "between when you fell asleep and when you woke up": `light_sleep` (N1+N2),
  `deep_sleep` (N3), `rem_sleep`, `unrecognized_sleep_stage` (sleep whose stage could not be told, e.g. a
  loose strap: counted as sleep, in no stage), `total_interruption_duration` (time awake).
- `sleep_score` 1-100. Polar measures one night sleep per date: every night is a main sleep.
- `hypnogram` {"HH:MM": code} gives the local clock time at which each stage starts: 0 WAKE, 1 REM,
  2 LIGHTER NON-REM, 3 LIGHT NON-REM, 4 DEEP NON-REM, 5 UNKNOWN (bad skin contact: asleep, stage unknown).
  The documentation's own example holds a 6, a code Polar does not define: a stretch with an undefined code
  is left out of the hypnogram (a gap, logged), never guessed. Clock times are read after the start's clock
  time, in the start's UTC offset (a night crossing midnight continues on the next day).
- `heart_rate_samples` {"HH:MM": bpm} are 5-minute averages over the whole sleep: their mean is the night's
  average heart rate, their minimum its lowest.
- Polar gives no id for a night: the vendor id is derived from the sleep start (UTC).
- `GET /v3/users/nightly-recharge` answers {"recharges": [...]}, one per `date`, matched to the night of the
  same `date`: `heart_rate_variability_avg` is "Root Mean Square of Successive Differences (RMSSD)" in ms,
  `breathing_rate_avg` in breaths per minute, `heart_rate_avg` in bpm (used only when the night has no heart
  rate samples), all averaged "during a 4-hour period starting at 30 minutes after falling asleep".
  `beat_to_beat_avg` is the mean RR interval in ms, not a variability measure: not used.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from statistics import fmean
from typing import Any

from integrations.base import Parsed, PayloadError, RateLimit, load_json, parse_records, parse_time, plausible
from integrations.http import VendorClient
from integrations.oauth import OAuthAdapter, OAuthApp
from sleepcot.domain import Night, NightKind, Segment, Stage

log = logging.getLogger(__name__)

VENDOR = "polar"
STAGES = {0: Stage.AWAKE, 1: Stage.REM, 2: Stage.LIGHT, 3: Stage.LIGHT, 4: Stage.DEEP, 5: Stage.ASLEEP}


def parse_sleep(payload: Any, *, recharge: Any = None, tz: tzinfo | None = None) -> Parsed:
    """Nights from a `/v3/users/sleep` response; `recharge` is a `/v3/users/nightly-recharge` response.
    `tz` is only used for a timestamp without an offset."""
    nights = _list(payload, "nights", "sleep")
    recharges = {} if recharge is None else _by_date(_list(recharge, "recharges", "nightly-recharge"))
    return parse_records(VENDOR, nights, lambda night: _night(night, recharges.get(night.get("date")) or {}, tz),
                         describe=lambda night: str(night.get("date", "?")))


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved `/v3/users/sleep` response."""
    return parse_sleep(load_json(path, VENDOR), tz=tz)


def _list(payload: Any, key: str, name: str) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
        raise PayloadError(f"polar: a {name} response must be a JSON object with a '{key}' list")
    return payload[key]


def _by_date(recharges: list[Any]) -> dict[str, dict[str, Any]]:
    """The recharges that can be joined to a night by their `date` (text); one without a date joins nothing."""
    return {item["date"]: item for item in recharges if isinstance(item, dict) and isinstance(item.get("date"), str)}


def _night(night: dict[str, Any], recharge: dict[str, Any], tz: tzinfo | None) -> Night:
    start, end = parse_time(night["sleep_start_time"], tz), parse_time(night["sleep_end_time"], tz)
    light, deep, rem = night["light_sleep"], night["deep_sleep"], night["rem_sleep"]
    heart = [float(bpm) for bpm in (night.get("heart_rate_samples") or {}).values() if bpm is not None]
    return Night(
        source=VENDOR,
        vendor_id=f"{VENDOR}-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        start=start,
        end=end,
        kind=NightKind.MAIN,
        time_in_bed_s=int((end - start).total_seconds()),
        total_sleep_s=light + deep + rem + (night.get("unrecognized_sleep_stage") or 0),
        awake_s=night.get("total_interruption_duration"),
        deep_s=deep,
        light_s=light,
        rem_s=rem,
        hr_avg_bpm=plausible("hr_avg_bpm", round(fmean(heart), 1) if heart else recharge.get("heart_rate_avg")),
        hr_lowest_bpm=plausible("hr_lowest_bpm", min(heart) if heart else None),
        hrv_rmssd_ms=plausible("hrv_rmssd_ms", recharge.get("heart_rate_variability_avg")),
        resp_rate_bpm=plausible("resp_rate_bpm", recharge.get("breathing_rate_avg")),
        score=night.get("sleep_score"),
        segments=_segments(night.get("hypnogram") or {}, start, end),
    )


def _segments(hypnogram: dict[str, int], start: datetime, end: datetime) -> list[Segment] | None:
    """Stage runs from the hypnogram's clock times, merged where the stage continues (LIGHTER and LIGHT
    NON-REM are both light sleep); a run with an undefined code is left out."""
    if not hypnogram:
        return None
    changes = sorted(((_after_start(clock, start), code) for clock, code in hypnogram.items()), key=lambda c: c[0])
    bounds = [moment for moment, _ in changes[1:]] + [end]
    segments: list[Segment] = []
    for (moment, code), bound in zip(changes, bounds, strict=True):
        run_start, run_end = max(moment, start), min(bound, end)
        if not isinstance(code, int) or isinstance(code, bool) or code not in STAGES:
            log.warning("polar: a hypnogram stretch with an undefined code left out")  # never the code or time
            continue
        if run_start >= run_end:
            continue
        if segments and segments[-1].stage is STAGES[code] and segments[-1].end == run_start:
            run_start = segments.pop().start
        segments.append(Segment(start=run_start, end=run_end, stage=STAGES[code]))
    return segments


def _after_start(clock: str, start: datetime) -> datetime:
    """The first moment at local clock time `clock` ("HH:MM") from the start's minute on."""
    hours, minutes = clock.split(":")
    minute_of_day = int(hours) * 60 + int(minutes)
    if not 0 <= minute_of_day < 1440:
        raise ValueError(f"bad hypnogram time {clock!r}")
    elapsed = (minute_of_day - (start.hour * 60 + start.minute)) % 1440
    return start.replace(second=0, microsecond=0) + timedelta(minutes=elapsed)


# -- the API ---------------------------------------------------------------------------------------------
API = "https://www.polaraccesslink.com/v3/users"
OAUTH = OAuthApp(
    vendor=VENDOR, authorize_url="https://flow.polar.com/oauth2/authorization",
    token_url="https://polarremote.com/v2/oauth2/token", scope="accesslink.read_all",
    auth_method="client_secret_basic",  # AccessLink wants HTTP Basic on the token endpoint
)


class PolarAdapter(OAuthAdapter):
    """Sleep and nightly recharge (HRV, breathing rate). AccessLink serves only the last 28 days, and only
    for users registered with our client after OAuth; its tokens do not expire and have no refresh."""

    vendor = VENDOR
    oauth = OAUTH
    history_days = 28
    limits = (
        RateLimit(500, 900.0, "app", "AccessLink: 500 + 20 per user requests per 15 minutes (base counted)"),
        RateLimit(5000, 86400.0, "app", "AccessLink: 5,000 + 100 per user requests per 24 hours (base counted)"),
    )

    @classmethod
    async def after_connect(cls, http: VendorClient, token: dict[str, Any], user_id: int) -> dict[str, Any]:
        """Register the user with our client (409: already registered, which is fine)."""
        await http.request_json("POST", API, user_key=user_id, token=token["access_token"],
                                json={"member-id": f"sleepcot-{user_id}"}, ok_statuses=(409,))
        return {"polar_user": token.get("x_user_id")}

    async def revoke(self) -> bool:
        """AccessLink: DELETE /v3/users/{user-id} de-registers the user from our client, which ends our
        access (and AccessLink's copy of their data)."""
        polar_user = self.tokens.secret.get("polar_user")
        if polar_user is None:
            return False
        await self.request_json("DELETE", f"{API}/{int(polar_user)}")
        return True

    async def fetch(self, start: date, end: date) -> Parsed:
        sleep = await self.request_json("GET", f"{API}/sleep")  # 204 (empty) when there is nothing
        recharge = await self.request_json("GET", f"{API}/nightly-recharge")
        return parse_sleep(sleep or {"nights": []}, recharge=recharge or {"recharges": []}, tz=self.tz).between(start, end)
