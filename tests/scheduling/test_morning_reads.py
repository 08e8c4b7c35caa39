"""A morning's briefing read the fast way (one baselines row and the night itself, `Store.mornings`: no
baseline computed) is exactly the briefing read the straightforward way (every night of the last two
months, the full analysis, what /today does), for every persona, in English and Chinese, after syncs that
add, revise and backfill nights; a row made for another night is not used. And the deterministic briefing, which the
scheduler no longer checks again, passes the guard for every one of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from bot.morning import briefing_message, mornings_of
from bot.presenting import briefing_html
from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import analyze, judge
from sleepcot.analysis.latest import analyze_latest
from sleepcot.coach import guard, prompts
from sleepcot.coach.briefing import write_briefing
from sleepcot.domain import Language, Night, PastNight, Tag, TagKind
from sleepcot.store import Store
from sleepcot.store.outbox import BRIEFING, Job

TODAY = date(2026, 11, 30)


def synced_user(store: Store, persona: Persona, seed: int, language: Language) -> int:
    """A user whose nights came in as syncs leave them: three months at first, then a night a morning, one
    of them revised by the vendor later, and an older night backfilled."""
    profile = persona_profile(persona).model_copy(update={"language": language})
    user_id = store.create_user(profile, telegram_id=1000 + seed)
    user = store.for_user(user_id)
    nights = SimulatorAdapter(persona, seed, TODAY, tz=profile.timezone).fetch_nights(TODAY - timedelta(days=90), TODAY)
    missing = nights[-40]  # a night a later sync backfills
    user.upsert_nights([n for n in nights[:-3] if n is not missing])
    for night in nights[-3:]:
        user.upsert_nights([night])
    revised = nights[-5]
    user.upsert_nights([revised.model_copy(update={"total_sleep_s": revised.total_sleep_s - 1800,
                                                   "time_in_bed_s": revised.time_in_bed_s})])
    user.upsert_nights([missing])
    user.add_tag(Tag(local_date=nights[-1].local_date, kind=TagKind.ALCOHOL))
    return user_id


def without_hypnogram(night: Night) -> Night:
    """The night as the scheduler reads it (its hypnogram is for charts, not for the briefing)."""
    return night.model_copy(update={"segments": None})


@pytest.mark.parametrize("persona", list(Persona))
def test_the_fast_morning_read_writes_what_reading_every_night_writes(store: Store, persona: Persona) -> None:
    for seed, language in ((1, Language.EN), (2, Language.ZH)):
        user_id = synced_user(store, persona, seed, language)
        user = store.for_user(user_id)
        straightforward = analyze_latest(user)
        day = straightforward.night.local_date
        morning = store.mornings({user_id: day})[user_id]
        assert morning.prior.fortnight and all(isinstance(n, PastNight) for n in morning.prior.fortnight)  # the row

        fast = judge(morning.night, morning.prior, morning.profile, morning.tags)
        assert fast == replace(straightforward, night=without_hypnogram(straightforward.night))
        job = Job(1, user_id, day, BRIEFING, datetime.now().astimezone(), 0, None, False, 0)
        written = briefing_message(job, morning, None, "no model in this test", 0)
        reply = write_briefing(straightforward, None, unavailable_reason="no model in this test")
        assert written.briefing == (reply.text, reply.as_dict())
        assert written.payload["html"] == briefing_html(user.profile(), day, reply.text, reply.as_dict())

        prompt = prompts.briefing(straightforward)
        verdict = guard.check(reply.text, prompt.facts, red_flag=prompt.red_flag, topic_words=prompt.topic_words)
        assert verdict.ok, (persona, language, verdict.problems)


def test_a_row_made_for_another_night_is_not_used(store: Store) -> None:
    user_id = synced_user(store, Persona.SHORT_SLEEPER, 3, Language.EN)
    user = store.for_user(user_id)
    latest = user.latest_night()
    earlier = latest.local_date - timedelta(days=2)  # a briefing still waiting for an older night
    morning = store.mornings({user_id: earlier})[user_id]
    assert all(isinstance(n, Night) for n in morning.prior.fortnight)  # made from the nights themselves
    before = user.nights(start=earlier - timedelta(days=60), end=earlier - timedelta(days=1))
    assert judge(morning.night, morning.prior, morning.profile, morning.tags) == analyze(
        morning.night, before, morning.profile, [])

    later = Night(**{**latest.model_dump(exclude={"local_date", "segments"}), "vendor_id": "next",
                     "start": latest.start + timedelta(days=1), "end": latest.end + timedelta(days=1)})
    user.upsert_nights([later])  # the next morning's night: the row moves on with it
    morning = store.mornings({user_id: later.local_date})[user_id]
    assert morning.night == without_hypnogram(user.latest_night()) and isinstance(morning.prior.fortnight[-1], PastNight)
    assert morning.prior.fortnight[-1] == PastNight.of(latest)
    straightforward = analyze_latest(user)
    assert judge(morning.night, morning.prior, morning.profile, morning.tags) == replace(
        straightforward, night=without_hypnogram(straightforward.night))


def test_two_mornings_of_one_user_in_one_batch_each_read_their_own_night(store: Store) -> None:
    user_id = synced_user(store, Persona.INSOMNIA, 4, Language.EN)
    latest = store.for_user(user_id).latest_night().local_date
    due = datetime.now().astimezone()
    waiting, today = (Job(n, user_id, day, BRIEFING, due, 0, None, False, 0)
                      for n, day in ((1, latest - timedelta(days=1)), (2, latest)))
    mornings = mornings_of(store, [waiting, today])
    assert mornings[1].night.local_date == waiting.local_date and mornings[2].night.local_date == latest
    assert all(n.local_date < waiting.local_date for n in mornings[1].prior.fortnight)
