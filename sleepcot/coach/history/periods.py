"""Reading the period a history question is about, in English and Chinese: last N nights, days, weeks or
months, this or last week, weekend or month, a named month, the first weeks of one, since a date, between two
dates, all my nights; and whether it speaks of weekends or weekdays. Dates are the latest such date not
after today."""

from __future__ import annotations

import re
from datetime import date, timedelta

import cn2an

from sleepcot.analysis.history import Period, PeriodKind
from sleepcot.analysis.history.periods import date_range
from sleepcot.coach.history.matching import MONTHS_EN, A, Z, words

_MONTH_EN = "(" + "|".join(MONTHS_EN) + r")\.?"
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "十一": 11, "十二": 12}
_ZH_NUM = r"(\d{1,4}|十[一二]?|[一二两俩三四五六七八九十])"
_NUM = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|couple of|few)"
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
               "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2, "few": 3}
_UNIT_DAYS = {"night": 1, "day": 1, "week": 7, "wk": 7, "fortnight": 14, "month": 0, "mo": 0, "晚": 1, "天": 1, "日": 1, "夜": 1,
              "周": 7, "星期": 7, "礼拜": 7, "月": 0}
RECENT_NIGHTS = 30  # "lately", "these days", "最近": the last month of nights
_WEEKDAY_EN = r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
_WEEKDAY_ZH = "一二三四五六"  # 日 and 天 are Sunday
_DAY_OF_MONTH = r"(\d{1,2})(?:st|nd|rd|th)?"
_EN_DATE = (rf"(?:{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH}(?!\d|:\d)|(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})"
            rf"|{_MONTH_EN}(?:\s+(\d{{4}}))?)")
_ZH_DATE = rf"(?:(\d{{4}})\s*年\s*)?{_ZH_NUM}\s*月(?:份)?(?:\s*(\d{{1,2}})\s*[日号])?"

