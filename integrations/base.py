"""The one interface every wearable source implements (the demo simulator included), and the small toolkit
the vendor parsers share: `Parsed` (nights read plus records rejected), `parse_records` (one bad record is
logged and skipped, never the whole payload), and timestamp helpers that keep each night in its own local
UTC offset, so that the night is dated by the local day it ends, DST nights included."""

from __future__ import annotations

import abc
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from sleepcot.domain import Night, Stage, Tag

log = logging.getLogger(__name__)


class PayloadError(ValueError):
    """A payload that cannot be read at all (not JSON, not the expected shape)."""


@dataclass
class Parsed:
    """What a payload yielded: canonical nights, and one line per record that had to be rejected."""

    nights: list[Night] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    def extend(self, other: Parsed) -> Parsed:
        self.nights.extend(other.nights)
        self.rejected.extend(other.rejected)
        self.tags.extend(other.tags)
        return self

    def between(self, start: date, end: date) -> Parsed:
        """Only the nights (and tags) whose local date lies in [start, end]: vendors are asked for a
        day more on each side, since their own notion of a night's day can differ from ours."""
        return Parsed([n for n in self.nights if start <= n.local_date <= end], self.rejected,
                      [t for t in self.tags if start <= t.local_date <= end])


# What a malformed record raises while it is being read (OverflowError: a number too large for a time or an
# integer, such as an epoch of 1e300); anything else is a bug and propagates.
RECORD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError, ValidationError)
MAX_ID_CHARS = 64  # a vendor's id for a record, as logged and listed


def parse_records(vendor: str, records: Iterable[Any], build: Callable[[Any], Night | None],
                  describe: Callable[[Any], str] = lambda r: str(r.get("id", "?")) if isinstance(r, dict) else "?",
                  ) -> Parsed:
    """Build a Night from each record; a record that fails is logged and skipped. The log line (WARNING) names
    the vendor, the record's index, the vendor's id for it, and the field and error class: never a value the
    record holds (no time, duration, vital or unknown code). The line in `Parsed.rejected`, for whoever
    imported the payload, adds the error's own message. `build` returns None for a record that holds no sleep
    (a no-data day, a deleted period): that is not an error. A night whose vendor id cannot be stored as text
    (a NUL from a hostile payload) is rejected here rather than failing the write of all the others."""
    parsed = Parsed()
    for index, record in enumerate(records):
        try:
            night = build(record)
            if night is not None:
                _check_storable(night)
        except RECORD_ERRORS as exc:
            try:
                name = _printable(describe(record))
            except RECORD_ERRORS:
                name = "?"
            log.warning("%s: rejected record %d (id %s): %s", vendor, index, name, _logged_reason(exc))
            parsed.rejected.append(f"{vendor}: rejected record {index} (id {name}): {_reason(exc)}")
            continue
        if night is not None:
            parsed.nights.append(night)
    return parsed


def _check_storable(night: Night) -> None:
    """PostgreSQL refuses a NUL in text (a lone surrogate is already refused by the Night itself)."""
    if "\x00" in night.vendor_id:
        raise ValueError("the vendor id holds a NUL character")


def _printable(name: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(name)[:MAX_ID_CHARS])
    return text + ("…" if len(str(name)) > MAX_ID_CHARS else "")


def _reason(exc: Exception) -> str:
    """The reason listed in `Parsed.rejected`: the field, and the error's message."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"invalid {'.'.join(str(p) for p in first['loc']) or 'night'}: {first['msg']}"[:200]
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"[:200]
    return f"{type(exc).__name__}: {exc}"[:200]


def _logged_reason(exc: Exception) -> str:
    """The reason that is logged: the field (a Night field, or the payload field found missing) and the error
    class, never the message, which may quote a value ("unknown sleep type 'x'", "Invalid isoformat string")."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"invalid {'.'.join(str(p) for p in first['loc']) or 'night'} ({first['type']})"
    if type(exc) is KeyError and exc.args and _is_field_name(exc.args[0]):
        return f"missing field {exc.args[0]!r}"
    return type(exc).__name__


def _is_field_name(key: Any) -> bool:
    """A key the parser looked up by name (the parsers raise ValueError, never KeyError, for a value they do
    not know, so a KeyError's key is a field name); anything else is not logged."""
    return isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", key) is not None


