"""Domain types every part of SleepCoT shares: the canonical night, the user's profile, logs, findings.

Units are defined once, here: durations in seconds, heart rate in beats per minute, HRV (RMSSD) in
milliseconds, respiratory rate in breaths per minute, SpO2 and efficiency in percent (0-100), skin
temperature as a deviation in degrees Celsius. A night belongs to the local date on which it ENDS.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator


class Unit(str, enum.Enum):
    """The unit a figure is expressed in. Canonical storage uses SECONDS for durations."""

    SECONDS = "s"
    MINUTES = "min"
    HOURS = "h"
    BPM = "bpm"
    MS = "ms"
    PERCENT = "%"
    CELSIUS = "°C"
    BREATHS = "breaths/min"
    NIGHTS = "nights"
    COUNT = "times"
    SCORE = "points"
    CLOCK = "clock"  # a local clock time, value in minutes after midnight (may exceed 1440)


# The unit of each numeric Night field (the one home for this fact).
NIGHT_FIELD_UNITS: dict[str, Unit] = {
    "time_in_bed_s": Unit.SECONDS,
    "total_sleep_s": Unit.SECONDS,
    "latency_s": Unit.SECONDS,
    "awake_s": Unit.SECONDS,
    "deep_s": Unit.SECONDS,
    "light_s": Unit.SECONDS,
    "rem_s": Unit.SECONDS,
    "efficiency_pct": Unit.PERCENT,
    "hr_avg_bpm": Unit.BPM,
    "hr_lowest_bpm": Unit.BPM,
    "hrv_rmssd_ms": Unit.MS,
    "resp_rate_bpm": Unit.BREATHS,
    "spo2_avg_pct": Unit.PERCENT,
    "spo2_min_pct": Unit.PERCENT,
    "skin_temp_dev_c": Unit.CELSIUS,
    "score": Unit.SCORE,
}


class NightKind(str, enum.Enum):
    MAIN = "main"
    NAP = "nap"


class Stage(str, enum.Enum):
    AWAKE = "awake"
    LIGHT = "light"
    DEEP = "deep"
    REM = "rem"
    ASLEEP = "asleep"  # vendors without stages ("classic" Fitbit, plain Apple Health asleep)


class Segment(BaseModel):
    """A contiguous stretch of one sleep stage."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    stage: Stage

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must carry a UTC offset")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
NonNegSeconds = Annotated[int, Field(ge=0, le=24 * 3600)]


class Night(BaseModel):
    """One sleep period from one source, in canonical units.

    `local_date` is derived from `end` (its own UTC offset) unless given: the night of Monday to
    Tuesday belongs to Tuesday.
    """

    model_config = ConfigDict(validate_assignment=False)

    source: str = Field(min_length=1, max_length=40)
    vendor_id: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    end: AwareDatetime
    local_date: date | None = None
    kind: NightKind = NightKind.MAIN

    time_in_bed_s: NonNegSeconds
    total_sleep_s: NonNegSeconds
    latency_s: NonNegSeconds | None = None
    awake_s: NonNegSeconds | None = None
    deep_s: NonNegSeconds | None = None
    light_s: NonNegSeconds | None = None
    rem_s: NonNegSeconds | None = None
    awakenings: int | None = Field(default=None, ge=0, le=500)
    efficiency_pct: float | None = Field(default=None, ge=0, le=100)

    hr_avg_bpm: float | None = Field(default=None, ge=20, le=250)
    hr_lowest_bpm: float | None = Field(default=None, ge=20, le=250)
    hrv_rmssd_ms: float | None = Field(default=None, ge=0, le=500)
    resp_rate_bpm: float | None = Field(default=None, ge=2, le=60)
    spo2_avg_pct: float | None = Field(default=None, ge=50, le=100)
    spo2_min_pct: float | None = Field(default=None, ge=30, le=100)
    skin_temp_dev_c: float | None = Field(default=None, ge=-10, le=10)
    score: int | None = Field(default=None, ge=0, le=100)

    segments: list[Segment] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Night:
        if self.end <= self.start:
            raise ValueError("a night must end after it starts")
        if self.total_sleep_s > self.time_in_bed_s:
            raise ValueError("total sleep cannot exceed time in bed")
        if self.local_date is None:
            self.local_date = self.end.date()  # `end` is in its own local offset
        if self.efficiency_pct is None and self.time_in_bed_s > 0:
            self.efficiency_pct = round(100.0 * self.total_sleep_s / self.time_in_bed_s, 1)
        return self

    @property
    def bedtime_minutes(self) -> int:
        """Local clock time of going to bed, in minutes after the local midnight of the night's start;
        times after midnight continue past 1440 so that 00:30 sorts after 23:30."""
        minutes = self.start.hour * 60 + self.start.minute
        return minutes + 1440 if minutes < 12 * 60 else minutes

    @property
    def wake_minutes(self) -> int:
        return self.end.hour * 60 + self.end.minute

    @property
    def midpoint(self) -> datetime:
        return self.start + (self.end - self.start) / 2

    @property
    def midsleep_minutes(self) -> int:
        """Mid-sleep as minutes from the local midnight of the night's date (negative: before midnight)."""
        mid = self.midpoint
        return (mid.date() - self.local_date).days * 1440 + mid.hour * 60 + mid.minute


