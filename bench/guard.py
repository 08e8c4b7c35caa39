"""Benchmark: the guard's time per check on 1,000 real replies — the deterministic coach's morning briefings
and its follow-up answers (the texts the product sends when the model is down, with every kind of figure:
durations, clock times, shares, changes, norms, counts) for simulated users of every persona, English and
Chinese — beside, in the same run, the time merely to read their figures (numbers in words turned into
digits, then every figure with its unit): the floor any figure check pays.

Reported: per check (median and p99, ms) for the guard and the floor, by kind, and their ratio. The goal is
under 2 ms per briefing on this machine (2 cores). Usage: .venv/bin/python -m bench.guard [--replies 1000].
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from distill.reports import nth_report
from sleepcot.coach import prompts
from sleepcot.coach.answering import deterministic_followup
from sleepcot.coach.briefing import deterministic_briefing
from sleepcot.coach.generation import judge
from sleepcot.coach.guard.figures import numbers_in_digits, read_figures

SEEDS = range(500_000, 600_000)


def _replies(count: int) -> list[tuple[str, prompts.Prompt, str]]:
    """(kind, prompt, reply): a briefing and a follow-up answer for each of count/2 simulated users."""
    out = []
    for i in range(count // 2):
        report = nth_report(i, SEEDS)
        analysis = report.analysis
        out.append(("briefing", prompts.briefing(analysis), deterministic_briefing(analysis)))
        question = report.followups(3)[i % 3]
        out.append(("followup", prompts.followup(question, analysis), deterministic_followup(question, analysis)))
    return out


def _timed(fn, items) -> list[float]:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _stats(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 3), "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=1000)
    args = parser.parse_args()
    replies = _replies(args.replies)
    judge(replies[0][1], replies[0][2])  # compile the patterns once, outside the timing
    figures = {}
    for kind in ("briefing", "followup"):
        items = [r for r in replies if r[0] == kind]
        numbers_in_digits.cache_clear()
        floor = _timed(lambda r: read_figures(numbers_in_digits(r[2])), items)
        numbers_in_digits.cache_clear()  # the guard reads the figures anew, as it would a new reply
        verdicts = []
        guard = _timed(lambda r: verdicts.append(judge(r[1], r[2], structured=False)), items)
        figures[kind] = {"replies": len(items), "guard": _stats(guard), "floor": _stats(floor),
                         "ratio_median": round(statistics.median(guard) / statistics.median(floor), 1),
                         "refused": sum(not v.ok for v in verdicts)}
        print(f"{kind:9} {len(items)} replies: guard {figures[kind]['guard']['median_ms']} ms median "
              f"(p99 {figures[kind]['guard']['p99_ms']}), reading figures alone {figures[kind]['floor']['median_ms']} ms; "
              f"refused {figures[kind]['refused']}")
    figures["goal_ms_per_briefing"] = 2.0
    figures["meets_goal"] = figures["briefing"]["guard"]["median_ms"] < 2.0
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
