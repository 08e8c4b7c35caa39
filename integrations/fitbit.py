"""Legacy Fitbit Web API sleep logs, read into canonical nights.

The Fitbit Web API was shut down in November 2026 (it answers HTTP 410), so nothing here fetches: this
module reads what users kept, a saved response of `GET /1.2/user/-/sleep/date/{date}.json` or of the
date-range variant `.../sleep/date/{startDate}/{endDate}.json` (`{"sleep": [...], "summary": {...}}`), or the
files of Fitbit's data export ("Global Export Data/sleep-YYYY-MM-DD.json": a bare list of the same log
objects, where `mainSleep` takes the place of `isMainSleep`).

Payload facts (dev.fitbit.com "Get Sleep Log by Date" / "by Date Range", v1.2):
- `logId` identifies the log; `dateOfSleep` is the date the log ended; `isMainSleep` tells the main sleep
  from a nap.
- `startTime`/`endTime` are LOCAL wall-clock times with no offset ("2023-05-14T01:51:00.000"): they are read
  in the user's timezone (`tz`).
- `type` is "stages" (levels deep, light, rem, wake) or "classic" (levels asleep, restless, awake).
- `minutesToFallAsleep`, `minutesAsleep`, `minutesAwake`, `minutesAfterWakeup` and `timeInBed` are MINUTES;
  `duration` is milliseconds. In a stages log timeInBed = minutesAsleep + minutesAwake.
- `levels.summary.{level}.minutes` are minutes; `levels.data` entries (`dateTime`, `level`, `seconds`) are the
  hypnogram in SECONDS; in a stages log `levels.shortData` lists wake bouts of 3 minutes or less that lie
  inside `data`'s sleep stages. The summary's stage minutes are the data's with the short wakes cut out
  (in the recorded main sleep: light 192 min in data - 10.5 min of short wakes = 181 min in the summary).

Choices:
- Restless (classic) counts as SLEEP, stored as Stage.ASLEEP. Fitbit's help ("What do the different sleep
  states mean?") says a restless state "doesn't necessarily mean that you were fully awake", and the
  tracker records a movement so large "that restful sleep would not be possible" as awake instead. Fitbit's
  own `minutesAsleep` leaves restless out, so our total sleep is minutesAsleep + restless minutes.
- Efficiency is ours (total sleep / time in bed, derived by Night as for every vendor), not Fitbit's
  `efficiency`: Fitbit calls it a "calculated sleep efficiency score" and it does not follow from the log's
  own minutes (the recorded main sleep says 98 for 417 asleep of 452 in bed, i.e. 92.3%), so it would not be
  comparable across nights, devices or vendors.
- Time in bed is `timeInBed`, latency is `minutesToFallAsleep` (Fitbit reports 0 for auto-detected logs even
  when the log opens awake), awake_s is the rest of the time in bed after the latency.
- Segments are `levels.data` with the `shortData` wake bouts cut in; awakenings count the wake runs after
  the first sleep run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from integrations.base import Parsed, PayloadError, count_awakenings, load_json, parse_records, parse_time
from sleepcot.domain import Night, NightKind, Segment, Stage

VENDOR = "fitbit"

_LEVELS = {
    "wake": Stage.AWAKE,
    "light": Stage.LIGHT,
    "deep": Stage.DEEP,
    "rem": Stage.REM,
    "awake": Stage.AWAKE,
    "asleep": Stage.ASLEEP,
    "restless": Stage.ASLEEP,  # movement during sleep, counted as sleep (see the module docstring)
}

_Run = tuple[datetime, datetime, Stage]


def parse_sleep_log(payload: Any, tz: tzinfo) -> Parsed:
    """Every log in a `{"sleep": [...]}` response or in an export file's bare list; `tz` is the user's timezone,
    in which the logs' local times are read."""
    if isinstance(payload, dict) and "errors" in payload:
        raise PayloadError(f"fitbit: the response is an error: {str(payload['errors'])[:200]}")
    logs = payload.get("sleep") if isinstance(payload, dict) else payload
    if not isinstance(logs, list):
        raise PayloadError("fitbit: expected a sleep log response ({\"sleep\": [...]}) or an export's list of logs")
    return parse_records(VENDOR, logs, lambda log: _night(log, tz), _describe)


def read_export(path: Path, tz: tzinfo) -> Parsed:
    """A saved sleep log response or an export file (sleep-YYYY-MM-DD.json)."""
    payload = load_json(path, VENDOR)
    return parse_sleep_log(payload, tz)


def _night(log: dict, tz: tzinfo) -> Night:
    if log["type"] not in ("stages", "classic"):
        raise ValueError(f"unknown sleep log type {log['type']!r}")
    summary = log["levels"]["summary"]
    time_in_bed_s = 60 * log["timeInBed"]
    total_sleep_s = 60 * (log["minutesAsleep"] + summary.get("restless", {}).get("minutes", 0))
    latency_s = 60 * log["minutesToFallAsleep"]
    staged = log["type"] == "stages"
    segments = _segments(log["levels"], tz)
    return Night(
        source=VENDOR,
        vendor_id=str(log["logId"]),
        start=parse_time(log["startTime"], tz),
        end=parse_time(log["endTime"], tz),
        kind=NightKind.MAIN if _is_main_sleep(log) else NightKind.NAP,
        time_in_bed_s=time_in_bed_s,
        total_sleep_s=total_sleep_s,
        latency_s=latency_s,
        awake_s=max(0, time_in_bed_s - total_sleep_s - latency_s),
        deep_s=60 * summary["deep"]["minutes"] if staged else None,
        light_s=60 * summary["light"]["minutes"] if staged else None,
        rem_s=60 * summary["rem"]["minutes"] if staged else None,
        awakenings=count_awakenings([stage for _, _, stage in segments]) if segments else None,
        segments=[Segment(start=start, end=end, stage=stage) for start, end, stage in segments] or None,
    )


def _is_main_sleep(log: dict) -> bool:
    """`isMainSleep` in API responses, `mainSleep` in export files."""
    return log["isMainSleep"] if "isMainSleep" in log else log["mainSleep"]


def _segments(levels: dict, tz: tzinfo) -> list[_Run]:
    """The hypnogram: `data`'s runs with `shortData`'s wake bouts cut in, adjacent runs of a stage merged."""
    wakes = sorted(_run(entry, tz)[:2] for entry in levels.get("shortData", []))
    runs: list[_Run] = []
    for start, end, stage in (_run(entry, tz) for entry in levels.get("data", [])):
        cursor = start
        for wake_start, wake_end in wakes:
            if wake_end <= cursor or wake_start >= end:
                continue
            if wake_start > cursor:
                runs.append((cursor, wake_start, stage))
            runs.append((max(wake_start, cursor), min(wake_end, end), Stage.AWAKE))
            cursor = min(wake_end, end)
        if cursor < end:
            runs.append((cursor, end, stage))
    return _merged(runs)


def _run(entry: dict, tz: tzinfo) -> _Run:
    start = parse_time(entry["dateTime"], tz)
    level = entry["level"]
    if not isinstance(level, str) or level not in _LEVELS:
        raise ValueError(f"unknown sleep level {level!r}")  # not a KeyError: that would name a field
    return start, start + timedelta(seconds=entry["seconds"]), _LEVELS[level]


def _merged(runs: list[_Run]) -> list[_Run]:
    merged: list[_Run] = []
    for start, end, stage in runs:
        if merged and merged[-1][2] is stage and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end, stage)
        else:
            merged.append((start, end, stage))
    return merged


def _describe(log: Any) -> str:
    return str(log.get("logId", "?")) if isinstance(log, dict) else "?"
