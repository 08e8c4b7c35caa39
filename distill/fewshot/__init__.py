"""Few-shot exemplars that show the teacher the exact answer format: hand-written replies, in English and
Chinese, to the five kinds of prompt distillation asks for (a morning briefing, a follow-up about the user's
night, a knowledge question, a multiple-choice question, a question about the user's history).

One JSON object per line in `exemplars.jsonl`. A report row names a simulated report (persona, seed); a
question row names its question and the knowledge cards behind it (and, for multiple choice, its choices and
the `correct` index); a history row names a simulated user of the history bank and the question asked of
them (its figures are computed, so the answer phrases them). Each exemplar's prompt is rendered here with the same prompt functions that serving and
training use, so the teacher sees exactly the prompt format it will be asked to answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from distill.reports import simulated_report
from integrations.simulator import Persona
from sleepcot.coach import prompts
from sleepcot.coach.knowledge import card
from sleepcot.coach.prompts import Prompt
from sleepcot.domain import Language

KINDS = ("briefing", "followup", "knowledge", "mcq", "history")


@dataclass(frozen=True)
class Exemplar:
    kind: str
    language: Language
    prompt: Prompt
    answer: str


def _history_prompt(row: dict, language: Language) -> Prompt:
    from distill.history import World
    from sleepcot.coach.history import answer_history, history_prompt

    world = World()
    try:
        reply = answer_history(row["question"], world.source(row["user"]), None, language=language,
                               today=world.today(row["user"]))
    finally:
        world.close()
    return history_prompt(row["question"], reply.history, language)


def _prompt(row: dict) -> Prompt:
    kind, language = row["kind"], Language(row["language"])
    if kind == "history":
        return _history_prompt(row, language)
    if kind in ("briefing", "followup"):
        analysis = simulated_report(Persona(row["persona"]), row["seed"], language).analysis
        if kind == "briefing":
            return prompts.briefing(analysis)
        return prompts.followup(row["question"], analysis, cards=[])
    cards = [card(key, language) for key in row["cards"]]
    if kind == "knowledge":
        return prompts.knowledge(row["question"], cards, language)
    if kind == "mcq":
        return prompts.multiple_choice(row["question"], row["choices"], cards, language)
    raise ValueError(f"unknown exemplar kind {kind!r}; expected one of {KINDS}")


@cache
def _all() -> tuple[Exemplar, ...]:
    text = (resources.files("distill") / "fewshot" / "exemplars.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return tuple(Exemplar(row["kind"], Language(row["language"]), _prompt(row), row["answer"]) for row in rows)


def exemplars(kind: str | None = None, language: Language | None = None) -> list[Exemplar]:
    """The exemplars of one kind (None: all) and language (None: both), in file order."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown exemplar kind {kind!r}; expected one of {KINDS}")
    return [e for e in _all() if (kind is None or e.kind == kind) and (language is None or e.language is language)]
