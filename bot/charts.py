"""The bot's two charts, as PNGs:

- `week_chart` (/week): the last nights' sleep stages, efficiency, HRV and lowest heart rate, each against
  the user's usual value;
- `history_chart`: one metric per night over a period the user asked about, with its average, and optionally
  a compared set of nights (last week, nights without alcohol) in a second colour with theirs.

Both are drawn with matplotlib's object API and the Agg canvas, never pyplot (which keeps global state and is
not thread-safe: the bot renders from worker threads), and share the words per language, the CJK font, the
colours, the legend, the day labels and the thinning of date ticks."""

from __future__ import annotations

import io
import logging
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
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sleepcot.analysis.baseline import Baseline
from sleepcot.domain import Language, Night, NightKind, Unit
from sleepcot.units import SECONDS_PER, WEEKDAYS_SHORT, format_clock

MAX_DAYS = 30
MAX_TICK_LABELS = 10
FIGSIZE_IN = (8.0, 7.0)
HISTORY_FIGSIZE_IN = (7.0, 3.5)
DPI = 110
BAR_WIDTH = 0.7
# A font that draws each of these with a glyph of its own is taken to cover the Chinese labels. Two, because
# matplotlib (3.10 on) bundles "Last Resort", which maps every CJK character to one placeholder glyph.
CJK_PROBE = "睡眠"
# The font the image installs (deploy/Dockerfile) and bare metal is told to (docs/operating.md): WenQuanYi Micro
# Hei, Debian's package, Apache-2.0 or GPL-3+ with the font exception. Any other font that draws CJK does too.
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
CLOCK_STEPS_MIN = (15, 30, 60, 120, 180, 240, 360)  # the clock axis ticks every so many minutes
CLOCK_MAX_TICKS = 6

STAGE_COLORS = {"deep_s": "#1f3b73", "light_s": "#6a9be0", "rem_s": "#9b6fd6", "awake_s": "#f2b26b"}
ASLEEP_COLOR = "#9a9a9a"
EFFICIENCY_COLOR = "#2a9d8f"
HRV_COLOR = "#2a6fb0"
HR_COLOR = "#d1495b"
USUAL_COLOR = "#555555"
HISTORY_COLOR = HRV_COLOR  # the asked period
COMPARED_COLOR = HR_COLOR  # the nights it is compared with

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
    average: str  # a series' average line, formatted with {label} and {value}
    compared: str  # the compared nights when the caller gives them no label
    axis: dict[Unit, str]  # the history chart's value axis, by unit


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
        average="{label} average: {value}",
        compared="Compared",
        axis={
            Unit.SECONDS: "Hours", Unit.MINUTES: "Hours", Unit.HOURS: "Hours", Unit.CLOCK: "Time",
            Unit.PERCENT: "%", Unit.MS: "ms", Unit.BPM: "bpm", Unit.BREATHS: "Breaths/min",
            Unit.CELSIUS: "°C", Unit.NIGHTS: "Nights", Unit.COUNT: "Times", Unit.SCORE: "Points",
        },
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
        average="{label}平均：{value}",
        compared="对比",
        axis={
            Unit.SECONDS: "小时", Unit.MINUTES: "小时", Unit.HOURS: "小时", Unit.CLOCK: "时间",
            Unit.PERCENT: "%", Unit.MS: "毫秒", Unit.BPM: "次/分", Unit.BREATHS: "次/分",
            Unit.CELSIUS: "°C", Unit.NIGHTS: "晚", Unit.COUNT: "次", Unit.SCORE: "分",
        },
    ),
}


@cache
def cjk_family() -> str | None:
    """The family name of an installed font that draws CJK (`_draws_cjk`), or None when there is none.
    Matplotlib lists the installed fonts once and keeps the list on disk (~/.cache/matplotlib): a font
    installed after that (`apt-get install fonts-wqy-microhei` on a machine that drew a chart before) is not in
    it, so when the list has none the system's font folders are searched too, and a font found there is added
    to matplotlib's font manager."""
    manager = font_manager.fontManager
    listed = next((entry.name for entry in manager.ttflist if _draws_cjk(entry.fname)), None)
    if listed is not None:
        return listed
    known = {entry.fname for entry in manager.ttflist}
    path = next((path for path in sorted(font_manager.findSystemFonts())
                 if path not in known and _draws_cjk(path)), None)
    if path is None:
        return None
    added = len(manager.ttflist)
    manager.addfont(path)
    return manager.ttflist[added].name


def chart_font_status() -> tuple[int, str]:
    """The log level and line that say, at start, which font draws the Chinese charts, or that none does."""
    family = cjk_family()
    if family is None:
        return logging.WARNING, (f"no font draws Chinese: Chinese users get charts with English labels; install "
                                 f"{CJK_FONT_PACKAGE} (docs/operating.md)")
    return logging.INFO, f"Chinese chart labels are drawn in {family}"


