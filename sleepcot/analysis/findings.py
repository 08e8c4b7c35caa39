"""What matters in a night: compare it with the user's own baseline and with the norms, rank Findings.

`analyze` is pure: it takes the night, the nights before it, the profile and the tags, and returns an
`Analysis` whose findings carry every figure they rest on as `Fact`s (the facts the coach may say).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sleepcot.analysis.baseline import Baseline, bedtime_sd, compute_baseline
from sleepcot.analysis.facts import (
    FIELD_METRIC,
    baseline_fact,
    baseline_nights,
    derived,
    night_fact,
    night_facts,
    pct_change,
)
from sleepcot.analysis.norms import NORMS, need_norm, norm_fact, sleep_need_range_h
from sleepcot.domain import (
    AgeBand,
    Fact,
    Finding,
    Metric,
    Night,
    NightKind,
    Profile,
    Relation,
    Severity,
    Tag,
    TagKind,
    Unit,
)
from sleepcot.units import format_value

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
LATE_CAFFEINE_HOUR = 14


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


def _midsleep_min(night: Night) -> float:
    """Mid-sleep as minutes from the local midnight of the night's date (negative: before midnight)."""
    mid = night.midpoint
    return (mid.date() - night.local_date).days * 1440 + mid.hour * 60 + mid.minute


