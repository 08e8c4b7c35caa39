"""Whether a reply to a history question states the expected answer. Its figures are read by the guard's
reader (`read_figures`: each mention a value, the unit it was written in and the tolerance of its own
rounding); a mention states a figure when its unit fits and it agrees within the rounding the product uses:

- durations to the minute ("7 h 23 min", "443 min"), or to a tenth of an hour ("7.4 hours"); a coarser
  mention ("7 hours") only where the product's own rounding says the same;
- clock times to the minute (HH:MM, "11:40 pm", "晚上11点40分"; without am/pm either half of the day);
- %, ms, bpm, breaths/min, °C and scores as `format_value` renders them (or finer); counts exactly;
- a difference or a change per week, one unit of that rounding more (it may be worked out from rounded
  figures).

An extreme needs its night's date too ("14 Oct", "October 14", "2026-10-14", "10月14日"); a comparison both
sides' figures or their difference; a trend its change per week or both the first and last week's means;
a question over too few nights must be answered by saying so, with no figure of what was asked (bar one of
the few nights' own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from distill.history.reference import Expected
from sleepcot.coach.guard.figures import Mention, numbers_in_digits, read_figures
from sleepcot.domain import Unit
from sleepcot.units import SECONDS_PER

EPS = 1e-6
_DURATIONS = {Unit.SECONDS, Unit.MINUTES, Unit.HOURS}
# the units a mention may be written in for each unit a figure is in (None: a bare number; Chinese writes
# bpm and breaths as 次/分钟, a score as 分, which the reader takes for minutes)
COMPATIBLE: dict[Unit, set[Unit | None]] = {
    Unit.SECONDS: _DURATIONS,
    Unit.CLOCK: {Unit.CLOCK},
    Unit.PERCENT: {Unit.PERCENT, None},
    Unit.MS: {Unit.MS, None},
    Unit.BPM: {Unit.BPM, Unit.COUNT, None},
    Unit.BREATHS: {Unit.BREATHS, Unit.COUNT, None},
    Unit.CELSIUS: {Unit.CELSIUS, None},
    Unit.SCORE: {Unit.SCORE, Unit.MINUTES, None},
    Unit.COUNT: {Unit.COUNT, Unit.NIGHTS, None},
    Unit.NIGHTS: {Unit.NIGHTS, Unit.COUNT, None},
}
_HALF_OF_DAY = re.compile(r"[ap]\.?m|o['’]?clock|凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATES = (
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?", re.I), "dmy"),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I), "mdy"),
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"), "ymd"),
)
# saying there are too few nights to answer
_TOO_FEW = re.compile(
    r"not\s+enough|too\s+few|only\s+(?:\d+|one|a\s+single|a\s+couple)|(?:need|needs|needed|require[sd]?)\s+(?:at\s+least|a\s+few|more)|"
    r"at\s+least\s+\d+\s+nights?|no\s+(?:nights?|data|records?|recorded|sleep\s+data)|nothing\s+(?:recorded|logged)|"
    r"(?:don't|do\s+not|didn't|did\s+not)\s+have|haven't\s+(?:got|recorded|tracked)|(?:can't|cannot|can\s+not)\b|"
    r"isn't\s+enough|aren't\s+enough|none\s+(?:recorded|logged)|"
    r"不足|不够|只有|至少需要|至少要|需要至少|没有(?:\S{0,12})?(?:数据|记录)|暂无|无法|还没有|太少",
    re.I,
)
_NONE = re.compile(r"\bno\s+nights?\b|\bnone\s+of\b|\bnot\s+(?:once|a\s+single|one)\b|\bzero\b|一晚(?:也|都)没有|"
                   r"没有(?:一|任何)(?:晚|个晚上|天)|一次(?:也|都)没有", re.I)


_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Reading:
    """A mention in the units of the figure it is compared with."""

    mention: Mention
    value: float
    tolerance: float


def _reading(mention: Mention, unit: Unit) -> Reading | None:
    if mention.unit not in COMPATIBLE[unit]:
        return None
    if unit is Unit.SECONDS:
        scale = SECONDS_PER[mention.unit]
        parts = _DIGITS.findall(mention.text) if mention.unit is Unit.SECONDS else []
        if len(parts) == 2:  # "−2 h 14 min": the size of the whole (the reader composes a signed one as −2 h + 14 min)
            return Reading(mention, float(parts[0].replace(",", ".")) * 3600 + int(parts[1]) * 60, mention.tolerance)
        return Reading(mention, abs(mention.value) * scale, mention.tolerance * scale)
    return Reading(mention, mention.value, mention.tolerance)


def _finest(value: float, unit: Unit) -> float:
    """The coarsest rounding of a mention that still states `value` as precisely as the product does."""
    if unit is Unit.SECONDS:
        return 180.0  # a tenth of an hour
    if unit is Unit.PERCENT:
        return 0.5 if abs(value) >= 10 else 0.05
    if unit in (Unit.BREATHS, Unit.CELSIUS):
        return 0.05
    return 0.5  # clock minutes, ms, bpm, scores, counts


def rendered(value: float, unit: Unit) -> float:
    """`value` as the product writes it (`format_value`), back in the figure's units."""
    value = abs(value)
    if unit is Unit.SECONDS:
        return round(value / 60) * 60
    if unit is Unit.CLOCK:
        return round(value) % 1440
    if unit is Unit.PERCENT:
        return round(value, 0 if value >= 10 else 1)
    if unit in (Unit.BREATHS, Unit.CELSIUS):
        return round(value, 1)
    return float(round(value))


