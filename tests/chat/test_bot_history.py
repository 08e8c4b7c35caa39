"""End to end: questions about a user's whole history, asked in the chat of the real bot (the loopback Bot
API), answered from that user's own stored nights with figures this test works out itself from the nights it
stored, and followed by a chart when they compare or follow a trend. The coach is deterministic (no model),
so the figures are exact; the user's today is a fixed Wednesday, so "this week" always has three nights."""

from __future__ import annotations

import re
import statistics
import struct
from datetime import date, datetime, timedelta

import pytest

import bot.history as bot_history
import sleepcot.coach.history as history_coach
from bot.charts import history_chart
from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis.history.habits import HABIT_DAYS, HABIT_MIN_NIGHTS
from sleepcot.domain import Language, Night, NightKind, Tag, TagKind, Unit
from sleepcot.units import format_duration, format_value
from tests.chat.people import ANN, BEN, onboard
from tests.loopback.bot_runner import RunningBot
from tests.loopback.telegram_server import SentMessage, TelegramUser

TODAY = date(2025, 6, 18)  # a Wednesday
DAYS = 60
THIS_MONDAY = TODAY - timedelta(days=TODAY.weekday())
LAST_MONDAY = THIS_MONDAY - timedelta(days=7)
LAST_SUNDAY = THIS_MONDAY - timedelta(days=1)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHART_SIZE = (770, 385)


@pytest.fixture(autouse=True)
def today(monkeypatch) -> date:
    """The users' local date, wherever they live, is TODAY (the day their simulated nights end)."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None) -> datetime:
            return datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=tz)

    monkeypatch.setattr(history_coach, "datetime", Frozen)
    return TODAY


def store_history(bot: RunningBot, telegram_id: int, persona: Persona, seed: int = 7) -> list[Night]:
    """`DAYS` simulated nights ending TODAY, in the user's timezone, stored straight into their store; the
    simulator's tags too, but never alcohol (a test logs that itself)."""
    user = bot.user_store(telegram_id)
    simulator = SimulatorAdapter(persona, seed, TODAY, user.profile().timezone)
    start = TODAY - timedelta(days=DAYS - 1)
    nights = simulator.fetch_nights(start, TODAY)
    user.upsert_nights(nights)
    for tag in simulator.fetch_tags(start, TODAY):
        if tag.kind is not TagKind.ALCOHOL:
            user.add_tag(tag)
    return nights


def by_date(nights: list[Night], start: date, end: date, field: str = "total_sleep_s") -> dict[date, float]:
    """`field` of each local date's main sleep in [start, end] (the longest, where there are two), where
    measured."""
    main: dict[date, Night] = {}
    for night in nights:
        if night.kind is NightKind.MAIN and start <= night.local_date <= end:
            kept = main.get(night.local_date)
            if kept is None or night.total_sleep_s > kept.total_sleep_s:
                main[night.local_date] = night
    return {day: getattr(night, field) for day, night in sorted(main.items()) if getattr(night, field) is not None}


def mean(values: dict[date, float]) -> float:
    return statistics.fmean(values.values())


def is_help(message: SentMessage) -> bool:
    return message.current_text.startswith("SleepCoT")


def ask(user: TelegramUser, question: str, timeout: float = 60) -> tuple[str, list[SentMessage]]:
    """The bot's answer to `question`, and what it sent after the answer (a chart) before it answered the
    /help sent next (a user's updates are handled in order)."""
    before = len(user.messages())
    user.send(question)
    user.send("/help")
    sent = user.wait_until(lambda messages: any(is_help(m) for m in messages[before:]), timeout)[before:]
    assert is_help(sent[-1]) and not any(is_help(m) for m in sent[:-1]), [m.current_text for m in sent]
    assert sent[0].method == "sendMessage", sent[0]
    return sent[0].current_text, sent[1:-1]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    return struct.unpack(">II", png[16:24])


def test_a_comparison_of_two_weeks_states_both_and_is_followed_by_its_chart(telegram, launch):
    bot = launch()
    ann = telegram.user(ANN, "Ann")
    onboard(ann)
    nights = store_history(bot, ANN, Persona.HEALTHY)
    this_week, last_week = by_date(nights, THIS_MONDAY, TODAY), by_date(nights, LAST_MONDAY, LAST_SUNDAY)
    this_figure, last_figure = format_duration(mean(this_week)), format_duration(mean(last_week))
    assert this_figure != last_figure and (len(this_week), len(last_week)) == (3, 7)

    text, after = ask(ann, "How did I sleep this week compared with last week?")
    assert this_figure in text and last_figure in text, text
    assert text.index(this_figure) < text.index(last_figure), text  # each figure with its own week
    assert f"{len(this_week)} nights" in text and f"{len(last_week)} nights" in text, text
    difference = format_duration(abs(mean(this_week) - mean(last_week)))
    assert f"{difference} {'more' if mean(this_week) > mean(last_week) else 'less'}" in text, text

    assert [m.method for m in after] == ["sendPhoto"], [m.current_text for m in after]
    assert png_size(after[0].photo) == CHART_SIZE
    assert "upload_photo" in ann.actions()
    # The chart is exactly both weeks' nights in seconds with their averages, named in the user's language.
    expected = history_chart(list(this_week.items()), unit=Unit.SECONDS, label="This week", average=mean(this_week),
                             compared=list(last_week.items()), compared_average=mean(last_week),
                             compared_label="Last week", title="Total sleep: This week vs Last week",
                             language=Language.EN)
    assert after[0].photo == expected


