"""The questions of onboarding (`/start`) and of `/settings`: what each one asks, its buttons, and how an
answer — a button, typed text or a shared location — changes the user's Profile.

A user's pending question lives in the database (`users.onboarding_step`), so a restart mid-onboarding
resumes where it stopped. During onboarding the steps run in `STEPS` order; from /settings a single step is
asked, stored as "edit:<step>", and answering it ends there. The weekly summary's day and what to do when a
night arrives after the briefing time are settings only: onboarding leaves them at their defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.places import resolve_timezone, timezone_for_location
from bot.texts import say
from sleepcot.domain import AgeBand, Habits, Language, Profile, Sex
from sleepcot.units import WEEKDAYS, WEEKDAYS_SHORT

STEPS = ("language", "consent", "timezone", "briefing_time", "age", "sex", "goal", "caffeine", "alcohol")
SETTINGS_ONLY = ("weekly_day", "late_briefing")  # asked from /settings, never during onboarding
EDITABLE = tuple(step for step in STEPS if step != "consent") + SETTINGS_ONLY
TEXT_STEPS = ("timezone", "briefing_time", "goal")  # the steps a typed answer can settle
EDIT = "edit:"
CALLBACK = "ob"  # callback data: "ob:<step>:<value>"
BRIEFING_TIMES = ("06:30", "07:00", "07:30", "08:00", "08:30", "09:00")
GOALS = ("goal_faster", "goal_longer", "goal_rested", "goal_regular")
CAFFEINE = {"none": None, "morning": time(11, 0), "afternoon": time(15, 0), "evening": time(19, 0)}
ALCOHOL = {"0": 0, "1-3": 2, "4-7": 5, "8+": 10}  # a typical week's drinks, by the middle of each band
WEEKLY_OFF = "off"
WEEKLY_CHOICES = tuple(str(day) for day in range(7)) + (WEEKLY_OFF,)  # button values: a weekday (0 Monday) or off
LATE_BRIEFING = {"on": True, "off": False}
_ZH_DAY_NUMBERS = "一二三四五六日"
_ZH_WEEKDAY = re.compile(r"^每?(?:周|星期|礼拜)([一二三四五六日天])$")
_TYPED_OFF = {"off", "none", "never", "关", "关闭", "不要"}
_CLOCK = re.compile(r"^\s*(\d{1,2})[:.h时]\s?(\d{2})\s*(am|pm)?\s*$|^\s*(\d{1,2})\s*(am|pm)\s*$", re.IGNORECASE)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass
class Message:
    """Something to send: HTML text and its keyboard."""

    html: str
    markup: Markup = None


@dataclass
class Outcome:
    """The result of an answer: the changed profile (None: not accepted) and what to tell the user."""

    profile: Profile | None
    replies: list[Message] = field(default_factory=list)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons, row by row: (label, callback data)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


def _choice(step: str, value: str) -> str:
    return f"{CALLBACK}:{step}:{value}"


def question(step: str, profile: Profile) -> Message:
    """The question for `step`, in the user's language."""
    lang = profile.language
    if step == "language":
        return Message(say(lang, "choose_language"),
                       keyboard([[("English", _choice(step, "en")), ("中文", _choice(step, "zh"))]]))
    if step == "consent":
        return Message(say(lang, "consent"), keyboard([[(say(lang, "agree"), _choice(step, "yes")),
                                                         (say(lang, "decline"), _choice(step, "no"))]]))
    if step == "timezone":
        share = [[KeyboardButton(say(lang, "share_location"), request_location=True)]]
        return Message(say(lang, "ask_timezone"),
                       ReplyKeyboardMarkup(share, resize_keyboard=True, one_time_keyboard=True))
    if step == "briefing_time":
        row = [(t, _choice(step, t)) for t in BRIEFING_TIMES]
        return Message(say(lang, "ask_briefing_time"), keyboard([row[:3], row[3:]]))
    if step == "age":
        return Message(say(lang, "ask_age"), keyboard([[(band.value, _choice(step, band.value)) for band in AgeBand]]))
    if step == "sex":
        row = [(say(lang, sex.value), _choice(step, sex.value)) for sex in Sex]
        return Message(say(lang, "ask_sex"), keyboard([row + [(say(lang, "skip"), _choice(step, "skip"))]]))
    if step == "goal":
        rows = [[(say(lang, goal), _choice(step, goal))] for goal in GOALS]
        return Message(say(lang, "ask_goal"), keyboard(rows + [[(say(lang, "skip"), _choice(step, "skip"))]]))
    if step == "caffeine":
        row = [(say(lang, f"caffeine_{name}"), _choice(step, name)) for name in CAFFEINE]
        return Message(say(lang, "ask_caffeine"), keyboard([row[:2], row[2:]]))
    if step == "alcohol":
        return Message(say(lang, "ask_alcohol"), keyboard([[(band, _choice(step, band)) for band in ALCOHOL]]))
    if step == "weekly_day":
        days = [(name, _choice(step, str(day))) for day, name in enumerate(WEEKDAYS_SHORT[lang])]
        return Message(say(lang, "ask_weekly_day"),
                       keyboard([days[:4], days[4:], [(say(lang, "off"), _choice(step, WEEKLY_OFF))]]))
    if step == "late_briefing":
        return Message(say(lang, "ask_late_briefing"),
                       keyboard([[(say(lang, value), _choice(step, value)) for value in LATE_BRIEFING]]))
    raise ValueError(f"unknown step {step!r}")


