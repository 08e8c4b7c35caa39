"""`sleepcot backup` / `sleepcot restore` and the scheduled backups, on SQLite and on PostgreSQL: what an
operator relies on — every row comes back into a fresh database, a backup taken while the bot writes is
consistent, the key travels only when asked, a restore refuses what would lose data or what it cannot read,
scheduled backups keep exactly as many files as asked, and missing client tools are explained."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.cli import app
from sleepcot.config import Settings
from sleepcot.crypto import Vault, key_id, load_or_create_key
from sleepcot.domain import Profile, Tag, TagKind
from sleepcot.schedule import DayPlan
from sleepcot.store import Store
from sleepcot.store.backup import BackupError, Refused, backup, read_manifest, restore, scheduled_backup
from sleepcot.store.database import MIGRATIONS
from sleepcot.store.engine import connect

TODAY = date(2026, 11, 30)
runner = CliRunner()


def head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.fixture(autouse=True)
def environment(tmp_path, monkeypatch) -> None:
    """Settings read only what a test sets: a data folder of its own, no key, no database URL."""
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path / "data"))
    for name in ("SECRET_KEYS", "DATABASE_URL", "BACKUP_DIR"):
        monkeypatch.delenv(f"SLEEPCOT_{name}", raising=False)


@pytest.fixture
def fresh_url(database_url, tmp_path) -> Iterator[str]:
    """Another, empty database of the same kind: a SQLite file, or a new PostgreSQL database (same schema name)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'sleepcot.db'}"
        return
    server = make_url(database_url)
    name = f"sleepcot_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def use(monkeypatch, url: str, data_dir: Path, key: bytes | None = None) -> None:
    """What the CLI's settings are: this database, this data folder, and SLEEPCOT_SECRET_KEYS when given."""
    monkeypatch.setenv("SLEEPCOT_DATABASE_URL", url)
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(data_dir))
    if key is None:
        monkeypatch.delenv("SLEEPCOT_SECRET_KEYS", raising=False)
    else:
        monkeypatch.setenv("SLEEPCOT_SECRET_KEYS", key.decode())


def invoke(*args: str | Path):
    return runner.invoke(app, [str(arg) for arg in args])


def seed(url: str, key: bytes) -> dict[int, int]:
    """Users with simulated nights, tags, turns, a briefing, an encrypted credential and a planned message;
    an invite, a /connect link, a blocked account, the send budget; one user deleted. Returns {telegram id:
    user id} of the users kept."""
    store = Store(url)
    store.migrate()
    vault, users = Vault([key]), {}
    for n, persona in enumerate([Persona.HEALTHY, Persona.EVENING_ALCOHOL, Persona.SHIFT_WORKER, Persona.APNEA]):
        user = store.for_user(store.create_user(Profile(timezone="Europe/Berlin", name=f"P{n}"), 1000 + n,
                                                consented=True))
        adapter = SimulatorAdapter(persona, n, TODAY, tz="Europe/Berlin")
        user.upsert_nights(adapter.fetch_nights(TODAY - timedelta(days=20), TODAY))
        for tag in [*adapter.fetch_tags(TODAY - timedelta(days=20), TODAY), Tag(local_date=TODAY,
                    kind=TagKind.STRESS, note="deadline ☕")]:
            user.add_tag(tag)
        user.add_turn("user", "how did I sleep?")
        user.add_turn("assistant", f"You slept well, P{n}.")
        user.save_briefing(TODAY, f"Briefing {n}", {"facts": [n, 1.5], "by_model": False})
        user.save_credential("oura", *vault.encrypt({"access_token": f"token-{n}", "refresh_token": f"r-{n}"}))
        store.new_oauth_state(user.user_id, "whoop", timedelta(minutes=30))
        users[1000 + n] = user.user_id
    now = datetime.now(UTC)
    store.outbox("test").plan({uid: DayPlan(TODAY, now, now + timedelta(hours=1), weekly=True)
                               for uid in users.values()}, now)
    store.create_invite(timedelta(hours=72))
    store.pacer(28).slots()
    store.block(1003)  # removes that user: their id must never be given again
    del users[1003]
    store.block(777)
    store.close()
    return users


