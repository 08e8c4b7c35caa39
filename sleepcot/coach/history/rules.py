"""Reading a question about the user's history into a `Plan`, by rules, in English and Chinese: which
measure, how it is summed up (average, extremes, a count under or over a threshold, spread, trend), over which
nights (last N, this or last week or month, a named month, since or between dates, weekdays or weekends),
and against what (another period, weekdays against weekends, nights after a logged habit).

`read_plan` returns None for a question that is not about the user's history (last night, or a general
question); the model may still read it (see `planner`). The period is read by `periods`, a threshold by
`thresholds`; this module reads the rest and puts the plan together.
"""

from __future__ import annotations

import re
from datetime import date

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
from sleepcot.coach.guard.figures import numbers_in_digits
from sleepcot.coach.history.matching import MONTHS_EN, words
from sleepcot.coach.history.periods import (
    PERIOD_PATTERNS_BY_NAME,
    WEEKDAY_WORDS,
    WEEKEND_WORDS,
    before,
    dated_since,
    read_periods,
    spell_out_dates,
)
from sleepcot.coach.history.thresholds import read_threshold, spell_out_hours
from sleepcot.domain import Language, TagKind, Unit
from sleepcot.tagging import mentioned_kinds
from sleepcot.units import WEEKDAYS, WEEKDAYS_SHORT

# --- who and when it is about -------------------------------------------------------------------------------
_PERSONAL = re.compile(words(r"my", r"me", r"i", r"i'm", r"i've", r"i'd", r"mine", r"myself", r"we", r"our")
                       + r"|我|俺", re.I)
_LAST_NIGHT = re.compile(words(r"last night", r"yesterday", r"tonight", r"this morning", r"today")
                         + r"|昨晚|昨天|昨夜|今晚|今天早上|今早", re.I)

