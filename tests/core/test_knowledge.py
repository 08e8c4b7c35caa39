"""The knowledge base, its retrieval and the question bank: what a user asking a sleep question depends on
(a sourced card in their language, found from their own words), and what the evaluation depends on (a
large, well-formed bank whose test split never leaks into training)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from distill import questions as bank
from sleepcot.analysis.norms import NORMS
from sleepcot.coach import guard
from sleepcot.coach.answering import NO_KNOWLEDGE, answer
from sleepcot.coach.knowledge import MIN_SCORE, card, cards, language_of, retrieve, scores
from sleepcot.domain import Language

AREAS = {"physiology", "circadian", "insomnia", "lifestyle", "disorders", "life_stages", "wearables"}
TOPICS_ASKED_FOR = [  # the list of what the knowledge base covers, as words a card must contain
    "stage", "circadian", "light", "hygiene", "cbt-i", "caffeine", "alcohol", "exercise", "nap", "jet lag",
    "shift", "older", "pregnan", "child", "teen", "insomnia", "apnea", "restless legs", "narcolepsy",
    "sleepwalking", "hrv", "heart rate", "spo2", "temperature", "stages",
]
# Questions whose words the knowledge base never uses. (Lexical retrieval cannot tell that "write me a poem
# about cats" is off-topic when a card advises writing worries down: the model and the guard handle those.)
OFF_TOPIC = ["What is the capital of France?", "法国的首都是哪里？", "how do I cook rice", "what is bitcoin", "",
             "?!", "12345"]


def test_every_card_is_bilingual_sourced_and_filled_from_the_norms_table():
    assert {c[Language.EN].area for c in cards().values()} == AREAS
    assert len(cards()) >= 70
    for key, views in cards().items():
        en, zh = views[Language.EN], views[Language.ZH]
        assert en.source and en.source == zh.source, key
        for view in (en, zh):
            assert view.title and view.keywords and len(view.text) >= 40, (key, view.language)
            assert "{" not in view.text and "}" not in view.text, f"{key}: a placeholder was not filled"
            verdict = guard.check(view.text, view.facts())
            assert not verdict.diagnoses, (key, verdict.diagnoses)
        assert re.search(r"[\u4e00-\u9fff]", zh.text) and not re.search(r"[\u4e00-\u9fff]", en.text), key


def test_card_thresholds_come_from_the_norms_table():
    caffeine = card("caffeine").text
    assert f"{NORMS['caffeine_cutoff_h'].value:g} h" in caffeine
    assert f"{NORMS['spo2_min_red_flag_pct'].value:g}%" in card("apnea").text


@pytest.mark.parametrize("word", TOPICS_ASKED_FOR)
def test_the_knowledge_base_covers_each_topic_the_product_promises(word):
    assert any(word in f"{c[Language.EN].title} {c[Language.EN].text} {c[Language.EN].keywords}".lower()
               for c in cards().values()), word


def test_disorder_cards_say_when_to_see_a_doctor():
    disorders = [views[Language.EN] for views in cards().values() if views[Language.EN].area == "disorders"]
    assert len(disorders) >= 8
    for c in disorders:
        assert guard.check(c.text, c.facts(), red_flag=True).missing_red_flag_advice is False, c.key
        assert guard.check(cards()[c.key][Language.ZH].text, [], red_flag=True).missing_red_flag_advice is False


def test_question_bank_is_large_bilingual_with_a_multiple_choice_subset():
    questions = bank.load()
    assert len(questions) >= 1000
    assert len({q.id for q in questions}) == len(questions)
    languages = Counter(q.language for q in questions)
    assert languages[Language.ZH] >= 250 and languages[Language.EN] >= 700
    mcq = [q for q in questions if q.is_mcq]
    assert len(mcq) >= 350
    assert all(len(q.choices) == 4 and q.correct in range(4) for q in mcq)
    positions = Counter(q.correct for q in mcq)
    assert min(positions.values()) >= len(mcq) / 8, f"the right answer is too often in one place: {positions}"
    for q in questions:
        assert q.cards and all(key in cards() for key in q.cards), q.id
        assert q.question.strip() and q.answer.strip(), q.id


def test_reference_answers_only_state_figures_from_their_cards_and_never_diagnose():
    for q in bank.load():
        facts = [f for key in q.cards for lang in Language for f in card(key, lang).facts()]
        verdict = guard.check(q.answer, facts, allowed_text=q.question, knowledge=True)
        assert not verdict.unsupported and not verdict.diagnoses, (q.id, verdict.problems)


def test_splits_are_disjoint_stable_and_keep_translations_together():
    train, dev, test = (bank.load(s) for s in bank.SPLITS)
    assert len(train) + len(dev) + len(test) == len(bank.load())
    groups = [{q.group for q in split} for split in (train, dev, test)]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])
    assert 150 <= len(test) <= 300 and len(dev) >= 60
    assert sum(q.is_mcq for q in test) >= 60
    assert {q.language for q in test} == {Language.EN, Language.ZH}
    assert all(q.split != "test" for q in bank.load("train"))


def test_retrieval_finds_the_card_that_answers_most_dev_questions():
    dev = bank.load("dev")
    found = sum(bool({c.key for c in retrieve(q.question, k=2, language=q.language)} & set(q.cards)) for q in dev)
    assert found / len(dev) >= 0.75, f"recall@2 on dev {found}/{len(dev)}"


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_retrieve_no_card(question):
    assert retrieve(question) == [], scores(question)[:3]


def test_a_chinese_question_finds_chinese_cards_and_a_mixed_one_its_topic():
    found = retrieve("睡前多久不能喝咖啡？")
    assert found and found[0].language is Language.ZH and "咖啡" in found[0].text
    mixed = retrieve("HRV是什么意思")
    assert mixed and mixed[0].language is Language.ZH and "hrv" in (mixed[0].text + mixed[0].keywords).lower()
    assert language_of("HRV是什么") is Language.ZH and language_of("what is HRV") is Language.EN
    assert language_of("123 ?", Language.ZH) is Language.ZH


def test_retrieval_scores_are_ranked_and_thresholded():
    ranked = scores("how long before bed should I stop drinking coffee")
    assert ranked[0][1] == "caffeine" and ranked[0][0] >= MIN_SCORE
    assert [s for s, _ in ranked] == sorted((s for s, _ in ranked), reverse=True)


def test_without_a_model_a_knowledge_answer_is_the_best_card_with_its_source_in_the_users_language():
    reply = answer("Is it bad to drink coffee in the afternoon?", None, None)
    assert "caffeine" in reply.text.lower() and "Source:" in reply.text and reply.sources
    zh = answer("下午喝咖啡会影响睡眠吗？", None, None, language=Language.EN)  # asked in Chinese: answered in Chinese
    assert "来源" in zh.text and re.search(r"[\u4e00-\u9fff]", zh.text) and zh.sources
    none = answer("What is the capital of France?", None, None)
    assert none.text == NO_KNOWLEDGE[Language.EN] and not none.sources
