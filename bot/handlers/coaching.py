"""The coach in the chat: /today (the briefing), /week (a chart and summary), questions (/ask or plain
text; an answer about a trend or a comparison in the user's history is followed by its chart), and logging
what may affect tonight (/log, plain statements, the log buttons)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import InputFile, Update
from telegram.constants import ChatAction

from bot import onboarding
from bot.charts import week_chart
from bot.handlers.base import Context, Handlers, Sender, for_sender
from bot.history import charted, history_png
from bot.onboarding import Message, keyboard
from bot.presenting import (
    SOURCES_LABEL,
    briefing_html,
    briefing_title,
    day_label,
    sync_and_tell,
)
from bot.render import coach_html
from bot.texts import say
from sleepcot.analysis.baseline import compute_baseline
from sleepcot.analysis.history import HistoryResult
from sleepcot.analysis.latest import analyze_latest
from sleepcot.coach.answering import MAX_QUESTION_CHARS, answer
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.generation import CoachReply, Progress
from sleepcot.coach.knowledge import language_of
from sleepcot.domain import HISTORY_DAYS, Language, Profile, Tag, TagKind
from sleepcot.store import UserStore
from sleepcot.tagging import TAG_LABELS, is_log_statement, parse_tags
from sleepcot.units import format_duration

log = logging.getLogger(__name__)
WEEK_NIGHTS = (7, 30)
SYNC_WAIT_S = 8.0  # /today and /week answer within about 15 s, from what is stored if a vendor is slower


class CoachingHandlers(Handlers):
    """Briefings, the week, questions and logging."""

    @for_sender(onboarded=True)
    async def today(self, update: Update, context: Context, sender: Sender) -> None:
        user, language = sender.user, sender.language
        await sync_and_tell(user, self.hub, context.bot, update.effective_chat.id, language, wait_s=SYNC_WAIT_S)
        analysis = await asyncio.to_thread(analyze_latest, user)
        profile = analysis.profile if analysis else sender.profile
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

    @for_sender(onboarded=True)
    async def week(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile = sender.user, sender.profile
        try:
            count = int(context.args[0]) if context.args else WEEK_NIGHTS[0]
        except ValueError:
            count = 0
        if not WEEK_NIGHTS[0] <= count <= WEEK_NIGHTS[1]:
            await self._send(update, context, say(profile.language, "week_usage"))
            return
        await sync_and_tell(user, self.hub, context.bot, update.effective_chat.id, profile.language,
                            wait_s=SYNC_WAIT_S)
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

    @for_sender(onboarded=True)
    async def ask(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile = sender.user, sender.profile
        question = update.effective_message.text.partition(" ")[2].strip()
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
                          on_progress=progress, source=user)

        def render(reply: CoachReply) -> str:
            html = coach_html(reply.text, sources=reply.sources, sources_label=label)
            return f"{say(profile.language, 'model_down')}\n\n{html}" if reply.model_unavailable else html

        reply = await self._write(update, context, write, render, preview=coach_html)
        keep = self.settings.conversation_keep
        await asyncio.to_thread(user.add_turn, "user", question, keep=keep)
        await asyncio.to_thread(user.add_turn, "assistant", reply.text, keep=keep)
        if charted(reply.history):
            language = language_of(question, profile.language)  # the answer's language, as `answer` picks it
            await self._send_history_chart(update, context, user, reply.history, language)

    @staticmethod
    async def _send_history_chart(update: Update, context: Context, user: UserStore, result: HistoryResult,
                                  language: Language) -> None:
        """The chart after a history answer; one that cannot be drawn or sent is logged, and the answer stands."""
        chat_id = update.effective_chat.id
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
            png = await asyncio.to_thread(history_png, result, language)
            await context.bot.send_photo(chat_id, InputFile(png, filename="history.png"))
        except Exception:  # a chart is an extra: never the answer's end
            log.exception("user %d: the history chart could not be sent", user.user_id)

    @for_sender(onboarded=True)
    async def log_command(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile = sender.user, sender.profile
        what = update.effective_message.text.partition(" ")[2].strip()
        if not what:
            labels = TAG_LABELS[profile.language]
            rows = [[(labels[kind], f"log:{kind.value}")] for kind in TagKind]
            await self._send(update, context, Message(say(profile.language, "log_pick"), keyboard(rows)))
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

    @for_sender()
    async def text(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile, pending = sender.user, sender.profile, sender.pending
        text = update.effective_message.text
        if pending is not None:
            outcome = onboarding.answer_text(pending.step, text, profile)
            if outcome.profile is not None:
                await self._advance(update, context, user, pending, outcome.profile, outcome.replies)
                return
            if onboarding.keeps_waiting(pending):
                for message in outcome.replies:
                    await self._send(update, context, message)
                return
            await asyncio.to_thread(user.set_pending, None)  # they moved on from the edit
        if is_log_statement(text):
            await self._log(update, context, user, profile, text)
            return
        await self._answer(update, context, user, profile, text)

    async def log_button(self, update: Update, context: Context) -> None:
        if (pressed := await self._pressed(update)) is None:
            return
        sender, value = pressed
        user, profile = sender.user, sender.profile
        if value not in {kind.value for kind in TagKind}:
            return
        tomorrow = datetime.now(profile.tz).date() + timedelta(days=1)
        await self._save_tags(update, context, user, profile, [Tag(local_date=tomorrow, kind=TagKind(value))])
        await self._answered(update)