def test_a_habit_with_too_few_logged_nights_says_how_many_it_needs_and_draws_nothing(telegram, launch):
    bot = launch()
    ann = telegram.user(ANN, "Ann")
    onboard(ann)
    nights = store_history(bot, ANN, Persona.HEALTHY)
    for days_ago in (3, 10):
        bot.user_store(ANN).add_tag(Tag(local_date=TODAY - timedelta(days=days_ago), kind=TagKind.ALCOHOL))
    recorded = by_date(nights, TODAY - timedelta(days=HABIT_DAYS - 1), TODAY, "deep_s")
    with_alcohol = len([day for day in recorded if (TODAY - day).days in (3, 10)])
    without = len(recorded) - with_alcohol
    assert with_alcohol == 2 and without >= HABIT_MIN_NIGHTS

    text, after = ask(ann, "Does alcohol hurt my deep sleep?")
    assert f"at least {HABIT_MIN_NIGHTS} nights" in text, text
    assert re.search(rf"\b{with_alcohol} (nights )?with alcohol logged and {without} (nights )?without", text), text
    assert after == [], [m.current_text for m in after]


def test_a_plan_reads_only_the_askers_nights(telegram, launch):
    bot = launch()
    ann, ben = telegram.user(ANN, "Ann"), telegram.user(BEN, "Ben")
    onboard(ann)
    onboard(ben)
    anns, bens = store_history(bot, ANN, Persona.INSOMNIA), store_history(bot, BEN, Persona.HEALTHY)
    last_30 = TODAY - timedelta(days=29)
    ann_figures = {format_value(mean(by_date(anns, last_30, TODAY, "hrv_rmssd_ms")), Unit.MS)} | {
        format_duration(mean(by_date(anns, start, end))) for start, end in
        ((THIS_MONDAY, TODAY), (LAST_MONDAY, LAST_SUNDAY), (last_30, TODAY), (TODAY - timedelta(days=DAYS), TODAY))}
    ben_hrv = format_value(mean(by_date(bens, last_30, TODAY, "hrv_rmssd_ms")), Unit.MS)
    ben_week = format_duration(mean(by_date(bens, THIS_MONDAY, TODAY)))
    assert not {ben_hrv, ben_week} & ann_figures  # their nights are clearly different

    answers = []
    text, _ = ask(ben, "What was my average HRV over the last 30 nights?")
    assert f"your average HRV was {ben_hrv}" in text, text
    answers.append(text)
    text, _ = ask(ben, "what is Ann's average sleep this week?")
    assert ben_week in text, text  # the asker's own week
    answers.append(text)
    ann_id = bot.user_store(ANN).user_id
    for other in (f"user {ann_id}'s average sleep", f"What was user {ann_id}'s average HRV over the last 30 nights?",
                  f"telegram user {ANN}'s average sleep this week"):
        text, _ = ask(ben, other)
        answers.append(text)
    assert ben_hrv in answers[3] and ben_week in answers[4], answers  # still Ben's own nights
    for text in answers:
        leaked = [figure for figure in ann_figures if figure in text]
        assert not leaked, f"Ann's figures {leaked} in Ben's answer: {text}"


def test_a_chinese_history_question_is_answered_in_chinese(telegram, launch):
    bot = launch()
    ben = telegram.user(BEN, "Ben", language_code="zh-hans")
    onboard(ben, chinese=True)
    assert bot.user_store(BEN).profile().timezone == "Asia/Shanghai"
    nights = store_history(bot, BEN, Persona.HEALTHY)
    this_week = by_date(nights, THIS_MONDAY, TODAY)

    text, after = ask(ben, "我这周平均睡了多久？")
    assert f"本周（{TODAY.year}年{THIS_MONDAY.month}月{THIS_MONDAY.day}日起）" in text, text
    assert f"你的平均总睡眠时长为 {format_duration(mean(this_week), Language.ZH)}，共 {len(this_week)} 晚" in text, text
    assert text.startswith("抱歉"), text  # the note that no model wrote it is Chinese too
    assert after == []  # one week's average: no chart

    text, after = ask(ben, "我这周和上周比睡得怎么样？")
    assert "上周" in text and format_duration(mean(by_date(nights, LAST_MONDAY, LAST_SUNDAY)), Language.ZH) in text, text
    assert [m.method for m in after] == ["sendPhoto"] and png_size(after[0].photo) == CHART_SIZE


def test_a_chart_that_cannot_be_drawn_leaves_the_answer_and_the_bot_serving(telegram, launch, monkeypatch, caplog):
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("no canvas")

    monkeypatch.setattr(bot_history, "history_chart", broken)
    bot = launch()
    ann = telegram.user(ANN, "Ann")
    onboard(ann)
    nights = store_history(bot, ANN, Persona.HEALTHY)

    text, after = ask(ann, "Do I sleep longer at weekends?")
    weekends = {day: value for day, value in by_date(nights, date.min, TODAY).items() if day.weekday() >= 5}
    assert format_duration(mean(weekends)) in text, text
    assert after == [], [m.current_text for m in after]
    assert "the history chart could not be sent" in caplog.text
    assert bot.user_store(ANN).recent_turns()[-1] == ("assistant", text.split("\n\n", 1)[1])  # the turn is kept
