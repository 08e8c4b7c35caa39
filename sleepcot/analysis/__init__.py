"""Analysis: a night against the user's own baseline and evidence-based norms, as ranked Findings."""

from sleepcot.analysis.baseline import Prior
from sleepcot.analysis.findings import Analysis, analyze, judge

__all__ = ["Analysis", "Prior", "analyze", "judge"]
