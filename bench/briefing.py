"""Benchmark: time to a full morning briefing on the embedded model, and the generation speed of our
embedded backend against raw llama_cpp on the same GGUF and prompt, measured side by side in one run.

Run: .venv/bin/python bench/briefing.py [--runs N]. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date, timedelta

from llama_cpp import Llama

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import analyze
from sleepcot.coach import prompts
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.llm import STOP_TOKENS, EmbeddedLLM, smollm2_gguf

GOAL_BRIEFING_S = 3.0
GOAL_RATIO = 0.95
GENERATED_TOKENS = 128


def demo_analysis(persona: Persona = Persona.HEALTHY, seed: int = 7):
    today = date(2026, 11, 21)
    adapter = SimulatorAdapter(persona, seed, today)
    nights = adapter.fetch_nights(today - timedelta(days=6), today)
    main = [n for n in nights if n.kind.value == "main"]
    return analyze(main[-1], main[:-1], persona_profile(persona), adapter.fetch_tags(today, today))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    path = smollm2_gguf()
    ours = EmbeddedLLM(path, n_ctx=2048, n_threads=threads)
    raw = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, verbose=False)

    analysis = demo_analysis()
    briefing_times, by_model = [], 0
    for _ in range(args.runs):
        ours.llama.reset()  # no prompt cache carried over between runs: each briefing starts cold
        start = time.perf_counter()
        reply = write_briefing(analysis, ours)
        briefing_times.append(time.perf_counter() - start)
        by_model += reply.by_model
    print(f"full briefing (guarded, {len(prompts.briefing(analysis).steps)} steps): "
          f"median {statistics.median(briefing_times):.2f} s over {args.runs} runs; {by_model}/{args.runs} by the model")

    # Same prompt, same greedy settings, same GGUF: raw llama_cpp streaming vs our backend's stream.
    messages = prompts.briefing(analysis).messages
    prompt_text = ours.render(messages)
    count = raw.create_completion(prompt_text, max_tokens=GENERATED_TOKENS, temperature=0, repeat_penalty=1.1,
                                  stop=STOP_TOKENS)["usage"]["completion_tokens"]
    ours_s, raw_s = [], []
    for _ in range(args.runs):  # alternate so that machine noise hits both alike
        raw.reset()
        raw_s.append(timed(lambda: list(raw.create_completion(
            prompt_text, max_tokens=GENERATED_TOKENS, temperature=0, repeat_penalty=1.1, stop=STOP_TOKENS, stream=True))))
        ours.llama.reset()
        ours_s.append(timed(lambda: list(ours.stream(messages, max_tokens=GENERATED_TOKENS, temperature=0))))
    ours_tps, raw_tps = count / statistics.median(ours_s), count / statistics.median(raw_s)
    print(f"generation of {count} tokens after a {len(raw.tokenize(prompt_text.encode(), special=True))}-token prompt: "
          f"ours {ours_tps:.1f} tok/s, raw llama_cpp {raw_tps:.1f} tok/s")
    print(json.dumps({
        "briefing_median_s": round(statistics.median(briefing_times), 3),
        "briefing_goal_s": GOAL_BRIEFING_S,
        "briefings_by_model": f"{by_model}/{args.runs}",
        "ours_tokens_per_s": round(ours_tps, 1),
        "raw_llama_cpp_tokens_per_s": round(raw_tps, 1),
        "ratio_ours_to_raw": round(ours_tps / raw_tps, 3),
        "ratio_goal": GOAL_RATIO,
        "threads": threads,
    }))


if __name__ == "__main__":
    main()
