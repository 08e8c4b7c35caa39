"""Syncing from the vendors' APIs end to end: the real Hub, adapters, OAuth (authlib) and HTTP client against
loopback vendor servers that speak each vendor's protocol and serve its recorded payloads, with the
database on SQLite (and PostgreSQL for the concurrent refresh)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY

from integrations import withings as withings_adapter
from integrations.oauth import ConnectError
from integrations.sync import Hub, sync_all
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import NightKind, Profile, Stage
from sleepcot.store import Store, UserStore
from tests.loopback.vendor_apis import GoogleHealthAPI, OuraAPI, PolarAPI, VendorAPI, WhoopAPI, WithingsAPI
from tests.loopback.vendor_server import Account, VendorServer

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 0)  # noon local: the night of the 19th to the 20th is in


def _settings(tmp_path, servers: dict[str, VendorServer]) -> Settings:
    env = {"data_dir": tmp_path, "public_url": "https://coach.example.org",
           "vendor_origins": {name: server.url for name, server in servers.items()}}
    for name, server in servers.items():
        env[f"{name}_client_id"], env[f"{name}_client_secret"] = server.api.client
    return Settings(**env)


@pytest.fixture
def store(tmp_path) -> Store:
    db = Store(f"sqlite:///{tmp_path / 'sync.db'}")
    db.migrate()
    return db


@pytest.fixture
def vault() -> Vault:
    return Vault([Fernet.generate_key()])


def _serve(api: VendorAPI, **kwargs) -> Iterator[VendorServer]:
    server = VendorServer(api, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oura() -> Iterator[VendorServer]:
    yield from _serve(OuraAPI())


@pytest.fixture
def withings() -> Iterator[VendorServer]:
    yield from _serve(WithingsAPI())


def _user(store: Store, tz: str) -> UserStore:
    return store.for_user(store.create_user(Profile(timezone=tz)))


def _nights(count: int) -> list[date]:
    return [TODAY - timedelta(days=i) for i in range(count)]


def _connect(user: UserStore, vault: Vault, server: VendorServer, account: Account) -> None:
    """The state after the consent screen: the vendor's token stored for the user, encrypted."""
    user.save_credential(server.api.name, *vault.encrypt({"token": server.token_for(account)}))


def _run(coro):
    return asyncio.run(coro)


async def _sync(user: UserStore, hub: Hub, now: datetime = NOW):
    try:
        return await sync_all(user, hub, now=now.replace(tzinfo=user.profile().tz))
    finally:
        await hub.aclose()


def test_oura_nights_arrive_once_and_a_resync_adds_no_duplicates(tmp_path, store, vault, oura):
    user = _user(store, "America/Los_Angeles")
    account = oura.add_account(_nights(12))
    _connect(user, vault, oura, account)
    settings = _settings(tmp_path, {"oura": oura})

    first = _run(_sync(user, Hub(settings, vault)))
    nights = user.nights(kind=None)
    # the recorded long_sleep period, once per night the account has within the first 30 days
    assert [r.nights_changed for r in first.results] == [12]
    assert len(nights) == 12 and {n.kind for n in nights} == {NightKind.MAIN}
    assert sorted(n.local_date for n in nights) == sorted(_nights(12))
    # the recorded figures, in canonical units: 30,000 s in bed, deep 4,170 s, lowest HR 48 bpm
    assert {(n.time_in_bed_s, n.deep_s, n.hr_lowest_bpm) for n in nights} == {(30000, 4170, 48)}

    second = _run(_sync(user, Hub(settings, vault)))
    assert [r.nights_changed for r in second.results] == [0]
    assert len(user.nights(kind=None)) == 12


def test_tokens_are_encrypted_at_rest(tmp_path, store, vault, oura):
    user = _user(store, "UTC")
    account = oura.add_account(_nights(2))
    _connect(user, vault, oura, account)
    ciphertext, _ = user.credential("oura")
    assert account.access_token.encode() not in ciphertext and account.refresh_token.encode() not in ciphertext
    assert vault.decrypt(ciphertext)["token"]["refresh_token"] == account.refresh_token