def _draws_cjk(path: str) -> bool:
    """Whether the font file draws each character of `CJK_PROBE` with a glyph of its own."""
    try:
        font = FT2Font(path)
        glyphs = {font.get_char_index(ord(char)) for char in CJK_PROBE}
    except (OSError, RuntimeError):  # an unreadable font file
        return False
    return 0 not in glyphs and len(glyphs) == len(CJK_PROBE)


def _words_and_font(language: Language) -> tuple[_Words, str | None]:
    """The words to draw in and the CJK family they need (None: the default font): Chinese only when a
    font with CJK glyphs is installed, English otherwise."""
    family = cjk_family() if language is Language.ZH else None
    return _WORDS[Language.ZH if family else Language.EN], family


@dataclass(frozen=True)
class _Fonts:
    """Keyword arguments for text: `text` for titles and labels, `legend` as a legend's `prop`."""

    text: dict[str, object]
    legend: dict[str, object]

    @classmethod
    def of(cls, family: str | None) -> _Fonts:
        text: dict[str, object] = {"fontfamily": [family, "DejaVu Sans"]} if family else {}
        return cls(text, {"size": "x-small", "family": text.get("fontfamily", "sans-serif")})


def _legend(ax: Axes, fonts: _Fonts, handles: list[Artist] | None = None, labels: list[str] | None = None,
            ncols: int | None = None) -> None:
    """A small frameless legend above the panel, clear of the data: in one row unless `ncols` says."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1), ncols=ncols or len(handles),
              prop=fonts.legend, frameon=False, borderaxespad=0.2)


def _weekday_label(words: _Words, day: date) -> str:
    """'Mon 3': a date within a few weeks."""
    return f"{words.weekdays[day.weekday()]} {day.day}"


def _thinned(count: int) -> list[int]:
    """The indices of `count` dates to label: every one, or every few so that at most `MAX_TICK_LABELS`
    labels show and do not collide; the last date is always labelled."""
    step = math.ceil(count / MAX_TICK_LABELS)
    return list(range(count))[::-1][::step][::-1]


def _date_axis(ax: Axes, days: list[date], positions: list[float], label: Callable[[date], str],
               fonts: _Fonts) -> None:
    """Labels under the thinned dates (`positions[i]` is where `days[i]` sits on the x axis), and the x range
    from a little more than half a bar before the first date to as much after the last."""
    ticks = _thinned(len(days))
    ax.set_xticks([positions[i] for i in ticks], [label(days[i]) for i in ticks], fontsize="small", **fonts.text)
    ax.set_xlim(positions[0] - 0.6, positions[-1] + 0.6)


def _render(figure: Figure) -> bytes:
    """The figure as a PNG; the figure is cleared after (its artists are not kept alive)."""
    try:
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer)
        return buffer.getvalue()
    finally:
        figure.clear()


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
        self.fonts = _Fonts.of(family)

    def legend(self, ax: Axes, handles: list[Artist] | None = None, labels: list[str] | None = None) -> None:
        _legend(ax, self.fonts, handles, labels)

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
        ax.set_ylabel(self.words.hours, **self.fonts.text)
        self.legend(ax)

    def efficiency(self, ax: Axes) -> None:
        ax.plot(self.x, _series(self.nights, "efficiency_pct"), marker="o", ms=3.5, color=EFFICIENCY_COLOR,
                label=self.words.efficiency)
        usual = _usual(self.baseline, "efficiency_pct")
        if usual is not None:
            ax.axhline(usual, color=EFFICIENCY_COLOR, ls="--", lw=1, alpha=0.7, label=self.words.usual)
        ax.set_ylabel(self.words.efficiency_axis, **self.fonts.text)
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
            axis.set_ylabel(axis_label, color=color, **self.fonts.text)
        handles, labels = ax.get_legend_handles_labels()
        right_handles, right_labels = right.get_legend_handles_labels()
        self.legend(right, handles + right_handles, labels + right_labels)

    def dates(self, ax: Axes) -> None:
        """'Mon 3' under every date, or under every few (`_thinned`)."""
        _date_axis(ax, self.days, [float(x) for x in self.x], lambda day: _weekday_label(self.words, day), self.fonts)


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
    words, family = _words_and_font(language)
    chart = _Chart(days, by_date, baseline, words, family)

    figure = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    stages_ax, efficiency_ax, recovery_ax = figure.subplots(3, 1, sharex=True, height_ratios=(1.4, 1, 1))
    chart.stages(stages_ax)
    chart.efficiency(efficiency_ax)
    chart.recovery(recovery_ax)
    chart.dates(recovery_ax)
    for ax in (stages_ax, efficiency_ax, recovery_ax):
        ax.grid(axis="y", alpha=0.3)
    title = words.title.format(start=words.day(first), end=words.day(last), year=last.year)
    figure.suptitle(title, fontsize="medium", **chart.fonts.text)
    return _render(figure)


def _plotted(value: float, unit: Unit) -> float:
    """A canonical value as the history chart plots it: durations in hours, everything else as it is."""
    return value * SECONDS_PER[unit] / 3600 if unit in SECONDS_PER else value


def _tick_text(value: float, unit: Unit) -> str:
    """A plotted value as its axis and legend show it: 'HH:MM' for a clock time (an after-midnight bedtime
    past 1440 minutes wraps to the next day's clock), '7.2' for hours, a plain number for the rest."""
    if unit is Unit.CLOCK:
        return format_clock(value)
    text = f"{value:.1f}" if unit in SECONDS_PER or abs(value) < 10 else f"{value:.0f}"
    return text[:-2] if text.endswith(".0") else text


def _clock_step(low: float, high: float) -> int:
    """Minutes between clock ticks: the smallest of `CLOCK_STEPS_MIN` that needs at most `CLOCK_MAX_TICKS`."""
    span = high - low
    return next((step for step in CLOCK_STEPS_MIN if span / step < CLOCK_MAX_TICKS), CLOCK_STEPS_MIN[-1])


def _nights(series: Sequence[tuple[date, float]], unit: Unit) -> tuple[list[date], list[float]]:
    """The nights with a finite value, by date, and their plotted values."""
    kept = sorted((day, _plotted(value, unit)) for day, value in series if math.isfinite(value))
    return [day for day, _ in kept], [value for _, value in kept]


def _history_figure(series: Sequence[tuple[date, float]], *, unit: Unit, label: str, average: float | None,
                    compared: Sequence[tuple[date, float]], compared_average: float | None, compared_label: str,
                    title: str, language: Language) -> Figure:
    """The history chart's figure, not yet drawn. The x axis runs over every date from the first night of
    either series to the last, one position per date (the date's ordinal)."""
    days, values = _nights(series, unit)
    if not days:
        raise ValueError("no nights to chart")
    compared_days, compared_values = _nights(compared, unit)
    words, family = _words_and_font(language)
    fonts = _Fonts.of(family)

    figure = Figure(figsize=HISTORY_FIGSIZE_IN, dpi=DPI, layout="constrained")
    ax = figure.subplots()
    marker_size = 3.5 if len(days) + len(compared_days) <= 62 else 2.0
    for nights, night_values, mean, name, color in (
        (days, values, average, label, HISTORY_COLOR),
        (compared_days, compared_values, compared_average, compared_label or words.compared, COMPARED_COLOR),
    ):
        if nights:
            ax.plot([day.toordinal() for day in nights], night_values, marker="o", ms=marker_size, lw=1,
                    color=color, label=name)
        if mean is not None:
            shown = _plotted(mean, unit)
            ax.axhline(shown, color=color, ls="--", lw=1, alpha=0.7,
                       label=words.average.format(label=name, value=_tick_text(shown, unit)))

    first, last = min(days + compared_days), max(days + compared_days)
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    day_label = words.day if len(span) > MAX_DAYS else (lambda day: _weekday_label(words, day))
    _date_axis(ax, span, [float(day.toordinal()) for day in span], day_label, fonts)
    if unit is Unit.CLOCK:
        low, high = ax.get_ylim()
        ax.yaxis.set_major_locator(MultipleLocator(_clock_step(low, high)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _tick_text(value, unit)))
    ax.set_ylabel(words.axis[unit], **fonts.text)
    ax.grid(axis="y", alpha=0.3)
    _legend(ax, fonts, ncols=2)
    figure.suptitle(title, fontsize="medium", **fonts.text)
    return figure


def history_chart(series: Sequence[tuple[date, float]], *, unit: Unit, label: str, average: float | None,
                  compared: Sequence[tuple[date, float]] = (), compared_average: float | None = None,
                  compared_label: str = "", title: str, language: Language = Language.EN) -> bytes:
    """A PNG (770x385): one point per night of the asked period (`series`, (date, value) in the unit's
    canonical form) with its `average` line, and, when given, the `compared` nights in a second colour with
    their `compared_average` line, all against date on one x axis (the two may cover different or
    interleaved dates). Durations show in hours, clock times (minutes after midnight, past 1440 after
    midnight) as HH:MM, other units as plain numbers with the unit on the axis. `label`, `compared_label` and
    `title` come in the user's language; the chart's own words are in `language`, Chinese only with a CJK
    font installed (without one the chart's words are English and Chinese labels cannot be drawn). Nights
    with a NaN value are left out. Raises ValueError when `series` has no night."""
    return _render(_history_figure(series, unit=unit, label=label, average=average, compared=compared,
                                   compared_average=compared_average, compared_label=compared_label,
                                   title=title, language=language))
