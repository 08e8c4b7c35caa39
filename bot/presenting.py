"""How the coach's work is presented, the same from a chat command as from the scheduler: the model the
bot writes with, day labels, a briefing as the user sees it, a source's label, and a sync that tells the
user when a source must be reconnected."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.render import coach_html
from bot.texts import say
from integrations import vendors as registry
from integrations.sync import Hub, SyncReport, sync_all
from sleepcot.coach.llm import LLM
from sleepcot.domain import Language, Profile
from sleepcot.store import UserStore
from sleepcot.units import WEEKDAYS

log = logging.getLogger(__name__)
SOURCES_LABEL = {Language.EN: "Sources", Language.ZH: "来源"}


@dataclass
class Coach:
    """The model the bot writes with (None: unavailable, for `reason`) and how many calls may run at once."""

    llm: LLM | None
    reason: str | None
    slots: asyncio.Semaphore


def day_label(day: date, language: Language) -> str:
    if language is Language.ZH:
        return f"{day.month}月{day.day}日 {WEEKDAYS[Language.ZH][day.weekday()]}"
    return f"{day:%A %d %B}"


def vendor_label(name: str, language: Language) -> str:
    """How a source is called to the user ("Oura Ring", "🧪 模拟器"); its name when we know no better."""
    vendor = registry.VENDORS.get(name)
    if vendor is None:
        return name
    return vendor.label_zh if language is Language.ZH and vendor.label_zh else vendor.label


def briefing_title(profile: Profile, day: date) -> str:
    return say(profile.language, "briefing_title", name=profile.name or "👋", day=day_label(day, profile.language))


def briefing_html(profile: Profile, day: date, text: str, meta: dict) -> str:
    """A stored or new briefing as the user sees it: title, the coach's text, its sources, and a note when
    it was written without the model."""
    language = profile.language
    html = coach_html(text, title=briefing_title(profile, day), sources=meta.get("sources") or (),
                      sources_label=SOURCES_LABEL[language])
    if meta.get("model_unavailable"):
        html += f"\n\n<i>{say(language, 'without_model')}</i>"
    return html


async def sync_and_tell(user: UserStore, hub: Hub, bot: Bot, chat_id: int | None, language: Language,
                        now: datetime | None = None, *, wait_s: float | None = None) -> SyncReport | None:
    """Pull new nights (up to `now`'s date; default: the present); a failing source must not stop what comes
    next. A source whose grant was just found revoked is reported to the user (once: sync_all reports it
    only the first time); other failures are only logged, and the next sync retries them. One sync per user
    runs at a time (a second caller waits for it); `wait_s`: wait no longer than that (a command answers
    from what is stored; None is returned and the sync, notices included, goes on in the background)."""
    task = hub.sync_once(user.user_id, lambda: _sync_and_tell(user, hub, bot, chat_id, language, now))
    done, _ = await asyncio.wait({task}, timeout=wait_s)
    if not done:
        log.info("user %d: syncing goes on in the background", user.user_id)
        return None
    return task.result()


async def _sync_and_tell(user: UserStore, hub: Hub, bot: Bot, chat_id: int | None, language: Language,
                         now: datetime | None) -> SyncReport | None:
    try:
        report = await sync_all(user, hub, now)
    except Exception:
        log.exception("sync failed for user %d", user.user_id)
        return None
    for name, _ in report.failed:  # sync_all logged why
        log.info("user %d: %s is retried at the next sync", user.user_id, name)
    notices = [("reconnect", name) for name in report.reconnect] + [("source_unreadable", n) for n in report.unreadable]
    for key, name in notices:
        log.info("user %d: telling them %s (%s)", user.user_id, key, name)
        if chat_id is None:
            continue
        try:
            await bot.send_message(chat_id, say(language, key, label=vendor_label(name, language), name=name),
                                   parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("could not tell user %d about %s: %s", user.user_id, name, type(exc).__name__)
    return report
