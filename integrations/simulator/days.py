"""A persona's day: what each sleep period should look like (a `Plan`) — an ordinary night with realistic
variation, naps, alcohol's and caffeine's effects, and each persona's story night — seeded per date."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from integrations.simulator.personas import Norms, Persona
from sleepcot.domain import NightKind, TagKind


@dataclass(frozen=True)
class Plan:
    """What one sleep period should look like; `build_night` turns it into a Night with its hypnogram."""

    kind: NightKind
    bedtime_min: float  # as in Norms
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

def clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))

def _typical(p: Norms, rng: random.Random, day: date) -> Plan:
    """An ordinary night of this person, with realistic night-to-night variation."""
    weekend = day.weekday() >= 5
    return Plan(
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

def _nap(p: Norms, rng: random.Random, start_min: float, sleep_min: float) -> Plan:
    """A short daytime sleep: one partial cycle, REM only if it runs past an hour."""
    return Plan(
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

def _with_alcohol(plan: Plan, strength: float) -> Plan:
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

def _with_caffeine(plan: Plan, strength: float) -> Plan:
    """Caffeine late in the day: longer sleep onset, less deep sleep, somewhat lower HRV."""
    return replace(
        plan,
        latency_min=plan.latency_min + 25 * strength,
        deep_pct=plan.deep_pct * (1 - 0.35 * strength),
        sleep_min=plan.sleep_min - 10 * strength,
        hrv=plan.hrv * (1 - 0.14 * strength),
        hr_lowest=plan.hr_lowest + 1.5 * strength,
    )

Day = tuple[list[Plan], list[TagKind]]

def _healthy(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
    if days_back == 0:  # everything usual but a late coffee: deep sleep ~35% down, slow onset, HRV a little lower
        usual = replace(_typical(p, rng, day), sleep_min=60 * p.sleep_h, deep_pct=p.deep_pct, hrv=p.hrv,
                        latency_min=p.latency_min)
        return [_with_caffeine(usual, 1.0)], [TagKind.LATE_CAFFEINE]
    plan = _typical(p, rng, day)
    if rng.random() < 0.45:
        return [replace(plan, deep_pct=plan.deep_pct * 1.08)], [TagKind.WORKOUT]
    return [plan], []

def _short_sleeper(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # the end of a run of short nights: later still, an hour short of even his usual
        return [replace(plan, bedtime_min=p.bedtime_min + 50, sleep_min=60 * min(4.7, p.sleep_h - 1.0),
                        hrv=p.hrv * 0.85, hr_lowest=p.hr_lowest + 3)], [TagKind.SCREEN]
    if rng.random() < 0.4:
        return [replace(plan, bedtime_min=plan.bedtime_min + 25, sleep_min=plan.sleep_min - 20)], [TagKind.SCREEN]
    return [plan], []

def _insomnia(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
    """The night is set by how long she lies awake: efficiency 66-80%, 35-50% of the wake spent falling asleep."""
    plan = _typical(p, rng, day)
    efficiency, latency_share, tags = clamp(rng.gauss(73, 3.5), 66, 80), rng.uniform(0.35, 0.5), []
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
    latency = clamp(awake * latency_share, 30, 90)
    return [replace(plan, latency_min=latency, waso_min=awake - latency - plan.final_wake_min)], tags

def _apnea(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # a bad night of breathing events: deep desaturations, dozens of awakenings
        return [replace(plan, spo2_min=rng.uniform(80, 81.5), spo2_avg=rng.uniform(92.0, 92.4), bouts=50,
                        waso_min=70, resp=20.6, deep_pct=5.5, rem_pct=13, hrv=p.hrv * 0.8,
                        hr_lowest=p.hr_lowest + 4, hr_gap=11)], []
    return [replace(plan, spo2_min=clamp(plan.spo2_min, 81.5, 87), spo2_avg=clamp(plan.spo2_avg, 92, 94),
                    resp=clamp(plan.resp, 17, 21), hr_gap=plan.hr_gap + 2)], []

_ROTA = 14

_NIGHT_SHIFTS = range(1, 5)

def _shift_worker(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
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

def _evening_alcohol(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
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

def _older_adult(p: Norms, rng: random.Random, day: date, days_back: int) -> Day:
    plan = _typical(p, rng, day)
    if days_back == 0:  # awake from about 4 am and unable to get back to sleep
        return [replace(plan, final_wake_min=rng.uniform(70, 85), sleep_min=60 * rng.uniform(5.3, 5.6),
                        deep_pct=5.3, hrv=p.hrv * 0.9)], []
    plan = replace(plan, deep_pct=clamp(plan.deep_pct, 5, 12))
    if rng.random() < 0.4:
        return [plan, _nap(p, rng, 13 * 60 + 30 + rng.gauss(0, 20), rng.uniform(20, 45))], []
    return [plan], []

PERSONA_DAYS: dict[Persona, Callable[[Norms, random.Random, date, int], Day]] = {
    Persona.HEALTHY: _healthy,
    Persona.SHORT_SLEEPER: _short_sleeper,
    Persona.INSOMNIA: _insomnia,
    Persona.APNEA: _apnea,
    Persona.SHIFT_WORKER: _shift_worker,
    Persona.EVENING_ALCOHOL: _evening_alcohol,
    Persona.OLDER_ADULT: _older_adult,
}
