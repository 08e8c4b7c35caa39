"""Benchmark: time to a history answer on the embedded model (the rules' plan, one query, the model phrasing
under the guard, the fallback where it fails), against the same answer on the deterministic path, measured
side by side in one run over the same questions and users; and time to a plan the model reads by constrained
decoding, for the questions the rules leave.

Run alone: .venv/bin/python -m bench.history [--rounds N]. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date, timedelta

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.coach.answering import answer
from sleepcot.coach.history.planner import plan_with_model
from sleepcot.coach.llm import EmbeddedLLM, smollm2_gguf
from sleepcot.domain import Language
from sleepcot.store import Store, UserStore

GOAL_MEDIAN_S = 3.0
TODAY = date(2026, 11, 20)
HISTORY_DAYS = 120
QUESTIONS = {
    Language.EN: (
        "How did I sleep this week compared with last week?", "What's my average bedtime this month?",
        "How many nights under 7 hours in the last two weeks?", "Do I sleep longer at weekends?",
        "Which was my worst night in October?", "How has my HRV changed since September?",
        "Does alcohol hurt my deep sleep?", "What was my average resting heart rate over the last 30 days?",
        "How consistent is my bedtime?", "How much sleep debt did I build up this week?",
    ),
    Language.ZH: (
        "我这周平均睡了多久？", "上个月有几个晚上睡眠不足7小时？", "我周末是不是睡得更久？", "十月份我哪一晚睡得最差？",
        "九月以来我的心率变异性有什么变化？", "喝酒会影响我的深睡吗？",
    ),
}
MODEL_PLANNED = ("Tell me about my sleep history", "Summarise my sleeping habits over the autumn")


def simulated_user(store: Store, persona: Persona, seed: int, language: Language) -> UserStore:
    user = store.for_user(store.create_user(persona_profile(persona).model_copy(update={"language": language})))
    adapter = SimulatorAdapter(persona, seed, TODAY)
    start = TODAY - timedelta(days=HISTORY_DAYS - 1)
    user.upsert_nights(adapter.fetch_nights(start, TODAY))
    for tag in adapter.fetch_tags(start, TODAY):
        user.add_tag(tag)
    return user


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="times each question is asked on each path")
    args = parser.parse_args()
    store = Store("sqlite://")
    store.migrate()
    users = {Language.EN: simulated_user(store, Persona.EVENING_ALCOHOL, 3, Language.EN),
             Language.ZH: simulated_user(store, Persona.SHIFT_WORKER, 5, Language.ZH)}
    llm = EmbeddedLLM(smollm2_gguf(), n_ctx=2048, n_threads=os.cpu_count() or 1)
    model_s, plain_s, by_model, asked = [], [], 0, 0
    for _ in range(args.rounds):
        for language, questions in QUESTIONS.items():
            for question in questions:  # alternate the paths, so that machine noise hits both alike
                seconds, _ = timed(lambda: answer(question, None, None, source=users[language], today=TODAY))
                plain_s.append(seconds)
                llm.llama.reset()  # each model answer starts from a cold prompt cache
                seconds, reply = timed(lambda: answer(question, None, llm, source=users[language], today=TODAY))
                model_s.append(seconds)
                by_model += reply.by_model
                asked += 1
    planning_s = []
    for question in MODEL_PLANNED:
        llm.llama.reset()
        seconds, _ = timed(lambda: plan_with_model(question, llm, TODAY))
        planning_s.append(seconds)
    model_median, plain_median = statistics.median(model_s), statistics.median(plain_s)
    print(f"history answer on the embedded model: median {model_median:.2f} s, max {max(model_s):.2f} s over {asked} "
          f"answers ({by_model} phrased by the model, the rest its guarded fallback); deterministic path: median "
          f"{plain_median * 1000:.1f} ms; a plan read by the model: median {statistics.median(planning_s):.2f} s")
    print(json.dumps({
        "model_median_s": round(model_median, 3), "model_max_s": round(max(model_s), 3),
        "goal_median_s": GOAL_MEDIAN_S, "deterministic_median_s": round(plain_median, 4),
        "ratio_model_to_deterministic": round(model_median / plain_median, 1), "answers": asked,
        "by_model": by_model, "model_plan_median_s": round(statistics.median(planning_s), 3),
        "threads": os.cpu_count() or 1,
    }))


if __name__ == "__main__":
    main()
