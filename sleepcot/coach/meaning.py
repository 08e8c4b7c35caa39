"""What the cards and an English question mean to retrieval: their all-MiniLM-L6-v2 sentence embeddings
(`coach.embedding`), and the question map learned from the question bank.

The cards' vectors ship in `cards/embeddings.npz`; `python -m sleepcot.coach.meaning` rebuilds it after
the cards change (a test fails until it is rebuilt, and a stale file is never used). The question map ships in
`cards/question_map.npz`; `python -m distill.questions.adapter` learns it from the bank's train split (used
only with the cards it was learned against).
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from sleepcot.coach.knowledge import cards
from sleepcot.domain import Language

log = logging.getLogger(__name__)

EMBEDDINGS = "embeddings.npz"
QUESTION_MAP = "question_map.npz"


def _shipped(name: str) -> Path:
    return Path(str(resources.files("sleepcot.coach") / "cards" / name))


def shipped(name: str) -> dict[str, np.ndarray] | None:
    """The arrays of a shipped file (EMBEDDINGS, QUESTION_MAP), if it is there."""
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


if __name__ == "__main__":
    print(build_embeddings())
