"""Reading a question about the user's history into a `Plan`, by rules, in English and Chinese: which
measure, how it is summed up (average, extremes, a count under or over a threshold, spread, trend), over which
nights (last N, this or last week or month, a named month, since or between dates, weekdays or weekends),
and against what (another period, weekdays against weekends, nights after a logged habit).

`read_plan` returns None for a question that is not about the user's history (last night, or a general
question); the model may still read it (see `planner`). English words match whole words; Chinese as text.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import cn2an

from sleepcot.analysis.history import (
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
from sleepcot.coach.guard.figures import numbers_in_digits, read_figures
from sleepcot.domain import TagKind, Unit
from sleepcot.tagging import mentioned_kinds

A = r"(?<![a-z0-9])"  # an English word starts here (Chinese characters may touch it)
Z = r"(?![a-z0-9])"


def _words(*phrases: str) -> str:
    return "|".join(f"{A}(?:{p}){Z}" if re.match(r"[a-z\\(]", p) else f"(?:{p})" for p in phrases)


# --- who and when it is about -------------------------------------------------------------------------------
_PERSONAL = re.compile(_words(r"my", r"me", r"i", r"i'm", r"i've", r"i'd", r"mine", r"myself", r"we", r"our")
                       + r"|我|俺", re.I)
_LAST_NIGHT = re.compile(_words(r"last night", r"yesterday", r"tonight", r"this morning", r"today")
                         + r"|昨晚|昨天|昨夜|今晚|今天早上|今早", re.I)

# --- what is measured: the most specific phrase wins, then the earliest ---------------------------------------
_MEASURE_WORDS: tuple[tuple[Measure, str], ...] = (
    (Measure.NAP, _words(r"naps?", r"napping", r"napped", r"siestas?") + r"|午睡|小睡|打盹|午觉"),
    (Measure.SLEEP_DEBT, _words(r"sleep debt", r"sleep deficit", r"debt", r"behind on sleep", r"miss(?:ed)? out on",
                                r"(?:sleep )?(?:i(?:'ve)? )?missed", r"short of what i need", r"against what i need",
                                r"(?:compared )?(?:to|with) what i need", r"than i need",
                                r"short of (?:the )?(?:sleep )?(?:that )?(?:what )?i need")
     + r"|睡眠债|睡眠负债|欠.{0,3}觉|缺.{0,3}觉|欠.{0,4}睡眠|少睡了?多少|和我需要的睡眠相比|比需要的少|比我需要的睡眠少"),
    (Measure.MIDSLEEP, _words(r"mid-?sleep", r"mid-?point of (?:my )?sleep", r"sleep mid-?point", r"middle of my sleep")
     + r"|睡眠中点|睡眠中间点|中间点"),
    (Measure.TIME_IN_BED, _words(r"time in bed", r"in bed for", r"spend in bed", r"spent in bed", r"lying in bed",
                                 r"(?:am|was|were|are|do|did) i (?:\w+ )?in bed", r"stay(?:ed)? in bed")
     + r"|卧床|在床上"),
    (Measure.HRV, _words(r"hrv", r"heart rate variability", r"rmssd") + r"|心率变异"),
    (Measure.LOWEST_HEART_RATE, _words(r"resting heart rate", r"resting hr", r"rhr", r"lowest heart rate",
                                       r"minimum heart rate", r"resting pulse", r"(?:overnight |nightly )?low heart rate",
                                       r"overnight low", r"nightly low", r"low hr")
     + r"|静息心率|最低心率|夜间最低心率"),
    (Measure.HEART_RATE, _words(r"heart rate", r"heart-rate", r"pulse", r"hr", r"bpm") + r"|心率|脉搏"),
    (Measure.BREATHING, _words(r"breathing rate", r"respiratory rate", r"respiration(?: rate)?", r"breaths?",
                               r"breathing") + r"|呼吸频率|呼吸率|呼吸"),
    (Measure.LOWEST_SPO2, _words(r"(?:lowest|minimum|min) (?:blood )?(?:oxygen|spo2|o2|saturation)",
                                 r"(?:blood )?(?:oxygen|spo2|o2) (?:drop|dip|fall|fell|dropped|dipped|go|went|get|got)\w*")
     + r"|最低血氧|血氧.{0,3}(?:最低|掉|降|跌)"),
    (Measure.SPO2, _words(r"spo2", r"blood oxygen", r"oxygen(?: saturation| level)?", r"o2", r"saturation")
     + r"|血氧"),
    (Measure.TEMPERATURE, _words(r"(?:skin |body )?temperature", r"temp") + r"|体温|皮肤温度|温度"),
    (Measure.SCORE, _words(r"(?:sleep )?scores?") + r"|睡眠评分|睡眠得分|睡眠分|评分|得分|分数"),
    (Measure.QUALITY, _words(r"(?:worst|best|poorest|greatest|roughest|bad|good) nights?(?: of sleep)?",
                             r"(?:slept|sleep) (?:the )?(?:worst|best)")
     + r"|睡得最(?:差|好|糟)|最(?:差|好|糟)的一?晚"),
    (Measure.EFFICIENCY, _words(r"efficien(?:cy|t)") + r"|效率"),
    (Measure.DEEP, _words(r"deep(?: sleep)?", r"slow[- ]wave(?: sleep)?", r"n3") + r"|深睡|深度睡眠"),
    (Measure.REM, _words(r"rem(?: sleep)?", r"dream(?:ing)? sleep") + r"|快速眼动|眼动睡眠"),
    (Measure.LIGHT, _words(r"light sleep", r"light") + r"|浅睡|浅度睡眠"),
    (Measure.AWAKENINGS, _words(r"awakenings", r"wake-?ups", r"times (?:do |did )?i (?:wake|woke)(?: up)?",
                                r"often (?:do |did )?i (?:wake|woke)(?: up)?", r"wake up (?:during|in) the night",
                                r"times (?:a|per|in one|in a) night (?:do |did )?i (?:wake|woke)(?: up)?",
                                r"times i(?:'ve| have)? (?:woken|woke|wake)(?: up)?",
                                r"(?:wake|woke|woken)(?: up)? (?:more|fewer|less|over|under) than \d+ times",
                                r"(?:wake|woke|woken)(?: up)? \d+ (?:or (?:more|fewer|less) )?times",
                                r"\d+ (?:or (?:more|fewer|less) )?times a night")
     + r"|醒几次|醒了几次|夜醒次数|醒来次数|觉醒次数|醒来几次|醒.{0,4}次"),
    (Measure.LATENCY, _words(r"(?:to |take me to |takes me to |took me to )?fall(?:ing)? asleep",
                             r"(?:to )?get to sleep", r"nod off", r"(?:sleep )?latency", r"sleep onset")
     + r"|入睡用时|入睡时长|入睡潜伏|入睡所需|入睡需要|入睡.{0,6}[快慢]|[快慢].{0,2}入睡|难入睡|更难入睡|入睡困难"
       r"|多久.{0,3}睡着|多久.{0,2}入睡|入睡.{0,4}多久|入睡.{0,4}多长|才睡着|睡着.{0,4}[快慢]"),
    (Measure.AWAKE, _words(r"awake(?: time)?", r"time awake", r"waso", r"wake after sleep onset", r"lie awake",
                           r"lying awake") + r"|清醒|醒着"),
    (Measure.BEDTIME, _words(r"bed ?times?", r"(?:sleep )?schedule", r"go to (?:bed|sleep)", r"went to (?:bed|sleep)",
                             r"going to (?:bed|sleep)", r"gone to (?:bed|sleep)", r"got into bed", r"get into bed",
                             r"get to bed", r"got to bed", r"turn in", r"lights out", r"hit the (?:sack|hay)",
                             r"fall asleep at", r"fell asleep at", r"asleep by", r"(?:what|which) time (?:do|did) i (?:fall|get) asleep")
     + r"|几点.{0,2}睡|几点上床|几点入睡|上(?:的)?床|就寝|入睡时间|睡觉时间|熄灯|(?<![每几这那一两三四五六七八九十多少\d])[晚早]睡(?!眠)|才睡(?!着)|过了午夜.{0,2}睡"),
    (Measure.WAKE, _words(r"wake(?:-up| up)? times?", r"(?:do|did) i (?:usually |normally |typically )?(?:wake|get) up",
                          r"woke up", r"woken(?: up)?", r"get up", r"got up", r"getting up", r"waking(?: up)?", r"wake up",
                          r"rise", r"up in the morning")
     + r"|几点.{0,2}起|几点.{0,2}醒|起床|起得|起来|醒来时间|晚起|早起|才醒|就醒|醒的|醒得|越醒越"),
    (Measure.TOTAL_SLEEP, _words(r"sleep(?:ing)?", r"slept", r"how long", r"hours", r"sleep duration", r"rest")
     + r"|睡了多久|睡多久|睡眠时长|睡眠时间|睡了几个小时|睡眠|睡得|睡了|睡"),
)
_MEASURE_PATTERNS = [(measure, re.compile(words, re.I)) for measure, words in _MEASURE_WORDS]


_HOW_LONG = re.compile(_words(r"how long", r"how much sleep", r"hours") + r"|多久|几个小时|时长|多少小时", re.I)


def _measure(text: str) -> Measure | None:
    """The measure named: the longest phrase where phrases overlap; a night's quality ("my worst night") only if
    no measure is named, total sleep only if nothing else is (or it is asked in so many words: "how long")."""
    hits = sorted((m.start(), -(m.end() - m.start()), order, measure)
                  for order, (measure, pattern) in enumerate(_MEASURE_PATTERNS) for m in pattern.finditer(text))
    chosen, covered = [], -1
    for start, negative_length, _, measure in hits:
        if start < covered:
            continue
        covered = start - negative_length
        chosen.append(measure)
    if any(measure is Measure.AWAKENINGS for *_, measure in hits):
        return Measure.AWAKENINGS  # "did I wake up more than 7 times": times decide it, whatever phrase holds them
    specific = [m for m in chosen if m not in (Measure.TOTAL_SLEEP, Measure.QUALITY)]
    if specific:
        return specific[0]
    if Measure.QUALITY in chosen and not _HOW_LONG.search(text):
        return Measure.QUALITY
    return Measure.TOTAL_SLEEP if chosen else None


# Measure names that hold a word of summing up: "total sleep" is not a total, "lowest heart rate" not a minimum.
_NAMED = re.compile(_words(r"total sleep(?: time| duration)?", r"(?:lowest|minimum|min) (?:heart rate|hr|pulse|"
                           r"blood oxygen|oxygen|spo2|o2|saturation)", r"resting heart rate", r"heart rate variability")
                    + r"|最低心率|最低血氧|总睡眠|静息心率|心率变异性?", re.I)
_AVERAGE_OF = re.compile(_words(r"average (?:blood )?(?:oxygen|spo2|heart rate|hr)", r"overnight average") + r"|平均血氧|平均心率",
                         re.I)
# A night's lowest heart rate or SpO2 asked about at its lowest is the lowest of those minimums.
_AT_ITS_LOWEST = {Measure.HEART_RATE: Measure.LOWEST_HEART_RATE, Measure.SPO2: Measure.LOWEST_SPO2}
_OF_THE_AVERAGE = {lowest: average for average, lowest in _AT_ITS_LOWEST.items()}


# --- how it is summed up --------------------------------------------------------------------------------------
_LOWEST = re.compile(_words(r"lowest", r"least", r"shortest", r"minimum", r"fewest", r"smallest", r"earliest",
                            r"min", r"quickest", r"fastest") + r"|最低|最少|最短|最早|最小|最快", re.I)
_HIGHEST = re.compile(_words(r"highest", r"most", r"longest", r"maximum", r"largest", r"biggest", r"latest",
                             r"max", r"peak", r"slowest") + r"|最高|最多|最长|最晚|最大|最迟|最久|最慢", re.I)
_HOW_LOW = re.compile(_words(r"how low", r"how high", r"how late", r"how early", r"dropped", r"went down to")
                      + r"|最低到|最高到|低到|降到", re.I)
_WORST = re.compile(_words(r"worst", r"poorest", r"bad(?:dest)?") + r"|最差|最糟|最不好|最坏", re.I)
_BEST = re.compile(_words(r"best", r"greatest") + r"|最好|最佳|最棒", re.I)
_TOTAL = re.compile(_words(r"total", r"in total", r"altogether", r"combined", r"sum", r"add up", r"added up",
                           r"cumulative(?:ly)?", r"overall amount") + r"|总共|一共|合计|累计|总计|加起来", re.I)
_SPREAD = re.compile(_words(r"vary", r"varies", r"varied", r"variation", r"variance", r"consistent", r"consistency",
                            r"inconsistent", r"regular", r"irregular", r"standard deviation", r"spread", r"fluctuat\w*",
                            r"stable", r"steady", r"variable", r"shift(?:s|ed|ing)? around", r"jump(?:s|ed|ing)? around",
                            r"swing(?:s|ing)?", r"all over the place", r"from night to night", r"night-to-night",
                            r"bounc\w*", r"std\.? ?dev\w*", r"sd")
                     + r"|波动|稳定|规律|标准差|差异多大|变化多大|起伏|忽高忽低|忽早忽晚|前后差|差得?有多大", re.I)
_TREND = re.compile(_words(r"trend(?:s|ing)?", r"chang(?:ed|ing)", r"change over", r"improv(?:ed|ing)",
                           r"getting (?:any )?(?:better|worse|longer|shorter|earlier|later|higher|lower|quicker|faster|slower)",
                           r"drift(?:s|ed|ing)?", r"creep(?:s|ing)?", r"moving (?:later|earlier|up|down)",
                           r"over time", r"rising", r"falling(?! asleep)", r"climbing", r"dropping", r"up or down", r"down or up",
                           r"going (?:up|down)", r"evolv\w*", r"progress\w*", r"declin\w*", r"increas(?:ed|ing)",
                           r"decreas(?:ed|ing)")
                     + r"|趋势|变化|变了|改善|好转|变差|越来越|走势|进步|上升|下降|增加|减少|变长|变短|变快|变慢|缩短|延长"
                       r"|提高|降低|在变|推迟|提前|往上走|往下走|往上|往下|走高|走低|越.{1,3}越|(\w+er) and \1", re.I)
_MEDIAN = re.compile(_words(r"median") + r"|中位数", re.I)
_MEAN = re.compile(_words(r"averag(?:e|ed|es|ing)", r"avg", r"mean", r"typical(?:ly)?", r"usual(?:ly)?", r"normal(?:ly)?",
                          r"on a typical night", r"per night", r"a night", r"generally", r"tend to")
                   + r"|平均|一般|通常|平时|每晚", re.I)
_COUNT = re.compile(_words(r"how many (?:\w+ )?(?:nights|days|times|naps|mornings|evenings)", r"how often", r"number of (?:nights|days|naps)",
                           r"count")
                    + r"|几个晚上|几晚|多少个?晚上?|几天|多少天|几次|多少次|次数", re.I)

# --- a threshold ----------------------------------------------------------------------------------------------
# Words that put a figure's nights under or over it; the first pair's values count themselves ("at least 7 h").
_BELOW_OR_EQUAL = re.compile(_words(r"at most", r"or less", r"or fewer", r"no more than", r"or under", r"or earlier",
                                    r"or lower", r"or below", r"or worse")
                             + r"|不超过|最多|以下|或以下|或更少|以内", re.I)
_ABOVE_OR_EQUAL = re.compile(_words(r"at least", r"or more", r"no less than", r"or over", r"or later", r"or longer",
                                    r"or better", r"or higher", r"or above", r"hit", r"hitting", r"reach(?:ed|ing)?",
                                    r"manage(?:d)? (?:to get )?", r"got", r"get")
                             + r"|不少于|至少|以上|或以上|或更多|睡够了?|够了|达到|满", re.I)
_BELOW = re.compile(_words(r"under", r"less than", r"below", r"fewer than", r"shorter than", r"lower than", r"before",
                           r"earlier than", r"not even", r"short of", r"<")
                    + r"|不到|少于|低于|不足|没到|没有达到|早于|之前|以前|前|掉到|降到|跌到", re.I)
_ABOVE = re.compile(_words(r"over", r"more than", r"above", r"longer than", r"higher than", r"after", r"later than",
                           r"past", r"beyond", r"exceed\w*", r">")
                    + r"|超过|多于|高于|晚于|之后|以后|后|过了|高出|多出", re.I)
_PERIOD_NUMBER = re.compile(r"\d+\s*(?:nights?|days?|weeks?|wks?|months?|mos?|晚|天|周|个?月|个?星期|[日号])", re.I)
_MIDNIGHT = re.compile(_words(r"midnight") + r"|午夜|半夜12点|凌晨(?:0|12)点", re.I)
_SHORT_NIGHTS = re.compile(_words(r"short nights?", r"not enough sleep", r"too little sleep", r"under-?slept",
                                  r"enough sleep")
                           + r"|睡眠不足|没睡够|睡不够|睡够", re.I)

# --- periods ----------------------------------------------------------------------------------------------------
_MONTHS_EN = ("jan(?:uary)?", "feb(?:ruary)?", "mar(?:ch)?", "apr(?:il)?", "may", "june?", "july?", "aug(?:ust)?",
              "sep(?:t(?:ember)?)?", "oct(?:ober)?", "nov(?:ember)?", "dec(?:ember)?")
_MONTH_EN = "(" + "|".join(_MONTHS_EN) + r")\.?"
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "十一": 11, "十二": 12}
_ZH_NUM = r"(\d{1,4}|十[一二]?|[一二两三四五六七八九十])"
_NUM = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|couple of|few)"
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
               "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2, "few": 3}
_UNIT_DAYS = {"night": 1, "day": 1, "week": 7, "wk": 7, "fortnight": 14, "month": 0, "mo": 0, "晚": 1, "天": 1, "日": 1, "夜": 1,
              "周": 7, "星期": 7, "礼拜": 7, "月": 0}
_DAY_OF_MONTH = r"(\d{1,2})(?:st|nd|rd|th)?"
_EN_DATE = (rf"(?:{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH}(?![:\d])|(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})"
            rf"|{_MONTH_EN}(?:\s+(\d{{4}}))?)")
_ZH_DATE = rf"(?:(\d{{4}})\s*年\s*)?{_ZH_NUM}\s*月(?:份)?(?:\s*(\d{{1,2}})\s*[日号])?"

_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern, re.I)) for name, pattern in (
    ("between", rf"{A}(?:between|from)\s+{_EN_DATE}\s+(?:and|to|until|till|through|-|–)\s+{_EN_DATE}"),
    ("between_zh", rf"(?:从|自|在)?\s*{_ZH_DATE}\s*(?:到|至|-|–|~)\s*{_ZH_DATE}"),
    ("days", rf"{A}(?:between|from)\s+(?:the\s+)?{_DAY_OF_MONTH}\s+(?:and|to|until|till|through|-|–)\s+(?:the\s+)?"
             rf"{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{A}{_MONTH_EN}\s+{_DAY_OF_MONTH}\s*(?:-|–|to|until|through)\s*"
             rf"{_DAY_OF_MONTH}{Z}"),
    ("days_zh", rf"{_ZH_NUM}\s*月\s*(\d{{1,2}})\s*[日号]?\s*(?:到|至|-|–|~)\s*(\d{{1,2}})\s*[日号]"),
    ("since", rf"{A}(?:since|from|starting|beginning|after)\s+(?:the\s+)?(?:start\s+of\s+|beginning\s+of\s+)?{_EN_DATE}"),
    ("since_zh", rf"(?:自从?|从)?\s*{_ZH_DATE}\s*(?:以来|开始|起|至今|到现在|之后)"),
    ("range", rf"{A}(?:{_DAY_OF_MONTH}\s+{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH})\s*(?:to|until|till|through|-|–)\s*"
              rf"(?:{_DAY_OF_MONTH}\s+{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH})(?![:\d])"),
    ("since_far", rf"{A}since\b[^.?!]{{0,80}}?(?:{_DAY_OF_MONTH}\s+(?:of\s+)?{_MONTH_EN}|{_MONTH_EN}\s+{_DAY_OF_MONTH}"
                  rf"(?![:\d]))"),
    ("first_weeks", rf"{A}(?:the\s+)?first\s+{_NUM}\s+(weeks?|days?)\s+(?:of|in)\s+{_MONTH_EN}"),
    ("first_weeks_zh", rf"{_ZH_NUM}\s*月(?:份)?的?(?:头|前)\s*{_ZH_NUM}\s*(?:个)?(周|星期|天)"),
    ("last_weekend", _words(r"last weekend", r"the weekend just gone", r"past weekend") + r"|上个?周末|上星期六.{0,3}星期天"),
    ("this_weekend", _words(r"this weekend") + r"|这个?周末|本周末"),
    ("ever", _words(r"ever(?! since)", r"of all time", r"all[- ]time", r"since i started", r"since the start")
     + r"|有史以来|有记录以来|所有记录|全部记录|一直以来"),
    ("this_week", _words(r"this week", r"so far this week", r"the week so far") + r"|这周|本周|这个星期|这星期|这一周|这礼拜"),
    ("week_before", _words(r"the week before(?: last| that)?", r"the prior week") + r"|前一周|上上周|上上个星期|再前一周"),
    ("last_week", _words(r"last week", r"previous week") + r"|上周|上个星期|上星期|上一周|上礼拜"),
    ("this_month", _words(r"this month", r"so far this month") + r"|这个月|本月|这月"),
    ("last_month", _words(r"(?<!the )(?<!the past )last month", r"previous month", r"the month before") + r"|上个月|上月"),
    ("this_year", _words(r"this year", r"so far this year") + r"|今年"),
    ("last_n", rf"{A}(?:(?:in|over|during|for)\s+)?(?:the\s+)?(?:last|past|previous|recent)\s+{_NUM}?\s*"
               r"(nights?|days?|weeks?|wks?|fortnights?|months?|mos?)(?![a-z])"),
    ("last_n_zh", rf"(?:最近|过去|近)\s*{_ZH_NUM}?\s*(?:个)?\s*(晚上?|天|日|夜|周|星期|礼拜|月)"),
    ("fortnight", _words(r"(?:the )?(?:last|past) fortnight") + r"|最近半个月|过去半个月"),
    ("recently", _words(r"recently", r"lately", r"these days", r"of late") + r"|最近|近来|近期"),
    ("month", rf"{A}(?:in|during|for|of|over|through(?:out)?|across)\s+{_EN_DATE}|{A}{_MONTH_EN}(?:\s+(\d{{4}}))?{Z}"
              r"(?!\s*\d{1,2}(?:st|nd|rd|th)?\b)"),
    ("month_zh", _ZH_DATE),
))
_PERIOD_PATTERNS_BY_NAME = dict(_PERIOD_PATTERNS)
_WEEKENDS = re.compile(_words(r"weekends?", r"days? off", r"free days?") + r"|周末|休息日|双休", re.I)
_WEEKDAYS = re.compile(_words(r"weekdays?", r"week ?nights?", r"work ?days?", r"work nights?", r"school nights?",
                              r"working days?") + r"|工作日|上班|周一到周五", re.I)
_USUAL = re.compile(_words(r"usual", r"normal", r"average", r"my baseline", r"typical") + r"|平时|平常|往常|通常", re.I)
_COMPARE = re.compile(_words(r"compared?(?: with| to)?", r"vs\.?", r"versus", r"than", r"against", r"differ\w*",
                             r"relative to", r"longer", r"shorter", r"more", r"less", r"later", r"earlier", r"better",
                             r"worse", r"higher", r"lower")
                      + r"|比|相比|对比|和.{0,8}比|跟.{0,8}比|差别|区别|不同|更", re.I)
_EFFECT = re.compile(_words(r"affects?", r"affected", r"effects?", r"impacts?", r"hurts?", r"harms?", r"helps?",
                            r"improves?", r"influences?", r"changes?", r"makes?", r"after", r"when i", r"on nights",
                            r"nights? (?:with|after|when|i|that)", r"(?:on )?days? (?:i|when|that|with|after)", r"does",
                            r"do", r"worse", r"better", r"ruin\w*", r"mess\w*", r"cut(?:s|ting)? into", r"pull\w*",
                            r"lower", r"higher", r"more", r"less", r"longer", r"shorter", r"later", r"earlier",
                            r"on \w+ nights", r"vs\.?", r"versus", r"compared", r"difference")
                     + r"|影响|之后|以后|后|会不会|会让|让|使|对.{0,6}(?:有|好|坏)|的晚上|的日子|那天|那晚|当天|时候|会更|更多"
                       r"|更少|更高|更低|更差|更好|更晚|更早|更难|更久|更快|更慢|多一些|少一些|多少|是不是|第二天|会[升降增减]", re.I)
# Habits said in words the logging keywords do not cover (they read statements, these read questions).
_HABIT_WORDS = {
    TagKind.ALCOHOL: re.compile(_words(r"drink(?:ing|s)?", r"drank", r"booze", r"alcoholic")
                                + r"|喝酒|饮酒|喝了酒|喝了?几杯|喝了?一?杯酒", re.I),
    TagKind.WORKOUT: re.compile(_words(r"work(?:ing)? ?outs?", r"exercis\w*", r"train(?:ing)? days?") + r"|锻炼|运动|健身",
                                re.I),
    TagKind.LATE_MEAL: re.compile(_words(r"late (?:meals?|dinners?|suppers?|snacks?)", r"eat(?:ing)? late", r"ate late")
                                  + r"|吃得晚|晚饭吃得晚|晚餐吃得晚|宵夜|夜宵", re.I),
    TagKind.SCREEN: re.compile(_words(r"screens?(?: time)?", r"phone") + r"|看屏幕|玩手机|刷手机", re.I),
}
_LATE_WORKOUT = re.compile(_words(r"late", r"evening", r"night(?:time)? (?:workouts?|runs?|exercise|training)")
                           + r"|晚间|夜跑|晚上.{0,2}(?:运动|锻炼|健身|跑)", re.I)
# A habit's nights: "exercise" counts a late workout too.
_HABIT_KINDS = {TagKind.WORKOUT: (TagKind.WORKOUT, TagKind.LATE_WORKOUT)}


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    if word.isdigit():
        return int(word)
    if word in _ZH_DIGITS:
        return _ZH_DIGITS[word]
    return next(i for i, pattern in enumerate(_MONTHS_EN, 1) if re.fullmatch(pattern, word))


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
    if name in ("days", "days_zh"):
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
    if name in ("since", "since_zh"):
        found = (_en_date if name == "since" else _zh_date)(g, today)
        return Period(kind=PeriodKind.SINCE, start=found[0]) if found else None
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
             "recently": Period(kind=PeriodKind.LAST_NIGHTS, nights=14), "ever": Period(kind=PeriodKind.ALL)}
    return fixed[name]


def _periods(text: str, today: date) -> list[Period]:
    """The periods the text names, in order, none inside another."""
    found: list[tuple[int, int, Period]] = []
    for name, pattern in _PERIOD_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e or s < match.end() <= e for s, e, _ in found):
                continue
            period = _period(name, match, today)
            if period is not None:
                found.append((match.start(), match.end(), period))
    return [period for _, _, period in sorted(found, key=lambda f: f[0])]


# --- the pieces together -----------------------------------------------------------------------------------------
_CUES = ((_BELOW_OR_EQUAL, True, True), (_ABOVE_OR_EQUAL, False, True), (_BELOW, True, False), (_ABOVE, False, False))
_COUNTED = {Measure.AWAKENINGS: (Unit.COUNT, None), Measure.SCORE: (None, Unit.SCORE), Measure.BREATHING: (Unit.COUNT,)}  # measures whose figures have no unit of time
_THRESHOLD_UNITS = (Unit.HOURS, Unit.MINUTES, Unit.SECONDS, Unit.CLOCK, Unit.PERCENT, Unit.MS, Unit.BPM, Unit.BREATHS,
                    Unit.CELSIUS)


def _cue(before: str, after: str) -> tuple[bool, bool] | None:
    """(below, or_equal) from the words around a figure: the nearest cue before it, else one right after it
    ("7 h or more", "7小时以上")."""
    found = [(m.end(), below, or_equal) for pattern, below, or_equal in _CUES for m in pattern.finditer(before)]
    after_found = [(m.start(), below, or_equal) for pattern, below, or_equal in _CUES
                   for m in pattern.finditer(after) if m.start() <= 2]
    adjacent = [f for f in found if f[0] >= len(before.rstrip()) - 1]
    if after_found and not adjacent:  # "掉到85%以下": the words right before it say it, not the ones after
        return min(after_found)[1:]
    if found:
        end = max(f[0] for f in found)
        return next(f[1:] for f in found if f[0] == end)
    return None


def _next_to_cue(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 8):start].rstrip(), text[end:end + 6].lstrip()
    return any(p.search(before) and p.search(before).end() >= len(before) - 1 for p, *_ in _CUES) or \
        any(p.match(after) for p, *_ in _CUES)


def _threshold(text: str, measure: Measure) -> Threshold | None:
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
    if unit is Unit.CLOCK and measure is Measure.BEDTIME and not re.search(r"[ap]\.?m|noon|中午", text[start:end + 3], re.I):
        if 360 <= value < 720:
            value += 720  # "bed after 11" (十一点以后) is at night
        elif 720 <= value < 780:
            value -= 720  # "after 12" (12点以后) is after midnight
    return Threshold(below=cue[0], value=value, unit=unit, or_equal=cue[1])


def _measure_for_threshold(threshold: Threshold) -> Measure:
    return {Unit.PERCENT: Measure.EFFICIENCY, Unit.MS: Measure.HRV, Unit.BPM: Measure.LOWEST_HEART_RATE,
            Unit.CLOCK: Measure.BEDTIME}.get(threshold.unit, Measure.TOTAL_SLEEP)


def _aggregate(text: str, measure: Measure) -> Aggregate | None:
    info = MEASURES[measure]
    if _MEDIAN.search(text):
        return Aggregate.MEDIAN
    if _TOTAL.search(text):
        return Aggregate.TOTAL
    worst, best = _WORST.search(text), _BEST.search(text)
    if worst or best:
        low_is_bad = info.higher_is_better is not False
        return Aggregate.MIN if (worst is not None) == low_is_bad else Aggregate.MAX
    lowest, highest = _LOWEST.search(text), _HIGHEST.search(text)
    if not (lowest or highest) and (how := _HOW_LOW.search(text)):
        lowest = how if re.search(r"low|early|drop|down|低|降", how.group(), re.I) else None
        highest = None if lowest else how
    if lowest or highest:
        if lowest and highest:
            return Aggregate.MIN if lowest.start() < highest.start() else Aggregate.MAX
        return Aggregate.MIN if lowest else Aggregate.MAX
    if _SPREAD.search(text):
        return Aggregate.STDEV
    if _TREND.search(text):
        return Aggregate.TREND
    if _COUNT.search(text):
        return Aggregate.COUNT
    if _MEAN.search(text):
        return Aggregate.MEAN
    return None


def _habit(text: str) -> tuple[TagKind, ...]:
    kinds = mentioned_kinds(text)
    covered = set(kinds) | ({TagKind.WORKOUT} if TagKind.LATE_WORKOUT in kinds else set())  # a late workout is said
    kinds += [kind for kind, pattern in _HABIT_WORDS.items() if kind not in covered and pattern.search(text)]
    if not kinds or not _EFFECT.search(text):
        return ()
    habit: list[TagKind] = []
    for kind in kinds:  # "late dinners or screens": nights with either
        if kind is TagKind.LATE_WORKOUT and not _LATE_WORKOUT.search(text):
            kind = TagKind.WORKOUT  # "运动那天晚上": the night after a workout, not a workout at night
        habit += [k for k in _HABIT_KINDS.get(kind, (kind,)) if k not in habit]
    return tuple(habit)


# Hours said in words that the guard's number reader leaves (it reads "七个小时" but not "一小时").
_SAID_HOURS = ((re.compile(r"\b(?:an|one) hour\b(?!\s+and\b)", re.I), "1 hour"), (re.compile(r"一个半小时"), "90分钟"),
               (re.compile(r"(?<![\d一二两三四五六七八九十])一个?小时"), "1小时"), (re.compile(r"(?<![\d个])半(?:个)?小时"), "30分钟"))
# Nights or days told apart by a habit ("drinking nights vs sober nights", "压力大的日子"): my own logged days.
_MY_DAYS = re.compile(_words(r"\w+ing nights", r"nights? (?:with|after|when)", r"days? (?:with|after|when)")
                      + r"|的日子|的晚上|那天晚上|那几晚", re.I)
_OTHERS = re.compile(_words(r"people", r"teen\w*", r"child\w*", r"kids?", r"adults?", r"everyone", r"most",
                            r"babies", r"students?", r"workers?")
                     + r"|人们|大家|孩子|青少年|成年人|老人|学生|一般人|大多数", re.I)
_COUNT_NIGHTS = re.compile(_words(r"how many nights", r"number of nights") + r"|几个晚上|多少个?晚上?", re.I)
_HISTORY_CUES = re.compile(
    _words(r"(?:this|last|past|previous)\s+(?:week|month|year|fortnight)", r"weeks", r"months", r"since",
           r"weekends?", r"weekdays?", r"over time", r"trend\w*", r"how many nights", r"on average", r"average",
           r"usually", r"typically", r"history", r"so far", r"nights? (?:with|after|when)")
    + r"|本周|这周|上周|这个月|上个月|本月|最近几周|周末|工作日|趋势|以来|几个晚上|平均|通常|一般", re.I)


def looks_like_history(question: str) -> bool:
    """Whether a question seems to ask about the user's history (a period, a pattern), read or not."""
    text = " ".join(question.split())
    return bool(_PERSONAL.search(text) and _HISTORY_CUES.search(text))