HISTORY_DAYS = 60  # a night is judged against the main nights of the 60 days before it (the longest baseline)
# The Night fields that are figures (the store keeps each in a column of the same name).
NIGHT_VALUE_FIELDS: tuple[str, ...] = tuple(
    name for name in Night.model_fields
    if name not in {"source", "vendor_id", "start", "end", "local_date", "kind", "segments"})


class PastNight(NamedTuple("PastNightFields", [(name, Any) for name in (
        "local_date", "start", "bedtime_minutes", "midsleep_minutes", *NIGHT_VALUE_FIELDS)])):
    """A main night before the one judged, as the baselines and the pattern rules read it: its date, its
    start (epoch seconds: what orders two nights of one date), bedtime, mid-sleep and figures. The store
    keeps each user's recent ones as plain lists, made back into these by the thousand in a few
    milliseconds (a `Night` takes a hundred times longer)."""

    __slots__ = ()
    kind = NightKind.MAIN

    @classmethod
    def of(cls, night: Night) -> PastNight:
        return cls(night.local_date, night.start.timestamp(), night.bedtime_minutes, night.midsleep_minutes,
                   *(getattr(night, name) for name in NIGHT_VALUE_FIELDS))

    def as_list(self) -> list:
        """JSON-ready: the date as its ordinal, the rest as they are."""
        return [self.local_date.toordinal(), *self[1:]]

    @classmethod
    def from_list(cls, values: list) -> PastNight:
        return cls(date.fromordinal(values[0]), *values[1:])


class NightValue(NamedTuple):
    """One night as a history question reads it (the store reads just these columns for it)."""

    local_date: date
    kind: NightKind
    start: datetime  # in the offset it was recorded in
    end: datetime
    total_sleep_s: int
    value: float | None  # the asked column's value (None: not measured that night, or no column asked)
    tagged: bool  # the habit asked about was logged for this night


class AgeBand(str, enum.Enum):
    TEEN = "13-17"
    YOUNG = "18-25"
    ADULT = "26-39"
    MIDDLE = "40-64"
    OLDER = "65+"


class Sex(str, enum.Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Language(str, enum.Enum):
    EN = "en"
    ZH = "zh"


class Habits(BaseModel):
    caffeine_cups_per_day: int | None = Field(default=None, ge=0, le=30)
    caffeine_last_time: time | None = None
    alcohol_drinks_per_week: int | None = Field(default=None, ge=0, le=200)
    exercise_days_per_week: int | None = Field(default=None, ge=0, le=7)


class Profile(BaseModel):
    """What the user told us about themselves; used to personalise the reasoning."""

    name: str | None = Field(default=None, max_length=60)
    age_band: AgeBand = AgeBand.ADULT
    sex: Sex | None = None
    timezone: str = "UTC"
    briefing_time: time = time(7, 30)
    weekly_day: int | None = Field(default=6, ge=0, le=6)  # the weekly summary's weekday (0 Monday); None: off
    late_briefing: bool = True  # night data arriving after briefing time: send the briefing then (after a note)
    language: Language = Language.EN
    goals: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=10)
    habits: Habits = Field(default_factory=Habits)
    conditions: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=10)
    shift_work: bool = False

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class TagKind(str, enum.Enum):
    LATE_CAFFEINE = "late_caffeine"
    ALCOHOL = "alcohol"
    WORKOUT = "workout"
    LATE_WORKOUT = "late_workout"
    STRESS = "stress"
    MELATONIN = "melatonin"
    LATE_MEAL = "late_meal"
    SCREEN = "late_screen"
    TRAVEL = "travel"
    ILLNESS = "illness"
    NIGHT_SHIFT = "night_shift"


