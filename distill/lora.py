"""The LoRA adapter as a GGUF file that llama.cpp applies to the base model at load time (llama-cpp-python's
`lora_path`), so a distilled student ships as a few MB on top of the base GGUF instead of a whole model.

llama.cpp reads `general.type = adapter`, `adapter.type = lora` and `adapter.lora.alpha` (it scales each
update by alpha / rank, as peft does), and for every adapted weight a pair of tensors named after it:
`<weight>.lora_a` (rank x in) and `<weight>.lora_b` (out x rank). Where the full export permutes q/k rows to
llama.cpp's rope layout, the adapter's B (whose rows are the weight's rows) is permuted the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np

from distill.archs import arch_for, rope_permute

ADAPTER_CONFIG, ADAPTER_WEIGHTS = "adapter_config.json", "adapter_model.safetensors"  # what peft saves
PEFT_PREFIX = "base_model.model."
PARTS = {".lora_A.weight": "lora_a", ".lora_B.weight": "lora_b"}
# peft options whose update is not alpha / rank * B @ A on the listed weights: llama.cpp cannot apply them
UNSUPPORTED = ("use_rslora", "use_dora", "rank_pattern", "alpha_pattern", "modules_to_save", "lora_bias")


def write_lora_gguf(adapter_dir: Path, model_config, out_path: Path, *, name: str) -> Path:
    """Write the peft adapter in `adapter_dir`, trained on a model with `model_config` (its transformers
    config), as a GGUF LoRA adapter (F16 tensors) at `out_path`."""
    from safetensors.numpy import load_file

    adapter_dir, out_path = Path(adapter_dir), Path(out_path)
    peft_config = json.loads((adapter_dir / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    if peft_config.get("peft_type") != "LORA":
        raise ValueError(f"{adapter_dir}: a {peft_config.get('peft_type')!r} adapter, not LoRA")
    if used := [option for option in UNSUPPORTED if peft_config.get(option)]:
        raise ValueError(f"{adapter_dir}: llama.cpp cannot apply a LoRA adapter trained with {', '.join(used)}")
    arch = arch_for(model_config.model_type)
    names = gguf.get_tensor_name_map(arch.gguf_arch, model_config.num_hidden_layers)
    heads = {"q_proj": model_config.num_attention_heads, "k_proj": model_config.num_key_value_heads}
    tensors = load_file(adapter_dir / ADAPTER_WEIGHTS)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(out_path, arch.name)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(name)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(peft_config["lora_alpha"]))
    for key in sorted(tensors):
        weight, part = _weight_and_part(key)
        gguf_name = names.get_name(weight, try_suffixes=(".weight",))
        if gguf_name is None:
            raise ValueError(f"no GGUF tensor name for {weight!r} in the {arch.name} architecture")
        data = tensors[key].astype(np.float32)
        projection = weight.rsplit(".", 2)[-2]
        if part == "lora_b" and arch.permute_qk and projection in heads:
            data = rope_permute(data, heads[projection])
        writer.add_tensor(f"{gguf_name}.{part}", data.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


def _weight_and_part(key: str) -> tuple[str, str]:
    """("model.layers.0.self_attn.q_proj.weight", "lora_a") for peft's
    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"."""
    for suffix, part in PARTS.items():
        if key.startswith(PEFT_PREFIX) and key.endswith(suffix):
            return key.removeprefix(PEFT_PREFIX).removesuffix(suffix) + ".weight", part
    raise ValueError(f"unexpected tensor {key!r} in a LoRA adapter")
