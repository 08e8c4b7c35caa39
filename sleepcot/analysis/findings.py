"""What matters in a night: compare it with the user's own baseline and with the norms, rank Findings.

`analyze` is pure: it takes the night, the nights before it, the profile and the tags, and returns an
`Analysis` whose findings carry every figure they rest on as `Fact`s (the facts the coach may say).
"""

from __future__ import annotations

from calendar import SATURDAY  # nights ending Saturday or Sunday are free days
from dataclasses import dataclass, field
from datetime import timedelta

from sleepcot.analysis.baseline import Baseline, Prior, bedtime_sd
from sleepcot.analysis.facts import (
    FIELD_METRIC,
    baseline_fact,
    baseline_nights,
    derived,
    night_fact,
    night_facts,
    pct_change,
    share_pct,
)
from sleepcot.analysis.norms import NORMS, limit, need_norm, norm_fact
from sleepcot.domain import (
    AgeBand,
    Fact,
    Finding,
    Metric,
    Night,
    PastNight,
    Profile,
    Relation,
    Severity,
    Tag,
    TagKind,
    Unit,
)
from sleepcot.units import SECONDS_PER

# Which logged tags plausibly explain which findings (the "why it likely happened" step).
TAG_EXPLAINS: dict[TagKind, set[str]] = {
    TagKind.LATE_CAFFEINE: {"long_latency", "low_deep", "short_sleep", "low_efficiency"},
    TagKind.ALCOHOL: {"low_rem", "hrv_down", "hr_up", "temp_up", "high_waso"},
    TagKind.LATE_WORKOUT: {"hr_up", "long_latency", "hrv_down"},
    TagKind.STRESS: {"long_latency", "hrv_down", "high_waso", "low_efficiency"},
    TagKind.ILLNESS: {"temp_up", "resp_up", "hr_up", "hrv_down"},
    TagKind.NIGHT_SHIFT: {"short_sleep", "irregular_schedule", "sleep_debt"},
    TagKind.LATE_MEAL: {"hr_up", "low_deep", "high_waso"},
    TagKind.SCREEN: {"long_latency"},
    TagKind.TRAVEL: {"irregular_schedule", "long_latency", "short_sleep"},
}
# Words that name each finding's subject, so a reply can be checked for naming the top finding.
FINDING_TOPICS: dict[str, tuple[str, ...]] = {
    "short_sleep": ("short", "slept", "sleep", "睡眠"),
    "long_latency": ("fall asleep", "fell asleep", "falling asleep", "latency", "入睡"),
    "low_efficiency": ("efficiency", "效率"),
    "high_waso": ("awake", "woke", "waking", "觉醒", "醒"),
    "low_deep": ("deep", "深睡", "深度睡眠"),
    "low_rem": ("rem", "快速眼动"),
    "hrv_down": ("hrv", "heart rate variability", "心率变异"),
    "hr_up": ("heart rate", "心率"),
    "resp_up": ("breathing", "respiratory", "呼吸"),
    "temp_up": ("temperature", "体温", "温度"),
    "low_spo2": ("spo2", "oxygen", "血氧"),
    "possible_breathing_disturbance": ("spo2", "oxygen", "血氧"),
    "irregular_schedule": ("bedtime", "schedule", "regular", "作息", "规律"),
    "social_jetlag": ("jetlag", "free days", "weekend", "社会时差", "周末"),
    "sleep_debt": ("debt", "睡眠债", "欠"),
    "chronic_short_sleep": ("short sleep", "averag", "睡眠不足", "平均"),
    "good_night": ("solid", "slept", "sleep", "睡"),
}
SLEEPINESS_WORDS = ("sleepiness", "sleepy", "drowsy", "dozing", "fatigue", "嗜睡", "犯困", "困倦")
MINUTES_PER_HOUR = int(SECONDS_PER[Unit.HOURS] / SECONDS_PER[Unit.MINUTES])
MINUTES_PER_DAY = int(timedelta(days=1) / timedelta(minutes=1))


