"""Who may use the bot (private chats; users, admitted people and invite holders; never a blocked account),
the admin commands (/invite, /users, /block, /unblock), /help, unknown commands, and what a failed update
tells the user."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.handlers.base import Context, Handlers, Sender, for_sender
from bot.handlers.joining import joining
from bot.texts import say

log = logging.getLogger(__name__)
ADMIN_COMMANDS = ("/invite", "/users", "/block", "/unblock")
REFUSED_MEMORY = 10_000  # strangers remembered (per process) so each is refused only once


class AccessHandlers(Handlers):
    """Access, help and errors."""

    async def gate(self, update: Update, context: Context) -> None:
        """Runs before every handler: new messages and button presses in private chats only (not edits, not
        a business account's chats); users, admitted people and invite holders in; a stranger gets one
        polite refusal and nothing else."""
        sender, chat = update.effective_user, update.effective_chat
        if update.message is None and update.callback_query is None:
            raise ApplicationHandlerStop
        if sender is None or chat is None or chat.type != "private":
            raise ApplicationHandlerStop
        if await asyncio.to_thread(self.store.user_by_telegram_id, sender.id) is not None:
            return
        if await asyncio.to_thread(self.store.is_blocked, sender.id):
            raise ApplicationHandlerStop  # the operator removed them: no answer at all
        message = update.effective_message
        text = message.text if message is not None and message.text else ""
        command = text.split(maxsplit=1)[0].split("@")[0] if text.startswith("/") else ""
        if command == "/start" or (joining(context) is not None and update.callback_query is not None):
            return  # the start handler admits, takes an invite or refuses; a joiner answers its questions
        if command in ADMIN_COMMANDS and self._is_admin(sender.id):
            return
        if self._admitted(sender.id) or joining(context) is not None:
            await context.bot.send_message(chat.id, say(self._guess_language(update), "finish_onboarding") + " /start")
        else:
            await self._refuse(update, context)
        raise ApplicationHandlerStop

    async def slow_down(self, update: Update) -> None:
        """Told once when a user sends more than the bot will queue for them: the rest is dropped. (A
        stranger's flood is dropped in silence.)"""
        user = await asyncio.to_thread(self._user, update)
        if user is not None and update.effective_chat is not None:
            language = (await asyncio.to_thread(user.profile)).language
            await update.get_bot().send_message(update.effective_chat.id, say(language, "slow_down"))

    async def _refuse(self, update: Update, context: Context, text: str = "refused") -> None:
        """Refuse a stranger: `text` once, then silence."""
        sender = update.effective_user.id
        if update.callback_query is not None:
            await update.callback_query.answer()
        if sender in self._refused:
            return
        if len(self._refused) >= REFUSED_MEMORY:
            self._refused.clear()
        self._refused.add(sender)
        log.info("refused a stranger")
        await context.bot.send_message(update.effective_chat.id, say(self._guess_language(update), text))

    @for_sender(onboarded=True)
    async def help(self, update: Update, context: Context, sender: Sender) -> None:
        language = sender.language
        text = say(language, "help")
        if self._is_admin(update.effective_user.id):
            text += say(language, "admin_help")
        await self._send(update, context, text)

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

    async def block(self, update: Update, context: Context) -> None:
        """`/block TELEGRAM_ID`: remove everything of that account's user and never answer it again."""
        await self._blocking(update, context, block=True)

    async def unblock(self, update: Update, context: Context) -> None:
        """`/unblock TELEGRAM_ID`: they may join again (with an invite, or if admitted)."""
        await self._blocking(update, context, block=False)

    async def _blocking(self, update: Update, context: Context, *, block: bool) -> None:
        if not self._is_admin(update.effective_user.id):
            await self.unknown_command(update, context)
            return
        language = await self._language(update)
        target = context.args[0] if len(context.args or ()) == 1 else ""
        if not target.isdigit():
            await self._send(update, context, say(language, "block_usage"))
            return
        telegram_id = int(target)
        if block and self._is_admin(telegram_id):
            await self._send(update, context, say(language, "block_operator", id=telegram_id))
            return
        if block:
            removed = await asyncio.to_thread(self.store.block, telegram_id)
            log.info("an operator blocked an account%s", " and removed its user" if removed else "")
            key = "blocked_removed" if removed else "blocked_nobody"
        else:
            key = "unblocked" if await asyncio.to_thread(self.store.unblock, telegram_id) else "not_blocked"
        await self._send(update, context, say(language, key, id=telegram_id))

    async def unknown_command(self, update: Update, context: Context) -> None:
        language = await self._language(update)
        await self._send(update, context, say(language, "unknown_command"))

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
