"""The model architectures the export knows, table-driven (`ARCHS`): how a transformers `model_type` becomes a
llama.cpp architecture. They differ only in whether q/k projections are permuted to llama.cpp's rope layout;
the full model's GGUF (export.py) and the LoRA adapter's (lora.py) both follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gguf
import numpy as np


@dataclass(frozen=True)
class Arch:
    """How one transformers `model_type` becomes a llama.cpp architecture."""

    gguf_arch: gguf.MODEL_ARCH
    # llama.cpp's llama arch rotates adjacent pairs while HF's q/k weights rotate halves: permute them.
    # Qwen2 runs NEOX rope in llama.cpp, which is the HF layout already.
    permute_qk: bool

    @property
    def name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.gguf_arch]


ARCHS = {
    "llama": Arch(gguf.MODEL_ARCH.LLAMA, permute_qk=True),
    "qwen2": Arch(gguf.MODEL_ARCH.QWEN2, permute_qk=False),
}


def rope_permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder each head's rows from HF's rotate-halves layout to llama.cpp's interleaved pairs."""
    shape = weights.shape
    return weights.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def arch_for(model_type: str) -> Arch:
    """The export's architecture for a transformers `model_type`; a ValueError names the known ones."""
    if model_type not in ARCHS:
        raise ValueError(f"no GGUF export for model_type {model_type!r}; known: {sorted(ARCHS)}")
    return ARCHS[model_type]
