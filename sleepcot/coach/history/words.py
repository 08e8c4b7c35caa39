"""A history answer in plain words, English and Chinese: every figure rendered by `sleepcot.units` from the
result's facts, worded so the guard binds each one to its subject (no "over 31 nights" a bound could misread).
This is the deterministic answer, and what the model phrases from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sleepcot.analysis.history import Aggregate, CompareKind, HistoryResult, Measure, PeriodKind, Side
from sleepcot.analysis.history.compute import threshold_value
from sleepcot.domain import Language, TagKind, Unit
from sleepcot.tagging import TAG_LABELS
from sleepcot.units import WEEKDAYS, format_value

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                   "November", "December")


@dataclass(frozen=True)
class _Words:
    measures: dict[Measure, str]
    lowest: dict[str, str]  # by kind of unit: duration, clock, other
    highest: dict[str, str]
    day: str  # a date: {weekday} {date}
    date: str  # {d} {m} {y}
    periods: dict[PeriodKind, str]
    weekends: str
    weekends_since: str
    weekdays: str
    end: str
    mean: str
    median: str
    extreme: str
    total: str
    count: str
    count_naps: str
    counts: dict[tuple[bool, bool], str]  # by (below, or_equal): nights past a threshold
    count_below_clock: str
    count_above_clock: str
    stdev: str
    trend: str
    steady: str
    compare: str
    habit: str
    chance: str
    not_chance: str
    link: str
    too_few: str
    none: str
    too_few_habit: str
    examples: str
    counted_back: str
    only_yours: str
    more: dict[str, tuple[str, str]]  # by kind of unit: (more, less)
    stats: dict[Aggregate, str]  # what a comparison compares: the sides' average or median
    times: str  # the unit of a count said with a fraction ("1.4 awakenings a night")
    same: str


_EN = _Words(
    measures={Measure.TOTAL_SLEEP: "total sleep", Measure.TIME_IN_BED: "time in bed", Measure.DEEP: "deep sleep",
              Measure.REM: "REM sleep", Measure.LIGHT: "light sleep", Measure.AWAKE: "time awake after falling asleep",
              Measure.LATENCY: "time to fall asleep", Measure.EFFICIENCY: "sleep efficiency",
              Measure.AWAKENINGS: "awakenings", Measure.HRV: "HRV", Measure.HEART_RATE: "heart rate",
              Measure.LOWEST_HEART_RATE: "lowest heart rate", Measure.BREATHING: "breathing rate",
              Measure.SPO2: "SpO2", Measure.LOWEST_SPO2: "lowest SpO2",
              Measure.TEMPERATURE: "skin temperature deviation", Measure.SCORE: "sleep score",
              Measure.BEDTIME: "bedtime", Measure.WAKE: "wake-up time", Measure.MIDSLEEP: "mid-sleep time",
              Measure.SLEEP_DEBT: "sleep debt", Measure.NAP: "nap time"},
    lowest={"duration": "shortest", "clock": "earliest", "other": "lowest"},
    highest={"duration": "longest", "clock": "latest", "other": "highest"},
    day="{weekday} {date}",
    date="{d} {m} {y}",
    periods={PeriodKind.LAST_NIGHTS: "Over the last {n} nights", PeriodKind.THIS_WEEK: "This week (since {start})",
             PeriodKind.LAST_WEEK: "Last week ({start} to {end})", PeriodKind.THIS_MONTH: "This month (since {start})",
             PeriodKind.LAST_MONTH: "Last month ({start} to {end})", PeriodKind.MONTH: "In {month}",
             PeriodKind.SINCE: "Since {start}", PeriodKind.BETWEEN: "From {start} to {end}",
             PeriodKind.ALL: "Across all your nights (since {start})"},
    weekends=" on weekend nights", weekends_since="On weekend nights since {start}", weekdays=" on weekday nights",
    end=".",
    mean="{period}, your average {measure} was {value}, the average of {n} nights.",
    median="{period}, your median {measure} was {value}, the median of {n} nights.",
    extreme="{period}, your {measure} was at its {which}: {value}, on {day}.",
    total="{period}, your {measure} came to {value} in total, the sum of {n} nights.",
    count="{period}, I have {n} nights recorded.",
    count_naps="{period}, you took {n} naps.",
    counts={(True, False): "{period}, your {measure} fell short of {limit} on {k} of {n} nights.",
            (True, True): "{period}, your {measure} was {limit} or less on {k} of {n} nights.",
            (False, False): "{period}, your {measure} exceeded {limit} on {k} of {n} nights.",
            (False, True): "{period}, your {measure} reached {limit} or more on {k} of {n} nights."},
    count_below_clock="{period}, your {measure} was before {limit} on {k} of {n} nights.",
    count_above_clock="{period}, your {measure} was after {limit} on {k} of {n} nights.",
    stdev="{period}, your {measure} varied by {value}, the standard deviation of {n} nights.",
    trend="{period}, your {measure} averaged {first} in the first week and {last} in the last week, trending {per_week} each week: the trend of {n} nights.",
    steady="{period}, your {measure} averaged {first} in the first week and {last} in the last week, with no clear trend across the whole set of {n} nights.",
    compare="{period}, your {stat} {measure} was {value}, against {other_value} {other}: {difference}. The first figure comes from a set of {n} nights, the second from a set of {other_n} nights.",
    habit="Since {start}, on the {n} nights after you logged {habit} your {stat} {measure} was {value}, against {other_value} on the {other_n} nights without: {difference}.",
    chance="With these nights the difference could well be chance: the difference in your {measure} most likely lies between {low} and {high}.",
    not_chance="The difference is unlikely to be chance alone: the difference in your {measure} most likely lies between {low} and {high}.",
    link="That is a link in your own nights, not proof that {habit} causes it.",
    too_few="{period}, I have {n} nights with your {measure} recorded: too few to answer that (I need at least {needed} nights).",
    none="{period}, I have no nights with your {measure} recorded.",
    too_few_habit="To compare nights after {habit} with nights without, I need at least {needed} nights of each; since {start} you have {n} nights with {habit} logged and {other_n} nights without.",
    examples="I can answer questions about your sleep history, for example: \"How did I sleep this week compared with last week?\", \"What's my average bedtime this month?\", \"How many nights under 7 hours in the last two weeks?\", \"Do I sleep longer at weekends?\", \"Which was my worst night in October?\", \"How has my HRV changed since September?\", \"Does alcohol affect my deep sleep?\"",
    stats={Aggregate.MEAN: "average", Aggregate.MEDIAN: "median"},
    times="times",
    more={"count": ("{d} more", "{d} fewer"), "duration": ("{d} more", "{d} less"), "clock": ("{d} later", "{d} earlier"), "other": ("{d} higher", "{d} lower")},
    same="about the same",
    counted_back="Your nights end on {date}, so I counted back from that night instead of from today.",
    only_yours="I can only see your own nights, so this is about yours.",
)
_ZH = _Words(
    measures={Measure.TOTAL_SLEEP: "总睡眠时长", Measure.TIME_IN_BED: "卧床时间", Measure.DEEP: "深睡时长",
              Measure.REM: "快速眼动睡眠时长", Measure.LIGHT: "浅睡时长", Measure.AWAKE: "入睡后清醒时间",
              Measure.LATENCY: "入睡用时", Measure.EFFICIENCY: "睡眠效率", Measure.AWAKENINGS: "夜醒次数",
              Measure.HRV: "心率变异性（HRV）", Measure.HEART_RATE: "心率", Measure.LOWEST_HEART_RATE: "最低心率",
              Measure.BREATHING: "呼吸频率", Measure.SPO2: "血氧", Measure.LOWEST_SPO2: "最低血氧",
              Measure.TEMPERATURE: "皮肤温度偏差", Measure.SCORE: "睡眠评分", Measure.BEDTIME: "上床时间",
              Measure.WAKE: "起床时间", Measure.MIDSLEEP: "睡眠中点", Measure.SLEEP_DEBT: "睡眠债",
              Measure.NAP: "小睡时长"},
    lowest={"duration": "最短", "clock": "最早", "other": "最低"},
    highest={"duration": "最长", "clock": "最晚", "other": "最高"},
    day="{date}（{weekday}）",
    date="{y}年{m}月{d}日",
    periods={PeriodKind.LAST_NIGHTS: "最近 {n} 晚", PeriodKind.THIS_WEEK: "本周（{start}起）",
             PeriodKind.LAST_WEEK: "上周（{start}至{end}）", PeriodKind.THIS_MONTH: "本月（{start}起）",
             PeriodKind.LAST_MONTH: "上个月（{start}至{end}）", PeriodKind.MONTH: "{month}",
             PeriodKind.SINCE: "{start}以来", PeriodKind.BETWEEN: "{start}至{end}",
             PeriodKind.ALL: "在你的全部记录中（{start}起）"},
    weekends="的周末夜晚", weekends_since="{start}以来的周末夜晚", weekdays="的工作日夜晚",
    end="。",
    mean="{period}，你的平均{measure}为 {value}，共 {n} 晚的数据。",
    median="{period}，你的{measure}中位数为 {value}，共 {n} 晚的数据。",
    extreme="{period}，{measure}{which}的一晚是{day}，那晚你的{measure}为 {value}。",
    total="{period}，你的{measure}累计为 {value}，共 {n} 晚的数据。",
    count="{period}，我这里一共记录了你 {n} 晚的睡眠数据。",
    count_naps="{period}，我这里记录到你一共小睡了 {n} 次。",
    counts={(True, False): "{period}，{n}晚中有{k}晚你的{measure}未达到 {limit}。",
            (True, True): "{period}，{n}晚中有{k}晚你的{measure}在 {limit} 或以下。",
            (False, False): "{period}，{n}晚中有{k}晚你的{measure}超出 {limit}。",
            (False, True): "{period}，{n}晚中有{k}晚你的{measure}达到 {limit} 或以上。"},
    count_below_clock="{period}，{n}晚中有{k}晚你的{measure}早于 {limit}。",
    count_above_clock="{period}，{n}晚中有{k}晚你的{measure}晚于 {limit}。",
    stdev="{period}，你的{measure}波动为 {value}（标准差），共 {n} 晚的数据。",
    trend="{period}，你的{measure}第一周平均为 {first}，最后一周平均为 {last}；趋势为每周 {per_week}，共 {n} 晚的数据。",
    steady="{period}，你的{measure}第一周平均为 {first}，最后一周平均为 {last}，没有明显的趋势，共 {n} 晚的数据。",
    compare="{period}，你的{measure}{stat}为 {value}，{other}为 {other_value}：{difference}。前者来自这 {n} 晚，后者来自这 {other_n} 晚。",
    habit="{start}以来，在你记录了{habit}的 {n} 个晚上，你的{measure}{stat}为 {value}；其余 {other_n} 个晚上为 {other_value}：{difference}。",
    chance="就这些夜晚而言，这个差异很可能只是偶然：{measure}的差异大概率在 {low} 到 {high} 之间。",
    not_chance="这个差异不太可能只是偶然：{measure}的差异大概率在 {low} 到 {high} 之间。",
    link="这只说明在你自己的夜晚里两者有关联，并不能证明是{habit}造成的。",
    too_few="{period}，我这里只有 {n} 晚记录了你的{measure}，太少了，无法回答（至少需要 {needed} 晚）。",
    none="{period}，我这里没有你的{measure}记录，所以无法回答这个问题。",
    too_few_habit="要比较{habit}之后的夜晚和没有{habit}的夜晚，每种至少需要 {needed} 晚；{start}以来你记录了{habit}的有 {n} 晚，没有的有 {other_n} 晚。",
    examples="我可以回答关于你睡眠历史的问题，例如：“我这周和上周比睡得怎么样？”“我这个月平均几点上床？”“最近两周有几个晚上睡不到7小时？”“我周末睡得更久吗？”“十月份我哪一晚睡得最差？”“九月以来我的HRV有什么变化？”“喝酒会影响我的深睡吗？”",
    stats={Aggregate.MEAN: "平均值", Aggregate.MEDIAN: "中位数"},
    times="次",
    more={"count": ("多 {d}", "少 {d}"), "duration": ("多 {d}", "少 {d}"), "clock": ("晚 {d}", "早 {d}"), "other": ("高 {d}", "低 {d}")},
    same="基本持平",
    counted_back="你的记录到{date}为止，所以我从那一晚往回算，而不是从今天算。",
    only_yours="我只能看到你自己的睡眠记录，所以下面说的是你的数据。",
)
WORDS = {Language.EN: _EN, Language.ZH: _ZH}


_FRACTIONAL = (Aggregate.MEAN, Aggregate.MEDIAN, Aggregate.STDEV, Aggregate.TREND)  # 1.4 awakenings a night


def _kind(unit: Unit) -> str:
    return {Unit.SECONDS: "duration", Unit.CLOCK: "clock", Unit.NIGHTS: "count"}.get(unit, "other")


def _date(day: date, words: _Words, language: Language) -> str:
    month = _EN_MONTHS[day.month - 1] if language is Language.EN else day.month
    return words.date.format(d=day.day, m=month, y=day.year)


def _day(day: date, words: _Words, language: Language) -> str:
    return words.day.format(weekday=WEEKDAYS[language][day.weekday()], date=_date(day, words, language))


def _period(result: HistoryResult, side: Side, kind: PeriodKind, nights: int | None, words: _Words,
            language: Language) -> str:
    month = (_EN_MONTHS_LONG[side.start.month - 1] + f" {side.start.year}" if language is Language.EN
             else f"{side.start.year}年{side.start.month}月")
    text = words.periods[kind].format(n=nights, start=_date(side.start, words, language),
                                      end=_date(side.end, words, language), month=month)
    days = result.plan.period.days
    if days.value != "all" and result.plan.compare is None:
        text += words.weekends if days.value == "weekends" else words.weekdays
    return text


def _difference(value: float, unit: Unit, words: _Words, language: Language) -> str:
    shown = format_value(abs(value), Unit.MINUTES if unit is Unit.CLOCK else unit, language)
    if shown.lstrip("+").startswith(("0 ", "0%", "0.0", "0分钟")):  # rounds to nothing: "0 min", "+0.0 °C"
        return words.same
    more, less = words.more[_kind(unit)]
    return (more if value > 0 else less).format(d=shown)


def _signed(value: float, unit: Unit, language: Language) -> str:
    shown = format_value(abs(value), Unit.MINUTES if unit is Unit.CLOCK else unit, language).lstrip("+")
    return ("−" if value < 0 else "+") + shown


def history_text(result: HistoryResult, language: Language) -> str:
    """The deterministic answer: the computed figures, said plainly."""
    text = _text(result, language)
    if result.counted_back:
        words = WORDS[language]
        text = words.counted_back.format(date=_date(result.today, words, language)) + " " + text
    return _ONE_NIGHT.sub(r"\1 night", text) if language is Language.EN else text


_ONE_NIGHT = re.compile(r"(?<![\d.])(1) nights\b")


def _text(result: HistoryResult, language: Language) -> str:
    words, plan = WORDS[language], result.plan
    unit, measure = result.unit, words.measures[plan.measure]
    if plan.aggregate is Aggregate.COUNT:
        unit = Unit.NIGHTS  # nights counted, on each side of a comparison too
    render = (lambda v: format_value(v, Unit.MINUTES, language)) if unit is Unit.CLOCK and plan.aggregate is Aggregate.STDEV \
        else (lambda v: f"{round(v, 1):g} {words.times}") if unit is Unit.COUNT and plan.aggregate in _FRACTIONAL \
        else (lambda v: format_value(v, unit, language))
    main, other, compare = result.main, result.other, plan.compare
    if compare is not None and compare.kind is CompareKind.HABIT:
        habit = TAG_LABELS[language][compare.habit[0]] if compare.habit[0] is not TagKind.WORKOUT else \
            TAG_LABELS[language][TagKind.WORKOUT]
        start = _date(main.start, words, language)
        if main.figure is None or other.figure is None:
            return words.too_few_habit.format(habit=habit, needed=result.needed, start=start, n=main.nights,
                                              other_n=other.nights)
        text = words.habit.format(start=start, n=main.nights, habit=habit, measure=measure, value=render(main.figure),
                                  stat=words.stats.get(plan.aggregate, words.stats[Aggregate.MEAN]),
                                  other_value=render(other.figure), other_n=other.nights,
                                  difference=_difference(result.difference, unit, words, language))
        doubt = result.uncertainty
        sure = words.chance if doubt.could_be_chance else words.not_chance
        return " ".join([text, sure.format(measure=measure, low=_signed(doubt.low, unit, language), high=_signed(doubt.high, unit, language)),
                         words.link.format(habit=habit)])
    period = _period(result, main, plan.period.kind, plan.period.nights, words, language)
    if compare is not None:
        if compare.kind is CompareKind.DAYS:
            if plan.period.kind is PeriodKind.ALL:
                period = words.weekends_since.format(start=_date(main.start, words, language))
            else:
                period += words.weekends
            other_period = words.weekdays.strip().lstrip("的")
        else:
            other_period = _period(result, other, compare.period.kind, compare.period.nights, words, language)
            other_period = other_period[0].lower() + other_period[1:] if language is Language.EN else other_period
        if plan.aggregate is Aggregate.COUNT:  # each side counted in its own words
            capital = other_period[:1].upper() + other_period[1:]
            return " ".join(_count_text(words, name, measure, side, result, language)
                            for name, side in ((period, main), (capital, other)))
        missing = next((s for s in (main, other) if s.figure is None), None)
        if missing is not None:
            name = period if missing is main else other_period
            return _too_few(words, name[:1].upper() + name[1:], missing.nights, measure, result.needed)
        return words.compare.format(period=period, measure=measure, value=render(main.figure), n=main.nights,
                                    stat=words.stats.get(plan.aggregate, words.stats[Aggregate.MEAN]),
                                    other_value=render(other.figure), other=other_period, other_n=other.nights,
                                    difference=_difference(result.difference, unit, words, language))
    if plan.aggregate is Aggregate.COUNT:
        return _count_text(words, period, measure, main, result, language)
    if main.figure is None:
        return _too_few(words, period, main.nights, measure, result.needed)
    if plan.aggregate in (Aggregate.MIN, Aggregate.MAX):
        which = (words.lowest if plan.aggregate is Aggregate.MIN else words.highest)[_kind(unit)]
        return words.extreme.format(period=period, which=which, measure=measure, value=render(main.figure),
                                    day=_day(main.day, words, language))
    if plan.aggregate is Aggregate.TREND:
        first, last = render(main.first_week), render(main.last_week)
        if _difference(main.per_week, unit, words, language) == words.same:
            return words.steady.format(period=period, measure=measure, first=first, last=last, n=main.nights)
        return words.trend.format(period=period, measure=measure, first=first, last=last, n=main.nights,
                                  per_week=_difference(main.per_week, unit, words, language))
    template = {Aggregate.MEAN: words.mean, Aggregate.MEDIAN: words.median, Aggregate.TOTAL: words.total,
                Aggregate.STDEV: words.stdev}[plan.aggregate]
    return template.format(period=period, measure=measure, value=render(main.figure), n=main.nights)


def _count_text(words: _Words, period: str, measure: str, side: Side, result: HistoryResult, language: Language) -> str:
    """The nights of one side counted: all of them, or those past the threshold."""
    plan = result.plan
    if plan.threshold is None:
        return (words.count_naps if plan.measure is Measure.NAP else words.count).format(period=period, n=side.nights)
    limit = format_value(threshold_value(plan), result.unit, language)
    threshold = plan.threshold
    template = (words.count_below_clock if threshold.below else words.count_above_clock) \
        if threshold.unit is Unit.CLOCK else words.counts[threshold.below, threshold.or_equal]
    return template.format(period=period, measure=measure, limit=limit, k=side.matched, n=side.nights)


def _too_few(words: _Words, period: str, nights: int, measure: str, needed: int) -> str:
    if nights == 0:
        return words.none.format(period=period, measure=measure)
    return words.too_few.format(period=period, n=nights, measure=measure, needed=needed)

