"""The one query a history question runs: one user's nights between two local dates, with just the columns
the question needs and, for a habit question, whether the habit was logged for each night."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import and_, exists, literal, select
from sqlalchemy.engine import Engine

from sleepcot.domain import NIGHT_VALUE_FIELDS, NightKind, NightValue, TagKind
from sleepcot.store.engine import transaction
from sleepcot.store.models import NightRow, TagRow
from sleepcot.store.rows import local_time


def history_rows(engine: Engine, user_id: int, start: date, end: date, *, kind: NightKind, column: str | None,
                 habit: Collection[TagKind] = ()) -> list[NightValue]:
    """Nights of `kind` whose local date lies in [start, end], in date order: one SELECT, filtered by the user."""
    if column is not None and column not in NIGHT_VALUE_FIELDS:
        raise ValueError(f"no night column {column!r}")
    tagged = exists().where(and_(TagRow.user_id == user_id, TagRow.local_date == NightRow.local_date,
                                 TagRow.kind.in_([k.value for k in habit]))) if habit else literal(False)
    query = (
        select(NightRow.local_date, NightRow.kind, NightRow.start_utc, NightRow.start_offset_s, NightRow.end_utc,
               NightRow.end_offset_s, NightRow.total_sleep_s,
               (getattr(NightRow, column) if column else literal(None)).label("value"), tagged.label("tagged"))
        .where(NightRow.user_id == user_id, NightRow.kind == kind.value, NightRow.local_date >= start,
               NightRow.local_date <= end)
        .order_by(NightRow.local_date, NightRow.start_utc, NightRow.id)
    )
    with transaction(engine) as s:
        return [NightValue(r.local_date, NightKind(r.kind), local_time(r.start_utc, r.start_offset_s),
                           local_time(r.end_utc, r.end_offset_s), r.total_sleep_s,
                           None if r.value is None else float(r.value), bool(r.tagged))
                for r in s.execute(query)]

