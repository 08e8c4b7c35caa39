"""Stage synth: simulated users x nights -> sleep reports (`synth/reports.jsonl`, one per line: who the user
is, their profile and logs, and the night's analysis as the model will see it).

A report is fully determined by (persona, seed, language): the teach stage rebuilds the analysis from them
and checks it against what synth wrote. Seeds come from below `EVAL_SEEDS`, so no training report is ever
an evaluation report. An interrupted run continues after the last report written.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable

from distill.reports import EVAL_SEEDS, Report, nth_report, simulated_report
from distill.run import RunDir
from sleepcot.coach.prompts import data_block
from sleepcot.domain import Language

REPORTS_FILE = "reports.jsonl"


def training_seeds(first_seed: int, count: int) -> range:
    seeds = range(first_seed, first_seed + count)
    if first_seed < 0 or seeds.stop > EVAL_SEEDS.start:
        raise ValueError(f"training seeds must lie in 0..{EVAL_SEEDS.start - 1} (evaluation holds the rest); "
                         f"{first_seed}+{count} does not")
    return seeds


def _row(report: Report) -> dict:
    analysis = report.analysis
    return {
        "id": report.id, "persona": report.persona.value, "seed": report.seed, "language": report.language.value,
        "profile": json.loads(analysis.profile.model_dump_json()),
        "logs": [tag.kind.value for tag in analysis.tags],
        "findings": [f.code for f in analysis.findings], "red_flag": bool(analysis.red_flags),
        "data": data_block(analysis)[0],
    }


def load_reports(run: RunDir) -> list[Report]:
    """The reports synth wrote, rebuilt (and checked to be the same as written)."""
    from integrations.simulator import Persona

    reports = []
    for line in (run.path("synth") / REPORTS_FILE).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        report = simulated_report(Persona(row["persona"]), row["seed"], Language(row["language"]))
        if data_block(report.analysis)[0] != row["data"]:
            raise RuntimeError(f"report {row['id']} no longer rebuilds as synth wrote it (the simulator or the "
                               "analysis changed since); rerun synth in a new run directory")
        reports.append(report)
    return reports


def synth(run: RunDir, on_done: Callable[[int, int], None] | None = None) -> dict:
    started = time.perf_counter()
    config = run.config.synth
    seeds = training_seeds(config.first_seed, config.reports)
    path = run.path("synth") / REPORTS_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    complete = [line for line in lines if line.endswith("\n")]  # a torn last line is written again
    with path.open("w", encoding="utf-8") as sink:
        sink.writelines(complete)
        for i in range(len(complete), config.reports):
            sink.write(json.dumps(_row(nth_report(i, seeds)), ensure_ascii=False) + "\n")
            sink.flush()
            if on_done:
                on_done(i + 1, config.reports)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    counts = {
        "reports": len(rows), "personas": len({r["persona"] for r in rows}),
        "languages": dict(Counter(r["language"] for r in rows)), "red_flag": sum(r["red_flag"] for r in rows),
        "top_findings": dict(Counter(r["findings"][0] for r in rows).most_common()),
    }
    return run.record("synth", started=started, counts=counts, artifacts=[str(path)])
