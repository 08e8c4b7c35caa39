"""The history chart: a PNG of one metric per night over the asked period, with its average and a compared
set of nights on the same date axis; durations in hours, clock times across midnight as HH:MM, Chinese
labels drawn with a CJK font, and a year of nights with few date labels."""

from __future__ import annotations

import io
import math
import re
import warnings
from datetime import date, timedelta
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

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
from sleepcot.domain import Language, Unit

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


def test_chinese_renders_without_warnings() -> None:
    if cjk_family() is None:
        pytest.skip("no font with CJK glyphs installed: Chinese labels cannot be drawn")
    options = {"unit": Unit.SECONDS, "label": "本周", "average": 7.1 * 3600, "compared": LAST_WEEK,
               "compared_average": 6.3 * 3600, "compared_label": "上周", "title": "睡眠：本周与上周"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = history_chart(THIS_WEEK, **options, language=Language.ZH)
        _, ax = _figure(THIS_WEEK, **{k: v for k, v in options.items() if k != "unit"}, language=Language.ZH)
    assert _size(png) == SIZE
    assert ax.get_ylabel() == "小时"
    assert "本周平均：7.1" in [t.get_text() for t in ax.get_legend().get_texts()]


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
