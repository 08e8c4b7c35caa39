"""The /week chart: a PNG of the right size for 7 to 30 simulated nights, with gaps and missing values, that
changes with the data; in English for an English user and in Chinese for a Chinese one (no English word but
HRV, REM, SpO2, bpm, ms), falling back cleanly to English without a font that draws Chinese; and the bot's
start naming that font, or warning that there is none."""

from __future__ import annotations

import logging
import struct
import warnings
from datetime import date, timedelta

import pytest

import bot.charts as charts
from bot.charts import CJK_FONT_PACKAGE, week_chart
from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis.baseline import Baseline, compute_baseline
from sleepcot.domain import Language, Night, NightKind
from tests.chat.chart_text import Charts, assert_chinese, assert_english, chinese_font

TODAY = date(2025, 6, 18)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _mains(persona: Persona, days: int) -> list[Night]:
    nights = SimulatorAdapter(persona, 7, TODAY).fetch_nights(TODAY - timedelta(days=days - 1), TODAY)
    return [n for n in nights if n.kind is NightKind.MAIN]


@pytest.fixture(scope="module")
def history() -> list[Night]:
    return _mains(Persona.HEALTHY, 44)


@pytest.fixture(scope="module")
def baseline(history: list[Night]) -> Baseline:
    return compute_baseline(history[:-30], 14)


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("days", [7, 30])
def test_renders_a_png_of_the_week_or_month(history: list[Night], baseline: Baseline, days: int) -> None:
    png = week_chart(history[-days:], baseline)
    assert _size(png) == (880, 770)
    assert len(png) < 1_000_000


def test_gaps_and_missing_values_render(history: list[Night], baseline: Baseline) -> None:
    week = [n for n in history[-7:] if n.local_date != TODAY - timedelta(days=3)]
    week[-1] = week[-1].model_copy(
        update={"hrv_rmssd_ms": None, "deep_s": None, "light_s": None, "rem_s": None, "awake_s": None}
    )
    png = week_chart(week, baseline)
    assert _size(png) == (880, 770)
    assert png != week_chart(history[-7:], baseline)


def test_without_baseline(history: list[Night]) -> None:
    assert _size(week_chart(history[-7:], None)) == (880, 770)


@pytest.fixture
def drawn(monkeypatch) -> Charts:
    return Charts().record(monkeypatch)


def _unstaged(nights: list[Night]) -> list[Night]:
    """The nights with a gap (a date without a night) and a last night without stages or HRV: every label."""
    week = [n for n in nights if n.local_date != TODAY - timedelta(days=3)]
    week[-1] = week[-1].model_copy(
        update={"hrv_rmssd_ms": None, "deep_s": None, "light_s": None, "rem_s": None, "awake_s": None}
    )
    return week


@pytest.mark.parametrize("days", [7, 30])
def test_a_chinese_user_s_chart_is_in_chinese(history: list[Night], baseline: Baseline, drawn: Charts,
                                              days: int) -> None:
    family = chinese_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font warns
        png = week_chart(_unstaged(history[-days:]), baseline, language=Language.ZH)
    assert _size(png) == (880, 770)
    assert_chinese(drawn.last, family)
    texts = [label.text for label in drawn.last]
    assert {"深睡", "浅睡", "快速眼动", "清醒", "睡眠（无分期）", "平时睡眠", "睡眠效率 (%)", "心率变异性 (毫秒)",
            "最低心率 (次/分)"} <= set(texts)
    assert any(text.startswith("周") for text in texts)  # the weekdays under the dates
    assert png != week_chart(_unstaged(history[-days:]), baseline)


def test_an_english_user_s_chart_has_no_chinese(history: list[Night], baseline: Baseline, drawn: Charts) -> None:
    week_chart(_unstaged(history[-7:]), baseline, language=Language.EN)
    assert_english(drawn.last)
    assert {"Deep", "Asleep (no stages)", "HRV (ms)", "Lowest HR (bpm)"} <= {label.text for label in drawn.last}


def test_without_a_chinese_font_a_chinese_user_s_chart_is_in_english(history: list[Night], baseline: Baseline,
                                                                     drawn: Charts, monkeypatch) -> None:
    monkeypatch.setattr(charts, "cjk_family", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = week_chart(history[-7:], baseline, language=Language.ZH)
    assert _size(png) == (880, 770)
    assert_english(drawn.last)  # English, not boxes
    assert png == week_chart(history[-7:], baseline)


def _start_lines(caplog) -> list[tuple[int, str]]:
    """What the bot's start said about the Chinese charts' font."""
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.app" and "Chinese" in r.getMessage()]


def test_the_start_names_the_chinese_font(launch, caplog) -> None:
    family = chinese_font()
    caplog.set_level(logging.INFO, logger="bot.app")
    launch()
    assert _start_lines(caplog) == [(logging.INFO, f"Chinese chart labels are drawn in {family}")]


def test_the_start_warns_without_a_chinese_font(launch, caplog, monkeypatch) -> None:
    monkeypatch.setattr(charts, "cjk_family", lambda: None)
    caplog.set_level(logging.INFO, logger="bot.app")
    launch()
    assert _start_lines(caplog) == [(logging.WARNING, "no font draws Chinese: Chinese users get charts with English "
                                     f"labels; install {CJK_FONT_PACKAGE} (docs/operating.md)")]
