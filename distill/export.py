"""Stage export, and what it is made of: merge the LoRA adapter into the student, write it as GGUF (f16 or q8_0)
for llama.cpp and Ollama, write the adapter alone as a GGUF LoRA (what `sleepcot distill ship` ships), check
each against the merged Hugging Face model token by token, and write the Ollama Modelfile that serves the
merged GGUF (into modelfiles/), with the commands that deploy it.

The tokenizer and chat template come either from the GGUF the student started from (all its metadata is
copied) or from a Hugging Face model directory (tokenizer.json, tokenizer_config.json, the chat template).
Architectures come from archs.py; bias tensors (Qwen2's q/k/v) map like any other tensor.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import gguf
import numpy as np

from distill.archs import Arch, arch_for, rope_permute
from distill.lora import write_lora_gguf
from distill.run import RunDir
from distill.teach import EXAMPLES_FILE
from sleepcot.coach.llm import REPEAT_PENALTY
from sleepcot.student.merge import FILE_KEYS, encode_tensor, gguf_metadata

LORA_SUFFIX = ".lora.gguf"  # the adapter beside the merged GGUFs: <name>.lora.gguf
MODELFILES = "modelfiles"  # where the Modelfile goes, relative to the working directory (the repository)
FILE_TYPES = {"f16": gguf.LlamaFileType.MOSTLY_F16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}


QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# llama.cpp's pre-tokenizer name for each tokenizer.json pre-tokenizer pipeline (see `_pre_tokenizer_step`).
PRE_TOKENIZERS = {
    ("ByteLevel(gpt2 regex)",): "gpt-2",
    ("Digits(individual)", "ByteLevel(gpt2 regex)"): "smollm",
    (f"Split({QWEN2_SPLIT})", "ByteLevel"): "qwen2",
}

CHAT_TEMPLATES = {
    # ChatML in Ollama's Go template. Ollama hands system messages both joined in .System and inside .Messages,
    # so the range skips them; a final assistant message is a prefill and stays open for the model to continue.
    "chatml": (
        "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
        "{{- range $i, $m := .Messages }}"
        "{{- $last := eq (len (slice $.Messages $i)) 1 }}"
        "{{- if ne $m.Role \"system\" }}<|im_start|>{{ $m.Role }}\n{{ $m.Content }}"
        "{{- if not (and $last (eq $m.Role \"assistant\")) }}<|im_end|>\n{{ end }}"
        "{{- end }}"
        "{{- if and $last (ne $m.Role \"assistant\") }}<|im_start|>assistant\n{{ end }}"
        "{{- end }}",
        ("<|im_end|>", "<|endoftext|>"),
    ),
}


def write_gguf(model, tokenizer_source: Path, out_path: Path, file_type: str, *, name: str) -> Path:
    """Write `model` (a merged transformers causal LM) as a GGUF of `file_type` ("f16" or "q8_0").

    `tokenizer_source` is the GGUF the model came from (its metadata is copied) or a Hugging Face model
    directory (tokenizer and chat template read from its files, hyper-parameters from the model's config)."""
    if file_type not in FILE_TYPES:
        raise ValueError(f"file_type must be one of {sorted(FILE_TYPES)}, not {file_type!r}")
    arch = arch_for(model.config.model_type)
    tokenizer_source, out_path = Path(tokenizer_source), Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(out_path, arch.name)
    writer.add_name(name)
    writer.add_file_type(FILE_TYPES[file_type])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    if tokenizer_source.is_dir():
        _add_hf_config(writer, model.config)
        _add_hf_tokenizer(writer, tokenizer_source, model.config.vocab_size)
    else:
        _copy_gguf_metadata(writer, tokenizer_source, arch, model.config.vocab_size)
    for tensor_name, data in _gguf_tensors(model, arch):
        encoded, qtype = encode_tensor(data, file_type)
        writer.add_tensor(tensor_name, encoded, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


def _copy_gguf_metadata(writer: gguf.GGUFWriter, source: Path, arch: Arch, n_vocab: int) -> None:
    metadata = gguf_metadata(source, source.stat().st_mtime_ns)
    source_arch = metadata[gguf.Keys.General.ARCHITECTURE][0]
    if source_arch != arch.name:
        raise ValueError(f"{source.name} is a {source_arch!r} model, the model to export is {arch.name!r}")
    n_tokens = len(metadata[gguf.Keys.Tokenizer.LIST][0])
    if n_tokens != n_vocab:
        raise ValueError(f"{source.name} has {n_tokens} tokens, the model's vocabulary has {n_vocab}")
    for key, (value, value_type, sub_type) in metadata.items():
        if key not in FILE_KEYS:
            writer.add_key_value(key, value, value_type, sub_type)


def _add_hf_config(writer: gguf.GGUFWriter, config) -> None:
    rope = getattr(config, "rope_parameters", None) or {}
    rope_type = rope.get("rope_type", "default")
    if rope_type != "default":
        raise ValueError(f"rope scaling {rope_type!r} is not supported by this export")
    if getattr(config, "use_sliding_window", False):
        raise ValueError("sliding-window attention is not supported by this export")
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0)))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)