class _Rules:
    """The rules, one method each; every method may append findings to `self.out`."""

    def __init__(self, night: Night, profile: Profile, b14: Baseline, fortnight: list[Night], tags: list[Tag]):
        self.n, self.profile, self.b = night, profile, b14
        self.fortnight, self.week = fortnight, fortnight[-7:]
        self.tag_kinds = {t.kind for t in tags}
        self.out: list[Finding] = []

    def add(self, code: str, title: str, detail: str, severity: Severity, magnitude: float,
            facts: list[Fact], advice: str, norm: str) -> None:
        causes = sorted((k for k in self.tag_kinds if code in TAG_EXPLAINS.get(k, ())), key=lambda k: k.value)
        late_habit = code in TAG_EXPLAINS[TagKind.LATE_CAFFEINE] and self._habitual_late_caffeine()
        if late_habit and TagKind.LATE_CAFFEINE not in causes:
            causes.append(TagKind.LATE_CAFFEINE)
        if any(f.relation is Relation.BASELINE for f in facts):  # "your 14-night average": the count is a fact too
            facts = facts + [baseline_nights(self.b)]
        self.out.append(Finding(
            code=code, title=title, detail=detail, severity=severity,
            score=10.0 * severity.value + min(magnitude, 9.9), facts=facts, advice=advice,
            source=NORMS[norm].source, likely_causes=causes,
        ))

    def _habitual_late_caffeine(self) -> bool:
        last = self.profile.habits.caffeine_last_time
        return last is not None and last.hour >= LATE_CAFFEINE_HOUR

    def _base_fact(self, metric: str, label: str) -> Fact | None:
        return baseline_fact(self.b, metric, label)

    def _night_fact(self, metric: str, label: str) -> Fact:
        return night_fact(self.n, metric, label)

    def _nights_fact(self) -> Fact:
        return Fact(key="week.nights", label="nights considered", value=len(self.week), unit=Unit.NIGHTS,
                    subject=Metric.NIGHTS, relation=Relation.COUNT)

    # --- duration and continuity -------------------------------------------------------------------
    def duration(self) -> None:
        need_min, _ = sleep_need_range_h(self.profile.age_band)
        total_h = self.n.total_sleep_s / 3600
        if total_h >= need_min:
            return
        norm = need_norm(self.profile.age_band)
        facts = [self._night_fact("total_sleep_s", "total sleep"),
                 norm_fact(norm, "recommended minimum", key="norm.sleep_min_h")]
        if base := self._base_fact("total_sleep_s", "sleep"):
            facts.append(base)
        severity = Severity.CONCERN if total_h < NORMS["chronic_short_h"].value else Severity.NOTABLE
        self.add("short_sleep", "Short night",
                 f"You slept {facts[0].render()}, under the {need_min:g} h recommended for your age.",
                 severity, (need_min - total_h) * 3, facts,
                 f"Protect a full sleep window tonight: set a bedtime that allows at least {need_min:g} h asleep.", norm)

    def latency(self) -> None:
        if self.n.latency_s is None:
            return
        minutes = self.n.latency_s / 60
        limit = NORMS["latency_good_max_min"].value
        stat = self.b.get("latency_s")
        above_usual = stat is not None and minutes >= 20 and self.n.latency_s > 1.5 * stat.mean
        if minutes <= limit and not above_usual:
            return
        facts = [self._night_fact("latency_s", "time to fall asleep"),
                 norm_fact("latency_good_max_min", "good-quality limit", key="norm.latency_max_min")]
        if base := self._base_fact("latency_s", "time to fall asleep"):
            facts.append(base)
        # one slow night is notable; three or more this week is the pattern insomnia criteria describe
        slow_nights = sum(1 for n in self.week if n.latency_s is not None and n.latency_s / 60 > limit)
        detail = f"It took {facts[0].render()} to fall asleep (good quality is within {limit:g} min)."
        if slow_nights >= 3:
            facts.append(Fact(key="week.slow_onset_nights", label=f"nights over {limit:g} min to fall asleep", value=slow_nights,
                               unit=Unit.NIGHTS, subject=Metric.LATENCY, relation=Relation.COUNT))
            detail += f" That happened on {slow_nights} of the last {len(self.week)} nights."
            facts.append(self._nights_fact())
        self.add("long_latency", "Slow to fall asleep", detail,
                 Severity.CONCERN if slow_nights >= 3 else Severity.NOTABLE, abs(minutes - limit) / 10, facts,
                 "Go to bed only when sleepy; if you lie awake for long, get up and do something calm in dim light until sleepy.",
                 "latency_good_max_min")

    def efficiency(self) -> None:
        eff = self.n.efficiency_pct
        limit = NORMS["efficiency_good_pct"].value
        if eff is None or eff >= limit:
            return
        self.add("low_efficiency", "Low sleep efficiency",
                 f"You were asleep {eff:.0f}% of your time in bed (good quality is {limit:g}% or more).",
                 Severity.NOTABLE, (limit - eff) / 3,
                 [self._night_fact("efficiency_pct", "sleep efficiency"),
                  norm_fact("efficiency_good_pct", "good-quality threshold", key="norm.efficiency_pct")],
                 "Keep the bed for sleep: a consistent wake time and less time lying awake raise efficiency.",
                 "efficiency_good_pct")

    def waso(self) -> None:
        if self.n.awake_s is None:
            return
        minutes = self.n.awake_s / 60
        limit = NORMS["waso_insomnia_min"].value
        if minutes <= limit:
            return
        self.add("high_waso", "Long time awake during the night",
                 f"You were awake {self.n.awake_s // 60} min after first falling asleep (more than {limit:g} min is long enough to look into).",
                 Severity.CONCERN, (minutes - limit) / 15,
                 [self._night_fact("awake_s", "awake after falling asleep"),
                  norm_fact("waso_insomnia_min", "threshold", key="norm.waso_max_min")],
                 "Keep the room cool, dark and quiet; skip alcohol and late fluids; don't watch the clock.",
                 "waso_insomnia_min")

    # --- stages --------------------------------------------------------------------------------------
    def stage(self, metric: str, code: str, label: str, norm_low: str, advice: str) -> None:
        value = getattr(self.n, metric)
        if value is None or not self.n.total_sleep_s:
            return
        share = 100.0 * value / self.n.total_sleep_s
        stat = self.b.get(metric)
        drop = pct_change(value, stat.mean) if stat else 0.0
        low_norm = norm_low
        if metric == "deep_s" and self.profile.age_band is AgeBand.OLDER:
            low_norm = "deep_low_older_pct"
        below_norm = share < NORMS[low_norm].value
        below_self = stat is not None and -drop >= NORMS["stage_drop_pct"].value
        if not (below_norm or below_self):
            return
        subject = FIELD_METRIC[metric]
        facts = [self._night_fact(metric, label),
                 Fact(key=f"night.{metric}_share", label=f"{label} share of sleep", value=round(share), unit=Unit.PERCENT,
                      subject=subject, relation=Relation.SHARE)]
        detail = f"{label[0].upper()}{label[1:]} was {facts[0].render()} ({share:.0f}% of your sleep)"
        if stat:
            facts += [self._base_fact(metric, label),
                      Fact(key=f"change.{metric}", label=f"{label} versus your average", value=drop, unit=Unit.PERCENT,
                           subject=subject, relation=Relation.CHANGE)]
            if below_self:
                detail += f", {abs(drop):.0f}% under your usual {facts[2].render()}"
        self.add(code, f"Low {label}", detail + ".", Severity.NOTABLE, abs(drop) / 10 + (3 if below_norm else 0),
                 facts, advice, low_norm if below_norm else "stage_drop_pct")

    # --- physiology ----------------------------------------------------------------------------------
    def relative(self, metric: str, code: str, title: str, label: str, unit: Unit, rise: bool, norm: str,
                 advice: str) -> None:
        value = getattr(self.n, metric)
        stat = self.b.get(metric)
        if value is None or stat is None:
            return
        threshold = NORMS[norm].value
        delta = value - stat.mean
        if NORMS[norm].unit is Unit.PERCENT:
            change = abs(pct_change(value, stat.mean))
            triggered = (delta < 0 if not rise else delta > 0) and change >= threshold
            change_unit = Unit.PERCENT
        else:
            change = round(abs(delta), 1)
            triggered = (delta > 0 if rise else delta < 0) and change >= threshold
            change_unit = unit
        change_fact = Fact(key=f"change.{metric}", label=f"{label} versus your average", unit=change_unit,
                           value=change if delta >= 0 else -change, subject=FIELD_METRIC[metric], relation=Relation.CHANGE)
        if not triggered:
            return
        night = self._night_fact(metric, label)
        base = self._base_fact(metric, label)
        direction = "above" if rise else "below"
        self.add(code, title, f"{label[0].upper()}{label[1:]} was {night.render()}, {format_value(change, change_unit)} {direction} your usual {base.render()}.",
                 Severity.NOTABLE, change / threshold * 2, [night, base, change_fact], advice, norm)

    def spo2(self) -> None:
        low = self.n.spo2_min_pct
        if low is None:
            return
        notable = NORMS["spo2_min_notable_pct"].value
        red = NORMS["spo2_min_red_flag_pct"].value
        if low >= notable:
            return
        dips = sum(1 for n in self.week if n.spo2_min_pct is not None and n.spo2_min_pct < notable)
        fragmented = (self.n.awakenings or 0) >= NORMS["fragmented_awakenings"].value
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
        if low <= red or (fragmented and dips >= 3):
            self.add("possible_breathing_disturbance", "Oxygen dips during sleep",
                     f"Your lowest SpO2 was {low:.0f}% and it fell under {notable:g}% on {dips} of the last {len(self.week)} nights"
                     + (f", with {self.n.awakenings} awakenings" if fragmented else "") + ". "
                     "Repeated dips like these deserve a doctor's look; only a sleep study can tell what causes them.",
                     Severity.RED_FLAG, (notable - low), facts,
                     "Please talk to a doctor or a sleep clinic about these oxygen dips; a home sleep test can check for sleep apnea. "
                     "Sleeping on your side and avoiding alcohol in the evening can help meanwhile.",
                     "spo2_min_red_flag_pct")
        else:
            self.add("low_spo2", "A dip in blood oxygen",
                     f"Your lowest SpO2 was {low:.0f}%; dips under {notable:g}% are worth watching.",
                     Severity.NOTABLE, (notable - low), facts,
                     "Watch whether these dips repeat; wrist SpO2 is noisy, but repeated dips deserve a doctor's look.",
                     "spo2_min_notable_pct")

    # --- patterns across nights -----------------------------------------------------------------------
    def regularity(self) -> None:
        recent = self.week
        sd = bedtime_sd(recent)
        limit = NORMS["bedtime_sd_irregular_min"].value
        if sd is None or sd <= limit:
            return
        self.add("irregular_schedule", "Irregular sleep schedule",
                 f"Your bedtime varied by about {sd:.0f} min (standard deviation) over the last {len(recent)} nights.",
                 Severity.NOTABLE, sd / 30,
                 [Fact(key="week.bedtime_sd_min", label="bedtime variability (SD)", value=round(sd), unit=Unit.MINUTES,
                       subject=Metric.REGULARITY, relation=Relation.AGGREGATE),
                  self._nights_fact(),
                  norm_fact("bedtime_sd_irregular_min", "irregularity threshold", key="norm.bedtime_sd_min")],
                 "Anchor your wake time first: the same time every day, even after a short night.",
                 "bedtime_sd_irregular_min")

    def social_jetlag(self) -> None:
        """Mid-sleep on free days (nights ending Saturday or Sunday) against work days, last 14 nights."""
        free = [_midsleep_min(n) for n in self.fortnight if n.local_date.weekday() >= 5]
        work = [_midsleep_min(n) for n in self.fortnight if n.local_date.weekday() < 5]
        if len(free) < 2 or len(work) < 3:
            return
        shift_h = (sum(free) / len(free) - sum(work) / len(work)) / 60
        limit = NORMS["social_jetlag_h"].value
        if abs(shift_h) < limit:
            return
        self.add("social_jetlag", "Social jetlag",
                 f"On free days your sleep is centred {abs(shift_h):.1f} h {'later' if shift_h > 0 else 'earlier'} than on work days.",
                 Severity.NOTABLE, abs(shift_h) * 2,
                 [Fact(key="fortnight.social_jetlag_h", label="mid-sleep shift on free days", value=round(abs(shift_h), 1),
                       unit=Unit.HOURS, subject=Metric.MIDSLEEP, relation=Relation.AGGREGATE),
                  norm_fact("social_jetlag_h", "social jetlag threshold")],
                 "Keep weekend wake times close to weekday ones; get morning daylight on free days too.",
                 "social_jetlag_h")

    def debt_and_chronic(self) -> None:
        need_min, _ = sleep_need_range_h(self.profile.age_band)
        if len(self.week) < 3:
            return
        debt_h = sum(max(0.0, need_min - n.total_sleep_s / 3600) for n in self.week)
        mean_h = sum(n.total_sleep_s for n in self.week) / len(self.week) / 3600
        if mean_h < NORMS["chronic_short_h"].value:
            sleepy = any(w in c.lower() for c in self.profile.conditions for w in SLEEPINESS_WORDS)
            facts = [Fact(key="week.mean_sleep_s", label=f"average sleep over {len(self.week)} nights", value=round(mean_h * 3600),
                          unit=Unit.SECONDS, subject=Metric.TOTAL_SLEEP, relation=Relation.AGGREGATE),
                     self._nights_fact(),
                     norm_fact("chronic_short_h", "chronic short sleep threshold")]
            self.add("chronic_short_sleep", "Chronic short sleep",
                     f"You have averaged {facts[0].render()} over the last {len(self.week)} nights"
                     + (", and you report daytime sleepiness" if sleepy else "") + ".",
                     Severity.RED_FLAG if sleepy else Severity.CONCERN, (6 - mean_h) * 3, facts,
                     ("Please see a doctor about ongoing short sleep with daytime sleepiness, and do not drive when drowsy. "
                      if sleepy else "") + "Move your bedtime a little earlier every few nights until you reach the recommended minimum.",
                     "chronic_short_h")
        elif debt_h >= NORMS["debt_notable_h"].value:
            self.add("sleep_debt", "Sleep debt building up",
                     f"Over the last {len(self.week)} nights you slept about {debt_h:.1f} h less than the {need_min:g} h minimum.",
                     Severity.NOTABLE, debt_h / 2,
                     [Fact(key="week.debt_h", label="sleep debt", value=round(debt_h, 1), unit=Unit.HOURS,
                           subject=Metric.SLEEP_DEBT, relation=Relation.AGGREGATE),
                      self._nights_fact(),
                      norm_fact(need_norm(self.profile.age_band), "recommended minimum", key="norm.sleep_min_h")],
                     "Pay it back gradually: going to bed a little earlier for several nights beats one long lie-in.",
                     "debt_notable_h")

    def good_night(self) -> None:
        if any(f.severity >= Severity.NOTABLE for f in self.out):
            return
        facts = [self._night_fact("total_sleep_s", "total sleep")]
        if self.n.efficiency_pct is not None:
            facts.append(self._night_fact("efficiency_pct", "sleep efficiency"))
        self.add("good_night", "A solid night",
                 f"You slept {facts[0].render()}" + (f" at {self.n.efficiency_pct:.0f}% efficiency" if self.n.efficiency_pct else "")
                 + ", in line with your needs.", Severity.INFO, 0, facts,
                 "Keep the same wake time and wind-down routine that worked last night.", "sleep_min_adult_h")

    def run(self) -> list[Finding]:
        self.duration()
        self.latency()
        self.efficiency()
        self.waso()
        self.stage("deep_s", "low_deep", "deep sleep", "deep_low_pct",
                   "Have your last coffee before early afternoon and skip evening alcohol; daytime exercise and a cool room support deep sleep.")
        self.stage("rem_s", "low_rem", "REM sleep", "rem_low_pct",
                   "Skip evening alcohol and keep a regular wake time: REM comes mostly in the last hours of the night.")
        self.relative("hrv_rmssd_ms", "hrv_down", "HRV below your usual", "HRV", Unit.MS, False, "hrv_drop_pct",
                      "Take it easier today: light activity, no alcohol tonight, and an early night help HRV recover.")
        self.relative("hr_lowest_bpm", "hr_up", "Resting heart rate raised", "lowest heart rate", Unit.BPM, True, "hr_rise_bpm",
                      "A late meal, alcohol, hard late training or an oncoming illness can raise it; keep tonight's evening light.")
        self.relative("resp_rate_bpm", "resp_up", "Breathing rate raised", "respiratory rate", Unit.BREATHS, True, "resp_rate_rise",
                      "Watch for signs of illness and rest if you feel unwell.")
        self.relative("skin_temp_dev_c", "temp_up", "Skin temperature raised", "skin temperature deviation", Unit.CELSIUS, True,
                      "temp_rise_c", "If you feel unwell, rest; a cool, dark bedroom helps sleep.")
        self.spo2()
        self.regularity()
        self.social_jetlag()
        self.debt_and_chronic()
        self.good_night()
        return sorted(self.out, key=lambda f: -f.score)


def analyze(night: Night, previous: list[Night], profile: Profile, tags: list[Tag] = ()) -> Analysis:
    """Judge `night` against the main nights before it (any order; nights at or after it are ignored)."""
    prior = sorted((n for n in previous if n.kind is NightKind.MAIN and n.local_date < night.local_date),
                   key=lambda n: (n.local_date, n.start))
    b14, b60 = compute_baseline(prior, 14), compute_baseline(prior, 60)
    fortnight = prior[-13:] + [night]
    night_tags = [t for t in tags if t.local_date == night.local_date]
    findings = _Rules(night, profile, b14, fortnight, night_tags).run()
    return Analysis(night, profile, b14, b60, findings, night_tags)
