"""A user's own baseline: the mean of each metric over their previous 14 or 60 main nights; and `Prior`,
everything judging a night reads of the nights before it, which the store keeps for each user's latest."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sleepcot.analysis.norms import limit
from sleepcot.domain import Night, NightKind, PastNight

BASELINE_METRICS = (
    "total_sleep_s",
    "time_in_bed_s",
    "latency_s",
    "awake_s",
    "deep_s",
    "light_s",
    "rem_s",
    "efficiency_pct",
    "hr_lowest_bpm",
    "hrv_rmssd_ms",
    "resp_rate_bpm",
    "spo2_avg_pct",
    "spo2_min_pct",
    "skin_temp_dev_c",
    "awakenings",
)
MIN_NIGHTS = int(limit("baseline_min_nights"))  # fewer prior nights than this and we do not claim a baseline


class Stat(NamedTuple):
    mean: float
    n: int  # nights that carry the metric


@dataclass(frozen=True)
class Baseline:
    window: int
    nights: int
    stats: dict[str, Stat] = field(default_factory=dict)

    def get(self, metric: str) -> Stat | None:
        """The metric's statistics, or None when too few nights carry it."""
        stat = self.stats.get(metric)
        return stat if stat is not None and stat.n >= MIN_NIGHTS else None


def compute_baseline(previous: list[Night | PastNight], window: int) -> Baseline:
    """Baseline over the last `window` main nights in `previous` (which must exclude the night judged)."""
    recent = sorted(previous, key=lambda n: (n.local_date, n.start))[-window:]
    stats: dict[str, Stat] = {}
    for metric in BASELINE_METRICS:
        values = [float(v) for n in recent if (v := getattr(n, metric)) is not None]
        if values:
            stats[metric] = Stat(statistics.fmean(values), len(values))
    return Baseline(window, len(recent), stats)


@dataclass(frozen=True)
class Prior:
    """What judging a night reads of the main nights before it: the 14- and 60-night baselines and the
    nights of the fortnight before it, oldest first. The store keeps it for each user's latest night, made
    when their nights are stored (sleepcot.store.baselines), so a morning reads one row, not two months."""

    baseline14: Baseline
    baseline60: Baseline
    fortnight: list[Night | PastNight]

    @classmethod
    def of(cls, previous: Iterable[Night | PastNight], day: date) -> Prior:
        """From the main nights among `previous` (any order) before `day`."""
        before = sorted((n for n in previous if n.kind is NightKind.MAIN and n.local_date < day),
                        key=lambda n: (n.local_date, n.start))
        window = int(limit("fortnight_nights"))
        return cls(compute_baseline(before, window), compute_baseline(before, int(limit("baseline_long_nights"))),
                   before[-(window - 1):])

    def as_json(self) -> dict:
        return {"baseline14": _baseline_json(self.baseline14), "baseline60": _baseline_json(self.baseline60),
                "fortnight": [(n if isinstance(n, PastNight) else PastNight.of(n)).as_list() for n in self.fortnight]}

    @classmethod
    def from_json(cls, data: dict) -> Prior:
        """What `as_json` made: the same baselines, to the last bit (JSON keeps a float exactly)."""
        return cls(_baseline(data["baseline14"]), _baseline(data["baseline60"]),
                   [PastNight.from_list(values) for values in data["fortnight"]])


def _baseline_json(baseline: Baseline) -> list:
    return [baseline.window, baseline.nights, baseline.stats]  # a Stat is written as the list [mean, n]


def _baseline(data: list) -> Baseline:
    window, nights, stats = data
    return Baseline(window, nights, {metric: Stat(*values) for metric, values in stats.items()})


def bedtime_sd(nights: list[Night | PastNight]) -> float | None:
    """Standard deviation of bedtimes in minutes (times after midnight continue past 24:00)."""
    if len(nights) < MIN_NIGHTS:
        return None
    return statistics.stdev(float(n.bedtime_minutes) for n in nights)
