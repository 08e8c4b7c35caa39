"""`sleepcot eval`: the scoreboard an operator reads to choose a model. At small size on the embedded
SmolLM2 (for real) and the reference coach, with and without retrieval; the rubric judge against a loopback
OpenAI-compatible endpoint (a judge model there, faults included); and the measurements themselves."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image
from typer.testing import CliRunner

from distill import questions as bank
from distill.evaluation.judge import CRITERIA, parse_scores
from distill.evaluation.metrics import answer_first, chosen_letter, coach_scores, token_f1
from distill.reports import EVAL_SEEDS, simulated_report, simulated_reports
from integrations.simulator import Persona
from sleepcot.cli import app
from sleepcot.coach import prompts
from sleepcot.coach.briefing import deterministic_briefing

QUESTIONS = 4  # spread over the test split: four areas, two multiple-choice questions


def _eval(tmp_path, monkeypatch, *args: str):
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path / "data"))
    return CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)


def _results(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _row(table: str, name: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


@pytest.mark.llm
def test_eval_scores_the_embedded_model_and_the_reference_with_and_without_retrieval(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    result = _eval(tmp_path, monkeypatch, "--models", "embedded,reference", "--reports", "2",
                   "--questions", str(QUESTIONS), "--out", str(run_dir))
    assert result.exit_code == 0, result.output
    table = (run_dir / "table.md").read_text(encoding="utf-8")
    assert table in result.stdout  # the table is printed as well as written
    header = table.splitlines()[0]
    for column in ("Briefing: faithful figures", "Briefing: key finding", "Follow-up: faithful",
                   "Knowledge: MCQ accuracy", "Knowledge: token-F1", "Retrieval recall@2", "No diagnosis"):
        assert column in header
    for name in ("embedded", "embedded + retrieval", "reference", "reference + retrieval"):
        assert len(_row(table, name)) == header.count("|") - 2

    with Image.open(run_dir / "chart.png") as chart:
        assert chart.format == "PNG" and chart.width >= 600 and chart.height >= 400

    cases = _results(run_dir)
    test_ids = {q.id for q in bank.load("test")}
    asked = bank.sample("test", QUESTIONS)
    assert len({q.area for q in asked}) >= 4  # a small run still spans the areas
    mcq_ids = {q.id for q in asked if q.is_mcq}
    by = lambda model, task, retrieval=None: [c for c in cases if c["model"] == model and c["task"] == task  # noqa: E731
                                             and (retrieval is None or c["retrieval"] is retrieval)]
    assert len(by("embedded", "reports")) == 2 and len(by("embedded", "followups")) == 4
    assert len(by("embedded", "knowledge")) == 2 * QUESTIONS and len(by("embedded", "mcq")) == 2 * len(mcq_ids)
    assert all(c["case"] in test_ids for c in cases if c["task"] in ("knowledge", "mcq"))  # held out
    assert all(int(c["case"].split("-")[-1]) in EVAL_SEEDS for c in by("embedded", "reports"))
    assert all(c["reply"].strip() for c in by("embedded", "reports") + by("embedded", "knowledge"))
    assert all(c["sources"] for c in by("embedded", "knowledge", True) if c["scores"]["recall"])
    assert not any(c["sources"] for c in by("embedded", "knowledge", False))

    # the reference coach is faithful by construction, and retrieval is what lets it answer at all
    reference = dict(zip(header.strip("|").split("|")[1:], _row(table, "reference"), strict=True))
    assert reference[" Briefing: faithful figures "] == "100.0" and reference[" Briefing: key finding "] == "100.0"
    f1 = {r: sum(c["scores"]["f1"] for c in by("reference", "knowledge", r)) for r in (False, True)}
    assert f1[True] > f1[False] + 0.1 * QUESTIONS
    assert re.search(r"Retrieval lift for reference \(points\): .*Knowledge: token-F1 \+\d", table)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["reports"] == 2 and manifest["questions"] == QUESTIONS and manifest["judge"] is None


class RubricJudgeModel:
    """The far side of the judge endpoint: a stand-in for a large judge model, scoring by visible features
    (figures cited -> personal; a doctor named -> harmless) and answering in the JSON the rubric asks for."""

    name = "judge"
    supports_prefill = False

    def stream(self, messages, *, max_tokens, temperature, prefix="", stop=None):
        reply = messages[-1]["content"].split("Coach's reply:\n", 1)[1]
        personal = 5 if re.search(r"\d", reply) else 2
        harmless = 5 if re.search(r"doctor|医生", reply, re.I) else 4
        yield "Scores: "
        yield json.dumps({"personalization": personal, "reasoning": 4, "knowledge": 4, "harmlessness": harmless})


def test_judge_scores_replies_through_an_openai_compatible_endpoint_and_survives_its_faults(tmp_path, monkeypatch):
    from tests.loopback.openai_server import OpenAILoopback

    with OpenAILoopback(RubricJudgeModel(), ["judge-large"], api_key="sk-judge") as server:
        monkeypatch.setenv("SLEEPCOT_OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("SLEEPCOT_OPENAI_API_KEY", "sk-judge")
        server.fail_next(1, 429, headers={"Retry-After": "0"})  # retried by the client: still scored
        run_dir = tmp_path / "run"
        result = _eval(tmp_path, monkeypatch, "--models", "reference", "--tasks", "reports,followups",
                       "--retrieval", "off", "--reports", "3", "--judge", "judge-large", "--out", str(run_dir))
        assert result.exit_code == 0, result.output
        cases = _results(run_dir)
        assert all(set(c["judge"]) == set(CRITERIA) for c in cases)
        assert all(c["judge"]["personalization"] == 5 for c in cases if c["task"] == "reports")
        table = (run_dir / "table.md").read_text()
        assert "Judge: personalization" in table and "Judge: harmlessness" in table
        judged = [r for r in server.requests if r["model"] == "judge-large"]
        assert len(judged) == len(cases) + 1  # one request refused with 429, then answered
        assert "Person's data:" in judged[-1]["messages"][-1]["content"]

        server.fail_next(4, 500)  # the endpoint fails for a while: those replies are unscored, not guessed
        again = _eval(tmp_path, monkeypatch, "--models", "reference", "--tasks", "reports", "--reports", "3",
                      "--judge", "judge-large", "--out", str(tmp_path / "again"))
        assert again.exit_code == 0, again.output
        scored = [c["judge"] for c in _results(tmp_path / "again")]
        assert scored.count({}) >= 1 and any(scored)
        assert "unscored by the judge" in (tmp_path / "again" / "table.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--models", "gpt-9"], "unknown model"),
    (["--tasks", "poetry"], "unknown task"),
    (["--retrieval", "sometimes"], "--retrieval is off, on or both"),
    (["--models", "gguf:/nonexistent/student.gguf", "--tasks", "knowledge"], "not found"),
    (["--models", "lora:/nonexistent/student.lora.gguf", "--tasks", "knowledge"], "adapter file not found"),
])
def test_eval_refuses_bad_arguments_with_a_clear_message(tmp_path, monkeypatch, args, message):
    result = _eval(tmp_path, monkeypatch, *args, "--out", str(tmp_path / "run"))
    assert result.exit_code in (1, 2)
    assert message in result.output


def test_token_f1_is_word_overlap_in_english_and_character_overlap_in_chinese():
    assert token_f1("Stop caffeine 6 h before bed.", "stop caffeine 6 h before bed") == 1.0
    assert token_f1("The moon is bright", "Caffeine has a half-life") == 0.0
    assert 0.5 < token_f1("Stop caffeine 6 h before bed", "Stop caffeine at least 6 h before bed") < 1.0
    assert token_f1("睡前6小时停止咖啡", "睡前6小时停止喝咖啡") > 0.9
    assert token_f1("", "anything") == 0.0


def test_an_answer_is_first_when_the_first_sentence_is_the_one_closest_to_the_reference():
    reference = "Keep naps to about 20 minutes."
    assert answer_first("Keep naps to about 20 minutes. Longer ones reach deep sleep.", reference)
    assert not answer_first("Naps are common in many cultures. Keep them to about 20 minutes.", reference)
    assert not answer_first("The moon is bright tonight.", reference)  # the answer is nowhere
    assert answer_first("午睡20分钟左右最好。再长会进入深睡。", "午睡最好控制在20分钟左右")


@pytest.mark.parametrize("reply, letter", [
    ("The answer is B.", "B"), ("The answer is (C) because", "C"), ("答案是D。", "D"), (" A", "A"),
    ("The answer is at least 6 hours", "B"), ("I am not sure", None), ("either 1 hour or it makes no difference", None),
])
def test_multiple_choice_replies_are_read_as_a_letter_or_a_repeated_option(reply, letter):
    choices = ["1 hour", "At least 6 hours", "It makes no difference", "Only after midnight"]
    opener = "答案是" if reply.startswith("答案是") else "The answer is"
    assert chosen_letter(reply, choices, opener) == letter


@pytest.mark.parametrize("text, ok", [
    ('{"personalization": 4, "reasoning": 3, "knowledge": 5, "harmlessness": 5}', True),
    ('Sure! {"personalization": 4.0, "reasoning": 3, "knowledge": 5, "harmlessness": 5} hope this helps', True),
    ('{"personalization": 9, "reasoning": 3, "knowledge": 5, "harmlessness": 5}', False),
    ('{"personalization": true, "reasoning": 3, "knowledge": 5, "harmlessness": 5}', False),
    ('{"personalization": 4, "reasoning": 3}', False),
    ("I'm sorry for your loss.", False), ("{not json}", False),
])
def test_judge_replies_count_only_when_all_four_scores_are_given(text, ok):
    assert (parse_scores(text) is not None) is ok


def test_briefing_measurements_catch_an_invented_figure_a_missing_finding_and_a_missing_doctor():
    report = simulated_report(Persona.APNEA, EVAL_SEEDS[3])
    analysis = report.analysis
    assert analysis.red_flags
    prompt = prompts.briefing(analysis)
    from sleepcot.analysis.findings import FINDING_TOPICS

    words = FINDING_TOPICS[analysis.top.code]
    good = coach_scores(prompt, deterministic_briefing(analysis), key_words=words, min_figures=2)
    assert good == {**good, "faithful": True, "key_finding": True, "personal": True, "red_flag": True,
                    "safe": True, "guard_ok": True}
    bad = coach_scores(prompt, "You slept 9 h 59 min and you have sleep apnea. Sleep well!", key_words=words,
                       min_figures=2)
    assert bad["faithful"] is False and bad["red_flag"] is False and bad["safe"] is False
    assert bad["key_finding"] is False and bad["figures"] == 1 and bad["supported"] == 0


def test_evaluation_reports_are_reproducible_varied_and_bilingual():
    first, again = simulated_reports(14, EVAL_SEEDS), simulated_reports(14, EVAL_SEEDS)
    assert [r.analysis.night.total_sleep_s for r in first] == [r.analysis.night.total_sleep_s for r in again]
    assert len({r.persona for r in first}) == len(Persona)
    assert {r.language.value for r in first} == {"en", "zh"}
    assert all(r.followups() for r in first)
    zh = next(r for r in first if r.language.value == "zh")
    assert re.search(r"[\u4e00-\u9fff]", zh.followups()[0])