# --- what is measured: the most specific phrase wins, then the earliest ---------------------------------------
_MEASURE_WORDS: tuple[tuple[Measure, str], ...] = (
    (Measure.NAP, words(r"naps?", r"napping", r"napped", r"siestas?") + r"|午睡|小睡|打盹|午觉|打.{0,3}盹|眯了?一会"),
    (Measure.SLEEP_DEBT, words(r"sleep debt", r"sleep deficit", r"debt", r"behind on sleep", r"miss(?:ed)? out on",
                                r"(?:sleep )?(?:i(?:'ve)? )?missed", r"short of what i need", r"against what i need",
                                r"(?:compared )?(?:to|with) what i need", r"than i need",
                                r"short of (?:the )?(?:sleep )?(?:that )?(?:what )?i need")
     + r"|睡眠债|睡眠负债|欠.{0,3}觉|缺.{0,3}觉|欠.{0,4}睡眠|和我需要的睡眠相比|比需要的少|比我需要的睡眠少"),
    (Measure.MIDSLEEP, words(r"mid-?sleep", r"mid-?point of (?:my )?sleep", r"sleep mid-?point", r"middle of my sleep")
     + r"|睡眠中点|睡眠中间点|中间点|中间时刻|睡眠的中间"),
    (Measure.TIME_IN_BED, words(r"time in bed", r"in bed for", r"spend in bed", r"spent in bed", r"lying in bed",
                                 r"(?:am|was|were|are|do|did) i (?!awake)(?:\w+ )?in bed", r"stay(?:ed)? in bed", r"in bed")
     + r"|卧床|在床上"),
    (Measure.HRV, words(r"hrv", r"heart rate variability", r"rmssd") + r"|心率变异"),
    (Measure.LOWEST_HEART_RATE, words(r"resting heart rate", r"resting hr", r"rhr", r"lowest heart rate",
                                       r"minimum heart rate", r"resting pulse", r"(?:overnight |nightly )?low heart rate",
                                       r"overnight low", r"nightly low", r"low hr", r"(?:nightly |overnight )?lowest hr",
                                       r"lowest (?:overnight |nightly |sleeping )(?:heart rate|hr|pulse)")
     + r"|静息心率|最低心率|夜间最低心率"),
    (Measure.HEART_RATE, words(r"heart rate", r"heart-rate", r"pulse", r"hr", r"bpm") + r"|心率|脉搏"),
    (Measure.BREATHING, words(r"breathing rate", r"respiratory rate", r"resp\.? rate", r"resp", r"respiration(?: rate)?", r"breaths?",
                               r"breathing") + r"|呼吸频率|呼吸率|呼吸"),
    (Measure.LOWEST_SPO2, words(r"(?:lowest|minimum|min) (?:blood )?(?:oxygen|spo2|o2|saturation)",
                                 r"(?:blood )?(?:oxygen|ox|spo2|o2) (?:drop|dip|fall|fell|dropped|dipped|go|went|get|got)\w*")
     + r"|最低血氧|血氧.{0,3}(?:最低|掉|降|跌)"),
    (Measure.SPO2, words(r"spo2", r"blood oxygen", r"blood ox", r"o2 sats?", r"ox(?:ygen)? sat(?:uration)?s?", r"oxygen(?: saturation| level)?", r"o2", r"saturation")
     + r"|血氧"),
    (Measure.TEMPERATURE, words(r"(?:skin |body )?temperature", r"temp") + r"|体温|皮肤温度|温度"),
    (Measure.SCORE, words(r"(?:sleep )?scores?") + r"|睡眠评分|睡眠得分|睡眠分|评分|得分|分数"),
    (Measure.QUALITY, words(r"(?:worst|best|poorest|greatest|roughest|bad|good) nights?(?: of sleep)?",
                             r"(?:slept|sleep) (?:the )?(?:worst|best)")
     + r"|睡得最(?:差|好|糟)|最(?:差|好|糟)的一?晚"),
    (Measure.EFFICIENCY, words(r"efficien(?:cy|t)", r"ef+i?c+i?e+n+c?y", r"eff") + r"|效率"),
    (Measure.DEEP, words(r"deep(?: sleep)?", r"slow[- ]wave(?: sleep)?", r"n3") + r"|深睡|深度睡眠"),
    (Measure.REM, words(r"rem(?: sleep)?", r"dream(?:ing)? sleep") + r"|快速眼动|眼动睡眠"),
    (Measure.LIGHT, words(r"light sleep", r"light") + r"|浅睡|浅度睡眠"),
    (Measure.AWAKENINGS, words(r"awakenings", r"wake-?ups", r"times (?:do |did )?i (?:wake|woke)(?: up)?",
                                r"often (?:do |did )?i (?:wake|woke)(?: up)?", r"wake up (?:during|in) the night",
                                r"times (?:a|per|each|in one|in a) night\b[^.?!]{0,15}?\b(?:wake|woke|woken)",
                                r"times\b[^.?!]{0,20}?\bi (?:wake|woke|have woken|'ve woken)",
                                r"times i(?:'ve| have)? (?:woken|woke|wake)(?: up)?",
                                r"(?:wake|woke|woken)(?: up)? (?:more|fewer|less|over|under) than \d+ times",
                                r"(?:wake|woke|woken)(?: up)? \d+ (?:or (?:more|fewer|less) )?times",
                                r"\d+ (?:or (?:more|fewer|less) )?times a night",
                                r"(?:wake|woke|woken|waking)(?:[- ]up)? [^.?!,;]{1,25}?\b(?:times|often)")
     + r"|醒几次|醒了几次|夜醒次数|醒来次数|觉醒次数|醒来几次|醒.{0,4}次"),
    (Measure.LATENCY, words(r"(?:to |take me to |takes me to |took me to )?fall(?:ing)? asleep",
                             r"(?:to )?get to sleep", r"nod off", r"(?:sleep )?latency", r"sleep onset")
     + r"|入睡用时|入睡时长|入睡潜伏|入睡所需|入睡需要|入睡.{0,6}[快慢久]|[快慢].{0,2}入睡|难入睡|更难入睡|入睡困难"
       r"|多久.{0,3}睡着|多久.{0,2}入睡|入睡.{0,4}多久|入睡.{0,4}多长|才睡着|睡着.{0,4}[快慢]"
       r"|(?:多长时间|多久|多少时间).{0,4}(?:入睡|睡着)|才能入睡|入睡要花|睡着用|入睡(?!时间|时刻|后)"),
    (Measure.AWAKE, words(r"awake(?: time)?", r"time awake", r"waso", r"wake after sleep onset", r"lie awake",
                           r"lying awake") + r"|清醒|醒着"),
    (Measure.BEDTIME, words(r"bed ?times?", r"(?:sleep )?schedule", r"go to (?:bed|sleep)", r"went to (?:bed|sleep)",
                             r"going to (?:bed|sleep)", r"gone to (?:bed|sleep)", r"got into bed", r"get into bed",
                             r"get to bed", r"got to bed", r"turn(?:ed)? in", r"lights out", r"hit the (?:sack|hay)",
                             r"fall asleep at", r"fell asleep at", r"asleep by", r"(?:what|which) time (?:do|did) i (?:fall|get) asleep")
     + r"|几点.{0,2}睡|几点上床|几点入睡|上(?:的)?床|就寝|入睡时间|睡觉时间|熄灯|(?<![每几这那一两三四五六七八九十多少\d])[晚早]睡(?!眠)|才睡(?!着)|过了午夜.{0,2}睡"),
    (Measure.WAKE, words(r"wake(?:-up| up)? times?", r"(?:do|did) i (?:usually |normally |typically )?(?:wake|get) up",
                          r"woke up", r"woken(?: up)?", r"wok(?:e|en)(?= (?:before|after|at|by|past|later|earlier))", r"get up", r"got up", r"getting up", r"waking(?: up)?", r"wake up",
                          r"rise", r"up in the morning", r"lie-?ins?",
                          r"sle(?:ep|pt) in(?= (?:on|at|until|till|past|late|later)\b|\s*[?.!,]|\s*$)")
     + r"|几点.{0,2}起|几点.{0,2}醒|起床|起得|(?<![加合总])起来|醒来时间|醒来(?!.{0,2}次)|晚起|早起|才醒|就醒|醒的|醒得|越醒越|赖床|睡懒觉|才起"),
    (Measure.TOTAL_SLEEP, words(r"sleep(?:ing)?", r"slept", r"how long", r"hours", r"sleep duration", r"rest")
     + r"|睡了多久|睡多久|睡眠时长|睡眠时间|睡了几个小时|睡眠|睡得|睡了|睡"),
)
_MEASURE_PATTERNS = [(measure, re.compile(words, re.I)) for measure, words in _MEASURE_WORDS]