def test_an_expired_token_is_refreshed_and_the_single_use_refresh_token_replaced(tmp_path, store, vault, oura):
    user = _user(store, "Europe/Berlin")
    account = oura.add_account(_nights(5))
    _connect(user, vault, oura, account)
    oura.expire_access(account)
    settings = _settings(tmp_path, {"oura": oura})

    report = _run(_sync(user, Hub(settings, vault)))
    assert report.failed == [] and [r.nights_changed for r in report.results] == [5]
    assert oura.refresh_grants == 1
    stored = vault.decrypt(user.credential("oura")[0])["token"]
    assert stored["refresh_token"] == account.refresh_token  # the new one; the old one is spent

    oura.expire_access(account)  # and the new refresh token works the next time
    _run(_sync(user, Hub(settings, vault)))
    assert oura.refresh_grants == 2 and oura.refused_refreshes == 0


@pytest.mark.parametrize("api", [OuraAPI, WhoopAPI, PolarAPI, GoogleHealthAPI, WithingsAPI], ids=lambda a: a.name)
def test_our_access_is_withdrawn_at_every_vendor_that_offers_it(api, tmp_path, store, vault):
    """What /delete and /disconnect do before forgetting a credential: the vendor's documented revocation
    (Withings documents none without a signed request: the user withdraws it in the Withings app)."""
    server = VendorServer(api()).start()
    try:
        account = server.add_account(_nights(2))
        account.registered = True
        user = _user(store, "Europe/Berlin")
        extras = {"polar_user": int(account.account_id[1:])} if api is PolarAPI else {}
        user.save_credential(api.name, *vault.encrypt({"token": server.token_for(account), **extras}))
        hub = Hub(_settings(tmp_path, {api.name: server}), vault)
        token = account.access_token

        async def revoke():
            try:
                return await hub.revoke(user, api.name)
            finally:
                await hub.aclose()

        offered = api is not WithingsAPI
        assert _run(revoke()) is offered
        assert server.revocations == int(offered)
        assert (server.account_by_token(token) is None) is offered  # the token no longer opens their data
    finally:
        server.stop()


def _sync_in_a_process(database_url: str, key: bytes, settings: dict, user_id: int, start, reports) -> None:
    """Another process (the bot and a worker): its own Store, Vault and Hub on the same database."""
    store = Store(database_url)
    user = store.for_user(user_id)
    hub = Hub(Settings(**settings), Vault([key]))
    start.wait()
    report = asyncio.run(_sync(user, hub))
    reports.put((report.reconnect, [name for name, _ in report.failed]))


