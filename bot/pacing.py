"""This process's side of Telegram's send budget, which every process shares through the database
(`sleepcot.store.outbox.Pacer`): each send waits for a slot of its own and goes within `tolerance` after it.

The tolerance is half the headroom between the budget's rate and Telegram's limit (at the free 29.5 a second
against 30: 8.5 ms; paid, 900 against 1,000: 56 ms), so however late sends go within it, no second holds
more than Telegram allows and it never has to say 429. A send that wakes later than that (its event loop was
busy) takes another slot rather than go beside the next slot's message, a few times at most, then goes.

At high rates the slots are taken a block at a time, one UPDATE for as many as there are sends waiting for
one (up to a twentieth of a second's worth): one UPDATE a message would be a thousand a second on one row,
and a block larger than the sends waiting would hold slots that other processes could use. A slot whose
time passes unused is dropped, so the budget is never overspent."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from sleepcot.store.outbox import Pacer

LATE_SLOTS = 4  # slots a send takes at most when it keeps waking too late for them (then it goes anyway)
BLOCK_S = 0.05  # how much of the budget is taken at once (at least one slot)


class Pacing:
    """Slots for this process's sends, from `pacer`, under Telegram's limit `limit_per_s`."""

    def __init__(self, pacer: Pacer, limit_per_s: float) -> None:
        self.pacer = pacer
        self.tolerance = max(pacer.interval / 4, (limit_per_s / pacer.rate - 1) / 2)
        self.block = max(1, int(pacer.rate * BLOCK_S))
        self._slots: deque[float] = deque()
        self._taking = asyncio.Lock()
        self._waiting = 0  # sends waiting for a slot now

    async def wait_for_slot(self) -> None:
        """Wait for the next slot of this process's and go within the tolerance after it."""
        for _ in range(LATE_SLOTS):
            slot = await self._next()
            await asyncio.sleep(max(0.0, slot - time.time()))
            if time.time() - slot <= self.tolerance:
                return

    async def hold(self, seconds: float) -> None:
        """Telegram said 429: every process waits `seconds`, and the slots taken here are given up."""
        self._slots.clear()
        await asyncio.to_thread(self.pacer.hold, seconds)

    async def _next(self) -> float:
        self._waiting += 1
        try:
            async with self._taking:
                too_late = time.time() - self.tolerance
                while self._slots and self._slots[0] < too_late:
                    self._slots.popleft()
                if not self._slots:
                    self._slots.extend(await asyncio.to_thread(self.pacer.slots, min(self.block, self._waiting)))
                return self._slots.popleft()
        finally:
            self._waiting -= 1
