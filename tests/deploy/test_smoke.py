"""The deployment's smoke test: what compose runs, without containers. From an empty PostgreSQL database,
`sleepcot run` and one `sleepcot run --worker` start as separate processes against a loopback Bot API and a
loopback Ollama; the bot applies the migrations itself, both turn ready on /readyz, Ann onboards with
/start, and her briefing comes at her minute, once, from whichever of the two schedulers claimed it. The
database is backed up with
`sleepcot backup` while the bot runs and restored with `sleepcot restore` into a fresh database, where every
row compares equal; a wrong or missing key stops a start with its clear error; the bot reaches PostgreSQL
through a TCP proxy, so the test can take the database away and bring it back and watch /readyz say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from sleepcot.store import Store
from tests.chat.people import connect_simulator, onboard
from tests.conftest import OLLAMA_MODEL, _postgres_server_url
from tests.loopback import closed_port
from tests.loopback.ollama_server import OllamaLoopback
from tests.loopback.tcp_proxy import TCPProxy
from tests.loopback.telegram_server import BotAPIServer

pytestmark = [pytest.mark.postgres, pytest.mark.llm]
ANN = 4242
START_S = 90


@pytest.fixture
def empty_database() -> Iterator:
    """A factory of fresh, empty PostgreSQL databases on the test server, dropped afterwards."""
    server = make_url(_postgres_server_url())
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"smoke_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Process:
    """A `sleepcot` command in a process of its own, its stderr kept in a file."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path, name: str) -> None:
        self.log = folder / f"{name}.log"
        self.port = int(env.get("SLEEPCOT_HTTP_PORT", "0"))
        with self.log.open("wb") as sink:
            self.popen = subprocess.Popen([sys.executable, "-m", "sleepcot.cli", *args], env=env, cwd=folder,
                                          stdout=subprocess.DEVNULL, stderr=sink)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def readyz(self) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=10)

    def wait_ready(self) -> dict:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"it stopped:\n{self.output()[-3000:]}"
            try:
                response = self.readyz()
                if response.status_code == 200:
                    return response.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"not ready within {START_S} s:\n{self.output()[-3000:]}")

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.terminate()  # SIGTERM: what `docker compose stop` and systemd send
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.popen.wait()


