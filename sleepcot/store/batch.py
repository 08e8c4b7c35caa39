"""Batch reads for the scheduler: many users' data in one query each, never one user at a time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sleepcot.analysis.baseline import Prior
from sleepcot.domain import HISTORY_DAYS, Night, NightKind, Profile, Tag
from sleepcot.store.baselines import WAKES_KEPT, main_nights, wake
from sleepcot.store.database import Database
from sleepcot.store.engine import transaction
from sleepcot.store.models import BaselineRow, CredentialRow, NightRow, ProfileRow, TagRow
from sleepcot.store.rows import local_time

log = logging.getLogger(__name__)


@dataclass
class Morning:
    """What writing one user's briefing reads (see `Store.mornings`): None for `night` (and `prior`) when it
    is not in."""

    profile: Profile
    night: Night | None
    tags: list[Tag]
    prior: Prior | None


@dataclass
class RecentData:
    """One user's recent data for the scheduler (see `Store.recent_data`)."""

    profile: Profile
    nights: list[Night] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)


def _tags(s: Session, spans: dict[int, tuple[date, date]]) -> dict[int, list[Tag]]:
    """Each user's tags whose local dates lie in their span, in the order they were logged, in one query."""
    rows = s.execute(select(TagRow.user_id, TagRow.local_date, TagRow.kind, TagRow.note).where(
        TagRow.user_id.in_(list(spans)), TagRow.local_date >= min(low for low, _ in spans.values()),
        TagRow.local_date <= max(high for _, high in spans.values()),
    ).order_by(TagRow.id)).all()
    tags: dict[int, list[Tag]] = {}
    for row in rows:
        low, high = spans[row.user_id]
        if low <= row.local_date <= high:
            tags.setdefault(row.user_id, []).append(Tag(local_date=row.local_date, kind=row.kind, note=row.note))
    return tags


def read_profiles(stored: dict[int, Any]) -> dict[int, Profile]:
    """Profiles from their stored JSON, by user id. A profile that no longer reads (a row edited by hand, a
    value an older version allowed) is left out and logged, so that one user never stops everyone's
    mornings."""
    profiles = {}
    for user_id, data in stored.items():
        try:
            profiles[user_id] = Profile.model_validate(data)
        except ValidationError as exc:
            fields = sorted({".".join(map(str, error["loc"])) for error in exc.errors()})
            log.warning("user %s skipped: their stored profile does not read (%s)", user_id, ", ".join(fields))
    return profiles


class BatchReads(Database):
    """Reads across many users at once, for the scheduler: who has sources, their recent nights and tags,
    profiles and wake times, each in one query."""

    def users_with_sources(self, user_ids: list[int]) -> list[int]:
        """Those of `user_ids` with a connected source whose grant holds (the ones a sync can fetch for)."""
        query = (select(CredentialRow.user_id).distinct()
                 .where(CredentialRow.user_id.in_(user_ids), CredentialRow.revoked_at.is_(None)))
        with transaction(self.engine) as s:
            return sorted(s.scalars(query))

    def recent_data(self, days: dict[int, date], back_days: int, tag_days: int) -> dict[int, RecentData]:
        """For many users at once (the scheduler's batches): each user's profile, main nights with local
        dates in [day - back_days, day] (without hypnograms), and tags in [day - tag_days, day], where `day`
        is that user's entry in `days`. Each user's data is read by their own id only."""
        if not days:
            return {}
        profiles = self.profiles(list(days))
        with transaction(self.engine) as s:
            nights = main_nights(s, {uid: (day - timedelta(days=back_days), day) for uid, day in days.items()})
            tags = _tags(s, {uid: (day - timedelta(days=tag_days), day) for uid, day in days.items()})
        return {uid: RecentData(profile, nights.get(uid, []), tags.get(uid, [])) for uid, profile in profiles.items()}

    def mornings(self, days: dict[int, date]) -> dict[int, Morning]:
        """What writing each user's briefing for the night ending on their entry in `days` reads: the night,
        what the main nights of the `HISTORY_DAYS` before it give (`Prior`) and the day's tags. The prior
        is the user's baselines row when it was made for that night (sleepcot.store.baselines), otherwise
        it is made from the nights themselves; either gives the same analysis."""
        if not days:
            return {}
        profiles = self.profiles(list(days))
        with transaction(self.engine) as s:
            rows = s.execute(select(BaselineRow.user_id, BaselineRow.latest, BaselineRow.prior).where(
                BaselineRow.user_id.in_(list(days)), BaselineRow.latest.in_(set(days.values())))).all()
            kept = {uid: Prior.from_json(prior) for uid, latest, prior in rows if latest == days[uid]}
            on_day = main_nights(s, {uid: (day, day) for uid, day in days.items()})
            # a night in whose row was made for another one (stored before the row existed): read the nights
            unread = {uid: (day - timedelta(days=HISTORY_DAYS), day - timedelta(days=1))
                      for uid, day in days.items() if uid in on_day and uid not in kept}
            earlier = main_nights(s, unread) if unread else {}
            tags = _tags(s, {uid: (day, day) for uid, day in days.items()})
        made = {uid: Prior.of(earlier.get(uid, []), days[uid]) for uid in unread}
        return {uid: Morning(profile, on_day[uid][-1] if uid in on_day else None, tags.get(uid, []),
                             kept.get(uid) or made.get(uid))
                for uid, profile in profiles.items()}

    def profiles(self, user_ids: list[int]) -> dict[int, Profile]:
        """The profiles of those of `user_ids` who exist (see `read_profiles`)."""
        return read_profiles(self.profiles_as_stored(user_ids))

    def profiles_as_stored(self, user_ids: list[int]) -> dict[int, Any]:
        """The stored profiles (JSON) of those of `user_ids` who exist: what tells whether one has changed."""
        with transaction(self.engine) as s:
            return dict(s.execute(select(ProfileRow.user_id, ProfileRow.data).where(ProfileRow.user_id.in_(user_ids))).all())

    def wake_times(self, user_ids: list[int], since: date) -> dict[int, list[time]]:
        """The local clock times (to the minute) at which each user's main nights since `since` ended, in the
        order they ended: from their baselines row, or from the nights where the row does not reach back
        that far (there is none, or a version before revision 0010 made it)."""
        with transaction(self.engine) as s:
            rows = s.execute(select(BaselineRow.user_id, BaselineRow.latest, BaselineRow.wakes)
                             .where(BaselineRow.user_id.in_(user_ids))).all()
            kept = {user_id: list(wakes) for user_id, latest, wakes in rows
                    if wakes is not None and latest - WAKES_KEPT <= since}
            unread = [user_id for user_id in user_ids if user_id not in kept]
            query = (select(NightRow.user_id, NightRow.local_date, NightRow.end_utc, NightRow.end_offset_s)
                     .where(NightRow.user_id.in_(unread), NightRow.kind == NightKind.MAIN.value,
                            NightRow.local_date >= since)
                     .order_by(NightRow.user_id, NightRow.end_utc))
            for user_id, day, end, offset in s.execute(query) if unread else ():
                kept.setdefault(user_id, []).append(wake(day, local_time(end, offset)))
        first = since.isoformat()
        times = {user_id: [time(minute // 60, minute % 60) for day, minute in wakes if day >= first]
                 for user_id, wakes in kept.items()}
        return {user_id: clock for user_id, clock in times.items() if clock}
