"""Guarded generation: ask the model, check the reply with the guard, retry once with stricter
instructions, and otherwise fall back to a deterministic text — the user always gets a correct reply."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field

from sleepcot.analysis.history import HistoryResult
from sleepcot.coach import guard
from sleepcot.coach.llm import LLM, LLMUnavailable
from sleepcot.coach.prompts import Prompt
from sleepcot.metrics import FALLBACKS, GUARD_REFUSALS, MODEL_SECONDS

log = logging.getLogger(__name__)
FALLBACK = "deterministic"
Progress = Callable[[str], None]
SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|[。！？]")  # a sentence's end even mid-stream ("3." may become "3.5")


@dataclass
class CoachReply:
    text: str
    backend: str
    verdict: dict
    attempts: list[dict] = field(default_factory=list)
    fallback_reason: str | None = None
    sources: list[str] = field(default_factory=list)
    model_unavailable: bool = False  # the fallback was used because no model could be reached
    history: HistoryResult | None = None  # a history question's plan, figures and nights
    planned_by: str | None = None  # who read that question into its plan: rules or the model

    @property
    def by_model(self) -> bool:
        return self.backend != FALLBACK

    def as_dict(self) -> dict:
        return {
            "text": self.text, "backend": self.backend, "by_model": self.by_model, "guard": self.verdict,
            "attempts": self.attempts, "fallback_reason": self.fallback_reason, "sources": self.sources,
            "model_unavailable": self.model_unavailable,
            **({"history": {**self.history.as_dict(), "planned_by": self.planned_by}} if self.history else {}),
        }


def tidy(text: str) -> str:
    """Trim a generation cut off by the token limit back to its last full sentence."""
    text = text.strip()
    if text and not SENTENCE_BREAK.search(text[-1:] + " "):
        ends = list(SENTENCE_BREAK.finditer(text))
        if ends and ends[-1].end() > len(text) // 2:
            text = text[: ends[-1].end()]
    return text


def judge(prompt: Prompt, text: str, *, structured: bool = True) -> guard.Verdict:
    """The guard's verdict on a reply to `prompt`; `structured`: the reply was written on the step openers."""
    return guard.check(text, prompt.facts, red_flag=prompt.red_flag, topic_words=prompt.topic_words,
                       allowed_text=prompt.question, steps=prompt.steps if structured else (),
                       min_figures=prompt.min_figures, asked=prompt.asked, answer=prompt.answer,
                       knowledge=prompt.general)


def _clean(piece: str, prompt: Prompt) -> bool:
    return guard.clean_so_far(piece, prompt.facts, prompt.question, knowledge=prompt.general)


def _stream_sentences(llm: LLM, prompt: Prompt, *, max_tokens: int, temperature: float,
                      on_progress: Progress | None, stop_at_fault: bool) -> str:
    """Stream an unstructured reply, checking each sentence as it completes (its figures, diagnoses, drugs and
    talk off task); `on_progress` sees the text while every sentence so far is clean. At the first fault, with
    `stop_at_fault`, the writing stops: the guard refuses the reply whatever follows, so the retry or the
    fallback starts at once instead of after the last token."""
    text, shown = "", 0
    checking = stop_at_fault or on_progress is not None  # an evaluation without a preview checks nothing here
    with closing(llm.stream(prompt.messages, max_tokens=max_tokens, temperature=temperature)) as pieces:
        for piece in pieces:
            text += piece
            if not checking:
                continue
            ends = list(SENTENCE_BREAK.finditer(text, shown))
            if not ends or ends[-1].end() <= shown:
                continue
            upto = ends[-1].end()
            if not (_clean(text[shown:upto], prompt) or _clean(text[:upto], prompt)):
                if stop_at_fault:
                    return tidy(text[:upto])
                checking = False  # nothing more is shown
            elif on_progress is not None:
                on_progress(text[:upto].strip())
            shown = upto
    return tidy(text)


