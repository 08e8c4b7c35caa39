"""Reading a threshold in a history question ("under 7 hours", "after midnight", "90% or better", "低于40毫秒",
"7小时以上"): the figure, in the measure's unit, and whether the nights asked about are under or over it
and whether the figure itself counts."""

from __future__ import annotations

import re

from sleepcot.analysis.history import MEASURES, Measure, Threshold
from sleepcot.coach.guard.figures import read_figures
from sleepcot.coach.history.matching import words
from sleepcot.domain import Unit

# Words that put a figure's nights under or over it; the first pair's values count themselves ("at least 7 h").
_BELOW_OR_EQUAL = re.compile(words(r"at most", r"or less", r"or fewer", r"no more than", r"or under", r"or earlier",
                                    r"or lower", r"or below", r"or worse")
                             + r"|不超过|最多|以下|或以下|或更少|以内", re.I)
_ABOVE_OR_EQUAL = re.compile(words(r"at least", r"or more", r"no less than", r"or over", r"or later", r"or longer",
                                    r"or better", r"or higher", r"or above", r"hit", r"hitting", r"reach(?:ed|ing)?",
                                    r"manage(?:d)? (?:to get )?", r"got", r"get")
                             + r"|不少于|至少|以上|或以上|或更多|睡够了?|够了|达到|满|\+", re.I)
_BELOW = re.compile(words(r"under", r"less than", r"below", r"fewer than", r"shorter than", r"lower than", r"before",
                           r"earlier than", r"not even", r"short of", r"<")
                    + r"|不到|少于|低于|不足|没到|没有达到|早于|之前|以前|前|掉到|降到|跌到|不满|没满|不够|没够", re.I)
_ABOVE = re.compile(words(r"over", r"more than", r"above", r"longer than", r"higher than", r"after", r"later than",
                           r"past", r"beyond", r"exceed\w*", r">")
                    + r"|超过|多于|高于|晚于|之后|以后|后|过了|高出|多出", re.I)
_PERIOD_NUMBER = re.compile(r"\d+\s*(?:nights?|days?|weeks?|wks?|months?|mos?|晚|天|周|个?月|个?星期|[日号])", re.I)
_MIDNIGHT = re.compile(words(r"midnight") + r"|午夜|半夜12点|凌晨(?:0|12)点", re.I)
_MORNING = re.compile(words(r"morning") + r"|早上|上午|凌晨|清晨|早晨", re.I)
# Hours said in words that the guard's number reader leaves (it reads "七个小时" but not "一小时").
_SAID_HOURS = ((re.compile(r"钟头"), "小时"), (re.compile(r"个钟(?![头点])"), "个小时"), (re.compile(r"(?<!half )(?<!quarter of )\b(?:an|one) hour\b(?!\s+and\b)", re.I), "1 hour"), (re.compile(r"一个半小时"), "90分钟"),
               (re.compile(r"(\d+|一|两|二|三|四|五|六|七|八|九|十)个?多(?:个)?小时"), r"超过\1小时"),
               (re.compile(r"(?<![\d一二两三四五六七八九十])一个?小时"), "1小时"), (re.compile(r"(?<![\d个])半(?:个)?小时"), "30分钟"))


_HOURS_EN = "one two three four five six seven eight nine ten eleven twelve".split()
_PAST = re.compile(rf"\b(half|(?:a )?quarter) (past|to) ({'|'.join(_HOURS_EN)}|\d{{1,2}})\b", re.I)


def _clock_said(match: re.Match[str]) -> str:
    """"half past ten" -> "10:30", "quarter to seven" -> "6:45"."""
    hour = match.group(3).lower()
    hour = int(hour) if hour.isdigit() else _HOURS_EN.index(hour) + 1
    minutes = 30 if match.group(1).lower() == "half" else 15
    if match.group(2).lower() == "to":
        hour, minutes = (hour - 1) % 12 or 12, 60 - minutes
    return f"{hour}:{minutes:02d}"


