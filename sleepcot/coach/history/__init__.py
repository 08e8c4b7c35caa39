"""Answers about the user's whole history: the question read into a plan (rules in English and Chinese, the
model by constrained decoding where they fail), the plan computed over the user's nights, and the figures
phrased by the model, guarded, with the same figures said plainly as the fallback.

One module each: rules (question -> plan, with periods and thresholds reading those parts of it, and
matching the word-matching they share), planner (the model's plan), words (the plain answer, per language),
and this one (the answer)."""

from __future__ import annotations

from datetime import date, datetime

from sleepcot.analysis.history import Aggregate, HistoryResult, HistorySource, run
from sleepcot.analysis.norms import sleep_need_range_h
from sleepcot.coach import guard, prompts
from sleepcot.coach.generation import FALLBACK, CoachReply, Progress, guarded
from sleepcot.coach.history.planner import plan_with_model
from sleepcot.coach.history.rules import looks_like_history, names_someone_else, read_plan
from sleepcot.coach.history.words import WORDS, history_text
from sleepcot.coach.llm import LLM
from sleepcot.domain import Language, Metric

__all__ = ["answer_history", "history_prompt", "history_text", "looks_like_history"]
NOT_PLANNED = "the question could not be read into a plan"
_ANSWERS = ("figure", "count", "naps", "per_week", "first_week", "last_week")  # the facts that answer a plan


def history_prompt(question: str, result: HistoryResult, language: Language, *, strict: bool = False) -> prompts.Prompt:
    plan = result.plan
    asked = None if not result.enough or plan.aggregate is Aggregate.STDEV else \
        Metric.NIGHTS if plan.aggregate is Aggregate.COUNT else plan.info.subject
    if plan.aggregate is Aggregate.COUNT and plan.threshold is None:
        asked = None  # "I have 12 nights recorded": a count of nothing but nights
    main = f"history.{result.main.name}."
    answer = [f for f in result.facts if f.key == "history.difference"
              or (f.key.startswith(main) and f.key.rsplit(".", 1)[1] in _ANSWERS)] if result.enough else []
    return prompts.history(question, history_text(result, language), result.facts, asked, language, answer=answer,
                           strict=strict)


def answer_history(question: str, source: HistorySource, llm: LLM | None, *, language: Language,
                   today: date | None = None, max_tokens: int = 160, unavailable_reason: str | None = None,
                   on_progress: Progress | None = None) -> CoachReply | None:
    """The answer to a question about the user's history, or None when it is not one. `today`: the user's
    local date (default: now, in their timezone)."""
    profile = source.profile()
    today = today or datetime.now(profile.tz).date()
    plan, planned_by = read_plan(question, today, sleep_need_range_h(profile.age_band)[0]), "rules"
    if plan is None:
        if not looks_like_history(question):
            return None
        plan, planned_by = (plan_with_model(question, llm, today) if llm is not None else None), "model"
        if plan is None:
            text = WORDS[language].examples
            verdict = guard.check(text, [], allowed_text=text)
            return CoachReply(text, FALLBACK, verdict.as_dict(), [], NOT_PLANNED)
    result = run(plan, source, today)
    reply = guarded(lambda strict: history_prompt(question, result, language, strict=strict), llm,
                    lambda: history_text(result, language), max_tokens=max_tokens,
                    unavailable_reason=unavailable_reason, on_progress=on_progress)
    reply.history, reply.planned_by = result, planned_by
    if names_someone_else(question):  # a plan reads the asker's nights, whoever the question names
        reply.text = f"{WORDS[language].only_yours} {reply.text}"
    return reply
