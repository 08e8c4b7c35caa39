"""Nights to rows and back: each moment stored in UTC with the offset it was recorded at, so a night reads
back in the wall-clock time it was lived."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, ColumnElement, Text, cast

from sleepcot.domain import NIGHT_VALUE_FIELDS, Night, NightKind


def offset_s(moment: datetime) -> int:
    offset = moment.utcoffset()
    assert offset is not None, "a Night holds only aware datetimes"
    return int(offset.total_seconds())


def night_row(user_id: int, night: Night) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "source": night.source,
        "vendor_id": night.vendor_id,
        "local_date": night.local_date,
        "kind": night.kind.value,
        "start_utc": night.start,
        "start_offset_s": offset_s(night.start),
        "end_utc": night.end,
        "end_offset_s": offset_s(night.end),
        **{name: getattr(night, name) for name in NIGHT_VALUE_FIELDS},
        "segments": None if night.segments is None else [s.model_dump(mode="json") for s in night.segments],
    }


def differs(current: ColumnElement[Any], new: ColumnElement[Any]) -> ColumnElement[bool]:
    """Null-safe "the value changes"; JSON has no equality operator on PostgreSQL, so compare its text."""
    if isinstance(current.type, JSON):
        current, new = cast(current, Text), cast(new, Text)
    return current.is_distinct_from(new)


@functools.lru_cache(maxsize=256)
def offset_zone(offset_s: int) -> timezone:
    return timezone(timedelta(seconds=offset_s))


def local_time(utc: datetime, offset_s: int) -> datetime:
    return utc.astimezone(offset_zone(offset_s))


def night_from_row(row: Any) -> Night:
    """A Night from a row of `nights`. A row read without its hypnogram is built without validation: it
    was validated when it was stored (the scheduler reads hundreds of thousands of them)."""
    values = {
        "source": row.source,
        "vendor_id": row.vendor_id,
        "start": local_time(row.start_utc, row.start_offset_s),
        "end": local_time(row.end_utc, row.end_offset_s),
        "local_date": row.local_date,
        "kind": NightKind(row.kind),
        **{name: getattr(row, name) for name in NIGHT_VALUE_FIELDS},
    }
    segments = getattr(row, "segments", None)
    if segments is None:
        return Night.model_construct(**values)
    return Night(**values, segments=segments)
