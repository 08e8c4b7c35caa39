"""The /week chart: a PNG of the last nights' sleep stages, efficiency, HRV and lowest heart rate, each
against the user's usual value. Drawn with matplotlib's object API and the Agg canvas, never pyplot (which
keeps global state and is not thread-safe: the bot renders from worker threads)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from sleepcot.analysis.baseline import Baseline
from sleepcot.domain import Language, Night, NightKind
from sleepcot.units import WEEKDAYS_SHORT

MAX_DAYS = 30
MAX_TICK_LABELS = 10
FIGSIZE_IN = (8.0, 7.0)
DPI = 110
BAR_WIDTH = 0.7
CJK_PROBE = "睡"  # a font that draws this is taken to cover the Chinese labels

STAGE_COLORS = {"deep_s": "#1f3b73", "light_s": "#6a9be0", "rem_s": "#9b6fd6", "awake_s": "#f2b26b"}
ASLEEP_COLOR = "#9a9a9a"
EFFICIENCY_COLOR = "#2a9d8f"
HRV_COLOR = "#2a6fb0"
HR_COLOR = "#d1495b"
USUAL_COLOR = "#555555"

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Words:
    """The chart's labels in one language."""

    weekdays: tuple[str, ...]
    day: Callable[[date], str]  # a date without its year
    title: str  # formatted with {start}, {end} and {year}
    hours: str
    stages: dict[str, str]  # by Night field
    asleep: str
    usual_sleep: str
    efficiency: str
    efficiency_axis: str
    usual: str
    hrv: str
    hrv_axis: str
    usual_hrv: str
    hr: str
    hr_axis: str
    usual_hr: str


_WORDS = {
    Language.EN: _Words(
        weekdays=WEEKDAYS_SHORT[Language.EN],
        day=lambda d: f"{d.day} {_EN_MONTHS[d.month - 1]}",
        title="Sleep, {start} – {end} {year}",
        hours="Hours",
        stages={"deep_s": "Deep", "light_s": "Light", "rem_s": "REM", "awake_s": "Awake"},
        asleep="Asleep (no stages)",
        usual_sleep="Usual sleep",
        efficiency="Efficiency",
        efficiency_axis="Efficiency (%)",
        usual="Usual",
        hrv="HRV",
        hrv_axis="HRV (ms)",
        usual_hrv="Usual HRV",
        hr="Lowest HR",
        hr_axis="Lowest HR (bpm)",
        usual_hr="Usual lowest HR",
    ),
    Language.ZH: _Words(
        weekdays=WEEKDAYS_SHORT[Language.ZH],
        day=lambda d: f"{d.month}月{d.day}日",
        title="睡眠，{year}年{start} – {end}",
        hours="小时",
        stages={"deep_s": "深睡", "light_s": "浅睡", "rem_s": "快速眼动", "awake_s": "清醒"},
        asleep="睡眠（无分期）",
        usual_sleep="平时睡眠",
        efficiency="睡眠效率",
        efficiency_axis="睡眠效率 (%)",
        usual="平时",
        hrv="心率变异性",
        hrv_axis="心率变异性 (毫秒)",
        usual_hrv="平时心率变异性",
        hr="最低心率",
        hr_axis="最低心率 (次/分)",
        usual_hr="平时最低心率",
    ),
}


@cache
def _cjk_family() -> str | None:
    """The family name of an installed font that has CJK glyphs, or None when there is none."""
    for entry in font_manager.fontManager.ttflist:
        try:
            if FT2Font(entry.fname).get_char_index(ord(CJK_PROBE)):
                return entry.name
        except (OSError, RuntimeError):  # an unreadable font file
            continue
    return None


def _main_nights_by_date(nights: Sequence[Night]) -> dict[date, Night]:
    """One main night per local date: the longest sleep when several sources report one."""
    by_date: dict[date, Night] = {}
    for night in nights:
        if night.kind is not NightKind.MAIN or night.local_date is None:
            continue
        kept = by_date.get(night.local_date)
        if kept is None or night.total_sleep_s > kept.total_sleep_s:
            by_date[night.local_date] = night
    return by_date


def _has_stages(night: Night) -> bool:
    return None not in (night.deep_s, night.light_s, night.rem_s)


def _series(nights: list[Night | None], field: str) -> list[float]:
    """The field's values per date, NaN where a date has no night or the night lacks the value (a gap)."""
    values = (None if night is None else getattr(night, field) for night in nights)
    return [math.nan if value is None else float(value) for value in values]


def _bar_hours(nights: list[Night | None], field: str) -> list[float]:
    """The field in hours per date, 0 (no bar) where a date has no such night."""
    return [(getattr(night, field) or 0) / 3600 if night is not None else 0.0 for night in nights]


def _usual(baseline: Baseline | None, metric: str) -> float | None:
    stat = baseline.get(metric) if baseline is not None else None
    return stat.mean if stat is not None else None


