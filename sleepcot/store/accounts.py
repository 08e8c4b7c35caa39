"""Accounts: creating users, invites (stored as hashes, single use, expiring), and finding users by
Telegram id."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select, update

from sleepcot.domain import Profile
from sleepcot.store.database import Database
from sleepcot.store.engine import transaction
from sleepcot.store.models import InviteRow, ProfileRow, User, utcnow


class _NotRedeemed(Exception):
    """The invite code was unknown, used or expired."""


def _sha256(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()



def _usable(code: str) -> tuple[ColumnElement[bool], ...]:
    return (InviteRow.code_sha256 == _sha256(code), InviteRow.used_at.is_(None), InviteRow.expires_at > utcnow())


class Accounts(Database):
    """Users and invites: who exists, by Telegram id, and the codes that let someone in."""

    def create_user(self, profile: Profile, telegram_id: int | None = None, *, consented: bool = False) -> int:
        with transaction(self.engine) as s:
            user = User(telegram_id=telegram_id, consented_at=utcnow() if consented else None)
            s.add(user)
            s.flush()
            s.add(ProfileRow(user_id=user.id, data=profile.model_dump(mode="json")))
            return user.id

    def create_invite(self, valid_for: timedelta) -> str:
        """A new single-use invite code; only its hash is stored."""
        code = secrets.token_urlsafe(12)
        with transaction(self.engine) as s:
            s.add(InviteRow(code_sha256=_sha256(code), expires_at=utcnow() + valid_for))
        return code

    def invite_valid(self, code: str) -> bool:
        """Whether `code` is an unused, unexpired invite (reading only)."""
        with transaction(self.engine) as s:
            return s.scalar(select(InviteRow.id).where(*_usable(code))) is not None

    def redeem_invite(self, code: str, profile: Profile, telegram_id: int) -> int | None:
        """Create the user, consenting (an invite is spent at consent), if `code` is a valid, unused,
        unexpired invite, atomically spending the code (two people racing for one code: exactly one wins).
        Returns the new user's id, or None."""
        try:
            with transaction(self.engine) as s:
                user = User(telegram_id=telegram_id, consented_at=utcnow())
                s.add(user)
                s.flush()
                spent = s.execute(
                    update(InviteRow)
                    .where(*_usable(code))
                    .values(used_at=utcnow(), used_by=user.id)
                )
                if spent.rowcount != 1:  # type: ignore[attr-defined]
                    raise _NotRedeemed  # rolls the new user back
                s.add(ProfileRow(user_id=user.id, data=profile.model_dump(mode="json")))
                return user.id
        except _NotRedeemed:
            return None

    def user_by_telegram_id(self, telegram_id: int) -> int | None:
        with transaction(self.engine) as s:
            return s.scalar(select(User.id).where(User.telegram_id == telegram_id))

    def telegram_id(self, user_id: int) -> int | None:
        """The Telegram id (= private chat id) of a user, or None."""
        with transaction(self.engine) as s:
            return s.scalar(select(User.telegram_id).where(User.id == user_id))

    def telegram_ids(self, user_ids: list[int]) -> dict[int, int]:
        """The Telegram ids (= private chat ids) of those of `user_ids` who have one."""
        query = select(User.id, User.telegram_id).where(User.id.in_(user_ids), User.telegram_id.is_not(None))
        with transaction(self.engine) as s:
            return dict(s.execute(query).all())

    def user_counts(self) -> tuple[int, int]:
        """How many users there are, and how many of them finished onboarding."""
        with transaction(self.engine) as s:
            total = s.scalar(select(func.count()).select_from(User))
            onboarded = s.scalar(select(func.count()).select_from(User).where(
                User.consented_at.is_not(None), or_(User.onboarding_step.is_(None), User.onboarding_editing)))
            return total, onboarded

    def user_ids(self) -> list[int]:
        with transaction(self.engine) as s:
            return list(s.scalars(select(User.id).order_by(User.id)))
