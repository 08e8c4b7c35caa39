"""How sure a habit's difference is: nights after a logged habit against nights without, by a permutation
test (how often shuffling which nights had the habit gives a difference at least as large) and a bootstrap
95% interval of the difference of means. Seeded, so the same nights always give the same answer.

Written with numpy (already here through matplotlib) rather than scipy.stats, whose permutation_test and
bootstrap do the same but would add a large dependency for two short functions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HABIT_DAYS = 90  # a habit question looks back this far unless it names a period
HABIT_MIN_NIGHTS = 5  # on each side: fewer and we say what we would need
RESAMPLES = 4000
SEED = 20241022
CONFIDENCE = 0.95
CHANCE_P = 0.05  # a difference with p at or above this could well be chance


@dataclass(frozen=True)
class Uncertainty:
    p_value: float  # two-sided permutation test of the difference of means
    low: float  # the bootstrap interval of the difference (with minus without)
    high: float
    resamples: int

    @property
    def could_be_chance(self) -> bool:
        return self.p_value >= CHANCE_P or self.low <= 0 <= self.high


def compare_means(with_habit: list[float], without: list[float]) -> Uncertainty:
    a, b = np.asarray(with_habit, dtype=float), np.asarray(without, dtype=float)
    rng = np.random.default_rng(SEED)
    observed = abs(a.mean() - b.mean())
    pooled = np.concatenate([a, b])
    shuffled = rng.permuted(np.tile(pooled, (RESAMPLES, 1)), axis=1)
    differences = np.abs(shuffled[:, : a.size].mean(axis=1) - shuffled[:, a.size:].mean(axis=1))
    p_value = (1 + int(np.count_nonzero(differences >= observed - 1e-9))) / (RESAMPLES + 1)
    boot = (rng.choice(a, size=(RESAMPLES, a.size)).mean(axis=1) - rng.choice(b, size=(RESAMPLES, b.size)).mean(axis=1))
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    return Uncertainty(round(p_value, 4), float(low), float(high), RESAMPLES)