def generate(llm: LLM, prompt: Prompt, *, max_tokens: int, temperature: float, stricter: Prompt | None = None,
             on_progress: Progress | None = None, stop_at_fault: bool = True) -> str:
    """The model's reply. A structured prompt on a prefill-capable backend is written step by step: each
    step's opener is prefilled and the model writes the rest of that line; a line with a figure that is not
    a fact, or a diagnosis, is written once more under the `stricter` prompt's instructions. `on_progress`
    sees the text so far as it grows, only ever text that passed those checks. `stop_at_fault`: stop writing
    at a fault the guard would refuse the whole reply for (serving; an evaluation reads every reply whole)."""
    if not (prompt.steps and llm.supports_prefill):
        return _stream_sentences(llm, prompt, max_tokens=max_tokens, temperature=temperature, on_progress=on_progress,
                                 stop_at_fault=stop_at_fault)
    text, showing = "", on_progress is not None
    per_step = max(24, max_tokens // len(prompt.steps))
    for opener in prompt.steps:
        text += opener
        for messages in [prompt.messages] + ([stricter.messages] if stricter else []):
            streamed = "".join(llm.stream(messages, max_tokens=per_step, temperature=temperature, prefix=text, stop=["\n"]))
            line = tidy(streamed.split("\n", 1)[0])
            clean = _clean(line, prompt)
            if clean:
                break
        if line[:1].isascii() and line[:1].isalnum() and not text[-1:].isspace():
            text += " "
        text += line + "\n"
        if not clean and stop_at_fault and not _clean(text, prompt):
            break  # the guard refuses this reply whatever the later steps say
        showing = showing and clean
        if showing:
            on_progress(text.strip())
    return text.strip()


def guarded(
    make_prompt: Callable[[bool], Prompt],
    llm: LLM | None,
    fallback: Callable[[], str],
    *,
    max_tokens: int,
    temperature: float = 0.0,
    unavailable_reason: str | None = None,
    on_progress: Progress | None = None,
    fallback_passes: bool = False,
) -> CoachReply:
    """Generate with `llm` (None: it is unavailable for `unavailable_reason`), guard, retry, fall back.
    `on_progress` is shown the reply as it is written (see `generate`). `fallback_passes`: the fallback is
    written from the facts alone and passes the guard by construction (the tests hold it to that for every
    persona), so it is not checked again, and with no model no prompt is made at all."""
    attempts: list[dict] = []
    reason = unavailable_reason or "no model"
    unavailable = True
    prompt = None
    if llm is not None:
        for strict in (False, True):
            prompt = make_prompt(strict)
            started = time.perf_counter()
            try:
                text = generate(llm, prompt, max_tokens=max_tokens, temperature=temperature,
                                stricter=None if strict else make_prompt(True), on_progress=on_progress)
            except LLMUnavailable as exc:
                reason = str(exc)
                log.warning("LLM unavailable (%s): %s", llm.name, exc)
                break
            MODEL_SECONDS.labels(prompt.task).observe(time.perf_counter() - started)
            verdict = judge(prompt, text, structured=llm.supports_prefill)
            attempts.append({"strict": strict, **verdict.as_dict(), "text": text})
            if verdict.ok:
                return CoachReply(text, llm.name, verdict.as_dict(), attempts, sources=prompt.sources)
            for problem in verdict.reasons:
                GUARD_REFUSALS.labels(problem).inc()
            log.info("guard rejected a %s reply from %s: %d problem(s)", prompt.task, llm.name, len(verdict.problems))
        else:
            reason, unavailable = "the guard rejected the model's replies", False
    FALLBACKS.labels("no_model" if llm is None else "model_unavailable" if unavailable else "guard_refused").inc()
    text = fallback()
    if fallback_passes:
        return CoachReply(text, FALLBACK, guard.Verdict(ok=True).as_dict(), attempts, reason, [], unavailable)
    prompt = prompt or make_prompt(False)
    verdict = judge(prompt, text, structured=False)
    return CoachReply(text, FALLBACK, verdict.as_dict(), attempts, reason, prompt.sources, unavailable)
