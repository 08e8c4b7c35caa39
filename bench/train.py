"""Benchmark: training tokens/s of our train stage (`distill.train.train`: peft LoRA on the transformers
Trainer, with its data pipeline, checkpointing and manifest) against a minimal plain transformers + peft loop
(AdamW, no Trainer) on the same examples, the same student and the same LoRA settings, one pass each, in the
same run; and the peak RSS of each. Each side runs in its own process, so neither's memory counts for the other.

Run: .venv/bin/python -m bench.train [--examples N] [--max-length T]. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distill.config import load
from distill.run import RunDir
from distill.synth import synth
from distill.teach import EXAMPLES_FILE, teach

RECIPE = Path(__file__).resolve().parents[1] / "distill" / "configs" / "tiny-cpu.yaml"


def prepared_run(root: Path, examples: int, max_length: int) -> RunDir:
    """A run directory whose teach stage holds `examples` chats that fit `max_length` tokens."""
    from distill.train import encode, load_student

    run = RunDir(load(RECIPE, [f"synth.reports={max(4, examples // 3)}", "train.batch_size=2",
                               "train.gradient_accumulation=1", "train.epochs=1", f"train.max_length={max_length}",
                               "train.save_steps=100000", "train.threads=2"]), root)
    synth(run)
    teach(run)
    _, tokenizer = load_student(run.config.student)
    path = run.path("teach") / EXAMPLES_FILE
    fitting = [line for line in path.read_text(encoding="utf-8").splitlines()
               if encode(tokenizer, json.loads(line)["messages"], max_length) is not None]
    path.write_text("\n".join(fitting[:examples]) + "\n", encoding="utf-8")
    return run


def ours(root: Path) -> dict:
    from distill.train import train

    run = RunDir.reopen(root)
    started = time.perf_counter()
    entry = train(run)
    return {"tokens_per_s": entry["metrics"]["tokens_per_s"], "stage_s": round(time.perf_counter() - started, 1),
            "examples": entry["counts"]["examples"]}


def plain(root: Path) -> dict:
    import torch

    from distill.train import Collator, load_examples, load_student, with_lora

    run = RunDir.reopen(root)
    config = run.config.train
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    model, tokenizer = load_student(run.config.student)
    examples, _ = load_examples(run, tokenizer, config.max_length)
    model = with_lora(model, config)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    collate = Collator(tokenizer)
    tokens, started = 0, time.perf_counter()
    for i in range(0, len(examples), config.batch_size):
        batch = collate(examples[i:i + config.batch_size])
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        tokens += int(batch["attention_mask"].sum())
    seconds = time.perf_counter() - started
    return {"tokens_per_s": round(tokens / seconds, 1), "examples": len(examples)}


def child(side: str, root: Path) -> dict:
    result = (ours if side == "ours" else plain)(root)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=24)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--side", choices=("ours", "plain"), help=argparse.SUPPRESS)  # the child processes
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(child(args.side, args.root)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "run"
        prepared_run(root, args.examples, args.max_length)
        results = {}
        for side in ("plain", "ours"):
            done = subprocess.run([sys.executable, __file__, "--side", side, "--root", str(root)],
                                  capture_output=True, text=True, check=True)
            results[side] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{side}: {results[side]}", flush=True)
    print(json.dumps({
        "bench": "train", "examples": results["ours"]["examples"], "max_length": args.max_length,
        "ours_tokens_per_s": results["ours"]["tokens_per_s"], "plain_tokens_per_s": results["plain"]["tokens_per_s"],
        "ratio": round(results["ours"]["tokens_per_s"] / results["plain"]["tokens_per_s"], 3),
        "ours_peak_rss_mb": results["ours"]["peak_rss_mb"], "plain_peak_rss_mb": results["plain"]["peak_rss_mb"],
    }))


if __name__ == "__main__":
    main()
