"""Delivering a coach reply while it is being written: the typing action until text exists, then one
message edited as the text grows — no more often than every `interval_s` seconds, which keeps the bot
under Telegram's flood limits — and finally the full reply, split under 4,096 characters.

Generation runs in a worker thread and calls `progress(text)` from there; everything that touches
Telegram runs on the event loop. An interval of 0 turns the edits off (typing, then the final reply).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from telegram import Bot, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest

from bot.render import split_html

TYPING_EVERY_S = 4.5  # Telegram shows a chat action for about 5 seconds
WRITING = " …"


class StreamedReply:
    def __init__(self, bot: Bot, chat_id: int, *, interval_s: float, render: Callable[[str], str]) -> None:
        self._bot, self._chat_id, self._interval, self._render = bot, chat_id, interval_s, render
        self._loop = asyncio.get_running_loop()
        self._latest: str | None = None
        self._shown: str | None = None
        self._message: Message | None = None
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
        while self._message is None:
            await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)
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
            await self._show(chunks[0])
            with contextlib.suppress(TimeoutError):  # the pause between edits, cut short by closing
                await asyncio.wait_for(self._closing.wait(), self._interval)

    async def _show(self, html: str) -> None:
        if html == self._shown:
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
        """Show the final reply: the streamed message becomes its first part, the rest follow."""
        await self.__aexit__()
        chunks = split_html(html)
        if self._message is not None:
            await self._show(chunks.pop(0))
        for chunk in chunks:
            await self._bot.send_message(self._chat_id, chunk, parse_mode=ParseMode.HTML)