_HOW_LONG = re.compile(words(r"how long", r"how much sleep", r"hours", r"length", r"duration") + r"|多久|几个小时|时长|多少小时", re.I)


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
_NAMED = re.compile(words(r"total sl\w*(?: time| duration)?", r"(?:lowest|minimum|min) (?:overnight |nightly |sleeping )?(?:heart rate|hr|pulse|"
                           r"blood oxygen|oxygen|spo2|o2|saturation)", r"resting heart rate", r"heart rate variability")
                    + r"|最低心率|最低血氧|总睡眠|静息心率|心率变异性?|每分钟(?:多少|几)次", re.I)
_AVERAGE_OF = re.compile(words(r"average (?:blood )?(?:oxygen|spo2|heart rate|hr)", r"overnight average") + r"|平均血氧|平均心率",
                         re.I)
# A night's lowest heart rate or SpO2 asked about at its lowest is the lowest of those minimums.
_AT_ITS_LOWEST = {Measure.HEART_RATE: Measure.LOWEST_HEART_RATE, Measure.SPO2: Measure.LOWEST_SPO2}
_OF_THE_AVERAGE = {lowest: average for average, lowest in _AT_ITS_LOWEST.items()}


# --- how it is summed up --------------------------------------------------------------------------------------
_LOWEST = re.compile(words(r"lowest", r"least", r"shortest", r"minimum", r"fewest", r"smallest", r"earliest",
                            r"min", r"quickest", r"fastest") + r"|最低|最少|最短|最早|最小|最快", re.I)
_HIGHEST = re.compile(words(r"highest", r"most", r"longest", r"maximum", r"largest", r"biggest", r"latest",
                             r"max", r"peak", r"slowest") + r"|最高|最多|最长|最晚|最大|最迟|最久|最慢", re.I)
_HOW_LOW = re.compile(words(r"how low", r"how high", r"how late", r"how early", r"dropped", r"went down to")
                      + r"|最低到|最高到|低到|降到", re.I)
_WORST = re.compile(words(r"worst", r"poorest", r"bad(?:dest)?") + r"|最差|最糟|最不好|最坏", re.I)
_BEST = re.compile(words(r"best", r"greatest") + r"|最好|最佳|最棒", re.I)
_TOTAL = re.compile(words(r"total", r"in total", r"altogether", r"combined", r"sum", r"add up", r"added up",
                           r"cumulative(?:ly)?", r"overall amount") + r"|总共|一共|合计|累计|总计|加起来", re.I)
