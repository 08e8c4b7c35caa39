"""Retrieval's learned and language-specific parts: the question map learned from the bank's train split,
Chinese questions ranked by characters beside words and by the meaning of their English gloss, and questions
that name an age."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distill import questions as bank
from distill.questions import adapter
from sleepcot.coach import gloss, meaning, retrieval
from sleepcot.coach.ages import age_asked
from sleepcot.coach.knowledge import card, cards
from sleepcot.domain import Language


def test_the_shipped_question_map_was_learned_from_todays_cards_and_the_train_split():
    arrays = meaning.shipped(meaning.QUESTION_MAP)
    assert arrays is not None, "rebuild with python -m distill.questions.adapter"
    assert str(arrays["cards"]) == meaning.cards_digest(), "cards changed: python -m distill.questions.adapter"
    assert str(arrays["trained_on"]) == adapter.questions_digest(adapter.training_questions()), (
        "the bank's train split changed: python -m distill.questions.adapter")
    assert meaning.question_map() is not None
    assert all(q.split == "train" for q in adapter.training_questions())


def test_the_shipped_asked_questions_are_the_train_split_read_as_retrieval_reads_it_today():
    arrays = meaning.shipped(meaning.ASKED)
    assert arrays is not None, "rebuild with python -m distill.questions.adapter"
    asked = adapter.asked_questions()
    assert str(arrays["cards"]) == meaning.cards_digest(), "cards changed: python -m distill.questions.adapter"
    assert str(arrays["trained_on"]) == adapter.questions_digest([q for _, q in asked]), (
        "the bank's train split changed: python -m distill.questions.adapter")
    # the gloss or what counts as English changed since: the shipped vectors read other texts
    assert [str(t) for t in arrays["texts"]] == [text for text, _ in asked], "python -m distill.questions.adapter"
    assert {q.split for _, q in asked} == {"train"} and {q.language for _, q in asked} == set(Language)
    assert meaning.asked() is not None


WARMED = """
import sys
from sleepcot.coach import embedding, gloss, meaning, retrieval
retrieval.warm()
loaders = [retrieval._bm25, retrieval._jieba, gloss._definitions, embedding.encoder, meaning.card_vectors,
           meaning.question_map, meaning.asked]
loaded, modules = [f.cache_info().misses for f in loaders], set(sys.modules)
for question in sys.argv[1:]:
    retrieval.rank(question)
print([f.__name__ for f, n in zip(loaders, loaded) if f.cache_info().misses != n], sorted(set(sys.modules) - modules))
"""


def test_after_warming_the_first_questions_in_either_language_load_nothing():
    """`sleepcot run` warms retrieval before the bot starts: the first Chinese question used to wait ~3 s for
    jieba, the dictionary and the Chinese indexes."""
    questions = ["我70岁了，每天睡几个小时够？", "my 4 month old wakes every hour", "HRV低是什么意思", "jet lag 怎么倒"]
    done = subprocess.run([sys.executable, "-c", WARMED, *questions], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] []", done.stdout


def _recall_at_1(questions: list[bank.Question], *, leave_out: bool = False) -> float:
    return float(np.mean([retrieval.rank(q.question, q.group if leave_out else "").keys[0] in q.cards
                          for q in questions]))


def test_a_train_question_is_ranked_as_a_new_one_when_its_group_is_left_out():
    """Calibration and teaching rank the train split's questions: among the questions asked before, each would
    find itself and its translation (the right card first for 0.83 of these 120, 0.71 with their groups left
    out; the whole train split 0.84 and 0.76, dev's questions, never asked before, 0.76)."""
    questions = bank.sample("train", 120)
    assert _recall_at_1(questions) >= _recall_at_1(questions, leave_out=True) + 0.03


def test_the_questions_asked_before_put_a_right_card_first_more_often(monkeypatch):
    """Dev questions (never among those asked before): the right card first for 0.70 of them without the
    ranking by the questions asked before, 0.76 with it."""
    questions = bank.load("dev")
    with_asked = _recall_at_1(questions)
    retrieval.rank.cache_clear()
    monkeypatch.setattr(retrieval, "ASKED_WEIGHT", 0.0)
    without = _recall_at_1(questions)
    retrieval.rank.cache_clear()
    assert with_asked >= without + 0.03, (without, with_asked)


def _recall_by_meaning(questions: list[bank.Question], *, mapped: bool, glossed: bool = False) -> float:
    vectors = np.stack([meaning.question_vector(retrieval.glossed(q.question) if glossed else q.question)
                        for q in questions])
    if mapped:
        vectors = np.stack([meaning.mapped(v) for v in vectors])
    similarity = np.einsum("cvd,qd->qcv", meaning.card_vectors(), vectors).max(axis=2)
    keys = list(cards())
    best = np.argsort(-similarity, axis=1)[:, :2]
    return float(np.mean([bool({keys[i] for i in row} & set(q.cards)) for row, q in zip(best, questions)]))


def test_the_question_map_finds_the_cards_of_questions_it_never_saw():
    """Dev questions (never trained on), ranked by meaning alone: measured 0.74 plain, 0.80 with the map."""
    questions = [q for q in bank.load("dev", language=Language.EN) if retrieval.is_english(q.question)]
    plain, mapped = _recall_by_meaning(questions, mapped=False), _recall_by_meaning(questions, mapped=True)
    assert mapped >= plain + 0.03, (plain, mapped)


def test_a_chinese_question_is_read_in_english_words():
    assert {"melatonin", "insomnia"} <= set(retrieval.glossed("褪黑素能治失眠吗？").split())
    assert retrieval.glossed("HRV低是什么意思").startswith("HRV low")  # other text is kept as it is
    assert "78%" in retrieval.glossed("我的戒指显示睡眠效率是78%")
    # a word of sleep in its sense here, not the dictionary's first ("trapped", "allow"); an entry that only
    # points to another ("old variant of 深") does not hide the word's own
    assert retrieval.glossed("总是很困，睡不着") == "always sleepy ， can't sleep"
    assert retrieval.glossed("手环准吗") == "fitness band tracker accurate"
    assert retrieval.glossed("深").startswith("deep")
    # a word the dictionary lacks is read by the words it knows in it; function words are left out
    assert gloss.english(["咖啡过敏"]) == "coffee oversensitive allergic"
    assert gloss.english(["的"], skip=frozenset("的")) == "" and retrieval.glossed("我的？") == "？"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*"睡眠困醒梦咖啡啥比的了吗我很准深夜班岁，。？! ?-'%", "HRV", "jet lag", "9", "\n",
                                 chr(0x3400), chr(0x9fff)]), max_size=40).map("".join))
