"""Questions about a user's whole history, computed: a typed plan (plan), the dates it covers (periods), its
figures over the user's nights (compute), and how sure a habit's difference is (habits)."""

from sleepcot.analysis.history.compute import HistoryResult, HistorySource, Point, Side, run
from sleepcot.analysis.history.plan import (
    ADDITIVE,
    MEASURES,
    Aggregate,
    CompareKind,
    Comparison,
    Days,
    Measure,
    Period,
    PeriodKind,
    Plan,
    Threshold,
)

__all__ = ["ADDITIVE", "MEASURES", "Aggregate", "CompareKind", "Comparison", "Days", "HistoryResult", "HistorySource", "Measure",
           "Period", "PeriodKind", "Plan", "Point", "Side", "Threshold", "run"]
