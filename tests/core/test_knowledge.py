"""The knowledge base, its retrieval and the question bank: what a user asking a sleep question depends on
(a sourced card in their language, found from their own words, answering first), and what the evaluation
depends on (a large, well-formed bank whose test split never leaks into training)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib import resources

import pytest

from distill import questions as bank
from distill.evaluation.metrics import token_f1
from distill.questions.calibrate import off_topic
from sleepcot.analysis.norms import NORMS
from sleepcot.coach import guard, meaning, prompts, retrieval
from sleepcot.coach.answering import (
    KNOWLEDGE_CARDS,
    NO_CARD,
    OFF_TOPIC,
    answer,
    deterministic_knowledge,
    first_sentence,
    why,
)
from sleepcot.coach.knowledge import Card, card, cards, language_of
from sleepcot.coach.retrieval import about_sleep, rank, retrieve
from sleepcot.domain import Language

AREAS = {"physiology", "circadian", "insomnia", "lifestyle", "disorders", "life_stages", "wearables"}
TOPICS_ASKED_FOR = [  # what the knowledge base covers, as words a card must contain
    "stage", "circadian", "light", "hygiene", "cbt-i", "caffeine", "alcohol", "exercise", "nap", "jet lag",
    "shift", "older", "pregnan", "child", "teen", "insomnia", "apnea", "restless legs", "narcolepsy",
    "sleepwalking", "hrv", "heart rate", "spo2", "temperature", "stages", "school", "postpartum", "menopause",
    "nicotine", "cannabis", "meal", "screen", "noise", "pet", "partner", "dream", "nightmare", "sleep talking",
    "snoring", "cpap", "stimulus control", "sleep restriction", "melatonin", "accura", "myth", "baby", "toddler",
]
MIN_CARDS = 500
MIN_RECALL_AT_2 = 0.85  # measured 0.878 (dev) and 0.883 (test) through retrieve() with 532 cards (goal 0.9: README)


def test_every_card_is_bilingual_sourced_and_filled_from_the_norms_table():
    assert {c[Language.EN].area for c in cards().values()} == AREAS
    assert len(cards()) >= MIN_CARDS
    for key, views in cards().items():
        en, zh = views[Language.EN], views[Language.ZH]
        assert en.source and en.source == zh.source, key
        for view in (en, zh):
            assert view.title and view.keywords and len(view.text) >= 40, (key, view.language)
            said = f"{view.answer} {view.text}"
            assert "{" not in said and "}" not in said, f"{key}: a placeholder was not filled"
            assert not re.search(r"[.!?](?=\s)|[。！？](?=.)", view.answer.strip()), f"{key}: the answer is one sentence"
            verdict = guard.check(said, view.facts())
            assert not verdict.diagnoses and verdict.safe, (key, verdict.problems)
        assert re.search(r"[\u4e00-\u9fff]", zh.answer + zh.text), key
        assert not re.search(r"[\u4e00-\u9fff]", en.answer + en.text), key


def test_card_thresholds_come_from_the_norms_table():
    caffeine = card("caffeine").text
    assert f"{NORMS['caffeine_cutoff_h'].value:g} h" in caffeine
    assert f"{NORMS['spo2_min_red_flag_pct'].value:g}%" in card("apnea").text


# clinical ranges the cards state, as pairs of norms: a card writes them through placeholders, never as literals
# (not AHI's 15-30, which other cards' durations share: 15-30 minutes of morning light)
CARD_RANGES = [("ahi_mild_min", "ahi_moderate_min"), ("isi_subthreshold_min", "isi_subthreshold_max"),
               ("nap_min_min", "nap_max_min"),
               ("nap_min_older_min", "nap_max_older_min"), ("cbti_sessions_min", "cbti_sessions_max"),
               ("rhr_normal_min_bpm", "rhr_normal_max_bpm"), ("exercise_moderate_min_min", "exercise_moderate_max_min")]


def test_cards_clinical_cut_offs_come_from_the_norms_table_not_literals():
    value = {key: f"{norm.value:g}" for key, norm in NORMS.items()}
    assert f"{value['ahi_mild_min']} to {value['ahi_moderate_min']} is counted as mild" in card("dis-ahi").answer
    assert f"above {value['epworth_normal_max']} out of 24" in card("dis-epworth").answer
    assert f"{value['isi_moderate_min']}分及以上" in card("ins-isi-questionnaire", Language.ZH).answer
    assert f"{value['stimulus_control_awake_min']} minutes" in card("stimulus-control").answer
    literal = re.compile("|".join(rf"(?<![\d.]){value[low]}\s*(?:-|to|到|至)\s*{value[high]}(?![\d.])"
                                  for low, high in CARD_RANGES))
    folder = resources.files("sleepcot.coach") / "cards"
    written = [(raw["key"], language) for entry in folder.iterdir() if entry.name.endswith(".toml")
               for raw in tomllib.loads(entry.read_text(encoding="utf-8"))["cards"] for language in ("en", "zh")
               if literal.search(raw[language]["answer"] + " " + raw[language]["text"])]
    assert not written, f"cards that write a clinical range as a literal, not from the norms table: {written}"


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


def test_the_bank_holds_questions_written_the_way_users_type():
    typed = [q for q in bank.load() if q.typed]
    assert len(typed) >= 300
    languages = Counter(q.language for q in typed)
    assert languages[Language.ZH] >= 50 and languages[Language.EN] >= 150
    assert sum(bool(re.search(r"[A-Za-z]{2}", q.question)) for q in typed if q.language is Language.ZH) >= 10  # mixed
    assert sum(q.question == q.question.lower() for q in typed if q.language is Language.EN) >= len(typed) / 4
    assert len({q.cards[0] for q in typed}) >= 150, "typed questions cover many cards, not a few"
    assert {q.split for q in typed} == set(bank.SPLITS)


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
    assert 150 <= len(test) <= 500 and len(dev) >= 60
    assert sum(q.is_mcq for q in test) >= 60
    assert {q.language for q in test} == {Language.EN, Language.ZH}
    assert all(q.split != "test" for q in bank.load("train"))


@pytest.mark.parametrize("split", ["dev", "test"])
def test_retrieval_finds_a_card_that_answers_four_in_five_questions(split):
    questions = bank.load(split)
    found = sum(bool({c.key for c in retrieve(q.question, k=2, language=q.language)} & set(q.cards)) for q in questions)
    assert found / len(questions) >= MIN_RECALL_AT_2, f"recall@2 on {split}: {found}/{len(questions)}"


def test_off_topic_questions_get_no_card_and_are_told_what_the_coach_answers():
    asked = off_topic()
    carded = [q for q in asked if retrieve(q)]
    called_sleep = [q for q in asked if about_sleep(q)]
    assert len(carded) <= len(asked) / 15, carded  # calibrated: 5 of 89 (README, Knowledge)
    assert len(called_sleep) <= len(asked) / 15, called_sleep
    for question in ("write a poem about cats", "", "?!", "12345", "法国的首都是哪里？"):
        assert retrieve(question) == [], rank(question).keys[:3]
    reply = answer("write a poem about cats", None, None)
    assert reply.text == OFF_TOPIC[Language.EN] and not reply.sources and not reply.by_model


def test_a_sleep_question_no_card_answers_is_told_so_not_answered_from_a_loose_card():
    question = "睡美人是谁写的"  # who wrote Sleeping Beauty
    assert about_sleep(question) and retrieve(question) == [], rank(question)
    reply = answer(question, None, None)
    assert reply.text == NO_CARD[Language.ZH] and not reply.by_model and not reply.sources
    assert deterministic_knowledge(question, [], Language.EN) == NO_CARD[Language.EN]


def test_sleep_questions_are_about_sleep_and_nearly_all_get_a_card_in_either_language():
    dev = bank.load("dev")
    assert sum(about_sleep(q.question) for q in dev) >= 0.97 * len(dev)
    for language in Language:
        asked = [q for q in dev if q.language is language]
        assert sum(bool(retrieve(q.question)) for q in asked) >= 0.95 * len(asked), language


def test_a_chinese_question_finds_chinese_cards_and_a_mixed_one_its_topic():
    found = retrieve("睡前多久不能喝咖啡？")
    assert found and found[0].language is Language.ZH and "咖啡" in found[0].text
    mixed = retrieve("HRV是什么意思")
    assert mixed and mixed[0].language is Language.ZH and "hrv" in (mixed[0].text + mixed[0].keywords).lower()
    assert language_of("HRV是什么") is Language.ZH and language_of("what is HRV") is Language.EN
    assert language_of("123 ?", Language.ZH) is Language.ZH


def test_meaning_finds_the_card_that_words_alone_miss():
    question = "why do I feel groggy when my alarm goes off"  # the card speaks of "sleep inertia"
    by_words = retrieval.lexical_scores(question)
    assert "phys-sleep-inertia" not in [list(cards())[i] for i in by_words.argsort()[::-1][:2]]
    assert "phys-sleep-inertia" in [c.key for c in retrieve(question)]


def test_the_shipped_card_embeddings_are_made_from_todays_cards():
    shipped = meaning.shipped_embeddings()
    assert shipped is not None, "cards changed: rebuild with python -m sleepcot.coach.meaning"
    assert shipped.shape == (len(cards()), 2, 384)


def test_a_knowledge_answer_opens_with_the_direct_answer_then_why_and_carries_its_source():
    question = "Is it bad to drink coffee in the afternoon?"
    best = retrieve(question, k=KNOWLEDGE_CARDS)[0]
    reply = answer(question, None, None)
    assert reply.text.startswith(best.answer + " ") and reply.text.removeprefix(best.answer + " ") in best.text
    assert best.source in reply.sources and "caffeine" in reply.text.lower()
    zh_question = "下午喝咖啡会影响睡眠吗？"
    best_zh = retrieve(zh_question)[0]
    zh = answer(zh_question, None, None, language=Language.EN)  # asked in Chinese: answered in Chinese
    assert zh.text.startswith(best_zh.answer) and re.search(r"[\u4e00-\u9fff]", zh.text) and zh.sources


def test_the_model_is_asked_to_open_with_the_best_cards_answer():
    question = "how long should a nap be"
    found = retrieve(question, k=KNOWLEDGE_CARDS)
    prompt = prompts.knowledge(question, found)
    assert prompt.steps == (found[0].answer,)  # prefilled where the backend can: the reply starts there
    assert found[0].answer in prompt.messages[-1]["content"] and prompt.sources == [c.source for c in found]
    assert prompts.knowledge(question, []).steps == ()
    # a short prompt: the best card whole, the runner-up by its answer; the sources go with the reply instead
    content = prompt.messages[-1]["content"]
    assert found[0].text in content and found[1].answer in content and found[1].text not in content
    assert not any(c.source in content for c in found)
    # a retry after the guard refused a reply extends the first try's prompt, so the model's cache is reused
    retry = prompts.knowledge(question, found, strict=True).messages
    assert retry[:-1] == prompt.messages[:-1] and retry[-1]["content"].startswith(content) and retry != prompt.messages


def test_a_direct_answer_and_the_why_asked_for_score_better_against_the_banks_references():
    """What answering first is for: the one fact asked for, not buried in general prose (replies used to be
    the card's whole text and its source); and the why is the sentence about what was asked, which the bank's
    references bear out better than the card's opening sentence."""
    questions = bank.load("dev")
    replies = {"direct answer and why": [], "direct answer and first sentence": [], "card text and source": []}
    for q in questions:
        found = retrieve(q.question, k=KNOWLEDGE_CARDS, language=q.language)
        replies["direct answer and why"].append(token_f1(deterministic_knowledge(q.question, found, q.language), q.answer))
        opening = f"{found[0].answer} {first_sentence(found[0].text)}" if found else ""
        replies["direct answer and first sentence"].append(token_f1(opening, q.answer))
        replies["card text and source"].append(token_f1(f"{found[0].text} ({found[0].source})" if found else "", q.answer))
    mean = {name: sum(f1) / len(f1) for name, f1 in replies.items()}
    assert mean["direct answer and why"] > mean["direct answer and first sentence"] + 0.01, mean
    assert mean["direct answer and first sentence"] > mean["card text and source"] + 0.03, mean


def test_the_why_is_the_cards_sentence_about_what_was_asked_not_the_answer_again():
    nap = Card("test-naps", "physiology", "naps", Language.EN, "Nap length",
                answer="Keep a nap short, about 20 minutes.",
                text="A short nap of about 20 minutes is best. Long naps reach deep sleep, so waking from one feels "
                     "groggy. Naps late in the day also push bedtime later.",
                keywords="nap", source="test")
    assert why("why do long naps make me groggy", nap) == "Long naps reach deep sleep, so waking from one feels groggy."
    assert why("do naps late in the day push my bedtime", nap) == "Naps late in the day also push bedtime later."
    # every sentence is as much about the question: not the one that says the answer again, the earliest other
    assert why("is a nap good for me", nap) == "Long naps reach deep sleep, so waking from one feels groggy."
    reply = deterministic_knowledge("why do long naps make me groggy", [nap], Language.EN)
    assert reply == f"{nap.answer} Long naps reach deep sleep, so waking from one feels groggy."
