"""Sentences and clauses of a reply, as the guard's safety reading cuts them: a sentence ends at . ! ? ; 。！？；
or a line break, but not at a decimal point, an abbreviation ("e.g.") or a list number ("1. What the data
shows"); a clause ends at a comma, a colon, a dash or a conjunction such as "but".
"""

from __future__ import annotations

import re
from functools import lru_cache

from sleepcot.coach.guard.safety_words import alternation


def compile_any(*parts: str) -> re.Pattern[str]:
    return re.compile(alternation(*parts), re.IGNORECASE)


def compile_words(*parts: str) -> re.Pattern[str]:
    """`compile_any` for parts that each start with a letter (a word or a CJK character): a match is tried only
    where a letter stands, which halves the time Python's `re` takes to scan a reply for a long alternation."""
    return re.compile(r"(?=[^\W\d_])" + alternation(*parts), re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- sentences
_BOUNDARY = re.compile(r"[。！？；!?;\n]+|\.(?=\s|$)")
# a full stop that ends an abbreviation or a list number ("1. What the data shows") ends no sentence
_NOT_AN_END = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|dr|mr|mrs|ms|a\.m|p\.m)|^\s*(?:step\s*)?\d{1,2})$", re.I)
_CLAUSE_BREAK = re.compile(r"[,:;，、：；—–()（）]|\s-\s|\b(?:but|so|yet|though|although|however|whereas|while)\b", re.I)
_HAS_WORDS = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=256)
def sentences(text: str) -> tuple[str, ...]:
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.group() == "." and _NOT_AN_END.search(text[text.rfind("\n", 0, m.start()) + 1 : m.start()]):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return tuple(s for s in out if _HAS_WORDS.search(s))


def clause_start(sentence: str, pos: int) -> int:
    start = 0
    for m in _CLAUSE_BREAK.finditer(sentence, 0, pos):
        start = m.end()
    return start


def clause_end(sentence: str, pos: int) -> int:
    m = _CLAUSE_BREAK.search(sentence, pos)
    return m.start() if m else len(sentence)


def clause_before(sentence: str, pos: int) -> str:
    return sentence[clause_start(sentence, pos) : pos]