_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern, re.I)) for name, pattern in (
    ("between", rf"{A}(?:between|from)\s+{_EN_DATE}\s+(?:and|to|until|till|through|-|–)\s+{_EN_DATE}"),
    ("between_zh", rf"(?:从|自|在)?\s*{_ZH_DATE}\s*(?:到|至|-|–|~)\s*{_ZH_DATE}"),
    ("days", rf"{A}(?:between|from)\s+(?:the\s+)?{_DAY_OF_MONTH}\s+(?:and|to|until|till|through|-|–)\s+(?:the\s+)?"
             rf"{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{A}{_MONTH_EN}\s+{_DAY_OF_MONTH}\s*(?:-|–|to|until|through)\s*"
             rf"{_DAY_OF_MONTH}{Z}"),
    ("days_zh_in_month", r"(?<![月\d])(\d{1,2})\s*[日号]\s*(?:到|至|-|–|~)\s*(\d{1,2})\s*[日号]"),
    ("days_bare", rf"{A}{_DAY_OF_MONTH}\s*(?:-|–)\s*{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}"),
    ("days_zh", rf"{_ZH_NUM}\s*月\s*(\d{{1,2}})\s*[日号]?\s*(?:到|至|-|–|~)\s*(\d{{1,2}})\s*[日号]"),
    ("since", rf"{A}(?:since|from|starting|beginning|after)\s+(?:the\s+)?(?:start\s+of\s+|beginning\s+of\s+)?{_EN_DATE}"),
    ("since_zh", rf"(?:自从?|从)?\s*{_ZH_DATE}\s*(?:以来|开始|起(?![床来])|至今|到现在|之后)"),
    ("same_period_last_month", words(r"(?:the )?same (?:period|days|time|stretch) (?:of |in )?last month")
     + r"|上个?月(?:的)?同期|上个?月同一时间"),
    ("since_part_zh", rf"(?:自从?|从)?\s*{_ZH_NUM}\s*月(?:份)?\s*(初|中旬?|下旬|底|末)\s*(?:以来|开始|起|至今|到现在|之后)"),
    ("since_part", rf"{A}since\s+(?:the\s+)?(early|mid|the middle of|late|the end of)[- ]?\s*(?:of\s+)?{_MONTH_EN}"),
    ("since_weekday", rf"{A}(?:since|from|starting)\s+(?:last\s+|this\s+)?({_WEEKDAY_EN})(?:\s+(?:till|until|to)\s+now)?"
                      rf"|(?:从|自从?)\s*(?:这|本)?(?:周|星期|礼拜)([一二三四五六日天])\s*(?:到现在|以来|开始|起|至今)"),
    ("before_that", rf"{A}(?:the\s+)?{_NUM}\s+(nights?|days?|weeks?)\s+before(?:\s+that|\s+those|\s+it)?"
                    rf"|(?:再往前|再之前|之前|往前)(?:的|那)?\s*{_ZH_NUM}\s*(?:个)?\s*(晚上?|天|周|星期|礼拜)"
                    rf"|{A}(?:the\s+)?(fortnight|wk|week|month)\s+before(?:\s+that|\s+those|\s+it)?(?!\s+last)"),
    ("range", rf"{A}(?:{_DAY_OF_MONTH}\s+{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH})\s*(?:to|until|till|through|-|–)\s*"
              rf"(?:{_DAY_OF_MONTH}\s+{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH})(?![:\d])"),
    ("since_far", rf"{A}since\b[^.?!]{{0,80}}?(?:{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH}"
                  rf"(?![:\d]))"),
    ("first_weeks", rf"{A}(?:the\s+)?first\s+{_NUM}\s+(weeks?|days?)\s+(?:of|in)\s+{_MONTH_EN}"),
    ("month_part", rf"{A}(?:in\s+|during\s+)?(?:the\s+)?(early|mid|the middle of|late|the end of)[- ]?\s*(?:of\s+)?"
                   rf"{_MONTH_EN}"),
    ("month_part_zh", rf"{_ZH_NUM}\s*月(?:份)?的?(上旬|中旬|下旬|月初|初|月中|月底|底|月末|末)"),
    ("first_weeks_zh", rf"{_ZH_NUM}\s*月(?:份)?的?(?:头|前)\s*{_ZH_NUM}\s*(?:个)?(周|星期|天)"),
    ("last_weekend", words(r"last weekend", r"the weekend just gone", r"past weekend") + r"|上个?周末|上星期六.{0,3}星期天"),
    ("this_weekend", words(r"this weekend") + r"|这个?周末|本周末"),
    ("ever", words(r"ever(?! since)", r"of all time", r"all[- ]time")
     + r"|有史以来|有记录以来|所有记录|全部记录|一直以来"),
    ("this_week", words(r"this wk", r"this week", r"so far this week", r"the week so far") + r"|这周|本周|这个星期|这星期|这一周|这礼拜"),
    ("week_before", words(r"the week before last", r"the prior week") + r"|前一周|上上周|上上个星期|上上礼拜|再前一周"),
    ("month_before", words(r"the month before last") + r"|上上个?月"),
    ("last_week", words(r"last week", r"last wk", r"previous week") + r"|上周|上个星期|上星期|上一周|上礼拜"),
    ("this_month", words(r"this month", r"so far this month") + r"|这个月|本月|这月"),
    ("last_month", words(r"(?<!the )(?<!the past )last month", r"previous month") + r"|上个月|上月"),
    ("this_year", words(r"this year", r"so far this year") + r"|今年"),
    ("last_n", rf"{A}(?:(?:in|over|during|for)\s+)?(?:the\s+)?(?:last|past|previous|recent|trailing|rolling)\s+{_NUM}?\s*"
               r"(nights?|days?|weeks?|wks?|fortnights?|months?|mos?)(?![a-z])"),
    ("bare_n", rf"{A}(\d{{1,3}})\s*(d|days|nights|w|wks?|weeks|mos?|months)(?![a-z])"),
    ("last_n_zh", rf"(?:最近|过去|近|这(?=\s*[\d两俩二三四五六七八九十]))\s*{_ZH_NUM}?\s*(?:个)?\s*(晚上?|天|日|夜|周|星期|礼拜|月)"),
    ("fortnight", words(r"(?:the )?(?:last|past) fortnight") + r"|最近半个月|过去半个月"),
    ("recently", words(r"recently", r"lately", r"these days", r"of late") + r"|最近(?!\s*\d)|近来|近期"),
    ("month", rf"{A}(?:in|during|for|of|over|through(?:out)?|across)\s+{_EN_DATE}|{A}{_MONTH_EN}(?:\s+(\d{{4}}))?{Z}"
              r"(?!\s*\d{1,2}(?:st|nd|rd|th)?\b)"),
    ("month_zh", _ZH_DATE),
))
PERIOD_PATTERNS_BY_NAME = dict(_PERIOD_PATTERNS)
WEEKEND_WORDS = re.compile(words(r"weekends?", r"wkends?", r"w/e", r"days? off", r"free days?") + r"|周末|休息日|双休", re.I)
WEEKDAY_WORDS = re.compile(words(r"weekdays?", r"wkdays?", r"week ?nights?", r"work ?days?", r"work nights?", r"school nights?",
                              r"working days?") + r"|工作日|上班|周一到周五", re.I)


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    if word.isdigit():
        return int(word)
    if word in _ZH_DIGITS:
        return _ZH_DIGITS[word]
    return next(i for i, pattern in enumerate(MONTHS_EN, 1) if re.fullmatch(pattern, word))