def all_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (the migrations' own too), sorted, as reflection reads them."""
    engine = connect(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                    for name, table in metadata.tables.items()}
    finally:
        engine.dispose()


def test_every_row_comes_back_in_a_fresh_database(database_url, fresh_url, tmp_path):
    users = seed(database_url, Fernet.generate_key())
    archive = tmp_path / "backups" / "sleepcot.tar"

    manifest = backup(database_url, archive)
    assert archive.stat().st_mode & 0o777 == 0o600
    assert (manifest.revision, manifest.holds_key) == (head(), False)
    assert manifest.dialect == make_url(database_url).get_backend_name()
    assert [p.name for p in archive.parent.iterdir()] == ["sleepcot.tar"]  # no temporary file left

    restored = restore(fresh_url, archive)
    before, after = all_rows(database_url), all_rows(fresh_url)
    assert after == before
    assert {"nights", "tags", "credentials", "conversation_turns", "outbox", "invites", "oauth_states",
            "blocked", "send_pacing", "briefings", "profiles", "users"} <= {t for t, rows in after.items() if rows}
    assert restored.rows == {name: len(rows) for name, rows in before.items() if name != "alembic_version"}
    assert (restored.manifest.revision, restored.revision) == (head(), head())

    store = Store(fresh_url)  # the restored database works, and ids go on where they left off
    try:
        assert store.user_by_telegram_id(1001) == users[1001] and store.is_blocked(777)
        assert len(store.for_user(users[1000]).nights()) == len(Store(database_url).for_user(users[1000]).nights())
        assert store.create_user(Profile()) > max(row[0] for row in before["users"]) + 1  # the deleted id too
    finally:
        store.close()


def test_a_sqlite_backup_taken_while_nights_are_written_is_consistent(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'sleepcot.db'}"
    store = Store(url)
    store.migrate()
    user = store.for_user(store.create_user(Profile(timezone="UTC"), 1))
    first = TODAY - timedelta(days=1500)
    user.upsert_nights(SimulatorAdapter(Persona.HEALTHY, 1, TODAY, tz="UTC").fetch_nights(first, TODAY))
    stop, written, during = threading.Event(), [], []

    def bot() -> None:  # one night after another, as syncs store them
        day = first - timedelta(days=1)
        while not stop.is_set():
            written.append(user.upsert_nights(SimulatorAdapter(Persona.INSOMNIA, 2, day, tz="UTC").fetch_nights(day, day)))
            day -= timedelta(days=1)

    writer = threading.Thread(target=bot)
    writer.start()
    archives = []
    try:
        for n in range(6):
            seen = len(written)
            archives.append(tmp_path / f"b{n}.tar")
            backup(url, archives[-1])
            during.append(len(written) - seen)
            while len(written) == seen and writer.is_alive():
                stop.wait(0.001)
    finally:
        stop.set()
        writer.join()
    store.close()
    assert sum(during) > 0  # the bot was not held up by the backups

    counts = []
    for archive in archives:
        copy = tmp_path / f"{archive.stem}.sqlite"
        with tarfile.open(archive) as tar:
            copy.write_bytes(tar.extractfile("sleepcot.sqlite").read())
        with sqlite3.connect(copy) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head(),)]
            counts.append(db.execute("SELECT count(*) FROM nights").fetchone()[0])
        assert not copy.with_name(copy.name + "-wal").exists()  # one self-contained file
    assert counts == sorted(counts) and counts[0] < counts[-1]  # each a moment of the writing