def test_two_processes_refreshing_one_single_use_token_spend_it_once(tmp_path, vault, oura):
    """On SQLite, where SELECT … FOR UPDATE locks nothing: two processes find the token expired at once; the
    second waits for the first's refresh and uses its token, instead of spending the old one again (which
    the vendor would refuse, marking the grant revoked)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = Store(url)
    store.migrate()
    key = Fernet.generate_key()
    user = _user(store, "Europe/Berlin")
    account = oura.add_account(_nights(3))
    _connect(user, Vault([key]), oura, account)
    oura.expire_access(account)
    oura.refresh_delay_s = 1.0  # both read the stored token while the first refresh is under way
    settings = {"data_dir": str(tmp_path), "public_url": "https://coach.example.org",
                "vendor_origins": {"oura": oura.url}, "oura_client_id": oura.api.client[0],
                "oura_client_secret": oura.api.client[1]}
    context = multiprocessing.get_context("spawn")
    start, reports = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_sync_in_a_process, args=(url, key, settings, user.user_id, start, reports))
                 for _ in range(2)]
    for process in processes:
        process.start()
    results = [reports.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    assert results == [([], []), ([], [])]  # nobody told to reconnect, nothing failed
    assert oura.refresh_grants == 1 and oura.refused_refreshes == 0
    assert user.revoked_vendors() == set()
    assert Vault([key]).decrypt(user.credential("oura")[0])["token"]["refresh_token"] == account.refresh_token


def test_twenty_concurrent_syncs_of_one_user_refresh_exactly_once(tmp_path, store, vault, oura):
    user = _user(store, "Europe/Berlin")
    account = oura.add_account(_nights(3))
    _connect(user, vault, oura, account)
    oura.expire_access(account)
    hub = Hub(_settings(tmp_path, {"oura": oura}), vault)

    async def twenty():
        try:
            return await asyncio.gather(*(sync_all(store.for_user(user.user_id), hub, now=NOW.replace(tzinfo=user.profile().tz))
                                          for _ in range(20)))
        finally:
            await hub.aclose()

    reports = _run(twenty())
    assert all(r.failed == [] and r.reconnect == [] for r in reports)
    assert oura.refresh_grants == 1 and oura.refused_refreshes == 0
    assert vault.decrypt(user.credential("oura")[0])["token"]["refresh_token"] == account.refresh_token
    assert len(user.nights(kind=None)) == 3


def test_429_retry_after_is_honoured(tmp_path, store, vault, oura):
    user = _user(store, "UTC")
    _connect(user, vault, oura, oura.add_account(_nights(4)))
    oura.fail_next(1, 429, {"message": "Too Many Requests"}, {"Retry-After": "1"})

    report = _run(_sync(user, Hub(_settings(tmp_path, {"oura": oura}), vault)))
    assert [r.nights_changed for r in report.results] == [4]
    data = [t for t, path in oura.request_times if path.startswith("/v2/")]
    assert data[1] - data[0] >= 1.0  # the retry waited the second the vendor asked for


def test_5xx_and_timeouts_are_retried_and_counted_for_the_operator(tmp_path, store, vault, oura):
    def count(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    user = _user(store, "UTC")
    _connect(user, vault, oura, oura.add_account(_nights(4)))
    before = count("sleepcot_vendor_errors_total", vendor="oura", error="http_5xx")
    synced = count("sleepcot_syncs_total", vendor="oura", outcome="ok")
    oura.fail_next(2, 503, {"message": "unavailable"})
    report = _run(_sync(user, Hub(_settings(tmp_path, {"oura": oura}), vault)))
    assert report.failed == [] and [r.nights_changed for r in report.results] == [4]
    assert count("sleepcot_vendor_errors_total", vendor="oura", error="http_5xx") == before + 2  # /metrics
    assert count("sleepcot_syncs_total", vendor="oura", outcome="ok") == synced + 1


def test_a_vendor_that_keeps_failing_loses_no_data_and_is_retried_next_time(tmp_path, store, vault, oura):
    user = _user(store, "UTC")
    _connect(user, vault, oura, oura.add_account(_nights(4)))
    settings = _settings(tmp_path, {"oura": oura})
    oura.fail_next(10, 500)
    report = _run(_sync(user, Hub(settings, vault)))
    assert report.results == [] and [name for name, _ in report.failed] == ["oura"]
    assert user.vendors() == ["oura"] and user.revoked_vendors() == set()  # still connected
    oura.faults.clear()
    assert [r.nights_changed for r in _run(_sync(user, Hub(settings, vault))).results] == [4]


def test_a_malformed_record_is_rejected_with_a_log_line_and_the_rest_stored(tmp_path, store, vault, oura, caplog):
    user = _user(store, "UTC")
    account = oura.add_account(_nights(6))
    account.corrupt = {TODAY - timedelta(days=2)}
    _connect(user, vault, oura, account)
    with caplog.at_level(logging.WARNING):
        report = _run(_sync(user, Hub(_settings(tmp_path, {"oura": oura}), vault)))
    assert [(r.nights_changed, r.rejected) for r in report.results] == [(5, 1)]
    assert TODAY - timedelta(days=2) not in {n.local_date for n in user.nights(kind=None)}
    lines = [r.getMessage() for r in caplog.records if "rejected record" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("oura: rejected record")
    assert f"{account.account_id}-{TODAY - timedelta(days=2)}" in lines[0]  # the vendor's id for it


def test_a_revoked_grant_asks_the_user_to_reconnect_once(tmp_path, store, vault, oura):
    user = _user(store, "UTC")
    account = oura.add_account(_nights(2))
    _connect(user, vault, oura, account)
    oura.revoke(account)
    settings = _settings(tmp_path, {"oura": oura})
    assert _run(_sync(user, Hub(settings, vault))).reconnect == ["oura"]
    assert user.revoked_vendors() == {"oura"}
    assert _run(_sync(user, Hub(settings, vault))).reconnect == []  # told once; skipped until reconnected


def test_withings_errors_inside_a_200_body_are_honoured(tmp_path, store, vault, withings):
    user = _user(store, "Europe/Paris")
    account = withings.add_account(_nights(5))
    _connect(user, vault, withings, account)
    withings.expire_access(account)  # answered as {"status": 401} with HTTP 200
    withings.fail_next(1, 200, {"status": 601, "body": {}, "error": "Too Many Requests"})
    settings = _settings(tmp_path, {"withings": withings})
    hub = Hub(settings, vault, time_scale=60)  # 601 carries no Retry-After: wait out the minute, compressed

    report = _run(_sync(user, hub))
    assert report.failed == [] and [r.nights_changed for r in report.results] == [5]
    assert withings.refresh_grants == 1
    # every refresh returns a new refresh token, which replaced the old one
    assert vault.decrypt(user.credential("withings")[0])["token"]["refresh_token"] == account.refresh_token
    # the recorded summary: 18,660 s asleep; hr_min 70 bpm
    nights = user.nights(kind=None)
    assert {(n.total_sleep_s, n.hr_lowest_bpm) for n in nights} == {(18660, 70)}
    # the newest nights with their stage timeline (action=get): it spans the night, and its stages add up to
    # the summary; older ones (a backfill) keep to the summary, sparing the app-wide request budget
    staged_days = sorted(night.local_date for night in nights if night.segments is not None)
    assert staged_days == sorted(_nights(withings_adapter.STAGE_NIGHTS))
    for night in (night for night in nights if night.segments is not None):
        assert night.segments[0].start == night.start and night.segments[-1].end == night.end
        staged = {stage: sum(s.seconds for s in night.segments if s.stage is stage) for stage in Stage}
        assert (staged[Stage.LIGHT], staged[Stage.DEEP], staged[Stage.REM]) == (night.light_s, night.deep_s, night.rem_s)


def test_withings_nights_whose_stages_are_malformed_keep_their_summary(tmp_path, store, vault, withings, caplog):
    user = _user(store, "Europe/Paris")
    account = withings.add_account(_nights(3))
    account.corrupt_stages.add(TODAY)
    _connect(user, vault, withings, account)
    settings = _settings(tmp_path, {"withings": withings})

    report = _run(_sync(user, Hub(settings, vault)))
    assert report.failed == [] and [r.nights_changed for r in report.results] == [3]
    assert {night.local_date: night.segments is None for night in user.nights(kind=None)} == {
        TODAY: True, TODAY - timedelta(days=1): False, TODAY - timedelta(days=2): False}
    assert "stages of night" in caplog.text


def _consent(url: str) -> tuple[str, str]:
    """What the user's browser does at the vendor: open the link, approve, follow the redirect back."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["code"][0], query["state"][0]


