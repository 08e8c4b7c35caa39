"""Health data at rest (issue 17, item 15): the SQLite database and its WAL are its owner's alone, like the
key; a deleted user's rows are overwritten in the file, not left in its free space; and a user's export never
holds the model's words that the guard refused to show them."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

from sqlalchemy import text

from distill.reports import simulated_report
from integrations.simulator import Persona
from sleepcot.coach.briefing import write_briefing
from sleepcot.domain import Profile
from sleepcot.store import Store

MARKER = "zebra-marmalade-4729"  # a goal only this user ever typed


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask, under which files are made world-readable
    try:
        database = tmp_path / "data" / "sleepcot.db"
        store = Store(f"sqlite:///{database}")
        store.migrate()
        store.create_user(Profile(goals=[MARKER]), telegram_id=1, consented=True)
        wal = database.with_name("sleepcot.db-wal")
        assert wal.exists()  # written while the engine is open
        assert _mode(database) == 0o600 and _mode(wal) == 0o600
        store.engine.dispose()
        database.chmod(0o644)  # made by an older version
        Store(f"sqlite:///{database}").migrate()
        assert _mode(database) == 0o600
    finally:
        os.umask(old)


def test_a_deleted_users_words_are_gone_from_the_database_file(tmp_path):
    database = tmp_path / "sleepcot.db"
    store = Store(f"sqlite:///{database}")
    store.migrate()
    for telegram_id in range(1, 6):
        store.create_user(Profile(goals=[f"sleep more, number {telegram_id}"]), telegram_id=telegram_id, consented=True)
    leaving = store.create_user(Profile(goals=[MARKER]), telegram_id=9, consented=True)

    def checkpoint() -> bytes:
        with store.engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return database.read_bytes()

    assert MARKER.encode() in checkpoint()
    store.for_user(leaving).delete()
    # not merely unlinked: overwritten (Debian's SQLite overwrites by default; the engine asks for it on every
    # connection, so a build that does not, as upstream SQLite by default, behaves the same)
    assert MARKER.encode() not in checkpoint()
    assert b"sleep more, number 3" in database.read_bytes()  # the others' rows are untouched


class Diagnosing:
    """A model whose every reply the guard refuses."""

    name = "diagnosing"
    supports_prefill = False

    def stream(self, messages, *, max_tokens, temperature, prefix="", stop=None):
        yield f"You have insomnia, {MARKER}."


def test_an_export_leaves_out_the_words_the_guard_refused(store):
    analysis = simulated_report(Persona.HEALTHY, 3).analysis
    user = store.for_user(store.create_user(Profile(), telegram_id=1, consented=True))
    reply = write_briefing(analysis, Diagnosing())
    assert not reply.by_model and MARKER in json.dumps(reply.as_dict())  # kept for the operator's records
    user.save_briefing(date(2026, 3, 18), reply.text, reply.as_dict())
    exported = user.export()
    assert MARKER not in json.dumps(exported) and "insomnia" not in json.dumps(exported)
    (briefing,) = exported["briefings"]
    assert briefing["text"] == reply.text  # what the user was shown
    assert briefing["meta"]["by_model"] is False and briefing["meta"]["refused_attempts"] == 2
