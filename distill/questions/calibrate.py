"""Retrieval's figures on the question bank, and the evidence its decisions' thresholds are set from.

    python -m distill.questions.calibrate [--split dev]

Prints recall@1 and recall@2 (a card that answers the question among the first k), by language and for the
questions written the way users type; then, for a range of thresholds, how many of the split's sleep
questions a card would answer and how many of `off_topic.txt`'s questions would wrongly get one: for English
questions (best embedding similarity) and Chinese or mixed ones (best BM25 score), apart for questions that
name something of sleep and those that do not. Its last line is JSON. Each question is ranked without the
questions asked before of its own group (`retrieval.rank`'s `leave_out`): a train question would find itself.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources

from distill import questions as bank
from sleepcot.coach import retrieval
from sleepcot.domain import Language


def off_topic() -> list[str]:
    text = (resources.files("distill") / "questions" / "off_topic.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def recall(questions: list[bank.Question], k: int) -> float:
    found = sum(bool(set(retrieval.rank(q.question, q.group).keys[:k]) & set(q.cards)) for q in questions)
    return round(found / max(1, len(questions)), 3)


def _share(values: list[float], threshold: float) -> float:
    return round(sum(v >= threshold for v in values) / max(1, len(values)), 3)


def calibrate(split: str = "dev") -> dict:
    questions = bank.load(split)
    groups = {
        "all": questions,
        "en": [q for q in questions if q.language is Language.EN],
        "zh": [q for q in questions if q.language is Language.ZH],
        "typed": [q for q in questions if q.typed],
    }
    figures = {f"recall@{k}_{name}": recall(group, k) for name, group in groups.items() for k in (1, 2)}
    sleep = [retrieval.rank(q.question, q.group) for q in questions]
    other = [retrieval.rank(text) for text in off_topic()]
    for names_sleep in (False, True):
        said = "naming" if names_sleep else "not naming"
        pick = [r for r in sleep if r.names_sleep is names_sleep], [r for r in other if r.names_sleep is names_sleep]
        print(f"Questions {said} sleep ({len(pick[0])} sleep, {len(pick[1])} off-topic): share answered, sleep / off-topic")
        en = [[r.best_similarity for r in rows if r.best_similarity is not None] for rows in pick]
        zh = [[r.best_lexical for r in rows if r.best_similarity is None] for rows in pick]
        print("  English, best similarity: " + "  ".join(
            f"{t:.2f}: {_share(en[0], t):.3f}/{_share(en[1], t):.3f}" for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)))
        print("  Chinese or mixed, best BM25: " + "  ".join(
            f"{t}: {_share(zh[0], t):.3f}/{_share(zh[1], t):.3f}" for t in (1, 2, 3, 4, 5, 6, 7, 8)))
    answered = [r.answered for r in sleep]
    figures.update({
        "questions": len(questions),
        "off_topic": len(other),
        "sleep_answered": round(sum(answered) / max(1, len(answered)), 3),
        "off_topic_answered": round(sum(r.answered for r in other) / max(1, len(other)), 3),
        "off_topic_called_sleep": round(sum(retrieval.about_sleep(t) for t in off_topic()) / max(1, len(other)), 3),
        "sleep_called_sleep": round(sum(retrieval.about_sleep(q.question) for q in questions) / max(1, len(questions)), 3),
    })
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=bank.SPLITS)
    print(json.dumps(calibrate(parser.parse_args().split)))


if __name__ == "__main__":
    main()
