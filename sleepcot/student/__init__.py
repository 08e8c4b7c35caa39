"""The distilled student that ships with SleepCoT: a GGUF LoRA adapter in this folder, written by
`sleepcot distill ship` with a manifest that names the base GGUF it was trained on (README.md says how it was
made). The embedded backend merges it into that base once (merge.py), and into no other.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

STUDENT_DIR = Path(__file__).resolve().parent  # this folder: `sleepcot distill ship` writes here
STUDENT_MANIFEST = "manifest.json"


def shipped_adapter(base: Path) -> Path | None:
    """The shipped student's LoRA adapter, when its manifest says it was trained on `base` (the same file name
    and size); None when there is none, it is damaged, or it belongs to another base (said once in the log)."""
    try:
        manifest = json.loads((STUDENT_DIR / STUDENT_MANIFEST).read_text(encoding="utf-8"))
        adapter, trained_on = STUDENT_DIR / manifest["adapter"]["file"], manifest["base"]
        made_for = (trained_on["file"], trained_on["bytes"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:  # ValueError: not JSON
        _warn_once(f"the shipped student's manifest is damaged ({exc!r}): running the base alone")
        return None
    if (base.name, base.stat().st_size) != made_for:
        _warn_once(f"the shipped student was trained on {made_for[0]}, not {base.name}: running the base alone")
        return None
    if not adapter.is_file():
        _warn_once(f"the shipped student's adapter {adapter.name} is missing: running the base alone")
        return None
    return adapter


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex: the manifest names the adapter by it, and its merge into the base is cached by it."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@cache
def _warn_once(message: str) -> None:
    log.warning(message)
