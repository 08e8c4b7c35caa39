"""The weekly summary: the week's pattern in a few deterministic sentences, sent with the week chart on the
user's chosen weekday.

`weekly_summary` is pure and cheap (no model): it reads the week's main nights, the user's own baseline
from the nights before, and the week's tags. Every figure it writes is rendered with `sleepcot.units` from
a `Fact` it returns alongside the text, so the guard can check the summary like any other reply.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sleepcot.analysis.baseline import MIN_NIGHTS, bedtime_sd, compute_baseline
from sleepcot.analysis.facts import FIELD_METRIC
from sleepcot.analysis.norms import limit, need_norm, norm_fact, sleep_need_range_h
from sleepcot.coach.briefing import CLINICIAN_NOTE
from sleepcot.domain import Fact, Language, Metric, Night, Profile, Relation, Tag, TagKind, Unit
from sleepcot.units import SECONDS_PER, WEEKDAYS, WEEKDAYS_SHORT, format_duration

DAYS_IN_WEEK = int(limit("week_nights"))
BASELINE_WINDOW = int(limit("baseline_long_nights"))  # `before` spans the days before the week
HOUR_S = SECONDS_PER[Unit.HOURS]
MAX_CHARS = 700
MAX_SENTENCES = 6


@dataclass(frozen=True)
class WeeklySummary:
    text: str  # 3-6 short sentences, plain text, in the profile's language
    facts: list[Fact]  # every figure the text states
    red_flag: bool  # the week shows a red flag; the text then ends with the advice to see a clinician


@dataclass(frozen=True)
class _Pattern:
    """A tag whose nights are compared with the week's other nights on one metric."""

    tag: TagKind
    metric: str
    label: str  # the metric, for the Fact
    unit: Unit
    higher_is_better: bool
    modifiable: bool  # worth suggesting fewer such nights


# The order breaks ties between equally strong patterns.
_PATTERNS = (
    _Pattern(TagKind.ALCOHOL, "hrv_rmssd_ms", "HRV", Unit.MS, True, True),
    _Pattern(TagKind.LATE_CAFFEINE, "deep_s", "deep sleep", Unit.SECONDS, True, True),
    _Pattern(TagKind.STRESS, "hrv_rmssd_ms", "HRV", Unit.MS, True, False),
    _Pattern(TagKind.LATE_MEAL, "deep_s", "deep sleep", Unit.SECONDS, True, True),
    _Pattern(TagKind.SCREEN, "latency_s", "time to fall asleep", Unit.SECONDS, False, True),
    _Pattern(TagKind.LATE_WORKOUT, "hr_lowest_bpm", "lowest heart rate", Unit.BPM, False, True),
    _Pattern(TagKind.WORKOUT, "deep_s", "deep sleep", Unit.SECONDS, True, False),
)


@dataclass(frozen=True)
class _Words:
    """The summary's sentences in one language; `{...}` fields take figures rendered by sleepcot.units."""

    weekdays: tuple[str, ...]
    tags: dict[TagKind, str]
    night: tuple[str, str]  # one night, several nights
    metrics: dict[str, str]  # by Night field
    recorded: str
    recorded_one: str
    compare_usual: dict[str, str]  # by direction: less, more, same
    against_norm: dict[str, str]  # by position: under, within, above
    joiner: str  # between the comparison with the usual and with the norm
    sentence_end: str
    norm_alone: str
    extremes: str
    irregular: str
    regular: str
    pattern: str
    spo2: str
    chronic: str
    advice_spo2: str
    advice_short: str
    advice_shift_short: str
    advice_irregular: str
    advice_shift: str
    advice_tag: str
    advice_keep: str


