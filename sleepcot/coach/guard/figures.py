"""Reading the figures in a text: every number with the unit it was written in and the tolerance its own
rounding implies — "6 h 12 min", "6.2 hours", "372 minutes", "85%", "52 bpm", "23:40", "11:40 pm",
"6小时12分钟" — and numbers written in words ("seven hours", "half an hour", "twice", "七个小时", "两晚",
"百分之八十五"), which are turned into digits first: English by `text2num`, Chinese numerals by `cn2an`.

Dates, ages, list markers and ordinals are not figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import cn2an
from text_to_num import alpha2digit

from sleepcot.coach.guard.safety_words import alternation
from sleepcot.domain import Unit

_NUM = r"[+\-−]?\d+(?:[.,]\d+)?"
_B = r"(?<![A-Za-z0-9_.\-])"  # not inside a word such as "SpO2" or "COVID-19" (CJK characters may touch a number)
_H = r"(?:h|hr|hrs|hours?|个?小时|个钟头|钟头)"
_M = r"(?:m|min|mins|minutes?|分钟|分(?![钟数]))"
_S = r"(?:secs?|seconds?|秒钟?)"  # not a bare "s": "in their 30s" is an age

_CLOCK = re.compile(r"(?=\d)(?<![\d.])(\d{1,2})[:：](\d{2})(?:\s*([ap])\.?m\.?)?(?![\d])", re.I)
# "11 pm", "10.55 pm", "7 o'clock": an hour alone is said to the nearest half hour
_CLOCK_SAID = re.compile(r"(?=\d)(?<![\d.:])(\d{1,2})(?:\.(\d{2}))?\s*(?:([ap])\.?m\.?(?![a-z])|o['’]?clock\b)", re.I)
# "晚上10点55分", "早上6点54", "10点半", "11点左右" (numerals in words are turned into digits first). An hour
# alone is a clock time only after a part of the day or before a word of time ("两点建议" is two points).
_ZH_PERIOD = "凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜|深夜"
_ZH_AFTERNOON = ("中午", "下午", "傍晚")  # 中午1点 is 13:00, 下午3点 15:00
_ZH_NIGHT = ("晚上", "夜里", "夜间", "深夜")  # 晚上10点 is 22:00, but 晚上12点 and 夜里1点 are after midnight
_ZH_SMALL_HOURS = ("凌晨", "半夜")  # 凌晨6点 is 6:00, 半夜12点 0:00
_ZH_HOUR_BEFORE = "左右|前|后|以前|以后|之前|之后|钟|多|整|才|就|上床|睡|起|醒|入睡|就寝|熄灯"
_ZH_CLOCK = re.compile(rf"({_ZH_PERIOD})?\s*(?<![\d.])(\d{{1,2}})\s*[点點](?:\s*(\d{{1,2}})(?!\s*个?(?:小时|钟头|分钟))\s*分?"
                       rf"|\s*(半|一刻|三刻)|(?=\s*(?:{_ZH_HOUR_BEFORE}))(?P<context>))?")
_HM = re.compile(rf"(?=[+\-−\d]){_B}({_NUM})\s*{_H}\s*(?:,?\s*and\s*|,\s*|零)?(\d{{1,2}})\s*{_M}(?![a-z])", re.I)
_RANGE = re.compile(rf"(?=[+\-−\d]){_B}({_NUM})\s*(?:-|–|—|to|至|到|~|～)\s*({_NUM})\s*(?=[a-z%°小个分次晚钟])", re.I)
_OF_NIGHTS = re.compile(rf"(?=\d)(?:{_B}(\d+)\s+(?:of|out\s+of)\s+(?:the\s+|your\s+)?(?:last\s+|past\s+)?(\d+)\s+nights?\b"
                        rf"|(\d+)\s*(?:个)?晚(?:上)?中(?:有)?\s*(\d+)\s*晚)", re.I)
_UNIT = (rf"%|percent|per\s*cent|bpm|beats(?:\s+per\s+minute)?|ms|milliseconds?|°\s*c|°|"
         rf"degrees?(?:\s+c(?:elsius)?)?|breaths?(?:\s*/\s*min|\s+per\s+minute|\s+a\s+minute)?|"
         rf"{_H}(?![a-z])|{_M}(?![a-z])|{_S}(?![a-z])|-?nights?|个?晚上?|夜|次\s*/\s*分钟?|次每分钟|次|times|awakenings")
_SINGLE = re.compile(rf"(?=[+\-−\d]){_B}({_NUM})(?![\d])\s*({_UNIT})?", re.I)
_UNIT_AFTER = re.compile(rf"\s*({_UNIT})", re.I)
# A numbered list's markers ("1.", "Step 2:", "3、") are not figures.
LIST_MARKER = re.compile(r"^\s*(?:step\s*)?\d{1,2}[.)、:：](?=\s|$)", re.I | re.M)
_NOT_FIGURES = re.compile(
    r"(?=[\dajfmsond第])"  # each kind starts with a digit, a month, "age" or 第: tried only where one may start
    r"(?:\b\d+(?:st|nd|rd|th)\b|第\s*\d+"  # ordinals ("the 2nd night", "第2天", "第二天" once in digits)
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"  # dates
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}月\d{1,2}[日号]|\d{4}年(?:\d{1,2}月(?:\d{1,2}[日号])?)?"
    r"|\bages?d?\s+\d+(?:\s*[-–]\s*\d+)?\+?|\d+(?:\s*[-–]\s*\d+)?[- ]years?[- ]olds?|\d+\s*岁"  # ages
    r"|\b\d*0['’]?s\b"  # decades ("in their 30s", "the 1990s")
    r"|\b(?:19|20)\d\d\b)",  # years (a source's, or a date's)
    re.I | re.M,
)
_UNIT_WORDS: dict[str, Unit] = {
    "%": Unit.PERCENT, "percent": Unit.PERCENT, "per cent": Unit.PERCENT,
    "-night": Unit.NIGHTS, "-nights": Unit.NIGHTS, "bpm": Unit.BPM, "beats": Unit.BPM, "beats per minute": Unit.BPM, "ms": Unit.MS, "millisecond": Unit.MS,
    "milliseconds": Unit.MS, "night": Unit.NIGHTS, "nights": Unit.NIGHTS, "晚": Unit.NIGHTS, "晚上": Unit.NIGHTS,
    "个晚上": Unit.NIGHTS, "个晚": Unit.NIGHTS, "夜": Unit.NIGHTS,
    "次": Unit.COUNT, "times": Unit.COUNT, "awakenings": Unit.COUNT,
}

# --- numbers in words -------------------------------------------------------------------------------------
_EN_IDIOMS = (  # (idiom, what it says in digits)
    (r"\b(?:an?|one)\s+hour\s+and\s+a\s+half\b", "90 min"),
    (r"\b(?:an?|one)\s+hour\s+and\s+a\s+quarter\b", "75 min"),
    (r"\bthree[\s-]quarters\s+of\s+an\s+hour\b", "45 min"),
    (r"\b(?:a\s+)?quarter\s+of\s+an\s+hour\b|\ba\s+quarter[\s-]hour\b", "15 min"),
    (r"\bhalf\s+an\s+hour\b|\ba\s+half[\s-]hour\b", "30 min"),
    (r"\b(?:an?|one)\s+hour\s+and\s+(?=\w+\s+min)", "1 h "),
    (r"\bone\s+and\s+a\s+half\s+hours?\b", "1.5 hours"),
    (r"\btwice\b", "2 times"),
    (r"\bthrice\b", "3 times"),
    (r"\bdouble(?=\s+(?:your|the|what|that|its|last)\b)", "2 times"),
    (r"\btriple(?=\s+(?:your|the|what|that|its|last)\b)", "3 times"),
    (r"\b(?:a|one)\s+dozen\b", "12"),
)
# All idioms in one scan, tried only at words that start as one does; the group that matched names the idiom.
_EN_IDIOM = re.compile(r"\b(?=[aothqd])" + alternation(*(f"(?P<i{n}>{idiom})" for n, (idiom, _) in enumerate(_EN_IDIOMS))),
                       re.I)
_EN_HALVES = re.compile(r"(?=\d)\b(\d+)\s+(?:and\s+a\s+half\s+(hours?)|(hours?)\s+and\s+a\s+half)\b", re.I)
_EN_QUARTERS = re.compile(r"(?=\d)\b(\d+)\s+and\s+a\s+quarter\s+(hours?)\b", re.I)
_EN_NUMBER_WORD = re.compile(r"\b(?=[tfsenh])(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                             r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
                             r"eighty|ninety|hundred)\b", re.I)
_ZH_DIGIT = "零一二两三四五六七八九十百千"
_ZH_HALF_HOURS = re.compile(rf"([{_ZH_DIGIT}\d]+)个?半(?:个)?小时")
_ZH_IDIOMS = (
    (re.compile(r"半个?小时|半个钟头"), "30分钟"),
    (re.compile(r"一刻钟"), "15分钟"),
    (re.compile(r"三刻钟"), "45分钟"),
)
_ZH_PERCENT = re.compile(rf"百分之([{_ZH_DIGIT}点]+)")
# a clock time in words: "十点五十五分", "十点半", "晚上十一点" (not "七点五个小时", a decimal, nor "早一点睡", "两点建议")
_ZH_CLOCK_WORDS = re.compile(rf"({_ZH_PERIOD})?([{_ZH_DIGIT}]+)[点點](?:([{_ZH_DIGIT}]+)分(?!钟)|(?=(半|一刻|三刻))|"
                             rf"(?=\s*(?:{_ZH_HOUR_BEFORE}))(?P<context>))?")


def _zh_clock(match: re.Match) -> str:
    period, numeral, minutes, fraction = match.group(1), match.group(2), match.group(3), match.group(4)
    timed = minutes or fraction or match.group("context") is not None
    if not (period or timed) or (numeral == "一" and not (period or minutes or fraction)):
        return match.group(0)  # "早一点睡" is "a bit earlier", "两点建议" two points
    return f"{period or ''}{_zh_number(numeral)}点" + (f"{_zh_number(minutes)}分" if minutes else "")
# A Chinese numeral before a unit; a lone 一 ("一晚", "睡前一小时") is an idiom, not a claim, unless minutes follow.
_ZH_NUMERAL = re.compile(rf"([{_ZH_DIGIT}]+(?:点[{_ZH_DIGIT}]+)?)(?=\s*(?:个?小时|个钟头|分钟|分|秒|个?晚|夜|次|周|天|倍))")
# "一小时" is a claim after "1 h and" minutes follow, or after a word of how much ("少了将近一个小时")
_ZH_ONE_HOUR_AND = re.compile(rf"一(?=个?小时[{_ZH_DIGIT}\d]+分)|(?:(?<=将近|接近|大约|大概|少了|多了|整整)|(?<=差不多))一(?=个?小时)")


def _zh_number(numeral: str) -> str:
    try:
        value = cn2an.cn2an(numeral, "smart")
    except (ValueError, KeyError):
        return numeral
    return f"{value:g}" if isinstance(value, float) else str(value)


_ZH_DIGITS = "一两三四五六七八九"


def _zh_numeral(match: re.Match) -> str:
    numeral = match.group(1)
    if numeral == "一" or (len(numeral) == 2 and numeral[0] in _ZH_DIGITS and numeral[1] in _ZH_DIGITS
                            and _ZH_DIGITS.index(numeral[1]) == _ZH_DIGITS.index(numeral[0]) + 1):
        return numeral  # "一晚" is an idiom, "一两周" ("a week or two") a rough guess: neither is a claim
    return _zh_number(numeral)


@lru_cache(maxsize=4096)
def numbers_in_digits(text: str) -> str:
    """`text` with numbers written in words turned into digits ("seven hours" -> "7 hours", "半小时" -> "30分钟").
    "One", "an" and a lone "一" stay words: "one night can vary" and "睡前一小时" are not claims."""
    text = _EN_IDIOM.sub(lambda m: _EN_IDIOMS[int(m.lastgroup[1:])][1], text)
    if _EN_NUMBER_WORD.search(text):
        text = alpha2digit(text, "en", threshold=2)
    text = _EN_HALVES.sub(lambda m: f"{m.group(1)}.5 {m.group(2) or m.group(3)}", text)
    text = _EN_QUARTERS.sub(lambda m: f"{m.group(1)}.25 {m.group(2)}", text)
    if re.search(rf"[{_ZH_DIGIT}]", text):
        text = _ZH_HALF_HOURS.sub(lambda m: f"{_zh_number(m.group(1)) if not m.group(1).isdigit() else m.group(1)}.5小时", text)
        for pattern, digits in _ZH_IDIOMS:
            text = pattern.sub(digits, text)
        text = _ZH_PERCENT.sub(lambda m: f"{_zh_number(m.group(1))}%", text)
        text = _ZH_CLOCK_WORDS.sub(_zh_clock, text)
        text = _ZH_ONE_HOUR_AND.sub("1", text)
        text = _ZH_NUMERAL.sub(_zh_numeral, text)
    return text


# --- figures ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mention:
    """A figure read from a text: its value, the unit it was written in (None: a bare number), the tolerance
    its own rounding implies, and where it stands in the text (`numbers_in_digits` of it)."""

    text: str
    value: float
    unit: Unit | None
    tolerance: float
    start: int = 0
    end: int = 0
    of_nights: bool = False  # the total of "3 of the last 7 nights"
    range_end: bool = False  # the "9" of "7-9 h": said of the same thing as the figure before it
    half_day: bool = False  # a clock time that says which half of the day ("11:40 pm", "晚上11点"): not 12 h off


def _zh_hour(period: str | None, hour: int) -> int:
    """The hour of a Chinese clock time on the 24-hour clock, read with the part of the day said before it."""
    if period in _ZH_AFTERNOON and hour < 12:
        return hour + 12
    if period in _ZH_NIGHT:
        return hour + 12 if 6 <= hour < 12 else hour % 12
    return hour % 12 if period in _ZH_SMALL_HOURS else hour


def _float(text: str) -> float:
    return float(text.replace("−", "-").replace(",", "."))


def _tolerance(text: str) -> float:
    """Half a unit of the last digit written: '84' -> 0.5, '6.2' -> 0.05."""
    digits = text.replace(",", ".").split(".")
    return 0.5 * 10 ** -(len(digits[1]) if len(digits) > 1 else 0) + 1e-9


@lru_cache(maxsize=512)
def unit_of(word: str | None) -> Unit | None:
    if not word:
        return None
    w = re.sub(r"\s+", " ", word.lower()).strip()
    if w.startswith("°") or w.startswith("degree"):
        return Unit.CELSIUS
    if w.startswith("breath") or w.replace(" ", "").startswith(("次/", "次每")):  # 15次/分钟: breaths a minute
        return Unit.BREATHS
    if re.fullmatch(_H, w, re.I):
        return Unit.HOURS
    if re.fullmatch(_M, w, re.I):
        return Unit.MINUTES
    if re.fullmatch(_S, w, re.I):
        return Unit.SECONDS
    return _UNIT_WORDS.get(w)


def read_figures(text: str) -> list[Mention]:
    """Every figure in `text` (already in digits: see `numbers_in_digits`), in reading order."""
    mentions: list[Mention] = []
    taken = [m.span() for m in _NOT_FIGURES.finditer(text)]

    def claim(match: re.Match) -> bool:
        start, end = match.span()
        if any(start < e and s < end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    for m in _CLOCK.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 24 or minute > 59 or not claim(m):
            continue
        if m.group(3):
            hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
        mentions.append(Mention(m.group(0), hour * 60 + minute, Unit.CLOCK, 1.0, *m.span(), half_day=bool(m.group(3))))
    for m in _CLOCK_SAID.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if hour > 12 or minute > 59 or not claim(m):
            continue
        if m.group(3):
            hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
        mentions.append(Mention(m.group(0), hour * 60 + minute, Unit.CLOCK, 1.0 if m.group(2) else 30.0, *m.span(),
                                half_day=bool(m.group(3))))
    for m in _ZH_CLOCK.finditer(text) if "点" in text or "點" in text else ():
        if not (m.group(1) or m.group(3) or m.group(4) or m.group("context") is not None):
            continue  # "3点建议": points, not o'clock
        hour = int(m.group(2))
        minute = int(m.group(3)) if m.group(3) else {"半": 30, "一刻": 15, "三刻": 45}.get(m.group(4), 0)
        if hour > 24 or minute > 59 or not claim(m):
            continue
        hour = _zh_hour(m.group(1), hour)
        exact = m.group(3) or m.group(4)
        mentions.append(Mention(m.group(0), hour * 60 + minute, Unit.CLOCK, 1.0 if exact else 30.0, *m.span(),
                                half_day=bool(m.group(1))))
    for m in _HM.finditer(text):
        if claim(m):
            # a sign says which way, as the words around it do: "−2 h 14 min" is 2 h 14 min (not 1 h 46 min)
            seconds = abs(_float(m.group(1))) * 3600 + int(m.group(2)) * 60
            mentions.append(Mention(m.group(0), seconds, Unit.SECONDS, 60.0, *m.span()))
    for m in _OF_NIGHTS.finditer(text):
        if claim(m):
            part, whole = (1, 2) if m.group(1) else (4, 3)
            mentions.append(Mention(m.group(part), int(m.group(part)), Unit.NIGHTS, 0.5, *m.span(part)))
            mentions.append(Mention(m.group(whole), int(m.group(whole)), Unit.NIGHTS, 0.5, *m.span(whole), of_nights=True))
    for m in _RANGE.finditer(text):
        unit_match = _UNIT_AFTER.match(text, m.end(2))  # "7-9 h": both ends take the unit after the second
        unit = unit_of(unit_match.group(1)) if unit_match else None
        if claim(m):
            for group in (1, 2):
                raw = m.group(group)
                mentions.append(Mention(raw, abs(_float(raw)), unit, _tolerance(raw), *m.span(group),
                                        range_end=group == 2))
    for m in _SINGLE.finditer(text):
        if not claim(m):
            continue
        raw = m.group(1)
        mentions.append(Mention(m.group(0).strip(), abs(_float(raw)), unit_of(m.group(2)), _tolerance(raw),
                                m.start(), m.start() + len(m.group(0).rstrip())))
    return sorted(mentions, key=lambda mention: mention.start)
