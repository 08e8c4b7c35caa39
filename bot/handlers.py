"""What the bot does with each update: access control, onboarding and /settings, the commands, free text
(a question for the coach, or something to log), buttons, uploaded exports, the OAuth callback, and errors.

Every handler acts for the Telegram user who sent the update and reaches data only through that user's
`UserStore`; nothing in a message or a button can name another user. The OAuth callback is the one entry
that does not come from Telegram: it acts for the user named inside the encrypted, expiring `state` that
our own /connect link carried. Blocking work (database, the model, charts, parsing an export) runs in worker
threads so one user's briefing never stalls another's chat.

Wearables go through the process's one `Hub` (integrations.sync). Wherever a sync runs, a source whose
grant was just found revoked is reported to the user once, in their language; other failures are only
logged (the next sync retries them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction, FileSizeLimit, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot import onboarding
from bot.charts import week_chart
from bot.onboarding import Message
from bot.render import coach_html, split_html
from bot.streaming import StreamedReply
from bot.texts import escape_text, language_of, say
from integrations import vendors as registry
from integrations.base import PayloadError
from integrations.oauth import STATE_TTL_S, ConnectError
from integrations.simulator import Persona
from integrations.sync import Hub, SyncReport, connect_simulator, sync_all
from sleepcot.analysis.latest import HISTORY_DAYS, analyze_latest
from sleepcot.analysis.baseline import compute_baseline
from sleepcot.coach.answering import MAX_QUESTION_CHARS, answer
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.generation import CoachReply, Progress
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.domain import Language, Profile, Tag, TagKind
from sleepcot.store import Store, UnknownUser, UserStore
from sleepcot.tagging import TAG_LABELS, is_log_statement, parse_tags
from sleepcot.units import WEEKDAYS, format_duration

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
WEEK_NIGHTS = (7, 30)
SOURCES_LABEL = {Language.EN: "Sources", Language.ZH: "来源"}
ADMIN_COMMANDS = ("/invite", "/users")
REFUSED_MEMORY = 10_000  # strangers remembered (per process) so each is refused only once
SIMULATOR = "simulator"
APPLE_HEALTH = "apple_health"
EXPORT_SUFFIXES = (".zip", ".xml")  # an uploaded document with one of these is an Apple Health export
OFFICIAL_API_HOST = "api.telegram.org"  # bots download at most 20 MB from it (a self-hosted server: no limit)
DOWNLOAD_TIMEOUT_S = 300.0
MAX_STATE_CHARS = 4096  # a longer `state` is not one of ours


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


def _buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


def vendor_label(name: str, language: Language) -> str:
    """How a source is called to the user ("Oura", "Apple Health"); its name when we know no better."""
    if name == SIMULATOR:
        return say(language, "simulator_label")
    vendor = registry.VENDORS.get(name)
    return vendor.label if vendor is not None else name


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
                        now: datetime | None = None) -> SyncReport | None:
    """Pull new nights (up to `now`'s date; default: the present); a failing source must not stop what comes
    next. A source whose grant was just found revoked is reported to the user (once: sync_all reports it
    only the first time); other failures are only logged, and the next sync retries them."""
    try:
        report = await sync_all(user, hub, now)
    except Exception:
        log.exception("sync failed for user %d", user.user_id)
        return None
    for name, _ in report.failed:  # sync_all logged why
        log.info("user %d: %s is retried at the next sync", user.user_id, name)
    for name in report.reconnect:
        log.info("user %d: %s needs reconnecting; telling them", user.user_id, name)
        if chat_id is None:
            continue
        try:
            await bot.send_message(chat_id, say(language, "reconnect", label=vendor_label(name, language), name=name),
                                   parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("could not tell user %d to reconnect: %s", user.user_id, type(exc).__name__)
    return report


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.0f}"


@dataclass(frozen=True)
class WebPage:
    """What the web app answers a browser: an HTTP status and a short page, in the user's language. `title`
    and `text` are HTML (from bot.texts, values escaped)."""

    status: int
    language: Language
    title: str
    text: str


class SleepBot:
    """The handlers, bound to the store, settings, credential vault and model they share."""

    def __init__(self, store: Store, settings: Settings, hub: Hub, coach: Coach) -> None:
        self.store, self.settings, self.hub, self.coach = store, settings, hub, coach
        self._refused: set[int] = set()

    # -- access ---------------------------------------------------------------------------------------

    def _admitted(self, telegram_id: int) -> bool:
        return telegram_id in self.settings.telegram_allowed_users or self._is_admin(telegram_id)

    def _is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.settings.telegram_admins

    def _user(self, update: Update) -> UserStore | None:
        user_id = self.store.user_by_telegram_id(update.effective_user.id)
        try:
            return None if user_id is None else self.store.for_user(user_id)
        except UnknownUser:  # deleted meanwhile
            return None

    async def gate(self, update: Update, context: Context) -> None:
        """Runs before every handler: private chats only; users, admitted people and invite holders in;
        a stranger gets one polite refusal and nothing else."""
        sender, chat = update.effective_user, update.effective_chat
        if sender is None or chat is None or chat.type != "private":
            raise ApplicationHandlerStop
        if await asyncio.to_thread(self.store.user_by_telegram_id, sender.id) is not None:
            return
        message = update.effective_message
        text = message.text if message is not None and message.text else ""
        command = text.split(maxsplit=1)[0].split("@")[0] if text.startswith("/") else ""
        if command == "/start":
            return  # the start handler admits, redeems an invite or refuses
        if command in ADMIN_COMMANDS and self._is_admin(sender.id):
            return
        if self._admitted(sender.id):
            await context.bot.send_message(chat.id, say(self._guess_language(update), "finish_onboarding") + " /start")
        else:
            await self._refuse(update, context)
        raise ApplicationHandlerStop

    async def _language(self, update: Update) -> Language:
        """The user's language, or a guess from their Telegram client for someone who is not a user."""
        user = await asyncio.to_thread(self._user, update)
        return (await asyncio.to_thread(user.profile)).language if user else self._guess_language(update)

    @staticmethod
    def _guess_language(update: Update) -> Language:
        return language_of(update.effective_user.language_code)

    async def _refuse(self, update: Update, context: Context) -> None:
        sender = update.effective_user.id
        if update.callback_query is not None:
            await update.callback_query.answer()
        if sender in self._refused:
            return
        if len(self._refused) >= REFUSED_MEMORY:
            self._refused.clear()
        self._refused.add(sender)
        log.info("refused a stranger")
        await context.bot.send_message(update.effective_chat.id, say(self._guess_language(update), "refused"))

    # -- sending --------------------------------------------------------------------------------------

    async def _send(self, update: Update, context: Context, message: Message | str) -> None:
        if isinstance(message, str):
            message = Message(message)
        chunks = split_html(message.html)
        for index, chunk in enumerate(chunks):
            markup = message.markup if index == len(chunks) - 1 else None
            await context.bot.send_message(update.effective_chat.id, chunk, reply_markup=markup)

    async def _write(self, update: Update, context: Context, write: Callable[[Progress], CoachReply],
                     render: Callable[[CoachReply], str], preview: Callable[[str], str]) -> CoachReply:
        """Run `write` (a model call) in a worker thread under the model's concurrency bound, streaming its
        progress to the chat, then send `render(reply)`."""
        async with StreamedReply(context.bot, update.effective_chat.id,
                                 interval_s=self.settings.telegram_stream_interval_s, render=preview) as stream:
            async with self.coach.slots:
                reply = await asyncio.to_thread(write, stream.progress)
            await stream.finish(render(reply))
        return reply

    # -- onboarding and settings ----------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        sender = update.effective_user
        if user is None:
            guess = self._guess_language(update)
            profile = Profile(language=guess)
            if self._admitted(sender.id):
                user_id = await asyncio.to_thread(self.store.create_user, profile, sender.id)
            elif context.args:
                user_id = await asyncio.to_thread(self.store.redeem_invite, context.args[0][:64], profile, sender.id)
                if user_id is None:
                    await self._send(update, context, say(guess, "invite_invalid"))
                    return
                log.info("an invite was redeemed")
            else:
                await self._refuse(update, context)
                return
            user = self.store.for_user(user_id)
            await asyncio.to_thread(user.set_onboarding_step, "language")
        step = await asyncio.to_thread(user.onboarding_step)
        profile = await asyncio.to_thread(user.profile)
        if step is None:
            await self._send(update, context, say(profile.language, "help"))
            return
        await self._send(update, context, onboarding.question(onboarding.plain(step), profile))

    async def _advance(self, update: Update, context: Context, user: UserStore, step: str, profile: Profile,
                       replies: list[Message]) -> None:
        """Save an accepted answer to `step` and ask the next question (or finish)."""
        await asyncio.to_thread(user.save_profile, profile)
        following = onboarding.next_step(step)
        await asyncio.to_thread(user.set_onboarding_step, following)
        for message in replies:
            await self._send(update, context, message)
        if following is not None:
            await self._send(update, context, onboarding.question(following, profile))
        elif step.startswith(onboarding.EDIT):
            await self._send(update, context, say(profile.language, "saved"))
            await self._send(update, context, onboarding.settings_page(profile))
        else:
            await self._send(update, context, say(profile.language, "onboarding_done", name=profile.name or "👋",
                                                   time=profile.briefing_time.strftime("%H:%M"), zone=profile.timezone))

    async def _consent(self, update: Update, context: Context, user: UserStore, agreed: bool) -> None:
        profile = await asyncio.to_thread(user.profile)
        if not agreed:
            await asyncio.to_thread(user.delete)
            await self._send(update, context, say(profile.language, "declined"))
            return
        await asyncio.to_thread(user.consent)
        named = profile.model_copy(update={"name": (update.effective_user.first_name or "")[:60] or None})
        await self._advance(update, context, user, "consent", named, [])

    async def settings_command(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        await self._send(update, context, onboarding.settings_page(await asyncio.to_thread(user.profile)))

    async def _onboarded(self, update: Update, context: Context, user: UserStore) -> bool:
        """True when onboarding is complete; otherwise asks its pending question again."""
        step = await asyncio.to_thread(user.onboarding_step)
        if step is None or step.startswith(onboarding.EDIT):
            if step is not None:
                await asyncio.to_thread(user.set_onboarding_step, None)  # a command ends an edit
            return True
        profile = await asyncio.to_thread(user.profile)
        await self._send(update, context, say(profile.language, "finish_onboarding"))
        await self._send(update, context, onboarding.question(step, profile))
        return False

    # -- commands -------------------------------------------------------------------------------------

    async def help(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        language = (await asyncio.to_thread(user.profile)).language
        text = say(language, "help")
        if self._is_admin(update.effective_user.id):
            text += say(language, "admin_help")
        await self._send(update, context, text)

    async def today(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        language = (await asyncio.to_thread(user.profile)).language
        await sync_and_tell(user, self.hub, context.bot, update.effective_chat.id, language)
        analysis = await asyncio.to_thread(analyze_latest, user)
        profile = analysis.profile if analysis else await asyncio.to_thread(user.profile)
        if analysis is None:
            await self._send(update, context, say(profile.language, "no_nights"))
            return
        day = analysis.night.local_date
        stored = await asyncio.to_thread(user.briefing, day)
        if stored is not None and not (stored[1].get("model_unavailable") and self.coach.llm is not None):
            text, meta = stored
            await self._send(update, context, briefing_html(profile, day, text, meta))
            return

        def write(progress: Progress) -> CoachReply:
            return write_briefing(analysis, self.coach.llm, max_tokens=self.settings.llm_max_tokens,
                                  unavailable_reason=self.coach.reason, on_progress=progress)

        title = briefing_title(profile, day)
        reply = await self._write(
            update, context, write,
            render=lambda r: briefing_html(profile, day, r.text, r.as_dict()),
            preview=lambda text: coach_html(text, title=title))
        await asyncio.to_thread(user.save_briefing, day, reply.text, reply.as_dict())

    async def week(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        profile = await asyncio.to_thread(user.profile)
        try:
            count = int(context.args[0]) if context.args else WEEK_NIGHTS[0]
        except ValueError:
            count = 0
        if not WEEK_NIGHTS[0] <= count <= WEEK_NIGHTS[1]:
            await self._send(update, context, say(profile.language, "week_usage"))
            return
        await sync_and_tell(user, self.hub, context.bot, update.effective_chat.id, profile.language)
        latest = await asyncio.to_thread(user.latest_night)
        if latest is None:
            await self._send(update, context, say(profile.language, "no_nights"))
            return
        start = latest.local_date - timedelta(days=count - 1)
        nights = await asyncio.to_thread(user.nights, start, latest.local_date)
        before = await asyncio.to_thread(user.nights, start - timedelta(days=HISTORY_DAYS), start - timedelta(days=1))
        baseline = compute_baseline(before, 14) if before else None
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_PHOTO)
        png = await asyncio.to_thread(week_chart, nights, baseline, language=profile.language)
        efficiency = [n.efficiency_pct for n in nights if n.efficiency_pct is not None]
        caption = say(profile.language, "week_caption", count=len(nights), start=day_label(start, profile.language),
                      end=day_label(latest.local_date, profile.language),
                      sleep=format_duration(sum(n.total_sleep_s for n in nights) / len(nights)),
                      efficiency=f"{sum(efficiency) / len(efficiency):.0f}%" if efficiency else "—")
        await context.bot.send_photo(update.effective_chat.id, InputFile(png, filename="week.png"), caption=caption)

    async def ask(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        question = update.effective_message.text.partition(" ")[2].strip()
        profile = await asyncio.to_thread(user.profile)
        if not question:
            await self._send(update, context, say(profile.language, "help"))
            return
        await self._answer(update, context, user, profile, question)

    async def _answer(self, update: Update, context: Context, user: UserStore, profile: Profile, question: str) -> None:
        if len(question) > MAX_QUESTION_CHARS:
            await self._send(update, context, say(profile.language, "too_long", length=f"{len(question):,}",
                                                   limit=f"{MAX_QUESTION_CHARS:,}"))
            return
        analysis = await asyncio.to_thread(analyze_latest, user)
        history = await asyncio.to_thread(user.recent_turns, self.settings.conversation_turns)
        label = SOURCES_LABEL[profile.language]

        def write(progress: Progress) -> CoachReply:
            return answer(question, analysis, self.coach.llm, history=history, language=profile.language,
                          max_tokens=self.settings.llm_max_tokens, unavailable_reason=self.coach.reason,
                          on_progress=progress)

        def render(reply: CoachReply) -> str:
            html = coach_html(reply.text, sources=reply.sources, sources_label=label)
            return f"{say(profile.language, 'model_down')}\n\n{html}" if reply.model_unavailable else html

        reply = await self._write(update, context, write, render, preview=coach_html)
        keep = self.settings.conversation_keep
        await asyncio.to_thread(user.add_turn, "user", question, keep=keep)
        await asyncio.to_thread(user.add_turn, "assistant", reply.text, keep=keep)

    async def log_command(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        profile = await asyncio.to_thread(user.profile)
        what = update.effective_message.text.partition(" ")[2].strip()
        if not what:
            labels = TAG_LABELS[profile.language]
            rows = [[(labels[kind], f"log:{kind.value}")] for kind in TagKind]
            await self._send(update, context, Message(say(profile.language, "log_pick"), _buttons(rows)))
            return
        await self._log(update, context, user, profile, what)

    async def _log(self, update: Update, context: Context, user: UserStore, profile: Profile, text: str) -> None:
        tags = parse_tags(text, datetime.now(profile.tz).date())
        if not tags:
            await self._send(update, context, say(profile.language, "log_unknown"))
            return
        await self._save_tags(update, context, user, profile, tags)

    async def _save_tags(self, update: Update, context: Context, user: UserStore, profile: Profile,
                         tags: list[Tag]) -> None:
        for tag in tags:
            await asyncio.to_thread(user.add_tag, tag)
        labels = TAG_LABELS[profile.language]
        what = ", ".join(labels[tag.kind] for tag in tags)
        await self._send(update, context, say(profile.language, "logged", what=what,
                                              day=day_label(tags[0].local_date, profile.language)))

    async def connect_command(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        profile = await asyncio.to_thread(user.profile)
        if context.args:
            await self._connect_vendor(update, context, user, profile, " ".join(context.args))
            return
        language = profile.language
        ready, unconfigured, files = self._offer()
        rows = [[(say(language, "simulator"), f"connect:{SIMULATOR}")]]
        rows += [[(vendor_label(name, language), f"connect:{name}")] for name in ready + files]
        text = say(language, "connect_pick")
        if unconfigured:
            names = ", ".join(vendor_label(name, language) for name in unconfigured)
            text += "\n\n" + say(language, "connect_unconfigured", names=names)
        await self._send(update, context, Message(text, _buttons(rows)))

    def _offer(self) -> tuple[list[str], list[str], list[str]]:
        """The vendors /connect offers, looked up now (vendor modules register as they land): OAuth vendors
        ready to connect, OAuth vendors this deployment has not set up, and vendors read from files."""
        connectable = set(self.hub.connectable())
        ready, unconfigured, files = [], [], []
        for name, vendor in registry.VENDORS.items():
            if vendor.adapter is None:
                if name == APPLE_HEALTH:
                    files.append(name)  # the others are imported by the operator (sleepcot import)
            elif name in connectable:
                ready.append(name)
            else:
                unconfigured.append(name)
        return ready, unconfigured, files

    def _missing_settings(self, name: str) -> list[str]:
        """The settings the operator must add before users can connect the OAuth vendor `name`."""
        missing = []
        if self.settings.vendor_client(name) is None:
            missing += [f"SLEEPCOT_{name.upper()}_CLIENT_ID", f"SLEEPCOT_{name.upper()}_CLIENT_SECRET"]
        if not self.settings.public_url:
            missing.append("SLEEPCOT_PUBLIC_URL")
        return missing

    @staticmethod
    def _vendor_name(text: str, known: list[str]) -> str | None:
        """The vendor a user typed ("oura", "Apple Health", "apple-health", "google"), or None."""
        wanted = "_".join(text.lower().replace("-", " ").split())
        if wanted in known:
            return wanted
        by_label = {name: vendor.label for name, vendor in registry.VENDORS.items()}
        matches = [name for name in known if name.startswith(wanted)
                   or "_".join(by_label.get(name, "").lower().split()) == wanted] if wanted else []
        return matches[0] if len(matches) == 1 else None

    async def _connect_vendor(self, update: Update, context: Context, user: UserStore, profile: Profile,
                              typed: str) -> None:
        """/connect NAME, or a vendor's button under /connect."""
        language = profile.language
        known = [SIMULATOR, *registry.VENDORS]
        name = self._vendor_name(typed, known)
        vendor = registry.VENDORS.get(name) if name else None
        if name == SIMULATOR:
            rows = [[(p.value.replace("_", " "), f"connect:{SIMULATOR}:{p.value}")] for p in Persona]
            await self._send(update, context, Message(say(language, "persona_pick"), _buttons(rows)))
        elif vendor is None:
            names = ", ".join(f"{vendor_label(n, language)} ({n})" for n in known)
            await self._send(update, context, say(language, "vendor_unknown", name=typed[:40], names=names))
        elif name == APPLE_HEALTH:
            await self._send(update, context, say(language, "apple_health_howto",
                                                  limit=_megabytes(FileSizeLimit.FILESIZE_DOWNLOAD)))
        elif vendor.adapter is None:
            await self._send(update, context, say(language, "vendor_files_only", label=vendor.label, name=name))
        else:
            await self._send_authorization_link(update, context, user, language, name)

    async def _send_authorization_link(self, update: Update, context: Context, user: UserStore,
                                       language: Language, name: str) -> None:
        label = vendor_label(name, language)
        missing = self._missing_settings(name)
        url = None
        if not missing and name in self.hub.connectable():
            try:
                url = self.hub.authorization_url(name, user.user_id)
            except ValueError:  # not registered after all
                log.warning("%s: could not make an authorization link", name)
        if url is None:
            missing = missing or [f"SLEEPCOT_{name.upper()}_CLIENT_ID", f"SLEEPCOT_{name.upper()}_CLIENT_SECRET"]
            await self._send(update, context, say(language, "vendor_not_configured", label=label,
                                                  missing=", ".join(missing)))
            return
        button = InlineKeyboardMarkup([[InlineKeyboardButton(say(language, "oauth_button", label=label), url=url)]])
        text = say(language, "oauth_link", label=label, name=name, minutes=STATE_TTL_S // 60)
        await self._send(update, context, Message(text, button))

    async def sources(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        language = (await asyncio.to_thread(user.profile)).language
        vendors = await asyncio.to_thread(user.vendors)
        held = await asyncio.to_thread(user.sources)
        revoked = await asyncio.to_thread(user.revoked_vendors)
        lines = []
        for vendor in dict.fromkeys([*vendors, *held]):
            label = vendor_label(vendor, language)
            if vendor in held:
                count, latest = held[vendor]
                line = say(language, "source_line", vendor=label, count=count, latest=day_label(latest, language))
            else:
                line = say(language, "source_connected_only", vendor=label)
            if vendor in revoked:
                line += say(language, "source_reconnect", name=vendor)
            lines.append(line)
        text = say(language, "sources", lines="\n".join(lines)) if lines else say(language, "no_sources")
        await self._send(update, context, text)

    async def disconnect_command(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        language = (await asyncio.to_thread(user.profile)).language
        vendors = await asyncio.to_thread(user.vendors)
        if context.args:
            held = await asyncio.to_thread(user.sources)
            typed = " ".join(context.args)
            name = self._vendor_name(typed, list(dict.fromkeys([*vendors, *held, SIMULATOR, *registry.VENDORS])))
            await self._disconnect(update, context, user, language, name or typed[:40])
            return
        if not vendors:
            await self._send(update, context, say(language, "no_sources"))
            return
        rows = [[(vendor_label(vendor, language), f"disconnect:{vendor}")] for vendor in vendors]
        await self._send(update, context, Message(say(language, "disconnect_pick"), _buttons(rows)))

    async def _disconnect(self, update: Update, context: Context, user: UserStore, language: Language,
                          name: str) -> None:
        label = vendor_label(name, language)
        if await asyncio.to_thread(user.delete_credential, name):
            log.info("user %d disconnected %s", user.user_id, name)
            await self._send(update, context, say(language, "disconnected", vendor=label))
        elif name in await asyncio.to_thread(user.sources):
            await self._send(update, context, say(language, "disconnect_files", vendor=label))
        else:
            await self._send(update, context, say(language, "not_connected", vendor=label))

    async def export(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if user is None:
            return
        profile = await asyncio.to_thread(user.profile)
        document = await asyncio.to_thread(user.export)
        data = json.dumps(document, ensure_ascii=False, indent=2).encode()
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
        name = f"sleepcot-export-{datetime.now(profile.tz).date().isoformat()}.json"
        await context.bot.send_document(update.effective_chat.id, InputFile(data, filename=name),
                                        caption=say(profile.language, "export_caption"))

    async def delete(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if user is None:
            return
        language = (await asyncio.to_thread(user.profile)).language
        buttons = _buttons([[(say(language, "delete_yes"), "delete:yes"), (say(language, "delete_no"), "delete:no")]])
        await self._send(update, context, Message(say(language, "delete_confirm"), buttons))

    async def invite(self, update: Update, context: Context) -> None:
        if not self._is_admin(update.effective_user.id):
            await self.unknown_command(update, context)
            return
        language = await self._language(update)
        hours = self.settings.invite_valid_hours
        code = await asyncio.to_thread(self.store.create_invite, timedelta(hours=hours))
        link = f"https://t.me/{context.bot.username}?start={code}"
        await self._send(update, context, say(language, "invite_created", hours=hours, link=link, code=code))

    async def users(self, update: Update, context: Context) -> None:
        if not self._is_admin(update.effective_user.id):
            await self.unknown_command(update, context)
            return
        language = await self._language(update)
        count, onboarded = await asyncio.to_thread(self.store.user_counts)
        await self._send(update, context, say(language, "users", count=count, onboarded=onboarded))

    async def unknown_command(self, update: Update, context: Context) -> None:
        language = await self._language(update)
        await self._send(update, context, say(language, "unknown_command"))

    # -- free text, locations and buttons -------------------------------------------------------------

    async def text(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if user is None:
            return
        text = update.effective_message.text
        profile = await asyncio.to_thread(user.profile)
        step = await asyncio.to_thread(user.onboarding_step)
        if step is not None:
            outcome = onboarding.answer_text(onboarding.plain(step), text, profile)
            if outcome.profile is not None:
                await self._advance(update, context, user, step, outcome.profile, outcome.replies)
                return
            takes_text = onboarding.plain(step) in onboarding.TEXT_STEPS
            if not step.startswith(onboarding.EDIT) or takes_text:
                for message in outcome.replies:
                    await self._send(update, context, message)
                return
            await asyncio.to_thread(user.set_onboarding_step, None)  # they moved on from the edit
        if is_log_statement(text):
            await self._log(update, context, user, profile, text)
            return
        await self._answer(update, context, user, profile, text)

    async def location(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if user is None:
            return
        step = await asyncio.to_thread(user.onboarding_step)
        if step is None or onboarding.plain(step) != "timezone":
            return
        place = update.effective_message.location
        profile = await asyncio.to_thread(user.profile)
        outcome = onboarding.answer_location("timezone", place.latitude, place.longitude, profile)
        if outcome.profile is not None:
            await self._advance(update, context, user, step, outcome.profile, outcome.replies)
        else:
            for message in outcome.replies:
                await self._send(update, context, message)

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        await query.answer()
        user = await asyncio.to_thread(self._user, update)
        if user is None:
            return
        kind, _, value = (query.data or "").partition(":")
        profile = await asyncio.to_thread(user.profile)
        if kind == onboarding.CALLBACK:
            await self._onboarding_button(update, context, user, profile, value)
        elif kind == "settings" and value in onboarding.EDITABLE:
            await asyncio.to_thread(user.set_onboarding_step, onboarding.EDIT + value)
            await self._send(update, context, onboarding.question(value, profile))
        elif kind == "log" and value in {k.value for k in TagKind}:
            tomorrow = datetime.now(profile.tz).date() + timedelta(days=1)
            await self._save_tags(update, context, user, profile, [Tag(local_date=tomorrow, kind=TagKind(value))])
        elif kind == "connect":
            await self._connect_button(update, context, user, profile, value)
        elif kind == "disconnect":
            if value not in await asyncio.to_thread(user.vendors):
                return  # a stale button
            await self._disconnect(update, context, user, profile.language, value)
        elif kind == "delete" and value == "yes":
            await asyncio.to_thread(user.delete)
            log.info("a user deleted their data")
            await self._send(update, context, say(profile.language, "deleted"))
        elif kind == "delete":
            await self._send(update, context, say(profile.language, "kept"))
        else:
            return
        if query.message is not None and query.message.reply_markup is not None:
            await query.edit_message_reply_markup(None)  # each set of buttons is answered once

    async def _onboarding_button(self, update: Update, context: Context, user: UserStore, profile: Profile,
                                 value: str) -> None:
        step, _, choice = value.partition(":")
        pending = await asyncio.to_thread(user.onboarding_step)
        if pending is None or onboarding.plain(pending) != step:
            return  # a stale button from an earlier question
        if step == "consent":
            await self._consent(update, context, user, choice == "yes")
            return
        outcome = onboarding.answer_choice(step, choice, profile)
        if outcome.profile is not None:
            await self._advance(update, context, user, pending, outcome.profile, outcome.replies)

    async def _connect_button(self, update: Update, context: Context, user: UserStore, profile: Profile,
                              value: str) -> None:
        vendor, _, persona = value.partition(":")
        if vendor != SIMULATOR or not persona:
            await self._connect_vendor(update, context, user, profile, vendor)
            return
        if persona not in {p.value for p in Persona}:
            return
        await asyncio.to_thread(connect_simulator, user, self.hub.vault, Persona(persona), user.user_id)
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        await sync_and_tell(user, self.hub, context.bot, update.effective_chat.id, profile.language)
        held = await asyncio.to_thread(user.sources)
        count = held.get(vendor, (0, None))[0]
        await self._send(update, context, say(profile.language, "connected",
                                              vendor=vendor_label(vendor, profile.language), count=count))

    # -- uploaded exports -----------------------------------------------------------------------------

    def _download_limit(self) -> int | None:
        """The most bytes a bot may download from the Bot API: 20 MB from Telegram's own servers; a
        self-hosted Bot API server decides for itself (a refusal is handled when it comes)."""
        host = urlsplit(self.settings.telegram_api_url).hostname
        return FileSizeLimit.FILESIZE_DOWNLOAD if host == OFFICIAL_API_HOST else None

    async def document(self, update: Update, context: Context) -> None:
        """A file sent to the bot: an Apple Health export (export.zip or export.xml) is imported."""
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        profile = await asyncio.to_thread(user.profile)
        language = profile.language
        document = update.effective_message.document
        suffix = Path((document.file_name or "").lower()).suffix
        if suffix not in EXPORT_SUFFIXES:
            await self._send(update, context, say(language, "file_unsupported"))
            return
        vendor = registry.VENDORS.get(APPLE_HEALTH)  # looked up now: vendor modules register as they land
        if vendor is None:
            await self._send(update, context, say(language, "apple_health_unavailable"))
            return
        limit = self._download_limit()
        if limit is not None and (document.file_size or 0) > limit:
            await self._send(update, context, say(language, "file_too_big", size=_megabytes(document.file_size),
                                                  limit=_megabytes(limit)))
            return
        await self._send(update, context, say(language, "import_reading"))
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        handle, name = tempfile.mkstemp(prefix="sleepcot-upload-", suffix=suffix)
        os.close(handle)
        path = Path(name)
        try:
            try:
                telegram_file = await context.bot.get_file(document.file_id)
                await telegram_file.download_to_drive(path, read_timeout=DOWNLOAD_TIMEOUT_S)
            except BadRequest as exc:
                if "too big" not in exc.message.lower():
                    raise
                size = document.file_size or 0
                await self._send(update, context, say(language, "file_too_big", size=_megabytes(size),
                                                      limit=_megabytes(limit or FileSizeLimit.FILESIZE_DOWNLOAD)))
                return
            try:
                parsed = await asyncio.to_thread(vendor.read_export, path, profile.tz)
            except PayloadError as exc:
                log.info("user %d sent an export that could not be read", user.user_id)
                reason = str(exc).removeprefix(f"{APPLE_HEALTH}: ")[:300]
                await self._send(update, context, say(language, "import_unreadable", reason=reason))
                return
            except Exception as exc:  # the parser's bug or a file it did not foresee: never the bot's end
                log.warning("an uploaded export could not be read: %s", type(exc).__name__)
                await self._send(update, context, say(language, "import_unreadable", reason=""))
                return
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        changed = await asyncio.to_thread(user.upsert_nights, parsed.nights)
        log.info("user %d imported %s: %d night(s), %d changed, %d record(s) rejected", user.user_id, APPLE_HEALTH,
                 len(parsed.nights), changed, len(parsed.rejected))
        if not parsed.nights:
            await self._send(update, context, say(language, "import_empty", rejected=len(parsed.rejected)))
            return
        await self._send(update, context, say(language, "import_done", label=vendor.label, nights=len(parsed.nights),
                                              changed=changed, rejected=len(parsed.rejected)))

    # -- the OAuth callback ---------------------------------------------------------------------------

    def _state_user(self, vendor: str, state: str | None) -> tuple[int | None, str | None]:
        """The user inside one of our `state` values; when it is forged, stale or for another vendor: None,
        and the reason to show (if there is one worth showing)."""
        if not state or len(state) > MAX_STATE_CHARS:
            return None, None
        try:
            return self.hub.state_user(vendor, state), None
        except ConnectError as exc:
            return None, str(exc)
        except (ValueError, KeyError, TypeError):
            return None, None

    async def _user_by_id(self, user_id: int | None) -> tuple[UserStore | None, Language, int | None]:
        """A user from a callback: their store, language and chat (None, English, None when gone)."""
        if user_id is None:
            return None, Language.EN, None
        try:
            user = await asyncio.to_thread(self.store.for_user, user_id)
            language = (await asyncio.to_thread(user.profile)).language
        except UnknownUser:
            return None, Language.EN, None
        return user, language, await asyncio.to_thread(self.store.telegram_id, user_id)

    async def _tell(self, bot: Bot, chat_id: int | None, text: str) -> None:
        if chat_id is None:
            return
        try:
            await bot.send_message(chat_id, text)
        except TelegramError as exc:
            log.warning("could not message a user after the OAuth callback: %s", type(exc).__name__)

    async def oauth_callback(self, application: Application, vendor: str, query: Mapping[str, str]) -> WebPage:
        """`GET /oauth/{vendor}/callback`: the vendor sends the user's browser back with `code` and our
        `state` (or with `error`). On success the credential is stored, the user is told in Telegram and
        their first sync starts in the background. Neither the code nor a token is ever logged."""
        known = registry.VENDORS.get(vendor)
        if known is None or known.adapter is None:
            return WebPage(404, Language.EN, say(Language.EN, "web_failed_title"), say(Language.EN, "web_unknown_vendor"))
        state, code, error = query.get("state"), query.get("code"), query.get("error")
        user_id, unreadable = self._state_user(vendor, state)
        user, language, chat_id = await self._user_by_id(user_id)
        label, failed = known.label, say(language, "web_failed_title")
        if error is not None or not code or not state:
            log.info("%s: a callback without a grant (%s)", vendor,
                     "access denied" if error == "access_denied" else "error" if error is not None else "incomplete")
            if user is not None:
                key = "oauth_denied" if error is not None else "oauth_failed"
                await self._tell(application.bot, chat_id, say(language, key, label=label, name=vendor))
            return WebPage(400, language, failed, say(language, "web_denied" if error is not None else "web_bad_request"))
        if user is None:  # forged, expired, for another vendor, or the user deleted themselves meanwhile
            return WebPage(400, language, failed,
                           escape_text(unreadable) if unreadable else say(language, "web_bad_request"))
        try:
            await self.hub.complete(self.store, vendor, state, code)  # the same state: the same user
        except ConnectError as exc:
            await self._tell(application.bot, chat_id, say(language, "oauth_failed", label=label, name=vendor))
            return WebPage(400, language, failed, escape_text(str(exc)))
        except Exception as exc:  # the vendor, the network or a bug: logged without the request's values
            log.error("%s: the OAuth callback failed: %s", vendor, type(exc).__name__)
            await self._tell(application.bot, chat_id, say(language, "oauth_failed", label=label, name=vendor))
            return WebPage(500, language, failed, say(language, "web_error"))
        await self._tell(application.bot, chat_id, say(language, "oauth_connected", label=label))
        application.create_task(self._first_sync(application.bot, user, vendor, chat_id, language),
                                name=f"first sync of {vendor}")
        return WebPage(200, language, say(language, "web_connected_title"), say(language, "web_connected"))

    async def _first_sync(self, bot: Bot, user: UserStore, vendor: str, chat_id: int | None,
                          language: Language) -> None:
        """Right after a connection: fetch the recent nights and say how many arrived."""
        report = await sync_and_tell(user, self.hub, bot, chat_id, language)
        if report is not None and vendor in report.reconnect:
            return  # they were just told to reconnect
        count = (await asyncio.to_thread(user.sources)).get(vendor, (0, None))[0]
        label = vendor_label(vendor, language)
        key = "first_sync_done" if count else "first_sync_none"
        await self._tell(bot, chat_id, say(language, key, label=label, count=count))

    # -- errors ---------------------------------------------------------------------------------------

    async def error(self, update: object, context: Context) -> None:
        """Log the failure (never the message's text) and tell the user, without internals."""
        log.error("an update failed: %s", type(context.error).__name__, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        language = self._guess_language(update)
        try:
            user = await asyncio.to_thread(self._user, update)
            if user is not None:
                language = (await asyncio.to_thread(user.profile)).language
        except Exception:  # the database may be what failed
            pass
        try:
            await context.bot.send_message(update.effective_chat.id, say(language, "error"))
        except Exception:
            log.warning("could not tell the user about the failure")
