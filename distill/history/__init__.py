"""The history bank: questions about a user's whole history ("How did I sleep this week compared with last
week?", "上个月有几个晚上睡眠不足7小时？"), asked of simulated users with different histories (users.py),
each with a `reference` spec whose answer a plain reference implementation works out from the user's nights
when the evaluation runs (reference.py; never stored, so it stays true if the simulator changes), and the
scoring of a reply against it (scoring.py).

One JSON object per line in `bank.jsonl` and in the `holdout*.jsonl` rounds (questions written later, apart
from the rules, whose first scores estimate how the rules do on questions they were never fitted to; they
join the bank afterwards): id, group (a question and its translation share one), user, language, question,
reference. Split into train, dev and test by the group's hash, as the knowledge bank is
(`distill.questions.split_of`): the test split is for evaluation only, teach reads the train split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from distill.history.reference import Expected, expected
from distill.history.users import USERS, World
from distill.questions import Split, split_of
from sleepcot.domain import Language

FILES = ("bank.jsonl",) + tuple(f"holdout{n}.jsonl" for n in ("", 2, 3, 4, 5, 6, 7, 8))


@dataclass(frozen=True)
class HistoryQuestion:
    id: str
    group: str
    user: str
    language: Language
    question: str
    reference: dict[str, Any] = field(hash=False)

    @property
    def split(self) -> Split:
        return split_of(self.group)

    def expected(self, world: World) -> Expected:
        """The answer, worked out from the user's nights in `world`."""
        nights, tags, profile = world.records(self.user)
        return expected(self.reference, nights, tags, profile, world.today(self.user))


@cache
def _bank() -> tuple[HistoryQuestion, ...]:
    folder = resources.files("distill") / "history"
    lines = [line for name in FILES if (folder / name).is_file()
             for line in (folder / name).read_text(encoding="utf-8").splitlines()]
    out = []
    for line in lines:
        if line.strip():
            raw = json.loads(line)
            out.append(HistoryQuestion(raw["id"], raw["group"], raw["user"], Language(raw["language"]),
                                       raw["question"], raw["reference"]))
    return tuple(out)


def load(split: Split | None = None, *, language: Language | None = None) -> list[HistoryQuestion]:
    """The questions of one split (None: all), optionally in one language, in file order."""
    return [q for q in _bank() if (split is None or q.split == split) and (language is None or q.language is language)]


def sample(split: Split, count: int | None = None) -> list[HistoryQuestion]:
    """`count` questions of a split spread evenly over it (every user, both languages); None: all of them."""
    questions = load(split)
    if count is None or count >= len(questions):
        return questions
    return [questions[i * len(questions) // count] for i in range(count)]


__all__ = ["USERS", "Expected", "HistoryQuestion", "World", "load", "sample"]
