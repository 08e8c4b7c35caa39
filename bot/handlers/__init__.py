"""What the bot does with each update, one module per feature behind one shared base (`base`): access and
errors, onboarding and settings (`setup`), the coach (`coaching`), wearables and uploads (`sources`),
export and delete (`privacy`), and the OAuth callback page (`web`).

Every handler acts for the Telegram user who sent the update and reaches data only through that user's
`UserStore`; nothing in a message or a button can name another user. Blocking work (database, the model,
charts, parsing an export) runs in worker threads so one user's briefing never stalls another's chat.
Wearables go through the process's one `Hub` (integrations.sync); a source whose grant was just found
revoked is reported to the user once, in their language.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import onboarding
from bot.handlers.access import AccessHandlers
from bot.handlers.base import Context
from bot.handlers.coaching import CoachingHandlers
from bot.handlers.privacy import PrivacyHandlers
from bot.handlers.setup import SetupHandlers
from bot.handlers.sources import SourceHandlers
from bot.handlers.web import WebHandlers, WebPage

__all__ = ["SleepBot", "WebPage"]


class SleepBot(AccessHandlers, SetupHandlers, CoachingHandlers, SourceHandlers, PrivacyHandlers, WebHandlers):
    """The handlers, bound to the store, settings, sync hub and coach they share."""

    def button_handlers(self) -> list[CallbackQueryHandler]:
        """One registration per kind of button, by the prefix of its callback data; any other press (an old
        or unknown button) is answered and nothing more."""
        kinds = ((onboarding.CALLBACK, self.onboarding_button), ("settings", self.settings_button),
                 ("log", self.log_button), ("connect", self.connect_button), ("disconnect", self.disconnect_button),
                 ("delete", self.delete_button))
        return [CallbackQueryHandler(callback, pattern=f"^{prefix}:") for prefix, callback in kinds] + [
            CallbackQueryHandler(self.other_button)]

    @staticmethod
    async def other_button(update: Update, context: Context) -> None:
        await update.callback_query.answer()
