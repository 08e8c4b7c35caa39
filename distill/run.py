"""The run directory: every stage writes its artifacts into its own subfolder and records itself in
`manifest.json` (the recipe and its hash, and per stage: the hash of the recipe sections it depends on,
counts, metrics, seconds, when it finished).

A stage recorded as done under the same sections is skipped on a rerun; change a section and that stage
and the ones after it run again, while the ones before are kept (more training steps do not re-ask the
teacher). A stage that was interrupted picks up from what it left on disk.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from distill.config import DistillConfig, from_dict

STAGES = ("synth", "teach", "train", "export")


class StageOrderError(RuntimeError):
    """A stage was asked for before the stage it reads from was done."""


class RunDir:
    def __init__(self, config: DistillConfig, root: Path | None = None):
        self.config = config
        self.root = Path(root or config.run_dir)
        self.manifest_path = self.root / "manifest.json"
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest = self._open()

    @classmethod
    def reopen(cls, root: Path) -> RunDir:
        """An existing run directory, under the recipe its manifest records."""
        manifest = json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
        return cls(from_dict(manifest["config"]), root)

    def _open(self) -> dict:
        manifest = {"stages": {}, "created": datetime.now(UTC).isoformat(timespec="seconds")}
        if self.manifest_path.exists():
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        manifest.update(config_hash=self.config.config_hash, config=self.config.as_dict())
        self._write(manifest)
        return manifest

    def _write(self, manifest: dict) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.manifest_path)  # a crash never leaves half a manifest

    def path(self, stage: str) -> Path:
        folder = self.root / stage
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def done(self, stage: str) -> bool:
        entry = self.manifest["stages"].get(stage, {})
        return entry.get("status") == "done" and entry.get("hash") == self.config.stage_hash(stage)

    def require(self, stage: str) -> None:
        if not self.done(stage):
            raise StageOrderError(f"stage {stage!r} has not finished in {self.root}; run it first")

    def record(self, stage: str, *, started: float, counts: dict, metrics: dict | None = None,
               artifacts: list[str] = ()) -> dict:
        entry = {"status": "done", "hash": self.config.stage_hash(stage), "counts": counts, "metrics": metrics or {},
                 "seconds": round(time.perf_counter() - started, 1), "artifacts": list(artifacts),
                 "finished": datetime.now(UTC).isoformat(timespec="seconds")}
        self.manifest["stages"][stage] = entry
        self._write(self.manifest)
        return entry

    def stage(self, stage: str) -> dict:
        return self.manifest["stages"].get(stage, {})
