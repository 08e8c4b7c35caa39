"""Stage train: LoRA supervised fine-tuning of the student on the teacher's examples (peft + the transformers
Trainer). Each chat is rendered with the student's own chat template; the loss is on the assistant's answer
(and its end-of-turn token) only, never on the prompt. The prompts themselves were rendered by the coach's
prompt module, the same that serving uses, so the student learns exactly the turns it will be given.

The student loads from a GGUF (the tiny recipe: dequantized once, then cached as safetensors in
SLEEPCOT_CACHE_DIR/students, shared by every run) or from a Hugging Face directory (the Qwen2.5-1.5B recipe).
Checkpoints go to `train/checkpoints`; an interrupted run resumes from the last one. The adapter ends in
`train/adapter`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from distill.config import SMOLLM2, StudentConfig, TrainConfig
from distill.run import RunDir
from distill.teach import EXAMPLES_FILE

IGNORE = -100  # label of a token the loss skips
CHECKPOINTS, ADAPTER = "checkpoints", "adapter"


def student_source(student: StudentConfig) -> Path:
    """The GGUF file or Hugging Face directory the student comes from."""
    if student.gguf == SMOLLM2:
        from sleepcot.coach.llm import smollm2_gguf

        return smollm2_gguf()
    path = Path(student.gguf or student.path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"the student model {path} does not exist (nothing is downloaded: copy it here)")
    return path


def load_student(student: StudentConfig, dtype: str = "float32"):
    """(model, tokenizer) of the base student. A GGUF is dequantized once (~25 s for SmolLM2-135M) and cached as
    safetensors in SLEEPCOT_CACHE_DIR/students/<file>-<bytes>, which every later run loads in a second or two."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    from sleepcot.config import Settings

    torch_dtype = getattr(torch, dtype)
    source = student_source(student)
    if not source.is_file():  # a Hugging Face directory
        return AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype), AutoTokenizer.from_pretrained(source)
    cache = Settings().cache_dir / "students" / f"{source.name}-{source.stat().st_size}"
    if cache.is_dir():
        return AutoModelForCausalLM.from_pretrained(cache, dtype=torch_dtype), AutoTokenizer.from_pretrained(cache)
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch_dtype,
                                                 quantization_config=GgufConfig(dequantize=True))
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.part")  # renamed whole: never a half-written cache
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    try:
        partial.rename(cache)
    except OSError:  # another process cached it first
        shutil.rmtree(partial, ignore_errors=True)
    return model, tokenizer


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]


def encode(tokenizer, messages: list[dict[str, str]], max_length: int) -> Encoded | None:
    """The chat as token ids, with labels only on the final assistant turn; None when it does not fit."""
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the chat template does not render the prompt as a prefix of the whole chat")
    answer = full[len(prompt):].rstrip("\n")  # the answer and its end-of-turn token
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    if len(prompt_ids) + len(answer_ids) > max_length:
        return None
    return Encoded(prompt_ids + answer_ids, [IGNORE] * len(prompt_ids) + answer_ids)


def load_examples(run: RunDir, tokenizer, max_length: int) -> tuple[list[Encoded], int]:
    """The teach stage's examples encoded, and how many were too long to train on."""
    encoded, too_long = [], 0
    for line in (run.path("teach") / EXAMPLES_FILE).read_text(encoding="utf-8").splitlines():
        item = encode(tokenizer, json.loads(line)["messages"], max_length)
        if item is None:
            too_long += 1
        else:
            encoded.append(item)
    return encoded, too_long


class Collator:
    """Pads a batch on the right; padding is masked out of attention and loss."""

    def __init__(self, tokenizer):
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def __call__(self, batch: list[Encoded]) -> dict:
        import torch

        width = max(len(e.input_ids) for e in batch)
        ids = [e.input_ids + [self.pad_id] * (width - len(e.input_ids)) for e in batch]
        labels = [e.labels + [IGNORE] * (width - len(e.labels)) for e in batch]
        mask = [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}


def with_lora(model, config: TrainConfig):
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=list(config.target_modules), task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def optimizer_steps(examples: int, config: TrainConfig) -> int:
    if config.max_steps > 0:
        return config.max_steps
    return max(1, math.ceil(math.ceil(examples / config.batch_size) / config.gradient_accumulation * config.epochs))


def training_arguments(config: TrainConfig, output_dir: Path, examples: int):
    import torch
    from transformers import TrainingArguments

    steps = optimizer_steps(examples, config)
    return TrainingArguments(
        output_dir=str(output_dir), per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation, num_train_epochs=config.epochs,
        max_steps=config.max_steps, learning_rate=config.learning_rate,
        warmup_steps=int(config.warmup_ratio * steps), lr_scheduler_type="cosine",
        logging_steps=max(1, min(10, steps // 10)), logging_first_step=True,
        save_strategy="steps", save_steps=config.save_steps, save_total_limit=2,
        use_cpu=not torch.cuda.is_available(), bf16=config.dtype == "bfloat16", seed=config.seed,
        gradient_checkpointing=config.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False},  # with a frozen base, LoRA's grads still flow
        report_to="none", remove_unused_columns=False, dataloader_pin_memory=False, disable_tqdm=False,
    )


def last_checkpoint(folder: Path, stage_hash: str) -> str | None:
    """The checkpoint to resume from: the latest one, if it was written under this same recipe."""
    import shutil

    stamp = folder / "recipe.txt"
    if stamp.exists() and stamp.read_text() != stage_hash:
        shutil.rmtree(folder)  # checkpoints of another recipe: resuming from them would mix the two
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(stage_hash)
    found = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
    return str(found[-1]) if found else None


def train(run: RunDir) -> dict:
    run.require("teach")
    import torch
    from transformers import Trainer

    started = time.perf_counter()
    config = run.config.train
    if config.threads:
        torch.set_num_threads(config.threads)
    folder = run.path("train")
    model, tokenizer = load_student(run.config.student, config.dtype)
    examples, too_long = load_examples(run, tokenizer, config.max_length)
    if not examples:
        raise ValueError("no teach example fits train.max_length; raise it or check the teach stage")
    model = with_lora(model, config)
    trainer = Trainer(model=model, args=training_arguments(config, folder / CHECKPOINTS, len(examples)),
                      train_dataset=examples, data_collator=Collator(tokenizer))
    resume = last_checkpoint(folder / CHECKPOINTS, run.config.stage_hash("train"))
    fit_started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - fit_started
    model.save_pretrained(folder / ADAPTER)
    tokenizer.save_pretrained(folder / ADAPTER)
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    steps_run = trainer.state.global_step - (int(resume.rsplit("-", 1)[1]) if resume else 0)
    per_step = config.batch_size * config.gradient_accumulation
    mean_tokens = sum(len(e.input_ids) for e in examples) / len(examples)
    counts = {"examples": len(examples), "too_long": too_long, "steps": trainer.state.global_step,
              "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
              "assistant_tokens": sum(sum(1 for x in e.labels if x != IGNORE) for e in examples)}
    metrics = {"first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None,
               "train_loss": result.training_loss, "resumed_from": resume,
               "tokens_per_s": round(steps_run * per_step * mean_tokens / seconds, 1) if steps_run else None}
    return run.record("train", started=started, counts=counts, metrics=metrics, artifacts=[str(folder / ADAPTER)])
