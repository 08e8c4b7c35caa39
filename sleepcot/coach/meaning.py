"""What the cards and an English question mean to retrieval: their all-MiniLM-L6-v2 sentence embeddings
(`coach.embedding`), and what the question bank's train split teaches: the question map, and the questions
asked before with the cards that answer them.

The cards' vectors ship in `cards/embeddings.npz`; `python -m sleepcot.coach.meaning` rebuilds it after
the cards change (a test fails until it is rebuilt, and a stale file is never used). The question map ships in
`cards/question_map.npz` and the asked questions in `cards/asked.npz`; `python -m distill.questions.adapter`
makes both from the bank's train split (each used only with the cards it was made against).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from sleepcot.coach.knowledge import cards
from sleepcot.domain import Language

log = logging.getLogger(__name__)

EMBEDDINGS = "embeddings.npz"
QUESTION_MAP = "question_map.npz"
ASKED = "asked.npz"


def _shipped(name: str) -> Path:
    return Path(str(resources.files("sleepcot.coach") / "cards" / name))


def shipped(name: str) -> dict[str, np.ndarray] | None:
    """The arrays of a shipped file (EMBEDDINGS, QUESTION_MAP, ASKED), if it is there."""
    try:
        with np.load(_shipped(name)) as arrays:
            return dict(arrays)
    except OSError:
        return None


def embedded_texts() -> list[str]:
    """What each card is embedded as: its English title, answer and text, then its title and keywords."""
    out = []
    for views in cards().values():
        en = views[Language.EN]
        out += [f"{en.title}. {en.answer} {en.text}", f"{en.title}: {en.keywords}"]
    return out


def cards_digest() -> str:
    """Today's cards, as the vectors and the question map were made from them."""
    return hashlib.sha256("\n".join(embedded_texts()).encode()).hexdigest()


def build_embeddings(path: Path | None = None) -> Path:
    """Embed every card and write the file retrieval reads."""
    from sleepcot.coach.embedding import encoder

    path = path or _shipped(EMBEDDINGS)
    np.savez_compressed(path, vectors=encoder().encode(embedded_texts()).astype(np.float16), digest=cards_digest())
    return path


def shipped_embeddings() -> np.ndarray | None:
    """(cards, 2, 384): the shipped vectors, when they were made from today's cards."""
    arrays = shipped(EMBEDDINGS)
    if arrays is None or str(arrays["digest"]) != cards_digest():
        return None
    return arrays["vectors"].astype(np.float32).reshape(len(cards()), 2, -1)


@cache
def card_vectors() -> np.ndarray:
    """The shipped vectors, or (stale ones are never used) the cards embedded now."""
    vectors = shipped_embeddings()
    if vectors is not None:
        return vectors
    log.warning("the cards' embeddings are stale: embedding %d cards now (rebuild with python -m %s)",
                len(cards()), __name__)
    from sleepcot.coach.embedding import encoder

    return encoder().encode(embedded_texts()).reshape(len(cards()), 2, -1)


def question_vector(question: str) -> np.ndarray:
    from sleepcot.coach.embedding import encoder

    return encoder().encode([question])[0]


def write_question_map(w: np.ndarray, trained_on: str) -> Path:
    """Ship the question map `distill.questions.adapter` learned (`trained_on`: the digest of its questions)."""
    path = _shipped(QUESTION_MAP)
    np.savez_compressed(path, map=w.astype(np.float16), cards=cards_digest(), trained_on=trained_on)
    return path


@cache
def question_map() -> np.ndarray | None:
    """The map that moves an English question's embedding toward the cards that answer it, when it was
    learned against today's cards; None: retrieval ranks by the plain embedding."""
    arrays = shipped(QUESTION_MAP)  # the map, and the digests of the cards and questions it was learned from
    if arrays is None or str(arrays["cards"]) != cards_digest():
        log.warning("no question map for today's cards: ranking by plain embeddings (rebuild with "
                    "python -m distill.questions.adapter)")
        return None
    return arrays["map"].astype(np.float32)


def mapped(vector: np.ndarray) -> np.ndarray:
    """A question's vector moved by the question map, as a unit vector (the vector itself without a map)."""
    if (w := question_map()) is None:
        return vector
    moved = vector @ w
    return moved / np.linalg.norm(moved)


@dataclass(frozen=True)
class Asked:
    """The questions asked before: each one's vector, the places of the cards that answer it, and its group in
    the question bank (a question and its translation share one)."""

    vectors: np.ndarray
    answered_by: list[list[int]]
    groups: np.ndarray


def write_asked(texts: list[str], answered_by: list[tuple[str, ...]], groups: list[str], trained_on: str) -> Path:
    """Ship the questions asked before (`texts`: what each was embedded as, an English question or a Chinese
    one's gloss) with the cards that answer each and their groups (`trained_on`: the digest of the questions)."""
    from sleepcot.coach.embedding import encoder

    path = _shipped(ASKED)
    np.savez_compressed(path, vectors=encoder().encode(texts).astype(np.float16), texts=np.array(texts),
                        answered_by=np.array([" ".join(keys) for keys in answered_by]), groups=np.array(groups),
                        cards=cards_digest(), trained_on=trained_on)
    return path


@cache
def asked() -> Asked | None:
    """The questions asked before, made against today's cards; None: retrieval ranks without them."""
    arrays = shipped(ASKED)
    if arrays is None or str(arrays["cards"]) != cards_digest():
        log.warning("no asked questions for today's cards: ranking without them (rebuild with "
                    "python -m distill.questions.adapter)")
        return None
    place = {key: i for i, key in enumerate(cards())}
    return Asked(arrays["vectors"].astype(np.float32),
                 [[place[key] for key in str(keys).split()] for keys in arrays["answered_by"]], arrays["groups"])


if __name__ == "__main__":
    print(build_embeddings())
