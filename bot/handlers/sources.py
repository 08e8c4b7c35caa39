"""Wearables and files: /connect (an OAuth link, a simulated persona, or how to upload), /sources,
/disconnect, and uploaded exports (Apple Health)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, FileSizeLimit
from telegram.error import BadRequest

from bot.handlers.base import Context, Handlers, Sender, for_sender
from bot.onboarding import Message, keyboard
from bot.presenting import day_label, sync_and_tell, vendor_label
from bot.texts import say
from integrations import vendors as registry
from integrations.base import PayloadError
from integrations.oauth import STATE_TTL_S
from integrations.sync import connect_simulated
from integrations.vendors import Connection
from sleepcot.domain import Language, Profile
from sleepcot.store import UserStore

log = logging.getLogger(__name__)
OFFICIAL_API_HOST = "api.telegram.org"  # bots download at most 20 MB from it (a self-hosted server: no limit)
DOWNLOAD_TIMEOUT_S = 300.0


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.0f}"


class SourceHandlers(Handlers):
    """Connecting, listing and disconnecting sources, and uploads."""

    @for_sender(onboarded=True)
    async def connect_command(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile = sender.user, sender.profile
        if context.args:
            await self._connect_vendor(update, context, user, profile, " ".join(context.args))
            return
        language = profile.language
        ready, unconfigured, uploads = self._offer()
        rows = [[(vendor_label(name, language), f"connect:{name}")] for name in ready + uploads]
        text = say(language, "connect_pick")
        if unconfigured:
            names = ", ".join(vendor_label(name, language) for name in unconfigured)
            text += "\n\n" + say(language, "connect_unconfigured", names=names)
        await self._send(update, context, Message(text, keyboard(rows)))

    def _offer(self) -> tuple[list[str], list[str], list[str]]:
        """What /connect offers: the sources ready to connect here (simulated ones, and the OAuth vendors this
        deployment is registered with), the OAuth vendors it has not set up, and the sources whose export the
        user sends to the bot. Sources the operator imports from files are not offered."""
        ready = self.hub.connectable()
        unconfigured = [v.name for v in registry.by_connection(Connection.OAUTH) if v.name not in ready]
        return ready, unconfigured, [v.name for v in registry.by_connection(Connection.UPLOAD)]

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
        known = list(registry.VENDORS)
        name = self._vendor_name(typed, known)
        vendor = registry.VENDORS.get(name) if name else None
        if vendor is None:
            names = ", ".join(f"{vendor_label(n, language)} ({n})" for n in known)
            await self._send(update, context, say(language, "vendor_unknown", name=typed[:40], names=names))
        elif vendor.connection is Connection.SIMULATED:
            rows = [[(choice.replace("_", " "), f"connect:{name}:{choice}")] for choice in vendor.choices]
            await self._send(update, context, Message(say(language, "persona_pick"), keyboard(rows)))
        elif vendor.connection is Connection.UPLOAD:
            await self._send(update, context, say(language, "upload_howto", label=vendor_label(name, language),
                                                  name=name, limit=_megabytes(FileSizeLimit.FILESIZE_DOWNLOAD)))
        elif vendor.connection is Connection.FILES:
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
                url = await asyncio.to_thread(self.hub.authorization_url, self.store, name, user.user_id)
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

    @for_sender(onboarded=True)
    async def sources(self, update: Update, context: Context, sender: Sender) -> None:
        user, language = sender.user, sender.language
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

    @for_sender(onboarded=True)
    async def disconnect_command(self, update: Update, context: Context, sender: Sender) -> None:
        user, language = sender.user, sender.language
        vendors = await asyncio.to_thread(user.vendors)
        if context.args:
            held = await asyncio.to_thread(user.sources)
            typed = " ".join(context.args)
            name = self._vendor_name(typed, list(dict.fromkeys([*vendors, *held, *registry.VENDORS])))
            await self._disconnect(update, context, user, language, name or typed[:40])
            return
        if not vendors:
            await self._send(update, context, say(language, "no_sources"))
            return
        rows = [[(vendor_label(vendor, language), f"disconnect:{vendor}")] for vendor in vendors]
        await self._send(update, context, Message(say(language, "disconnect_pick"), keyboard(rows)))

    async def _disconnect(self, update: Update, context: Context, user: UserStore, language: Language,
                          name: str) -> None:
        label = vendor_label(name, language)
        if name in await asyncio.to_thread(user.vendors):
            await self.hub.revoke(user, name)  # where the vendor offers it: our access ends there too
        if await asyncio.to_thread(user.delete_credential, name):
            log.info("user %d disconnected %s", user.user_id, name)
            await self._send(update, context, say(language, "disconnected", vendor=label))
        elif name in await asyncio.to_thread(user.sources):
            await self._send(update, context, say(language, "disconnect_files", vendor=label))
        else:
            await self._send(update, context, say(language, "not_connected", vendor=label))

    async def _connect_button(self, update: Update, context: Context, user: UserStore, profile: Profile,
                              value: str) -> None:
        vendor, _, choice = value.partition(":")
        source = registry.VENDORS.get(vendor)
        if source is None or source.connection is not Connection.SIMULATED or not choice:
            await self._connect_vendor(update, context, user, profile, vendor)
            return
        if choice not in source.choices:
            return
        await asyncio.to_thread(connect_simulated, user, self.hub.vault, vendor, choice, user.user_id)
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        await sync_and_tell(user, self.hub, context.bot, update.effective_chat.id, profile.language)
        held = await asyncio.to_thread(user.sources)
        count = held.get(vendor, (0, None))[0]
        await self._send(update, context, say(profile.language, "connected",
                                              vendor=vendor_label(vendor, profile.language), count=count))

    def _download_limit(self) -> int | None:
        """The most bytes a bot may download from the Bot API: 20 MB from Telegram's own servers; a
        self-hosted Bot API server decides for itself (a refusal is handled when it comes)."""
        host = urlsplit(self.settings.telegram_api_url).hostname
        return FileSizeLimit.FILESIZE_DOWNLOAD if host == OFFICIAL_API_HOST else None

    @for_sender(onboarded=True)
    async def document(self, update: Update, context: Context, sender: Sender) -> None:
        """A file sent to the bot: the export of a source users upload (Apple Health's export.zip or
        export.xml) is imported."""
        user, profile = sender.user, sender.profile
        language = profile.language
        document = update.effective_message.document
        vendor = registry.for_upload(document.file_name or "")
        if vendor is None:
            await self._send(update, context, say(language, "file_unsupported"))
            return
        suffix = Path((document.file_name or "").lower()).suffix
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
                reason = str(exc).removeprefix(f"{vendor.name}: ")[:300]
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
        log.info("user %d imported %s: %d night(s), %d changed, %d record(s) rejected", user.user_id, vendor.name,
                 len(parsed.nights), changed, len(parsed.rejected))
        if not parsed.nights:
            await self._send(update, context, say(language, "import_empty", rejected=len(parsed.rejected)))
            return
        await self._send(update, context, say(language, "import_done", label=vendor.label, nights=len(parsed.nights),
                                              changed=changed, rejected=len(parsed.rejected)))

    async def connect_button(self, update: Update, context: Context) -> None:
        if (pressed := await self._pressed(update)) is None:
            return
        sender, value = pressed
        await self._connect_button(update, context, sender.user, sender.profile, value)
        await self._answered(update)

    async def disconnect_button(self, update: Update, context: Context) -> None:
        if (pressed := await self._pressed(update)) is None:
            return
        sender, value = pressed
        if value not in await asyncio.to_thread(sender.user.vendors):
            return  # a stale button
        await self._disconnect(update, context, sender.user, sender.language, value)
        await self._answered(update)