_SPREAD = re.compile(words(r"vary", r"varies", r"varied", r"variation", r"variance", r"consistent", r"consistency",
                            r"inconsistent", r"regular", r"irregular", r"standard deviation", r"spread", r"fluctuat\w*",
                            r"stable", r"steady", r"variable", r"shift(?:s|ed|ing)? around", r"jump(?:s|ed|ing)? around",
                            r"swing(?:s|ing)?", r"all over the place", r"from night to night", r"night-to-night",
                            r"bounc\w*", r"std\.? ?dev\w*", r"sd", r"stdev", r"std")
                     + r"|波动|稳定|规律|标准差|差异多大|变化多大|起伏|忽高忽低|忽早忽晚|前后差|差得?有多大", re.I)
_TREND = re.compile(words(r"trend(?:s|ing)?", r"slope", r"(?:shift|mov|drift|chang)\w* (?:\w+ )?(?:per|a|each|every) week", r"shrink\w*", r"grow(?:ing|n)", r"slipping", r"sliding", r"weekly change", r"change per week", r"rate of change", r"chang(?:ed|ing)", r"change over", r"improv(?:ed|ing)",
                           r"getting (?:any )?(?:better|worse|longer|shorter|earlier|later|higher|lower|quicker|faster|slower)",
                           r"drift(?:s|ed|ing)?", r"creep(?:s|ing)?", r"moving (?:later|earlier|up|down)",
                           r"over time", r"rising", r"falling(?! asleep)", r"climbing", r"dropping", r"up or down", r"down or up",
                           r"going (?:up|down)", r"evolv\w*", r"progress\w*", r"declin\w*", r"increas(?:ed|ing)",
                           r"decreas(?:ed|ing)")
                     + r"|趋势|变化|变了|改善|好转|变差|越来越|走势|进步|上升|下降|增加|减少|变长|变短|变快|变慢|缩短|延长"
                       r"|提高|降低|在变|推迟|提前|往上走|往下走|往上|往下|走高|走低|越.{1,3}越|(\w+er) and \1|变多|变少"
                       r"|有没有变|是否变|往后推|往前提|每周.{0,3}(?:推迟|提前)", re.I)
_MEDIAN = re.compile(words(r"median") + r"|中位数", re.I)
_MEAN = re.compile(words(r"averag(?:e|ed|es|ing)", r"avg", r"mean", r"typical(?:ly)?", r"usual(?:ly)?", r"normal(?:ly)?",
                          r"on a typical night", r"per night", r"a night", r"generally", r"tend to")
                   + r"|平均|一般|通常|平时|每晚", re.I)
_COUNT = re.compile(words(r"how many (?:\w+ )?(?:nights|days|times|naps|mornings|evenings)", r"how often", r"number of (?:nights|days|naps)",
                           r"count")
                    + r"|几个晚上|几晚|多少个?晚上?|几天|多少天|几次|多少次|次数", re.I)
_SHORT_NIGHTS = re.compile(words(r"short nights?", r"not enough sleep", r"too little sleep", r"under-?slept",
                                  r"enough sleep")
                           + r"|睡眠不足|没睡够|睡不够|睡够", re.I)
_USUAL = re.compile(words(r"usual", r"normal", r"average", r"my baseline", r"typical") + r"|平时|平常|往常|通常", re.I)
_COMPARE = re.compile(words(r"compared?(?: with| to)?", r"vs\.?", r"versus", r"than", r"against", r"differ\w*",
                             r"relative to", r"longer", r"shorter", r"more", r"less", r"later", r"earlier", r"better",
                             r"worse", r"higher", r"lower")
                      + r"|比|相比|对比|和.{0,8}比|跟.{0,8}比|差别|区别|不同|更", re.I)