_WORDS = {
    Language.EN: _Words(
        weekdays=WEEKDAYS[Language.EN],
        night=("night", "nights"),
        tags={TagKind.ALCOHOL: "alcohol", TagKind.LATE_CAFFEINE: "late caffeine", TagKind.STRESS: "stress",
              TagKind.LATE_MEAL: "a late meal", TagKind.SCREEN: "late screen time",
              TagKind.LATE_WORKOUT: "a late workout", TagKind.WORKOUT: "a workout"},
        metrics={"hrv_rmssd_ms": "HRV", "deep_s": "deep sleep", "latency_s": "time to fall asleep",
                 "hr_lowest_bpm": "lowest heart rate"},
        recorded="You recorded {n} of {days} nights this week and slept {mean} on average.",
        recorded_one="You recorded {n} of {days} nights this week and slept {mean}.",
        compare_usual={"less": "That is {diff} less than your usual {usual}",
                       "more": "That is {diff} more than your usual {usual}",
                       "same": "That is in line with your usual {usual}"},
        against_norm={"under": "under the recommended {low}–{high} for your age",
                      "within": "within the recommended {low}–{high} for your age",
                      "above": "above the recommended {low}–{high} for your age"},
        joiner=", ",
        sentence_end=".",
        norm_alone="That is {norm}.",
        extremes="Your longest night was {long_day} ({long}), the shortest {short_day} ({short}).",
        irregular="Your bedtimes varied by {sd} (standard deviation), more than the {limit} that marks an irregular schedule.",
        regular="Your bedtimes were regular: they varied by {sd} (standard deviation).",
        pattern="On {n_tag} {night} tagged {tag}, your {metric} averaged {tagged}, against {other} on the other {n_other} {night_other}.",
        spo2="Your lowest SpO2 this week was {low}, on {day}, and it fell to {limit} or under on {n} of {total} nights.",
        chronic="Averaging under {limit} a night is chronic short sleep.",
        advice_spo2="Until you have seen a doctor, sleeping on your side and skipping evening alcohol may help.",
        advice_short="Next week, move your bedtime earlier so that you sleep at least {need}.",
        advice_shift_short="Next week, protect a dark, quiet sleep window of at least {need} after every shift.",
        advice_irregular="Next week, go to bed and get up at the same times every day, weekends included.",
        advice_shift="Next week, keep one dark, quiet sleep window for each block of shifts and protect it.",
        advice_tag="Next week, try fewer nights with {tag} and see whether your {metric} follows.",
        advice_keep="Next week, keep the same routine: it is working.",
    ),
    Language.ZH: _Words(
        weekdays=WEEKDAYS_SHORT[Language.ZH],
        night=("晚", "晚"),
        tags={TagKind.ALCOHOL: "饮酒", TagKind.LATE_CAFFEINE: "晚间咖啡因", TagKind.STRESS: "压力",
              TagKind.LATE_MEAL: "吃得晚", TagKind.SCREEN: "睡前看屏幕", TagKind.LATE_WORKOUT: "晚间运动",
              TagKind.WORKOUT: "运动"},
        metrics={"hrv_rmssd_ms": "心率变异性", "deep_s": "深睡", "latency_s": "入睡用时", "hr_lowest_bpm": "最低心率"},
        recorded="本周 {days} 晚中记录了 {n} 晚，平均每晚睡 {mean}。",
        recorded_one="本周 {days} 晚中记录了 {n} 晚，睡了 {mean}。",
        compare_usual={"less": "这比你平时的 {usual} 少 {diff}",
                       "more": "这比你平时的 {usual} 多 {diff}",
                       "same": "这与你平时的 {usual} 持平"},
        against_norm={"under": "低于你这个年龄推荐的 {low}–{high}",
                      "within": "在你这个年龄推荐的 {low}–{high} 之内",
                      "above": "高于你这个年龄推荐的 {low}–{high}"},
        joiner="，",
        sentence_end="。",
        norm_alone="这个平均值{norm}。",
        extremes="睡得最长的是{long_day}（{long}），最短的是{short_day}（{short}）。",
        irregular="你的上床时间波动了 {sd}（标准差），超过了作息不规律的界限 {limit}。",
        regular="你的上床时间很规律，波动为 {sd}（标准差）。",
        pattern="标记了{tag}的 {n_tag} {night}，你的{metric}平均为 {tagged}，其余 {n_other} 晚平均为 {other}。",
        spo2="你的血氧（SpO2）本周最低为 {low}（{day}），{total} 晚中有 {n} 晚降到 {limit} 或以下。",
        chronic="每晚平均睡眠不足 {limit}，属于长期睡眠不足。",
        advice_spo2="在看医生之前，侧睡和晚上不饮酒可能会有帮助。",
        advice_short="下周试着把上床时间提前，让自己每晚至少睡够 {need}。",
        advice_shift_short="下周每次下班后都保护好一个黑暗、安静的睡眠时段，让自己至少睡够 {need}。",
        advice_irregular="下周试着每天（包括周末）在相同的时间上床和起床。",
        advice_shift="下周为每一轮班次安排一个固定、黑暗、安静的睡眠时段，并保护好它。",
        advice_tag="下周试着减少{tag}的夜晚，看看你的{metric}是否随之改善。",
        advice_keep="下周保持现在的作息就好，它很有效。",
    ),
}


