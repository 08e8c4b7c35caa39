"""Before consent: `/start` from someone who is not a user yet, the questions before the consent step (the
language), and consent itself. Nothing about them is stored until they agree: what they chose so far lives in
this process's memory (PTB's `user_data`), so a restart before consent starts again at /start. An invite is
checked at /start, reading only, and spent at consent (two people racing for one code: one wins); a made-up
code gets one polite refusal, then silence."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Update

from bot import onboarding
from bot.handlers.base import Context, Handlers
from bot.texts import say
from sleepcot.domain import Profile
from sleepcot.store import Pending

log = logging.getLogger(__name__)
JOINING = "joining"  # the user_data key of a Joining


@dataclass
class Joining:
    """Someone between /start and consent: the profile they chose so far, the step they are asked, and the
    invite they came with (None: admitted by the operator's settings)."""

    profile: Profile
    step: str
    invite: str | None


def joining(context: Context) -> Joining | None:
    return context.user_data.get(JOINING) if context.user_data is not None else None


class JoiningHandlers(Handlers):
    """The way in, before anything is stored."""

    async def _join(self, update: Update, context: Context) -> None:
        """/start from someone who is no user: ask the first question if they are admitted or hold a valid
        invite; otherwise refuse once."""
        telegram_id = update.effective_user.id
        admitted = self._admitted(telegram_id)
        code = context.args[0][:64] if context.args else None
        if not admitted and (code is None or not await asyncio.to_thread(self.store.invite_valid, code)):
            await self._refuse(update, context, "invite_invalid" if code else "refused")
            return
        profile = Profile(language=self._guess_language(update))
        context.user_data[JOINING] = Joining(profile, onboarding.first_step().step, None if admitted else code)
        await self._send(update, context, onboarding.question(onboarding.first_step().step, profile))

    async def _joining_answer(self, update: Update, context: Context, step: str, choice: str) -> bool:
        """A button pressed before consent; whether it was accepted. Only the question they are asked counts
        (an old or forged button does nothing); consent creates the user, or forgets them."""
        pending = joining(context)
        if pending is None or pending.step != step:
            return False
        if step != onboarding.CONSENT:
            outcome = onboarding.answer_choice(step, choice, pending.profile)
            if outcome.profile is None:
                return False
            pending.profile, pending.step = outcome.profile, onboarding.next_step(Pending(step)).step
            await self._send(update, context, onboarding.question(pending.step, pending.profile))
            return True
        del context.user_data[JOINING]
        if choice != "yes":
            await self._send(update, context, say(pending.profile.language, "declined"))
            return True
        named = pending.profile.model_copy(update={"name": (update.effective_user.first_name or "")[:60] or None})
        telegram_id = update.effective_user.id
        if pending.invite is None:
            user_id = await asyncio.to_thread(self.store.create_user, named, telegram_id, consented=True)
        else:
            user_id = await asyncio.to_thread(self.store.redeem_invite, pending.invite, named, telegram_id)
            if user_id is None:  # spent or expired since /start
                await self._send(update, context, say(named.language, "invite_invalid"))
                return True
            log.info("an invite was redeemed")
        await self._advance(update, context, self.store.for_user(user_id), Pending(onboarding.CONSENT), named, [])
        return True
