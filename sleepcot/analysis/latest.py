"""The analysis the coach talks about: the user's latest main night against the nights before it."""

from __future__ import annotations

from datetime import timedelta

from sleepcot.analysis.findings import Analysis, analyze
from sleepcot.domain import HISTORY_DAYS
from sleepcot.store import UserStore


def analyze_latest(user: UserStore) -> Analysis | None:
    """The latest main night analysed with its history and the tags for it; None before the first night."""
    night = user.latest_night()
    if night is None:
        return None
    history = user.nights(start=night.local_date - timedelta(days=HISTORY_DAYS), end=night.local_date - timedelta(days=1))
    return analyze(night, history, user.profile(), user.tags(start=night.local_date, end=night.local_date))
