"""What retrieval learns from the bank's train split: the question map, a linear map that moves an English
question's embedding toward the cards that answer it before retrieval ranks the cards by meaning; and the
questions asked before, whose nearest ones to a new question lend it their cards.

    python -m distill.questions.adapter

all-MiniLM-L6-v2 was trained on general text; asked "do I need to stop drinking before bed" it ranks every
card that talks of drinking alike. A query-side linear adapter (the cards' own vectors stay as they are)
learns from questions people ask which card answers them: a map W, started at the identity and held near it
(an L2 penalty on W - I), trained full-batch with torch's Adam to maximise the softmax probability of the question's
cards among all cards, scored as retrieval scores them (cosine, the best of a card's two vectors). Only
train questions are read (`distill.questions.load("train")`); dev and test questions never reach it.
Chinese questions are not trained on: the model knows English only; retrieval moves their English gloss
(`coach.gloss`) by this same map (a map trained on the glosses too, or on them alone, did no better on dev).

Writes `sleepcot/coach/cards/question_map.npz`: the map, the digest of the card texts it was trained against
(retrieval uses it only with those cards) and the digest of the questions it learned from (a test fails
when the bank's train split changes until this is run again). Deterministic: no random start, no sampling.

Writes `sleepcot/coach/cards/asked.npz`: every train question in both languages, embedded as retrieval reads
it (`retrieval.meaning_text`: an English question itself, a Chinese one's gloss), with the cards that answer it
and its group (the same digests). Ranking by them needs no training; fused into retrieval, it puts a right
card first for 0.76 of dev's questions instead of 0.70 (`python -m distill.questions.calibrate`).
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
    import torch

    questions, wanted = torch.tensor(vectors, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64)
    views = torch.tensor(card_vectors, dtype=torch.float64)
    identity = torch.eye(questions.shape[1], dtype=torch.float64)
    w = identity.clone().requires_grad_()
    optimizer = torch.optim.Adam([w], lr=LEARNING_RATE)
    for _ in range(epochs):
        optimizer.zero_grad()
        mapped = torch.nn.functional.normalize(questions @ w, dim=1)
        similarity = torch.einsum("qd,cvd->qcv", mapped, views).amax(dim=2)  # a card's best view, as retrieval
        log_p = torch.log_softmax(TEMPERATURE * similarity, dim=1)
        loss = -torch.logsumexp(log_p.masked_fill(wanted == 0, float("-inf")), dim=1).mean()  # the cards asked for
        (loss + penalty / 2 * ((w - identity) ** 2).sum()).backward()
        optimizer.step()
    return w.detach().numpy()


def asked_questions() -> list[tuple[str, bank.Question]]:
    """Every train question with English to read, as retrieval reads it."""
    return [(text, q) for q in bank.load("train") if (text := retrieval.meaning_text(q.question)) is not None]


def build() -> list[str]:
    from sleepcot.coach.embedding import encoder

    asked = asked_questions()
    written = meaning.write_asked([text for text, _ in asked], [q.cards for _, q in asked],
                                  [q.group for _, q in asked], questions_digest([q for _, q in asked]))
    questions = training_questions()
    keys = {key: i for i, key in enumerate(cards())}
    labels = np.zeros((len(questions), len(keys)))
    for row, q in enumerate(questions):
        labels[row, [keys[key] for key in q.cards]] = 1
    vectors = encoder().encode([q.question for q in questions])
    w = fit(vectors, labels, meaning.card_vectors())
    return [str(meaning.write_question_map(w, questions_digest(questions))), str(written)]


if __name__ == "__main__":
    print(build())
