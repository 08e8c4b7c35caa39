"""The numpy all-MiniLM-L6-v2 that knowledge retrieval runs on: the same vectors as the model run by
transformers (torch), so retrieval finds by meaning what the published model finds."""

from __future__ import annotations

import numpy as np
import pytest

from sleepcot.coach.embedding import encoder, model_dir

TEXTS = [
    "how long should a nap be",
    "A nap of 10 to 20 minutes, taken before mid-afternoon, refreshes without grogginess.",
    "write a poem about cats",
    "Caffeine has a half-life of about five hours, so much of an afternoon coffee is still active at bedtime. " * 12,
    "HRV是什么意思",
]


def test_vectors_match_the_model_run_by_transformers():
    torch = pytest.importorskip("torch", reason="the reference run needs torch (the dev install has it)")
    transformers = pytest.importorskip("transformers", reason="the reference run needs transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir())
    model = transformers.AutoModel.from_pretrained(model_dir()).eval()
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=128, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    ours = encoder().encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384)
    assert np.abs(ours - expected).max() < 1e-4


def test_a_question_is_closer_to_its_answer_than_to_an_unrelated_text():
    question, answer, unrelated = encoder().encode(TEXTS[:3])
    assert np.isclose(np.linalg.norm(question), 1.0, atol=1e-5)
    assert question @ answer > 0.4 > question @ unrelated