def _step(value: float, unit: Unit) -> float:
    """One unit of the product's rounding: the slack a derived figure gets."""
    if unit is Unit.SECONDS:
        return 60.0
    if unit in (Unit.BREATHS, Unit.CELSIUS) or (unit is Unit.PERCENT and abs(value) < 10):
        return 0.1
    return 1.0


def states(mention: Mention, value: float, unit: Unit, *, derived: bool = False) -> bool:
    """Whether `mention` states `value` (in `unit`) as precisely as the product would."""
    reading = _reading(mention, unit)
    if reading is None or (unit in (Unit.COUNT, Unit.NIGHTS) and mention.of_nights):
        return False
    slack = _step(value, unit) if derived else 0.0
    if unit is Unit.CLOCK:
        diff = abs(reading.value - value) % 1440
        diff = min(diff, 1440 - diff)
        either_half = not _HALF_OF_DAY.search(mention.text)
        return diff <= 1.0 + EPS or (either_half and abs(diff - 720) <= 1.0 + EPS)
    target = abs(value)
    if reading.tolerance <= _finest(target, unit) * (1 + 1e-3) and abs(reading.value - target) <= reading.tolerance + slack + EPS:
        return True
    return abs(reading.value - rendered(target, unit)) <= slack + EPS


def dates_in(text: str) -> set[tuple[int, int, int | None]]:
    """(month, day, year or None) of every date written in `text`."""
    found = set()
    for pattern, order in _DATES:
        for m in pattern.finditer(text):
            if order == "ymd":
                year, month, day = m.group(1), m.group(2), m.group(3)
                month = int(month)
            else:
                day, name, year = (m.group(1), m.group(2), m.group(3)) if order == "dmy" else \
                    (m.group(2), m.group(1), m.group(3))
                month = _MONTHS.index(name.lower()[:3]) + 1
            if 1 <= month <= 12 and 1 <= int(day) <= 31:
                found.add((month, int(day), int(year) if year else None))
    return found


def names_date(text: str, day: date) -> bool:
    return any(m == day.month and d == day.day and y in (None, day.year) for m, d, y in dates_in(text))


def mentions(reply: str) -> list[Mention]:
    return read_figures(numbers_in_digits(reply))


def score(reply: str, expected: Expected) -> dict:
    """{"right": the reply states the expected answer, "why": what it lacks (empty when right), "said": the
    figures it wrote}."""
    said = mentions(reply)
    texts = [m.text for m in said]

    def stated(value: float | None, unit: Unit, derived: bool = False) -> bool:
        return value is not None and any(states(m, value, unit, derived=derived) for m in said)

    kind, unit = expected.kind, expected.unit
    why = ""
    if kind == "too_few":
        own = [m.text for m in said if m.unit not in (None, Unit.NIGHTS) and _reading(m, unit) is not None
               and not any(states(m, v, unit) for v in expected.values)]
        if not _TOO_FEW.search(reply):
            why = "does not say there are too few nights"
        elif own:
            why = f"states a figure all the same: {', '.join(own)}"
    elif kind == "count":
        if not (stated(expected.value, Unit.NIGHTS) or (expected.value == 0 and _NONE.search(reply))):
            why = f"does not state {int(expected.value)} nights"
    elif kind == "value":
        if not stated(expected.value, unit):
            why = "does not state the figure"
    elif kind == "extreme":
        if not stated(expected.value, unit):
            why = "does not state the figure"
        elif not any(names_date(reply, d) for d in expected.days):
            why = "does not name the night's date"
    elif kind == "compare":
        both = stated(expected.main, unit) and stated(expected.other, unit)
        if not (both or stated(expected.difference, expected.change_unit, True)):
            why = "states neither both sides nor the difference"
    elif kind == "trend":
        ends = stated(expected.first_week, unit) and stated(expected.last_week, unit)
        if not (ends or stated(expected.per_week, expected.change_unit, True)):
            why = "states neither the change per week nor the first and last week"
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return {"right": not why, "why": why, "said": texts}