@pytest.mark.parametrize("api", [OuraAPI, WhoopAPI, WithingsAPI, PolarAPI, GoogleHealthAPI], ids=lambda a: a.name)
def test_the_oauth_connect_flow_stores_an_encrypted_token_that_fetches(api, tmp_path, store, vault):
    server = VendorServer(api()).start()
    try:
        if isinstance(server.api, PolarAPI):
            server.api.today = TODAY
        account = server.pending_account = server.add_account(_nights(3), tokens=False)
        user = _user(store, "Europe/Berlin")
        hub = Hub(_settings(tmp_path, {api.name: server}), vault)
        code, state = _consent(hub.authorization_url(store, api.name, user.user_id))

        async def connect_then_sync():
            try:
                taken, verifier = hub.take_state(store, api.name, state)
                assert taken == user.user_id
                with pytest.raises(ConnectError, match="used already"):  # a link works once
                    hub.take_state(store, api.name, state)
                await hub.complete(store, api.name, taken, verifier, code)
                return await sync_all(user, hub, now=NOW.replace(tzinfo=user.profile().tz))
            finally:
                await hub.aclose()

        report = _run(connect_then_sync())
        assert report.failed == [] and len(user.nights(kind=None)) == 3
        secret = vault.decrypt(user.credential(api.name)[0])
        assert secret["token"]["access_token"] == account.access_token
        if api is PolarAPI:  # AccessLink needs the user registered before it serves data
            assert account.registered and secret["polar_user"] == int(account.account_id[1:])
    finally:
        server.stop()