class Tag(BaseModel):
    """Something the user logged that may affect a night: `local_date` is the local date of the NIGHT it
    affects (a late coffee on Monday afternoon is tagged Tuesday, the date the Monday night ends)."""

    local_date: date
    kind: TagKind
    note: str | None = Field(default=None, max_length=500)


class Metric(str, enum.Enum):
    """What a figure measures: the subject of a claim. The guard reads it from a reply's words and supports a
    figure only with a fact of the same subject."""

    TOTAL_SLEEP = "total_sleep"
    TIME_IN_BED = "time_in_bed"
    DEEP = "deep"
    REM = "rem"
    LIGHT = "light"
    AWAKE = "awake"  # awake after first falling asleep
    LATENCY = "latency"  # time to fall asleep
    EFFICIENCY = "efficiency"
    HRV = "hrv"
    HEART_RATE = "heart_rate"
    SPO2 = "spo2"
    BREATHING = "breathing"
    TEMPERATURE = "temperature"
    BEDTIME = "bedtime"
    WAKE = "wake"  # wake-up time
    AWAKENINGS = "awakenings"
    SLEEP_DEBT = "sleep_debt"
    REGULARITY = "regularity"  # how much bedtimes vary
    MIDSLEEP = "midsleep"  # the shift of mid-sleep between free and work days
    NIGHTS = "nights"  # nights recorded or considered
    SCORE = "score"  # a vendor's sleep score
    CAFFEINE = "caffeine"
    ALCOHOL = "alcohol"
    EXERCISE = "exercise"


class Relation(str, enum.Enum):
    """What a figure is of its subject."""

    VALUE = "value"  # the night's own value
    SHARE = "share"  # its share of the night's sleep
    CHANGE = "change"  # the difference from the user's baseline (signed: negative is below), in units or percent
    BASELINE = "baseline"  # the user's own average before the night
    AGGREGATE = "aggregate"  # over a period: an average, the longest, the shortest
    NORM = "norm"  # a recommended value or a limit from the norms table
    COUNT = "count"  # a count of nights


class Fact(BaseModel):
    """A figure the coach may say: a value, its unit, and what it is true of — its subject (a Metric) and its
    relation to it. The guard supports a figure in a reply only with a fact of the subject and relation the
    reply binds it to, and of the period it names where the fact has `periods`. `subject` None: a figure read
    from free text whose subject could not be read."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    value: float
    unit: Unit
    subject: Metric | None = None
    relation: Relation = Relation.VALUE
    periods: frozenset[str] = frozenset()  # a history figure: what its stretch of nights may be called ("last_week")

    @model_serializer(mode="wrap")
    def _without_empty_periods(self, handler):  # most facts are of no stretch: their JSON stays as it was
        data = handler(self)
        if not self.periods:
            data.pop("periods", None)
        return data

    def render(self, language: Language = Language.EN) -> str:
        from sleepcot.units import format_value

        return format_value(self.value, self.unit, language)


class Severity(int, enum.Enum):
    INFO = 0
    NOTABLE = 1
    CONCERN = 2
    RED_FLAG = 3


class Finding(BaseModel):
    """Something that matters in a night, as data: a code, its severity, the figures it rests on (each with
    its subject and relation), what the user logged that likely caused it, and `marks`, the codes of the
    variant that applies (e.g. "pattern": it happened on several nights). `sleepcot.coach.findings` puts it
    into words, per language; analysis writes no sentence."""

    code: str
    severity: Severity
    score: float = Field(description="importance used for ranking, higher first")
    facts: list[Fact] = Field(default_factory=list)
    marks: list[str] = Field(default_factory=list)
    source: str | None = None
    likely_causes: list[TagKind] = Field(default_factory=list)

    def fact(self, key: str) -> Fact | None:
        """The finding's fact with this key, if it has one."""
        return next((f for f in self.facts if f.key == key), None)

    @property
    def red_flag(self) -> bool:
        return self.severity is Severity.RED_FLAG