@dataclass(frozen=True)
class _Sentence:
    text: str
    facts: list[Fact]


def _minutes(seconds: float) -> int:
    """Seconds rounded to whole minutes, as seconds: figures are compared after the rounding the text shows."""
    minute = SECONDS_PER[Unit.MINUTES]
    return minute * round(seconds / minute)


def _mean_of(nights: list[Night], metric: str) -> float:
    return statistics.fmean(float(getattr(n, metric)) for n in nights)


def _rounded(value: float, unit: Unit) -> float:
    return _minutes(value) if unit is Unit.SECONDS else round(value)


class _Week:
    """The figures of one week and the sentences that state them."""

    def __init__(self, week: list[Night], before: list[Night], profile: Profile, tags: list[Tag]) -> None:
        self.nights = sorted(week, key=lambda n: (n.local_date, n.start))
        self.profile = profile
        self.words, self.language = _WORDS[profile.language], profile.language
        self.tags = tags
        self.baseline = compute_baseline(before, BASELINE_WINDOW)
        self.need_low, self.need_high = sleep_need_range_h(profile.age_band)
        self.mean_sleep_s = _minutes(_mean_of(self.nights, "total_sleep_s"))
        self.nights_fact = Fact(key="week.nights", label="nights recorded", value=len(self.nights), unit=Unit.NIGHTS,
                                subject=Metric.NIGHTS, relation=Relation.COUNT)
        self.norm_low_fact = norm_fact(need_norm(profile.age_band), "recommended minimum", key="norm.sleep_min_h")

    def weekday(self, night: Night) -> str:
        return self.words.weekdays[night.local_date.weekday()]

    # --- what the week shows ----------------------------------------------------------------------------
    def recorded(self) -> _Sentence:
        days = Fact(key="week.days", label="days in the week", value=DAYS_IN_WEEK, unit=Unit.NIGHTS, subject=Metric.NIGHTS,
                    relation=Relation.COUNT)
        mean = Fact(key="week.mean_sleep_s", label=f"average sleep over {len(self.nights)} nights",
                    value=self.mean_sleep_s, unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP,
                    relation=Relation.AGGREGATE if len(self.nights) > 1 else Relation.VALUE)  # one night: its own
        template = self.words.recorded_one if len(self.nights) == 1 else self.words.recorded
        text = template.format(n=len(self.nights), days=DAYS_IN_WEEK, mean=mean.render(self.language))
        return _Sentence(text, [self.nights_fact, days, mean])

    def comparison(self) -> _Sentence:
        high = norm_fact(need_norm(self.profile.age_band, highest=True), "recommended maximum", key="norm.sleep_max_h")
        mean_h = self.mean_sleep_s / HOUR_S
        position = "under" if mean_h < self.need_low else "above" if mean_h > self.need_high else "within"
        norm = self.words.against_norm[position].format(low=f"{self.need_low:g}", high=high.render(self.language))
        facts = [self.norm_low_fact, high]
        stat = self.baseline.get("total_sleep_s")
        if stat is None:
            return _Sentence(self.words.norm_alone.format(norm=norm), facts)
        usual = Fact(key="base.total_sleep_s", label=f"your {self.baseline.nights}-night average sleep",
                     value=_minutes(stat.mean), unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP, relation=Relation.BASELINE)
        diff = Fact(key="change.total_sleep_s", label="average sleep versus your usual",
                    value=self.mean_sleep_s - usual.value, unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP,
                    relation=Relation.CHANGE)
        direction = "same" if diff.value == 0 else "less" if self.mean_sleep_s < usual.value else "more"
        usual_text = self.words.compare_usual[direction].format(usual=usual.render(self.language), diff=format_duration(abs(diff.value), self.language))
        text = usual_text + self.words.joiner + norm + self.words.sentence_end
        return _Sentence(text, facts + [usual, diff] if diff.value else facts + [usual])

    def extremes(self) -> _Sentence | None:
        if len(self.nights) < 2:
            return None
        longest = max(self.nights, key=lambda n: n.total_sleep_s)
        shortest = min(self.nights, key=lambda n: n.total_sleep_s)
        long = Fact(key="week.longest_sleep_s", label=f"longest night ({longest.local_date:%A})",
                    value=longest.total_sleep_s, unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP, relation=Relation.AGGREGATE)
        short = Fact(key="week.shortest_sleep_s", label=f"shortest night ({shortest.local_date:%A})",
                     value=shortest.total_sleep_s, unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP, relation=Relation.AGGREGATE)
        text = self.words.extremes.format(long_day=self.weekday(longest), long=long.render(self.language),
                                          short_day=self.weekday(shortest), short=short.render(self.language))
        return _Sentence(text, [long, short])

    def regularity(self) -> tuple[_Sentence | None, bool]:
        """The bedtime sentence, and whether the schedule was irregular."""
        sd = bedtime_sd(self.nights)
        if sd is None:
            return None, False
        spread = Fact(key="week.bedtime_sd_min", label="bedtime variability (SD)", value=round(sd), unit=Unit.MINUTES,
                      subject=Metric.REGULARITY, relation=Relation.AGGREGATE)
        if spread.value <= limit("bedtime_sd_irregular_min"):
            return _Sentence(self.words.regular.format(sd=spread.render(self.language)), [spread]), False
        threshold = norm_fact("bedtime_sd_irregular_min", "irregularity threshold", key="norm.bedtime_sd_min")
        return _Sentence(self.words.irregular.format(sd=spread.render(self.language), limit=threshold.render(self.language)), [spread, threshold]), True

    def pattern(self) -> tuple[_Sentence | None, _Pattern | None]:
        """The strongest tag pattern of the week, and that pattern when its tagged nights were worse."""
        tagged_dates: dict[TagKind, set[date]] = {}
        for tag in self.tags:
            tagged_dates.setdefault(tag.kind, set()).add(tag.local_date)
        best: tuple[float, _Pattern, int, float, int, float] | None = None
        for pattern in _PATTERNS:
            dates = tagged_dates.get(pattern.tag)
            if not dates:
                continue
            measured = [n for n in self.nights if getattr(n, pattern.metric) is not None]
            tagged = [n for n in measured if n.local_date in dates]
            other = [n for n in measured if n.local_date not in dates]
            if not tagged or not other:
                continue
            tagged_mean = _rounded(_mean_of(tagged, pattern.metric), pattern.unit)
            other_mean = _rounded(_mean_of(other, pattern.metric), pattern.unit)
            if tagged_mean == other_mean or not other_mean:
                continue
            strength = abs(tagged_mean - other_mean) / other_mean
            if best is None or strength > best[0]:
                best = (strength, pattern, len(tagged), tagged_mean, len(other), other_mean)
        if best is None:
            return None, None
        _, pattern, tagged_count, tagged_mean, other_count, other_mean = best
        tag, key = pattern.tag.value, f"{pattern.tag.value}.{pattern.metric}"
        subject = FIELD_METRIC[pattern.metric]
        tagged_fact = Fact(key=f"tagged.{key}", label=f"average {pattern.label} on nights tagged {tag}",
                           value=tagged_mean, unit=pattern.unit, subject=subject, relation=Relation.AGGREGATE)
        other_fact = Fact(key=f"untagged.{key}", label=f"average {pattern.label} on the other nights",
                          value=other_mean, unit=pattern.unit, subject=subject, relation=Relation.AGGREGATE)
        n_tag = Fact(key=f"tagged.{tag}.nights", label=f"nights tagged {tag}", value=tagged_count, unit=Unit.NIGHTS,
                     subject=Metric.NIGHTS, relation=Relation.COUNT)
        n_other = Fact(key=f"untagged.{tag}.nights", label="other nights", value=other_count, unit=Unit.NIGHTS,
                       subject=Metric.NIGHTS, relation=Relation.COUNT)
        text = self.words.pattern.format(
            n_tag=tagged_count, night=self.words.night[tagged_count > 1], tag=self.words.tags[pattern.tag],
            metric=self.words.metrics[pattern.metric], tagged=tagged_fact.render(self.language), other=other_fact.render(self.language),
            n_other=other_count, night_other=self.words.night[other_count > 1])
        worse = (tagged_fact.value < other_fact.value) == pattern.higher_is_better
        return _Sentence(text, [n_tag, tagged_fact, other_fact, n_other]), pattern if worse else None

    # --- red flags ----------------------------------------------------------------------------------------
    def low_oxygen(self) -> _Sentence | None:
        measured = [n for n in self.nights if n.spo2_min_pct is not None]
        low_nights = [n for n in measured if n.spo2_min_pct <= limit("spo2_min_red_flag_pct")]
        if not low_nights:
            return None
        lowest = min(low_nights, key=lambda n: n.spo2_min_pct)
        low = Fact(key="week.spo2_min_pct", label=f"lowest SpO2 of the week ({lowest.local_date:%A})",
                   value=lowest.spo2_min_pct, unit=Unit.PERCENT, subject=Metric.SPO2, relation=Relation.AGGREGATE)
        threshold = norm_fact("spo2_min_red_flag_pct", "red-flag threshold", key="norm.spo2_red_flag_pct")
        count = Fact(key="week.spo2_red_flag_nights", label=f"nights with SpO2 at or under {limit('spo2_min_red_flag_pct'):g}%",
                     value=len(low_nights), unit=Unit.NIGHTS, subject=Metric.SPO2, relation=Relation.COUNT)
        total = Fact(key="week.spo2_nights", label="nights with SpO2", value=len(measured), unit=Unit.NIGHTS,
                     subject=Metric.NIGHTS, relation=Relation.COUNT)
        text = self.words.spo2.format(low=low.render(self.language), day=self.weekday(lowest), limit=threshold.render(self.language),
                                      n=len(low_nights), total=len(measured))
        return _Sentence(text, [low, threshold, count, total])

    def chronic_short(self) -> _Sentence | None:
        if len(self.nights) < MIN_NIGHTS or self.mean_sleep_s >= limit("chronic_short_h", Unit.SECONDS):
            return None
        threshold = norm_fact("chronic_short_h", "chronic short sleep threshold")
        return _Sentence(self.words.chronic.format(limit=threshold.render(self.language)), [threshold])

    # --- the suggestion -----------------------------------------------------------------------------------
    def advice(self, oxygen: bool, irregular: bool, worse: _Pattern | None) -> tuple[_Sentence, str]:
        """One suggestion for next week, for the weakest point, and that point: oxygen, short sleep, the
        schedule, a habit, or none."""
        if oxygen:
            return _Sentence(self.words.advice_spo2, []), "oxygen"
        if self.mean_sleep_s < self.need_low * HOUR_S:
            need = self.norm_low_fact
            template = self.words.advice_shift_short if self.profile.shift_work else self.words.advice_short
            return _Sentence(template.format(need=need.render(self.language)), [need]), "short"
        if irregular:
            return _Sentence(self.words.advice_shift if self.profile.shift_work else self.words.advice_irregular, []), "schedule"
        if worse is not None and worse.modifiable:
            text = self.words.advice_tag.format(tag=self.words.tags[worse.tag], metric=self.words.metrics[worse.metric])
            return _Sentence(text, []), "habit"
        return _Sentence(self.words.advice_keep, []), "none"


