"""Pulling users' nights from their connected sources into the store.

`Hub` is the running integrations of one process: one `VendorClient` per vendor, shared by every user, whose
rate limits are kept in the database (given its engine) so that they hold across every process on it, our
OAuth registrations, and the vault that opens credentials.
`sync` reads one source incrementally from the newest night we hold minus an overlap (late or corrected
data), and upserts (keyed on the vendor's ids: a re-sync never duplicates; tags only added once).
`sync_all` does every source of one user; `sync_users` runs many users concurrently; `Hub.sync_once` keeps
one sync per user under way. A source whose grant was revoked is marked (the user is told once, by whoever
called) and skipped until they reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy.engine import Engine

from integrations.base import Adapter, PayloadError
from integrations.http import ReconnectNeeded, VendorClient, VendorError
from integrations.oauth import (
    STATE_TTL_S,
    ClientCredentials,
    ConnectError,
    OAuthAdapter,
    TokenKeeper,
    authorization_url,
    exchange_code,
    read_state,
)
from integrations.simulator import Persona, SimulatorAdapter
from integrations.vendors import VENDORS, Connection, by_connection
from sleepcot.config import Settings
from sleepcot.crypto import CredentialError, Vault
from sleepcot.domain import Profile
from sleepcot.metrics import SYNCS
from sleepcot.store import Store, UserStore
from sleepcot.store.budgets import VendorBudgets

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_SYNC_DAYS = 30  # how far back a newly connected source is read
OVERLAP_DAYS = 3  # nights re-read on every sync, for late or corrected data
REVOKE_WAIT_S = 10.0  # how long withdrawing a grant may take before the user's data is deleted regardless


@dataclass(frozen=True)
class SyncResult:
    vendor: str
    start: date
    end: date
    nights_changed: int
    tags_added: int
    rejected: int = 0


@dataclass
class SyncReport:
    """What syncing one user did: results per source, sources newly revoked (tell the user to reconnect),
    sources whose credential no configured key opens, newly (tell the user once; the operator is told in
    the log), and sources that failed this time (retried at the next sync)."""

    results: list[SyncResult] = field(default_factory=list)
    reconnect: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class Hub:
    """The integrations of one running process (see the module docstring). `engine`: the database whose
    vendor budgets every process shares (without one, this hub's own, in memory); `time_scale` compresses
    the vendors' rate-limit windows (benchmarks only); `transport` replaces the network (tests may use it)."""

    def __init__(self, settings: Settings, vault: Vault, *, engine: Engine | None = None, time_scale: float = 1.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.settings, self.vault, self.time_scale, self.transport = settings, vault, time_scale, transport
        self.budgets = VendorBudgets(engine)
        self._clients: dict[str, VendorClient] = {}
        self._syncing: dict[int, asyncio.Task] = {}

    def sync_once(self, user_id: int, start: Callable[[], Coroutine[Any, Any, T]]) -> asyncio.Task[T]:
        """The user's sync under way, or `start()` begun as one: one at a time per user. It runs to its end
        even when whoever asked stops waiting (a command answers from what is stored), until the hub closes."""
        task = self._syncing.get(user_id)
        if task is None or task.done():
            task = asyncio.create_task(start(), name=f"sync of user {user_id}")
            self._syncing[user_id] = task
            task.add_done_callback(lambda done: self._syncing.pop(user_id, None)
                                   if self._syncing.get(user_id) is done else None)
        return task

    def connectable(self) -> list[str]:
        """The sources a user can connect from the chat here: the simulated ones, and every OAuth vendor we
        are registered with (its callback must be reachable: SLEEPCOT_PUBLIC_URL)."""
        names = [vendor.name for vendor in by_connection(Connection.SIMULATED)]
        if not self.settings.public_url:
            return names
        return names + [vendor.name for vendor in by_connection(Connection.OAUTH)
                        if self.settings.vendor_client(vendor.name) is not None]

    def adapter_class(self, name: str) -> type[OAuthAdapter]:
        vendor = VENDORS.get(name)
        if vendor is None or vendor.adapter is None:
            raise ValueError(f"{name!r} is not a vendor we fetch from")
        return vendor.adapter

    def client(self, name: str) -> VendorClient:
        if name not in self._clients:
            adapter = self.adapter_class(name)
            self._clients[name] = VendorClient(
                name, adapter.limits, origin=self.settings.vendor_origins.get(name),
                time_scale=self.time_scale, transport=self.transport, check_body=adapter.check_body,
                budgets=self.budgets)
        return self._clients[name]

    def credentials(self, name: str) -> ClientCredentials:
        registration = self.settings.vendor_client(name)
        if registration is None:
            raise ValueError(f"{name} is not configured (SLEEPCOT_{name.upper()}_CLIENT_ID/_SECRET)")
        if not self.settings.public_url:
            raise ValueError("OAuth needs SLEEPCOT_PUBLIC_URL (where the callback is reachable)")
        return ClientCredentials(*registration, redirect_uri=f"{self.settings.public_url.rstrip('/')}/oauth/{name}/callback",
                                 origin=self.settings.vendor_origins.get(name))

    def authorization_url(self, store: Store, name: str, user_id: int) -> str:
        """The user's link to `name`'s consent page (blocking: it stores the link's single-use nonce)."""
        app, creds = self.adapter_class(name).oauth, self.credentials(name)
        nonce = store.new_oauth_state(user_id, name, timedelta(seconds=STATE_TTL_S))
        return authorization_url(app, creds, self.vault, nonce)

    def take_state(self, store: Store, name: str, state: str) -> tuple[int, str | None]:
        """The user a callback's `state` was made for, and its PKCE verifier, spending the link (blocking).
        ConnectError, with a message for the user, when it is forged, stale, for another vendor or used."""
        nonce, verifier = read_state(self.vault, self.adapter_class(name).oauth, state)
        user_id = store.take_oauth_state(nonce, name)
        if user_id is None:
            raise ConnectError("This link was used already or has expired. Send /connect again.")
        return user_id, verifier

    async def complete(self, store: Store, name: str, user_id: int, verifier: str | None, code: str) -> None:
        """The OAuth callback, once `take_state` named the user: trade the code for tokens, let the vendor
        finish (Polar registers the user), store the credential encrypted. Raises ConnectError with a
        message for the user."""
        adapter = self.adapter_class(name)
        token = await asyncio.to_thread(exchange_code, adapter.oauth, self.credentials(name), code, verifier)
        secret = {"token": token, **await adapter.after_connect(self.client(name), token, user_id)}
        user = store.for_user(user_id)
        await asyncio.to_thread(user.save_credential, name, *self.vault.encrypt(secret))
        log.info("%s: connected user %d", name, user_id)

    def adapter(self, user: UserStore, name: str, profile: Profile, today: date) -> Adapter:
        """The adapter for a source the user connected, ready to fetch with their credential."""
        vendor = VENDORS.get(name)
        if vendor is not None and vendor.connection is Connection.SIMULATED:
            stored = user.credential(name)
            if stored is None:
                raise ReconnectNeeded(f"{name}: not connected")
            secret = self.vault.decrypt(stored[0])
            return vendor.simulate(secret["persona"], int(secret["seed"]), today, profile.timezone)
        adapter = self.adapter_class(name)
        tokens = TokenKeeper(user, self.vault, adapter.oauth, self.credentials(name))
        return adapter(self.client(name), tokens, profile.tz)

    async def revoke(self, user: UserStore, name: str) -> bool:
        """Withdraw our access to the user's `name` at the vendor, where it offers that (before their
        credential is deleted): True when done. Never raises and waits at most REVOKE_WAIT_S: a vendor that
        does not answer must not keep the user's data; the failure is logged."""
        vendor = VENDORS.get(name)
        if vendor is None or vendor.adapter is None:
            return False
        try:
            profile = await asyncio.to_thread(user.profile)
            adapter = await asyncio.to_thread(self.adapter, user, name, profile, date.today())
            done = await asyncio.wait_for(adapter.revoke(), REVOKE_WAIT_S)
        except (VendorError, PayloadError, ValueError, TimeoutError, httpx.HTTPError) as exc:  # CredentialError too
            log.warning("%s: could not withdraw user %d's grant (%s)", name, user.user_id, type(exc).__name__)
            return False
        if done:
            log.info("%s: withdrew user %d's grant", name, user.user_id)
        return done

    async def aclose(self) -> None:
        syncing = list(self._syncing.values())
        for task in syncing:
            task.cancel()
        await asyncio.gather(*syncing, return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def connect_simulated(user: UserStore, vault: Vault, name: str, choice: str, seed: int) -> None:
    """Connect the simulated source `name` as the sleeper `choice` (a persona), replacing an earlier one."""
    vendor = VENDORS[name]
    if vendor.connection is not Connection.SIMULATED or choice not in vendor.choices:
        raise ValueError(f"{name} cannot simulate {choice!r}")
    user.save_credential(name, *vault.encrypt({"persona": choice, "seed": seed}))


def connect_simulator(user: UserStore, vault: Vault, persona: Persona, seed: int) -> None:
    """Connect the simulated wearable as `persona` (the demo's and the benchmarks' source)."""
    connect_simulated(user, vault, SimulatorAdapter.vendor, persona.value, seed)


async def sync(user: UserStore, adapter: Adapter, today: date) -> SyncResult:
    """Fetch the nights (and any tags) from the last one we hold minus the overlap, up to `today`."""
    latest = (await asyncio.to_thread(user.sources)).get(adapter.vendor)
    if latest is None:
        start = today - timedelta(days=FIRST_SYNC_DAYS - 1)
    else:
        start = min(latest[1], today) - timedelta(days=OVERLAP_DAYS)
    if adapter.history_days is not None:
        start = max(start, today - timedelta(days=adapter.history_days - 1))
    fetched = await adapter.fetch(start, today)
    changed = await asyncio.to_thread(user.upsert_nights, fetched.nights)
    added = await asyncio.to_thread(_add_new_tags, user, fetched.tags, start, today)
    log.info("synced %s for user %d: %d night(s) changed, %d tag(s) added, %d record(s) rejected",
             adapter.vendor, user.user_id, changed, added, len(fetched.rejected))
    return SyncResult(adapter.vendor, start, today, changed, added, len(fetched.rejected))


def _add_new_tags(user: UserStore, tags: Iterable[Any], start: date, end: date) -> int:
    known = {(t.local_date, t.kind, t.note) for t in user.tags(start, end)}
    added = 0
    for tag in tags:
        if (tag.local_date, tag.kind, tag.note) not in known:
            user.add_tag(tag)
            known.add((tag.local_date, tag.kind, tag.note))
            added += 1
    return added


async def sync_all(user: UserStore, hub: Hub, now: datetime | None = None) -> SyncReport:
    """Sync every source the user has connected, up to today in their timezone. One failing source never
    stops the others."""
    profile = await asyncio.to_thread(user.profile)
    today = (now or datetime.now(profile.tz)).astimezone(profile.tz).date()
    report = SyncReport()
    for name, marks in (await asyncio.to_thread(user.connections)).items():
        if marks.revoked:
            continue
        try:
            adapter = await asyncio.to_thread(hub.adapter, user, name, profile, today)
            report.results.append(await sync(user, adapter, today))
            SYNCS.labels(name, "ok").inc()
            if marks.unreadable:  # the operator's keys are back
                await asyncio.to_thread(user.mark_unreadable, name, False)
        except ReconnectNeeded:
            SYNCS.labels(name, "reconnect").inc()
            if await asyncio.to_thread(user.mark_revoked, name):
                report.reconnect.append(name)
        except CredentialError:  # the operator's keys changed: theirs to fix, the user's to know
            SYNCS.labels(name, "unreadable_credential").inc()
            stored = await asyncio.to_thread(user.credential, name)
            log.error("user %d: no configured key opens their %s credential (stored with key %s; the current key "
                      "is %s): were SLEEPCOT_SECRET_KEYS or secret.key changed?", user.user_id, name,
                      stored[1] if stored else "?", hub.vault.current_key_id)
            if await asyncio.to_thread(user.mark_unreadable, name):
                report.unreadable.append(name)
            report.failed.append((name, "no configured key opens the credential"))
        except (VendorError, PayloadError, ValueError) as exc:
            SYNCS.labels(name, "failed").inc()
            log.warning("sync of %s for user %d failed: %s", name, user.user_id, exc)
            report.failed.append((name, str(exc)))
    return report


async def sync_users(users: Iterable[UserStore], hub: Hub, concurrency: int | None = None,
                     now: datetime | None = None) -> dict[int, SyncReport]:
    """Sync many users at once (at most `concurrency` at a time); the vendors' limits are shared."""
    gate = asyncio.Semaphore(concurrency or hub.settings.sync_concurrency)

    async def one(user: UserStore) -> tuple[int, SyncReport]:
        async with gate:
            return user.user_id, await sync_all(user, hub, now)

    return dict(await asyncio.gather(*(one(user) for user in users)))
