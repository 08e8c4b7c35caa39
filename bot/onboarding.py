"""The questions of onboarding (`/start`) and of `/settings`, as one table of steps: what each asks, how a
pressed button, typed text or a shared location changes the user's Profile, and how the settings page shows
its value.

A user's pending question lives in the database as a `Pending(step, editing)`, so a restart or another
worker resumes it. During onboarding the steps marked `in_onboarding` run in table order; from /settings a
single step is asked (`editing`) and answering it ends there. A new setting is one row of `STEPS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
from sleepcot.domain import AgeBand, Language, Profile, Sex
from sleepcot.store import Pending
from sleepcot.units import WEEKDAYS, WEEKDAYS_SHORT

CALLBACK = "ob"  # callback data: "ob:<step>:<value>"
CONSENT = "consent"  # the one step the handlers answer themselves: declining deletes the account
BRIEFING_TIMES = ("06:30", "07:00", "07:30", "08:00", "08:30", "09:00")
GOALS = ("goal_faster", "goal_longer", "goal_rested", "goal_regular")
CAFFEINE = {"none": None, "morning": time(11, 0), "afternoon": time(15, 0), "evening": time(19, 0)}
ALCOHOL = {"0": 0, "1-3": 2, "4-7": 5, "8+": 10}  # a typical week's drinks, by the middle of each band
WEEKLY_OFF = "off"
LATE_BRIEFING = {"on": True, "off": False}
SKIP = "skip"
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


Rows = list[list[tuple[str, str]]]  # buttons, row by row: (label, value)


@dataclass(frozen=True)
class Step:
    """One question, asked with the text `asked` and the buttons `buttons` lays out. `apply` makes the
    changed profile from one of its buttons' values (`choose`, when given, takes any value instead: the
    timezone's picks); `typed` reads a typed answer (None: buttons only), and when `asks_for_text` a typed
    answer that does not fit is asked again even in an edit (otherwise the user has moved on); `located`
    reads a shared location; `shown` is its value on the settings page (None: not a setting)."""

    name: str
    asked: str
    buttons: Callable[[Language], Rows]
    apply: Callable[[str, Profile], Profile]
    choose: Callable[[str, Profile], Outcome] | None = None
    typed: Callable[[str, Profile], Outcome] | None = None
    asks_for_text: bool = False
    located: Callable[[float, float, Profile], Outcome] | None = None
    shown: Callable[[Profile], str] | None = None
    in_onboarding: bool = True


def keyboard(rows: Rows) -> InlineKeyboardMarkup:
    """Inline buttons, row by row: (label, callback data)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


def _data(step: str, value: str) -> str:
    """A button's callback data."""
    return f"{CALLBACK}:{step}:{value}"


def _changed(profile: Profile, **fields: object) -> Profile:
    return profile.model_copy(update=fields)


def _habits(profile: Profile, **fields: object) -> Profile:
    return _changed(profile, habits=profile.habits.model_copy(update=fields))


def _labelled(values: list[list[str]], label: Callable[[Language, str], str] = lambda _, value: value
              ) -> Callable[[Language], Rows]:
    """Buttons for fixed values, labelled by `label` (the value itself unless given)."""
    return lambda lang: [[(label(lang, value), value) for value in row] for row in values]


def _spoken(lang: Language, value: str) -> str:
    return say(lang, value)


def _in_rows(values: list[str], width: int) -> list[list[str]]:
    return [values[i:i + width] for i in range(0, len(values), width)]


def _timezone_set(profile: Profile, zone: str) -> Outcome:
    changed = _changed(profile, timezone=zone)
    now = datetime.now(changed.tz).strftime("%H:%M")
    return Outcome(changed, [Message(say(profile.language, "timezone_set", zone=zone, now=now), ReplyKeyboardRemove())])


def _choose_timezone(value: str, profile: Profile) -> Outcome:
    return _timezone_set(profile, value) if value in resolve_timezone(value, limit=1) else Outcome(None)


