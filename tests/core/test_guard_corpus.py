"""The guard against its adversarial corpus (tests/guard_corpus.py): replies built from real analyses of every
simulator persona, English and Chinese. Every defect is refused; at most 2% of the true, well-bound
controls are; the deterministic coach's and the reference teacher's own texts never are."""

from __future__ import annotations

import pytest

from guard_corpus import Case, cases
from integrations.simulator import Persona
from sleepcot.domain import Language

OWN_TEXTS = ("control: deterministic briefing", "control: reference teacher briefing",
             "control: deterministic follow-up", "control: weekly summary")
DEFECT_KINDS = {
    "deep and REM swapped", "share of another figure", "change of another metric", "hours in words, hours off",
    "rounded down", "baseline said as last night's value", "invented figure", "empty step", "hedged diagnosis",
    "indirect diagnosis", "drug to ask for", "pill for tonight", "talks about itself", "speculates about the mind",
    "does not state the figure asked about", "red flag: no need for a doctor", "red flag: nothing to worry about",
    "red flag: minimised", "red flag: the doctor can wait", "red flag: the doctor called needless",
    "bedtime two hours off", "bedtime in the other half of the day", "illness beyond sleep",
}


@pytest.fixture(scope="module")
def judged() -> list[tuple[Case, bool]]:
    """Every case with whether the guard let it through."""
    return [(case, case.verdict().ok) for case in cases()]


def test_the_corpus_covers_every_persona_both_languages_and_every_defect_kind(judged):
    corpus = [case for case, _ in judged]
    assert len(corpus) >= 300
    assert {case.language for case in corpus} == set(Language)
    assert {case.id.split("-")[0] for case in corpus} == {p.value for p in Persona}
    assert {case.kind for case in corpus if case.defect} == DEFECT_KINDS
    for language in Language:
        assert {c.kind for c in corpus if c.defect and c.language is language} == DEFECT_KINDS, language


def test_every_defect_is_refused(judged):
    passed = [(case.id, case.reply) for case, ok in judged if case.defect and ok]
    assert passed == []


def test_at_most_two_percent_of_true_replies_are_refused(judged):
    controls = [(case, ok) for case, ok in judged if not case.defect]
    refused = [case.id for case, ok in controls if not ok]
    assert len(refused) <= 0.02 * len(controls), refused


def test_the_deterministic_coach_and_the_reference_teacher_are_never_refused(judged):
    refused = [(case.id, case.verdict().problems) for case, ok in judged if case.kind in OWN_TEXTS and not ok]
    assert refused == []
