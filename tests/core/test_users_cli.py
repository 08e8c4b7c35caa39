"""`sleepcot users add|list|remove` and `sleepcot ask --telegram-id`: the operator manages bot users from the
command line and asks as one of them, on the database of the settings (SQLite here), with the deterministic
coach (no model is loaded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from sleepcot.cli import app
from sleepcot.crypto import Vault
from sleepcot.domain import Language
from sleepcot.store import Store
from tests.database import consented_at, rows_of_user
from tests.loopback.vendor_apis import OuraAPI
from tests.loopback.vendor_server import VendorServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables"
OURA = FIXTURES / "oura" / "sleep_v2_doc_example_via_hedgertronic.json"  # one main night, 2022-07-12
WITHINGS = FIXTURES / "withings" / "sleep_v2_getsummary.json"  # eight nights, the latest 2021-04-25
runner = CliRunner()


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    """The database of the settings, as the commands see it."""
    url = f"sqlite:///{tmp_path / 'sleepcot.db'}"
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLEEPCOT_DATABASE_URL", url)
    monkeypatch.setenv("SLEEPCOT_LLM_BACKEND", "none")
    db = Store(url)
    db.migrate()
    yield db
    db.close()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def add(telegram_id: int, *args: str):
    return invoke("users", "add", "--telegram-id", str(telegram_id), *args)


def listed() -> list[dict]:
    result = invoke("users", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["users"]


def test_an_added_user_is_onboarded_and_listed(store):
    result = add(4242, "--timezone", "Europe/Berlin", "--language", "zh", "--name", "Ann")
    assert result.exit_code == 0, result.output
    user_id = int(result.stdout.strip())
    assert store.user_by_telegram_id(4242) == user_id
    user = store.for_user(user_id)
    profile = user.profile()
    assert (profile.timezone, profile.language, profile.name) == ("Europe/Berlin", Language.ZH, "Ann")
    assert consented_at(store.engine, user_id) is not None and user.pending() is None  # what the bot calls onboarded
    assert store.user_counts() == (1, 1)

    assert listed() == [{"user_id": user_id, "telegram_id": 4242, "name": "Ann", "timezone": "Europe/Berlin",
                         "language": "zh", "nights": 0, "latest_night": None}]
    table = invoke("users", "list")
    assert table.exit_code == 0, table.output
    assert "4242" in table.stdout and "Europe/Berlin" in table.stdout and "1 user(s)" in table.stdout


def test_add_refuses_a_used_or_blocked_id_and_an_unknown_timezone_or_language(store):
    assert add(4242, "--timezone", "UTC").exit_code == 0
    used = add(4242, "--timezone", "Asia/Shanghai")
    assert used.exit_code == 2 and "already used" in used.stderr
    zone = add(5151, "--timezone", "Mars/Olympus")
    assert zone.exit_code == 2 and "Unknown timezone 'Mars/Olympus'" in zone.stderr
    language = add(5151, "--timezone", "UTC", "--language", "fr")
    assert language.exit_code == 2 and "Unknown language 'fr'" in language.stderr
    store.block(6161)
    blocked = add(6161, "--timezone", "UTC")
    assert blocked.exit_code == 2 and "6161 is blocked" in blocked.stderr
    assert [user["telegram_id"] for user in listed()] == [4242]


def test_imported_nights_are_counted_and_remove_deletes_the_user_and_their_nights(store):
    assert add(4242, "--timezone", "Europe/Paris").exit_code == 0
    assert add(5151, "--timezone", "UTC").exit_code == 0
    for vendor, fixture in (("oura", OURA), ("withings", WITHINGS)):
        imported = invoke("import", "--vendor", vendor, str(fixture), "--telegram-id", "4242")
        assert imported.exit_code == 0, imported.output
    ann, ben = listed()
    assert (ann["telegram_id"], ann["nights"], ann["latest_night"]) == (4242, 9, "2022-07-12")
    assert (ben["telegram_id"], ben["nights"], ben["latest_night"]) == (5151, 0, None)

    user = store.for_user(ann["user_id"])
    assert len(user.nights()) == 9
    removed = invoke("users", "remove", "--telegram-id", "4242")
    assert removed.exit_code == 0, removed.output
    assert "their data is deleted" in removed.stdout
    assert store.user_by_telegram_id(4242) is None and user.nights(kind=None) == []
    assert set(rows_of_user(store.engine, user.user_id).values()) == {0}  # every row of theirs, in every table
    assert [user["telegram_id"] for user in listed()] == [5151]

    again = invoke("users", "remove", "--telegram-id", "4242")
    assert again.exit_code == 2 and "No bot user with Telegram id 4242" in again.stderr


def test_remove_withdraws_our_access_at_a_connected_vendor_as_delete_does(store, monkeypatch):
    key = Fernet.generate_key()
    server = VendorServer(OuraAPI()).start()
    try:
        client_id, client_secret = server.api.client
        for name, value in {"SECRET_KEYS": key.decode(), "PUBLIC_URL": "https://coach.example.org",
                            "OURA_CLIENT_ID": client_id, "OURA_CLIENT_SECRET": client_secret,
                            "VENDOR_ORIGINS": json.dumps({"oura": server.url})}.items():
            monkeypatch.setenv(f"SLEEPCOT_{name}", value)
        assert add(4242, "--timezone", "UTC").exit_code == 0
        user = store.for_user(store.user_by_telegram_id(4242))
        account = server.add_account([])
        user.save_credential("oura", *Vault([key]).encrypt({"token": server.token_for(account)}))
        token = account.access_token

        removed = invoke("users", "remove", "--telegram-id", "4242")
        assert removed.exit_code == 0, removed.output
        assert "Withdrew our access at: oura" in removed.stdout
        assert server.revocations == 1 and server.account_by_token(token) is None
        assert store.user_by_telegram_id(4242) is None and user.vendors() == []
    finally:
        server.stop()


def test_ask_as_an_unknown_bot_user_fails_clearly(store):
    result = invoke("ask", "--telegram-id", "999", "how did I sleep last night?")
    assert result.exit_code == 2 and "No bot user with Telegram id 999" in result.stderr
    assert store.user_ids() == []


def test_ask_as_a_bot_user_answers_from_their_nights(store):
    """Needs `answer(..., source=)` (the whole-history change to sleepcot.coach.answering)."""
    assert add(4242, "--timezone", "Europe/Paris", "--name", "Ann").exit_code == 0
    assert invoke("import", "--vendor", "oura", str(OURA), "--telegram-id", "4242").exit_code == 0
    result = invoke("ask", "--telegram-id", "4242", "--json", "how was my deep sleep last night?")
    assert result.exit_code == 0, result.output
    reply = json.loads(result.stdout)
    assert reply["backend"] == "deterministic" and reply["text"]
    user = store.for_user(store.user_by_telegram_id(4242))
    assert user.recent_turns() == [("user", "how was my deep sleep last night?"), ("assistant", reply["text"])]
