"""The analysis the coach talks about: the user's latest main night against the nights before it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from sleepcot.analysis.findings import Analysis, analyze
from sleepcot.domain import HISTORY_DAYS, Night, NightKind, Profile, Tag


class NightsSource(Protocol):
    """Where the analysis reads one user's nights (a `UserStore`)."""

    def latest_night(self, kind: NightKind = NightKind.MAIN) -> Night | None: ...

    def nights(self, start: date | None = None, end: date | None = None) -> list[Night]: ...

    def profile(self) -> Profile: ...

    def tags(self, start: date | None = None, end: date | None = None) -> list[Tag]: ...


def analyze_latest(user: NightsSource) -> Analysis | None:
    """The latest main night analysed with its history and the tags for it; None before the first night."""
    night = user.latest_night()
    if night is None:
        return None
    history = user.nights(start=night.local_date - timedelta(days=HISTORY_DAYS), end=night.local_date - timedelta(days=1))
    return analyze(night, history, user.profile(), user.tags(start=night.local_date, end=night.local_date))
