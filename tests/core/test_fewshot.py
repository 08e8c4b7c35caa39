"""The few-shot exemplars that show the distillation teacher the answer format: every one passes the guard
that serving applies, briefings keep the four step openers, Chinese answers are in Chinese, multiple-choice
answers pick the right letter, and none leaks a held-out question from the bank."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from distill import fewshot
from distill import questions as bank
from distill.config import SynthConfig
from distill.evaluation.metrics import chosen_letter
from distill.reports import EVAL_SEEDS, nth_report
from integrations.simulator import Persona
from sleepcot.coach import guard, prompts, retrieval
from sleepcot.coach.generation import judge
from sleepcot.coach.prompts import MCQ_LETTERS, MCQ_OPENER
from sleepcot.domain import Language

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _rows() -> list[dict]:
    text = (resources.files("distill") / "fewshot" / "exemplars.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_every_exemplar_passes_the_guard():
    for exemplar in fewshot.exemplars():
        verdict = judge(exemplar.prompt, exemplar.answer, structured=bool(exemplar.prompt.steps))
        assert verdict.ok, (exemplar.kind, exemplar.language, verdict.problems, exemplar.answer)


@pytest.mark.parametrize("kind", fewshot.KINDS)
@pytest.mark.parametrize("language", list(Language))
def test_each_kind_and_language_has_exemplars_for_the_default_limit(kind, language):
    found = fewshot.exemplars(kind, language)
    assert len(found) >= 2
    assert all(e.kind == kind and e.language is language and e.prompt.task == kind for e in found)


def test_briefings_are_four_lines_each_on_its_step_opener():
    for exemplar in fewshot.exemplars("briefing"):
        lines = exemplar.answer.split("\n")
        assert len(lines) == len(exemplar.prompt.steps) == 4
        for opener, line in zip(exemplar.prompt.steps, lines, strict=True):
            assert line.startswith(opener), (opener, line)
            assert len(line) > len(opener) + 10


def test_followups_about_one_number_open_on_it_in_one_line():
    with_opener = [e for e in fewshot.exemplars("followup") if e.prompt.steps]
    assert {e.language for e in with_opener} == set(Language)  # both formats are shown, in both languages
    assert len(with_opener) < len(fewshot.exemplars("followup"))
    for exemplar in with_opener:
        assert exemplar.answer.startswith(exemplar.prompt.steps[0]) and "\n" not in exemplar.answer


def test_briefings_in_one_language_each_lead_with_a_different_finding():
    for language in Language:
        main_findings = [e.prompt.steps[1] for e in fewshot.exemplars("briefing", language)]
        assert len(set(main_findings)) == len(main_findings), main_findings


def test_red_flag_reports_are_shown_in_both_languages_and_briefings_end_on_a_doctor_referral():
    for language in Language:
        flagged = [e for e in fewshot.exemplars("briefing", language) if e.prompt.red_flag]
        assert flagged, language
        for exemplar in flagged:
            last_line = exemplar.answer.split("\n")[-1]
            assert not guard.check(last_line, exemplar.prompt.facts, red_flag=True).missing_red_flag_advice


def test_no_exemplar_question_is_held_out_in_the_bank():
    held_out = {" ".join(q.question.lower().split()) for split in ("dev", "test") for q in bank.load(split)}
    asking = [row for row in _rows() if row["kind"] != "briefing"]
    assert asking and all(row["question"].strip() for row in asking)
    assert not [row["question"] for row in asking if " ".join(row["question"].lower().split()) in held_out]


def test_no_exemplar_report_is_a_person_the_default_synthesis_draws():
    """The teacher is never shown a worked answer for the very report it is then asked about."""
    first = SynthConfig().first_seed
    seeds = range(first, EVAL_SEEDS.start)
    for row in _rows():
        if "seed" in row:
            assert nth_report(row["seed"] - first, seeds).persona.value != row["persona"], row


def test_answers_are_in_their_language():
    for exemplar in fewshot.exemplars():
        cjk, latin = len(_CJK.findall(exemplar.answer)), len(_LATIN.findall(exemplar.answer))
        if exemplar.language is Language.ZH:
            assert cjk / (cjk + latin) > 0.6, exemplar.answer
        else:
            assert cjk == 0, exemplar.answer


def test_multiple_choice_answers_name_the_correct_letter():
    rows = [row for row in _rows() if row["kind"] == "mcq"]
    assert {Language(row["language"]) for row in rows} == set(Language)
    for row in rows:
        opener = MCQ_OPENER[Language(row["language"])]
        assert len(row["choices"]) == 4 and row["answer"].startswith(opener)
        assert chosen_letter(row["answer"], row["choices"], opener) == MCQ_LETTERS[row["correct"]]


def test_question_exemplars_rest_on_cards_that_retrieval_finds_for_them():
    for row in _rows():
        if row["kind"] in ("knowledge", "mcq"):
            found = {c.key for c in retrieval.retrieve(row["question"], k=3)}
            assert row["cards"] and found & set(row["cards"]), row["question"]


def test_the_teacher_sees_exemplars_asked_exactly_as_its_own_task_is_asked():
    from distill.reports import simulated_report
    from distill.teacher import Task
    from distill.teacher.endpoint import conversation

    analysis = simulated_report(Persona.APNEA, 777, Language.ZH).analysis
    task = Task("apnea-777/briefing", "briefing", prompts.briefing(analysis), analysis)
    messages = conversation(task, shots=2)
    shown = fewshot.exemplars("briefing", Language.ZH)[:2]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [m["content"] for m in messages[2:5:2]] == [e.answer for e in shown]
    for asked, prompt in zip(messages[1::2], [e.prompt for e in shown] + [task.prompt], strict=True):
        assert "请用简体中文回答" in asked["content"] and "发现，按重要性排列" in asked["content"]
        assert all(step in asked["content"] for step in prompt.steps)  # the openers its lines must start with
    with pytest.raises(ValueError):
        fewshot.exemplars("essay", Language.EN)