_EFFECT = re.compile(words(r"affects?", r"affected", r"effects?", r"impacts?", r"hurts?", r"harms?", r"helps?",
                            r"improves?", r"influences?", r"changes?", r"makes?", r"after", r"when i", r"on nights",
                            r"nights? (?:with|after|when|i|that)", r"(?:on )?days? (?:i|when|that|with|after)", r"does",
                            r"do", r"worse", r"better", r"ruin\w*", r"mess\w*", r"cut(?:s|ting)? into", r"pull\w*",
                            r"lower", r"higher", r"more", r"less", r"longer", r"shorter", r"later", r"earlier",
                            r"on \w+ nights", r"vs\.?", r"versus", r"compared", r"difference")
                     + r"|影响|之后|以后|后|会不会|会让|让|使|对.{0,6}(?:有|好|坏)|的晚上|的日子|那天|那晚|当天|时候|会更|更多"
                       r"|更少|更高|更低|更差|更好|更晚|更早|更难|更久|更快|更慢|多一些|少一些|是不是|第二天|会[升降增减]|多花|多用"
                       r"|要多|[长短高低多少]了?多少|差多少|相比|比较|对比|不同|区别|差别|[跟和与].{0,10}比", re.I)
# Habits said in words the logging keywords do not cover (they read statements, these read questions).
_HABIT_WORDS = {
    TagKind.ALCOHOL: re.compile(words(r"drink(?:ing|s)?", r"drank", r"booze", r"alcoholic")
                                + r"|喝酒|饮酒|喝了酒|喝了?几杯|喝了?一?杯酒", re.I),
    TagKind.WORKOUT: re.compile(words(r"work(?:ing)? ?outs?", r"exercis\w*", r"train(?:ing)? days?") + r"|锻炼|运动|健身|训练",
                                re.I),
    TagKind.LATE_MEAL: re.compile(words(r"late (?:meals?|dinners?|suppers?|snacks?)", r"eat(?:ing)? late", r"ate late",
                                         r"(?:eat(?:ing)?|ate|have|had|having) (?:my )?(?:dinner|supper|meals?)"
                                         r"(?: \w+)? late")
                                  + r"|吃得晚|晚饭吃得晚|晚餐吃得晚|宵夜|夜宵|很晚才吃|晚饭吃得?很?晚", re.I),
    TagKind.LATE_WORKOUT: re.compile(words(r"late (?:workouts?|training|runs?|gym)", r"work(?:ed|ing)? out late",
                                           r"train(?:ed|ing)? late") + r"|练得?很晚|晚上练|夜跑|晚上运动|晚上锻炼|晚间运动", re.I),
    TagKind.NIGHT_SHIFT: re.compile(words(r"night[- ]?shifts?", r"nights? on shift", r"worked (?:the )?night") + r"|夜班",
                                    re.I),
    TagKind.SCREEN: re.compile(words(r"screens?(?: time)?", r"phone") + r"|看屏幕|玩手机|刷手机", re.I),
}
_LATE_WORKOUT = re.compile(words(r"late", r"evening", r"night(?:time)? (?:workouts?|runs?|exercise|training)")
                           + r"|晚间|夜跑|晚上.{0,2}(?:运动|锻炼|健身|跑|练)|练得?很晚", re.I)
# A habit's nights: "exercise" counts a late workout too.
_HABIT_KINDS = {TagKind.WORKOUT: (TagKind.WORKOUT, TagKind.LATE_WORKOUT)}


def _measure_for_threshold(threshold: Threshold) -> Measure:
    return {Unit.PERCENT: Measure.EFFICIENCY, Unit.MS: Measure.HRV, Unit.BPM: Measure.LOWEST_HEART_RATE,
            Unit.CLOCK: Measure.BEDTIME}.get(threshold.unit, Measure.TOTAL_SLEEP)


def _aggregate(text: str, measure: Measure) -> Aggregate | None:
    info = MEASURES[measure]
    if _MEDIAN.search(text):
        return Aggregate.MEDIAN
    worst, best = _WORST.search(text), _BEST.search(text)
    if worst or best:
        low_is_bad = info.higher_is_better is not False
        return Aggregate.MIN if (worst is not None) == low_is_bad else Aggregate.MAX
    lowest, highest = _LOWEST.search(text), _HIGHEST.search(text)
    mean = _MEAN.search(text)
    extreme = min((m.start() for m in (lowest, highest) if m), default=None)
    if mean and extreme is not None and mean.start() < extreme and _LIST.search(text, mean.end(), extreme + 1):
        return Aggregate.MEAN  # "avg, min and max": the first figure of a list is the one answered
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
    if _TOTAL.search(text):
        return Aggregate.TOTAL
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


# Nights or days told apart by a habit ("drinking nights vs sober nights", "压力大的日子"): my own logged days.
_MY_DAYS = re.compile(words(r"\w+ing nights", r"nights? (?:with|after|when)", r"days? (?:with|after|when)",
                            r"(?:nights|days) vs\.?", r"vs\.? (?:the )?(?:rest|others|other nights)")
                      + r"|的日子|的晚上|那天晚上|那几?晚|那几?天|那些天|那些晚上|的时候", re.I)
