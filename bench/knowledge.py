"""Benchmark: time to answer a knowledge question on the embedded model, today's code against a baseline
revision of it, on the same questions, the same model and the same machine, in one run.

The baseline is the code as it was at `--baseline` (default: the last commit before hybrid retrieval and
answer-first replies), checked out in a temporary git worktree and run in a subprocess of its own; ours runs
in another. The two alternate, `--rounds` times each, never at once (two model processes on 2 cores would
time each other). Each question is answered end to end as serving answers it — retrieval, generation,
guard, fallback — by `answer(question, None, llm)` on the embedded model (the settings' default: the shipped
student when one is installed), each reply a fresh generation from a cold prompt cache.

Run: .venv/bin/python -m bench.knowledge [--questions 24] [--rounds 2]. The last line printed is one JSON
object; the goal is ours at most 1.2x the baseline's median seconds per answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sleepcot.coach.generation import FALLBACK

GOAL_RATIO = 1.2
BASELINE_REV = "ba97b7f"  # the knowledge base of 98 cards, BM25 only, prose-first answers
ROOT = Path(__file__).resolve().parent.parent

# Run in the tree under test (cwd and PYTHONPATH): answers each question and prints its seconds as JSON.
TIMER = """
import json, sys, time
from sleepcot.coach.answering import answer
from sleepcot.coach.llm import embedded_llm, embedded_model
from sleepcot.config import Settings
settings = Settings()
llm = embedded_llm(settings, *embedded_model(settings))
questions = json.loads(sys.argv[1])
answer(questions[0], None, llm)  # warm: the retrieval indexes and the first load of each part
seconds, backends = [], []
for question in questions:
    llm.llama.reset()
    start = time.perf_counter()
    reply = answer(question, None, llm)
    seconds.append(time.perf_counter() - start)
    backends.append(reply.backend)
print(json.dumps({"seconds": seconds, "backends": backends}))
"""


def questions(count: int) -> list[str]:
    from distill.questions import sample

    return [q.question for q in sample("test", count)]


def timed(tree: Path, asked: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "SLEEPCOT_DATA_DIR": tempfile.mkdtemp(prefix="sleepcot-bench-")}
    done = subprocess.run([sys.executable, "-c", TIMER, json.dumps(asked)], cwd=tree, env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", default=BASELINE_REV, help="the git revision to compare with")
    args = parser.parse_args()
    asked = questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="sleepcot-baseline-") as folder:
        baseline_tree = Path(folder) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline_tree), args.baseline], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            runs = {"baseline": [], "ours": []}
            for n in range(args.rounds):
                for name, tree in (("baseline", baseline_tree), ("ours", ROOT)):
                    result = timed(tree, asked)
                    runs[name].append(result)
                    print(f"round {n + 1} {name}: median {statistics.median(result['seconds']):.2f} s per answer, "
                          f"{sum(b != FALLBACK for b in result['backends'])}/{len(asked)} by the model", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline_tree)], cwd=ROOT, check=False)
    per_question = {name: [statistics.median(r["seconds"][i] for r in results) for i in range(len(asked))]
                    for name, results in runs.items()}
    baseline, ours = (statistics.median(per_question[name]) for name in ("baseline", "ours"))
    print(json.dumps({
        "bench": "knowledge", "questions": len(asked), "rounds": args.rounds, "baseline": args.baseline,
        "baseline_s_per_answer": round(baseline, 3), "ours_s_per_answer": round(ours, 3),
        "ratio": round(ours / baseline, 3), "goal_ratio": GOAL_RATIO, "met": ours / baseline <= GOAL_RATIO,
    }))


if __name__ == "__main__":
    main()
