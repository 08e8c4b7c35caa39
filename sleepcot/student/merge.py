"""The shipped student merged into its base once: the base GGUF's weights plus the adapter's update
(alpha / rank * B @ A on each adapted weight), written as a q8_0 GGUF into a cache folder and reused for as
long as the base and the adapter stay the same (the file's name carries both their fingerprints).

Why merge rather than let llama.cpp apply the adapter at every token (`lora_path`, the fallback when the cache
cannot be written): the merged file is, to within rounding, the q8_0 GGUF that `sleepcot distill export`
writes from the trained model, the one the scoreboard measures; and it runs at the base model's speed, where
the adapter applied at run time costs about 1.2x. Merging takes a few seconds on 2 cores, once.

The GGUF helpers here (metadata copied from a source GGUF, tensors encoded as q8_0 or f16) are the ones
`distill export` writes its GGUFs with.
"""

from __future__ import annotations

import logging
import os
import time
from functools import lru_cache
from pathlib import Path

import gguf
import numpy as np

from sleepcot.student import sha256_of

log = logging.getLogger(__name__)

MERGED_SUFFIX = ".q8_0.gguf"
# Keys of a source GGUF that describe the old file rather than the model: a writer sets them anew.
FILE_KEYS = frozenset({gguf.Keys.General.ARCHITECTURE, gguf.Keys.General.NAME, gguf.Keys.General.FILE_TYPE,
                       gguf.Keys.General.QUANTIZATION_VERSION, gguf.Keys.General.ALIGNMENT})
Q8_0_BLOCK = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0][0]


def merged_student(base: Path, adapter: Path, cache_dir: Path) -> Path | None:
    """The q8_0 GGUF of `base` with `adapter` merged in, from `cache_dir` or made there now; None (said in the
    log) when it cannot be made, e.g. the folder is read-only or the adapter does not fit the base."""
    base, adapter, cache_dir = Path(base), Path(adapter), Path(cache_dir)
    prefix = f"{base.stem}+{adapter.name.removesuffix('.gguf')}-"  # then the adapter's hash and the base's size
    try:
        merged = cache_dir / f"{prefix}{sha256_of(adapter)[:12]}-{base.stat().st_size}{MERGED_SUFFIX}"
        if merged.is_file():
            return merged
        cache_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        partial = merged.with_name(f"{merged.name}.{os.getpid()}.part")  # workers merging at once each write their own
        try:
            write_merged(base, adapter, partial)
            os.replace(partial, merged)
        finally:
            partial.unlink(missing_ok=True)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("could not merge %s into %s in %s (%s): llama.cpp applies it at load time instead",
                    adapter.name, base.name, cache_dir, exc)
        return None
    log.info("merged the student %s into %s once, in %.1f s: %s", adapter.name, base.name,
             time.perf_counter() - started, merged)
    for stale in cache_dir.glob(f"{prefix}*{MERGED_SUFFIX}"):
        if stale != merged:  # an older adapter's merge
            stale.unlink(missing_ok=True)
    return merged


def write_merged(base: Path, adapter: Path, out_path: Path, file_type: str = "q8_0") -> Path:
    """Write `base` (a GGUF model) with the GGUF LoRA `adapter` merged into its weights at `out_path`, as
    `file_type` ("q8_0" or "f16": see encode_tensor)."""
    lora = gguf.GGUFReader(adapter)
    if _value(lora, gguf.Keys.General.TYPE) != gguf.GGUFType.ADAPTER or _value(lora, gguf.Keys.Adapter.TYPE) != "lora":
        raise ValueError(f"{adapter.name} is not a GGUF LoRA adapter")
    alpha = float(_value(lora, gguf.Keys.Adapter.LORA_ALPHA))
    pairs = {tensor.name: tensor.data for tensor in lora.tensors}
    model = gguf.GGUFReader(base)
    metadata = metadata_of(model, base.name)
    if metadata[gguf.Keys.General.ARCHITECTURE][0] != _value(lora, gguf.Keys.General.ARCHITECTURE):
        raise ValueError(f"{adapter.name} is for another architecture than {base.name}")
    writer = gguf.GGUFWriter(out_path, metadata[gguf.Keys.General.ARCHITECTURE][0])
    writer.add_name(f"{metadata.get(gguf.Keys.General.NAME, (base.stem,))[0]} + {adapter.name}")
    writer.add_file_type({"q8_0": gguf.LlamaFileType.MOSTLY_Q8_0, "f16": gguf.LlamaFileType.MOSTLY_F16}[file_type])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for key, (value, value_type, sub_type) in metadata.items():
        if key not in FILE_KEYS:
            writer.add_key_value(key, value, value_type, sub_type)
    merged = 0
    for tensor in model.tensors:
        data = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        lora_a, lora_b = pairs.get(f"{tensor.name}.lora_a"), pairs.get(f"{tensor.name}.lora_b")
        if lora_a is not None and lora_b is not None:
            update = lora_b.astype(np.float32) @ lora_a.astype(np.float32)
            if update.shape != data.shape:
                raise ValueError(f"{adapter.name}: {tensor.name} is {update.shape} in the adapter, {data.shape} in the base")
            data = data + (alpha / lora_a.shape[0]) * update
            merged += 1
        encoded, qtype = encode_tensor(data, file_type)
        writer.add_tensor(tensor.name, encoded, raw_dtype=qtype)
    if merged * 2 != len(pairs):
        raise ValueError(f"{adapter.name} adapts {len(pairs) // 2} weights, {base.name} has {merged} of them")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


@lru_cache(maxsize=2)
def gguf_metadata(source: Path, mtime_ns: int) -> dict[str, tuple]:
    """key -> (value, type, array item type) of a GGUF's metadata. Parsing takes seconds (a vocabulary is
    ~100k strings), so writing several GGUFs from one source parses it once."""
    return metadata_of(gguf.GGUFReader(source), source.name)


def metadata_of(reader: gguf.GGUFReader, name: str) -> dict[str, tuple]:
    """key -> (value, type, array item type) of the metadata of the GGUF `reader` read (`name`: its file)."""
    metadata = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):  # the header, not metadata
            continue
        value_type = field.types[0]
        if value_type == gguf.GGUFValueType.ARRAY and len(field.types) != 2:
            raise ValueError(f"{name}: nested array {key!r} is not supported")
        sub_type = field.types[1] if value_type == gguf.GGUFValueType.ARRAY else None
        metadata[key] = (field.contents(), value_type, sub_type)
    return metadata


def encode_tensor(data: np.ndarray, file_type: str) -> tuple[np.ndarray, gguf.GGMLQuantizationType]:
    """Norms and biases stay F32; matrices become F16, or Q8_0 (`file_type` "q8_0") where their rows split
    into whole blocks."""
    if data.ndim == 1:
        return data.astype(np.float32), gguf.GGMLQuantizationType.F32
    if file_type == "q8_0" and data.shape[-1] % Q8_0_BLOCK == 0:
        return gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0), gguf.GGMLQuantizationType.Q8_0
    return data.astype(np.float16), gguf.GGMLQuantizationType.F16


def _value(reader, key: str):
    field = reader.fields.get(key)
    if field is None:
        raise ValueError(f"{key} is missing")
    return field.contents()
