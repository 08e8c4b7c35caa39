"""The history chart: a PNG of one metric per night over the asked period, with its average and a compared
set of nights on the same date axis; durations in hours, clock times across midnight as HH:MM, a year of
nights with few date labels; and, as the bot draws it after an answer (bot.history), in Chinese for a Chinese
user (drawn with a font that has CJK glyphs, even one installed after matplotlib listed the fonts; no English
word but HRV, REM, SpO2, bpm, ms) and without Chinese for an English one."""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from PIL import Image

import bot.charts as charts
from bot.charts import (
    _WORDS,
    CJK_PROBE,
    COMPARED_COLOR,
    HISTORY_COLOR,
    MAX_TICK_LABELS,
    _draws_cjk,
    _history_figure,
    _tick_text,
    cjk_family,
    history_chart,
)
from bot.history import charted, history_png
from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis.history import Aggregate, CompareKind, Comparison, Measure, Period, PeriodKind, Plan, run
from sleepcot.domain import Language, Profile, TagKind, Unit
from sleepcot.store import Store, UserStore
from tests.chat.chart_text import CJK, Charts, assert_chinese, assert_english, chinese_font, english_words

TODAY = date(2025, 6, 18)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIZE = (770, 385)  # HISTORY_FIGSIZE_IN at DPI
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _nights(values: list[float], last: date = TODAY) -> list[tuple[date, float]]:
    """The values on consecutive dates ending with `last`."""
    return [(last - timedelta(days=len(values) - 1 - i), value) for i, value in enumerate(values)]


THIS_WEEK = _nights([7.1 * 3600, 6.4 * 3600, 7.8 * 3600, 6.9 * 3600, 7.5 * 3600, 6.2 * 3600, 8.0 * 3600])
LAST_WEEK = _nights([6.0 * 3600, 5.6 * 3600, 6.8 * 3600, 6.3 * 3600, 5.9 * 3600, 7.0 * 3600, 6.5 * 3600],
                    TODAY - timedelta(days=7))


def _figure(series: list[tuple[date, float]], unit: Unit = Unit.SECONDS, language: Language = Language.EN,
            **kwargs: object) -> tuple[Figure, Axes]:
    """The chart's figure, drawn (so that its tick labels are set), and its axes."""
    options: dict = {"label": "Nights", "average": None, "compared": (), "compared_average": None,
                     "compared_label": "", "title": "History", "language": language}
    figure = _history_figure(series, unit=unit, **{**options, **kwargs})
    FigureCanvasAgg(figure).draw()
    return figure, figure.axes[0]


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
        return image.size


def test_renders_a_png() -> None:
    png = history_chart(THIS_WEEK, unit=Unit.SECONDS, label="This week", average=7.1 * 3600, title="Sleep")
    assert _size(png) == SIZE
    assert len(png) < 300_000


def test_duration_with_compared_nights_renders_in_hours() -> None:
    options = {"unit": Unit.SECONDS, "label": "This week", "average": 7.1 * 3600, "title": "Sleep, week on week"}
    alone = history_chart(THIS_WEEK, **options)
    both = history_chart(THIS_WEEK, **options, compared=LAST_WEEK, compared_average=6.3 * 3600,
                         compared_label="Last week")
    assert _size(both) == SIZE
    assert both != alone

    _, ax = _figure(THIS_WEEK, average=7.1 * 3600, compared=LAST_WEEK, compared_average=6.3 * 3600,
                    compared_label="Last week")
    colors = [line.get_color() for line in ax.get_lines()]
    assert colors.count(HISTORY_COLOR) == 2 and colors.count(COMPARED_COLOR) == 2  # nights and average each
    low, high = ax.get_ylim()
    assert 4 < low < 6 and 8 < high < 10  # hours, not seconds
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Nights", "Nights average: 7.1", "Last week", "Last week average: 6.3"]
    shown = {date.fromordinal(round(x)) for line in ax.get_lines()[::2] for x in line.get_xdata()}
    assert shown == {day for day, _ in THIS_WEEK + LAST_WEEK}  # both weeks on one date axis