def _latest(month: int, day: int, year: int | None, today: date) -> date | None:
    """The date (in `year`, or the latest such date not after today)."""
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def _en_date(groups: tuple[str | None, ...], today: date) -> tuple[date, bool] | None:
    """A date from _EN_DATE's groups (day month | month day | ISO | month [year]); True: a whole month was named."""
    d1, m1, m2, d2, iso_y, iso_m, iso_d, m3, y3 = groups
    if iso_y:
        try:
            return date(int(iso_y), int(iso_m), int(iso_d)), False
        except ValueError:
            return None
    if m1:
        found = _latest(_month_number(m1), int(d1), None, today)
    elif m2:
        found = _latest(_month_number(m2), int(d2), None, today)
    else:
        found = _latest(_month_number(m3), 1, int(y3) if y3 else None, today)
        return (found, True) if found else None
    return (found, False) if found else None


def _zh_date(groups: tuple[str | None, ...], today: date) -> tuple[date, bool] | None:
    year, month, day = groups
    number = _month_number(month)
    if not 1 <= number <= 12:
        return None
    found = _latest(number, int(day) if day else 1, int(year) if year else None, today)
    return (found, day is None) if found else None


def _count(word: str | None) -> int:
    if not word:
        return 1
    word = word.lower()
    return int(word) if word.isdigit() else _EN_NUMBERS.get(word) or _ZH_DIGITS.get(word) or int(cn2an.cn2an(word, "smart"))


def _months_back(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, 28)
    return date(year, month + 1, day) + timedelta(days=1)