def test_any_text_is_glossed_into_words_the_english_model_reads_and_ranked(text):
    assert not re.search(r"[\u3400-\u9fff]", retrieval.glossed(text))  # no Chinese left, nor from a definition
    keys = retrieval.rank(text).keys
    assert len(set(keys)) == len(keys) and set(keys) <= set(cards())


def test_chinese_questions_find_their_cards_by_the_meaning_of_their_gloss():
    """Dev's Chinese questions, ranked by meaning alone: the English model reads little of the Chinese itself
    and much of its gloss (measured 0.05 and 0.64); through the whole ranking, 0.75 without the gloss, 0.89 with."""
    questions = [q for q in bank.load("dev", language=Language.ZH) if not retrieval.is_english(q.question)]
    plain = _recall_by_meaning(questions, mapped=True)
    assert _recall_by_meaning(questions, mapped=True, glossed=True) >= plain + 0.3, plain


def test_fitting_moves_each_question_to_its_own_card():
    rng = np.random.default_rng(0)
    card_vectors = rng.normal(size=(6, 2, 8))
    card_vectors /= np.linalg.norm(card_vectors, axis=2, keepdims=True)
    # each question lies nearest another card than its own
    questions = card_vectors[[1, 2, 3, 4, 5, 0], 0] + 0.3 * card_vectors[:, 0]
    labels = np.eye(6)

    def best(w: np.ndarray) -> list[int]:
        mapped = questions @ w
        mapped /= np.linalg.norm(mapped, axis=1, keepdims=True)
        return list(np.einsum("cvd,qd->qcv", card_vectors, mapped).max(axis=2).argmax(axis=1))

    assert best(np.eye(8)) == [1, 2, 3, 4, 5, 0]
    assert best(adapter.fit(questions, labels, card_vectors, penalty=0.0, epochs=500)) == [0, 1, 2, 3, 4, 5]


def test_chinese_terms_are_characters_and_their_pairs_as_well_as_words():
    assert {"睡", "着", "睡不", "不着", "着觉"} <= set(retrieval.characters("睡不着觉"))
    assert "的" not in retrieval.characters("我的睡眠") and "hrv" in retrieval.characters("HRV是什么")


@pytest.mark.parametrize(("question", "years"), [
    ("how much sleep does a 10-year-old need?", 10),
    ("my 4 month old wakes every hour", 0.33),
    ("my 16 yo says 6 hours is fine", 16),
    ("is it normal for a two year old to skip naps", 2),
    ("I'm 70 and wake at 4am", 70),
    ("3岁孩子要睡多久", 3),
    ("三个月大的宝宝晚上总醒", 0.25),
    ("我七十岁了，睡6小时够吗", 70),
    ("十五岁的孩子要睡多久", 15),
    ("I am 999 years old", None),
    ("I'm 5 hours short on sleep", None),
    ("been doing night shifts for 10 years", None),
    ("失眠3个月了怎么办", None),
    ("how much sleep do teenagers need", None),
    ("I'm 32, can my 3 month old sleep in our bed?", 0.25),
    ("I'm a 32-year-old mum, can I bed-share with my baby?", None),
    ("我35岁，孩子6岁，晚上总做噩梦", 6),
])
def test_the_age_a_question_names(question, years):
    assert age_asked(question) == years


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"0123456789 .-'十百零一二两三四五六七八九岁个月大周的宝孩子", "year", "years", "old",
                                 "month", "yo", "aged", "I'm", "i am", "baby", "twenty", "one"]), max_size=30).map("".join))
def test_any_text_gives_an_age_in_a_lifetime_or_none(text):
    age = age_asked(text)
    assert age is None or 0 <= age <= 120


@pytest.mark.parametrize(("question", "years"), [
    ("how many hours should a 75 year old sleep", 75),
    ("how much sleep does a 10-year-old need?", 10),
    ("my 4 month old keeps waking up at night", 0.33),
    ("我70岁了，夜里总醒好几次正常吗", 70),
    ("3岁的孩子晚上要睡多久", 3),
])
def test_a_question_naming_an_age_gets_no_card_written_for_another_age(question, years):
    found = retrieval.retrieve(question)
    assert found, question
    for found_card in found:
        ages = card(found_card.key).ages
        assert ages is None or ages[0] <= years <= ages[1], (question, found_card.key, ages)
