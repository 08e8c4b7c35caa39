"""The scoreboard of an evaluation run: per model and retrieval setting, the mean of each measurement, as a
Markdown table (with the lift retrieval gives each model) and a PNG bar chart, both drawn from
results.jsonl alone so a run can be re-drawn or merged later."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from distill.evaluation.judge import CRITERIA

# (column title, task, score key, as a percentage)
COLUMNS = (
    ("Briefing: faithful figures", "reports", "faithful", True),
    ("Briefing: key finding", "reports", "key_finding", True),
    ("Briefing: own figures", "reports", "personal", True),
    ("Briefing: red flag → doctor", "reports", "red_flag", True),
    ("Briefing: passes the guard", "reports", "guard_ok", True),
    ("Chinese briefing: no English word", "reports", "all_chinese", True),
    ("Chinese briefing: English words", "reports", "english_words", False),
    ("Follow-up: faithful", "followups", "faithful", True),
    ("Follow-up: own figures", "followups", "personal", True),
    ("Follow-up: red flag → doctor", "followups", "red_flag", True),
    ("Follow-up: passes the guard", "followups", "guard_ok", True),
    ("No diagnosis", "*", "safe", True),
    ("Knowledge: MCQ accuracy", "mcq", "correct", True),
    ("Knowledge: token-F1", "knowledge", "f1", True),
    ("Knowledge: answer first", "knowledge", "answer_first", True),
    ("Knowledge: faithful", "knowledge", "faithful", True),
    ("Retrieval recall@2", "knowledge", "recall", True),
    ("History: right figure", "history", "right", True),
    ("History: passes the guard", "history", "guard_ok", True),
    ("History: by the model", "history", "by_model", True),
)
CHARTED = ("Briefing: faithful figures", "Briefing: key finding", "Follow-up: faithful",
           "Knowledge: MCQ accuracy", "Knowledge: token-F1", "Retrieval recall@2", "History: right figure")
LIFTED = ("Knowledge: MCQ accuracy", "Knowledge: token-F1", "Knowledge: faithful", "Follow-up: faithful")


def _variant(model: str, retrieval: bool) -> str:
    return f"{model} + retrieval" if retrieval else model


def summarize(results: Path) -> tuple[list[str], dict[str, dict[str, float | None]], dict[str, dict[str, int]]]:
    """Variants in run order, the mean of every column per variant (None: not measured), and counts."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    order: list[str] = []
    for line in results.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        variant = _variant(case["model"], case["retrieval"])
        if variant not in order:
            order.append(variant)
        counts[variant][case["task"]] += 1
        for title, task, key, _ in COLUMNS:
            value = case["scores"].get(key)
            if (task == case["task"] or task == "*") and value is not None:
                values[variant][title].append(float(value))
        if case.get("judge"):
            for criterion in CRITERIA:
                values[variant][f"Judge: {criterion}"].append(case["judge"][criterion])
        elif case.get("judge") == {}:  # the judge was asked and gave no usable scores
            counts[variant]["unscored by the judge"] += 1
    means = {v: {title: (sum(xs) / len(xs) if xs else None) for title, xs in values[v].items()} for v in order}
    return order, means, counts


def _cell(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}" if percent else f"{value:.2f}"


def markdown(order: list[str], means: dict[str, dict[str, float | None]], counts: dict[str, dict[str, int]]) -> str:
    judged = any(title.startswith("Judge:") for m in means.values() for title in m)
    columns = [(t, p) for t, _, _, p in COLUMNS]
    columns += [(f"Judge: {c}", False) for c in CRITERIA] if judged else []
    shown = [(t, p) for t, p in columns if any(means[v].get(t) is not None for v in order)]
    lines = ["| Model | " + " | ".join(t for t, _ in shown) + " |", "|---|" + "---:|" * len(shown)]
    for variant in order:
        lines.append(f"| {variant} | " + " | ".join(_cell(means[variant].get(t), p) for t, p in shown) + " |")
    lines += ["", "Percentages, except token-F1 (×100) and judge scores (1-5). Cases: " + "; ".join(
        f"{v}: " + ", ".join(f"{n} {task}" for task, n in counts[v].items()) for v in order) + "."]
    lifts = []
    for variant in order:
        base = variant.removesuffix(" + retrieval")
        if variant != base and base in means:
            parts = [f"{t} {100 * (means[variant][t] - means[base][t]):+.1f}"
                     for t in LIFTED if means[variant].get(t) is not None and means[base].get(t) is not None]
            if parts:
                lifts.append(f"- Retrieval lift for {base} (points): " + ", ".join(parts) + ".")
    return "\n".join(lines + ([""] + lifts if lifts else [])) + "\n"


def chart(order: list[str], means: dict[str, dict[str, float | None]], path: Path) -> None:
    """Grouped bars: one group per headline measurement, one bar per model variant."""
    titles = [t for t in CHARTED if any(means[v].get(t) is not None for v in order)]
    figure = Figure(figsize=(max(6.0, 1.6 * len(titles) + 2), 4.8), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(order))
    for i, variant in enumerate(order):
        xs = [j + (i - (len(order) - 1) / 2) * width for j in range(len(titles))]
        ys = [100 * (means[variant].get(t) or 0.0) for t in titles]
        axes.bar(xs, ys, width, label=variant)
    axes.set_xticks(range(len(titles)), [t.replace(": ", ":\n") for t in titles], fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_ylabel("score (%)")
    axes.set_title("SleepCoT evaluation")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)


def write_scoreboard(results: Path, out: Path) -> Path:
    order, means, counts = summarize(results)
    (out / "scores.json").write_text(json.dumps({"means": means, "counts": counts}, indent=2), encoding="utf-8")
    table = out / "table.md"
    table.write_text(markdown(order, means, counts), encoding="utf-8")
    chart(order, means, out / "chart.png")
    return table
