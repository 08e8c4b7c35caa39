"""Each user's baselines in one row (`baselines`): what judging their latest main night reads of the nights
before it (`analysis.Prior`: the 14- and 60-night baselines and the fortnight's nights), and the times their
recent main nights ended, which planning their mornings reads. The row is made again in the same
transaction as every change to their nights, so a morning's briefing reads one row and the night itself
instead of two months of nights, and computes no baseline. `nights` stays the truth: a row that is missing,
or made for another night than the one judged, means "read the nights"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sleepcot.analysis.baseline import Prior
from sleepcot.domain import HISTORY_DAYS, Night, NightKind
from sleepcot.schedule import WAKE_DAYS
from sleepcot.store.models import BaselineRow, NightRow
from sleepcot.store.rows import night_from_row

BATCH = 500  # users made again per query
# wake times kept: the planner's window (WAKE_DAYS back from today in UTC) from a latest night up to two
# days ahead of UTC's date (a local date east of UTC); a row made for a later night reads the nights
WAKES_KEPT = timedelta(days=WAKE_DAYS + 2)


def refresh(s: Session, user_ids: Iterable[int]) -> None:
    """Make the baselines rows of `user_ids` again from their nights, inside the caller's transaction."""
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), BATCH):
        _refresh(s, ids[start:start + BATCH])


def _refresh(s: Session, ids: list[int]) -> None:
    latest = dict(s.execute(select(NightRow.user_id, func.max(NightRow.local_date))
                            .where(NightRow.user_id.in_(ids), NightRow.kind == NightKind.MAIN.value)
                            .group_by(NightRow.user_id)).all())
    s.execute(delete(BaselineRow).where(BaselineRow.user_id.in_(ids)))
    if not latest:
        return
    nights = main_nights(s, {user_id: (day - timedelta(days=HISTORY_DAYS), day) for user_id, day in latest.items()})
    s.execute(insert(BaselineRow), [{
        "user_id": user_id, "latest": day,
        "prior": Prior.of([n for n in nights[user_id] if n.local_date < day], day).as_json(),
        "wakes": wakes([n for n in nights[user_id] if n.local_date >= day - WAKES_KEPT])}
        for user_id, day in latest.items()])


def wake(day: date, ended: datetime) -> list[str | int]:
    """What a baselines row keeps of when a night of local date `day` ended (local time): [day, minute of
    the local day]."""
    return [day.isoformat(), ended.hour * 60 + ended.minute]


def wakes(nights: list[Night]) -> list[list[str | int]]:
    """`wake` of each of `nights`, in the order they ended."""
    return [wake(n.local_date, n.end) for n in sorted(nights, key=lambda n: n.end)]


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
