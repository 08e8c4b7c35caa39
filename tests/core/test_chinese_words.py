"""A Chinese user reads Chinese: the deterministic briefing, the follow-up answer, the weekly summary and the
history answers, for every persona and several seeds, hold no English word but the abbreviations a Chinese
wearable app also shows; an English user's hold no Chinese. The words are Chinese words, in Chinese
order (小时/分钟, 晚), and the guard passes the Chinese texts whenever it passes the English ones."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from distill.history import World, load
from distill.reports import HISTORY_DAYS, REPORT_DAY, simulated_report
from distill.teacher import Task
from distill.teacher.reference import ReferenceTeacher
from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.coach import findings as words
from sleepcot.coach import prompts
from sleepcot.coach.answering import deterministic_followup
from sleepcot.coach.briefing import deterministic_briefing
from sleepcot.coach.guard import check
from sleepcot.coach.history import answer_history
from sleepcot.coach.weekly import weekly_summary
from sleepcot.domain import Language, NightKind

CJK = re.compile(r"[\u3400-\u9fff]")
SEEDS = range(1, 6)
FOLLOWUPS = {Language.ZH: ("我的深睡怎么样？", "我昨晚为什么醒了这么多次？", "我的心率正常吗？"),
             Language.EN: ("How was my deep sleep?", "Why did I wake up so often?", "Is my heart rate normal?")}


def english_in(text: str) -> set[str]:
    return set(words.english_words(text))


def in_language(analysis, language: Language):
    analysis.profile = analysis.profile.model_copy(update={"language": language})
    return analysis


@pytest.mark.parametrize("persona", list(Persona))
def test_briefings_and_answers_are_written_in_the_users_language(persona):
    for seed in SEEDS:
        report = simulated_report(persona, seed)
        english = in_language(report.analysis, Language.EN)
        en_text = deterministic_briefing(english)
        en_ok = check(en_text, prompts.briefing(english).facts, red_flag=bool(english.red_flags)).ok
        en_answers = [deterministic_followup(q, english) for q in FOLLOWUPS[Language.EN]]
        chinese = in_language(report.analysis, Language.ZH)
        zh_text = deterministic_briefing(chinese)
        zh_answers = [deterministic_followup(q, chinese) for q in FOLLOWUPS[Language.ZH]]
        for text in [zh_text, *zh_answers]:
            assert not english_in(text), (persona, seed, english_in(text), text)
        for text in [en_text, *en_answers]:
            assert not CJK.search(text), (persona, seed, text)
        prompt = prompts.briefing(chinese)
        teacher = ReferenceTeacher().answer(Task(f"{persona.value}-{seed}", "briefing", prompt, chinese))
        assert not english_in(teacher), (persona, seed, english_in(teacher), teacher)  # what the student learns
        verdict = check(zh_text, prompt.facts, red_flag=prompt.red_flag)
        assert verdict.ok or not en_ok, (persona, seed, verdict.problems, zh_text)
        data, _ = prompts.data_block(chinese)  # the model is shown the findings in Chinese too
        assert not english_in(data.split("\n", 1)[1]), english_in(data)


def test_chinese_figures_are_written_the_chinese_way():
    analysis = in_language(simulated_report(Persona.SHORT_SLEEPER, 2).analysis, Language.ZH)
    text = deterministic_briefing(analysis)
    assert re.search(r"\d+小时\d+分钟", text) and " h " not in text and " min" not in text
    short = next(f for f in analysis.findings if f.code == "short_sleep")
    assert words.detail(short, Language.ZH).startswith("你昨晚睡了") and "少于你这个年龄建议的至少7小时" in \
        words.detail(short, Language.ZH)


@pytest.mark.parametrize("persona", list(Persona))
def test_weekly_summaries_are_written_in_the_users_language(persona):
    for seed in SEEDS:
        adapter = SimulatorAdapter(persona, seed, REPORT_DAY)
        nights = [n for n in adapter.fetch_nights(REPORT_DAY - timedelta(days=HISTORY_DAYS), REPORT_DAY)
                  if n.kind is NightKind.MAIN]
        first = REPORT_DAY - timedelta(days=6)
        week, before = [n for n in nights if n.local_date >= first], [n for n in nights if n.local_date < first]
        tags = adapter.fetch_tags(first, REPORT_DAY)
        for language in Language:
            profile = persona_profile(persona).model_copy(update={"language": language})
            text = weekly_summary(week, before, profile, tags).text
            if language is Language.ZH:
                assert not english_in(text), (persona, seed, english_in(text), text)
            else:
                assert not CJK.search(text), text


def test_history_answers_are_written_in_the_users_language():
    world, asked, answered = World(), 0, 0
    try:
        for i, question in enumerate(load()):
            if question.language is Language.EN and i % 4:  # every Chinese question, a quarter of the English
                continue
            asked += 1
            reply = answer_history(question.question, world.source(question.user), None, language=question.language,
                                   today=world.today(question.user))
            if reply is None:  # the rules could not read it (the model plans those)
                continue
            answered += 1
            if question.language is Language.ZH:
                assert not english_in(reply.text), (question.question, reply.text)
            else:
                assert not CJK.search(reply.text), (question.question, reply.text)
    finally:
        world.close()
    assert answered > 0.9 * asked