def read_plan(question: str, today: date, need_h: float) -> Plan | None:
    """The plan of a question about the user's history, or None (not about it, or not read by these rules).
    `need_h`: the nightly sleep the user's age needs, under which a night is short."""
    text = " ".join(question.split())
    for pattern, said in _SAID_HOURS:
        text = pattern.sub(said, text)
    text = numbers_in_digits(text)
    periods = _periods(text, today)
    mine = _PERSONAL.search(text) or periods or _COUNT_NIGHTS.search(text) or _MY_DAYS.search(text)
    if not mine and (_WEEKENDS.search(text) or _WEEKDAYS.search(text)) and not _OTHERS.search(text):
        mine = True  # "周末睡得比平时多吗": in a chat with my coach, my weekends
    if not mine:
        return None
    weekend_period = bool(re.search(_PERIOD_PATTERNS_BY_NAME["last_weekend"].pattern + "|"
                                    + _PERIOD_PATTERNS_BY_NAME["this_weekend"].pattern, text, re.I))
    weekends = bool(_WEEKENDS.search(text)) and not weekend_period
    weekdays = bool(_WEEKDAYS.search(text))
    habit = _habit(text)
    measure = _measure(text)
    threshold = _threshold(text, measure or Measure.TOTAL_SLEEP)
    if threshold is not None and threshold.unit is Unit.CLOCK and measure in (None, Measure.TOTAL_SLEEP):
        measure = Measure.BEDTIME  # "nights I slept after midnight": a clock time is a bedtime
        threshold = _threshold(text, measure)
    if threshold is None and _SHORT_NIGHTS.search(text) and _COUNT.search(text):
        threshold = Threshold(below=True, value=need_h, unit=Unit.HOURS)
    if measure is None or (measure is Measure.TOTAL_SLEEP and threshold is not None and threshold.unit is not Unit.HOURS
                           and threshold.unit is not Unit.MINUTES):
        measure = _measure_for_threshold(threshold) if threshold else Measure.TOTAL_SLEEP
    aggregate = _aggregate(_NAMED.sub(" ", text), measure)
    if aggregate is None and re.search(r"lowest|minimum|min\b|最低", "".join(_NAMED.findall(text)), re.I):
        aggregate = Aggregate.MIN  # "my lowest heart rate in August": the lowest of the nights' lowest
    if measure in _OF_THE_AVERAGE and _AVERAGE_OF.search(text):
        measure = _OF_THE_AVERAGE[measure]  # "哪一晚的平均血氧最低": the night's average, at its lowest
    elif measure in _AT_ITS_LOWEST and (aggregate is Aggregate.MIN or (threshold is not None and threshold.below)) \
            and not _AVERAGE_OF.search(text):  # "which night's average oxygen was lowest" keeps the average
        measure = _AT_ITS_LOWEST[measure]
    if threshold is not None and (aggregate in (None, Aggregate.COUNT, Aggregate.MEAN) or _COUNT.search(text)):
        aggregate = Aggregate.COUNT
    else:
        threshold = None
    if measure is Measure.SLEEP_DEBT and aggregate is Aggregate.COUNT and threshold is None:
        threshold = Threshold(below=False, value=0, unit=Unit.SECONDS)  # nights short of the sleep I need
    if measure is Measure.AWAKENINGS and aggregate is Aggregate.COUNT and threshold is None:
        aggregate = Aggregate.TOTAL if _TOTAL.search(text) else Aggregate.MEAN
    if measure is Measure.NAP and aggregate is None:
        aggregate = Aggregate.COUNT if _COUNT.search(text) else Aggregate.TOTAL
    if aggregate is Aggregate.TOTAL and MEASURES[measure].unit not in ADDITIVE:
        aggregate = Aggregate.MEAN  # "my total HRV" can only mean its level
    if measure is Measure.SLEEP_DEBT and aggregate in (None, Aggregate.MEAN) and not _MEAN.search(text):
        aggregate = Aggregate.TOTAL
    about_history = bool(periods or weekends or weekdays or habit or aggregate is not None)
    if not about_history:
        return None
    if _LAST_NIGHT.search(text) and not periods and not habit and not weekends and not weekdays:
        return None  # "was last night my longest?" is a follow-up about last night
    compare = None
    if habit:
        compare = Comparison(kind=CompareKind.HABIT, habit=habit)
        aggregate = Aggregate.MEDIAN if aggregate is Aggregate.MEDIAN else Aggregate.MEAN
        threshold = None
    elif weekends and (weekdays or _COMPARE.search(text)):
        compare = Comparison(kind=CompareKind.DAYS)
    elif len(periods) >= 2:
        compare = Comparison(kind=CompareKind.PERIOD, period=periods[1])
    elif len(periods) == 1 and _USUAL.search(text) and _COMPARE.search(text):
        compare = Comparison(kind=CompareKind.PERIOD, period=Period(kind=PeriodKind.ALL))
    if compare is not None and compare.kind is not CompareKind.HABIT and aggregate not in (Aggregate.MEDIAN, Aggregate.TOTAL,
                                                                                          Aggregate.COUNT, Aggregate.STDEV):
        aggregate = Aggregate.MEAN
    period = periods[0] if periods else Period()
    if compare is None and (weekends or weekdays):
        period = period.model_copy(update={"days": Days.WEEKENDS if weekends else Days.WEEKDAYS})
    try:
        return Plan(measure=measure, aggregate=aggregate or Aggregate.MEAN, period=period, threshold=threshold,
                    compare=compare)
    except ValueError:
        return None
