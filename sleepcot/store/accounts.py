"""Accounts: creating users, invites and /connect links' nonces (stored as hashes, single use, expiring),
finding users by Telegram id, and the accounts the operator blocked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from sleepcot.domain import Profile
from sleepcot.store.database import Database
from sleepcot.store.engine import transaction
from sleepcot.store.models import BlockedRow, CredentialRow, InviteRow, OAuthStateRow, ProfileRow, User, utcnow


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
        Returns the new user's id, or None (a blocked account too, leaving the code unspent)."""
        try:
            with transaction(self.engine) as s:
                if s.get(BlockedRow, telegram_id) is not None:
                    raise _NotRedeemed
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

    def new_oauth_state(self, user_id: int, vendor: str, valid_for: timedelta) -> str:
        """A nonce for a /connect link of the user's to `vendor`, good once until it expires; only its hash
        is stored (expired ones are cleared here)."""
        nonce = secrets.token_urlsafe(16)
        with transaction(self.engine) as s:
            s.execute(delete(OAuthStateRow).where(OAuthStateRow.expires_at <= utcnow()))
            s.add(OAuthStateRow(nonce_sha256=_sha256(nonce), user_id=user_id, vendor=vendor,
                                expires_at=utcnow() + valid_for))
        return nonce

    def take_oauth_state(self, nonce: str, vendor: str) -> int | None:
        """The user whose /connect link carried `nonce`, spending it (two callbacks racing: one gets it);
        None when it is unknown, used, expired, for another vendor, or its user is gone."""
        with transaction(self.engine) as s:
            taken = s.execute(delete(OAuthStateRow).where(OAuthStateRow.nonce_sha256 == _sha256(nonce))
                              .returning(OAuthStateRow.user_id, OAuthStateRow.vendor, OAuthStateRow.expires_at)).first()
        if taken is None or taken.vendor != vendor or taken.expires_at <= utcnow():
            return None
        return taken.user_id

    def block(self, telegram_id: int) -> bool:
        """Block a Telegram account: the bot stops answering it and everything of its user is removed (in
        one transaction). True when a user was removed."""
        with transaction(self.engine) as s:
            if s.get(BlockedRow, telegram_id) is None:
                s.add(BlockedRow(telegram_id=telegram_id))
            removed = s.execute(delete(User).where(User.telegram_id == telegram_id))
            return bool(removed.rowcount)  # type: ignore[attr-defined]

    def unblock(self, telegram_id: int) -> bool:
        with transaction(self.engine) as s:
            return bool(s.execute(delete(BlockedRow).where(BlockedRow.telegram_id == telegram_id)).rowcount)  # type: ignore[attr-defined]

    def is_blocked(self, telegram_id: int) -> bool:
        with transaction(self.engine) as s:
            return s.get(BlockedRow, telegram_id) is not None

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

    def credential_samples(self) -> dict[str, bytes]:
        """One stored credential per key that encrypted them (key id -> ciphertext), revoked ones left out:
        what the key check at start tries to open."""
        first = (select(func.min(CredentialRow.id)).where(CredentialRow.revoked_at.is_(None))
                 .group_by(CredentialRow.key_id))
        with transaction(self.engine) as s:
            rows = s.execute(select(CredentialRow.key_id, CredentialRow.ciphertext).where(CredentialRow.id.in_(first)))
            return dict(rows.all())

    def forget_credentials(self, key_ids: list[str]) -> int:
        """Delete the credentials encrypted by these keys (lost for good): their users connect again."""
        with transaction(self.engine) as s:
            return s.execute(delete(CredentialRow).where(CredentialRow.key_id.in_(key_ids))).rowcount

    def user_ids(self) -> list[int]:
        with transaction(self.engine) as s:
            return list(s.scalars(select(User.id).order_by(User.id)))
