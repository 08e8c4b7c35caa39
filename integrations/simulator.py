"""The simulated wearable: seeded, physiologically plausible nights for the demo and for distillation.

Seven personas, each a plausible user (`persona_profile`) whose nights show one characteristic problem:
a healthy sleeper, a chronic short sleeper, insomnia, possible sleep apnea, a rotating shift worker, evening
alcohol with late caffeine, and an older adult. Every sleep period is a pure function of (persona, seed,
local date, today): its random generator is seeded from a SHA-256 of (persona, seed, date), never from a
running generator, so a night comes back identically whatever range is fetched. Different seeds are
different people: each seed also draws the person's own baseline around the persona's norms.

The night whose local date is `today` is the persona's "story night", the one that makes the demo
interesting: it shows the persona's problem clearly (for the healthy persona: a late coffee, logged as a
tag, and a night with about a third less deep sleep than usual). The shift worker's rota is laid out
backwards from `today`, so the story night is always the first night back after a block of night shifts.

Each night carries a hypnogram in 30 s epochs (sleep-onset latency, ~90 min cycles with deep sleep
front-loaded and REM back-loaded, wake bouts) whose per-stage totals are exactly the summary's figures.
Times are in the user's local UTC offset at each instant (fixed offsets, so that subtracting two of them
gives elapsed time across a DST change).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo

from integrations.base import Adapter, Parsed
from sleepcot.domain import AgeBand, Habits, Night, NightKind, Profile, Sex, Stage, Tag, TagKind

EPOCH_S = 30
CYCLE_MIN = 90


class Persona(str, Enum):
    HEALTHY = "healthy"
    SHORT_SLEEPER = "short_sleeper"
    INSOMNIA = "insomnia"
    APNEA = "apnea"  # possible obstructive sleep apnea
    SHIFT_WORKER = "shift_worker"
    EVENING_ALCOHOL = "evening_alcohol"  # evening alcohol and late caffeine
    OLDER_ADULT = "older_adult"


_PROFILES: dict[Persona, Profile] = {
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
    return _PROFILES[Persona(persona)].model_copy(deep=True)


@dataclass(frozen=True)
class _Norms:
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


_NORMS: dict[Persona, _Norms] = {
    Persona.HEALTHY: _Norms(-60, 20, 7.6, 0.35, 10, 14, 5, 4, 18, 22, 52, 55, 14.5, 96.8, 92.5),
    Persona.SHORT_SLEEPER: _Norms(45, 20, 5.4, 0.3, 5, 9, 3, 2, 20, 19, 56, 46, 14.8, 96.5, 92.0, 45, 0.8),
    Persona.INSOMNIA: _Norms(-75, 25, 5.9, 0.4, 50, 62, 10, 12, 14, 20, 60, 34, 15.0, 96.0, 91.5),
    Persona.APNEA: _Norms(-30, 25, 6.5, 0.4, 8, 42, 30, 5, 8, 16, 62, 27, 18.8, 93.0, 84.0),
    Persona.SHIFT_WORKER: _Norms(-45, 20, 7.2, 0.35, 12, 18, 6, 5, 17, 21, 55, 48, 14.5, 96.5, 92.0),
    Persona.EVENING_ALCOHOL: _Norms(-30, 25, 7.1, 0.4, 10, 18, 6, 4, 17, 22, 55, 50, 14.6, 96.3, 92.0),
    Persona.OLDER_ADULT: _Norms(-120, 15, 6.4, 0.35, 18, 42, 12, 12, 8, 18, 57, 24, 15.5, 95.2, 90.5, 0, 0),
}


@dataclass(frozen=True)
class _Plan:
    """What one sleep period should look like; `_build_night` turns it into a Night with its hypnogram."""

    kind: NightKind
    bedtime_min: float  # as in _Norms
    sleep_min: float
    latency_min: float
    waso_min: float
    bouts: int
    final_wake_min: float
    deep_pct: float
    rem_pct: float
    hr_lowest: float
    hr_gap: float  # average minus lowest heart rate
    hrv: float
    resp: float
    spo2_avg: float
    spo2_min: float
    skin_temp: float
    rem_early_factor: float = 1.0  # REM in the first half of the night is scaled by this (alcohol suppresses it)
    late_wake_bias: float = 1.0  # >1 puts the wake bouts later in the night (alcohol's rebound)


def _rng(*parts: object) -> random.Random:
    """A generator seeded by a stable hash (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _person(norms: _Norms, persona: Persona, seed: int) -> _Norms:
    """The seed's own person: a baseline drawn around the persona's norms."""
    rng = _rng(persona.value, seed, "person")
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


def _typical(p: _Norms, rng: random.Random, day: date) -> _Plan:
    """An ordinary night of this person, with realistic night-to-night variation."""
    weekend = day.weekday() >= 5
    return _Plan(
        kind=NightKind.MAIN,
        bedtime_min=p.bedtime_min + rng.gauss(0, p.bedtime_sd) + (p.weekend_bed_min if weekend else 0),
        sleep_min=60 * (rng.gauss(p.sleep_h, p.sleep_sd_h) + (p.weekend_sleep_h if weekend else 0)),
        latency_min=p.latency_min * rng.lognormvariate(0, 0.3),
        waso_min=p.waso_min * rng.lognormvariate(0, 0.25),
        bouts=max(1, round(rng.gauss(p.bouts, math.sqrt(p.bouts)))),
        final_wake_min=p.final_wake_min * rng.lognormvariate(0, 0.4),
        deep_pct=p.deep_pct * rng.gauss(1, 0.09),
        rem_pct=p.rem_pct * rng.gauss(1, 0.07),
        hr_lowest=p.hr_lowest + rng.gauss(0, 1.5),
        hr_gap=rng.uniform(5, 9),
        hrv=p.hrv * rng.lognormvariate(0, 0.09),
        resp=p.resp + rng.gauss(0, 0.3),
        spo2_avg=p.spo2_avg + rng.gauss(0, 0.4),
        spo2_min=p.spo2_min + rng.gauss(0, 1.0),
        skin_temp=rng.gauss(0, 0.12),
    )


def _nap(p: _Norms, rng: random.Random, start_min: float, sleep_min: float) -> _Plan:
    """A short daytime sleep: one partial cycle, REM only if it runs past an hour."""
    return _Plan(
        kind=NightKind.NAP,
        bedtime_min=start_min,
        sleep_min=sleep_min,
        latency_min=rng.uniform(3, 9),
        waso_min=rng.uniform(0.5, 3),
        bouts=1,
        final_wake_min=rng.uniform(1, 3),
        deep_pct=p.deep_pct * rng.uniform(0.6, 1.0),
        rem_pct=p.rem_pct * 0.6 if sleep_min > 60 else 0.0,
        hr_lowest=p.hr_lowest + rng.uniform(5, 8),
        hr_gap=rng.uniform(5, 9),
        hrv=p.hrv * rng.uniform(0.8, 0.95),
        resp=p.resp + rng.gauss(0.3, 0.3),
        spo2_avg=p.spo2_avg + rng.gauss(0, 0.4),
        spo2_min=p.spo2_min + rng.gauss(1, 1.0),
        skin_temp=rng.gauss(0.1, 0.12),
    )


def _with_alcohol(plan: _Plan, strength: float) -> _Plan:
    """Evening drinks: REM suppressed (most in the first half), HRV down 15-30%, heart rate up 3-8 bpm,
    warmer skin, faster sleep onset but more waking in the second half."""
    return replace(
        plan,
        rem_pct=plan.rem_pct * (1 - 0.3 * strength),
        rem_early_factor=0.3,
        late_wake_bias=2.0,
        bouts=plan.bouts + round(3 * strength),
        waso_min=plan.waso_min + 12 * strength,
        latency_min=plan.latency_min * 0.8,
        hrv=plan.hrv * (1 - 0.22 * strength),
        hr_lowest=plan.hr_lowest + 5 * strength,
        resp=plan.resp + 0.4 * strength,
        skin_temp=plan.skin_temp + 0.25 * strength,
    )


def _with_caffeine(plan: _Plan, strength: float) -> _Plan:
    """Caffeine late in the day: longer sleep onset, less deep sleep, somewhat lower HRV."""
    return replace(
        plan,
        latency_min=plan.latency_min + 25 * strength,
        deep_pct=plan.deep_pct * (1 - 0.35 * strength),
        sleep_min=plan.sleep_min - 10 * strength,
        hrv=plan.hrv * (1 - 0.14 * strength),
        hr_lowest=plan.hr_lowest + 1.5 * strength,
    )


_Day = tuple[list[_Plan], list[TagKind]]


def _healthy(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    if days_back == 0:  # everything usual but a late coffee: deep sleep ~35% down, slow onset, HRV a little lower
        usual = replace(_typical(p, rng, day), sleep_min=60 * p.sleep_h, deep_pct=p.deep_pct, hrv=p.hrv,
                        latency_min=p.latency_min)
        return [_with_caffeine(usual, 1.0)], [TagKind.LATE_CAFFEINE]
    plan = _typical(p, rng, day)
    if rng.random() < 0.45:
        return [replace(plan, deep_pct=plan.deep_pct * 1.08)], [TagKind.WORKOUT]
    return [plan], []


def _short_sleeper(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # the end of a run of short nights: later still, an hour short of even his usual
        return [replace(plan, bedtime_min=p.bedtime_min + 50, sleep_min=60 * min(4.7, p.sleep_h - 1.0),
                        hrv=p.hrv * 0.85, hr_lowest=p.hr_lowest + 3)], [TagKind.SCREEN]
    if rng.random() < 0.4:
        return [replace(plan, bedtime_min=plan.bedtime_min + 25, sleep_min=plan.sleep_min - 20)], [TagKind.SCREEN]
    return [plan], []


def _insomnia(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    """The night is set by how long she lies awake: efficiency 66-80%, 35-50% of the wake spent falling asleep."""
    plan = _typical(p, rng, day)
    efficiency, latency_share, tags = _clamp(rng.gauss(73, 3.5), 66, 80), rng.uniform(0.35, 0.5), []
    if days_back == 0:  # a stressful day and the worst night in weeks
        tags.append(TagKind.STRESS)
        efficiency, latency_share = rng.uniform(61.5, 63), 0.44
        plan = replace(plan, sleep_min=60 * rng.uniform(5.3, 5.6), bouts=14, hrv=p.hrv * 0.85,
                       hr_lowest=p.hr_lowest + 3)
    elif rng.random() < 0.35:
        tags.append(TagKind.STRESS)
        efficiency = max(66.0, efficiency - 3)
        plan = replace(plan, hrv=plan.hrv * 0.9)
    awake = plan.sleep_min * (100 / efficiency - 1)
    latency = _clamp(awake * latency_share, 30, 90)
    return [replace(plan, latency_min=latency, waso_min=awake - latency - plan.final_wake_min)], tags


def _apnea(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # a bad night of breathing events: deep desaturations, dozens of awakenings
        return [replace(plan, spo2_min=rng.uniform(80, 81.5), spo2_avg=rng.uniform(92.0, 92.4), bouts=50,
                        waso_min=70, resp=20.6, deep_pct=5.5, rem_pct=13, hrv=p.hrv * 0.8,
                        hr_lowest=p.hr_lowest + 4, hr_gap=11)], []
    return [replace(plan, spo2_min=_clamp(plan.spo2_min, 81.5, 87), spo2_avg=_clamp(plan.spo2_avg, 92, 94),
                    resp=_clamp(plan.resp, 17, 21), hr_gap=plan.hr_gap + 2)], []


# The shift worker's rota, laid out backwards from today: k = days before today, modulo _ROTA. k 0 is the
# first night back on days (the story night), 1-4 day sleeps after night shifts, 5 a normal night and a nap
# before the first night shift, 6-9 early shifts (alarm before 05:00), 10-13 days off.
_ROTA = 14
_NIGHT_SHIFTS = range(1, 5)


def _shift_worker(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    k = days_back % _ROTA
    plan = _typical(p, rng, day)
    if k in _NIGHT_SHIFTS:  # home at 07:30, asleep in daylight: short, broken; shortest after the last shift
        day_sleep = replace(plan, bedtime_min=8 * 60 + rng.gauss(15, 15), sleep_min=60 * rng.gauss(5.3, 0.3),
                            latency_min=plan.latency_min * 0.8, bouts=plan.bouts + 3, waso_min=plan.waso_min + 12,
                            rem_pct=plan.rem_pct * 0.9, hrv=plan.hrv * 0.85, hr_lowest=plan.hr_lowest + 3)
        if k == 1:
            day_sleep = replace(day_sleep, sleep_min=60 * rng.uniform(3.6, 4.2))
        return [day_sleep], [TagKind.NIGHT_SHIFT]
    if k == 0:  # back on a night-time schedule against the body clock: slow onset, broken, short
        return [replace(plan, bedtime_min=-30 + rng.gauss(0, 10), latency_min=rng.uniform(40, 55),
                        waso_min=rng.uniform(50, 60), bouts=12, sleep_min=60 * rng.uniform(5.0, 5.4),
                        deep_pct=plan.deep_pct * 0.85, hrv=plan.hrv * 0.85, hr_lowest=plan.hr_lowest + 3)], []
    if k == 5:  # a normal night, then a nap before the first night shift
        return [plan, _nap(p, rng, 15 * 60 + rng.gauss(0, 15), rng.uniform(70, 95))], []
    if k <= 9:  # early shifts
        return [replace(plan, bedtime_min=-140 + rng.gauss(0, 15), sleep_min=60 * rng.gauss(6.1, 0.25))], []
    return [replace(plan, bedtime_min=rng.gauss(0, 25), sleep_min=60 * rng.gauss(7.9, 0.35))], []


def _evening_alcohol(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # several drinks and a late coffee on top of an otherwise usual night
        usual = replace(plan, rem_pct=p.rem_pct, deep_pct=p.deep_pct, hrv=p.hrv, hr_lowest=p.hr_lowest)
        return [_with_caffeine(_with_alcohol(usual, 1.4), 0.6)], [TagKind.ALCOHOL, TagKind.LATE_CAFFEINE]
    tags = []
    if rng.random() < (0.65 if day.weekday() >= 5 else 0.35):
        tags.append(TagKind.ALCOHOL)
        plan = _with_alcohol(plan, rng.uniform(0.7, 1.3))
    if rng.random() < 0.3:
        tags.append(TagKind.LATE_CAFFEINE)
        plan = _with_caffeine(plan, rng.uniform(0.4, 0.7))
    return [plan], tags


def _older_adult(p: _Norms, rng: random.Random, day: date, days_back: int) -> _Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # awake from about 4 am and unable to get back to sleep
        return [replace(plan, final_wake_min=rng.uniform(70, 85), sleep_min=60 * rng.uniform(5.3, 5.6),
                        deep_pct=5.3, hrv=p.hrv * 0.9)], []
    plan = replace(plan, deep_pct=_clamp(plan.deep_pct, 5, 12))
    if rng.random() < 0.4:
        return [plan, _nap(p, rng, 13 * 60 + 30 + rng.gauss(0, 20), rng.uniform(20, 45))], []
    return [plan], []


# each persona's day: (person, generator, local date, days before today) -> the sleep periods and the tags
_PERSONA_DAYS: dict[Persona, Callable[[_Norms, random.Random, date, int], _Day]] = {
    Persona.HEALTHY: _healthy,
    Persona.SHORT_SLEEPER: _short_sleeper,
    Persona.INSOMNIA: _insomnia,
    Persona.APNEA: _apnea,
    Persona.SHIFT_WORKER: _shift_worker,
    Persona.EVENING_ALCOHOL: _evening_alcohol,
    Persona.OLDER_ADULT: _older_adult,
}


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` that sum to `total` (largest remainder)."""
    scale = sum(weights)
    if total <= 0 or scale <= 0:
        return [0] * len(weights)
    exact = [total * w / scale for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _sleep_stages(plan: _Plan, sleep_e: int) -> list[list]:
    """Sleep cycles as [stage, epochs] runs: light, deep, light, REM; deep front-loaded, REM back-loaded."""
    deep_e = round(sleep_e * plan.deep_pct / 100)
    rem_e = round(sleep_e * plan.rem_pct / 100)
    cycles = max(1, round(sleep_e * EPOCH_S / 60 / CYCLE_MIN))
    deep = _apportion(deep_e, [0.45**i for i in range(cycles)])
    rem = _apportion(rem_e, [(i + 0.5) * (plan.rem_early_factor if i < cycles / 2 else 1) for i in range(cycles)])
    length = sleep_e / cycles
    light = _apportion(sleep_e - deep_e - rem_e, [max(0.25 * length, length - d - r) for d, r in zip(deep, rem)])
    runs: list[list] = []
    for d, r, li in zip(deep, rem, light):
        drowsy = li * 3 // 5  # most of a cycle's light sleep comes before its deep sleep
        for stage, epochs in ((Stage.LIGHT, drowsy), (Stage.DEEP, d), (Stage.LIGHT, li - drowsy), (Stage.REM, r)):
            if not epochs:
                continue
            if runs and runs[-1][0] is stage:
                runs[-1][1] += epochs
            else:
                runs.append([stage, epochs])
    return runs


def _hypnogram(plan: _Plan, rng: random.Random) -> list[tuple[Stage, int]]:
    """The whole period as (stage, epochs) runs: latency, sleep interrupted by wake bouts, a final wake."""
    sleep_e = max(1, round(plan.sleep_min * 60 / EPOCH_S))
    bouts = min(plan.bouts, sleep_e - 1)
    waso_e = max(bouts, round(plan.waso_min * 60 / EPOCH_S))
    sizes = [1 + extra for extra in _apportion(waso_e - bouts, [rng.expovariate(1) for _ in range(bouts)])]
    # where the bouts fall, in epochs of sleep; distinct, so sleep always separates two wake bouts
    positions: set[int] = set()
    while len(positions) < bouts:
        positions.add(1 + int((sleep_e - 1) * rng.random() ** (1 / plan.late_wake_bias)))
    breaks = sorted(positions)

    runs: list[tuple[Stage, int]] = [(Stage.AWAKE, max(1, round(plan.latency_min * 60 / EPOCH_S)))]
    slept = 0
    for stage, epochs in _sleep_stages(plan, sleep_e):
        end = slept + epochs
        while breaks and breaks[0] < end:
            cut = breaks.pop(0)
            if cut > slept:
                runs.append((stage, cut - slept))
            runs.append((Stage.AWAKE, sizes.pop()))
            slept = cut
        runs.append((stage, end - slept))
        slept = end
    runs.append((Stage.AWAKE, max(1, round(plan.final_wake_min * 60 / EPOCH_S))))
    return runs


def _local_clock(start_utc: datetime, seconds: int, zone: ZoneInfo) -> Callable[[int], datetime]:
    """Local time `s` seconds after `start_utc`, in the user's UTC offset at that instant, as a fixed offset
    (a ZoneInfo datetime would subtract by wall clock across a DST change)."""

    def exact(s: int) -> datetime:
        local = (start_utc + timedelta(seconds=s)).astimezone(zone)
        return local.replace(tzinfo=timezone(local.utcoffset()))

    first = exact(0)
    if first.utcoffset() != exact(seconds).utcoffset():  # the night spans a DST change
        return exact
    return lambda s: first + timedelta(seconds=s)  # the common case, much faster


def _score(total_s: int, efficiency: float, deep_pct: float, rem_pct: float, latency_s: int,
           awakenings: int, hrv_ratio: float) -> int:
    """A vendor-style 0-100 sleep score that tracks duration, continuity, stages and recovery."""
    penalty = (
        8 * max(0.0, 7.5 - total_s / 3600)
        + 0.8 * max(0.0, 90 - efficiency)
        + 1.0 * max(0.0, 15 - deep_pct)
        + 0.7 * max(0.0, 20 - rem_pct)
        + 0.2 * max(0.0, latency_s / 60 - 20)
        + 0.4 * max(0, awakenings - 8)
        + 30 * max(0.0, 1 - hrv_ratio)
    )
    return round(_clamp(95 - penalty, 0, 100))


def _build_night(plan: _Plan, day: date, zone: ZoneInfo, vendor_id: str, usual_hrv: float,
                 rng: random.Random) -> Night:
    runs = _hypnogram(plan, rng)
    wall = datetime.combine(day, time()) + timedelta(minutes=round(plan.bedtime_min))
    start_utc = wall.replace(tzinfo=zone).astimezone(UTC)
    elapsed = EPOCH_S * sum(epochs for _, epochs in runs)
    local = _local_clock(start_utc, elapsed, zone)
    totals = dict.fromkeys(Stage, 0)
    segments = []
    offset, start = 0, local(0)
    for stage, epochs in runs:
        offset += epochs * EPOCH_S
        end = local(offset)
        segments.append({"start": start, "end": end, "stage": stage})  # Night validates them in one go
        totals[stage] += epochs * EPOCH_S
        start = end

    latency_s = runs[0][1] * EPOCH_S
    total_s = totals[Stage.DEEP] + totals[Stage.LIGHT] + totals[Stage.REM]
    efficiency = round(100 * total_s / elapsed, 1)
    awakenings = sum(1 for stage, _ in runs[1:] if stage is Stage.AWAKE)
    hr_lowest = round(_clamp(plan.hr_lowest, 40, 80))
    hrv = round(_clamp(plan.hrv, 12, 120))
    spo2_avg = round(_clamp(plan.spo2_avg, 90, 99), 1)
    return Night(
        source=SimulatorAdapter.vendor,
        vendor_id=vendor_id,
        start=segments[0]["start"],
        end=segments[-1]["end"],
        local_date=day,
        kind=plan.kind,
        time_in_bed_s=elapsed,
        total_sleep_s=total_s,
        latency_s=latency_s,
        awake_s=totals[Stage.AWAKE] - latency_s,
        deep_s=totals[Stage.DEEP],
        light_s=totals[Stage.LIGHT],
        rem_s=totals[Stage.REM],
        awakenings=awakenings,
        efficiency_pct=efficiency,
        hr_avg_bpm=round(hr_lowest + plan.hr_gap, 1),
        hr_lowest_bpm=hr_lowest,
        hrv_rmssd_ms=hrv,
        resp_rate_bpm=round(_clamp(plan.resp, 10, 24), 1),
        spo2_avg_pct=spo2_avg,
        spo2_min_pct=round(_clamp(plan.spo2_min, 78, spo2_avg - 1.5), 1),
        skin_temp_dev_c=round(plan.skin_temp, 2),
        score=None if plan.kind is NightKind.NAP else _score(
            total_s, efficiency, 100 * totals[Stage.DEEP] / total_s, 100 * totals[Stage.REM] / total_s,
            latency_s, awakenings, hrv / usual_hrv),
        segments=segments,
    )


class SimulatorAdapter(Adapter):
    """A simulated wearable for one persona and seed; `today`'s night is the last and the story night."""

    vendor = "simulator"

    def __init__(self, persona: Persona, seed: int, today: date, tz: str | None = None) -> None:
        self.persona = Persona(persona)
        self.seed = seed
        self.today = today
        self.zone = ZoneInfo(tz or _PROFILES[self.persona].timezone)
        self._person = _person(_NORMS[self.persona], self.persona, seed)

    def fetch_nights(self, start: date, end: date) -> list[Night]:
        nights = []
        for day in self._days(start, end):
            rng = _rng(self.persona.value, self.seed, day.isoformat())
            plans, _ = self._plan_day(day, rng)
            for plan in plans:
                vendor_id = f"sim-{self.persona.value}-{self.seed}-{day.isoformat()}-{plan.kind.value}"
                nights.append(_build_night(plan, day, self.zone, vendor_id, self._person.hrv, rng))
        return nights

    async def fetch(self, start: date, end: date) -> Parsed:
        return Parsed(nights=self.fetch_nights(start, end), tags=self.fetch_tags(start, end))

    def fetch_tags(self, start: date, end: date) -> list[Tag]:
        tags = []
        for day in self._days(start, end):
            _, kinds = self._plan_day(day, _rng(self.persona.value, self.seed, day.isoformat()))
            tags.extend(Tag(local_date=day, kind=kind) for kind in kinds)
        return tags

    def _days(self, start: date, end: date) -> list[date]:
        last = min(end, self.today)
        return [start + timedelta(days=i) for i in range((last - start).days + 1)]

    def _plan_day(self, day: date, rng: random.Random) -> _Day:
        return _PERSONA_DAYS[self.persona](self._person, rng, day, (self.today - day).days)
