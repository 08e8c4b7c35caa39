"""Pulling a user's nights from their connected sources into the store: incremental from the newest night
we hold, with an overlap for data the vendor adds or corrects late; idempotent (upserts keyed on the
vendor's ids, tags only added once). Credentials come out of the store encrypted and are opened here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from integrations.base import Adapter
from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.crypto import Vault
from sleepcot.domain import Profile
from sleepcot.store import UserStore

log = logging.getLogger(__name__)
FIRST_SYNC_DAYS = 30  # how far back a newly connected source is read
OVERLAP_DAYS = 3  # nights re-read on every sync, for late or corrected data
CONNECTABLE = ("simulator",)  # the vendors a user can connect today


@dataclass(frozen=True)
class SyncResult:
    vendor: str
    start: date
    end: date
    nights_changed: int
    tags_added: int


def adapter_for(vendor: str, secret: dict[str, Any], profile: Profile, today: date) -> Adapter:
    """The adapter for a connected vendor, built from its decrypted credential."""
    if vendor == "simulator":
        return SimulatorAdapter(Persona(secret["persona"]), int(secret["seed"]), today, tz=profile.timezone)
    raise ValueError(f"unknown vendor {vendor!r}")


def connect(user: UserStore, vault: Vault, vendor: str, secret: dict[str, Any]) -> None:
    """Store the (encrypted) credential for `vendor`, replacing an earlier one."""
    if vendor not in CONNECTABLE:
        raise ValueError(f"unknown vendor {vendor!r}")
    user.save_credential(vendor, *vault.encrypt(secret))


def sync(user: UserStore, adapter: Adapter, today: date) -> SyncResult:
    """Fetch the nights (and any tags) from the last one we hold minus the overlap, up to `today`."""
    latest = user.sources().get(adapter.vendor)
    start = today - timedelta(days=FIRST_SYNC_DAYS - 1) if latest is None else min(latest[1], today) - timedelta(days=OVERLAP_DAYS)
    changed = user.upsert_nights(adapter.fetch_nights(start, today))
    known = {(t.local_date, t.kind, t.note) for t in user.tags(start, today)}
    added = 0
    for tag in adapter.fetch_tags(start, today):
        if (tag.local_date, tag.kind, tag.note) not in known:
            user.add_tag(tag)
            known.add((tag.local_date, tag.kind, tag.note))
            added += 1
    log.info("synced %s for user %d: %d night(s) changed, %d tag(s) added", adapter.vendor, user.user_id, changed, added)
    return SyncResult(adapter.vendor, start, today, changed, added)


def sync_all(user: UserStore, vault: Vault, now: datetime | None = None) -> list[SyncResult]:
    """Sync every source the user has connected, up to today in their timezone."""
    profile = user.profile()
    today = (now or datetime.now(profile.tz)).astimezone(profile.tz).date()
    results = []
    for vendor in user.vendors():
        stored = user.credential(vendor)
        if stored is None:  # disconnected meanwhile
            continue
        adapter = adapter_for(vendor, vault.decrypt(stored[0]), profile, today)
        results.append(sync(user, adapter, today))
    return results
