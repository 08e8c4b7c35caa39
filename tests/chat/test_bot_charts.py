"""The /week chart: a PNG of the right size for 7 to 30 simulated nights, with gaps and missing values,
in English and (falling back cleanly without a CJK font) Chinese, that changes with the data."""

from __future__ import annotations

import struct
import warnings
from datetime import date, timedelta

import pytest

from bot.charts import week_chart
from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis.baseline import Baseline, compute_baseline
from sleepcot.domain import Language, Night, NightKind

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


def test_chinese_renders_without_warnings(history: list[Night], baseline: Baseline) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = week_chart(history[-7:], baseline, language=Language.ZH)
    assert _size(png) == (880, 770)


def test_naps_are_left_out(history: list[Night], baseline: Baseline) -> None:
    older = SimulatorAdapter(Persona.OLDER_ADULT, 7, TODAY).fetch_nights(TODAY - timedelta(days=6), TODAY)
    assert any(n.kind is NightKind.NAP for n in older)
    assert week_chart(older, baseline) == week_chart([n for n in older if n.kind is NightKind.MAIN], baseline)


def test_no_main_nights_raise() -> None:
    with pytest.raises(ValueError):
        week_chart([], None)


def test_chart_follows_the_data(history: list[Night], baseline: Baseline) -> None:
    healthy = week_chart(history[-7:], baseline)
    assert healthy != week_chart(_mains(Persona.INSOMNIA, 7), baseline)
    assert healthy == week_chart(history[-7:], baseline)  # deterministic: the difference is the data
