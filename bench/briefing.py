"""Benchmark: time to a full morning briefing on the embedded model — the base SmolLM2 and the shipped student
as served (the distilled LoRA adapter merged into the base once, what a new user meets; the merge is timed in
a fresh cache folder) — and the generation speed of our embedded backend against raw llama_cpp on the same
GGUF and prompt, all measured side by side in one run.

Briefings: every simulator persona x 3 seeds, base and student in turn, each from a cold prompt cache; then,
since the two write briefings of different lengths (the base's are mostly cut at a fault and replaced by the
deterministic text), each case's briefing prompt and the same number of tokens, which times the student's own
cost (the goal: at most 1.2x the base), beside the adapter applied by llama.cpp at load time instead of merged
(the fallback where the cache cannot be written).
Tokens/s: raw and ours alternating on one prompt. Run: .venv/bin/python -m bench.briefing
[--runs N]. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import date, timedelta

from llama_cpp import Llama

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import analyze
from sleepcot.coach import prompts
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.llm import STOP_TOKENS, EmbeddedLLM, shipped_adapter, smollm2_gguf
from sleepcot.coach.retrieval import retrieve

GOAL_BRIEFING_S = 3.0
GOAL_RATIO = 0.95
GOAL_STUDENT_RATIO = 1.2  # the student's briefing time over the base model's, at most
GENERATED_TOKENS = 128
BRIEFING_TOKENS = 220  # SLEEPCOT_LLM_MAX_TOKENS' default: a briefing's length
SEEDS = (1, 7, 42)


def demo_analysis(persona: Persona = Persona.HEALTHY, seed: int = 7):
    today = date(2026, 11, 21)
    adapter = SimulatorAdapter(persona, seed, today)
    nights = adapter.fetch_nights(today - timedelta(days=6), today)
    main = [n for n in nights if n.kind.value == "main"]
    return analyze(main[-1], main[:-1], persona_profile(persona), adapter.fetch_tags(today, today))


def first_and_total(stream) -> tuple[float, float]:
    """Seconds to the first streamed piece, and to the end of the stream."""
    start, first = time.perf_counter(), None
    for _ in stream:
        first = first or time.perf_counter()
    return first - start, time.perf_counter() - start


def equal_work_seconds(llama: Llama, prompt_ids: list[int], tokens: int) -> float:
    """Seconds to read the prompt from a cold cache and generate exactly `tokens` greedy tokens (past an
    end-of-turn too), so that two models are timed on the same work."""
    llama.reset()
    start = time.perf_counter()
    for count, _ in enumerate(llama.generate(prompt_ids, temp=0.0, repeat_penalty=1.1), start=1):
        if count == tokens:
            break
    return time.perf_counter() - start


def generation_rate(runs: list[tuple[float, float]], tokens: int) -> float:
    """Tokens per second after the first token (prompt evaluation excluded), median over runs."""
    return (tokens - 1) / statistics.median(total - first for first, total in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of the tokens/s comparison")
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    path = smollm2_gguf()
    adapter = shipped_adapter(path)
    if adapter is None:
        raise SystemExit(f"no shipped student for {path.name} in sleepcot/student")
    ours = EmbeddedLLM(path, n_ctx=2048, n_threads=threads)
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        student = EmbeddedLLM(path, adapter=adapter, cache_dir=cache, n_ctx=2048, n_threads=threads)
        first_load_s = time.perf_counter() - start  # the merge, once, and the load
    at_load_time = EmbeddedLLM(path, adapter=adapter, n_ctx=2048, n_threads=threads)
    raw = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, verbose=False)

    times: dict[str, list[float]] = {"base": [], "student": []}
    by_model = dict.fromkeys(times, 0)
    cases = [(persona, seed) for persona in Persona for seed in SEEDS]
    analyses = [demo_analysis(persona, seed) for persona, seed in cases]
    for analysis in analyses:
        for name, llm in (("base", ours), ("student", student)):
            llm.llama.reset()  # no prompt cache carried over between briefings: each starts cold
            start = time.perf_counter()
            reply = write_briefing(analysis, llm)
            times[name].append(time.perf_counter() - start)
            by_model[name] += reply.by_model
    for name, measured in times.items():
        print(f"full briefing (guarded, step by step), {name}: median {statistics.median(measured):.2f} s, "
              f"max {max(measured):.2f} s over {len(cases)} persona/seed cases; {by_model[name]}/{len(cases)} "
              "written by the model, the rest by the deterministic fallback")
    briefing_times = times["base"]
    # The full briefings above differ in how much each model writes (the base's are mostly cut at their first
    # fault and replaced), so the adapter's own cost is timed on equal work: each case's briefing prompt, then
    # the same number of tokens, greedy, base and student in turn.
    equal: dict[str, list[float]] = {"base": [], "student": [], "adapter_at_load_time": []}
    for analysis in analyses:
        prompt_ids = ours.llama.tokenize(ours.render(prompts.briefing(analysis).messages).encode(), special=True)
        for name, llm in (("base", ours), ("student", student), ("adapter_at_load_time", at_load_time)):
            equal[name].append(equal_work_seconds(llm.llama, prompt_ids, BRIEFING_TOKENS))
    student_ratio = statistics.median(equal["student"]) / statistics.median(equal["base"])
    print(f"a briefing's prompt and {BRIEFING_TOKENS} tokens: base median {statistics.median(equal['base']):.2f} s, "
          f"student {statistics.median(equal['student']):.2f} s, the adapter applied at load time instead "
          f"{statistics.median(equal['adapter_at_load_time']):.2f} s; the student's first load (merge) {first_load_s:.1f} s")

    # Same prompt, same greedy settings, same GGUF: raw llama_cpp streaming vs our backend's stream.
    question = "What happens in deep sleep, and why does caffeine reduce it?"
    messages = prompts.knowledge(question, retrieve(question)).messages
    prompt_text = ours.render(messages)
    count = raw.create_completion(prompt_text, max_tokens=GENERATED_TOKENS, temperature=0, repeat_penalty=1.1,
                                  stop=STOP_TOKENS)["usage"]["completion_tokens"]
    ours_runs, raw_runs = [], []
    for _ in range(args.runs):  # alternate so that machine noise hits both alike; each starts cold
        raw.reset()
        raw_runs.append(first_and_total(raw.create_completion(
            prompt_text, max_tokens=GENERATED_TOKENS, temperature=0, repeat_penalty=1.1, stop=STOP_TOKENS, stream=True)))
        ours.llama.reset()
        ours_runs.append(first_and_total(ours.stream(messages, max_tokens=GENERATED_TOKENS, temperature=0)))
    ours_tps, raw_tps = generation_rate(ours_runs, count), generation_rate(raw_runs, count)
    first_token_s = statistics.median(first for first, _ in ours_runs)
    print(f"{count} tokens after a {len(raw.tokenize(prompt_text.encode(), special=True))}-token prompt: "
          f"generation ours {ours_tps:.1f} tok/s, raw llama_cpp {raw_tps:.1f} tok/s; first token {first_token_s:.2f} s")
    print(f"student / base on equal work: {student_ratio:.2f} (goal at most {GOAL_STUDENT_RATIO})")
    print(json.dumps({
        "briefing_median_s": round(statistics.median(briefing_times), 3),
        "briefing_goal_s": GOAL_BRIEFING_S,
        "briefing_max_s": round(max(briefing_times), 3),
        "briefings_by_model": f"{by_model['base']}/{len(cases)}",
        "student_briefing_median_s": round(statistics.median(times["student"]), 3),
        "student_briefings_by_model": f"{by_model['student']}/{len(cases)}",
        "student_to_base_full_briefing": round(statistics.median(times["student"]) / statistics.median(briefing_times), 3),
        "equal_work_base_s": round(statistics.median(equal["base"]), 3),
        "equal_work_student_s": round(statistics.median(equal["student"]), 3),
        "student_to_base_equal_work": round(student_ratio, 3),
        "equal_work_adapter_at_load_time_s": round(statistics.median(equal["adapter_at_load_time"]), 3),
        "student_first_load_s": round(first_load_s, 2),
        "student_goal": GOAL_STUDENT_RATIO,
        "first_token_s": round(first_token_s, 3),
        "ours_tokens_per_s": round(ours_tps, 1),
        "raw_llama_cpp_tokens_per_s": round(raw_tps, 1),
        "ratio_ours_to_raw": round(ours_tps / raw_tps, 3),
        "ratio_goal": GOAL_RATIO,
        "threads": threads,
    }))


if __name__ == "__main__":
    main()