def test_clock_ticks_across_midnight_read_as_hh_mm() -> None:
    assert [_tick_text(m, Unit.CLOCK) for m in (1410, 1440, 1470, 1530, 0, 1439)] == [
        "23:30", "00:00", "00:30", "01:30", "00:00", "23:59"]
    bedtimes = _nights([1410 + 10 * i for i in range(13)])  # 23:30 to 01:30
    _, ax = _figure(bedtimes, unit=Unit.CLOCK, average=1470)
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 7
    assert all(CLOCK.match(label) for label in labels), labels
    assert "00:00" in labels and any(label.startswith("23:") for label in labels)
    assert ax.get_ylabel() == "Time"


@pytest.mark.parametrize("unit", list(Unit), ids=lambda unit: unit.name)
def test_every_unit_has_axis_words(unit: Unit) -> None:
    assert all(_WORDS[language].axis.get(unit) for language in Language)  # Chinese too, font or not
    assert not english_words(_WORDS[Language.ZH].axis[unit]) and not CJK.search(_WORDS[Language.EN].axis[unit])
    figure = _history_figure(_nights([1.0, 2.0, 3.0]), unit=unit, label="Nights", average=2.0, compared=(),
                             compared_average=None, compared_label="", title="History", language=Language.EN)
    assert figure.axes[0].get_ylabel() == _WORDS[Language.EN].axis[unit]


def test_placeholder_fonts_are_not_taken_for_chinese() -> None:
    """Matplotlib (3.10 on) bundles Last Resort, which maps every CJK character to one placeholder glyph: it
    must not be taken for a Chinese font, which would draw the Chinese charts as boxes without a warning."""
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    last_resort = fonts / "LastResortHE-Regular.ttf"
    if not last_resort.exists():
        pytest.skip(f"this matplotlib ({matplotlib.__version__}) bundles no Last Resort font")
    assert FT2Font(str(last_resort)).get_char_index(ord(CJK_PROBE[0]))  # it claims the character
    assert not _draws_cjk(str(last_resort))
    assert not _draws_cjk(str(fonts / "DejaVuSans.ttf"))
    family = cjk_family()
    assert family is None or _draws_cjk(font_manager.findfont(family, fallback_to_default=False))


def test_a_chinese_font_installed_after_matplotlib_listed_the_fonts_is_found(monkeypatch) -> None:
    """Matplotlib keeps its list of fonts on disk: a font installed since (`apt-get install fonts-wqy-microhei`
    on a machine that drew a chart before) is found in the system's font folders and added."""
    family = chinese_font()
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [entry for entry in manager.ttflist if not _draws_cjk(entry.fname)])
    assert cjk_family.__wrapped__() == family
    assert any(entry.name == family and _draws_cjk(entry.fname) for entry in manager.ttflist)


