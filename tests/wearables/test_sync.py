"""Syncing a connected source: the first sync reads 30 nights, later ones only the overlap, re-syncs never
duplicate nights or tags, and credentials are stored encrypted."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from cryptography.fernet import Fernet

from integrations.simulator import Persona, persona_profile
from integrations.sync import FIRST_SYNC_DAYS, OVERLAP_DAYS, Hub, connect_simulator
from integrations.sync import sync_all as sync_all_async
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.store import Store, UserStore


def test_sync_is_incremental_and_idempotent(store: Store, tmp_path):
    vault = Vault([Fernet.generate_key()])
    profile = persona_profile(Persona.EVENING_ALCOHOL)
    user = store.for_user(store.create_user(profile))
    connect_simulator(user, vault, Persona.EVENING_ALCOHOL, 3)
    assert b"evening_alcohol" not in user.credential("simulator")[0]  # encrypted at rest
    hub = Hub(Settings(data_dir=tmp_path), vault)

    def sync_all(user: UserStore, _: Vault, now: datetime):
        return asyncio.run(sync_all_async(user, hub, now)).results

    now = datetime.now(profile.tz)
    first = sync_all(user, vault, now)[0]
    assert (first.end - first.start).days == FIRST_SYNC_DAYS - 1 and first.nights_changed >= FIRST_SYNC_DAYS
    tags = user.tags()
    assert tags  # the persona drinks in the evening

    again = sync_all(user, vault, now)[0]
    assert (again.nights_changed, again.tags_added) == (0, 0)
    assert again.start == first.end - timedelta(days=OVERLAP_DAYS)
    assert user.tags() == tags

    tomorrow = sync_all(user, vault, now + timedelta(days=1))[0]
    assert tomorrow.nights_changed >= 1
    assert user.sources()["simulator"][1] == (now + timedelta(days=1)).date()
