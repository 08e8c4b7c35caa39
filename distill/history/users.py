"""The simulated users the history bank asks about: each a persona of the simulated wearable with a seed, a
fixed `today` and 60-150 days of history, stored in a fresh in-memory database exactly as a sync would store
them. Fixed, so every question of the bank has one true answer.

Beyond what the simulator logs, a few users logged more: late meals and late screens (Lena), workouts (Jun),
and Sarah wears a second device (a ring) that records about two nights in five as well: on those local dates
two sources hold a night, and the longer total sleep is the main night. Jun's profile is in Chinese; Priya
(shift work) and Jun take naps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.domain import Language, Night, NightKind, Profile, Tag, TagKind
from sleepcot.store import Store, UserStore

RING = "ring"  # the second device's source name


@dataclass(frozen=True)
class SimUser:
    key: str  # the bank's name for the user
    persona: Persona
    seed: int
    today: date
    days: int  # nights of history, today's included
    language: Language = Language.EN
    logged: tuple[tuple[TagKind, float], ...] = ()  # extra habits logged: (kind, share of dates)
    second_device: float = 0.0  # share of dates a ring records too

    @property
    def first(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    def profile(self) -> Profile:
        profile = persona_profile(self.persona)
        return profile.model_copy(update={"language": self.language}) if self.language is not profile.language \
            else profile

    def nights(self) -> list[Night]:
        nights = SimulatorAdapter(self.persona, self.seed, self.today).fetch_nights(self.first, self.today)
        return nights + (_ring_nights(self, nights) if self.second_device else [])

    def tags(self) -> list[Tag]:
        tags = SimulatorAdapter(self.persona, self.seed, self.today).fetch_tags(self.first, self.today)
        for kind, share in self.logged:
            rng = random.Random(f"{self.key}|{kind.value}")
            tags += [Tag(local_date=day, kind=kind) for day in _dates(self.first, self.today) if rng.random() < share]
        return tags


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _ring_nights(user: SimUser, nights: list[Night]) -> list[Night]:
    """What the ring recorded of some main nights: bed a few minutes later, total sleep 5-25 minutes longer or
    shorter (the difference in light sleep), its own HRV, and no sleep score or skin temperature."""
    rng = random.Random(f"{user.key}|{RING}")
    out = []
    for night in nights:
        if night.kind is not NightKind.MAIN or rng.random() >= user.second_device:
            continue
        later = timedelta(minutes=rng.randint(1, 6))
        in_bed = night.time_in_bed_s - int(later.total_seconds())
        change = rng.choice((-1, 1)) * rng.randint(5, 25) * 60
        total = max(0, min(in_bed - 60, night.total_sleep_s + change))
        data = night.model_dump(exclude={"segments", "efficiency_pct", "score", "skin_temp_dev_c", "local_date"})
        data.update(source=RING, vendor_id=f"ring-{night.local_date.isoformat()}", start=night.start + later,
                    time_in_bed_s=in_bed, total_sleep_s=total,
                    light_s=max(0, (night.light_s or 0) + total - night.total_sleep_s),
                    hrv_rmssd_ms=None if night.hrv_rmssd_ms is None else round(night.hrv_rmssd_ms * rng.uniform(0.9, 1.1)))
        out.append(Night(**data))
    return out


USERS: dict[str, SimUser] = {u.key: u for u in (
    SimUser("lena", Persona.HEALTHY, 3, date(2026, 11, 20), 120,
            logged=((TagKind.LATE_MEAL, 0.3), (TagKind.SCREEN, 0.25))),
    SimUser("marcus", Persona.SHORT_SLEEPER, 5, date(2026, 10, 7), 90),
    SimUser("david", Persona.EVENING_ALCOHOL, 7, date(2026, 12, 2), 150),
    SimUser("priya", Persona.SHIFT_WORKER, 2, date(2026, 11, 20), 100),
    SimUser("jun", Persona.OLDER_ADULT, 4, date(2026, 9, 14), 120, Language.ZH, logged=((TagKind.WORKOUT, 0.55),)),
    SimUser("sarah", Persona.INSOMNIA, 6, date(2026, 11, 20), 110, second_device=0.4),
    SimUser("tom", Persona.APNEA, 8, date(2026, 11, 16), 60),
)}


class World:
    """The simulated users in one fresh in-memory database: `source(key)` is a user's `UserStore`."""

    def __init__(self, users: dict[str, SimUser] | None = None) -> None:
        self.users = dict(users or USERS)
        self.store = Store("sqlite://")
        self.store.migrate()
        self.ids: dict[str, int] = {}
        self._records: dict[str, tuple[list[Night], list[Tag], Profile]] = {}
        for key, user in self.users.items():
            user_id = self.store.create_user(user.profile())
            source = self.store.for_user(user_id)
            source.upsert_nights(user.nights())
            for tag in user.tags():
                source.add_tag(tag)
            self.ids[key] = user_id

    def source(self, key: str) -> UserStore:
        return self.store.for_user(self.ids[key])

    def today(self, key: str) -> date:
        return self.users[key].today

    def records(self, key: str) -> tuple[list[Night], list[Tag], Profile]:
        """All of a user's nights (main sleeps and naps, every source), tags and profile, read back from the store
        once."""
        if key not in self._records:
            source = self.source(key)
            self._records[key] = (source.nights(None, None, kind=None), source.tags(), source.profile())
        return self._records[key]

    def close(self) -> None:
        self.store.close()
