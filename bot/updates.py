"""How updates are processed: concurrently across users, one at a time and in order for each user, and
bounded per user.

python-telegram-bot runs at most `max_concurrent_updates` updates at once. A user's updates wait for their
turn *before* taking one of those slots, so one user's queue can never hold the slots everyone else needs.
A user may have at most `max_queued` updates waiting; beyond that their updates are dropped and they are told
once to slow down (`on_flood`), until their queue has drained.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Updates run concurrently, except that one user's updates run one at a time, in order (a second
    message never races the first one's onboarding answer or /delete), and a flood is cut short."""

    def __init__(self, max_concurrent_updates: int, max_queued: int,
                 on_flood: Callable[[Update], Awaitable[None]] | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.max_queued, self.on_flood = max_queued, on_flood
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[int, int] = defaultdict(int)
        self._told: set[int] = set()

    async def process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        sender = update.effective_user if isinstance(update, Update) else None
        if sender is None:
            await super().process_update(update, coroutine)
            return
        key = sender.id
        if self._waiting[key] >= self.max_queued:
            coroutine.close()  # never started: dropped
            if key not in self._told and self.on_flood is not None:
                self._told.add(key)
                await super().process_update(update, self.on_flood(update))
            return
        self._waiting[key] += 1
        try:
            async with self._locks[key]:  # the user's turn first, then a slot
                await super().process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle users
                del self._waiting[key], self._locks[key]
                self._told.discard(key)

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
