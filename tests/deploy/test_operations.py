"""What an operator relies on while the bot runs: the encryption key checked before a start (wrong, missing,
not a key, made once by processes starting together), `/readyz` and `/metrics` telling the truth about the
model and the guard, `sleepcot health` and `sleepcot keys` for scripts, and logs one event per line."""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from sleepcot import logs
from sleepcot.cli import app
from sleepcot.coach.generation import guarded
from sleepcot.config import Settings
from sleepcot.crypto import KEY_FILE, KeyCheckError, Vault, check_keys, key_id, load_or_create_key
from sleepcot.domain import Profile
from tests.chat.people import ANN
from tests.conftest import OLLAMA_MODEL


def _credential(store, vault: Vault) -> None:
    user = store.for_user(store.create_user(Profile(name="Ann"), telegram_id=ANN, consented=True))
    user.save_credential("simulator", *vault.encrypt({"persona": "healthy", "seed": 1}))


def test_the_start_check_opens_stored_credentials_or_says_what_to_do(store, tmp_path):
    old = Fernet.generate_key()
    _credential(store, Vault([old]))
    samples = store.credential_samples()
    settings = Settings(data_dir=tmp_path, secret_keys=old.decode())
    assert check_keys(settings, samples) == [key_id(old)]
    rotated = Settings(data_dir=tmp_path, secret_keys=f"{Fernet.generate_key().decode()},{old.decode()}")
    assert check_keys(rotated, samples)[1] == key_id(old)  # the old key still opens them after the new one
    with pytest.raises(KeyCheckError, match=f"do not open the vendor credentials stored with key id\\(s\\) {key_id(old)}"):
        check_keys(Settings(data_dir=tmp_path, secret_keys=Fernet.generate_key().decode()), samples)
    with pytest.raises(KeyCheckError, match="neither SLEEPCOT_SECRET_KEYS nor .* holds a key"):
        check_keys(Settings(data_dir=tmp_path / "empty"), samples)
    assert not (tmp_path / "empty" / KEY_FILE).exists()  # no new key that would open nothing
    with pytest.raises(KeyCheckError, match="not a Fernet key"):
        check_keys(Settings(data_dir=tmp_path, secret_keys="not-a-key"), samples)
    assert check_keys(Settings(data_dir=tmp_path / "new"), {})  # nothing stored yet: a key is made
    assert (tmp_path / "new" / KEY_FILE).exists()


def _make_key(folder: str, start: multiprocessing.Barrier, keys: multiprocessing.Queue) -> None:
    start.wait()
    keys.put(load_or_create_key(Path(folder)))