def environment(database_url: str, folder: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEPCOT_")}
    env.update({"SLEEPCOT_DATABASE_URL": database_url, "SLEEPCOT_DATA_DIR": str(folder / "data"),
                "SLEEPCOT_HTTP_PORT": str(closed_port()), "SLEEPCOT_LOG_FORMAT": "json",
                "SLEEPCOT_CACHE_DIR": os.environ["SLEEPCOT_CACHE_DIR"]})  # the session's (conftest: model_cache)
    env.update({f"SLEEPCOT_{k.upper()}": v for k, v in settings.items()})
    return env


def rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what two databases must agree on."""
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        out = {name: sorted(connection.execute(select(table)).all(), key=repr)
               for name, table in metadata.tables.items()}
    engine.dispose()
    return out


def sent_briefings(process: Process) -> float:
    """How many briefings the process says it sent (/metrics)."""
    metrics = httpx.get(f"http://127.0.0.1:{process.port}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith('sleepcot_messages_sent_total{kind="briefing"}'))


def test_from_an_empty_database_to_a_delivered_briefing_then_backup_restore_keys_and_readiness(
        tmp_path, empty_database, embedded_llm):
    database = empty_database()
    address = make_url(database)
    key = Fernet.generate_key().decode()
    with BotAPIServer() as telegram, OllamaLoopback(embedded_llm, [OLLAMA_MODEL]) as ollama, \
            TCPProxy((address.host, address.port or 5432)) as proxy:
        common = dict(telegram_token=telegram.token, telegram_api_url=telegram.url, secret_keys=key,
                      ollama_url=ollama.url, ollama_model=OLLAMA_MODEL, telegram_allowed_users=str(ANN),
                      scheduler_tick_s="1", telegram_stream_interval_s="0", llm_max_tokens="160")
        through_proxy = address.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        bot = Process(["run"], environment(through_proxy, tmp_path, **common), tmp_path, "bot")
        worker = Process(["run", "--worker"], environment(database, tmp_path, **common), tmp_path, "worker")
        try:
            ready = bot.wait_ready()
            assert ready["checks"]["database"]["ok"] and "schema at" in ready["checks"]["database"]["detail"]
            assert ready["checks"]["llm"]["ok"] and ready["checks"]["telegram"]["ok"]
            assert ready["checks"]["scheduler"]["ok"] and worker.wait_ready()["checks"]["scheduler"]["ok"]
            store = Store(database)
            current, head = store.revisions()
            assert current == head  # the bot's own start migrated the empty database

            # /readyz says when the database goes away, and when it is back.
            proxy.cut()
            gone = bot.readyz()
            assert gone.status_code == 503 and not gone.json()["checks"]["database"]["ok"]
            assert gone.json()["checks"]["telegram"]["ok"]  # the rest still says how it is
            assert httpx.get(f"http://127.0.0.1:{bot.port}/healthz").text == "ok"  # alive all the same
            proxy.restore()
            assert bot.wait_ready()["checks"]["database"]["ok"]

            # Ann joins, connects a wearable and moves her briefing to the coming minute.
            ann = telegram.user(ANN, "Ann")
            onboard(ann)
            connect_simulator(ann, "healthy")
            user = store.for_user(store.user_by_telegram_id(ANN))
            profile = user.profile()
            now = datetime.now(profile.tz)
            if now.second > 40:  # too close to the next minute to sync and write by then: the one after
                time.sleep(61 - now.second)
                now = datetime.now(profile.tz)
            due = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
            user.save_profile(profile.model_copy(update={"briefing_time": due.time().replace(tzinfo=None),
                                                         "weekly_day": None}))
            seen = len(ann.messages())

            # While her minute comes: a wrong key, or none while her credential is stored, stops a start.
            for settings, says in ((dict(common, secret_keys=Fernet.generate_key().decode()), "do not open"),
                                   ({k: v for k, v in common.items() if k != "secret_keys"}, "holds a key")):
                start = subprocess.run([sys.executable, "-m", "sleepcot.cli", "run"], cwd=tmp_path,
                                       env=environment(database, tmp_path / "other", **settings),
                                       capture_output=True, text=True, timeout=120)
                assert start.returncode == 2 and says in start.stderr, start.stderr
                assert key not in start.stderr

            briefing = ann.wait_until(lambda messages: len(messages) > seen, timeout=150)[seen]
            sent_at = datetime.fromtimestamp(briefing.result["date"], profile.tz)  # as the Bot API stamped it
            assert due <= sent_at < due + timedelta(seconds=20)
            assert briefing.text.startswith(f"Good morning, Ann — {due:%A %d %B}")
            assert sent_briefings(bot) + sent_briefings(worker) == 1
            assert worker.stop() == 0  # SIGTERM stops it cleanly

            # Backed up while the bot runs, restored into a fresh database: every row equal.
            archive = tmp_path / "sleepcot.tar"
            backup = subprocess.run([sys.executable, "-m", "sleepcot.cli", "backup", str(archive)], cwd=tmp_path,
                                    env=environment(database, tmp_path, secret_keys=key), capture_output=True,
                                    text=True, timeout=120)
            assert backup.returncode == 0, backup.stderr
            copy = empty_database()
            restore = subprocess.run([sys.executable, "-m", "sleepcot.cli", "restore", str(archive)],
                                     cwd=tmp_path, env=environment(copy, tmp_path / "restored", secret_keys=key),
                                     capture_output=True, text=True, timeout=120)
            assert restore.returncode == 0, restore.stderr
            before, after = rows(database), rows(copy)
            assert before == after
            assert before["users"] and before["nights"] and before["credentials"] and before["briefings"]
            assert len(ann.messages()) == seen + 1  # and no second copy since
        finally:
            stopped = bot.stop(), worker.stop()
        assert stopped == (0, 0)
        logged = bot.output() + worker.output()
        assert telegram.token not in logged and key not in logged and briefing.text[:60] not in logged
        for line in worker.output().splitlines():  # SLEEPCOT_LOG_FORMAT=json: one object per event
            assert {"time", "level", "logger", "message"} <= json.loads(line).keys()

