"""The two scheduling settings a user sets from /settings — the weekly summary's day and whether a briefing
follows late data — and the texts the scheduler sends: first the pure question/answer functions of
bot.onboarding in both languages, then the real bot against the loopback Bot API."""

from __future__ import annotations

import re

import pytest

from bot import onboarding
from bot.texts import say
from sleepcot.domain import Language, Profile
from sleepcot.store import Pending
from tests.chat.people import ANN, BEN, onboard
from tests.loopback.telegram_server import parse_telegram_html

EN, ZH = Language.EN, Language.ZH


def callbacks(message: onboarding.Message) -> dict[str, str]:
    """The inline buttons of a message: label -> callback data."""
    return {button.text: button.callback_data for row in message.markup.inline_keyboard for button in row}


def page_text(profile: Profile) -> str:
    return parse_telegram_html(onboarding.settings_page(profile).html)


# --- the steps, without the bot ----------------------------------------------------------------------------


def test_onboarding_does_not_ask_the_new_settings_but_settings_offers_them():
    assert "weekly_day" not in onboarding.IN_ONBOARDING and "late_briefing" not in onboarding.IN_ONBOARDING
    assert {"weekly_day", "late_briefing"} <= set(onboarding.EDITABLE) and "consent" not in onboarding.EDITABLE
    assert onboarding.next_step(Pending("alcohol")) is None  # onboarding still ends where it ended
    assert onboarding.next_step(Pending("caffeine")) == Pending("alcohol")
    assert onboarding.next_step(Pending("weekly_day", editing=True)) is None
    assert onboarding.next_step(Pending("age", editing=True)) is None  # an edit ends with its answer
    for language in Language:
        page = callbacks(onboarding.settings_page(Profile(language=language)))
        assert page[say(language, "setting_weekly_day")] == "settings:weekly_day"
        assert page[say(language, "setting_late_briefing")] == "settings:late_briefing"


@pytest.mark.parametrize(("language", "days", "off"), [
    (EN, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "Off"),
    (ZH, ["周一", "周二", "周三", "周四", "周五", "周六", "周日"], "关闭"),
])
def test_the_weekly_day_question_offers_each_weekday_and_off_in_the_users_language(language, days, off):
    question = onboarding.question("weekly_day", Profile(language=language))
    assert callbacks(question) == {**{day: f"ob:weekly_day:{number}" for number, day in enumerate(days)},
                                   off: "ob:weekly_day:off"}
    assert ("weekly" in question.html) if language is EN else ("每周" in question.html)


def test_the_late_briefing_question_explains_both_choices_in_both_languages():
    english = onboarding.question("late_briefing", Profile(language=EN))
    assert callbacks(english) == {"On": "ob:late_briefing:on", "Off": "ob:late_briefing:off"}
    assert "after your briefing time" in english.html and "only the note" in english.html
    chinese = onboarding.question("late_briefing", Profile(language=ZH))
    assert callbacks(chinese) == {"开启": "ob:late_briefing:on", "关闭": "ob:late_briefing:off"}
    assert "简报时间之后" in chinese.html and "只发提醒" in chinese.html


def test_pressing_a_weekday_or_off_sets_the_weekly_day():
    profile = Profile()
    assert profile.weekly_day == 6  # Sunday unless changed
    assert onboarding.answer_choice("weekly_day", "2", profile).profile.weekly_day == 2
    assert onboarding.answer_choice("weekly_day", "0", profile).profile.weekly_day == 0
    assert onboarding.answer_choice("weekly_day", "off", profile).profile.weekly_day is None
    turned_off = profile.model_copy(update={"weekly_day": None})
    assert onboarding.answer_choice("weekly_day", "6", turned_off).profile.weekly_day == 6


def test_pressing_on_or_off_sets_late_briefing():
    profile = Profile()
    assert profile.late_briefing is True
    assert onboarding.answer_choice("late_briefing", "off", profile).profile.late_briefing is False
    later = profile.model_copy(update={"late_briefing": False})
    assert onboarding.answer_choice("late_briefing", "on", later).profile.late_briefing is True


@pytest.mark.parametrize(("step", "value"), [
    ("weekly_day", "7"), ("weekly_day", "-1"), ("weekly_day", "06"), ("weekly_day", "Sunday"),
    ("weekly_day", ""), ("weekly_day", "on"), ("late_briefing", "yes"), ("late_briefing", "true"),
    ("late_briefing", ""), ("late_briefing", "2"),
])
def test_forged_or_stale_button_values_are_refused(step, value):
    assert onboarding.answer_choice(step, value, Profile()).profile is None


