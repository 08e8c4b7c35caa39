"""The simulated wearable behind the `Adapter` interface: a persona and a seed, `today`'s night the story night."""

from __future__ import annotations

import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from integrations.base import Adapter, Parsed
from integrations.simulator.days import PERSONA_DAYS, Day
from integrations.simulator.nights import SOURCE, build_night
from integrations.simulator.personas import NORMS, PROFILES, Persona, person, seeded_rng
from sleepcot.domain import Night, Tag


class SimulatorAdapter(Adapter):
    """A simulated wearable for one persona and seed; `today`'s night is the last and the story night."""

    vendor = SOURCE

    def __init__(self, persona: Persona, seed: int, today: date, tz: str | None = None) -> None:
        self.persona = Persona(persona)
        self.seed = seed
        self.today = today
        self.zone = ZoneInfo(tz or PROFILES[self.persona].timezone)
        self._person = person(NORMS[self.persona], self.persona, seed)

    def fetch_nights(self, start: date, end: date) -> list[Night]:
        nights = []
        for day in self._days(start, end):
            rng = seeded_rng(self.persona.value, self.seed, day.isoformat())
            plans, _ = self._plan_day(day, rng)
            for plan in plans:
                vendor_id = f"sim-{self.persona.value}-{self.seed}-{day.isoformat()}-{plan.kind.value}"
                nights.append(build_night(plan, day, self.zone, vendor_id, self._person.hrv, rng))
        return nights

    async def fetch(self, start: date, end: date) -> Parsed:
        return Parsed(nights=self.fetch_nights(start, end), tags=self.fetch_tags(start, end))

    def fetch_tags(self, start: date, end: date) -> list[Tag]:
        tags = []
        for day in self._days(start, end):
            _, kinds = self._plan_day(day, seeded_rng(self.persona.value, self.seed, day.isoformat()))
            tags.extend(Tag(local_date=day, kind=kind) for kind in kinds)
        return tags

    def _days(self, start: date, end: date) -> list[date]:
        last = min(end, self.today)
        return [start + timedelta(days=i) for i in range((last - start).days + 1)]

    def _plan_day(self, day: date, rng: random.Random) -> Day:
        return PERSONA_DAYS[self.persona](self._person, rng, day, (self.today - day).days)
