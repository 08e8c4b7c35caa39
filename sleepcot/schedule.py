"""When each user's morning work happens: the local clock times of the sync, the briefing and the weekly
summary turned into UTC instants, correct across daylight-saving changes.

A local date and clock time become an instant as RFC 5545 (iCalendar, section 3.3.5) resolves them: a time
that does not exist (the hour skipped in spring) is read with the offset in force before the gap, so 02:30
on a day that jumps from 02:00 to 03:00 is 03:30 — late, never skipped; a time that occurs twice (the hour
repeated in autumn) is its first occurrence. A local date has one briefing row, so it is sent once either
way. `zoneinfo` with `fold=0` implements exactly this.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sleepcot.domain import Profile

SYNC_AFTER_WAKE = timedelta(minutes=15)  # vendors need a little while after waking to have the night
SYNC_BEFORE_DUE = timedelta(minutes=30)  # ... but the first sync is never later than this before the briefing
DEFAULT_WAKE_BEFORE_DUE = timedelta(minutes=45)  # no nights yet: assume waking this long before the briefing
WAKE_NIGHTS = 14  # the typical wake time is the median over this many recent nights ...
WAKE_DAYS = 21  # ... of those whose local dates lie in the last this many days
RETRY_DELAYS = (timedelta(minutes=15), timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=30),
                timedelta(hours=1))  # waits between syncs while the night is late; the last one repeats
GIVE_UP_AFTER_DUE = timedelta(hours=6)  # no night by then: that morning has no briefing
STALE_AFTER_DUE = timedelta(hours=6)  # a message not sent by then is dropped (the service was down)


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `clock` on local `day` in `zone` (RFC 5545 for skipped and repeated times)."""
    return datetime.combine(day, clock.replace(fold=0), tzinfo=zone).astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def typical_wake(wake_times: Sequence[time]) -> time | None:
    """The median of the user's most recent wake times (oldest first; None without any). Times are taken
    around midnight, so a median of 23:50 and 00:10 is midnight, not noon."""
    recent = wake_times[-WAKE_NIGHTS:]
    if not recent:
        return None
    minutes = [(t.hour * 60 + t.minute + 720) % 1440 - 720 for t in recent]
    middle = round(statistics.median(minutes)) % 1440
    return time(middle // 60, middle % 60)


@dataclass(frozen=True)
class DayPlan:
    """One user's morning of local date `day`: first sync, briefing due, and whether a weekly summary goes
    out with it."""

    day: date
    sync_at: datetime
    due_at: datetime
    weekly: bool


def plan_day(profile: Profile, day: date, wake: time | None) -> DayPlan:
    zone = profile.tz
    due = local_instant(day, profile.briefing_time, zone)
    if wake is None:
        sync = due - DEFAULT_WAKE_BEFORE_DUE
    else:
        sync = min(local_instant(day, wake, zone) + SYNC_AFTER_WAKE, due - SYNC_BEFORE_DUE)
    return DayPlan(day, sync, due, profile.weekly_day == day.weekday())


def next_day_to_plan(profile: Profile, now: datetime, last_planned: date | None) -> date:
    """The local date of a user's next morning to plan: the day after the last one planned, but never a
    morning whose briefing is already due (a new user, a changed setting, or a service that was down)."""
    zone = profile.tz
    today = local_date(now, zone)
    first = today if local_instant(today, profile.briefing_time, zone) > now else today + timedelta(days=1)
    if last_planned is None:
        return first
    return max(first, last_planned + timedelta(days=1))


def retry_at(now: datetime, attempts: int) -> datetime:
    """When to sync again after `attempts` syncs found no night."""
    return now + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
