"""distill.export: the student leaves training as a GGUF that llama.cpp (and so Ollama) runs the way the HF
model does, plus the Modelfile that serves it, and its LoRA adapter alone as a GGUF adapter. SmolLM2-135M,
loaded from its GGUF into transformers as the distillation loads it, stands in for a merged student: exported
f16 and q8_0, from the source GGUF's metadata and from a Hugging Face directory, then run by llama.cpp for
real and compared token by token. Tiny random llama and Qwen2 models check each architecture's tensor layout
by their logits, for the whole model and for an adapter applied at load time."""

from __future__ import annotations

import json
import os

import gguf
import pytest

from distill.export import QWEN2_SPLIT, deploy_commands, verify_gguf, write_gguf, write_modelfile
from distill.lora import write_lora_gguf
from sleepcot.coach.prompts import SYSTEM
from sleepcot.student.merge import write_merged

QUESTIONS = (
    "How can I fall asleep faster?",
    "I slept 5 h 40 min last night and woke up at 4:30. Why?",
    "What is deep sleep?",
)
# digits, punctuation, a non-ASCII letter and ChatML's special tokens: where tokenizers part ways
TOKENIZER_PROBE = "<|im_start|>user\nSlept 7.5 h (420 min), woke 06:45 — café? 12345<|im_end|>\n"
# Qwen2's tokenizer.json pre-tokenizer (llama.cpp's "qwen2")
QWEN2_PRE_TOKENIZER = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
]}
# One thread for torch and llama.cpp: on a 2-core machine that another job keeps busy, two spinning threads
# made generation 15-100x slower here; one thread is as fast as two on an idle machine for a 135M model.
THREADS = 1


@pytest.fixture(scope="module")
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def smollm2(one_thread):
    """(source GGUF, model, tokenizer): SmolLM2 loaded into transformers from its GGUF as the distillation loads
    it (dequantized once per run into SLEEPCOT_CACHE_DIR, which the toy pipeline's run then reuses)."""
    from distill.config import SMOLLM2, StudentConfig
    from distill.train import load_student
    from sleepcot.coach.llm import LLMUnavailable, smollm2_gguf

    try:
        source = smollm2_gguf()
    except LLMUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the embedded model must be installed in CI: {exc}")
        pytest.skip(str(exc))
    model, tokenizer = load_student(StudentConfig(gguf=SMOLLM2))
    return source, model.eval(), tokenizer


