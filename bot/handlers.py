"""What the bot does with each update: access control, onboarding and /settings, the commands, free text
(a question for the coach, or something to log), buttons, and errors.

Every handler acts for the Telegram user who sent the update and reaches data only through that user's
`UserStore`; nothing in a message or a button can name another user. Blocking work (database, the model,
charts) runs in worker threads so one user's briefing never stalls another's chat.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import onboarding
from bot.charts import week_chart
from bot.onboarding import Message
from bot.render import coach_html, split_html
from bot.streaming import StreamedReply
from bot.texts import language_of, say
from integrations.simulator import Persona
from integrations.sync import CONNECTABLE, connect, sync_all
from sleepcot.analysis.latest import HISTORY_DAYS, analyze_latest
from sleepcot.analysis.baseline import compute_baseline
from sleepcot.coach.answering import MAX_QUESTION_CHARS, answer
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.generation import CoachReply, Progress
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Language, Profile, Tag, TagKind
from sleepcot.store import Store, UnknownUser, UserStore
from sleepcot.tagging import TAG_LABELS, is_log_statement, parse_tags
from sleepcot.units import format_duration

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
WEEK_NIGHTS = (7, 30)
ZH_WEEKDAYS = "一二三四五六日"
SOURCES_LABEL = {Language.EN: "Sources", Language.ZH: "来源"}
ADMIN_COMMANDS = ("/invite", "/users")
REFUSED_MEMORY = 10_000  # strangers remembered (per process) so each is refused only once


@dataclass
class Coach:
    """The model the bot writes with (None: unavailable, for `reason`) and how many calls may run at once."""

    llm: LLM | None
    reason: str | None
    slots: asyncio.Semaphore


def day_label(day: date, language: Language) -> str:
    if language is Language.ZH:
        return f"{day.month}月{day.day}日 星期{ZH_WEEKDAYS[day.weekday()]}"
    return f"{day:%A %d %B}"


def _buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


class SleepBot:
    """The handlers, bound to the store, settings, credential vault and model they share."""

    def __init__(self, store: Store, settings: Settings, vault: Vault, coach: Coach) -> None:
        self.store, self.settings, self.vault, self.coach = store, settings, vault, coach
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
        await self._sync(user)
        analysis = await asyncio.to_thread(analyze_latest, user)
        profile = analysis.profile if analysis else await asyncio.to_thread(user.profile)
        if analysis is None:
            await self._send(update, context, say(profile.language, "no_nights"))
            return
        day = analysis.night.local_date
        title = say(profile.language, "briefing_title", name=profile.name or "👋", day=day_label(day, profile.language))
        stored = await asyncio.to_thread(user.briefing, day)
        if stored is not None and not (stored[1].get("model_unavailable") and self.coach.llm is not None):
            text, meta = stored
            await self._send(update, context, self._briefing_html(title, text, meta, profile.language))
            return

        def write(progress: Progress) -> CoachReply:
            return write_briefing(analysis, self.coach.llm, max_tokens=self.settings.llm_max_tokens,
                                  unavailable_reason=self.coach.reason, on_progress=progress)

        reply = await self._write(
            update, context, write,
            render=lambda r: self._briefing_html(title, r.text, r.as_dict(), profile.language),
            preview=lambda text: coach_html(text, title=title))
        await asyncio.to_thread(user.save_briefing, day, reply.text, reply.as_dict())

    @staticmethod
    def _briefing_html(title: str, text: str, meta: dict, language: Language) -> str:
        html = coach_html(text, title=title, sources=meta.get("sources") or (), sources_label=SOURCES_LABEL[language])
        if meta.get("model_unavailable"):
            html += f"\n\n<i>{say(language, 'without_model')}</i>"
        return html

    async def _sync(self, user: UserStore) -> None:
        """Pull new nights before answering from them; a failing source must not stop the answer."""
        try:
            await asyncio.to_thread(sync_all, user, self.vault)
        except Exception:
            log.exception("sync failed for user %d", user.user_id)

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
        await self._sync(user)
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
        await self._send(update, context, Message(say(profile.language, "connect_pick"),
                                                  _buttons([[(say(profile.language, "simulator"), "connect:simulator")]])))

    async def sources(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        profile = await asyncio.to_thread(user.profile)
        vendors = await asyncio.to_thread(user.vendors)
        held = await asyncio.to_thread(user.sources)
        lines = []
        for vendor in dict.fromkeys([*vendors, *held]):
            if vendor in held:
                count, latest = held[vendor]
                lines.append(say(profile.language, "source_line", vendor=vendor, count=count,
                                 latest=day_label(latest, profile.language)))
            else:
                lines.append(say(profile.language, "source_connected_only", vendor=vendor))
        text = say(profile.language, "sources", lines="\n".join(lines)) if lines else say(profile.language, "no_sources")
        await self._send(update, context, text)

    async def disconnect_command(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if not await self._onboarded(update, context, user):
            return
        profile = await asyncio.to_thread(user.profile)
        vendors = await asyncio.to_thread(user.vendors)
        if not vendors:
            await self._send(update, context, say(profile.language, "no_sources"))
            return
        rows = [[(vendor, f"disconnect:{vendor}")] for vendor in vendors]
        await self._send(update, context, Message(say(profile.language, "disconnect_pick"), _buttons(rows)))

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
            removed = await asyncio.to_thread(user.delete_credential, value)
            if removed:
                await self._send(update, context, say(profile.language, "disconnected", vendor=value))
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
        if vendor not in CONNECTABLE:
            return
        if not persona:
            rows = [[(p.value.replace("_", " "), f"connect:{vendor}:{p.value}")] for p in Persona]
            await self._send(update, context, Message(say(profile.language, "persona_pick"), _buttons(rows)))
            return
        if persona not in {p.value for p in Persona}:
            return
        await asyncio.to_thread(connect, user, self.vault, vendor, {"persona": persona, "seed": user.user_id})
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        await self._sync(user)
        held = await asyncio.to_thread(user.sources)
        count = held.get(vendor, (0, None))[0]
        await self._send(update, context, say(profile.language, "connected", vendor=vendor, count=count))

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
