"""The chart that follows an answer about the user's history: which answers get one (a trend, or a comparison
with a figure on each side) and the chart itself, drawn from the result's nights in their canonical unit,
with the measure's and the two sides' names in the user's language."""

from __future__ import annotations

import statistics
from datetime import date

from bot.charts import cjk_family, history_chart
from bot.texts import TEXTS
from sleepcot.analysis.history import Aggregate, CompareKind, HistoryResult, Period, PeriodKind, Side
from sleepcot.coach.history.words import WORDS
from sleepcot.domain import Language
from sleepcot.tagging import TAG_LABELS

# The name of a side's nights, by the kind of its period (the text keys in bot/texts/coaching.py).
_PERIOD_KEYS = {PeriodKind.THIS_WEEK: "chart_this_week", PeriodKind.LAST_WEEK: "chart_last_week",
                PeriodKind.THIS_MONTH: "chart_this_month", PeriodKind.LAST_MONTH: "chart_last_month",
                PeriodKind.LAST_NIGHTS: "chart_last_nights", PeriodKind.MONTH: "chart_month",
                PeriodKind.SINCE: "chart_since", PeriodKind.BETWEEN: "chart_between", PeriodKind.ALL: "chart_all"}


def charted(result: HistoryResult | None) -> bool:
    """Whether a history answer is followed by a chart: a trend or a comparison, with enough nights for its
    figures and nights to draw."""
    return (result is not None and result.enough and bool(result.main.points)
            and (result.plan.aggregate is Aggregate.TREND or result.plan.compare is not None))


def history_png(result: HistoryResult, language: Language) -> bytes:
    """The chart of `result` as a PNG: the main side's nights and average, and the compared side's. Raises
    ValueError when the main side has no night."""
    words = _Words(_drawn(language))
    main, other = result.main, result.other
    if other is None:
        label, compared = words.measure(result), {}
    else:
        label, other_label = words.sides(result)
        compared = {"compared": _series(other), "compared_average": _average(result, other),
                    "compared_label": other_label}
    return history_chart(_series(main), unit=result.unit, label=label, average=_average(result, main),
                         title=words.title(result), language=language, **compared)


def _drawn(language: Language) -> Language:
    """The language the chart can be labelled in: Chinese only where a font draws it (as bot.charts decides
    for its own words), English otherwise."""
    return language if language is not Language.ZH or cjk_family() else Language.EN


def _series(side: Side) -> list[tuple[date, float]]:
    return [(point.day, point.value) for point in side.points]


def _average(result: HistoryResult, side: Side) -> float | None:
    """The side's average line: its figure when the plan asks for the mean, else the mean of its nights (a
    median's, a trend's or a count's figure is no value to draw across the nights)."""
    if result.plan.aggregate is Aggregate.MEAN and side.figure is not None:
        return side.figure
    return statistics.fmean(point.value for point in side.points) if side.points else None


class _Words:
    """The chart's labels and title in one language."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def _say(self, key: str, **values: object) -> str:
        return TEXTS[key][self.language].format(**values)  # drawn, not sent: no HTML escaping

    def _date(self, day: date) -> str:
        return f"{day.month}月{day.day}日" if self.language is Language.ZH else f"{day.day} {day:%b}"

    def measure(self, result: HistoryResult) -> str:
        name = WORDS[self.language].measures[result.plan.measure]
        return name[:1].upper() + name[1:]

    def sides(self, result: HistoryResult) -> tuple[str, str]:
        """What the main and the compared nights are: two periods' names, weekend and weekday nights, or
        nights with a habit and without."""
        compare = result.plan.compare
        if compare.kind is CompareKind.HABIT:
            habit = TAG_LABELS[self.language][compare.habit[0]]
            return self._say("chart_with", habit=habit), self._say("chart_without", habit=habit)
        if compare.kind is CompareKind.DAYS:
            return self._say("chart_weekends"), self._say("chart_weekdays")
        names = self._period(result.plan.period, result.main), self._period(compare.period, result.other)
        return names if names[0] != names[1] else (self._say("chart_period"), self._say("chart_compared"))

    def _period(self, period: Period, side: Side) -> str:
        month = (f"{side.start.year}年{side.start.month}月" if self.language is Language.ZH
                 else f"{side.start:%B %Y}")
        return self._say(_PERIOD_KEYS[period.kind], n=period.nights, month=month, start=self._date(side.start),
                         end=self._date(side.end))

    def title(self, result: HistoryResult) -> str:
        measure, main = self.measure(result), result.main
        if result.other is None:
            return self._say("chart_title", measure=measure, start=self._date(main.start), end=self._date(main.end))
        first, second = self.sides(result)
        return self._say("chart_title_compare", measure=measure, main=first, other=second)
