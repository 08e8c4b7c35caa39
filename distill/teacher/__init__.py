"""Teachers: who writes the chain-of-thought answers the student learns from. A `Task` is one prompt,
rendered by the coach's prompt module exactly as serving renders it; a teacher answers a batch of tasks.

- `ReferenceTeacher` (reference.py): offline, built from the analysis and the knowledge base; it serves the
  tests and the tiny recipe.
- `EndpointTeacher` (endpoint.py): a large model at any OpenAI-compatible endpoint, shown our few-shot
  exemplars, through the bounded, rate-limited, cached client in client.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from distill.history.reference import Expected
from distill.questions import Question
from sleepcot.analysis import Analysis
from sleepcot.analysis.history import HistoryResult
from sleepcot.coach.prompts import Prompt

KINDS = ("briefing", "followup", "knowledge", "mcq", "history")
OnDone = Callable[[int, int], None]  # (done, total)


@dataclass
class Task:
    id: str
    kind: str  # one of KINDS
    prompt: Prompt
    analysis: Analysis | None = None  # briefing, followup
    question: Question | None = None  # knowledge, mcq (from the bank's train split)
    history: HistoryResult | None = None  # history: the product's figures for the question (from the history bank)
    expected: Expected | None = None  # history: what the reference implementation says a right answer states


class Teacher(Protocol):
    name: str

    def write(self, tasks: list[Task], on_done: OnDone | None = None) -> list[str | None]:
        """One answer per task, in order (None: the teacher gave none)."""
        ...
