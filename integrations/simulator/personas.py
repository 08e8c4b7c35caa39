"""The seven personas: each a plausible user (`persona_profile`) and the usual night (`Norms`) each seed
draws its own person around."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from datetime import time
from enum import Enum

from sleepcot.domain import AgeBand, Habits, Profile, Sex


class Persona(str, Enum):
    HEALTHY = "healthy"
    SHORT_SLEEPER = "short_sleeper"
    INSOMNIA = "insomnia"
    APNEA = "apnea"  # possible obstructive sleep apnea
    SHIFT_WORKER = "shift_worker"
    EVENING_ALCOHOL = "evening_alcohol"  # evening alcohol and late caffeine
    OLDER_ADULT = "older_adult"

PROFILES: dict[Persona, Profile] = {
    Persona.HEALTHY: Profile(
        name="Lena", age_band=AgeBand.ADULT, sex=Sex.FEMALE, timezone="Europe/Berlin", briefing_time=time(7, 0),
        goals=["keep my energy up for morning runs", "understand what affects my deep sleep"],
        habits=Habits(caffeine_cups_per_day=2, caffeine_last_time=time(14, 0), alcohol_drinks_per_week=2,
                      exercise_days_per_week=4),
    ),
    Persona.SHORT_SLEEPER: Profile(
        name="Marcus", age_band=AgeBand.ADULT, sex=Sex.MALE, timezone="America/New_York", briefing_time=time(6, 45),
        goals=["feel less tired in the afternoon", "get 7 hours on work nights"],
        habits=Habits(caffeine_cups_per_day=4, caffeine_last_time=time(15, 30), alcohol_drinks_per_week=3,
                      exercise_days_per_week=1),
    ),
    Persona.INSOMNIA: Profile(
        name="Sarah", age_band=AgeBand.MIDDLE, sex=Sex.FEMALE, timezone="America/Los_Angeles",
        briefing_time=time(8, 0),
        goals=["fall asleep faster", "stop lying awake in the middle of the night"],
        habits=Habits(caffeine_cups_per_day=2, caffeine_last_time=time(12, 0), alcohol_drinks_per_week=1,
                      exercise_days_per_week=2),
        conditions=["trouble falling and staying asleep for over a year", "work-related stress"],
    ),
    Persona.APNEA: Profile(
        name="Tom", age_band=AgeBand.MIDDLE, sex=Sex.MALE, timezone="America/Chicago", briefing_time=time(7, 15),
        goals=["wake up feeling rested", "less sleepiness during the day"],
        habits=Habits(caffeine_cups_per_day=3, caffeine_last_time=time(16, 0), alcohol_drinks_per_week=6,
                      exercise_days_per_week=1),
        conditions=["loud snoring (reported by partner)", "high blood pressure", "overweight"],
    ),
    Persona.SHIFT_WORKER: Profile(
        name="Priya", age_band=AgeBand.ADULT, sex=Sex.FEMALE, timezone="Europe/London", briefing_time=time(8, 30),
        goals=["sleep longer between night shifts", "switch back to days faster"],
        habits=Habits(caffeine_cups_per_day=4, caffeine_last_time=time(2, 0), alcohol_drinks_per_week=2,
                      exercise_days_per_week=2),
        conditions=["rotating shifts as a hospital nurse (early, night and off blocks)"],
        shift_work=True,
    ),
    Persona.EVENING_ALCOHOL: Profile(
        name="David", age_band=AgeBand.ADULT, sex=Sex.MALE, timezone="Australia/Sydney", briefing_time=time(7, 0),
        goals=["wake up less groggy", "get my HRV back up"],
        habits=Habits(caffeine_cups_per_day=3, caffeine_last_time=time(17, 0), alcohol_drinks_per_week=12,
                      exercise_days_per_week=2),
    ),
    Persona.OLDER_ADULT: Profile(
        name="Jun", age_band=AgeBand.OLDER, sex=Sex.MALE, timezone="Asia/Shanghai", briefing_time=time(6, 30),
        goals=["sleep through to a normal wake time", "feel alert in the afternoon"],
        habits=Habits(caffeine_cups_per_day=2, caffeine_last_time=time(10, 0), alcohol_drinks_per_week=2,
                      exercise_days_per_week=5),
        conditions=["high blood pressure (treated)", "afternoon naps most days"],
    ),
}

def persona_profile(persona: Persona) -> Profile:
    """A plausible profile for the persona (a fresh copy: callers may edit it)."""
    return PROFILES[Persona(persona)].model_copy(deep=True)

@dataclass(frozen=True)
class Norms:
    """A persona's usual night (means), before each seed draws its own person around them."""

    bedtime_min: float  # local clock, minutes from the midnight the night ends after (negative: the evening before)
    bedtime_sd: float
    sleep_h: float
    sleep_sd_h: float
    latency_min: float
    waso_min: float  # awake between sleep onset and the last awakening
    bouts: float  # wake bouts between sleep onset and the last awakening
    final_wake_min: float  # awake in bed after the last awakening
    deep_pct: float
    rem_pct: float
    hr_lowest: float
    hrv: float
    resp: float
    spo2_avg: float
    spo2_min: float
    weekend_bed_min: float = 30  # nights ending on Saturday or Sunday start this much later...
    weekend_sleep_h: float = 0.3  # ...and last this much longer

