"""A large teacher model at any OpenAI-compatible endpoint. Each prompt goes out as serving renders it, with
our few-shot exemplars (distill/fewshot/) between the system message and the question, and, for a reply
written in steps, the exact openers its lines must start with; the client bounds, rate-limits, retries and
caches the requests."""

from __future__ import annotations

import os
from pathlib import Path

from distill import fewshot
from distill.config import TeachConfig
from distill.teacher import OnDone, Task
from distill.teacher.client import TeacherClient
from sleepcot.coach.prompts import Prompt


def format_rule(prompt: Prompt) -> str:
    """What the student will be prefilled with at serving, spelled out for a teacher that cannot prefill."""
    if not prompt.steps:
        return ""
    if len(prompt.steps) == 1:
        return f"\n\nBegin your answer with these words, verbatim: {prompt.steps[0]}"
    lines = "\n".join(f"- line {i}: {step}" for i, step in enumerate(prompt.steps, 1))
    return f"\n\nWrite exactly {len(prompt.steps)} lines, each beginning with these words, verbatim:\n{lines}"


def _asked(prompt: Prompt) -> dict[str, str]:
    return {"role": "user", "content": prompt.messages[-1]["content"] + format_rule(prompt)}


def conversation(task: Task, shots: int) -> list[dict[str, str]]:
    """The system message, `shots` exemplars of the task's kind and language asked and answered exactly as the
    task is asked, then the task."""
    system, *history, _ = task.prompt.messages
    examples = []
    for exemplar in fewshot.exemplars(task.kind, task.prompt.language)[:shots]:
        examples += [_asked(exemplar.prompt), {"role": "assistant", "content": exemplar.answer}]
    return [system, *examples, *history, _asked(task.prompt)]


class EndpointTeacher:
    def __init__(self, config: TeachConfig, cache_path: Path):
        self.shots = config.fewshot
        self.name = f"openai:{config.model}"
        self.client = TeacherClient(config.base_url, config.model, os.environ.get(config.api_key_env),
                                    cache_path=cache_path, concurrency=config.concurrency,
                                    requests_per_minute=config.requests_per_minute, max_tokens=config.max_tokens)

    def write(self, tasks: list[Task], on_done: OnDone | None = None) -> list[str | None]:
        replies = self.client.complete_all([conversation(t, self.shots) for t in tasks], on_done=on_done)
        return [r.strip() if r else None for r in replies]