def _type_timezone(text: str, profile: Profile) -> Outcome:
    zones = resolve_timezone(text)
    if len(zones) == 1 or (zones and zones[0].lower() == text.lower().replace(" ", "_")):  # a zone's name
        return _timezone_set(profile, zones[0])
    if zones:
        buttons = keyboard([[(zone, _data("timezone", zone))] for zone in zones])
        return Outcome(None, [Message(say(profile.language, "timezone_pick"), buttons)])
    return Outcome(None, [Message(say(profile.language, "timezone_unknown", text=text[:60]))])


def _locate_timezone(latitude: float, longitude: float, profile: Profile) -> Outcome:
    zone = timezone_for_location(latitude, longitude)
    return Outcome(None, [question("timezone", profile)]) if zone is None else _timezone_set(profile, zone)


def _type_briefing_time(text: str, profile: Profile) -> Outcome:
    clock = parse_clock(text)
    if clock is None:
        return Outcome(None, [Message(say(profile.language, "bad_time"))])
    return Outcome(_changed(profile, briefing_time=clock))


def _type_goal(text: str, profile: Profile) -> Outcome:
    if 0 < len(text) <= 200:
        return Outcome(_changed(profile, goals=[text]))
    return Outcome(None, [question("goal", profile)])


def _type_weekly_day(text: str, profile: Profile) -> Outcome:
    day = parse_weekday(text[:20])
    return Outcome(None, [question("weekly_day", profile)]) if day is None else answer_choice("weekly_day", day, profile)


def _weekday_buttons(lang: Language) -> Rows:
    days = [(name, str(day)) for day, name in enumerate(WEEKDAYS_SHORT[lang])]
    return [days[:4], days[4:], [(say(lang, "off"), WEEKLY_OFF)]]


def _or_not_set(profile: Profile, value: str | None) -> str:
    return say(profile.language, "not_set") if value is None else value


def _caffeine_shown(profile: Profile) -> str:
    habits = profile.habits
    if habits.caffeine_cups_per_day == 0:
        return say(profile.language, "caffeine_none")
    return _or_not_set(profile, habits.caffeine_last_time and habits.caffeine_last_time.strftime("%H:%M"))


def _caffeine(value: str, profile: Profile) -> Profile:
    cups = 0 if value == "none" else profile.habits.caffeine_cups_per_day
    return _habits(profile, caffeine_last_time=CAFFEINE[value], caffeine_cups_per_day=cups)


_TABLE = (
    Step("language", "choose_language", lambda _: [[("English", "en"), ("中文", "zh")]],
         lambda value, p: _changed(p, language=Language(value)),
         shown=lambda p: "English" if p.language is Language.EN else "中文"),
    Step(CONSENT, "consent", lambda lang: [[(say(lang, "agree"), "yes"), (say(lang, "decline"), "no")]],
         lambda _, p: p),
    Step("timezone", "ask_timezone", lambda _: [], lambda value, p: _changed(p, timezone=value),
         choose=_choose_timezone, typed=_type_timezone, asks_for_text=True, located=_locate_timezone,
         shown=lambda p: p.timezone),
    Step("briefing_time", "ask_briefing_time", _labelled(_in_rows(list(BRIEFING_TIMES), 3)),
         lambda value, p: _changed(p, briefing_time=time.fromisoformat(value)), typed=_type_briefing_time,
         asks_for_text=True, shown=lambda p: p.briefing_time.strftime("%H:%M")),
    Step("age", "ask_age", _labelled([[band.value for band in AgeBand]]),
         lambda value, p: _changed(p, age_band=AgeBand(value)), shown=lambda p: p.age_band.value),
    Step("sex", "ask_sex", _labelled([[sex.value for sex in Sex] + [SKIP]], _spoken),
         lambda value, p: _changed(p, sex=None if value == SKIP else Sex(value)),
         shown=lambda p: _or_not_set(p, p.sex and say(p.language, p.sex.value))),
    Step("goal", "ask_goal", _labelled([[goal] for goal in GOALS] + [[SKIP]], _spoken),
         lambda value, p: _changed(p, goals=[] if value == SKIP else [say(p.language, value)]), typed=_type_goal,
         asks_for_text=True, shown=lambda p: _or_not_set(p, p.goals[0] if p.goals else None)),
    Step("caffeine", "ask_caffeine", _labelled(_in_rows(list(CAFFEINE), 2), lambda lang, v: say(lang, f"caffeine_{v}")),
         _caffeine, shown=_caffeine_shown),
    Step("alcohol", "ask_alcohol", _labelled([list(ALCOHOL)]),
         lambda value, p: _habits(p, alcohol_drinks_per_week=ALCOHOL[value]),
         shown=lambda p: _or_not_set(p, None if p.habits.alcohol_drinks_per_week is None
                                     else str(p.habits.alcohol_drinks_per_week))),
    Step("weekly_day", "ask_weekly_day", _weekday_buttons,
         lambda value, p: _changed(p, weekly_day=None if value == WEEKLY_OFF else int(value)),
         typed=_type_weekly_day, in_onboarding=False,
         shown=lambda p: say(p.language, "off") if p.weekly_day is None else WEEKDAYS[p.language][p.weekly_day]),
    Step("late_briefing", "ask_late_briefing", _labelled([list(LATE_BRIEFING)], _spoken),
         lambda value, p: _changed(p, late_briefing=LATE_BRIEFING[value]), in_onboarding=False,
         shown=lambda p: say(p.language, "late_on" if p.late_briefing else "late_off")),
)
STEPS = {step.name: step for step in _TABLE}
IN_ONBOARDING = tuple(step.name for step in _TABLE if step.in_onboarding)
EDITABLE = tuple(step.name for step in _TABLE if step.shown is not None)


