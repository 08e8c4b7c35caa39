"""Batch reads for the scheduler: many users' data in one query each, never one user at a time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from pydantic import ValidationError
from sqlalchemy import select

from sleepcot.domain import Night, NightKind, Profile, Tag
from sleepcot.store.database import Database
from sleepcot.store.engine import transaction
from sleepcot.store.models import CredentialRow, NightRow, ProfileRow, TagRow
from sleepcot.store.rows import local_time, night_from_row

log = logging.getLogger(__name__)


@dataclass
class RecentData:
    """One user's recent data for the scheduler (see `Store.recent_data`)."""

    profile: Profile
    nights: list[Night] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)



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
        ids = list(days)
        low, high = min(days.values()), max(days.values())
        night_columns = [c for c in NightRow.__table__.c if c.name != "segments"]
        profiles = self.profiles(ids)
        with transaction(self.engine) as s:
            nights = s.execute(select(*night_columns).where(
                NightRow.user_id.in_(ids), NightRow.kind == NightKind.MAIN.value,
                NightRow.local_date >= low - timedelta(days=back_days), NightRow.local_date <= high,
            ).order_by(NightRow.user_id, NightRow.local_date, NightRow.start_utc, NightRow.id)).all()
            tags = s.execute(select(TagRow.user_id, TagRow.local_date, TagRow.kind, TagRow.note).where(
                TagRow.user_id.in_(ids), TagRow.local_date >= low - timedelta(days=tag_days), TagRow.local_date <= high,
            ).order_by(TagRow.id)).all()
        data = {uid: RecentData(profiles[uid]) for uid in ids if uid in profiles}
        for row in nights:
            entry, day = data.get(row.user_id), days[row.user_id]
            if entry is not None and day - timedelta(days=back_days) <= row.local_date <= day:
                entry.nights.append(night_from_row(row))
        for tag in tags:
            entry, day = data.get(tag.user_id), days[tag.user_id]
            if entry is not None and day - timedelta(days=tag_days) <= tag.local_date <= day:
                entry.tags.append(Tag(local_date=tag.local_date, kind=tag.kind, note=tag.note))
        return data

    def profiles(self, user_ids: list[int]) -> dict[int, Profile]:
        """The profiles of those of `user_ids` who exist. A profile that no longer reads (a row edited by hand,
        a value an older version allowed) is left out and logged, so that one user never stops everyone's
        mornings."""
        query = select(ProfileRow.user_id, ProfileRow.data).where(ProfileRow.user_id.in_(user_ids))
        with transaction(self.engine) as s:
            rows = s.execute(query).all()
        profiles = {}
        for user_id, data in rows:
            try:
                profiles[user_id] = Profile.model_validate(data)
            except ValidationError as exc:
                fields = sorted({".".join(map(str, error["loc"])) for error in exc.errors()})
                log.warning("user %s skipped: their stored profile does not read (%s)", user_id, ", ".join(fields))
        return profiles

    def wake_times(self, user_ids: list[int], since: date) -> dict[int, list[time]]:
        """Local clock times at which each user's main nights since `since` ended, oldest first."""
        query = (select(NightRow.user_id, NightRow.end_utc, NightRow.end_offset_s)
                 .where(NightRow.user_id.in_(user_ids), NightRow.kind == NightKind.MAIN.value,
                        NightRow.local_date >= since)
                 .order_by(NightRow.user_id, NightRow.end_utc))
        times: dict[int, list[time]] = {}
        with transaction(self.engine) as s:
            for user_id, end, offset in s.execute(query):
                times.setdefault(user_id, []).append(local_time(end, offset).time())
        return times
