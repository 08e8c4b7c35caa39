"""`sleepcot demo` end to end on the real embedded model, as it ships (SmolLM2 with the distilled student's
adapter): the briefing is faithful to the night and its findings for every persona, it names the night's top
finding, the chat answers with the user's own numbers, with the model unavailable the deterministic briefing
still arrives (exit 0), and `--language zh` makes the simulated user Chinese: their briefing, chat and the
demo's own words."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis.facts import night_facts
from sleepcot.analysis.findings import FINDING_TOPICS, analyze
from sleepcot.cli import app
from sleepcot.coach import guard
from sleepcot.coach.findings import english_words
from sleepcot.coach.prompts import STEPS, profile_facts
from sleepcot.demo_cli import _demo_profile
from sleepcot.domain import Fact, Language, Metric, Night, NightKind, Profile
from sleepcot.units import format_duration

pytestmark = pytest.mark.llm
SEEDS = [1, 7, 42]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path))
    for name in ("SLEEPCOT_OLLAMA_MODEL", "SLEEPCOT_OPENAI_MODEL", "SLEEPCOT_LLM_BACKEND", "SLEEPCOT_EMBEDDED_MODEL_PATH"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run_demo(*args: str) -> dict:
    result = CliRunner().invoke(app, ["demo", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def facts_of(document: dict) -> list[Fact]:
    """Every figure of the night, its findings and the profile's habits, rebuilt from the JSON alone, each with
    what it measures."""
    night = Night.model_validate(document["night"])
    facts = night_facts(night)
    facts += [Fact(**fact) for finding in document["findings"] for fact in finding["facts"]]
    return facts + profile_facts(Profile.model_validate(document["profile"]))


STUDENT = "embedded:SmolLM2-135M-Instruct.Q4_1+sleepcot-tiny.lora"  # the base model with the shipped adapter


def test_default_demo_briefing_is_written_by_the_shipped_student(data_dir):
    document = run_demo()
    briefing = document["briefing"]
    assert briefing["backend"] == STUDENT, briefing
    assert briefing["by_model"] and briefing["guard"]["ok"], briefing
    assert "deep" in briefing["text"].lower()  # the healthy persona's story night: deep sleep well under usual
    assert document["findings"][0]["code"] == "low_deep"


# every persona, each with one of the seeds in turn (the model writes each briefing, several seconds each;
# `sleepcot eval` measures faithfulness over a hundred reports)
@pytest.mark.parametrize("persona, seed", [(p.value, SEEDS[i % len(SEEDS)]) for i, p in enumerate(Persona)])
def test_every_figure_in_every_briefing_is_in_the_night_or_findings(data_dir, persona, seed):
    document = run_demo("--persona", persona, "--seed", str(seed))
    briefing = document["briefing"]
    assert briefing["guard"]["ok"], briefing["guard"]
    # no figure bound to the wrong metric or relation (a deep-sleep share that is the drop from the usual…)
    assert guard.unfaithful(briefing["text"], facts_of(document)) == [], briefing["text"]
    top = document["findings"][0]
    assert any(word in briefing["text"].lower() for word in FINDING_TOPICS[top["code"]]), (top["code"], briefing["text"])
    if any(f["severity"] == 3 for f in document["findings"]):  # red flag: the user is sent to a clinician
        assert "doctor" in briefing["text"].lower() or "clinician" in briefing["text"].lower()


def test_chat_answers_why_deep_sleep_was_low_with_the_users_own_numbers(data_dir):
    document = run_demo("--ask", "why was my deep sleep low?")
    reply = document["answer"]
    assert reply["guard"]["ok"], reply
    deep = [f for f in facts_of(document) if f.subject is Metric.DEEP]
    assert guard.stated(reply["text"], deep), reply["text"]  # a deep-sleep figure, said of deep sleep


def _cli(env_overrides: dict, data_dir, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEPCOT_")}
    env.update({"SLEEPCOT_DATA_DIR": str(data_dir), "SLEEPCOT_CACHE_DIR": os.environ["SLEEPCOT_CACHE_DIR"],  # the session's
                **env_overrides})
    return subprocess.run([sys.executable, "-m", "sleepcot.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.parametrize("env, said", [
    ({"SLEEPCOT_EMBEDDED_MODEL_PATH": "/nonexistent/model.gguf"}, "embedded model file not found"),
    ({"SLEEPCOT_OLLAMA_MODEL": "sleepcot", "SLEEPCOT_OLLAMA_URL": "http://127.0.0.1:9"}, "Ollama"),
])
def test_with_the_llm_unavailable_the_demo_prints_a_correct_deterministic_briefing(data_dir, env, said):
    result = _cli(env, data_dir, "demo", "--json")
    assert result.returncode == 0, result.stderr
    assert said in result.stderr
    document = json.loads(result.stdout)
    briefing = document["briefing"]
    assert briefing["backend"] == "deterministic" and briefing["guard"]["ok"]
    assert said in briefing["fallback_reason"]
    assert guard.unfaithful(briefing["text"], facts_of(document)) == []


def test_terminal_chat_reads_questions_and_answers_each(data_dir):
    result = _cli({}, data_dir, "demo", stdin="why was my deep sleep low?\nwhat helps me fall asleep?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("You:") == 2
    assert "What the data shows" in result.stdout
    assert f"— {STUDENT}, guard passed" in result.stdout  # the footer names the model that wrote the briefing
    asked = _cli({}, data_dir, "ask", "how much sleep do adults need?", "--json")
    reply = json.loads(asked.stdout)
    assert reply["guard"]["ok"] and reply["sources"], reply


def test_the_demo_chat_answers_a_history_question_from_every_synced_night(data_dir, monkeypatch):
    monkeypatch.setenv("SLEEPCOT_LLM_BACKEND", "none")  # the figures, exactly: the deterministic coach
    document = run_demo("--days", "14", "--ask", "What was my average deep sleep over the last 10 nights?")
    history = document["answer"]["history"]
    today = date.fromisoformat(history["today"])
    nights = SimulatorAdapter(Persona.HEALTHY, 7, today).fetch_nights(today - timedelta(days=9), today)
    deep = [n.deep_s for n in nights if n.kind is NightKind.MAIN]  # the simulated wearable's own nights
    assert history["plan"]["measure"] == "deep" and len(deep) == 10
    assert history["main"]["figure"] == pytest.approx(sum(deep) / 10)
    assert format_duration(sum(deep) / 10) in document["answer"]["text"]


# What the demo says itself around the coach's text, in English (none of it may show in a Chinese run).
ENGLISH_DEMO_WORDS = ("Good morning", "You:", "guard passed", "guard failed", "Sources:", "Sleep well",
                      "Ask about your sleep")


def test_chinese_demo_briefs_a_chinese_user_and_answers_their_question(data_dir):
    document = run_demo("--language", "zh", "--ask", "昨晚我的深睡为什么这么少？")
    assert document["language"] == "zh"
    profile = document["profile"]
    assert (profile["language"], profile["name"], profile["timezone"]) == ("zh", "林娜", "Asia/Shanghai")
    briefing = document["briefing"]
    assert briefing["guard"]["ok"], briefing
    assert all(step in briefing["text"] for step in STEPS[Language.ZH]), briefing["text"]
    assert not any(step in briefing["text"] for step in STEPS[Language.EN]), briefing["text"]
    assert guard.unfaithful(briefing["text"], facts_of(document)) == [], briefing["text"]
    assert document["answer"]["guard"]["ok"], document["answer"]


@pytest.mark.parametrize("persona", [p.value for p in Persona])
def test_a_chinese_demo_user_sleeps_like_the_english_one_and_gets_the_same_findings(persona):
    """Their own words (goals, what they report) mean the same, so the same nights read the same."""
    day, analyses = date(2025, 6, 18), []  # no clock change near it in any persona's timezone
    for language in Language:
        profile = _demo_profile(persona, language)
        adapter = SimulatorAdapter(Persona(persona), 7, day, tz=profile.timezone)
        nights = [n for n in adapter.fetch_nights(day - timedelta(days=13), day) if n.kind is NightKind.MAIN]
        analyses.append(analyze(nights[-1], nights[:-1], profile, adapter.fetch_tags(day, day)))
    english, chinese = analyses
    assert (chinese.profile.language, chinese.profile.timezone) == (Language.ZH, "Asia/Shanghai")
    assert chinese.profile.name and all("\u4e00" <= c <= "\u9fff" for c in chinese.profile.name)
    assert len(chinese.profile.goals) == len(english.profile.goals)
    assert len(chinese.profile.conditions) == len(english.profile.conditions)
    assert chinese.profile.habits == english.profile.habits and chinese.profile.age_band == english.profile.age_band
    assert chinese.night.total_sleep_s == english.night.total_sleep_s
    assert [(f.code, f.severity) for f in chinese.findings] == [(f.code, f.severity) for f in english.findings]


def test_the_chinese_demo_speaks_chinese_around_the_coach_and_ask_keeps_the_language(data_dir):
    unavailable = {"SLEEPCOT_LLM_BACKEND": "none"}  # the demo's own words, the fallback notices included
    result = _cli(unavailable, data_dir, "demo", "--language", "zh", stdin="昨晚我的深睡怎么样？\n")
    assert result.returncode == 0, result.stderr
    assert "早上好，林娜 — " in result.stdout and "星期" in result.stdout
    assert all(step in result.stdout for step in STEPS[Language.ZH]), result.stdout
    assert result.stdout.count("你：") == 1 and "核查通过" in result.stdout and "来源：" in result.stdout
    assert result.stdout.rstrip().endswith("祝你睡个好觉！")
    assert "语言模型不可用" in result.stderr and "已改用确定性文本" in result.stderr
    for english in (*ENGLISH_DEMO_WORDS, "LLM unavailable", "Fell back"):
        assert english not in result.stdout + result.stderr, english
    said = re.sub(r"来源：.*?(?=\n— )", "", result.stdout, flags=re.S)  # (sources keep their own titles)
    assert not english_words(said), english_words(said)  # the briefing and the answer are Chinese too
    asked = _cli(unavailable, data_dir, "ask", "成年人需要睡多久？")  # the stored demo user is still Chinese
    assert asked.returncode == 0, asked.stderr
    assert "核查通过" in asked.stdout and "来源：" in asked.stdout
    assert not any(english in asked.stdout for english in ENGLISH_DEMO_WORDS), asked.stdout