def test_a_backup_with_the_key_brings_it_to_a_fresh_data_folder(database_url, fresh_url, tmp_path, monkeypatch):
    key = load_or_create_key(tmp_path / "source")
    users = seed(database_url, key)
    archive = tmp_path / "with-key.tar"
    use(monkeypatch, database_url, tmp_path / "source")
    made = invoke("backup", archive, "--include-key")
    assert made.exit_code == 0, made.output
    assert "Backed up the" in made.stdout and "It holds the key" in made.stderr
    manifest = read_manifest(archive)
    assert manifest.holds_key and manifest.key_ids == [key_id(key)]
    with tarfile.open(archive) as tar:
        assert key not in tar.extractfile("manifest.json").read()
        assert tar.extractfile("secret.key").read().strip() == key

    target = tmp_path / "target"
    use(monkeypatch, fresh_url, target)
    restored = invoke("restore", archive)
    assert restored.exit_code == 0, restored.output
    assert f"The backup held the key: written to {target / 'secret.key'}" in restored.stdout
    assert f"revision {head()} -> {head()}" in restored.stdout and "token-" not in restored.output
    assert (target / "secret.key").stat().st_mode & 0o777 == 0o600
    store = Store(fresh_url)
    try:
        ciphertext, _ = store.for_user(users[1002]).credential("oura")
        assert Vault.from_settings(Settings()).decrypt(ciphertext)["access_token"] == "token-2"
    finally:
        store.close()

    other = Fernet.generate_key()  # a different key configured: said, and nothing overwritten
    use(monkeypatch, fresh_url, target, key=other)
    again = invoke("restore", archive, "--force")
    assert again.exit_code == 0, again.output
    assert "A different key is configured" in again.stderr and "cannot be read until that key" in again.stderr
    assert (target / "secret.key").read_bytes().strip() == key


def test_a_backup_without_the_key_says_the_tokens_need_it(database_url, fresh_url, tmp_path, monkeypatch):
    key = load_or_create_key(tmp_path / "source")
    seed(database_url, key)
    archive = tmp_path / "no-key.tar"
    use(monkeypatch, database_url, tmp_path / "source")
    made = invoke("backup", archive)
    assert made.exit_code == 0, made.output
    assert "does not hold the key" in made.stderr and "cannot be read" in made.stderr
    assert key_id(key) in made.stderr
    manifest = read_manifest(archive)
    assert not manifest.holds_key and manifest.key_ids == [key_id(key)]
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["manifest.json", "sleepcot.pgdump" if manifest.dialect == "postgresql"
                                  else "sleepcot.sqlite"]

    target = tmp_path / "target"
    use(monkeypatch, fresh_url, target)
    restored = invoke("restore", archive)
    assert restored.exit_code == 0, restored.output
    assert "did not hold the key" in restored.stdout
    assert f"made with key(s) {key_id(key)} cannot be read" in restored.stderr
    assert not (target / "secret.key").exists()


def test_restore_refuses_a_database_holding_data_unless_forced(database_url, tmp_path, monkeypatch):
    users = seed(database_url, Fernet.generate_key())
    archive = tmp_path / "b.tar"
    backup(database_url, archive)
    before = all_rows(database_url)
    store = Store(database_url)
    store.for_user(users[1000]).add_turn("user", "said after the backup")
    store.close()
    use(monkeypatch, database_url, tmp_path / "data")

    refused = invoke("restore", archive)
    assert refused.exit_code == 2
    assert "already holds SleepCoT data" in refused.stderr and "--force" in refused.stderr
    assert all_rows(database_url) != before  # untouched: the turn made after the backup is still there
    if database_url.startswith("sqlite"):  # the bot still has it open: refused, even with --force
        bot = Store(database_url)
        bot.user_ids()
        in_use = invoke("restore", archive, "--force")
        bot.close()
        assert in_use.exit_code == 2 and "in use: stop the bot" in in_use.stderr
        assert all_rows(database_url) != before

    forced = invoke("restore", archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert "conversation_turns" in forced.stdout and all_rows(database_url) == before


def rewritten(archive: Path, into: Path, **manifest: object) -> Path:
    """A copy of the backup whose manifest says otherwise."""
    with tarfile.open(archive) as source, tarfile.open(into, "w") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **manifest}).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return into


def test_restore_refuses_a_backup_it_cannot_know(database_url, fresh_url, tmp_path, monkeypatch):
    seed(database_url, Fernet.generate_key())
    archive = tmp_path / "b.tar"
    backup(database_url, archive)
    use(monkeypatch, fresh_url, tmp_path / "target")

    future = invoke("restore", rewritten(archive, tmp_path / "future.tar", revision="0099"))
    assert future.exit_code == 2
    assert "revision 0099" in future.stderr and "Upgrade SleepCoT first" in future.stderr
    newer_format = invoke("restore", rewritten(archive, tmp_path / "format.tar", format=99))
    assert newer_format.exit_code == 2 and "upgrade SleepCoT first" in newer_format.stderr
    for junk in (tmp_path / "nothing.tar", tmp_path / "data"):
        assert invoke("restore", junk).exit_code == 2
    (tmp_path / "plain.txt").write_text("not a backup")
    assert "not a SleepCoT backup" in invoke("restore", tmp_path / "plain.txt").stderr
    assert not any(all_rows(fresh_url).values())  # nothing was restored

    with pytest.raises(Refused, match="Upgrade SleepCoT first"):
        restore(fresh_url, tmp_path / "future.tar")