def question(name: str, profile: Profile) -> Message:
    """The question for step `name`, in the user's language (the timezone's asks for a location)."""
    step, lang = STEPS[name], profile.language
    if step.located is not None:
        share = [[KeyboardButton(say(lang, "share_location"), request_location=True)]]
        return Message(say(lang, step.asked), ReplyKeyboardMarkup(share, resize_keyboard=True, one_time_keyboard=True))
    rows = [[(label, _data(name, value)) for label, value in row] for row in step.buttons(lang)]
    return Message(say(lang, step.asked), keyboard(rows))


def answer_choice(name: str, value: str, profile: Profile) -> Outcome:
    """A button was pressed. A value the step does not offer (a stale or forged button) is not accepted."""
    step = STEPS[name]
    if step.choose is not None:
        return step.choose(value, profile)
    offered = {offer for row in step.buttons(profile.language) for _, offer in row}
    return Outcome(step.apply(value, profile) if value in offered else None)


def answer_text(name: str, text: str, profile: Profile) -> Outcome:
    """Typed text as the answer to step `name`; a question to ask again (or a hint) when it does not fit."""
    step = STEPS[name]
    if step.typed is None:
        return Outcome(None, [question(name, profile)])
    return step.typed(text.strip(), profile)


def answer_location(name: str, latitude: float, longitude: float, profile: Profile) -> Outcome:
    step = STEPS[name]
    if step.located is None:
        return Outcome(None, [question(name, profile)])
    return step.located(latitude, longitude, profile)


def first_step() -> Pending:
    return Pending(IN_ONBOARDING[0])


def next_step(pending: Pending) -> Pending | None:
    """The question after `pending` is answered: the next step of onboarding; None after an edit or after
    onboarding's last step."""
    if pending.editing:
        return None
    index = IN_ONBOARDING.index(pending.step)
    return Pending(IN_ONBOARDING[index + 1]) if index + 1 < len(IN_ONBOARDING) else None


def keeps_waiting(pending: Pending) -> bool:
    """Whether typed text that does not answer `pending` is answered with the question again (during
    onboarding, or editing a step that asks for text) rather than taken as the user moving on."""
    return not pending.editing or STEPS[pending.step].asks_for_text


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


def settings_page(profile: Profile) -> Message:
    """Every setting's value, and a button to change each."""
    lang = profile.language
    lines = [say(lang, "setting_line", label=say(lang, f"setting_{name}"), value=STEPS[name].shown(profile))
             for name in EDITABLE]
    html = "\n".join([say(lang, "settings_title"), *lines, "", say(lang, "settings_tap")])
    buttons = [(say(lang, f"setting_{name}"), f"settings:{name}") for name in EDITABLE]
    return Message(html, keyboard([buttons[i:i + 2] for i in range(0, len(buttons), 2)]))
