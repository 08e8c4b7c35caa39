"""The question map: a linear map, learned from the bank's train split, that moves an English question's
embedding toward the cards that answer it, before retrieval ranks the cards by meaning.

    python -m distill.questions.adapter

all-MiniLM-L6-v2 was trained on general text; asked "do I need to stop drinking before bed" it ranks every
card that talks of drinking alike. A query-side linear adapter (the cards' own vectors stay as they are)
learns from questions people ask which card answers them: a map W, started at the identity and held near it
(an L2 penalty on W - I), trained full-batch with Adam to maximise the softmax probability of the question's
cards among all cards, scored as retrieval scores them (cosine, the best of a card's two vectors). Only
train questions are read (`distill.questions.load("train")`); dev and test questions never reach it.
Chinese questions are not mapped: the model knows English only (a map trained on Chinese questions found
the right card for a quarter of dev's).

Writes `sleepcot/coach/cards/question_map.npz`: the map, the digest of the card texts it was trained against
(retrieval uses it only with those cards) and the digest of the questions it learned from (a test fails
when the bank's train split changes until this is run again). Deterministic: no random start, no sampling.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from distill import questions as bank
from sleepcot.coach import meaning, retrieval
from sleepcot.coach.knowledge import cards
from sleepcot.domain import Language

PENALTY = 0.3  # L2 pull toward the identity: chosen on the dev split (0.01-1 tried; smaller ones overfit train)
TEMPERATURE = 20.0  # cosine similarities are scaled by this in the softmax
EPOCHS, LEARNING_RATE = 300, 1e-3


def training_questions() -> list[bank.Question]:
    return [q for q in bank.load("train", language=Language.EN) if retrieval.is_english(q.question)]


def questions_digest(questions: list[bank.Question]) -> str:
    return hashlib.sha256(json.dumps([[q.question, list(q.cards)] for q in questions]).encode()).hexdigest()


def fit(vectors: np.ndarray, labels: np.ndarray, card_vectors: np.ndarray, *, penalty: float = PENALTY,
        epochs: int = EPOCHS) -> np.ndarray:
    """The map W (d x d): questions' embeddings (n x d) @ W rank their cards (labels: n x cards, 1 where the
    card answers the question) first among `card_vectors` (cards x views x d)."""
    d = vectors.shape[1]
    identity = np.eye(d)
    w, first, second = identity.copy(), np.zeros((d, d)), np.zeros((d, d))
    views = [card_vectors[:, v] for v in range(card_vectors.shape[1])]
    for step in range(1, epochs + 1):
        mapped = vectors @ w
        norm = np.linalg.norm(mapped, axis=1, keepdims=True)
        unit = mapped / norm
        per_view = np.stack([unit @ view.T for view in views])  # views x n x cards
        best = per_view.argmax(axis=0)
        logits = TEMPERATURE * per_view.max(axis=0)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        wanted = p * labels
        wanted /= wanted.sum(axis=1, keepdims=True)
        grad_similarity = TEMPERATURE * (p - wanted)  # of -log(the probability of the question's cards)
        grad_unit = sum((grad_similarity * (best == v)) @ view for v, view in enumerate(views))
        grad_mapped = (grad_unit - unit * (grad_unit * unit).sum(axis=1, keepdims=True)) / norm
        grad = vectors.T @ grad_mapped / len(vectors) + penalty * (w - identity)
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad**2
        w -= LEARNING_RATE * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return w


def build() -> str:
    from sleepcot.coach.embedding import encoder

    questions = training_questions()
    keys = {key: i for i, key in enumerate(cards())}
    labels = np.zeros((len(questions), len(keys)))
    for row, q in enumerate(questions):
        labels[row, [keys[key] for key in q.cards]] = 1
    vectors = encoder().encode([q.question for q in questions])
    w = fit(vectors, labels, meaning.card_vectors())
    return str(meaning.write_question_map(w, questions_digest(questions)))


if __name__ == "__main__":
    print(build())
