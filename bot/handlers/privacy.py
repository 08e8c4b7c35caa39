"""A user's data is theirs: /export (a JSON file of everything) and /delete (confirmed by a button, then our
access at their vendors is withdrawn where the vendor offers that, and every row of theirs is gone)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from telegram import InputFile, Update
from telegram.constants import ChatAction

from bot.handlers.base import Context, Handlers, Sender, for_sender
from bot.onboarding import Message, keyboard
from bot.texts import say

log = logging.getLogger(__name__)


class PrivacyHandlers(Handlers):
    """Export and delete."""

    @for_sender()
    async def export(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile = sender.user, sender.profile
        document = await asyncio.to_thread(user.export)
        data = json.dumps(document, ensure_ascii=False, indent=2).encode()
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
        name = f"sleepcot-export-{datetime.now(profile.tz).date().isoformat()}.json"
        await context.bot.send_document(update.effective_chat.id, InputFile(data, filename=name),
                                        caption=say(profile.language, "export_caption"))

    @for_sender()
    async def delete(self, update: Update, context: Context, sender: Sender) -> None:
        language = sender.language
        buttons = keyboard([[(say(language, "delete_yes"), "delete:yes"), (say(language, "delete_no"), "delete:no")]])
        await self._send(update, context, Message(say(language, "delete_confirm"), buttons))

    async def delete_button(self, update: Update, context: Context) -> None:
        if (pressed := await self._pressed(update)) is None:
            return
        sender, value = pressed
        if value == "yes":  # our access at their vendors is withdrawn first, where the vendor offers that
            vendors = await asyncio.to_thread(sender.user.vendors)
            await asyncio.gather(*(self.hub.revoke(sender.user, name) for name in vendors))
            await asyncio.to_thread(sender.user.delete)
            log.info("a user deleted their data")
            await self._send(update, context, say(sender.language, "deleted"))
        else:
            await self._send(update, context, say(sender.language, "kept"))
        await self._answered(update)