@pytest.fixture(scope="module")
def prompts(smollm2) -> list[str]:
    _, _, tokenizer = smollm2
    return [
        tokenizer.apply_chat_template([{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
                                      tokenize=False, add_generation_prompt=True)
        for question in QUESTIONS
    ]


@pytest.fixture(scope="module")
def exports(smollm2, tmp_path_factory) -> dict:
    source, model, _ = smollm2
    folder = tmp_path_factory.mktemp("gguf")
    return {
        file_type: write_gguf(model, source, folder / f"student-{file_type}.gguf", file_type, name="sleepcot-student")
        for file_type in ("f16", "q8_0")
    }


@pytest.fixture(scope="module")
def readers(smollm2, exports) -> dict[str, gguf.GGUFReader]:
    """The source GGUF and both exports, parsed once (a few seconds each)."""
    return {"source": gguf.GGUFReader(smollm2[0])} | {kind: gguf.GGUFReader(path) for kind, path in exports.items()}


def _field(reader: gguf.GGUFReader, key: str):
    return reader.fields[key].contents()


def _assert_llama_cpp_tokenizes_like_hf(path, tokenizer) -> None:
    from llama_cpp import Llama

    llama = Llama(str(path), vocab_only=True, n_threads=THREADS, verbose=False)
    try:
        ours = llama.tokenize(TOKENIZER_PROBE.encode(), add_bos=False, special=True)
    finally:
        llama.close()
    assert ours == tokenizer(TOKENIZER_PROBE, add_special_tokens=False)["input_ids"]


@pytest.mark.llm
@pytest.mark.parametrize("file_type", ["f16", "q8_0"])
def test_export_keeps_the_tokenizer_and_chat_template_of_the_source(smollm2, exports, readers, file_type):
    _, _, tokenizer = smollm2
    source, exported = readers["source"], readers[file_type]
    for key in ("tokenizer.chat_template", "tokenizer.ggml.tokens", "tokenizer.ggml.merges",
                "tokenizer.ggml.token_type", "tokenizer.ggml.eos_token_id", "llama.rope.freq_base"):
        assert _field(exported, key) == _field(source, key), key
    assert _field(exported, "general.name") == "sleepcot-student"
    assert _field(exported, "general.file_type") == {"f16": 1, "q8_0": 7}[file_type]
    names = {tensor.name for tensor in exported.tensors}
    assert names == {tensor.name for tensor in source.tensors}  # tied lm_head: token_embd only, no output
    _assert_llama_cpp_tokenizes_like_hf(exports[file_type], tokenizer)


@pytest.mark.llm
def test_tensor_types_follow_the_file_type(exports, readers):
    f16, q8_0 = readers["f16"], readers["q8_0"]
    for tensor in f16.tensors:
        expected = "F32" if len(tensor.shape) == 1 else "F16"
        assert tensor.tensor_type.name == expected, tensor.name
    assert {tensor.tensor_type.name for tensor in q8_0.tensors if len(tensor.shape) == 2} == {"Q8_0"}
    assert exports["q8_0"].stat().st_size < 0.6 * exports["f16"].stat().st_size


@pytest.mark.llm
def test_f16_generates_exactly_what_the_hf_model_generates(smollm2, exports, prompts):
    _, model, tokenizer = smollm2
    result = verify_gguf(model, tokenizer, exports["f16"], prompts, n_threads=THREADS)
    assert result == {"prompts": 3, "exact": 3, "agreement": 1.0}


@pytest.mark.llm
def test_q8_0_generates_nearly_what_the_hf_model_generates(smollm2, exports, prompts):
    _, model, tokenizer = smollm2
    result = verify_gguf(model, tokenizer, exports["q8_0"], prompts, n_threads=THREADS)
    assert result["prompts"] == 3
    assert result["agreement"] >= 0.9, result  # measured here: exact on all 3, agreement 1.0


@pytest.mark.llm
def test_export_from_a_hugging_face_directory(smollm2, prompts, tmp_path):
    _, model, tokenizer = smollm2
    folder = tmp_path / "merged"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    path = write_gguf(model, folder, tmp_path / "student.gguf", "f16", name="from-hf")
    reader = gguf.GGUFReader(path)
    assert _field(reader, "tokenizer.chat_template") == tokenizer.chat_template
    assert _field(reader, "tokenizer.ggml.eos_token_id") == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert _field(reader, "llama.block_count") == model.config.num_hidden_layers
    _assert_llama_cpp_tokenizes_like_hf(path, tokenizer)
    result = verify_gguf(model, tokenizer, path, prompts[:2], n_threads=THREADS)
    assert result == {"prompts": 2, "exact": 2, "agreement": 1.0}


def _tiny_model(smollm2, tmp_path, model_type: str):
    """(model, tokenizer, folder with the tokenizer): a tiny random model of `model_type` on SmolLM2's tokenizer
    (Qwen2: with Qwen2's pre-tokenizer), seeded."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path / model_type
    smollm2[2].save_pretrained(folder)
    if model_type == "qwen2":
        tokenizer_json = json.loads((folder / "tokenizer.json").read_text())
        tokenizer_json["pre_tokenizer"] = QWEN2_PRE_TOKENIZER
        (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    config_class, model_class = {"llama": (LlamaConfig, LlamaForCausalLM), "qwen2": (Qwen2Config, Qwen2ForCausalLM)}[
        model_type]
    torch.manual_seed(7)
    model = model_class(config_class(
        vocab_size=len(tokenizer) + 8, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.2,
        tie_word_embeddings=model_type == "llama",
    )).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith(".bias"):
                parameter.normal_(0.0, 0.5)  # initialized to zero: make a misplaced bias visible
    return model, tokenizer, folder


@pytest.mark.llm
@pytest.mark.parametrize("model_type", ["llama", "qwen2"])
def test_each_architecture_reaches_llama_cpp_with_its_own_rope_layout(smollm2, tmp_path, model_type):
    """A tiny random model of each architecture (Qwen2: q/k/v biases, untied output, Qwen2's pre-tokenizer;
    both: a vocabulary padded past the tokenizer's) gives llama.cpp's logits within f16 rounding of HF's.
    Permuting Qwen2's q/k, or not permuting llama's, puts them ~1.4x the largest logit apart."""
    import numpy as np
    import torch
    from llama_cpp import Llama

    model, tokenizer, folder = _tiny_model(smollm2, tmp_path, model_type)
    path = write_gguf(model, folder, tmp_path / f"{model_type}.gguf", "f16", name="tiny")
    _assert_llama_cpp_tokenizes_like_hf(path, tokenizer)

    ids = tokenizer(TOKENIZER_PROBE + "How can I sleep better tonight?", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0].numpy()
    llama = Llama(str(path), n_ctx=128, n_threads=THREADS, n_threads_batch=THREADS, logits_all=True, verbose=False)
    try:
        llama.eval(ids)
        got = np.array(llama.scores[: len(ids)])
    finally:
        llama.close()
    assert np.abs(got - expected).max() < 0.02 * np.abs(expected).max()  # measured: 0.0033
    assert (got.argmax(-1) == expected.argmax(-1)).all()


@pytest.mark.llm
@pytest.mark.parametrize("model_type", ["llama", "qwen2"])
def test_a_lora_adapter_applied_at_load_time_or_merged_gives_the_peft_models_logits(smollm2, tmp_path, model_type):
    """The base model (a tiny random one of each architecture) exported alone, and its peft LoRA adapter (random,
    on every projection) written as a GGUF adapter: llama.cpp with the adapter applied at load time, and the
    base with the adapter merged into it (as the shipped student is served; f16 here, where q8_0's rounding
    would hide a small fault), give the logits of peft's model, not the base's. A B matrix left unpermuted on
    llama's q/k, or A and B swapped, does not."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model

    model, tokenizer, folder = _tiny_model(smollm2, tmp_path, model_type)
    base = write_gguf(model, folder, tmp_path / "base.gguf", "f16", name="tiny")
    torch.manual_seed(11)
    lora = LoraConfig(r=4, lora_alpha=8, init_lora_weights=False, target_modules=[
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    peft_model = get_peft_model(model, lora).eval()
    peft_model.save_pretrained(tmp_path / "adapter")
    adapter = write_lora_gguf(tmp_path / "adapter", model.config, tmp_path / "tiny.lora.gguf", name="tiny")
    reader = gguf.GGUFReader(adapter)
    assert _field(reader, "general.type") == "adapter" and _field(reader, "adapter.type") == "lora"
    assert _field(reader, "adapter.lora.alpha") == 8.0
    assert len(reader.tensors) == 2 * 7 * 2  # A and B of 7 projections in 2 layers

    ids = tokenizer("How can I sleep better tonight?", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        expected = peft_model(torch.tensor([ids])).logits[0].numpy()
        with peft_model.disable_adapter():
            unadapted = peft_model(torch.tensor([ids])).logits[0].numpy()
    merged = write_merged(base, adapter, tmp_path / "merged.f16.gguf", "f16")
    scale = np.abs(expected).max()
    assert np.abs(expected - unadapted).max() > 0.2 * scale  # the adapter matters
    for weights, lora_path in ((base, str(adapter)), (merged, None)):
        llama = Llama(str(weights), lora_path=lora_path, n_ctx=128, n_threads=THREADS, n_threads_batch=THREADS,
                      logits_all=True, verbose=False)
        try:
            llama.eval(ids)
            got = np.array(llama.scores[: len(ids)])
        finally:
            llama.close()
        assert np.abs(got - expected).max() < 0.02 * scale, weights.name  # measured: 0.0017-0.0025


def test_an_adapter_llama_cpp_cannot_apply_is_refused(tmp_path):
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "lora_alpha": 16,
                                                              "use_dora": True}))
    with pytest.raises(ValueError, match="use_dora"):
        write_lora_gguf(tmp_path, None, tmp_path / "x.lora.gguf", name="x")
    assert not (tmp_path / "x.lora.gguf").exists()


@pytest.mark.llm
def test_a_tokenizer_it_cannot_represent_is_refused(smollm2, tmp_path):
    _, model, tokenizer = smollm2
    folder = tmp_path / "odd"
    tokenizer.save_pretrained(folder)
    tokenizer_json = json.loads((folder / "tokenizer.json").read_text())
    tokenizer_json["pre_tokenizer"] = {"type": "Whitespace"}
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json))
    with pytest.raises(ValueError, match="pre-tokenizer"):
        write_gguf(model, folder, tmp_path / "odd.gguf", "f16", name="odd")
    assert not (tmp_path / "odd.gguf").exists()


def test_modelfile_serves_the_gguf_with_chatml_stops_and_the_coach_system_prompt(tmp_path):
    path = tmp_path / "Modelfile"
    text = write_modelfile(path, tmp_path / "sleepcot-student-q8_0.gguf", system=SYSTEM,
                           parameters={"temperature": 0.3, "repeat_penalty": 1.1, "num_ctx": 4096})
    assert path.read_text() == text
    lines = text.splitlines()
    assert lines[0] == "FROM ./sleepcot-student-q8_0.gguf"
    elsewhere = write_modelfile(tmp_path / "modelfiles" / "Modelfile", tmp_path / "runs" / "x.q8_0.gguf",
                                system=SYSTEM, parameters={})
    assert elsewhere.splitlines()[0] == "FROM ../runs/x.q8_0.gguf"  # relative to the Modelfile's folder
    assert 'PARAMETER stop "<|im_end|>"' in lines and 'PARAMETER stop "<|endoftext|>"' in lines
    assert {"PARAMETER temperature 0.3", "PARAMETER repeat_penalty 1.1", "PARAMETER num_ctx 4096"} <= set(lines)
    template = text.split('TEMPLATE """', 1)[1].split('"""', 1)[0]
    assert "<|im_start|>system\n{{ .System }}<|im_end|>\n" in template
    assert "{{- range $i, $m := .Messages }}" in template and "<|im_start|>{{ $m.Role }}\n{{ $m.Content }}" in template
    assert template.count("{{") == template.count("}}")
    assert "<|im_start|>assistant\n" in template
    assert f'SYSTEM """{SYSTEM}"""' in text
    with pytest.raises(ValueError, match="chat template"):
        write_modelfile(path, "x.gguf", system=SYSTEM, chat_template_kind="llama3", parameters={})


def test_deploy_commands_create_run_and_point_sleepcot_at_the_model(tmp_path):
    commands = deploy_commands(tmp_path / "Modelfile", "sleepcot-coach")
    assert commands[0] == f"ollama create sleepcot-coach -f {tmp_path / 'Modelfile'}"
    assert commands[1].startswith("ollama run sleepcot-coach ")
    assert commands[2] == "SLEEPCOT_OLLAMA_MODEL=sleepcot-coach"
