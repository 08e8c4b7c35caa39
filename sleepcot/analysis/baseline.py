"""A user's own baseline: the mean of each metric over their previous 14 or 60 main nights."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from sleepcot.analysis.norms import limit
from sleepcot.domain import Night

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


@dataclass(frozen=True)
class Stat:
    mean: float
    n: int


@dataclass(frozen=True)
class Baseline:
    window: int
    nights: int
    stats: dict[str, Stat] = field(default_factory=dict)

    def get(self, metric: str) -> Stat | None:
        """The metric's statistics, or None when too few nights carry it."""
        stat = self.stats.get(metric)
        return stat if stat is not None and stat.n >= MIN_NIGHTS else None


def compute_baseline(previous: list[Night], window: int) -> Baseline:
    """Baseline over the last `window` main nights in `previous` (which must exclude the night judged)."""
    recent = sorted(previous, key=lambda n: (n.local_date, n.start))[-window:]
    stats: dict[str, Stat] = {}
    for metric in BASELINE_METRICS:
        values = [float(v) for n in recent if (v := getattr(n, metric)) is not None]
        if values:
            stats[metric] = Stat(statistics.fmean(values), len(values))
    return Baseline(window, len(recent), stats)


def bedtime_sd(nights: list[Night]) -> float | None:
    """Standard deviation of bedtimes in minutes (times after midnight continue past 24:00)."""
    if len(nights) < MIN_NIGHTS:
        return None
    return statistics.stdev(float(n.bedtime_minutes) for n in nights)
