"""Onboarding (/start, consent, each step's answer by button, text or location) and /settings."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot import onboarding
from bot.handlers.base import Context, Handlers, Sender, for_sender
from bot.onboarding import Message
from bot.texts import say
from sleepcot.domain import Profile
from sleepcot.store import Pending, UserStore

log = logging.getLogger(__name__)


class SetupHandlers(Handlers):
    """Onboarding and settings."""

    async def start(self, update: Update, context: Context) -> None:
        user = await asyncio.to_thread(self._user, update)
        sender = update.effective_user
        if user is None:
            guess = self._guess_language(update)
            profile = Profile(language=guess)
            if self._admitted(sender.id):
                user_id = await asyncio.to_thread(self.store.create_user, profile, sender.id)
            elif context.args:
                user_id = await asyncio.to_thread(self.store.redeem_invite, context.args[0][:64], profile, sender.id)
                if user_id is None:
                    await self._send(update, context, say(guess, "invite_invalid"))
                    return
                log.info("an invite was redeemed")
            else:
                await self._refuse(update, context)
                return
            user = self.store.for_user(user_id)
            await asyncio.to_thread(user.set_pending, onboarding.first_step())
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
        if (pressed := await self._pressed(update)) is None:
            return
        sender, value = pressed
        user, profile, pending = sender.user, sender.profile, sender.pending
        step, _, choice = value.partition(":")
        if pending is not None and pending.step == step:  # else a stale button from an earlier question
            if step == onboarding.CONSENT:
                await self._consent(update, context, user, choice == "yes")
            else:
                outcome = onboarding.answer_choice(step, choice, profile)
                if outcome.profile is not None:
                    await self._advance(update, context, user, pending, outcome.profile, outcome.replies)
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
