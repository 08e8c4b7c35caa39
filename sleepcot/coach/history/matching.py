"""Matching the words of a question: English phrases as whole words (Chinese characters may touch them),
Chinese as text, and the month names both the period reader and the name reader know."""

from __future__ import annotations

import re

A = r"(?<![a-z0-9])"  # an English word starts here
Z = r"(?![a-z0-9])"
MONTHS_EN = ("jan(?:uary)?", "feb(?:ruary)?", "mar(?:ch)?", "apr(?:il)?", "may", "june?", "july?", "aug(?:ust)?",
             "sep(?:t(?:ember)?)?", "oct(?:ober)?", "nov(?:ember)?", "dec(?:ember)?")


def words(*phrases: str) -> str:
    """One alternation of phrases: English ones (starting with a letter or a group) bounded as whole words."""
    return "|".join(f"{A}(?:{p}){Z}" if re.match(r"[a-z\\(]", p) else f"(?:{p})" for p in phrases)