def _period(name: str, match: re.Match[str], today: date) -> Period | None:
    g = match.groups()
    if name == "range":
        first = _en_date(g[0:4] + (None,) * 5, today)
        second = _en_date(g[4:8] + (None,) * 5, today)
        if not first or not second:
            return None
        start, end = first[0], second[0]
        if start > end:
            start = start.replace(year=start.year - 1)
        return Period(kind=PeriodKind.BETWEEN, start=start, end=min(end, today))
    if name in ("between", "between_zh"):
        half = len(g) // 2
        read = _en_date if name == "between" else _zh_date
        first, second = read(g[:half], today), read(g[half:], today)
        if not first or not second:
            return None
        end = second[0]
        if second[1]:  # "from September to October": to the end of October
            end = (end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        start = first[0]
        if start > end:
            start = start.replace(year=start.year - 1)
        return Period(kind=PeriodKind.BETWEEN, start=start, end=min(end, today))
    if name == "days_zh_in_month":  # "23号到29号": in the latest month that has had those days
        first, last = int(g[0]), int(g[1])
        month_start = today.replace(day=1) if last <= today.day else (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        try:
            start, end = month_start.replace(day=first), month_start.replace(day=last)
        except ValueError:
            return None
        return Period(kind=PeriodKind.BETWEEN, start=start, end=end) if start <= end else None
    if name in ("days", "days_zh", "days_bare"):
        if name == "days_zh":
            month, first, last = _month_number(g[0]), int(g[1]), int(g[2])
        elif g[0] is not None:
            first, last, month = int(g[0]), int(g[1]), _month_number(g[2])
        else:
            month, first, last = _month_number(g[3]), int(g[4]), int(g[5])
        start, end = _latest(month, first, None, today), _latest(month, last, None, today)
        if start is None or end is None or start > end:
            return None
        return Period(kind=PeriodKind.BETWEEN, start=start, end=end)
    if name == "since_far":
        found = _en_date((g[0], g[1], g[2], g[3]) + (None,) * 5, today)
        return Period(kind=PeriodKind.SINCE, start=found[0]) if found else None
    if name in ("first_weeks", "first_weeks_zh"):
        if name == "first_weeks":
            count, unit, month = _count(g[0]), g[1].lower().rstrip("s"), _month_number(g[2])
        else:
            month, count, unit = _month_number(g[0]), _count(g[1]), g[2]
        days = count * (1 if unit in ("day", "天") else 7)
        start = _latest(month, 1, None, today)
        return Period(kind=PeriodKind.BETWEEN, start=start, end=min(start + timedelta(days=days - 1), today))
    if name in ("last_weekend", "this_weekend"):
        saturday = today - timedelta(days=today.weekday() - 5 + (7 if name == "last_weekend" else 0))
        return Period(kind=PeriodKind.BETWEEN, start=saturday, end=min(saturday + timedelta(days=1), today))
    if name in ("since_part", "since_part_zh"):
        part, month = (g[1], g[0]) if name == "since_part_zh" else (g[0].lower(), g[1])
        day = 1 if part in ("初", "early") else 21 if part in ("下旬", "late") else 15 if part in (
            "中", "中旬", "mid", "the middle of") else None
        start = _latest(_month_number(month), day, None, today) if day else None
        if day is None:  # "since the end of September", "9月底以来"
            first = _latest(_month_number(month), 1, None, today)
            start = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) if first else None
        return Period(kind=PeriodKind.SINCE, start=start) if start else None
    if name in ("month_part", "month_part_zh"):
        part, month = (g[1], g[0]) if name == "month_part_zh" else (g[0].lower(), g[1])
        first = _latest(_month_number(month), 1, None, today)
        if first is None:
            return None
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        start, end = {"early": (1, 10), "上旬": (1, 10), "初": (1, 10), "月初": (1, 10), "mid": (11, 20),
                      "the middle of": (11, 20), "中旬": (11, 20), "月中": (11, 20)}.get(part, (21, last.day))
        return Period(kind=PeriodKind.BETWEEN, start=first.replace(day=start), end=min(first.replace(day=end), today))
    if name == "same_period_last_month":
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        end = first.replace(day=min(today.day, ((first.replace(day=28) + timedelta(days=4)).replace(day=1)
                                                 - timedelta(days=1)).day))
        return Period(kind=PeriodKind.BETWEEN, start=first, end=end)
    if name == "month_before":
        start = ((today.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)).replace(day=1)
        return Period(kind=PeriodKind.MONTH, month=start.month, year=start.year)
    if name == "since_weekday":
        said = (g[0] or "").lower()
        weekday = next((i for i, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun")) if said.startswith(w)),
                       None) if said else (_WEEKDAY_ZH.index(g[1]) if g[1] in _WEEKDAY_ZH else 6)
        return Period(kind=PeriodKind.SINCE, start=today - timedelta(days=(today.weekday() - weekday) % 7))
    if name == "before_that":
        if g[4]:  # "the fortnight before"
            count, unit = {"fortnight": (14, "day"), "month": (30, "day")}.get(g[4].lower(), (1, "week"))
        else:
            count, unit = (_count(g[0]), g[1]) if g[1] else (_count(g[2]), g[3])
        days = count * (7 if unit.lower().startswith(("week", "wk", "周", "星期", "礼拜")) else 1)
        return Period(kind=PeriodKind.BETWEEN, start=today - timedelta(days=2 * days - 1), end=today - timedelta(days=days))
    if name in ("since", "since_zh"):
        found = (_en_date if name == "since" else _zh_date)(g, today)
        return Period(kind=PeriodKind.SINCE, start=found[0]) if found else None
    if name == "bare_n":  # "avg 2wks", "median 30d": the last so many
        g = (g[0], {"d": "day", "w": "week"}.get(g[1].lower(), g[1]))
        name = "last_n"
    if name in ("last_n", "last_n_zh"):
        count, unit = _count(g[0]), g[1].lower().rstrip("s")
        if g[0] is None and unit in ("night", "day", "晚", "晚上", "天", "夜"):
            return None  # "last night" is not a period
        if unit.startswith("fortnight"):
            unit = "fortnight"
        days = _UNIT_DAYS.get(unit, _UNIT_DAYS.get(unit[:1], 1))
        if days == 0:  # months: back to the same day that many months ago
            return Period(kind=PeriodKind.SINCE, start=_months_back(today, count))
        return Period(kind=PeriodKind.LAST_NIGHTS, nights=count * days)
    if name in ("month", "month_zh"):
        if name == "month":
            found = _en_date(g[:9], today) if any(g[:9]) else None
            if found is None:
                month, year = g[-2], g[-1]
                if month.lower() == "may" and not year:
                    return None  # "may" alone is a verb
                return Period(kind=PeriodKind.MONTH, month=_month_number(month), year=int(year) if year else None)
            day, whole = found
            if not whole:
                return None  # a single day is not a period
            return Period(kind=PeriodKind.MONTH, month=day.month, year=day.year if g[8] else None)
        found = _zh_date(g, today)
        if found is None or not found[1]:
            return None
        return Period(kind=PeriodKind.MONTH, month=found[0].month, year=int(g[0]) if g[0] else None)
    fixed = {"this_week": Period(kind=PeriodKind.THIS_WEEK), "last_week": Period(kind=PeriodKind.LAST_WEEK),
             "this_month": Period(kind=PeriodKind.THIS_MONTH), "last_month": Period(kind=PeriodKind.LAST_MONTH),
             "this_year": Period(kind=PeriodKind.SINCE, start=date(today.year, 1, 1)),
             "fortnight": Period(kind=PeriodKind.LAST_NIGHTS, nights=14),
             "week_before": Period(kind=PeriodKind.BETWEEN, start=today - timedelta(days=today.weekday() + 14),
                                   end=today - timedelta(days=today.weekday() + 8)),
             "recently": Period(kind=PeriodKind.LAST_NIGHTS, nights=RECENT_NIGHTS), "ever": Period(kind=PeriodKind.ALL)}
    return fixed[name]


_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
             "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
_ORDINAL_OF = re.compile(rf"{A}((?:twenty|thirty)[- ])?({'|'.join(_ORDINALS)})(?=\s+of\s+{_MONTH_EN})", re.I)
_ZH_DAY = re.compile(r"(?<=月)\s*([一二两三四五六七八九十]{1,3})(?=\s*[日号])")


def spell_out_dates(text: str) -> str:
    """Days of the month said in words, in digits: "the first of July" -> "the 1 of July", "七月一日" -> "七月1日"."""
    def ordinal(match: re.Match[str]) -> str:
        tens = {"twenty": 20, "thirty": 30}.get((match.group(1) or "").strip(" -").lower(), 0)
        return str(tens + _ORDINALS.index(match.group(2).lower()) + 1)

    text = _ORDINAL_OF.sub(ordinal, text)
    return _ZH_DAY.sub(lambda m: str(int(cn2an.cn2an(m.group(1), "smart"))), text)


_SINCE_THEN = re.compile(words(r"since then", r"since that (?:day|date)", r"after that", r"ever since")
                         + r"|从那以后|从那时起|那之后|从那天起|自那以后|之后", re.I)
_DATED = re.compile(rf"{A}(?:on|from)\s+(?:the\s+)?(?:{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH})"
                    rf"|(?:在|从|于)?{_ZH_NUM}\s*月\s*(\d{{1,2}})\s*[日号]", re.I)


def dated_since(text: str, today: date) -> Period | None:
    """"I started X on 1 November ... since then": the period since that date."""
    if not _SINCE_THEN.search(text) or not (match := _DATED.search(text)):
        return None
    g = match.groups()
    found = _en_date(g[0:4] + (None,) * 5, today) if any(g[0:4]) else _zh_date((None, g[4], g[5]), today)
    return Period(kind=PeriodKind.SINCE, start=found[0]) if found else None


def before(period: Period, first: Period, today: date) -> Period:
    """A period said as "the two weeks before": the same length, ending the day before `first` starts."""
    start = date_range(first, today)[0]
    length = (period.end - period.start).days + 1
    return Period(kind=PeriodKind.BETWEEN, start=start - timedelta(days=length), end=start - timedelta(days=1))


def read_periods(text: str, today: date) -> list[tuple[str, Period]]:
    """The periods the text names, with the name of the phrase that said each, in order, none inside another."""
    found: list[tuple[int, int, tuple[str, Period]]] = []
    for name, pattern in _PERIOD_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e or s < match.end() <= e for s, e, _ in found):
                continue
            period = _period(name, match, today)
            if period is not None:
                found.append((match.start(), match.end(), (name, period)))
    return [named for _, _, named in sorted(found, key=lambda f: f[0])]