def _add_hf_tokenizer(writer: gguf.GGUFWriter, folder: Path, n_vocab: int) -> None:
    """A GPT-2 style byte-level BPE tokenizer from tokenizer.json, padded to the model's vocabulary size."""
    tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    bpe, decoder = tokenizer.get("model") or {}, tokenizer.get("decoder") or {}
    if bpe.get("type") != "BPE" or bpe.get("byte_fallback") or decoder.get("type") != "ByteLevel":
        raise ValueError(f"{folder}: only byte-level BPE tokenizers (GPT-2 style) can be exported")
    tokens = [f"[PAD{token_id}]" for token_id in range(n_vocab)]
    token_types = [gguf.TokenType.UNUSED] * n_vocab
    for text, token_id in bpe["vocab"].items():
        tokens[token_id], token_types[token_id] = text, gguf.TokenType.NORMAL
    for added in tokenizer.get("added_tokens", []):
        tokens[added["id"]] = added["content"]
        token_types[added["id"]] = gguf.TokenType.CONTROL if added["special"] else gguf.TokenType.USER_DEFINED
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer(tokenizer, folder))
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    special = gguf.SpecialVocab(folder, load_merges=True, n_vocab=n_vocab)
    # a tokenizer.json tokenizer adds BOS only when its post-processor says so, which SpecialVocab reads
    special.add_special_token.setdefault("bos", False)
    special.add_to_gguf(writer, quiet=True)


def _pre_tokenizer(tokenizer: dict, folder: Path) -> str:
    pre = tokenizer.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    signature = tuple(_pre_tokenizer_step(step) for step in steps)
    if signature not in PRE_TOKENIZERS:
        raise ValueError(f"{folder}: unknown pre-tokenizer {signature}; known: {sorted(PRE_TOKENIZERS.values())}")
    return PRE_TOKENIZERS[signature]


def _pre_tokenizer_step(step: dict) -> str:
    kind = step.get("type", "none")
    if kind == "ByteLevel":
        return "ByteLevel(gpt2 regex)" if step.get("use_regex", True) else "ByteLevel"
    if kind == "Digits":
        return "Digits(individual)" if step.get("individual_digits") else "Digits"
    if kind == "Split":
        return f"Split({(step.get('pattern') or {}).get('Regex')})"
    return kind


def _gguf_tensors(model, arch: Arch) -> Iterator[tuple[str, np.ndarray]]:
    """(GGUF name, float32 array in HF layout) for every parameter. A tied lm_head is the embedding's own
    parameter, so named_parameters lists it once (as token_embd) and llama.cpp reuses it for the output."""
    config = model.config
    names = gguf.get_tensor_name_map(arch.gguf_arch, config.num_hidden_layers)
    heads = {"q_proj": config.num_attention_heads, "k_proj": config.num_key_value_heads}
    for hf_name, parameter in model.named_parameters():
        gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ValueError(f"no GGUF tensor name for {hf_name!r} in the {arch.name} architecture")
        data = parameter.detach().to("cpu").float().numpy()
        projection = hf_name.rsplit(".", 2)[-2]
        if arch.permute_qk and projection in heads:
            data = rope_permute(data, heads[projection])
        yield gguf_name, data


