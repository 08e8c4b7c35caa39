"""The facts of an analysis: every figure with its subject (a `Metric`) and its relation to it, and the true
figures a good coach derives from them — a stage's share of the night, the change from the baseline in the
metric's unit and in percent — so that a correct reply is never refused for saying them.
"""

from __future__ import annotations

from sleepcot.analysis.baseline import Baseline
from sleepcot.domain import NIGHT_FIELD_UNITS, Fact, Metric, Night, Relation, Unit

# What each numeric Night field measures (the one home for this mapping).
FIELD_METRIC: dict[str, Metric] = {
    "time_in_bed_s": Metric.TIME_IN_BED,
    "total_sleep_s": Metric.TOTAL_SLEEP,
    "latency_s": Metric.LATENCY,
    "awake_s": Metric.AWAKE,
    "deep_s": Metric.DEEP,
    "light_s": Metric.LIGHT,
    "rem_s": Metric.REM,
    "efficiency_pct": Metric.EFFICIENCY,
    "hr_avg_bpm": Metric.HEART_RATE,
    "hr_lowest_bpm": Metric.HEART_RATE,
    "hrv_rmssd_ms": Metric.HRV,
    "resp_rate_bpm": Metric.BREATHING,
    "spo2_avg_pct": Metric.SPO2,
    "spo2_min_pct": Metric.SPO2,
    "skin_temp_dev_c": Metric.TEMPERATURE,
    "awakenings": Metric.AWAKENINGS,
}
FIELD_UNITS = {**NIGHT_FIELD_UNITS, "awakenings": Unit.COUNT}
# The night's figures the coach shows, with their labels, in the order it shows them.
NIGHT_LABELS = (
    ("total_sleep_s", "total sleep"),
    ("time_in_bed_s", "time in bed"),
    ("latency_s", "time to fall asleep"),
    ("awake_s", "awake after falling asleep"),
    ("deep_s", "deep sleep"),
    ("rem_s", "REM sleep"),
    ("light_s", "light sleep"),
    ("efficiency_pct", "sleep efficiency"),
    ("hr_lowest_bpm", "lowest heart rate"),
    ("hrv_rmssd_ms", "HRV (RMSSD)"),
    ("resp_rate_bpm", "respiratory rate"),
    ("spo2_avg_pct", "average SpO2"),
    ("spo2_min_pct", "lowest SpO2"),
    ("skin_temp_dev_c", "skin temperature deviation"),
    ("awakenings", "awakenings"),
)
STAGES = ("deep_s", "rem_s", "light_s")
DURATIONS = (Unit.SECONDS, Unit.MINUTES, Unit.HOURS)


def night_fact(night: Night, field: str, label: str) -> Fact:
    return Fact(key=f"night.{field}", label=label, value=getattr(night, field), unit=FIELD_UNITS[field],
                subject=FIELD_METRIC[field], relation=Relation.VALUE)


def night_facts(night: Night) -> list[Fact]:
    """The night's own figures: bedtime, wake time and every measured field."""
    facts = [
        Fact(key="night.bedtime", label="bedtime", value=night.bedtime_minutes, unit=Unit.CLOCK,
             subject=Metric.BEDTIME),
        Fact(key="night.wake", label="wake time", value=night.wake_minutes, unit=Unit.CLOCK, subject=Metric.WAKE),
    ]
    facts += [night_fact(night, field, label) for field, label in NIGHT_LABELS if getattr(night, field) is not None]
    return facts


def baseline_fact(baseline: Baseline, field: str, label: str) -> Fact | None:
    """The user's own average of a field before the night, or None without enough nights."""
    stat = baseline.get(field)
    if stat is None:
        return None
    return Fact(key=f"base{baseline.window}.{field}", label=f"your {baseline.nights}-night average {label}",
                value=round(stat.mean, 1), unit=FIELD_UNITS[field], subject=FIELD_METRIC[field],
                relation=Relation.BASELINE)


def baseline_nights(baseline: Baseline) -> Fact:
    """How many nights the user's baseline averages ("your 14-night average")."""
    return Fact(key=f"base{baseline.window}.nights", label="nights in your average", value=baseline.nights,
                unit=Unit.NIGHTS, subject=Metric.NIGHTS, relation=Relation.COUNT)


def share_pct(part: float, whole: float) -> float:
    """`part` as a percentage of `whole`."""
    return 100.0 * part / whole


def pct_change(value: float, mean: float) -> float:
    """The change from `mean` in whole percent (signed)."""
    return round(100.0 * (value - mean) / mean) if mean else 0.0


def _kind(unit: Unit) -> str:
    return "duration" if unit in DURATIONS else unit.value


def derived(facts: list[Fact]) -> list[Fact]:
    """The figures that follow from `facts` and are not among them: each stage's share of the night's sleep,
    and for every metric with both the night's value and the baseline, the change in its own unit and in
    percent (signed)."""
    have = {(f.subject, f.relation, _kind(f.unit)) for f in facts}
    values = {f.key.removeprefix("night."): f for f in facts if f.relation is Relation.VALUE and f.key.startswith("night.")}
    out: list[Fact] = []
    total = values.get("total_sleep_s")
    for field in STAGES:
        stage = values.get(field)
        if stage and total and total.value and (stage.subject, Relation.SHARE, "%") not in have:
            out.append(Fact(key=f"share.{field}", label=f"{stage.label} share of sleep", unit=Unit.PERCENT,
                            value=round(share_pct(stage.value, total.value), 1), subject=stage.subject,
                            relation=Relation.SHARE))
    for base in (f for f in facts if f.relation is Relation.BASELINE):
        field = base.key.split(".", 1)[1]
        night = values.get(field)
        if night is None or _kind(night.unit) != _kind(base.unit):
            continue
        if (night.subject, Relation.CHANGE, _kind(night.unit)) not in have:
            out.append(Fact(key=f"diff.{field}", label=f"{night.label} versus your average", unit=night.unit,
                            value=round(night.value - base.value, 1), subject=night.subject, relation=Relation.CHANGE))
        if night.unit is not Unit.CELSIUS and (night.subject, Relation.CHANGE, "%") not in have:
            out.append(Fact(key=f"pct.{field}", label=f"{night.label} versus your average", unit=Unit.PERCENT,
                            value=pct_change(night.value, base.value), subject=night.subject,
                            relation=Relation.CHANGE))
    return out
