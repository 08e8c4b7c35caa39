"""The question bank: sleep-knowledge questions we wrote, in English and Chinese, each with a reference
answer and the knowledge cards that answer it; a subset is multiple choice, for exact scoring.

One JSON object per line in `<area>.jsonl`. Questions are split into train, dev and test by a hash of their
`group` (a question and its translation share a group, so they always land in the same split, and adding
questions never moves old ones). The test split is for evaluation only: `load("train")` is what training
reads, and it can never return a test question.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from sleepcot.coach.knowledge import card
from sleepcot.domain import Fact, Language

Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
SPLIT_PERCENT = {"train": 70, "dev": 10, "test": 20}
LETTERS = "ABCD"


@dataclass(frozen=True)
class Question:
    id: str
    group: str
    area: str
    topic: str
    language: Language
    question: str
    answer: str
    cards: tuple[str, ...]
    choices: tuple[str, ...] = ()
    correct: int | None = None
    typed: bool = False  # written the way users type (short, informal, misspelled, mixed language)

    @property
    def is_mcq(self) -> bool:
        return bool(self.choices)

    @property
    def split(self) -> Split:
        return split_of(self.group)

    def card_facts(self) -> list[Fact]:
        """The figures of the cards that answer this question: what its answer may state (teach and eval)."""
        return [f for key in self.cards for f in card(key, self.language).facts()]

    @property
    def correct_letter(self) -> str:
        return LETTERS[self.correct] if self.correct is not None else ""


def split_of(group: str) -> Split:
    """train, dev or test, fixed by the group's name alone."""
    bucket = int.from_bytes(hashlib.sha256(group.encode()).digest()[:4], "big") % 100
    if bucket < SPLIT_PERCENT["train"]:
        return "train"
    return "dev" if bucket < SPLIT_PERCENT["train"] + SPLIT_PERCENT["dev"] else "test"


@cache
def _bank() -> tuple[Question, ...]:
    out = []
    folder = resources.files("distill") / "questions"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".jsonl"):
            continue
        for line in entry.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            out.append(Question(
                raw["id"], raw["group"], entry.name.removesuffix(".jsonl"), raw["topic"], Language(raw["lang"]),
                raw["question"], raw["answer"], tuple(raw["cards"]), tuple(raw.get("choices", ())), raw.get("correct"),
                raw.get("style") == "typed",
            ))
    return tuple(out)


def load(split: Split | None = None, *, language: Language | None = None) -> list[Question]:
    """The questions of one split (None: all), optionally in one language, in file order."""
    return [q for q in _bank() if (split is None or q.split == split) and (language is None or q.language is language)]


def sample(split: Split, count: int | None = None) -> list[Question]:
    """`count` questions of a split spread evenly over it (every area, both languages); None: all of them."""
    questions = load(split)
    if count is None or count >= len(questions):
        return questions
    return [questions[i * len(questions) // count] for i in range(count)]
