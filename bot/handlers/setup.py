"""Onboarding after consent (/start, each step's answer by button, text or location) and /settings; what
comes before consent is in `joining`."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot import onboarding
from bot.handlers.base import Context, Sender, for_sender
from bot.handlers.joining import JoiningHandlers
from bot.onboarding import Message
from bot.texts import say
from sleepcot.domain import Profile
from sleepcot.store import Pending, UserStore

log = logging.getLogger(__name__)


class SetupHandlers(JoiningHandlers):
    """Onboarding and settings."""

    async def start(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        if user is None:
            await self._join(update, context)
            return
        pending = await asyncio.to_thread(user.pending)
        profile = await asyncio.to_thread(user.profile)
        if pending is None:
            await self._send(update, context, say(profile.language, "help"))
            return
        await self._send(update, context, onboarding.question(pending.step, profile))

    async def _advance(self, update: Update, context: Context, user: UserStore, pending: Pending, profile: Profile,
                       replies: list[Message]) -> None:
        """Save an accepted answer to `pending` and ask the next question (or finish)."""
        await asyncio.to_thread(user.save_profile, profile)
        following = onboarding.next_step(pending)
        await asyncio.to_thread(user.set_pending, following)
        for message in replies:
            await self._send(update, context, message)
        if following is not None:
            await self._send(update, context, onboarding.question(following.step, profile))
        elif pending.editing:
            await self._send(update, context, say(profile.language, "saved"))
            await self._send(update, context, onboarding.settings_page(profile))
        else:
            await self._send(update, context, say(profile.language, "onboarding_done", name=profile.name or "👋",
                                                   time=profile.briefing_time.strftime("%H:%M"), zone=profile.timezone))

    async def _consent(self, update: Update, context: Context, user: UserStore, agreed: bool) -> None:
        """Consent from a user stored before consent (by a version that stored people at /start)."""
        profile = await asyncio.to_thread(user.profile)
        if not agreed:
            await asyncio.to_thread(user.delete)
            await self._send(update, context, say(profile.language, "declined"))
            return
        await asyncio.to_thread(user.consent)
        named = profile.model_copy(update={"name": (update.effective_user.first_name or "")[:60] or None})
        await self._advance(update, context, user, Pending(onboarding.CONSENT), named, [])

    @for_sender(onboarded=True)
    async def settings_command(self, update: Update, context: Context, sender: Sender) -> None:
        await self._send(update, context, onboarding.settings_page(sender.profile))

    @for_sender()
    async def location(self, update: Update, context: Context, sender: Sender) -> None:
        user, profile, pending = sender.user, sender.profile, sender.pending
        if pending is None:
            return
        place = update.effective_message.location
        outcome = onboarding.answer_location(pending.step, place.latitude, place.longitude, profile)
        if outcome.profile is not None:
            await self._advance(update, context, user, pending, outcome.profile, outcome.replies)
        else:
            for message in outcome.replies:
                await self._send(update, context, message)

    async def onboarding_button(self, update: Update, context: Context) -> None:
        """An answer by button. Only one to the question asked counts, and takes that question's buttons
        off; an old or forged one does nothing."""
        query = update.callback_query
        await query.answer()
        step, _, choice = (query.data or "").partition(":")[2].partition(":")
        sender = await asyncio.to_thread(self._sender, update)
        if sender is None:
            accepted = await self._joining_answer(update, context, step, choice)
        elif sender.pending is None or sender.pending.step != step:
            accepted = False
        elif step == onboarding.CONSENT:
            await self._consent(update, context, sender.user, choice == "yes")
            accepted = True
        else:
            outcome = onboarding.answer_choice(step, choice, sender.profile)
            accepted = outcome.profile is not None
            if accepted:
                await self._advance(update, context, sender.user, sender.pending, outcome.profile, outcome.replies)
        if accepted:
            await self._answered(update)

    async def settings_button(self, update: Update, context: Context) -> None:
        if (pressed := await self._pressed(update)) is None:
            return
        sender, value = pressed
        user, profile = sender.user, sender.profile
        if value not in onboarding.EDITABLE:
            return
        await asyncio.to_thread(user.set_pending, Pending(value, editing=True))
        await self._send(update, context, onboarding.question(value, profile))
        await self._answered(update)