def test_processes_starting_together_agree_on_one_key(tmp_path):
    context = multiprocessing.get_context("fork")  # processes of their own, started at once (fork: quickly)
    start, keys = context.Barrier(6), context.Queue()
    workers = [context.Process(target=_make_key, args=(str(tmp_path / "data"), start, keys)) for _ in range(6)]
    for worker in workers:
        worker.start()
    made = {keys.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(30)
    assert len(made) == 1 and Fernet(made.pop())  # one whole key, the same for all
    assert [p.name for p in (tmp_path / "data").iterdir()] == [KEY_FILE]  # no drafts left behind


def test_keys_check_and_forget_unopened_from_the_command_line(tmp_path, monkeypatch):
    from sleepcot.store import Store

    database = f"sqlite:///{tmp_path / 'bot.db'}"
    store = Store(database)
    store.migrate()
    _credential(store, Vault([Fernet.generate_key()]))  # a key that is lost
    monkeypatch.setenv("SLEEPCOT_DATABASE_URL", database)
    monkeypatch.setenv("SLEEPCOT_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    checked = runner.invoke(app, ["keys", "check"])
    assert checked.exit_code == 1 and "forget-unopened" in checked.output
    forgot = runner.invoke(app, ["keys", "forget-unopened", "--yes"])
    assert forgot.exit_code == 0 and "deleted 1 credential" in forgot.output
    assert runner.invoke(app, ["keys", "check"]).exit_code == 0
    assert store.for_user(store.user_by_telegram_id(ANN)).credential("simulator") is None


def test_readyz_says_when_the_model_is_down_and_the_deterministic_coach_is_ready(telegram, launch, closed_url):
    from sleepcot.coach.llm import OllamaLLM

    down = launch(OllamaLLM(closed_url, OLLAMA_MODEL, timeout=2), None)
    answer = httpx.get(down.web_url + "/readyz", timeout=20)
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert not checks["llm"]["ok"] and "Ollama" in checks["llm"]["detail"]
    assert checks["database"]["ok"] and checks["telegram"]["ok"]
    assert httpx.get(down.web_url + "/healthz").text == "ok"
    down.stop()
    plain = launch(None, "SLEEPCOT_LLM_BACKEND=none")
    ready = httpx.get(plain.web_url + "/readyz", timeout=20)
    assert ready.status_code == 200 and "deterministic coach" in ready.json()["checks"]["llm"]["detail"]
    assert "the workers schedule" in ready.json()["checks"]["scheduler"]["detail"]  # SLEEPCOT_SCHEDULER=false
    runner = CliRunner()
    assert runner.invoke(app, ["health", "--ready", "--url", plain.web_url]).exit_code == 0
    assert runner.invoke(app, ["health", "--url", closed_url]).exit_code == 1


class DrugNamingModel:
    """The far side of an OpenAI-compatible endpoint: a model that answers every question with a drug."""

    name, supports_prefill = "drug-naming", False

    def stream(self, messages, *, max_tokens, temperature, prefix="", stop=None):
        yield "Take 10 mg of zolpidem tonight."


def test_metrics_count_guard_refusals_and_fallbacks_by_reason(telegram, launch):
    """The guard refuses the model's answer twice, the user gets the deterministic answer, and the bot's
    /metrics counts the refusals by problem, the fallback by reason and the model's time."""
    from sleepcot.coach.llm import OpenAICompatibleLLM
    from sleepcot.coach.prompts import Prompt
    from tests.loopback.openai_server import OpenAILoopback

    bot = launch()

    def metric(name: str) -> float:
        for row in httpx.get(bot.web_url + "/metrics").text.splitlines():
            if row.startswith(name + " "):
                return float(row.split()[-1])
        return 0.0

    refusals = 'sleepcot_guard_refusals_total{problem="medication"}'
    fallbacks = 'sleepcot_fallbacks_total{reason="guard_refused"}'
    timed = 'sleepcot_model_seconds_count{task="knowledge"}'
    before = [metric(name) for name in (refusals, fallbacks, timed)]
    question = "How can I sleep better?"
    prompt = Prompt("knowledge", [{"role": "user", "content": question}], [], question=question)
    with OpenAILoopback(DrugNamingModel(), ["drug-naming"]) as server:
        model = OpenAICompatibleLLM(server.url + "/v1", "drug-naming", None)
        reply = guarded(lambda strict: prompt, model, lambda: "Keep a regular bedtime.", max_tokens=40)
    assert reply.text == "Keep a regular bedtime." and not reply.by_model
    assert [metric(name) for name in (refusals, fallbacks, timed)] == [before[0] + 2, before[1] + 1, before[2] + 2]
    assert 'sleepcot_outbox_depth{state="pending"} 0.0' in httpx.get(bot.web_url + "/metrics").text


def test_logs_are_one_line_per_event_as_text_or_json():
    stream = io.StringIO()
    for log_format in ("text", "json"):
        logs.setup(log_format)
        logging.getLogger().handlers[0].setStream(stream)
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            logging.getLogger("sleepcot.test").exception("sync of %s failed", "oura")
    logging.getLogger().handlers.clear()
    text_line, json_line = stream.getvalue().splitlines()
    assert "ERROR sleepcot.test: sync of oura failed" in text_line and "line two" in text_line
    event = json.loads(json_line)
    assert event["message"] == "sync of oura failed" and "ValueError: line one\nline two" in event["exception"]
    assert logging.getLogger("httpx").level == logging.WARNING  # its INFO lines hold the bot's token


def test_the_running_bot_backs_up_on_schedule_and_keeps_the_newest(telegram, launch, tmp_path):
    from sleepcot.store.backup import read_manifest

    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    bot = launch(backup_dir=folder, backup_interval_h=1.2 / 3600, backup_keep=2)  # every 1.2 s
    deadline = time.monotonic() + 30
    while len(list(folder.glob("sleepcot-*.tar"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # at least one more, and the oldest gone
    bot.stop()
    made = sorted(folder.glob("sleepcot-*.tar"))
    assert len(made) == 2 and (folder / "notes.txt").read_text() == "mine"
    manifest = read_manifest(made[-1])
    assert manifest.dialect == "sqlite" and not manifest.holds_key


def test_a_second_process_on_a_taken_port_stops_saying_so(telegram, launch):
    first = launch()
    with pytest.raises(RuntimeError, match="needs a SLEEPCOT_HTTP_PORT of its own"):
        launch(http_port=first.settings.http_port)


def test_readyz_says_when_telegram_stops_answering_getupdates(telegram, launch):
    bot = launch()
    assert httpx.get(bot.web_url + "/readyz", timeout=20).status_code == 200
    telegram.fail_next(3, 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = httpx.get(bot.web_url + "/readyz", timeout=20)
        if answer.status_code == 503:
            break
        time.sleep(0.2)
    assert answer.status_code == 503
    telegram_check = answer.json()["checks"]["telegram"]
    assert not telegram_check["ok"] and "getUpdates failed" in telegram_check["detail"]
    assert answer.json()["checks"]["database"]["ok"]