def test_scheduled_backups_keep_exactly_backup_keep_of_their_own(database_url, tmp_path):
    seed(database_url, Fernet.generate_key())
    load_or_create_key(tmp_path / "data")  # a key is there: scheduled backups still never hold it
    folder = tmp_path / "backups"
    folder.mkdir()
    foreign = {"notes.txt": "mine", "sleepcot-before-upgrade.tar": "by hand",
               "sleepcot-20200101T000000Z.tar.gz": "elsewhere", "sleepcot-20200101T000000Z.tar.old": "old"}
    for name, content in foreign.items():
        (folder / name).write_text(content)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, backup_dir=folder, backup_keep=3)
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    moments = [start + timedelta(hours=24 * n, seconds=n) for n in range(6)]

    with ThreadPoolExecutor(max_workers=3) as pool:  # from threads, even at once
        made = list(pool.map(lambda now: scheduled_backup(settings, now), moments))

    assert [p.name for p in made][-1] == "sleepcot-20261206T030005Z.tar"
    newest = sorted(p.name for p in made)[-3:]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*newest, *foreign])
    for name, content in foreign.items():
        assert (folder / name).read_text() == content
    for name in newest:
        assert not read_manifest(folder / name).holds_key and (folder / name).stat().st_mode & 0o777 == 0o600

    with pytest.raises(Refused, match="SLEEPCOT_BACKUP_DIR"):
        scheduled_backup(Settings(data_dir=tmp_path / "data", database_url=database_url), start)


@pytest.mark.postgres
def test_without_the_postgresql_client_tools_the_error_says_what_to_install(postgres_url, tmp_path, monkeypatch):
    seed(postgres_url, Fernet.generate_key())
    archive = tmp_path / "b.tar"
    backup(postgres_url, archive)
    before = all_rows(postgres_url)
    engine = connect(postgres_url)
    with engine.connect() as connection:
        major = int(connection.scalar(text("SHOW server_version_num"))) // 10000
    engine.dispose()
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    use(monkeypatch, postgres_url, tmp_path / "data")

    with pytest.raises(BackupError, match=f"apt-get install postgresql-client-{major}"):
        backup(postgres_url, tmp_path / "again.tar")
    made = invoke("backup", tmp_path / "again.tar")
    assert made.exit_code == 1 and not (tmp_path / "again.tar").exists()
    assert "pg_dump is not installed" in made.stderr and f"postgresql-client-{major}" in made.stderr
    assert "server's major version or newer" in made.stderr

    restored = invoke("restore", archive, "--force")
    assert restored.exit_code == 1 and "pg_restore is not installed" in restored.stderr
    assert all_rows(postgres_url) == before  # checked before anything was dropped


def test_a_backup_from_an_older_version_is_brought_up_to_date(database_url, fresh_url, tmp_path, monkeypatch):
    from alembic import command

    engine = connect(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:  # the database as an older SleepCoT left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        connection.execute(text("INSERT INTO users (id, telegram_id, created_at, onboarding_editing) "
                                "VALUES (7, 4242, '2026-01-02 03:04:05', false)"))
    engine.dispose()
    archive = tmp_path / "old.tar"
    assert backup(database_url, archive).revision == "0005"

    use(monkeypatch, fresh_url, tmp_path / "target")
    restored = invoke("restore", archive)
    assert restored.exit_code == 0, restored.output
    assert f"database revision 0005 -> {head()}" in restored.stdout
    store = Store(fresh_url)
    try:
        assert store.user_by_telegram_id(4242) == 7 and store.create_user(Profile(), 5151) != 7
    finally:
        store.close()