def parse_clock(text: str) -> time | None:
    """07:15, 7.15, 7h15, 7:15 pm, 7am -> a time; anything else -> None."""
    match = _CLOCK.match(text[:20])
    if not match:
        return None
    hour = int(match.group(1) or match.group(4))
    minute = int(match.group(2) or 0)
    meridiem = (match.group(3) or match.group(5) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_weekday(text: str) -> str | None:
    """A typed weekday in English or Chinese ("sunday", "Sun", "周日", "星期天") or "off"/"关闭" -> its button
    value ("6", "off"); anything else -> None."""
    word = text.strip().lower().rstrip(".")
    if word in _TYPED_OFF:
        return WEEKLY_OFF
    chinese = _ZH_WEEKDAY.match(word)
    if chinese:
        return str(_ZH_DAY_NUMBERS.index(chinese.group(1).replace("天", "日")))  # 星期天 is 星期日
    for candidate in (word, word.removesuffix("s")):  # "sundays"
        if len(candidate) >= 3:
            for day, name in enumerate(WEEKDAYS[Language.EN]):
                if name.lower().startswith(candidate):
                    return str(day)
    return None


def _timezone_set(profile: Profile, zone: str) -> Outcome:
    changed = profile.model_copy(update={"timezone": zone})
    now = datetime.now(changed.tz).strftime("%H:%M")
    return Outcome(changed, [Message(say(profile.language, "timezone_set", zone=zone, now=now), ReplyKeyboardRemove())])


def answer_choice(step: str, value: str, profile: Profile) -> Outcome:
    """A button was pressed. Unknown values (stale or forged buttons) are not accepted."""
    lang = profile.language
    if step == "language" and value in {lang.value for lang in Language}:
        return Outcome(profile.model_copy(update={"language": Language(value)}))
    if step == "timezone" and value in resolve_timezone(value, limit=1):
        return _timezone_set(profile, value)
    if step == "briefing_time" and value in BRIEFING_TIMES:
        return Outcome(profile.model_copy(update={"briefing_time": time.fromisoformat(value)}))
    if step == "age" and value in {band.value for band in AgeBand}:
        return Outcome(profile.model_copy(update={"age_band": AgeBand(value)}))
    if step == "sex" and (value == "skip" or value in {sex.value for sex in Sex}):
        return Outcome(profile.model_copy(update={"sex": None if value == "skip" else Sex(value)}))
    if step == "goal" and (value == "skip" or value in GOALS):
        return Outcome(profile.model_copy(update={"goals": [] if value == "skip" else [say(lang, value)]}))
    if step == "caffeine" and value in CAFFEINE:
        habits = profile.habits.model_copy(update={
            "caffeine_last_time": CAFFEINE[value],
            "caffeine_cups_per_day": 0 if value == "none" else profile.habits.caffeine_cups_per_day,
        })
        return Outcome(profile.model_copy(update={"habits": habits}))
    if step == "alcohol" and value in ALCOHOL:
        habits = profile.habits.model_copy(update={"alcohol_drinks_per_week": ALCOHOL[value]})
        return Outcome(profile.model_copy(update={"habits": habits}))
    if step == "weekly_day" and value in WEEKLY_CHOICES:
        return Outcome(profile.model_copy(update={"weekly_day": None if value == WEEKLY_OFF else int(value)}))
    if step == "late_briefing" and value in LATE_BRIEFING:
        return Outcome(profile.model_copy(update={"late_briefing": LATE_BRIEFING[value]}))
    return Outcome(None)


def answer_text(step: str, text: str, profile: Profile) -> Outcome:
    """Typed text as the answer to `step`; a question to ask again (or a hint) when it does not fit."""
    lang = profile.language
    text = text.strip()
    if step == "timezone":
        zones = resolve_timezone(text)
        if len(zones) == 1 or (zones and zones[0].lower() == text.lower().replace(" ", "_")):  # a zone's name
            return _timezone_set(profile, zones[0])
        if zones:
            return Outcome(None, [Message(say(lang, "timezone_pick"),
                                          keyboard([[(zone, _choice(step, zone))] for zone in zones]))])
        return Outcome(None, [Message(say(lang, "timezone_unknown", text=text[:60]))])
    if step == "briefing_time":
        clock = parse_clock(text)
        if clock is None:
            return Outcome(None, [Message(say(lang, "bad_time"))])
        return Outcome(profile.model_copy(update={"briefing_time": clock}))
    if step == "goal" and 0 < len(text) <= 200:
        return Outcome(profile.model_copy(update={"goals": [text]}))
    if step == "weekly_day" and (day := parse_weekday(text[:20])) is not None:
        return answer_choice(step, day, profile)
    return Outcome(None, [question(step, profile)])


def answer_location(step: str, latitude: float, longitude: float, profile: Profile) -> Outcome:
    zone = timezone_for_location(latitude, longitude) if step == "timezone" else None
    if zone is None:
        return Outcome(None, [question(step, profile)])
    return _timezone_set(profile, zone)


def next_step(step: str) -> str | None:
    """The step after `step` in onboarding; None after an edit or after the last step."""
    if step.startswith(EDIT):
        return None
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def plain(step: str) -> str:
    """The step's name without the edit marker."""
    return step.removeprefix(EDIT)


def habits_label(habits: Habits, language: Language) -> tuple[str, str]:
    """How the settings page shows the caffeine and alcohol habits."""
    if habits.caffeine_cups_per_day == 0:
        caffeine = say(language, "caffeine_none")
    elif habits.caffeine_last_time is None:
        caffeine = say(language, "not_set")
    else:
        caffeine = habits.caffeine_last_time.strftime("%H:%M")
    alcohol = say(language, "not_set") if habits.alcohol_drinks_per_week is None else str(habits.alcohol_drinks_per_week)
    return caffeine, alcohol


def settings_page(profile: Profile) -> Message:
    lang = profile.language
    caffeine, alcohol = habits_label(profile.habits, lang)
    weekly = say(lang, "off") if profile.weekly_day is None else WEEKDAYS[lang][profile.weekly_day]
    html = say(lang, "settings", language="English" if lang is Language.EN else "中文", zone=profile.timezone,
               time=profile.briefing_time.strftime("%H:%M"), age=profile.age_band.value,
               sex=say(lang, profile.sex.value) if profile.sex else say(lang, "not_set"),
               goal=profile.goals[0] if profile.goals else say(lang, "not_set"), caffeine=caffeine, alcohol=alcohol,
               weekly=weekly, late=say(lang, "late_on" if profile.late_briefing else "late_off"))
    buttons = [(say(lang, f"setting_{step}"), f"settings:{step}") for step in EDITABLE]
    return Message(html, keyboard([buttons[i:i + 2] for i in range(0, len(buttons), 2)]))