def _join(sentences: list[_Sentence], note: str | None, language: Language) -> str:
    separator = " " if language is Language.EN else ""
    return separator.join([s.text for s in sentences] + ([note] if note else []))


def _fits(sentences: list[_Sentence], note: str | None, language: Language) -> bool:
    count = len(sentences) + (note is not None)
    return count <= MAX_SENTENCES and len(_join(sentences, note, language)) <= MAX_CHARS


def weekly_summary(week: list[Night], before: list[Night], profile: Profile, tags: list[Tag]) -> WeeklySummary | None:
    """The week's summary: `week` holds the main nights of the 7 days ending on the summary's date (any
    order), `before` the main nights of the 60 days before them, `tags` the week's tags. None for an empty
    week. Red flags (SpO2 at or under the hypoxemia threshold on any night; an average under the chronic
    short-sleep threshold over at least 3 nights) follow the week's sleep, and the text ends with the clinician
    note."""
    if not week:
        return None
    w = _Week(week, before, profile, tags)
    oxygen, chronic = w.low_oxygen(), w.chronic_short()
    regularity, irregular = w.regularity()
    pattern, worse = w.pattern()
    extremes = w.extremes()
    advice, weakest = w.advice(oxygen is not None, irregular, worse)
    rests_on = {"schedule": regularity, "habit": pattern}.get(weakest)
    note = CLINICIAN_NOTE[profile.language] if oxygen or chronic else None

    in_order = [w.recorded(), w.comparison(), oxygen, chronic, regularity, pattern, extremes]
    kept = [s for s in in_order if s is not None]
    # The week's sleep, its red flags and what the suggestion rests on always stay; these go first when long.
    droppable = [s for s in (extremes, regularity, pattern) if s is not None and s is not rests_on]
    while droppable and not _fits(kept + [advice], note, profile.language):
        kept.remove(droppable.pop(0))
    chosen = kept + [advice]
    facts = list({f.key: f for s in chosen for f in s.facts}.values())
    return WeeklySummary(text=_join(chosen, note, profile.language), facts=facts, red_flag=note is not None)