class _Chart:
    """One rendering: the figure's three panels over the dates from the first to the last night."""

    def __init__(self, days: list[date], by_date: dict[date, Night], baseline: Baseline | None, words: _Words,
                 family: str | None) -> None:
        self.days = days
        self.nights = [by_date.get(day) for day in days]
        self.baseline = baseline
        self.words = words
        self.x = list(range(len(days)))
        self.font = {"fontfamily": [family, "DejaVu Sans"]} if family else {}
        self.legend_font = {"size": "x-small", "family": self.font.get("fontfamily", "sans-serif")}

    def legend(self, ax: Axes, handles: list[Artist] | None = None, labels: list[str] | None = None) -> None:
        """A small frameless legend in one row above the panel, clear of the data."""
        if handles is None:
            handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1), ncols=len(handles),
                  prop=self.legend_font, frameon=False, borderaxespad=0.2)

    def stages(self, ax: Axes) -> None:
        """Stacked stage bars in hours; a grey bar of total sleep for nights without stages."""
        staged = [n if n is not None and _has_stages(n) else None for n in self.nights]
        unstaged = [n if n is not None and not _has_stages(n) else None for n in self.nights]
        if any(staged):
            bottom = [0.0] * len(self.x)
            for field, color in STAGE_COLORS.items():
                heights = _bar_hours(staged, field)
                ax.bar(self.x, heights, BAR_WIDTH, bottom=bottom, color=color, label=self.words.stages[field])
                bottom = [b + h for b, h in zip(bottom, heights)]
        if any(unstaged):
            ax.bar(self.x, _bar_hours(unstaged, "total_sleep_s"), BAR_WIDTH, color=ASLEEP_COLOR, label=self.words.asleep)
        usual = _usual(self.baseline, "total_sleep_s")
        if usual is not None:
            ax.axhline(usual / 3600, color=USUAL_COLOR, ls="--", lw=1, label=self.words.usual_sleep)
        ax.set_ylabel(self.words.hours, **self.font)
        self.legend(ax)

    def efficiency(self, ax: Axes) -> None:
        ax.plot(self.x, _series(self.nights, "efficiency_pct"), marker="o", ms=3.5, color=EFFICIENCY_COLOR,
                label=self.words.efficiency)
        usual = _usual(self.baseline, "efficiency_pct")
        if usual is not None:
            ax.axhline(usual, color=EFFICIENCY_COLOR, ls="--", lw=1, alpha=0.7, label=self.words.usual)
        ax.set_ylabel(self.words.efficiency_axis, **self.font)
        self.legend(ax)

    def recovery(self, ax: Axes) -> None:
        """HRV on the left axis, lowest heart rate on the right, one legend for both."""
        right = ax.twinx()
        for axis, metric, color, label, usual_label, axis_label in (
            (ax, "hrv_rmssd_ms", HRV_COLOR, self.words.hrv, self.words.usual_hrv, self.words.hrv_axis),
            (right, "hr_lowest_bpm", HR_COLOR, self.words.hr, self.words.usual_hr, self.words.hr_axis),
        ):
            axis.plot(self.x, _series(self.nights, metric), marker="o", ms=3.5, color=color, label=label)
            usual = _usual(self.baseline, metric)
            if usual is not None:
                axis.axhline(usual, color=color, ls="--", lw=1, alpha=0.7, label=usual_label)
            axis.set_ylabel(axis_label, color=color, **self.font)
        handles, labels = ax.get_legend_handles_labels()
        right_handles, right_labels = right.get_legend_handles_labels()
        self.legend(right, handles + right_handles, labels + right_labels)

    def dates(self, ax: Axes) -> None:
        """'Mon 3' under every date, or under every few so that a month's labels do not collide; the
        last date is always labelled."""
        step = math.ceil(len(self.days) / MAX_TICK_LABELS)
        ticks = self.x[::-1][::step][::-1]
        labels = [f"{self.words.weekdays[self.days[i].weekday()]} {self.days[i].day}" for i in ticks]
        ax.set_xticks(ticks, labels, fontsize="small", **self.font)
        ax.set_xlim(-0.6, len(self.days) - 0.4)


def week_chart(nights: Sequence[Night], baseline: Baseline | None, *, language: Language = Language.EN) -> bytes:
    """A PNG (880x770) of the main nights over the last `MAX_DAYS` dates that end with the latest night,
    one x position per date (a date without a night is left empty). Chinese labels need a font with CJK
    glyphs; without one the chart is in English. Raises ValueError when there is no main night."""
    by_date = _main_nights_by_date(nights)
    if not by_date:
        raise ValueError("no main nights to chart")
    last = max(by_date)
    first = max(min(by_date), last - timedelta(days=MAX_DAYS - 1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    family = _cjk_family() if language is Language.ZH else None
    words = _WORDS[Language.ZH if family else Language.EN]
    chart = _Chart(days, by_date, baseline, words, family)

    figure = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    try:
        stages_ax, efficiency_ax, recovery_ax = figure.subplots(3, 1, sharex=True, height_ratios=(1.4, 1, 1))
        chart.stages(stages_ax)
        chart.efficiency(efficiency_ax)
        chart.recovery(recovery_ax)
        chart.dates(recovery_ax)
        for ax in (stages_ax, efficiency_ax, recovery_ax):
            ax.grid(axis="y", alpha=0.3)
        title = words.title.format(start=words.day(first), end=words.day(last), year=last.year)
        figure.suptitle(title, fontsize="medium", **chart.font)
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer)
        return buffer.getvalue()
    finally:
        figure.clear()
