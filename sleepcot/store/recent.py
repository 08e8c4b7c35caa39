"""Each user's recent main nights in one row (`recent_nights`): the `PastNight`s of the `HISTORY_DAYS`
before their latest main night, rewritten in the same transaction as every change to their nights, so a
morning's briefing reads one row and the night itself instead of two months of nights. `nights` stays the
truth: a row that is missing, or whose latest night is not the one judged, means "read the nights"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sleepcot.domain import HISTORY_DAYS, Night, NightKind, PastNight
from sleepcot.store.models import NightRow, RecentNightsRow
from sleepcot.store.rows import night_from_row

BATCH = 500  # users rewritten per query


def refresh(s: Session, user_ids: Iterable[int]) -> None:
    """Rewrite the recent-nights rows of `user_ids` from their nights, inside the caller's transaction."""
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), BATCH):
        _refresh(s, ids[start:start + BATCH])


def _refresh(s: Session, ids: list[int]) -> None:
    latest = dict(s.execute(select(NightRow.user_id, func.max(NightRow.local_date))
                            .where(NightRow.user_id.in_(ids), NightRow.kind == NightKind.MAIN.value)
                            .group_by(NightRow.user_id)).all())
    s.execute(delete(RecentNightsRow).where(RecentNightsRow.user_id.in_(ids)))
    if not latest:
        return
    kept = main_nights(s, {user_id: (day - timedelta(days=HISTORY_DAYS), day - timedelta(days=1))
                           for user_id, day in latest.items()})
    s.execute(insert(RecentNightsRow), [{"user_id": user_id, "latest": day,
                                         "nights": [PastNight.of(n).as_list() for n in kept.get(user_id, [])]}
                                        for user_id, day in latest.items()])


def main_nights(s: Session, spans: dict[int, tuple[date, date]]) -> dict[int, list[Night]]:
    """Each user's main nights (without hypnograms) whose local dates lie in their span (both ends included),
    oldest first, in one query."""
    columns = [c for c in NightRow.__table__.c if c.name != "segments"]
    rows = s.execute(select(*columns).where(
        NightRow.user_id.in_(list(spans)), NightRow.kind == NightKind.MAIN.value,
        NightRow.local_date >= min(low for low, _ in spans.values()),
        NightRow.local_date <= max(high for _, high in spans.values()),
    ).order_by(NightRow.user_id, NightRow.local_date, NightRow.start_utc, NightRow.id)).all()
    nights: dict[int, list[Night]] = {}
    for row in rows:
        low, high = spans[row.user_id]
        if low <= row.local_date <= high:
            nights.setdefault(row.user_id, []).append(night_from_row(row))
    return nights