def verify_gguf(model, tokenizer, gguf_path: Path, prompts: list[str], *, max_new_tokens: int = 24,
                n_threads: int | None = None, lora_path: Path | None = None) -> dict:
    """Greedy-generate from each rendered prompt with the HF model and with llama.cpp on the same token ids.
    `n_threads` is llama.cpp's (None: its default); torch uses its own setting. With `lora_path`, llama.cpp
    runs `gguf_path` (the base) with that LoRA adapter applied at load time.

    Returns {"prompts": n, "exact": how many continuations are identical, "agreement": the mean fraction of
    the HF tokens matched position by position up to the first divergence}."""
    import torch
    from llama_cpp import Llama

    stop_ids = _stop_ids(model, tokenizer)
    pad_id = min(stop_ids) if tokenizer.pad_token_id is None else tokenizer.pad_token_id
    prompt_ids = [tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in prompts]
    hf_outputs = []
    with torch.no_grad():
        for ids in prompt_ids:
            output = model.generate(
                torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                max_new_tokens=max_new_tokens, do_sample=False, repetition_penalty=1.0,
                eos_token_id=sorted(stop_ids), pad_token_id=pad_id,
            )
            hf_outputs.append(output[0, len(ids):].tolist())
    llama = Llama(str(gguf_path), n_ctx=max(map(len, prompt_ids)) + max_new_tokens + 8, n_threads=n_threads,
                  n_threads_batch=n_threads, logits_all=False, verbose=False,
                  lora_path=str(lora_path) if lora_path else None)
    try:
        gguf_outputs = [_llama_greedy(llama, ids, max_new_tokens, stop_ids) for ids in prompt_ids]
    finally:
        llama.close()
    matched = [_common_prefix(hf, ours) / max(len(hf), 1) for hf, ours in zip(hf_outputs, gguf_outputs)]
    return {
        "prompts": len(prompts),
        "exact": sum(hf == ours for hf, ours in zip(hf_outputs, gguf_outputs)),
        "agreement": sum(matched) / max(len(matched), 1),
    }


def _stop_ids(model, tokenizer) -> set[int]:
    configured = getattr(model.generation_config, "eos_token_id", None)
    if configured is None:
        configured = tokenizer.eos_token_id
    return set(configured) if isinstance(configured, list) else {configured}


def _llama_greedy(llama, prompt_ids: list[int], max_new_tokens: int, stop_ids: set[int]) -> list[int]:
    llama.reset()  # every prompt from an empty cache, as on the HF side
    generated: list[int] = []
    for token in llama.generate(prompt_ids, temp=0.0, repeat_penalty=1.0):
        generated.append(token)
        if token in stop_ids or len(generated) == max_new_tokens:
            break
    return generated


def _common_prefix(first: list[int], second: list[int]) -> int:
    length = 0
    for a, b in zip(first, second):
        if a != b:
            break
        length += 1
    return length


def write_modelfile(path: Path, gguf_path: Path, *, system: str, chat_template_kind: str = "chatml",
                    parameters: dict) -> str:
    """Write the Ollama Modelfile that serves `gguf_path` and return its text. FROM names the GGUF relative to
    the Modelfile's folder, which is where Ollama resolves a relative FROM."""
    if chat_template_kind not in CHAT_TEMPLATES:
        raise ValueError(f"unknown chat template {chat_template_kind!r}; known: {sorted(CHAT_TEMPLATES)}")
    if '"""' in system:
        raise ValueError('the system prompt cannot contain """ (it ends a Modelfile block)')
    template, stops = CHAT_TEMPLATES[chat_template_kind]
    relative = os.path.relpath(Path(gguf_path).resolve(), Path(path).resolve().parent)
    source = relative if relative.startswith("..") else f"./{relative}"
    lines = [f"FROM {source}", f'TEMPLATE """{template}"""']
    lines += [f'PARAMETER stop "{stop}"' for stop in stops]
    lines += [f"PARAMETER {key} {value}" for key, value in parameters.items()]
    lines.append(f'SYSTEM """{system}"""')
    text = "\n".join(lines) + "\n"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return text


