"""Plain-language tag logging: the kinds and night a message names, negations, late vs plain workouts, and
telling a log from a question, in English and Chinese."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sleepcot.domain import Language, TagKind
from sleepcot.tagging import TAG_LABELS, is_log_statement, parse_tags

TODAY = date(2025, 6, 18)
TONIGHT = TODAY + timedelta(days=1)  # the night that ends tomorrow
K = TagKind

CASES = [
    ("had 2 espressos at 5pm", [K.LATE_CAFFEINE], TONIGHT),
    ("drank a glass of wine", [K.ALCOHOL], TONIGHT),
    ("had a few drinks last night", [K.ALCOHOL], TODAY),
    ("Coffee at 4pm yesterday and a beer after work", [K.LATE_CAFFEINE, K.ALCOHOL], TODAY),
    ("two energy drinks during the afternoon", [K.LATE_CAFFEINE], TONIGHT),
    ("went to the gym at 8pm", [K.LATE_WORKOUT], TONIGHT),
    ("evening run, 10k", [K.LATE_WORKOUT], TONIGHT),
    ("ran at 20:30", [K.LATE_WORKOUT], TONIGHT),
    ("yoga yesterday at 7 p.m.", [K.LATE_WORKOUT], TODAY),
    ("worked out this morning", [K.WORKOUT], TONIGHT),
    ("gym at 7am, then a late dinner", [K.WORKOUT, K.LATE_MEAL], TONIGHT),
    ("stressed about a deadline, scrolling my phone in bed", [K.STRESS, K.SCREEN], TONIGHT),
    ("took melatonin", [K.MELATONIN], TONIGHT),
    ("caught a cold and have a fever", [K.ILLNESS], TONIGHT),
    ("flew to Tokyo, jet lag is brutal", [K.TRAVEL], TONIGHT),
    ("night shift again", [K.NIGHT_SHIFT], TONIGHT),
    ("晚上喝了酒", [K.ALCOHOL], TONIGHT),
    ("昨晚喝了两杯红酒", [K.ALCOHOL], TODAY),
    ("昨天下午5点喝了咖啡", [K.LATE_CAFFEINE], TODAY),
    ("晚上运动了一个小时", [K.LATE_WORKOUT], TONIGHT),
    ("20点去跑步", [K.LATE_WORKOUT], TONIGHT),
    ("早上跑步，下午喝了奶茶", [K.WORKOUT, K.LATE_CAFFEINE], TONIGHT),
    ("工作压力大，很焦虑", [K.STRESS], TONIGHT),
    ("吃了宵夜，刷视频到两点", [K.LATE_MEAL, K.SCREEN], TONIGHT),
    ("夜班，出差坐飞机，感冒了", [K.NIGHT_SHIFT, K.TRAVEL, K.ILLNESS], TONIGHT),
    ("吃了褪黑素", [K.MELATONIN], TONIGHT),
]


@pytest.mark.parametrize(("text", "kinds", "night"), CASES)
def test_parse_tags(text: str, kinds: list[TagKind], night: date) -> None:
    tags = parse_tags(text, TODAY)
    assert [tag.kind for tag in tags] == kinds
    assert all(tag.local_date == night and tag.note == text for tag in tags)
    assert is_log_statement(text)


@pytest.mark.parametrize("text", [
    "no coffee today", "didn't drink", "I did not have any wine", "not stressed at all", "没喝酒", "没有喝咖啡",
    "今天不紧张", "had a cold shower", "running late for work", "stayed at a hotel, 住酒店",
])
def test_negated_or_unrelated_is_not_tagged(text: str) -> None:
    assert parse_tags(text, TODAY) == []
    assert not is_log_statement(text)


def test_negation_covers_only_its_own_keyword() -> None:
    assert [t.kind for t in parse_tags("no coffee, but had two beers", TODAY)] == [K.ALCOHOL]
    assert [t.kind for t in parse_tags("I didn't sleep well after wine", TODAY)] == [K.ALCOHOL]
    assert [t.kind for t in parse_tags("喝了不少酒", TODAY)] == [K.ALCOHOL]


def test_morning_caffeine_is_not_late_caffeine() -> None:
    assert parse_tags("coffee at 8am", TODAY) == []
    assert parse_tags("早上喝了咖啡", TODAY) == []


def test_kinds_are_unique_and_note_is_stripped_and_capped() -> None:
    text = "  wine, more wine, then whisky " + "x" * 300
    tags = parse_tags(text, TODAY)
    assert [t.kind for t in tags] == [K.ALCOHOL]
    assert tags[0].note == text.strip()[:200]


@pytest.mark.parametrize("text", [
    "Does alcohol hurt sleep?", "why did I wake up after wine", "How much coffee is too much", "is melatonin safe",
    "喝酒会影响睡眠吗", "为什么喝了咖啡睡不着", "晚上运动好不好？",
])
def test_questions_are_not_log_statements(text: str) -> None:
    assert parse_tags(text, TODAY)  # they do mention tags
    assert not is_log_statement(text)


def test_long_text_is_not_a_log_statement() -> None:
    assert not is_log_statement("had a glass of wine. " + "blah " * 60)


def test_huge_text_is_handled() -> None:
    text = "coffee wine gym no " * 5_300  # ~100 KB
    assert len(text) > 100_000
    assert not is_log_statement(text)
    assert {t.kind for t in parse_tags(text, TODAY)} == {K.LATE_CAFFEINE, K.ALCOHOL, K.WORKOUT}


def test_every_kind_has_a_label_in_both_languages() -> None:
    for language in Language:
        assert set(TAG_LABELS[language]) == set(TagKind)
        assert all(label.strip() for label in TAG_LABELS[language].values())
    assert TAG_LABELS[Language.ZH][K.LATE_CAFFEINE] == "晚间咖啡因"
