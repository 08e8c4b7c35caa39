"""A question about a user's history as a typed plan: what is measured, how it is summed up, over which
nights, and against what. The rules that read questions and the model (by constrained decoding) both fill
this schema; `compute` runs it. Nothing here reads words or writes them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sleepcot.domain import Metric, TagKind, Unit


class Measure(str, enum.Enum):
    """What a history question measures on each night."""

    TOTAL_SLEEP = "total_sleep"
    TIME_IN_BED = "time_in_bed"
    DEEP = "deep"
    REM = "rem"
    LIGHT = "light"
    AWAKE = "awake"
    LATENCY = "latency"
    EFFICIENCY = "efficiency"
    AWAKENINGS = "awakenings"
    HRV = "hrv"
    HEART_RATE = "heart_rate"  # the night's average
    LOWEST_HEART_RATE = "lowest_heart_rate"
    BREATHING = "breathing"
    SPO2 = "spo2"  # the night's average
    LOWEST_SPO2 = "lowest_spo2"
    TEMPERATURE = "temperature"
    SCORE = "score"
    BEDTIME = "bedtime"
    WAKE = "wake"
    MIDSLEEP = "midsleep"
    SLEEP_DEBT = "sleep_debt"  # the night's shortfall under the sleep the user's age needs
    NAP = "nap"  # a nap's length (the nights are the naps)
    QUALITY = "quality"  # how good a night was: its sleep score where the wearable gives one, else its total sleep


@dataclass(frozen=True)
class MeasureInfo:
    column: str | None  # the Night field it reads (None: worked out from the night's times)
    subject: Metric
    unit: Unit
    higher_is_better: bool | None  # None: neither (a clock time)


MEASURES: dict[Measure, MeasureInfo] = {
    Measure.TOTAL_SLEEP: MeasureInfo("total_sleep_s", Metric.TOTAL_SLEEP, Unit.SECONDS, True),
    Measure.TIME_IN_BED: MeasureInfo("time_in_bed_s", Metric.TIME_IN_BED, Unit.SECONDS, None),
    Measure.DEEP: MeasureInfo("deep_s", Metric.DEEP, Unit.SECONDS, True),
    Measure.REM: MeasureInfo("rem_s", Metric.REM, Unit.SECONDS, True),
    Measure.LIGHT: MeasureInfo("light_s", Metric.LIGHT, Unit.SECONDS, None),
    Measure.AWAKE: MeasureInfo("awake_s", Metric.AWAKE, Unit.SECONDS, False),
    Measure.LATENCY: MeasureInfo("latency_s", Metric.LATENCY, Unit.SECONDS, False),
    Measure.EFFICIENCY: MeasureInfo("efficiency_pct", Metric.EFFICIENCY, Unit.PERCENT, True),
    Measure.AWAKENINGS: MeasureInfo("awakenings", Metric.AWAKENINGS, Unit.COUNT, False),
    Measure.HRV: MeasureInfo("hrv_rmssd_ms", Metric.HRV, Unit.MS, True),
    Measure.HEART_RATE: MeasureInfo("hr_avg_bpm", Metric.HEART_RATE, Unit.BPM, False),
    Measure.LOWEST_HEART_RATE: MeasureInfo("hr_lowest_bpm", Metric.HEART_RATE, Unit.BPM, False),
    Measure.BREATHING: MeasureInfo("resp_rate_bpm", Metric.BREATHING, Unit.BREATHS, None),
    Measure.SPO2: MeasureInfo("spo2_avg_pct", Metric.SPO2, Unit.PERCENT, True),
    Measure.LOWEST_SPO2: MeasureInfo("spo2_min_pct", Metric.SPO2, Unit.PERCENT, True),
    Measure.TEMPERATURE: MeasureInfo("skin_temp_dev_c", Metric.TEMPERATURE, Unit.CELSIUS, None),
    Measure.SCORE: MeasureInfo("score", Metric.SCORE, Unit.SCORE, True),
    Measure.BEDTIME: MeasureInfo(None, Metric.BEDTIME, Unit.CLOCK, None),
    Measure.WAKE: MeasureInfo(None, Metric.WAKE, Unit.CLOCK, None),
    Measure.MIDSLEEP: MeasureInfo(None, Metric.MIDSLEEP, Unit.CLOCK, None),
    Measure.SLEEP_DEBT: MeasureInfo("total_sleep_s", Metric.SLEEP_DEBT, Unit.SECONDS, False),
    Measure.NAP: MeasureInfo("total_sleep_s", Metric.TOTAL_SLEEP, Unit.SECONDS, None),
    Measure.QUALITY: MeasureInfo("score", Metric.SCORE, Unit.SCORE, True),  # resolved to SCORE or TOTAL_SLEEP
}


ADDITIVE = (Unit.SECONDS, Unit.COUNT)  # the units whose nights add up to a total


class Aggregate(str, enum.Enum):
    MEAN = "mean"
    MEDIAN = "median"
    MIN = "min"  # the lowest value (for a clock time: the earliest), with its night
    MAX = "max"
    TOTAL = "total"
    COUNT = "count"  # nights meeting the threshold (no threshold: nights recorded)
    STDEV = "stdev"
    TREND = "trend"  # change per week, and the first week's mean against the last week's


class PeriodKind(str, enum.Enum):
    LAST_NIGHTS = "last_nights"  # the last `nights` local dates, today's included
    THIS_WEEK = "this_week"  # Monday to today
    LAST_WEEK = "last_week"  # the Monday to Sunday before
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    MONTH = "month"  # a named month (`month`, and `year` or the latest one not after today)
    SINCE = "since"  # `start` to today
    BETWEEN = "between"  # `start` to `end`
    ALL = "all"  # every night we hold


class Days(str, enum.Enum):
    ALL = "all"
    WEEKDAYS = "weekdays"  # nights ending Monday to Friday (before a workday... and after one)
    WEEKENDS = "weekends"  # nights ending Saturday or Sunday: the nights of Friday and Saturday


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: PeriodKind = PeriodKind.ALL
    nights: int | None = Field(default=None, ge=1, le=3660)
    month: int | None = Field(default=None, ge=1, le=12)
    year: int | None = Field(default=None, ge=2000, le=2100)
    start: date | None = None
    end: date | None = None
    days: Days = Days.ALL

    @model_validator(mode="after")
    def _complete(self) -> Period:
        needs = {PeriodKind.LAST_NIGHTS: ("nights",), PeriodKind.MONTH: ("month",), PeriodKind.SINCE: ("start",),
                 PeriodKind.BETWEEN: ("start", "end")}.get(self.kind, ())
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind.value} period needs {', '.join(missing)}")
        if self.kind is PeriodKind.BETWEEN and self.start > self.end:
            raise ValueError("a period cannot end before it starts")
        return self


class Threshold(BaseModel):
    """Nights whose value is under (`below`) or over `value`, in `unit`; `or_equal`: the value itself counts
    ("at least 7 h", "7 h or less")."""

    model_config = ConfigDict(frozen=True)

    below: bool
    value: float
    unit: Unit
    or_equal: bool = False


class CompareKind(str, enum.Enum):
    PERIOD = "period"  # the plan's period against `period`
    DAYS = "days"  # weekend nights against weekday nights within the plan's period
    HABIT = "habit"  # nights after a logged habit against nights without, over the habit window


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: CompareKind
    period: Period | None = None
    habit: tuple[TagKind, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Comparison:
        if self.kind is CompareKind.PERIOD and self.period is None:
            raise ValueError("a comparison of periods needs the other period")
        if self.kind is CompareKind.HABIT and not self.habit:
            raise ValueError("a habit comparison needs the habit")
        return self


class Plan(BaseModel):
    """One history question: `aggregate` of `measure` over `period` (main sleeps; naps for Measure.NAP),
    optionally only nights meeting `threshold`, optionally against a `compare`d set of nights."""

    model_config = ConfigDict(frozen=True)

    measure: Measure = Measure.TOTAL_SLEEP
    aggregate: Aggregate = Aggregate.MEAN
    period: Period = Field(default_factory=Period)
    threshold: Threshold | None = None
    compare: Comparison | None = None

    @model_validator(mode="after")
    def _sensible(self) -> Plan:
        if self.threshold is not None and self.aggregate is not Aggregate.COUNT:
            raise ValueError("a threshold counts nights: the aggregate must be count")
        if self.aggregate is Aggregate.TOTAL and MEASURES[self.measure].unit not in ADDITIVE:
            raise ValueError(f"a total of {self.measure.value} means nothing: durations and counts add up")
        if self.compare is not None and self.aggregate in (Aggregate.TREND, Aggregate.COUNT, Aggregate.MIN,
                                                            Aggregate.MAX) and self.compare.kind is CompareKind.HABIT:
            raise ValueError("a habit is compared by the mean (or median) of both sides")
        return self

    @property
    def info(self) -> MeasureInfo:
        return MEASURES[self.measure]