def spell_out_hours(text: str) -> str:
    """Hours and clock times said in words the guard's number reader leaves, written in digits."""
    for pattern, said in _SAID_HOURS:
        text = pattern.sub(said, text)
    return _PAST.sub(_clock_said, text)


_CUES = ((_BELOW_OR_EQUAL, True, True), (_ABOVE_OR_EQUAL, False, True), (_BELOW, True, False), (_ABOVE, False, False))
# Measures whose thresholds come as counts or bare numbers ("more than 7 times", "below 60", "15.5次").
_COUNTED = {Measure.AWAKENINGS: (Unit.COUNT, None), Measure.SCORE: (None, Unit.SCORE), Measure.BREATHING: (Unit.COUNT,),
            Measure.HEART_RATE: (Unit.COUNT,), Measure.LOWEST_HEART_RATE: (Unit.COUNT,)}  # "每分钟66次"
_THRESHOLD_UNITS = (Unit.HOURS, Unit.MINUTES, Unit.SECONDS, Unit.CLOCK, Unit.PERCENT, Unit.MS, Unit.BPM, Unit.BREATHS,
                    Unit.CELSIUS)


def _cue(before: str, after: str) -> tuple[bool, bool] | None:
    """(below, or_equal) from the words around a figure: the nearest cue before it, else one right after it
    ("7 h or more", "7小时以上")."""
    found = [(m.end(), -m.start(), below, or_equal) for pattern, below, or_equal in _CUES
             for m in pattern.finditer(before)]
    after_found = [(m.start(), below, or_equal) for pattern, below, or_equal in _CUES
                   for m in pattern.finditer(after) if m.start() <= 2]
    adjacent = [f for f in found if f[0] >= len(before.rstrip()) - 1]
    if after_found and not adjacent:  # "掉到85%以下": the words right before it say it, not the ones after
        return min(after_found)[1:]
    if found:  # the nearest cue, and of two that end together the longer ("不满" over "满")
        return max(found)[2:]
    return None


def _next_to_cue(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 8):start].rstrip(), text[end:end + 6].lstrip()
    return any(p.search(before) and p.search(before).end() >= len(before) - 1 for p, *_ in _CUES) or \
        any(p.match(after) for p, *_ in _CUES)


def read_threshold(text: str, measure: Measure) -> Threshold | None:
    units = _THRESHOLD_UNITS + _COUNTED.get(measure, ())
    mentions = [m for m in read_figures(text) if not _PERIOD_NUMBER.match(text, m.start) and (
        m.unit in units or (m.unit in (None, Unit.COUNT) and _next_to_cue(text, m.start, m.end)))]
    midnight = _MIDNIGHT.search(text)
    if not mentions and not midnight:
        return None
    if mentions:
        mention = mentions[0]
        start, end, unit, value = mention.start, mention.end, mention.unit, mention.value
    else:
        start, end, unit, value = midnight.start(), midnight.end(), Unit.CLOCK, 0.0
    cue = _cue(text[max(0, start - 24):start], text[end:end + 16])
    if cue is None:
        return None
    if unit is None or unit is Unit.COUNT or (measure is Measure.SCORE and unit is Unit.MINUTES):
        unit = MEASURES[measure].unit  # "低于60分" is 60 points of a score, "超过每分钟15.5次" breaths, "低于40毫秒" ms
        if unit is Unit.SECONDS:
            unit = Unit.HOURS if value <= 24 else Unit.MINUTES  # "under 7" is hours, "over 45" minutes
        elif unit is Unit.CLOCK:
            value *= 60  # "up before 6": an hour of the clock
    if unit is Unit.CLOCK and measure is Measure.BEDTIME and not re.search(r"[ap]\.?m|noon|中午", text[start:end + 3], re.I) \
            and not _MORNING.search(text[max(0, start - 6):start]):
        if 360 <= value < 720:
            value += 720  # "bed after 11" (十一点以后) is at night
        elif 720 <= value < 780:
            value -= 720  # "after 12" (12点以后) is after midnight
    return Threshold(below=cue[0], value=value, unit=unit, or_equal=cue[1])