def plausible(field_name: str, value: float | int | str | None) -> float | None:
    """`value` for the Night field `field_name` if it is a finite number within the field's bounds, else None
    (logged, by field name only). Vendors sometimes send impossible vitals (an average heart rate of 4, a
    negative HRV); such a figure, like one that is no number at all (NaN, true, non-numeric text), is
    dropped and the night kept, so the coach never quotes it."""
    if value is None:
        return None
    number = _number(value)
    if number is None:
        log.warning("dropped an unreadable %s", field_name)
        return None
    for bound in Night.model_fields[field_name].metadata:
        low, high = getattr(bound, "ge", None), getattr(bound, "le", None)
        if (low is not None and number < low) or (high is not None and number > high):
            log.warning("dropped an implausible %s", field_name)
            return None
    return number


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric text; None for anything else (true/false, NaN,
    Infinity, a list, text that is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def page_token(vendor: str, key: str, value: Any) -> str | None:
    """A response's token for the next page: text, or None on the last page (an empty or missing one);
    anything else is no token we could send back."""
    token = value or None
    if token is not None and not isinstance(token, str):
        raise PayloadError(f"{vendor}: {key!r} must be text or null")
    return token


def iana_zone(name: Any) -> ZoneInfo | None:
    """The IANA timezone `name`, or None when it names none (unknown, a tzdata folder such as "America", a
    name too long for a file)."""
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def load_json(path: Path, vendor: str) -> Any:
    """A saved payload file, or PayloadError saying why it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"{vendor}: cannot read {Path(path).name} as JSON: {exc}") from exc


def count_awakenings(stages: Sequence[Stage]) -> int:
    """Awake runs after the first sleep run (lying awake before falling asleep is not an awakening)."""
    first = next((i for i, s in enumerate(stages) if s is not Stage.AWAKE), len(stages))
    return sum(1 for i in range(first, len(stages)) if stages[i] is Stage.AWAKE
               and (i == first or stages[i - 1] is not Stage.AWAKE))


def offset(seconds: float | int | str) -> timezone:
    """A fixed UTC offset from seconds (Google sends them as "3600s"), in whole minutes: RFC 3339 offsets have
    none, and a night's hypnogram is stored with minute offsets, so an odd "72s" would move its times."""
    if isinstance(seconds, str):
        seconds = float(seconds.removesuffix("s"))
    return timezone(timedelta(minutes=round(float(seconds) / 60)))


def parse_time(value: str, fallback: tzinfo | None = None) -> datetime:
    """An ISO 8601 timestamp ("Z", "+02:00", "+0200" or naive) as an aware datetime. A naive time is read
    in `fallback` (the user's timezone); without one it is an error. Apple's "2019-07-26 23:11:22 +0200"
    is accepted too."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 19 and text[10] == " ":
        text = text[:10] + "T" + text[11:].replace(" ", "")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        if fallback is None:
            raise ValueError(f"timestamp {value!r} has no UTC offset")
        moment = moment.replace(tzinfo=fallback)
        return moment.astimezone(offset(moment.utcoffset().total_seconds()))  # fixed offset: safe arithmetic
    if moment.utcoffset() % timedelta(minutes=1):  # "+02:00:30": the same instant, in whole minutes
        return moment.astimezone(offset(moment.utcoffset().total_seconds()))
    return moment


def from_epoch(seconds: float, zone: tzinfo) -> datetime:
    """A Unix time as an aware datetime in `zone`'s offset at that instant (fixed, so arithmetic between
    two of them is elapsed time even across a DST change)."""
    try:
        moment = datetime.fromtimestamp(float(seconds), zone)
    except OSError as exc:  # the platform's gmtime/localtime refused it (OverflowError/ValueError pass through)
        raise ValueError("timestamp out of range") from exc
    return moment.astimezone(offset(moment.utcoffset().total_seconds()))


@dataclass(frozen=True)
class RateLimit:
    """A vendor's documented request limit: `requests` per `period_s`, either for the operator's whole app
    (shared by every user) or per user token. `source` says where the figure comes from."""

    requests: int
    period_s: float
    scope: str  # "app" or "user"
    source: str


MAX_PAGES = 200  # a vendor that keeps sending a next-page token is cut off here


async def paged(get_page: Callable[[str | None], Awaitable[Any]], next_token: Callable[[Any], str | None],
                items_of: Callable[[Any], list]) -> list:
    """Every item of a paginated collection: `get_page(token)` fetches one page (None: the first)."""
    items: list = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await get_page(token)
        if not isinstance(page, dict):
            raise PayloadError("a page of the collection is not a JSON object")
        items.extend(items_of(page))
        token = next_token(page)
        if not token:
            return items
    raise PayloadError(f"the collection did not end after {MAX_PAGES} pages")


class Adapter(abc.ABC):
    """A source of canonical nights for one user.

    `fetch` returns every sleep period (main sleep and naps, kept apart by `Night.kind`) whose local date
    lies in [start, end], plus any records it had to reject; re-fetching the same range returns the same
    vendor ids, so the store's upsert never duplicates.
    """

    vendor: ClassVar[str]
    limits: ClassVar[tuple[RateLimit, ...]] = ()
    history_days: ClassVar[int | None] = None  # how far back the vendor serves data at all

    @abc.abstractmethod
    async def fetch(self, start: date, end: date) -> Parsed: ...
