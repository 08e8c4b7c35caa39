"""The offline reference teacher: chain-of-thought answers written from the analysis and the knowledge base,
in exactly the shape serving asks a model for (the briefing's four step openers, a follow-up that starts from
the number it is about, a multiple-choice answer that opens with its letter, a history answer that says the
computed figures plainly). Every figure comes from the
facts, so its answers pass the guard; it needs no network, which is what the tests and the tiny recipe want.
"""

from __future__ import annotations

from distill.teacher import OnDone, Task
from sleepcot.analysis import Analysis
from sleepcot.coach import findings as words
from sleepcot.coach.answering import deterministic_followup, first_sentence
from sleepcot.coach.briefing import CLINICIAN_NOTE, cause_text
from sleepcot.coach.guard import check
from sleepcot.coach.history import history_text
from sleepcot.coach.prompts import MCQ_LETTERS, MCQ_OPENER, Prompt
from sleepcot.domain import Language

NIGHT_DETAIL = ("night.efficiency_pct", "night.deep_s", "night.rem_s", "night.latency_s", "night.hrv_rmssd_ms")
ALSO = {Language.EN: "Also: {title}.", Language.ZH: "另外：{title}。"}


def _full_stop(text: str, language: Language) -> str:
    return text if text.endswith((".", "。", "!", "！")) else text + ("。" if language is Language.ZH else ".")


def _briefing(prompt: Prompt, analysis: Analysis) -> str:
    language = analysis.profile.language
    zh = language is Language.ZH
    sep, space = ("，", "") if zh else (", ", " ")
    by_key = {f.key: f for f in analysis.facts()}
    night = ("；" if zh else "; ").join(words.named_value(by_key[k], language) for k in NIGHT_DETAIL if k in by_key)
    total = by_key["night.total_sleep_s"].render(language)
    top, rest = analysis.top, analysis.findings[1:2]
    compare = words.detail(top, language) + "".join(
        space + ALSO[language].format(title=words.title(f, language, in_sentence=True)) for f in rest)
    advice = words.advice(top, language)
    advice = "：" + advice if zh else advice[:1].lower() + advice[1:]
    tonight = _full_stop(advice, language)
    if analysis.red_flags and check(tonight, [], red_flag=True).missing_red_flag_advice:
        tonight += space + CLINICIAN_NOTE[language]
    lines = (
        f"{prompt.steps[0]}{space}{total}{sep}{night}",
        f"{prompt.steps[1]}{space}{compare}",
        f"{prompt.steps[2]}{space}{cause_text(analysis, language)}",
        f"{prompt.steps[3]}{space}{tonight}",
    )
    return "\n".join(_full_stop(line, language) for line in lines)


def _mcq(task: Task) -> str:
    """The letter, the option, and why (the first sentence of the bank's reference answer)."""
    q = task.question
    letter, language = MCQ_LETTERS[q.correct], q.language
    why = first_sentence(q.answer)
    if language is Language.ZH:
        return f"{MCQ_OPENER[language]}{letter}：{_full_stop(q.choices[q.correct], language)}{why}"
    return f"{MCQ_OPENER[language]} {letter}: {_full_stop(q.choices[q.correct], language)} {why}"


class ReferenceTeacher:
    name = "reference"

    def answer(self, task: Task) -> str:
        if task.kind == "briefing":
            return _briefing(task.prompt, task.analysis)
        if task.kind == "followup":
            return deterministic_followup(task.prompt.question, task.analysis)
        if task.kind == "knowledge":
            return task.question.answer  # the bank's reference answer, written from the question's cards
        if task.kind == "mcq":
            return _mcq(task)
        if task.kind == "history":
            return history_text(task.history, task.prompt.language)  # the figures said plainly, as serving falls back to
        raise ValueError(f"unknown task kind {task.kind!r}")

    def write(self, tasks: list[Task], on_done: OnDone | None = None) -> list[str | None]:
        answers = []
        for n, task in enumerate(tasks, 1):
            answers.append(self.answer(task))
            if on_done:
                on_done(n, len(tasks))
        return answers