@dataclass
class Analysis:
    night: Night
    profile: Profile
    baseline14: Baseline
    baseline60: Baseline
    findings: list[Finding]
    tags: list[Tag] = field(default_factory=list)

    @property
    def top(self) -> Finding:
        return self.findings[0]

    @property
    def red_flags(self) -> list[Finding]:
        return [f for f in self.findings if f.red_flag]

    def night_facts(self) -> list[Fact]:
        """The night's own figures as facts (what the data shows)."""
        return night_facts(self.night)

    def facts(self) -> list[Fact]:
        """Every figure of this analysis: the night's, then each finding's, without repeats, then the figures
        derived from them (stage shares, changes from the baseline)."""
        seen: dict[str, Fact] = {}
        for fact in self.night_facts() + [f for finding in self.findings for f in finding.facts]:
            seen.setdefault(fact.key, fact)
        return list(seen.values()) + derived(list(seen.values()))


def _excess(value: float, threshold: float) -> float:
    """How far past its threshold a value is, as a share of the threshold (either side): what ranks findings
    of one severity."""
    return abs(value - threshold) / threshold if threshold else abs(value)


def _minutes(seconds: float) -> float:
    return seconds / SECONDS_PER[Unit.MINUTES]


class _Rules:
    """The rules, one method each; every method may append findings to `self.out`. Every number they compare
    with comes from the norms table (`limit`)."""

    def __init__(self, night: Night, profile: Profile, b14: Baseline, fortnight: list[Night], tags: list[Tag]):
        self.n, self.profile, self.b = night, profile, b14
        self.fortnight, self.week = fortnight, fortnight[-int(limit("week_nights")):]
        self.tag_kinds = {t.kind for t in tags}
        self.out: list[Finding] = []

    def add(self, code: str, severity: Severity, excess: float, facts: list[Fact], norm: str,
            marks: tuple[str, ...] = ()) -> None:
        causes = sorted((k for k in self.tag_kinds if code in TAG_EXPLAINS.get(k, ())), key=lambda k: k.value)
        late_habit = code in TAG_EXPLAINS[TagKind.LATE_CAFFEINE] and self._habitual_late_caffeine()
        if late_habit and TagKind.LATE_CAFFEINE not in causes:
            causes.append(TagKind.LATE_CAFFEINE)
        if any(f.relation is Relation.BASELINE for f in facts):  # "your 14-night average": the count is a fact too
            facts = facts + [baseline_nights(self.b)]
        self.out.append(Finding(
            code=code, severity=severity, score=severity.value + excess / (1 + excess), facts=facts,
            marks=list(marks), source=NORMS[norm].source, likely_causes=causes,
        ))

    def _habitual_late_caffeine(self) -> bool:
        """The user's usual last caffeine falls within the caffeine cut-off before this night's bedtime."""
        last = self.profile.habits.caffeine_last_time
        if last is None:
            return False
        before_bed = (self.n.bedtime_minutes - (last.hour * MINUTES_PER_HOUR + last.minute)) % MINUTES_PER_DAY
        return before_bed <= limit("caffeine_cutoff_h", Unit.MINUTES)

    def _base_fact(self, metric: str, label: str) -> Fact | None:
        return baseline_fact(self.b, metric, label)

    def _night_fact(self, metric: str, label: str) -> Fact:
        return night_fact(self.n, metric, label)

    def _nights_fact(self) -> Fact:
        return Fact(key="week.nights", label="nights considered", value=len(self.week), unit=Unit.NIGHTS,
                    subject=Metric.NIGHTS, relation=Relation.COUNT)

    # --- duration and continuity -------------------------------------------------------------------
    def duration(self) -> None:
        norm = need_norm(self.profile.age_band)
        need_s = limit(norm, Unit.SECONDS)
        if self.n.total_sleep_s >= need_s:
            return
        facts = [self._night_fact("total_sleep_s", "total sleep"),
                 norm_fact(norm, "recommended minimum", key="norm.sleep_min_h")]
        if base := self._base_fact("total_sleep_s", "sleep"):
            facts.append(base)
        chronic = self.n.total_sleep_s < limit("chronic_short_h", Unit.SECONDS)
        self.add("short_sleep", Severity.CONCERN if chronic else Severity.NOTABLE,
                 _excess(self.n.total_sleep_s, need_s), facts, norm)

    def latency(self) -> None:
        if self.n.latency_s is None:
            return
        minutes = _minutes(self.n.latency_s)
        good = limit("latency_good_max_min")
        stat = self.b.get("latency_s")
        above_usual = (stat is not None and minutes >= limit("latency_slow_min")
                       and pct_change(self.n.latency_s, stat.mean) >= limit("latency_rise_pct"))
        if minutes <= good and not above_usual:
            return
        facts = [self._night_fact("latency_s", "time to fall asleep"),
                 norm_fact("latency_good_max_min", "good-quality limit", key="norm.latency_max_min")]
        if base := self._base_fact("latency_s", "time to fall asleep"):
            facts.append(base)
        # one slow night is notable; the frequency insomnia criteria describe, in a week, is a pattern
        slow_nights = sum(1 for n in self.week if n.latency_s is not None and _minutes(n.latency_s) > good)
        pattern = slow_nights >= limit("insomnia_nights_per_week")
        if pattern:
            facts += [Fact(key="week.slow_onset_nights", label=f"nights over {good:g} min to fall asleep",
                           value=slow_nights, unit=Unit.NIGHTS, subject=Metric.LATENCY, relation=Relation.COUNT),
                      self._nights_fact()]
        marks = tuple(mark for mark, holds in (("pattern", pattern), ("slow_for_you", minutes <= good)) if holds)
        self.add("long_latency", Severity.CONCERN if pattern else Severity.NOTABLE, _excess(minutes, good), facts,
                 "latency_rise_pct" if minutes <= good else "latency_good_max_min", marks)

    def efficiency(self) -> None:
        eff = self.n.efficiency_pct
        good = limit("efficiency_good_pct")
        if eff is None or eff >= good:
            return
        self.add("low_efficiency", Severity.NOTABLE, _excess(eff, good),
                 [self._night_fact("efficiency_pct", "sleep efficiency"),
                  norm_fact("efficiency_good_pct", "good-quality threshold", key="norm.efficiency_pct")],
                 "efficiency_good_pct")

    def waso(self) -> None:
        if self.n.awake_s is None:
            return
        minutes = _minutes(self.n.awake_s)
        long = limit("waso_insomnia_min")
        if minutes <= long:
            return
        self.add("high_waso", Severity.CONCERN, _excess(minutes, long),
                 [self._night_fact("awake_s", "awake after falling asleep"),
                  norm_fact("waso_insomnia_min", "threshold", key="norm.waso_max_min")],
                 "waso_insomnia_min")

    # --- stages --------------------------------------------------------------------------------------
    def stage(self, metric: str, code: str, label: str, norm_low: str) -> None:
        value = getattr(self.n, metric)
        if value is None or not self.n.total_sleep_s:
            return
        share = share_pct(value, self.n.total_sleep_s)
        stat = self.b.get(metric)
        drop = pct_change(value, stat.mean) if stat else 0.0
        low_norm = norm_low
        if metric == "deep_s" and self.profile.age_band is AgeBand.OLDER:
            low_norm = "deep_low_older_pct"
        below_norm = share < limit(low_norm)
        below_self = stat is not None and -drop >= limit("stage_drop_pct")
        if not (below_norm or below_self):
            return
        subject = FIELD_METRIC[metric]
        facts = [self._night_fact(metric, label),
                 Fact(key=f"night.{metric}_share", label=f"{label} share of sleep", value=round(share), unit=Unit.PERCENT,
                      subject=subject, relation=Relation.SHARE)]
        if stat:
            facts += [self._base_fact(metric, label),
                      Fact(key=f"change.{metric}", label=f"{label} versus your average", value=drop, unit=Unit.PERCENT,
                           subject=subject, relation=Relation.CHANGE)]
        excess = max(_excess(share, limit(low_norm)) if below_norm else 0.0,
                     _excess(-drop, limit("stage_drop_pct")) if below_self else 0.0)
        self.add(code, Severity.NOTABLE, excess, facts, low_norm if below_norm else "stage_drop_pct",
                 ("below_self",) if below_self else ())

    # --- physiology ----------------------------------------------------------------------------------
    def relative(self, metric: str, code: str, label: str, unit: Unit, rise: bool, norm: str) -> None:
        value = getattr(self.n, metric)
        stat = self.b.get(metric)
        if value is None or stat is None:
            return
        threshold = limit(norm)
        delta = value - stat.mean
        if NORMS[norm].unit is Unit.PERCENT:
            change = abs(pct_change(value, stat.mean))
            change_unit = Unit.PERCENT
        else:
            change = round(abs(delta), 1)
            change_unit = unit
        triggered = (delta > 0 if rise else delta < 0) and change >= threshold
        if not triggered:
            return
        change_fact = Fact(key=f"change.{metric}", label=f"{label} versus your average", unit=change_unit,
                           value=change if delta >= 0 else -change, subject=FIELD_METRIC[metric], relation=Relation.CHANGE)
        self.add(code, Severity.NOTABLE, _excess(change, threshold),
                 [self._night_fact(metric, label), self._base_fact(metric, label), change_fact], norm)

    def spo2(self) -> None:
        low = self.n.spo2_min_pct
        if low is None:
            return
        notable = limit("spo2_min_notable_pct")
        if low >= notable:
            return
        dips = sum(1 for n in self.week if n.spo2_min_pct is not None and n.spo2_min_pct < notable)
        fragmented = (self.n.awakenings or 0) >= limit("fragmented_awakenings")
        facts = [self._night_fact("spo2_min_pct", "lowest SpO2"),
                 norm_fact("spo2_min_red_flag_pct", "hypoxemia threshold", key="norm.spo2_red_flag_pct"),
                 norm_fact("spo2_min_notable_pct", "dip threshold", key="norm.spo2_notable_pct"),
                 Fact(key="week.spo2_dip_nights", label=f"nights with SpO2 under {notable:g}%", value=dips, unit=Unit.NIGHTS,
                      subject=Metric.SPO2, relation=Relation.COUNT),
                 self._nights_fact()]
        if self.n.awakenings is not None:
            facts.append(self._night_fact("awakenings", "awakenings"))
        if self.n.spo2_avg_pct is not None:
            facts.append(self._night_fact("spo2_avg_pct", "average SpO2"))
        if low <= limit("spo2_min_red_flag_pct") or (fragmented and dips >= limit("spo2_dip_nights")):
            self.add("possible_breathing_disturbance", Severity.RED_FLAG, _excess(low, notable), facts,
                     "spo2_min_red_flag_pct", ("fragmented",) if fragmented else ())
        else:
            self.add("low_spo2", Severity.NOTABLE, _excess(low, notable), facts, "spo2_min_notable_pct")

    # --- patterns across nights -----------------------------------------------------------------------
    def regularity(self) -> None:
        sd = bedtime_sd(self.week)
        irregular = limit("bedtime_sd_irregular_min")
        if sd is None or sd <= irregular:
            return
        self.add("irregular_schedule", Severity.NOTABLE, _excess(sd, irregular),
                 [Fact(key="week.bedtime_sd_min", label="bedtime variability (SD)", value=round(sd), unit=Unit.MINUTES,
                       subject=Metric.REGULARITY, relation=Relation.AGGREGATE),
                  self._nights_fact(),
                  norm_fact("bedtime_sd_irregular_min", "irregularity threshold", key="norm.bedtime_sd_min")],
                 "bedtime_sd_irregular_min")

    def social_jetlag(self) -> None:
        """Mid-sleep on free days (nights ending Saturday or Sunday) against work days, last 14 nights."""
        free = [n.midsleep_minutes for n in self.fortnight if n.local_date.weekday() >= SATURDAY]
        work = [n.midsleep_minutes for n in self.fortnight if n.local_date.weekday() < SATURDAY]
        if len(free) < limit("jetlag_min_free_nights") or len(work) < limit("jetlag_min_work_nights"):
            return
        shift_h = (sum(free) / len(free) - sum(work) / len(work)) / MINUTES_PER_HOUR
        jetlag = limit("social_jetlag_h")
        if abs(shift_h) < jetlag:
            return
        self.add("social_jetlag", Severity.NOTABLE, _excess(abs(shift_h), jetlag),
                 [Fact(key="fortnight.social_jetlag_h", label="mid-sleep shift on free days", value=round(abs(shift_h), 1),
                       unit=Unit.HOURS, subject=Metric.MIDSLEEP, relation=Relation.AGGREGATE),
                  norm_fact("social_jetlag_h", "social jetlag threshold")],
                 "social_jetlag_h", ("later",) if shift_h > 0 else ("earlier",))

    def debt_and_chronic(self) -> None:
        norm = need_norm(self.profile.age_band)
        need_h = limit(norm)
        if len(self.week) < limit("pattern_min_nights"):
            return
        slept_h = [n.total_sleep_s / SECONDS_PER[Unit.HOURS] for n in self.week]
        debt_h = sum(max(0.0, need_h - hours) for hours in slept_h)
        mean_h = sum(slept_h) / len(slept_h)
        chronic = limit("chronic_short_h")
        if mean_h < chronic:
            sleepy = any(w in c.lower() for c in self.profile.conditions for w in SLEEPINESS_WORDS)
            facts = [Fact(key="week.mean_sleep_s", label=f"average sleep over {len(self.week)} nights",
                          value=round(mean_h * SECONDS_PER[Unit.HOURS]), unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP,
                          relation=Relation.AGGREGATE),
                     self._nights_fact(),
                     norm_fact("chronic_short_h", "chronic short sleep threshold")]
            self.add("chronic_short_sleep", Severity.RED_FLAG if sleepy else Severity.CONCERN, _excess(mean_h, chronic),
                     facts, "chronic_short_h", ("sleepy",) if sleepy else ())
        elif debt_h >= limit("debt_notable_h"):
            self.add("sleep_debt", Severity.NOTABLE, _excess(debt_h, limit("debt_notable_h")),
                     [Fact(key="week.debt_h", label="sleep debt", value=round(debt_h, 1), unit=Unit.HOURS,
                           subject=Metric.SLEEP_DEBT, relation=Relation.AGGREGATE),
                      self._nights_fact(),
                      norm_fact(norm, "recommended minimum", key="norm.sleep_min_h")],
                     "debt_notable_h")

    def good_night(self) -> None:
        if any(f.severity >= Severity.NOTABLE for f in self.out):
            return
        facts = [self._night_fact("total_sleep_s", "total sleep")]
        if self.n.efficiency_pct is not None:
            facts.append(self._night_fact("efficiency_pct", "sleep efficiency"))
        self.add("good_night", Severity.INFO, 0.0, facts, need_norm(self.profile.age_band))

    def run(self) -> list[Finding]:
        self.duration()
        self.latency()
        self.efficiency()
        self.waso()
        self.stage("deep_s", "low_deep", "deep sleep", "deep_low_pct")
        self.stage("rem_s", "low_rem", "REM sleep", "rem_low_pct")
        self.relative("hrv_rmssd_ms", "hrv_down", "HRV", Unit.MS, False, "hrv_drop_pct")
        self.relative("hr_lowest_bpm", "hr_up", "lowest heart rate", Unit.BPM, True, "hr_rise_bpm")
        self.relative("resp_rate_bpm", "resp_up", "respiratory rate", Unit.BREATHS, True, "resp_rate_rise")
        self.relative("skin_temp_dev_c", "temp_up", "skin temperature deviation", Unit.CELSIUS, True, "temp_rise_c")
        self.spo2()
        self.regularity()
        self.social_jetlag()
        self.debt_and_chronic()
        self.good_night()
        return sorted(self.out, key=lambda f: -f.score)


def analyze(night: Night, previous: list[Night | PastNight], profile: Profile, tags: list[Tag] = ()) -> Analysis:
    """Judge `night` against the main nights before it (any order; nights at or after it are ignored): as
    `Night`s, or as the `PastNight`s the store keeps of them, which give the same analysis."""
    return judge(night, Prior.of(previous, night.local_date), profile, tags)


def judge(night: Night, prior: Prior, profile: Profile, tags: list[Tag] = ()) -> Analysis:
    """Judge `night` against what the nights before it give (`Prior`); the tags of other dates are ignored."""
    night_tags = [t for t in tags if t.local_date == night.local_date]
    findings = _Rules(night, profile, prior.baseline14, prior.fortnight + [night], night_tags).run()
    return Analysis(night, profile, prior.baseline14, prior.baseline60, findings, night_tags)
