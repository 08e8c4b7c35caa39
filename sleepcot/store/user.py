"""One user's data, the only way to reach it: a `UserStore` is bound to one user id and every statement it
runs is filtered by (or writes) that id, so code holding one user's store cannot reach another's. Each
method runs in its own short transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Engine

from sleepcot.domain import Night, NightKind, NightValue, Profile, Tag, TagKind
from sleepcot.store import baselines
from sleepcot.store.dialects import upsert_insert
from sleepcot.store.engine import file_lock, transaction
from sleepcot.store.history import history_rows
from sleepcot.store.models import BriefingRow, CredentialRow, NightRow, ProfileRow, TagRow, TurnRow, User, utcnow
from sleepcot.store.outbox import reschedule
from sleepcot.store.rows import differs, night_from_row, night_row

ROLES = ("user", "assistant")


class Pending(NamedTuple):
    """The question the bot waits for a user to answer: a step of onboarding, or (`editing`) one setting
    changed from /settings."""

    step: str
    editing: bool = False


class UnknownUser(KeyError):
    """No user with this id exists (any more)."""


class CredentialMarks(NamedTuple):
    """Where a connected vendor's credential stands: its grant refused by the vendor (the user must
    reconnect), or no configured key opened it at the last try."""

    revoked: bool
    unreadable: bool


class UserStore:
    """One user's data. The only way to read or write it: every query is filtered by `user_id`."""

    def __init__(self, engine: Engine, user_id: int) -> None:
        self._engine = engine
        self.user_id = user_id

    def profile(self) -> Profile:
        with transaction(self._engine) as s:
            data = s.scalar(select(ProfileRow.data).where(ProfileRow.user_id == self.user_id))
        if data is None:
            raise UnknownUser(self.user_id)
        return Profile.model_validate(data)

    def save_profile(self, profile: Profile) -> None:
        """Save the profile; the scheduled mornings follow it (a new briefing time, timezone or weekly day
        applies to every message not sent yet)."""
        with transaction(self._engine) as s:
            result = s.execute(
                update(ProfileRow)
                .where(ProfileRow.user_id == self.user_id)
                .values(data=profile.model_dump(mode="json"))
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise UnknownUser(self.user_id)
            reschedule(s, self.user_id, profile)

    def pending(self) -> Pending | None:
        """The question the bot is waiting for this user to answer (None: none)."""
        with transaction(self._engine) as s:
            row = s.execute(select(User.onboarding_step, User.onboarding_editing).where(User.id == self.user_id)).first()
        return None if row is None or row.onboarding_step is None else Pending(row.onboarding_step, row.onboarding_editing)

    def set_pending(self, pending: Pending | None) -> None:
        step, editing = pending or (None, False)
        with transaction(self._engine) as s:
            s.execute(update(User).where(User.id == self.user_id).values(onboarding_step=step, onboarding_editing=editing))

    def consent(self) -> None:
        with transaction(self._engine) as s:
            s.execute(update(User).where(User.id == self.user_id).values(consented_at=utcnow()))

    def upsert_nights(self, nights: Iterable[Night]) -> int:
        """Insert new nights and update changed ones, keyed on (source, vendor id); a night given twice
        counts once, the last one winning. Returns how many rows were inserted or changed. One prepared
        statement is run for each night (psycopg pipelines them; the affected rows are summed): one statement
        with every night's values in it takes psycopg longer to convert than the server to run."""
        rows = list({(n.source, n.vendor_id): night_row(self.user_id, n) for n in nights}.values())
        if not rows:
            return 0
        with transaction(self._engine) as s:
            insert = upsert_insert(s)(NightRow.__table__)
            key = ("user_id", "source", "vendor_id")
            changing = [c for c in rows[0] if c not in key]
            current = NightRow.__table__.c
            statement = insert.on_conflict_do_update(
                index_elements=key,
                set_={c: insert.excluded[c] for c in changing},
                where=or_(*(differs(current[c], insert.excluded[c]) for c in changing)),
            )
            changed = s.connection().execute(statement.execution_options(preserve_rowcount=True), rows).rowcount
            if changed:
                baselines.refresh(s, [self.user_id])
            return changed

    def nights(
        self, start: date | None = None, end: date | None = None, kind: NightKind | None = NightKind.MAIN
    ) -> list[Night]:
        """Nights whose local date lies in [start, end] (either bound optional), of `kind` (None: all),
        ordered by local date and start."""
        query = select(NightRow).where(NightRow.user_id == self.user_id)
        if start is not None:
            query = query.where(NightRow.local_date >= start)
        if end is not None:
            query = query.where(NightRow.local_date <= end)
        if kind is not None:
            query = query.where(NightRow.kind == kind.value)
        with transaction(self._engine) as s:
            rows = s.scalars(query.order_by(NightRow.local_date, NightRow.start_utc, NightRow.id))
            return [night_from_row(row) for row in rows]

    def history(self, start: date, end: date, *, kind: NightKind = NightKind.MAIN, column: str | None = None,
                habit: Iterable[TagKind] = ()) -> list[NightValue]:
        """Nights of `kind` in [start, end] with one column's values and whether `habit` was logged for each
        (a history question's one query)."""
        return history_rows(self._engine, self.user_id, start, end, kind=kind, column=column, habit=tuple(habit))

    def latest_night(self, kind: NightKind = NightKind.MAIN) -> Night | None:
        query = (
            select(NightRow)
            .where(NightRow.user_id == self.user_id, NightRow.kind == kind.value)
            .order_by(NightRow.local_date.desc(), NightRow.start_utc.desc(), NightRow.id.desc())
            .limit(1)
        )
        with transaction(self._engine) as s:
            row = s.scalar(query)
            return None if row is None else night_from_row(row)

    def sources(self) -> dict[str, tuple[int, date]]:
        """Per source of nights: how many main nights we hold and the latest one's local date."""
        query = (
            select(NightRow.source, func.count(), func.max(NightRow.local_date))
            .where(NightRow.user_id == self.user_id, NightRow.kind == NightKind.MAIN.value)
            .group_by(NightRow.source)
        )
        with transaction(self._engine) as s:
            return {source: (count, latest) for source, count, latest in s.execute(query)}

    def add_tag(self, tag: Tag) -> None:
        with transaction(self._engine) as s:
            s.add(TagRow(user_id=self.user_id, local_date=tag.local_date, kind=tag.kind.value, note=tag.note))

    def tags(self, start: date | None = None, end: date | None = None) -> list[Tag]:
        query = select(TagRow).where(TagRow.user_id == self.user_id)
        if start is not None:
            query = query.where(TagRow.local_date >= start)
        if end is not None:
            query = query.where(TagRow.local_date <= end)
        with transaction(self._engine) as s:
            rows = s.scalars(query.order_by(TagRow.local_date, TagRow.id))
            return [Tag(local_date=r.local_date, kind=r.kind, note=r.note) for r in rows]

    def save_briefing(self, local_date: date, text: str, meta: dict[str, Any]) -> None:
        """Store the briefing for a local date, replacing any earlier one for that date."""
        with transaction(self._engine) as s:
            insert = upsert_insert(s)(BriefingRow).values(
                user_id=self.user_id, local_date=local_date, text=text, meta=meta, created_at=utcnow()
            )
            s.execute(
                insert.on_conflict_do_update(
                    index_elements=("user_id", "local_date"),
                    set_={c: insert.excluded[c] for c in ("text", "meta", "created_at")},
                )
            )

    def briefing(self, local_date: date) -> tuple[str, dict[str, Any]] | None:
        query = select(BriefingRow.text, BriefingRow.meta).where(
            BriefingRow.user_id == self.user_id, BriefingRow.local_date == local_date
        )
        with transaction(self._engine) as s:
            row = s.execute(query).first()
        return None if row is None else (row.text, row.meta)

    def add_turn(self, role: str, text: str, *, keep: int | None = None) -> None:
        """Append a turn; with `keep`, only the newest `keep` turns are kept (the context's bound)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        with transaction(self._engine) as s:
            s.add(TurnRow(user_id=self.user_id, role=role, text=text))
            if keep is not None:
                s.flush()
                newest = select(TurnRow.id).where(TurnRow.user_id == self.user_id).order_by(TurnRow.id.desc()).limit(keep)
                s.execute(delete(TurnRow).where(TurnRow.user_id == self.user_id, TurnRow.id.not_in(newest)))

    def recent_turns(self, limit: int = 8) -> list[tuple[str, str]]:
        """The last `limit` (role, text) turns of the conversation, oldest first."""
        query = (
            select(TurnRow.role, TurnRow.text)
            .where(TurnRow.user_id == self.user_id)
            .order_by(TurnRow.id.desc())
            .limit(limit)
        )
        with transaction(self._engine) as s:
            rows = s.execute(query).all()
        return [(row.role, row.text) for row in reversed(rows)]

    def save_credential(self, vendor: str, ciphertext: bytes, key_id: str) -> None:
        """Store (or replace) the encrypted credential for `vendor`; the caller encrypts."""
        with transaction(self._engine) as s:
            insert = upsert_insert(s)(CredentialRow).values(
                user_id=self.user_id, vendor=vendor, ciphertext=ciphertext, key_id=key_id, updated_at=utcnow(),
                revoked_at=None, unreadable_at=None,
            )
            s.execute(insert.on_conflict_do_update(
                index_elements=("user_id", "vendor"),
                set_={c: insert.excluded[c] for c in ("ciphertext", "key_id", "updated_at", "revoked_at", "unreadable_at")},
            ))

    def update_credential(self, vendor: str, change: Callable[[bytes], tuple[bytes, str] | None]) -> bytes | None:
        """Read-modify-write of one credential under its lock (SELECT … FOR UPDATE on PostgreSQL, a lock file
        on SQLite), so that several processes never refresh the same single-use token twice: `change` gets the stored
        ciphertext and returns a replacement (ciphertext, key id) or None to keep it. Returns the ciphertext
        now stored, or None when the credential is gone."""
        query = select(CredentialRow).where(CredentialRow.user_id == self.user_id, CredentialRow.vendor == vendor)
        lock = hashlib.sha256(f"{self.user_id}:{vendor}".encode()).hexdigest()[:16]
        with file_lock(self._engine, f"credential-{lock}"), transaction(self._engine) as s:  # SQLite: no row locks
            row = s.scalars(query.with_for_update()).first()
            if row is None:
                return None
            replacement = change(bytes(row.ciphertext))
            if replacement is not None:
                row.ciphertext, row.key_id = replacement
                row.revoked_at = None
            return bytes(row.ciphertext)

    def mark_revoked(self, vendor: str) -> bool:
        """Mark the vendor's grant as revoked; True only the first time (so the user is told once)."""
        return self._mark(vendor, CredentialRow.revoked_at, True)

    def mark_unreadable(self, vendor: str, unreadable: bool = True) -> bool:
        """Mark the vendor's credential as one no configured key opens (or, `unreadable` False, as read
        again); True only when that changes (so the user is told once)."""
        return self._mark(vendor, CredentialRow.unreadable_at, unreadable)

    def _mark(self, vendor: str, column: Any, on: bool) -> bool:
        """Set (the time now) or clear the credential's mark `column`; True only when that changed it."""
        unchanged = column.is_not(None) if on else column.is_(None)
        with transaction(self._engine) as s:
            result = s.execute(
                update(CredentialRow)
                .where(CredentialRow.user_id == self.user_id, CredentialRow.vendor == vendor, ~unchanged)
                .values({column.key: utcnow() if on else None})
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def revoked_vendors(self) -> set[str]:
        """The connected vendors whose grant was revoked (the user must reconnect them)."""
        return {vendor for vendor, marks in self.connections().items() if marks.revoked}

    def connections(self) -> dict[str, CredentialMarks]:
        """Every connected vendor, by name, with its credential's marks (one query: what a sync reads)."""
        query = (select(CredentialRow.vendor, CredentialRow.revoked_at.is_not(None),
                        CredentialRow.unreadable_at.is_not(None))
                 .where(CredentialRow.user_id == self.user_id).order_by(CredentialRow.vendor))
        with transaction(self._engine) as s:
            return {vendor: CredentialMarks(bool(revoked), bool(unreadable)) for vendor, revoked, unreadable in s.execute(query)}

    def credential(self, vendor: str) -> tuple[bytes, str] | None:
        """The encrypted credential for `vendor` and the id of the key that encrypted it."""
        query = select(CredentialRow.ciphertext, CredentialRow.key_id).where(
            CredentialRow.user_id == self.user_id, CredentialRow.vendor == vendor
        )
        with transaction(self._engine) as s:
            row = s.execute(query).first()
        return None if row is None else (bytes(row.ciphertext), row.key_id)

    def vendors(self) -> list[str]:
        """The vendors this user has connected."""
        query = select(CredentialRow.vendor).where(CredentialRow.user_id == self.user_id).order_by(CredentialRow.vendor)
        with transaction(self._engine) as s:
            return list(s.scalars(query))

    def delete_credential(self, vendor: str) -> bool:
        with transaction(self._engine) as s:
            result = s.execute(delete(CredentialRow).where(CredentialRow.user_id == self.user_id,
                                                           CredentialRow.vendor == vendor))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def export(self) -> dict[str, Any]:
        """Everything we hold about the user, as JSON-ready data (connected vendors, never their tokens; how a
        briefing was written, never the model's text the guard refused)."""
        with transaction(self._engine) as s:
            briefings = s.execute(
                select(BriefingRow.local_date, BriefingRow.text, BriefingRow.meta, BriefingRow.created_at)
                .where(BriefingRow.user_id == self.user_id)
                .order_by(BriefingRow.local_date)
            ).all()
            turns = s.execute(
                select(TurnRow.role, TurnRow.text, TurnRow.created_at)
                .where(TurnRow.user_id == self.user_id)
                .order_by(TurnRow.id)
            ).all()
            vendors = s.execute(
                select(CredentialRow.vendor, CredentialRow.updated_at)
                .where(CredentialRow.user_id == self.user_id)
                .order_by(CredentialRow.vendor)
            ).all()
        return {
            "profile": self.profile().model_dump(mode="json"),
            "nights": [n.model_dump(mode="json") for n in self.nights(kind=None)],
            "tags": [t.model_dump(mode="json") for t in self.tags()],
            "briefings": [
                {
                    "local_date": b.local_date.isoformat(),
                    "text": b.text,
                    "meta": _exportable(b.meta),
                    "created_at": b.created_at.isoformat(),
                }
                for b in briefings
            ],
            "turns": [{"role": t.role, "text": t.text, "created_at": t.created_at.isoformat()} for t in turns],
            "connected_vendors": [{"vendor": v.vendor, "updated_at": v.updated_at.isoformat()} for v in vendors],
        }

    def delete(self) -> None:
        """Remove the user and, through ON DELETE CASCADE, every row of theirs in every table."""
        with transaction(self._engine) as s:
            s.execute(delete(User).where(User.id == self.user_id))


EXPORTED_META = ("backend", "by_model", "fallback_reason", "sources", "model_unavailable")


def _exportable(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """A briefing's record of how it was written, as the user gets it: who wrote it and from which sources,
    and how many of the model's tries the guard refused, but not those tries' words or the guard's quotes of
    them (text the guard held back is never shown to the user, in the chat or in their export)."""
    if meta is None:
        return None
    kept = {key: meta[key] for key in EXPORTED_META if key in meta}
    kept["refused_attempts"] = sum(1 for attempt in meta.get("attempts", ()) if not attempt.get("ok", False))
    return kept