def deploy_commands(modelfile: Path, name: str) -> list[str]:
    """The shell commands that load the Modelfile into Ollama, try it, and point SleepCoT at it."""
    return [
        f"ollama create {shlex.quote(name)} -f {shlex.quote(str(modelfile))}",
        f"ollama run {shlex.quote(name)} {shlex.quote('How can I fall asleep faster?')}",
        f"SLEEPCOT_OLLAMA_MODEL={shlex.quote(name)}",
    ]


def export(run: RunDir) -> dict:
    """Stage export: merge the adapter into the base student, write each GGUF type and the GGUF LoRA adapter,
    check them against the merged model on prompts from the training set (the adapter on the base GGUF, when
    the student came from one), write the Modelfile into modelfiles/, and (tiny recipe) install the q8_0 GGUF
    where the embedded backend looks for a distilled model."""
    run.require("train")
    from peft import PeftModel

    from distill.train import ADAPTER, load_student, student_source
    from sleepcot.coach.llm import DISTILLED_GGUF
    from sleepcot.coach.prompts import SYSTEM
    from sleepcot.config import Settings

    started = time.perf_counter()
    config = run.config.export
    folder = run.path("export")
    base, tokenizer = load_student(run.config.student)
    model = PeftModel.from_pretrained(base, run.path("train") / ADAPTER).merge_and_unload()
    model.eval()
    examples = [json.loads(line)["messages"] for line in
                (run.path("teach") / EXAMPLES_FILE).read_text(encoding="utf-8").splitlines()[: config.verify_prompts]]
    prompts = [tokenizer.apply_chat_template(m[:-1], tokenize=False, add_generation_prompt=True) for m in examples]
    source = student_source(run.config.student)
    written, verify = [], {}
    for file_type in config.types:
        path = write_gguf(model, source, folder / f"{config.name}.{file_type}.gguf", file_type, name=config.name)
        verify[file_type] = verify_gguf(model, tokenizer, path, prompts, max_new_tokens=config.verify_tokens)
        written.append(path)
    adapter = write_lora_gguf(run.path("train") / ADAPTER, model.config, folder / f"{config.name}{LORA_SUFFIX}",
                              name=config.name)
    if source.is_file():  # the base is a GGUF: llama.cpp runs it with the adapter, as the embedded backend does
        verify["lora"] = verify_gguf(model, tokenizer, source, prompts, max_new_tokens=config.verify_tokens,
                                     lora_path=adapter)
    served = next((p for p in written if p.name.endswith(".q8_0.gguf")), written[-1])
    modelfile = Path(MODELFILES) / f"{config.name}.Modelfile"
    write_modelfile(modelfile, served, system=SYSTEM,
                    parameters={"temperature": 0.3, "repeat_penalty": REPEAT_PENALTY, "num_ctx": config.num_ctx})
    deploy = deploy_commands(modelfile, config.name)
    if config.install:
        installed = Settings().data_dir / DISTILLED_GGUF
        installed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(served, installed)
        deploy.append(f"# installed for the embedded backend: {installed}")
    counts = {"ggufs": len(written), "bytes": {p.name: p.stat().st_size for p in [*written, adapter]}}
    return run.record("export", started=started, counts=counts, metrics={"verify": verify, "deploy": deploy},
                      artifacts=[str(p) for p in [*written, adapter]] + [str(modelfile)])