NORMS: dict[Persona, Norms] = {
    Persona.HEALTHY: Norms(bedtime_min=-60, bedtime_sd=20, sleep_h=7.6, sleep_sd_h=0.35, latency_min=10,
                           waso_min=14, bouts=5, final_wake_min=4, deep_pct=18, rem_pct=22, hr_lowest=52, hrv=55,
                           resp=14.5, spo2_avg=96.8, spo2_min=92.5),
    Persona.SHORT_SLEEPER: Norms(bedtime_min=45, bedtime_sd=20, sleep_h=5.4, sleep_sd_h=0.3, latency_min=5,
                                 waso_min=9, bouts=3, final_wake_min=2, deep_pct=20, rem_pct=19, hr_lowest=56,
                                 hrv=46, resp=14.8, spo2_avg=96.5, spo2_min=92.0, weekend_bed_min=45,
                                 weekend_sleep_h=0.8),
    Persona.INSOMNIA: Norms(bedtime_min=-75, bedtime_sd=25, sleep_h=5.9, sleep_sd_h=0.4, latency_min=50,
                            waso_min=62, bouts=10, final_wake_min=12, deep_pct=14, rem_pct=20, hr_lowest=60,
                            hrv=34, resp=15.0, spo2_avg=96.0, spo2_min=91.5),
    Persona.APNEA: Norms(bedtime_min=-30, bedtime_sd=25, sleep_h=6.5, sleep_sd_h=0.4, latency_min=8, waso_min=42,
                         bouts=30, final_wake_min=5, deep_pct=8, rem_pct=16, hr_lowest=62, hrv=27, resp=18.8,
                         spo2_avg=93.0, spo2_min=84.0),
    Persona.SHIFT_WORKER: Norms(bedtime_min=-45, bedtime_sd=20, sleep_h=7.2, sleep_sd_h=0.35, latency_min=12,
                                waso_min=18, bouts=6, final_wake_min=5, deep_pct=17, rem_pct=21, hr_lowest=55,
                                hrv=48, resp=14.5, spo2_avg=96.5, spo2_min=92.0),
    Persona.EVENING_ALCOHOL: Norms(bedtime_min=-30, bedtime_sd=25, sleep_h=7.1, sleep_sd_h=0.4, latency_min=10,
                                   waso_min=18, bouts=6, final_wake_min=4, deep_pct=17, rem_pct=22, hr_lowest=55,
                                   hrv=50, resp=14.6, spo2_avg=96.3, spo2_min=92.0),
    Persona.OLDER_ADULT: Norms(bedtime_min=-120, bedtime_sd=15, sleep_h=6.4, sleep_sd_h=0.35, latency_min=18,
                               waso_min=42, bouts=12, final_wake_min=12, deep_pct=8, rem_pct=18, hr_lowest=57,
                               hrv=24, resp=15.5, spo2_avg=95.2, spo2_min=90.5, weekend_bed_min=0,
                               weekend_sleep_h=0),
}

def seeded_rng(*parts: object) -> random.Random:
    """A generator seeded by a stable hash (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def person(norms: Norms, persona: Persona, seed: int) -> Norms:
    """The seed's own person: a baseline drawn around the persona's norms."""
    rng = seeded_rng(persona.value, seed, "person")
    return replace(
        norms,
        bedtime_min=norms.bedtime_min + rng.gauss(0, 15),
        sleep_h=norms.sleep_h + rng.gauss(0, 0.15),
        deep_pct=norms.deep_pct * rng.gauss(1, 0.07),
        rem_pct=norms.rem_pct * rng.gauss(1, 0.05),
        hr_lowest=norms.hr_lowest + rng.gauss(0, 2),
        hrv=norms.hrv * rng.lognormvariate(0, 0.12),
        resp=norms.resp + rng.gauss(0, 0.4),
    )