def test_chinese_renders_without_warnings() -> None:
    family = chinese_font()
    options = {"unit": Unit.SECONDS, "label": "本周", "average": 7.1 * 3600, "compared": LAST_WEEK,
               "compared_average": 6.3 * 3600, "compared_label": "上周", "title": "睡眠：本周与上周"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = history_chart(THIS_WEEK, **options, language=Language.ZH)
        figure, ax = _figure(THIS_WEEK, **{k: v for k, v in options.items() if k != "unit"}, language=Language.ZH)
    assert _size(png) == SIZE
    assert ax.get_ylabel() == "小时"
    assert "本周平均：7.1" in [t.get_text() for t in ax.get_legend().get_texts()]
    texts = [text for text in figure.findobj(Text) if text.get_visible() and text.get_text()]
    assert all(text.get_fontfamily()[0] == family for text in texts if CJK.search(text.get_text()))
    assert not [text.get_text() for text in texts if english_words(text.get_text())]


# --- the chart after a history answer, as the bot draws it (bot.history) -------------------------------------

HISTORY_DAYS = 90


@pytest.fixture(scope="module")
def user(tmp_path_factory) -> Iterator[UserStore]:
    """A user with `HISTORY_DAYS` simulated nights ending TODAY and the alcohol they logged."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('history') / 'sleepcot.db'}")
    store.migrate()
    user = store.for_user(store.create_user(Profile(timezone="Asia/Shanghai")))
    simulator = SimulatorAdapter(Persona.EVENING_ALCOHOL, 7, TODAY, "Asia/Shanghai")
    start = TODAY - timedelta(days=HISTORY_DAYS - 1)
    user.upsert_nights(simulator.fetch_nights(start, TODAY))
    for tag in simulator.fetch_tags(start, TODAY):
        user.add_tag(tag)
    yield user
    store.close()


def _weeks(weeks: int) -> Period:
    return Period(kind=PeriodKind.LAST_NIGHTS, nights=7 * weeks)


PLANS = {  # every kind of chart: a trend, and a comparison of periods, of weekends, of nights with a habit
    "hrv trend": Plan(measure=Measure.HRV, aggregate=Aggregate.TREND, period=_weeks(4)),
    "rem trend": Plan(measure=Measure.REM, aggregate=Aggregate.TREND, period=_weeks(12)),
    "spo2 trend": Plan(measure=Measure.SPO2, aggregate=Aggregate.TREND, period=_weeks(3)),
    "bedtime trend": Plan(measure=Measure.BEDTIME, aggregate=Aggregate.TREND, period=_weeks(4)),
    "lowest heart rate this week against last": Plan(
        measure=Measure.LOWEST_HEART_RATE, period=Period(kind=PeriodKind.THIS_WEEK),
        compare=Comparison(kind=CompareKind.PERIOD, period=Period(kind=PeriodKind.LAST_WEEK))),
    "sleep at weekends": Plan(period=_weeks(8), compare=Comparison(kind=CompareKind.DAYS)),
    "efficiency after alcohol": Plan(measure=Measure.EFFICIENCY, compare=Comparison(kind=CompareKind.HABIT,
                                                                                    habit=(TagKind.ALCOHOL,))),
}


@pytest.mark.parametrize("plan", PLANS.values(), ids=PLANS.keys())
def test_a_chinese_user_s_history_chart_is_in_chinese(user: UserStore, plan: Plan, monkeypatch) -> None:
    family = chinese_font()
    result = run(plan, user, TODAY)
    assert charted(result)
    drawn = Charts().record(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font warns
        png = history_png(result, Language.ZH)
    assert _size(png) == SIZE
    assert_chinese(drawn.last, family)

    history_png(result, Language.EN)
    assert_english(drawn.last)


def test_without_a_chinese_font_a_chinese_user_s_history_chart_is_in_english(user: UserStore, monkeypatch) -> None:
    monkeypatch.setattr(charts, "cjk_family", lambda: None)
    monkeypatch.setattr("bot.history.cjk_family", lambda: None)
    drawn = Charts().record(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = history_png(run(PLANS["sleep at weekends"], user, TODAY), Language.ZH)
    assert _size(png) == SIZE
    assert_english(drawn.last)


@pytest.mark.parametrize("series", [[], [(TODAY, math.nan)]], ids=["empty", "no value"])
def test_no_nights_raise(series: list[tuple[date, float]]) -> None:
    with pytest.raises(ValueError):
        history_chart(series, unit=Unit.SECONDS, label="Nights", average=None, title="Sleep",
                      compared=LAST_WEEK)


def test_a_year_of_nights_keeps_date_labels_few() -> None:
    year = _nights([40 + 10 * math.sin(i / 9) for i in range(366)])
    alcohol = [night for night in year if night[0].weekday() == 4]
    without = [night for night in year if night[0].weekday() != 4]
    png = history_chart(without, unit=Unit.MS, label="Without alcohol", average=40, compared=alcohol,
                        compared_average=38, compared_label="After alcohol", title="HRV over the year")
    assert _size(png) == SIZE

    _, ax = _figure(year, unit=Unit.MS)
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= MAX_TICK_LABELS
    assert labels[-1] == "18 Jun"  # the last night is labelled, by date (a year of weekdays would repeat)
    assert len(set(labels)) == len(labels)
