"""Each user's recent main nights in one row (`recent_nights`): the `PastNight`s of the `HISTORY_DAYS`
before their latest main night, rewritten in the same transaction as every change to their nights, so a
morning's briefing reads one row and the night itself instead of two months of nights. `nights` stays the
truth: a row that is missing, or whose latest night is not the one judged, means "read the nights"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sleepcot.domain import HISTORY_DAYS, NightKind, PastNight
from sleepcot.store.models import NightRow, RecentNightsRow
from sleepcot.store.rows import night_from_row

BATCH = 500  # users rewritten per query


def refresh(s: Session, user_ids: Iterable[int]) -> None:
    """Rewrite the recent-nights rows of `user_ids` from their nights, inside the caller's transaction."""
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), BATCH):
        _refresh(s, ids[start:start + BATCH])


def _refresh(s: Session, ids: list[int]) -> None:
    main = (NightRow.user_id.in_(ids), NightRow.kind == NightKind.MAIN.value)
    latest = dict(s.execute(select(NightRow.user_id, func.max(NightRow.local_date)).where(*main)
                            .group_by(NightRow.user_id)).all())
    s.execute(delete(RecentNightsRow).where(RecentNightsRow.user_id.in_(ids)))
    if not latest:
        return
    columns = [c for c in NightRow.__table__.c if c.name != "segments"]
    rows = s.execute(select(*columns).where(*main, NightRow.local_date >= min(latest.values()) - timedelta(days=HISTORY_DAYS))
                     .order_by(NightRow.user_id, NightRow.local_date, NightRow.start_utc, NightRow.id)).all()
    kept: dict[int, list[list]] = {user_id: [] for user_id in latest}
    for row in rows:
        day = latest[row.user_id]
        if day - timedelta(days=HISTORY_DAYS) <= row.local_date < day:
            kept[row.user_id].append(PastNight.of(night_from_row(row)).as_list())
    s.execute(insert(RecentNightsRow), [{"user_id": user_id, "latest": latest[user_id], "nights": nights}
                                        for user_id, nights in kept.items()])
