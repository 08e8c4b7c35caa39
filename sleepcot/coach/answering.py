"""Answers to what the user asks: follow-ups about their own data, grounded in their analysis, and
general sleep questions, grounded in the knowledge cards. Guarded like the briefing, with a
deterministic fallback built from the same facts."""

from __future__ import annotations

import re

from sleepcot.analysis import Analysis
from sleepcot.analysis.findings import FINDING_TOPICS
from sleepcot.coach import prompts
from sleepcot.coach.briefing import CLINICIAN_NOTE, linked_to
from sleepcot.coach.generation import CoachReply, Progress, guarded
from sleepcot.coach.knowledge import Card, language_of, retrieve
from sleepcot.coach.llm import LLM
from sleepcot.domain import Language

MAX_QUESTION_CHARS = 1000
_PERSONAL = re.compile(
    r"\b(?:my|me|i|i'm|i've|i'd|mine|last night|yesterday|tonight|this week|today)\b|我|昨晚|昨天|今晚", re.I
)
NO_KNOWLEDGE = {
    Language.EN: "I don't have a sourced answer to that. I can explain sleep stages and how much sleep you need, "
                 "the body clock, light, jet lag and shift work, sleep habits and CBT-I, caffeine, alcohol and "
                 "exercise, sleep at every age, common sleep disorders and when to see a doctor, and what your "
                 "wearable's numbers mean.",
    Language.ZH: "我没有可靠来源来回答这个问题。我可以讲解睡眠阶段与睡眠需求、生物钟、光照、时差与倒班、睡眠习惯与失眠认知行为疗法、"
                 "咖啡因、酒精与运动、各年龄段的睡眠、常见睡眠障碍及何时就医，以及可穿戴设备数据的含义。",
}


# Cards retrieved for a question (serving, and the evaluation and training that must match it).
KNOWLEDGE_CARDS = 2
FOLLOWUP_CARDS = 1
SOURCE_LABEL = {Language.EN: "Source", Language.ZH: "来源"}


def is_personal(question: str) -> bool:
    return bool(_PERSONAL.search(question))


def clip(question: str) -> str:
    """Questions are bounded: a 100 KB message is answered from its beginning."""
    question = question.strip()
    return question if len(question) <= MAX_QUESTION_CHARS else question[:MAX_QUESTION_CHARS] + "…"


def deterministic_followup(question: str, analysis: Analysis) -> str:
    """Answer from the findings and facts the question is about (the top finding if none is named),
    starting from the number the question asks about, as a model's follow-up answer does."""
    q, language = question.lower(), analysis.profile.language
    about = [f for f in analysis.findings if any(w in q for w in FINDING_TOPICS.get(f.code, ())) and f.code != "good_night"]
    parts: list[str] = []
    by_key = {f.key: f for f in analysis.facts()}
    named = [by_key[k] for k in prompts.metrics_named(question) if k in by_key]
    if named:
        end = "。" if language is Language.ZH else "."
        parts.append(prompts.FOLLOWUP_OPENER[language].format(label=named[0].label) + f" {named[0].render()}{end}")
    for finding in (about or analysis.findings[:1])[:2]:
        parts.append(finding.detail)
        if finding.likely_causes:
            parts.append(linked_to(finding.likely_causes, language))
        if finding.advice:
            parts.append(finding.advice)
    if analysis.red_flags:
        parts.append(CLINICIAN_NOTE[language])
    return " ".join(parts)


def deterministic_knowledge(cards: list[Card], language: Language) -> str:
    """The best card's text and source, or what the coach can talk about when no card fits."""
    if not cards:
        return NO_KNOWLEDGE[language]
    return f"{cards[0].text} ({SOURCE_LABEL[language]}: {cards[0].source})"


def answer(question: str, analysis: Analysis | None, llm: LLM | None, *, history: list[tuple[str, str]] = (),
           language: Language = Language.EN, max_tokens: int = 160, unavailable_reason: str | None = None,
           on_progress: Progress | None = None) -> CoachReply:
    """Route the question (about my data -> follow-up; otherwise knowledge) and answer it, guarded. Cards
    and a knowledge answer are in the question's own language (`language` when it does not tell)."""
    question = clip(question)
    language = language_of(question, language)
    if analysis is not None and is_personal(question):
        cards = retrieve(question, k=FOLLOWUP_CARDS, language=language)
        return guarded(
            lambda strict: prompts.followup(question, analysis, history, strict=strict, cards=cards),
            llm, lambda: deterministic_followup(question, analysis),
            max_tokens=max_tokens, unavailable_reason=unavailable_reason, on_progress=on_progress,
        )
    cards = retrieve(question, k=KNOWLEDGE_CARDS, language=language)
    return guarded(
        lambda strict: prompts.knowledge(question, cards, language, strict=strict),
        llm, lambda: deterministic_knowledge(cards, language),
        max_tokens=max_tokens, unavailable_reason=unavailable_reason,
    )