_OTHERS = re.compile(words(r"people", r"teen\w*", r"child\w*", r"kids?", r"adults?", r"everyone", r"most",
                            r"babies", r"students?", r"workers?")
                     + r"|人们|大家|孩子|青少年|成年人|老人|学生|一般人|大多数", re.I)
_NOT_NAPS = re.compile(words(r"(?:not counting|excluding|except(?: for)?|without|besides|apart from|leaving out|minus) "
                             r"(?:my |the )?naps?") + r"|(?:不算|不包括|不含|除了|除去)(?:午睡|小睡|打盹)", re.I)
_LIST = re.compile(r",|、|，|\band\b|和|及")
_REGULAR = re.compile(words(r"regular", r"irregular", r"consistent", r"schedule") + r"|规律|作息", re.I)
_CHANGE = re.compile(words(r"stopped", r"quit", r"cut (?:out|back)", r"gave up", r"started", r"began", r"begun",
                           r"switched", r"new", r"since i", r"no longer", r"changed")
                     + r"|不再|戒了?|停了|开始|换了|自从|不喝|不吃|不玩|改成", re.I)
# "better this month than last": the period before, left unsaid.
_ELLIPSIS = re.compile(words(r"(?:than|vs\.?|versus|compared (?:to|with)|against) (?:the )?(?:last|previous)(?! \w*(?:night|day|week|month))")
                       + r"|比上一?(?:个)?(?=[，,？?。]|$)", re.I)
_THAN_LAST = {PeriodKind.THIS_WEEK: PeriodKind.LAST_WEEK, PeriodKind.THIS_MONTH: PeriodKind.LAST_MONTH}
_COUNT_NIGHTS = re.compile(words(r"how many nights", r"number of nights") + r"|几个晚上|多少个?晚上?", re.I)
_HISTORY_CUES = re.compile(
    words(r"(?:this|last|past|previous)\s+(?:week|month|year|fortnight)", r"weeks", r"months", r"since",
           r"weekends?", r"weekdays?", r"over time", r"trend\w*", r"how many nights", r"on average", r"average",
           r"usually", r"typically", r"history", r"so far", r"nights? (?:with|after|when)")
    + r"|本周|这周|上周|这个月|上个月|本月|最近几周|周末|工作日|趋势|以来|几个晚上|平均|通常|一般", re.I)


_SOMEONE_ELSE = re.compile(
    words(r"(?:user|account|id|telegram user)\s*#?\s*\d+", r"someone else(?:'s)?", r"other (?:users?|people)(?:'s)?",
           r"everyone else(?:'s)?", r"my (?:wife|husband|partner|son|daughter|friend|mother|father|mum|mom|dad|kid|"
           r"child|boyfriend|girlfriend)(?:'s)?")
    + r"|别人|其他用户|其他人|我(?:老婆|老公|妻子|丈夫|孩子|儿子|女儿|朋友|妈妈|爸爸|男朋友|女朋友)|用户\s*\d+", re.I)
