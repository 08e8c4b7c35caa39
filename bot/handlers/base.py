"""What every handler shares: the sender's store and language, sending (split under Telegram's limit) and
writing with the model (streamed), the onboarded check, and answering a button press."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot import onboarding
from bot.onboarding import Message
from bot.presenting import Coach
from bot.render import split_html
from bot.streaming import StreamedReply
from bot.texts import language_of, say
from integrations.sync import Hub
from sleepcot.coach.generation import CoachReply, Progress
from sleepcot.config import Settings
from sleepcot.domain import Language, Profile
from sleepcot.store import Pending, Store, UnknownUser, UserStore

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
SenderHandler = Callable[[Any, Update, Context, "Sender"], Awaitable[None]]


@dataclass(frozen=True)
class Sender:
    """Who sent an update, read in one worker-thread hop: their store, profile and pending onboarding step."""

    user: UserStore
    profile: Profile
    pending: Pending | None

    @property
    def language(self) -> Language:
        return self.profile.language


def for_sender(*, onboarded: bool = False) -> Callable[[SenderHandler], Callable[[Any, Update, Context], Awaitable[None]]]:
    """A handler `(self, update, context, sender)`: the sender is loaded once; an update from no user (one
    deleted meanwhile) is dropped; with `onboarded`, a user still onboarding is asked the pending question
    again instead."""

    def decorate(handler: SenderHandler) -> Callable[[Any, Update, Context], Awaitable[None]]:
        @functools.wraps(handler)
        async def run(self: Handlers, update: Update, context: Context) -> None:
            sender = await asyncio.to_thread(self._sender, update)
            if sender is not None and onboarded:
                sender = await self._onboarded(update, context, sender)
            if sender is not None:
                await handler(self, update, context, sender)

        return run

    return decorate




class Handlers:
    """The state the handlers share: the store, settings, the sync hub and the coach."""

    def __init__(self, store: Store, settings: Settings, hub: Hub, coach: Coach) -> None:
        self.store, self.settings, self.hub, self.coach = store, settings, hub, coach
        self._refused: set[int] = set()

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

    async def _language(self, update: Update) -> Language:
        """The user's language, or a guess from their Telegram client for someone who is not a user."""
        user = await asyncio.to_thread(self._user, update)
        return (await asyncio.to_thread(user.profile)).language if user else self._guess_language(update)

    @staticmethod
    def _guess_language(update: Update) -> Language:
        return language_of(update.effective_user.language_code)

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

    def _sender(self, update: Update) -> Sender | None:
        user = self._user(update)
        if user is None:
            return None
        try:
            return Sender(user, user.profile(), user.pending())
        except UnknownUser:  # deleted meanwhile
            return None

    async def _onboarded(self, update: Update, context: Context, sender: Sender) -> Sender | None:
        """The sender once onboarding is complete (a command ends the edit of a setting); otherwise None,
        and its pending question is asked again."""
        if sender.pending is None:
            return sender
        if sender.pending.editing:
            await asyncio.to_thread(sender.user.set_pending, None)
            return replace(sender, pending=None)
        await self._send(update, context, say(sender.language, "finish_onboarding"))
        await self._send(update, context, onboarding.question(sender.pending.step, sender.profile))
        return None

    async def _pressed(self, update: Update) -> tuple[Sender, str] | None:
        """Answer a button press: its sender and the button's value (what follows its prefix); None when the
        sender is no user or has not finished onboarding (these buttons belong to no onboarding step, so
        one pressed then is forged or stale)."""
        query = update.callback_query
        await query.answer()
        sender = await asyncio.to_thread(self._sender, update)
        if sender is None or (sender.pending is not None and not sender.pending.editing):
            return None
        return sender, (query.data or "").partition(":")[2]

    @staticmethod
    async def _answered(update: Update) -> None:
        """Each set of buttons is answered once: take them off the message."""
        query = update.callback_query
        if query.message is not None and query.message.reply_markup is not None:
            await query.edit_message_reply_markup(None)
