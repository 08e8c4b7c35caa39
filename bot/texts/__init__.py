"""Every text the bot says itself, in English and Chinese, as Telegram-HTML templates, one module per part
(onboarding, coaching, sources, account).

`say(language, key, **values)` fills a template; the values are HTML-escaped, so a user's name or a city
they typed can never break the markup. What the coach writes (briefings, answers) comes from sleepcot.coach
and is rendered by bot.render instead.
"""

from __future__ import annotations

from html import escape

from bot.texts.account import ACCOUNT
from bot.texts.coaching import COACHING
from bot.texts.onboarding import ONBOARDING
from bot.texts.sources import SOURCES
from sleepcot.domain import Language

TEXTS: dict[str, dict[Language, str]] = {**ONBOARDING, **COACHING, **SOURCES, **ACCOUNT}
if len(TEXTS) != len(ONBOARDING) + len(COACHING) + len(SOURCES) + len(ACCOUNT):
    raise ValueError("a bot text key is defined in two parts")
EN, ZH = Language.EN, Language.ZH


def say(language: Language, key: str, /, **values: object) -> str:
    """The `key` text in `language`, with `values` HTML-escaped and filled in."""
    return TEXTS[key][language].format(**{name: escape(str(value), quote=False) for name, value in values.items()})


def language_of(telegram_code: str | None) -> Language:
    """A first guess from the Telegram client's language (the user confirms it during onboarding)."""
    return ZH if (telegram_code or "").lower().startswith("zh") else EN


def escape_text(text: str) -> str:
    """Plain text (a message from elsewhere, e.g. an integration's error) made safe inside HTML."""
    return escape(text, quote=False)