@pytest.mark.parametrize(("typed", "weekly_day"), [
    ("sunday", 6), ("Sun", 6), ("SUNDAYS", 6), ("wednesday", 2), ("Wed", 2), ("tues", 1), ("thurs", 3),
    ("  Friday. ", 4), ("monday", 0), ("sat", 5),
    ("周日", 6), ("星期日", 6), ("星期天", 6), ("周天", 6), ("周三", 2), ("星期一", 0), ("礼拜五", 4), ("每周六", 5),
    ("off", None), ("Off", None), ("关闭", None),
])
def test_a_typed_weekday_name_in_english_or_chinese_sets_the_weekly_day(typed, weekly_day):
    outcome = onboarding.answer_text("weekly_day", typed, Profile(weekly_day=6 if weekly_day is None else None))
    assert outcome.profile is not None, typed
    assert outcome.profile.weekly_day == weekly_day


@pytest.mark.parametrize("typed", ["someday", "su", "t", "周八", "tomorrow", "7", "how did I sleep?", ""])
def test_typed_text_that_is_no_weekday_asks_the_question_again(typed):
    profile = Profile(language=ZH)
    outcome = onboarding.answer_text("weekly_day", typed, profile)
    assert outcome.profile is None
    assert [reply.html for reply in outcome.replies] == [onboarding.question("weekly_day", profile).html]


def test_the_settings_page_shows_the_weekly_day_and_late_briefing_in_both_languages():
    defaults_en, defaults_zh = page_text(Profile(language=EN)), page_text(Profile(language=ZH))
    assert "Weekly summary: Sunday" in defaults_en and "Late data: briefing when the data arrives" in defaults_en
    assert "每周总结：星期日" in defaults_zh and "数据迟到时：数据到达后发送简报" in defaults_zh

    changed = {"weekly_day": None, "late_briefing": False}
    english = page_text(Profile(language=EN, **changed))
    assert "Weekly summary: Off" in english and "Late data: only a note" in english
    chinese = page_text(Profile(language=ZH, **changed))
    assert "每周总结：关闭" in chinese and "数据迟到时：只发提醒" in chinese
    assert "Weekly summary: Wednesday" in page_text(Profile(language=EN, weekly_day=2))
    assert "每周总结：星期三" in page_text(Profile(language=ZH, weekly_day=2))


# --- the scheduler's texts ---------------------------------------------------------------------------------


def test_the_no_data_notes_name_the_day_and_say_what_happens_next():
    for language, day in ((EN, "Saturday 21 November"), (ZH, "11月21日 星期六")):
        late = parse_telegram_html(say(language, "no_data_yet_late", day=day))
        note_only = parse_telegram_html(say(language, "no_data_yet", day=day))
        assert day in late and day in note_only
        assert "/today" in note_only and "/today" not in late
    assert "as soon as it does" in say(EN, "no_data_yet_late", day="Saturday 21 November")


def test_the_resent_note_is_italic_and_the_weekly_title_bold_with_its_days():
    for language in Language:
        assert re.fullmatch(r"<i>[^<]+</i>", say(language, "resent_note"))
        title = say(language, "weekly_title", start="Mon 16 Nov", end="Sun 22 Nov")
        assert title.startswith("<b>") and "Mon 16 Nov" in title and "Sun 22 Nov" in title
    assert "ignore this copy" in say(EN, "resent_note")
    assert say(EN, "weekly_title", start="<x>", end="&").count("&lt;x&gt;") == 1  # values are escaped


# --- through the real bot ----------------------------------------------------------------------------------


def test_a_user_changes_the_weekly_day_and_late_briefing_from_settings(telegram, launch):
    bot = launch()  # no model: these buttons never need one
    ann, ben = telegram.user(ANN, "Ann"), telegram.user(BEN, "Ben", language_code="zh-hans")
    onboard(ann)
    onboard(ben, chinese=True)
    assert (bot.user_store(ANN).profile().weekly_day, bot.user_store(ANN).profile().late_briefing) == (6, True)

    ann.send("/settings")
    assert "Weekly summary: Sunday" in ann.wait_for_messages(1)[0].text
    ann.press("settings:weekly_day")
    assert "weekly sleep summary" in ann.wait_for_messages(1)[0].text
    ann.press("Wed")
    saved, page = ann.wait_for_messages(2)
    assert saved.text == "Saved." and "Weekly summary: Wednesday" in page.text
    ann.press("settings:late_briefing")
    assert "only the note" in ann.wait_for_messages(1)[0].text
    ann.press("Off")
    saved, page = ann.wait_for_messages(2)
    assert "Late data: only a note" in page.text

    profile = bot.user_store(ANN).profile()
    assert (profile.weekly_day, profile.late_briefing) == (2, False)
    assert bot.user_store(ANN).pending() is None  # the edit is over
    ann.send("/settings")
    again = ann.wait_for_messages(1)[0].text
    assert "Weekly summary: Wednesday" in again and "Late data: only a note" in again

    ben.send("/settings")  # a typed Chinese weekday answers the question too
    ben.wait_for_messages(1)
    ben.press("settings:weekly_day")
    assert "周三" in ben.wait_for_messages(1)[0].buttons()
    ben.send("星期五")
    saved, page = ben.wait_for_messages(2)
    assert saved.text == "已保存。" and "每周总结：星期五" in page.text
    assert bot.user_store(BEN).profile().weekly_day == 4
