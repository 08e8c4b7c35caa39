"""A `Plan` made into a Night: a hypnogram in 30 s epochs (latency, ~90 min cycles with deep sleep
front-loaded and REM back-loaded, wake bouts) whose per-stage totals are exactly the summary's figures,
in the user's local UTC offset at each instant."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from integrations.simulator.days import Plan, clamp
from sleepcot.domain import Night, NightKind, Stage

SOURCE = "simulator"  # the source simulated nights come from
EPOCH_S = 30

CYCLE_MIN = 90

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

def _sleep_stages(plan: Plan, sleep_e: int) -> list[list]:
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

def _hypnogram(plan: Plan, rng: random.Random) -> list[tuple[Stage, int]]:
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
    return round(clamp(95 - penalty, 0, 100))

def build_night(plan: Plan, day: date, zone: ZoneInfo, vendor_id: str, usual_hrv: float,
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
    hr_lowest = round(clamp(plan.hr_lowest, 40, 80))
    hrv = round(clamp(plan.hrv, 12, 120))
    spo2_avg = round(clamp(plan.spo2_avg, 90, 99), 1)
    return Night(
        source=SOURCE,
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
        resp_rate_bpm=round(clamp(plan.resp, 10, 24), 1),
        spo2_avg_pct=spo2_avg,
        spo2_min_pct=round(clamp(plan.spo2_min, 78, spo2_avg - 1.5), 1),
        skin_temp_dev_c=round(plan.skin_temp, 2),
        score=None if plan.kind is NightKind.NAP else _score(
            total_s, efficiency, 100 * totals[Stage.DEEP] / total_s, 100 * totals[Stage.REM] / total_s,
            latency_s, awakenings, hrv / usual_hrv),
        segments=segments,
    )
