"""How figures (and weekdays) are written for people, and the conversions between the units we allow them in.

The coach shows the model figures formatted here; the guard reads figures back out of a reply and
converts them with the same rules, so "6 h 12 min", "6.2 hours" and "372 minutes" all mean 22,320 s.
"""

from __future__ import annotations

from sleepcot.domain import Language, Unit

# Weekday names, Monday first as `date.weekday()` counts: in full, and short (charts, Chinese prose).
WEEKDAYS: dict[Language, tuple[str, ...]] = {
    Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    Language.ZH: ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
}
WEEKDAYS_SHORT: dict[Language, tuple[str, ...]] = {
    Language.EN: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    Language.ZH: ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}

# Seconds per unit for the duration units; the guard converts through these.
SECONDS_PER = {Unit.SECONDS: 1.0, Unit.MINUTES: 60.0, Unit.HOURS: 3600.0}


def format_duration(seconds: float, language: Language = Language.EN) -> str:
    """'6 h 12 min' for long durations, '38 min' for short ones (rounded to the minute); in Chinese
    '6小时12分钟', '38分钟'."""
    h, m = ("小时", "分钟") if language is Language.ZH else (" h", " min")
    sep = "" if language is Language.ZH else " "
    minutes = int(round(seconds / 60.0))
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours}{h}{sep}{rest}{m}" if rest else f"{hours}{h}"
    return f"{minutes}{m}"


def format_clock(minutes_after_midnight: float) -> str:
    minutes = int(round(minutes_after_midnight)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Units written after a number in Chinese, where English writes a word (bpm and ms are the same in both).
ZH_UNITS = {Unit.BREATHS: "次/分钟", Unit.NIGHTS: "晚", Unit.COUNT: "次"}


def format_value(value: float, unit: Unit, language: Language = Language.EN) -> str:
    """A figure as people read it, in `language`: '6 h 12 min' / '6小时12分钟', '85%', '23:40', '52 bpm'."""
    if unit in SECONDS_PER:
        return format_duration(value * SECONDS_PER[unit], language)
    if unit is Unit.CLOCK:
        return format_clock(value)
    if unit is Unit.PERCENT:
        return f"{_number(value, 0 if abs(value) >= 10 else 1)}%"
    if unit is Unit.CELSIUS:
        return f"{value:+.1f} °C"
    zh = language is Language.ZH and unit in ZH_UNITS
    if unit is Unit.BREATHS:
        return f"{_number(value, 1)}{ZH_UNITS[unit] if zh else ' breaths/min'}"
    if unit in (Unit.BPM, Unit.MS):
        return f"{_number(value, 0)} {unit.value}"
    if unit in (Unit.NIGHTS, Unit.COUNT):
        return f"{_number(value, 0)}{ZH_UNITS[unit] if zh else ' ' + unit.value}"
    return _number(value, 1)
