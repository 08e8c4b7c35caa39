"""Delivering a coach reply while it is being written: the typing action until text exists, then the text
as it grows, no more often than every `interval_s` seconds — as a draft (Bot API 9.5 `sendMessageDraft`:
an animated preview that is no message; the final reply then arrives as one real message, and the draft
vanishes), or, where drafts are unavailable (a Bot API server older than 9.5), one message edited as it
grows that becomes the reply's first part. Either way the full reply is split under 4,096 characters.

Generation runs in a worker thread and calls `progress(text)` from there; everything that touches
Telegram runs on the event loop. An interval of 0 turns the preview off (typing, then the final reply).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable

from telegram import Bot, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.render import split_html

log = logging.getLogger(__name__)
TYPING_EVERY_S = 4.5  # Telegram shows a chat action for about 5 seconds
WRITING = " …"
_DRAFT_IDS = itertools.count(1)  # a draft's id: non-zero, one per reply
_NO_DRAFTS: set[tuple[str, str]] = set()  # bots (token, server) whose Bot API refused a draft: they edit instead


class StreamedReply:
    def __init__(self, bot: Bot, chat_id: int, *, interval_s: float, render: Callable[[str], str]) -> None:
        self._bot, self._chat_id, self._interval, self._render = bot, chat_id, interval_s, render
        self._loop = asyncio.get_running_loop()
        self._latest: str | None = None
        self._shown: str | None = None
        self._message: Message | None = None  # the edited preview (where drafts are unavailable)
        self._draft_id: int | None = None  # the draft shown (None: none yet)
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._typing_task: asyncio.Task | None = None
        self._edits_task: asyncio.Task | None = None

    async def __aenter__(self) -> StreamedReply:
        self._typing_task = asyncio.create_task(self._typing())
        if self._interval > 0:
            self._edits_task = asyncio.create_task(self._edits())
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop typing at once; let an edit in flight complete (cancelling it mid-request could leave a
        preview message we would not know about), then stop editing."""
        self._typing_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._typing_task
        self._closing.set()
        self._changed.set()
        if self._edits_task is not None:
            await self._edits_task

    def progress(self, text: str) -> None:
        """Thread-safe: the reply so far (only text that passed the guard's checks)."""
        self._loop.call_soon_threadsafe(self._update, text)

    def _update(self, text: str) -> None:
        self._latest = text
        self._changed.set()

    async def _typing(self) -> None:
        while self._message is None and self._draft_id is None:
            try:
                await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)
            except TelegramError as exc:  # a courtesy: a failed one never costs the reply
                log.debug("typing action failed (%s)", type(exc).__name__)
            await asyncio.sleep(TYPING_EVERY_S)

    async def _edits(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._closing.is_set():
                return
            chunks = split_html(self._render(self._latest or "") + WRITING)
            if len(chunks) > 1:  # the final reply will be split; stop previewing here
                return
            try:
                await self._show(chunks[0])
            except TelegramError as exc:  # the preview stops; the reply itself still arrives whole
                log.info("preview stopped (%s)", type(exc).__name__)
                return
            with contextlib.suppress(TimeoutError):  # the pause between edits, cut short by closing
                await asyncio.wait_for(self._closing.wait(), self._interval)

    async def _show(self, html: str) -> None:
        if html == self._shown:
            return
        if self._message is None and (self._bot.token, self._bot.base_url) not in _NO_DRAFTS:
            draft_id = self._draft_id or next(_DRAFT_IDS)
            try:
                await self._bot.send_message_draft(self._chat_id, draft_id, html, parse_mode=ParseMode.HTML)
            except RetryAfter:
                raise
            except TelegramError as exc:  # no drafts here (an older Bot API server): edit a message instead
                log.info("drafts unavailable (%s); streaming by editing a message", type(exc).__name__)
                _NO_DRAFTS.add((self._bot.token, self._bot.base_url))
            else:
                self._draft_id, self._shown = draft_id, html
                return
        if self._message is None:
            self._message = await self._bot.send_message(self._chat_id, html, parse_mode=ParseMode.HTML)
        else:
            try:
                await self._message.edit_text(html, parse_mode=ParseMode.HTML)
            except BadRequest as exc:
                if "not modified" not in str(exc):
                    raise
        self._shown = html

    async def finish(self, html: str) -> None:
        """Send the final reply: after a draft, as new messages (the draft vanishes); after an edited preview,
        that message becomes its first part and the rest follow."""
        await self.__aexit__()
        chunks = split_html(html)
        if self._message is not None:
            try:
                await self._show(chunks[0])
                chunks.pop(0)
            except TelegramError as exc:  # the preview stays as it was; the reply arrives whole below it
                log.info("preview not updated (%s); sending the reply anew", type(exc).__name__)
        for chunk in chunks:
            await self._bot.send_message(self._chat_id, chunk, parse_mode=ParseMode.HTML)
