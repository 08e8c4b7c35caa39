"""The OAuth callback page: the one entry that does not come from Telegram. It acts for the user whose
/connect link carried the `state` (encrypted, expiring, single-use), then syncs and tells them in the chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application

from bot.handlers.base import Handlers
from bot.presenting import sync_and_tell, vendor_label
from bot.texts import escape_text, say
from integrations import vendors as registry
from integrations.oauth import ConnectError
from integrations.vendors import Connection
from sleepcot.domain import Language
from sleepcot.store import UnknownUser, UserStore

log = logging.getLogger(__name__)
MAX_STATE_CHARS = 4096  # a longer `state` is not one of ours


@dataclass(frozen=True)
class WebPage:
    """What the web app answers a browser: an HTTP status and a short page, in the user's language. `title`
    and `text` are HTML (from bot.texts, values escaped)."""

    status: int
    language: Language
    title: str
    text: str


class WebHandlers(Handlers):
    """The OAuth callback."""

    def _take_state(self, vendor: str, state: str | None) -> tuple[int | None, str | None, str | None]:
        """The user one of our `state` values was made for, and its PKCE verifier, spending the link; when it
        is forged, stale, for another vendor or used: no user, and the reason to show (if one is worth it)."""
        if not state or len(state) > MAX_STATE_CHARS:
            return None, None, None
        try:
            user_id, verifier = self.hub.take_state(self.store, vendor, state)
            return user_id, verifier, None
        except ConnectError as exc:
            return None, None, str(exc)
        except (ValueError, KeyError, TypeError):
            return None, None, None

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
        if known is None or known.connection is not Connection.OAUTH:
            return WebPage(404, Language.EN, say(Language.EN, "web_failed_title"), say(Language.EN, "web_unknown_vendor"))
        state, code, error = query.get("state"), query.get("code"), query.get("error")
        user_id, verifier, unreadable = await asyncio.to_thread(self._take_state, vendor, state)
        user, language, chat_id = await self._user_by_id(user_id)
        label, failed = known.label, say(language, "web_failed_title")
        if error is not None or not code or not state:
            log.info("%s: a callback without a grant (%s)", vendor,
                     "access denied" if error == "access_denied" else "error" if error is not None else "incomplete")
            if user is not None:
                key = "oauth_denied" if error is not None else "oauth_failed"
                await self._tell(application.bot, chat_id, say(language, key, label=label, name=vendor))
            return WebPage(400, language, failed, say(language, "web_denied" if error is not None else "web_bad_request"))
        if user is None:  # forged, expired, used, for another vendor, or the user deleted themselves meanwhile
            return WebPage(400, language, failed,
                           escape_text(unreadable) if unreadable else say(language, "web_bad_request"))
        try:
            await self.hub.complete(self.store, vendor, user.user_id, verifier, code)
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
