"""Analysis: a night against the user's own baseline and evidence-based norms, as ranked Findings."""

from sleepcot.analysis.findings import Analysis, analyze

__all__ = ["Analysis", "analyze"]