_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)['’]s\b")
_NOT_NAMES = frozenset("what it that here there who how where let he she today tonight yesterday tomorrow last this "
                       "next week night weekend month year".split()) | frozenset(
    day.lower() for days in (WEEKDAYS[Language.EN], WEEKDAYS_SHORT[Language.EN]) for day in days)


def _named_person(question: str) -> bool:
    """A possessive of a name ("Ann's"), not of a word or a date ("What's", "October's")."""
    return any(word.lower() not in _NOT_NAMES and not any(re.fullmatch(m, word.lower()) for m in MONTHS_EN)
               for word in _POSSESSIVE.findall(question))


def names_someone_else(question: str) -> bool:
    """Whether a question asks about another person's sleep ("Ann's average", "user 12", "我老婆的")."""
    return bool(_SOMEONE_ELSE.search(question)) or _named_person(question)


def looks_like_history(question: str) -> bool:
    """Whether a question seems to ask about the user's history (a period, a pattern), read or not."""
    text = " ".join(question.split())
    return bool(_PERSONAL.search(text) and _HISTORY_CUES.search(text))


def read_plan(question: str, today: date, need_h: float) -> Plan | None:
    """The plan of a question about the user's history, or None (not about it, or not read by these rules).
    `need_h`: the nightly sleep the user's age needs, under which a night is short."""
    text = " ".join(question.split())
    text = _NOT_NAPS.sub(" ", spell_out_dates(spell_out_hours(text)))
    text = numbers_in_digits(text)
    named = read_periods(text, today)
    if (since := dated_since(text, today)) and since not in [period for _, period in named]:
        named.insert(0, ("since_then", since))
    named = [(name, before(period, named[0][1], today) if name == "before_that" and n else period)
             for n, (name, period) in enumerate(named)]
    periods = [period for _, period in named]
    mine = _PERSONAL.search(text) or periods or _COUNT_NIGHTS.search(text) or _MY_DAYS.search(text)
    if not mine and (WEEKEND_WORDS.search(text) or WEEKDAY_WORDS.search(text)) and not _OTHERS.search(text):
        mine = True  # "周末睡得比平时多吗": in a chat with my coach, my weekends
    if not mine:
        return None
    weekend_period = bool(re.search(PERIOD_PATTERNS_BY_NAME["last_weekend"].pattern + "|"
                                    + PERIOD_PATTERNS_BY_NAME["this_weekend"].pattern, text, re.I))
    weekends = bool(WEEKEND_WORDS.search(text)) and not weekend_period
    weekdays = bool(WEEKDAY_WORDS.search(text))
    habit = _habit(text)
    measure = _measure(text)
    threshold = read_threshold(text, measure or Measure.TOTAL_SLEEP)
    if threshold is not None and threshold.unit is Unit.CLOCK and measure in (None, Measure.TOTAL_SLEEP,
                                                                             Measure.TIME_IN_BED):
        measure = Measure.BEDTIME  # "nights I slept after midnight": a clock time is a bedtime
        threshold = read_threshold(text, measure)
    if threshold is None and _SHORT_NIGHTS.search(text) and _COUNT.search(text):
        threshold = Threshold(below=True, value=need_h, unit=Unit.HOURS)
    if measure is None or (measure is Measure.TOTAL_SLEEP and threshold is not None and threshold.unit is not Unit.HOURS
                           and threshold.unit is not Unit.MINUTES):
        measure = _measure_for_threshold(threshold) if threshold else Measure.TOTAL_SLEEP
    aggregate = _aggregate(_NAMED.sub(" ", text), measure)
    if aggregate is None and re.search(r"lowest|minimum|min\b|最低", "".join(_NAMED.findall(text)), re.I):
        aggregate = Aggregate.MIN  # "my lowest heart rate in August": the lowest of the nights' lowest
    if aggregate is Aggregate.STDEV and measure is Measure.TOTAL_SLEEP and _REGULAR.search(text) \
            and not _HOW_LONG.search(text):
        measure = Measure.BEDTIME  # "is my sleep regular?": the schedule, as the norms judge it
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
    if measure is Measure.NAP and aggregate is None:  # "naps this week": how many; "longer naps": their length
        aggregate = Aggregate.COUNT if _COUNT.search(text) else Aggregate.MEAN if _COMPARE.search(text) \
            else Aggregate.TOTAL
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
    if habit and _CHANGE.search(text) and any(p.kind is PeriodKind.SINCE for p in periods):
        habit = ()  # "I stopped my afternoon coffee on 1 Nov": before against after, not the nights it was logged
    if habit:
        compare = Comparison(kind=CompareKind.HABIT, habit=habit)
        if [name for name, _ in named] == ["recently"]:
            periods = []  # "最近经常很晚才吃晚饭": a habit's usual window, not the last two weeks
        aggregate = Aggregate.MEDIAN if aggregate is Aggregate.MEDIAN else Aggregate.MEAN
        threshold = None
    elif weekends and (weekdays or _COMPARE.search(text)):
        compare = Comparison(kind=CompareKind.DAYS)
    elif len(periods) >= 2 and periods[1] != periods[0]:
        compare = Comparison(kind=CompareKind.PERIOD, period=periods[1])
    elif len(periods) == 1 and (previous := _THAN_LAST.get(periods[0].kind)) and _ELLIPSIS.search(text):
        compare = Comparison(kind=CompareKind.PERIOD, period=Period(kind=previous))  # "this month than last"
    elif len(periods) == 1 and _USUAL.search(text) and _COMPARE.search(text) and threshold is None:
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
