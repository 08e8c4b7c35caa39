"""What the charts say: the texts of every figure bot.charts renders (recorded as it renders them), the English
words and the Chinese characters in them, and the font that Chinese labels need (a skip on a machine without
one; a failure under CI, whose .ci/run installs it)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

import bot.charts as charts

# What a Chinese wearable app shows as it is: a Chinese chart may carry these, and no other English.
ABBREVIATIONS = frozenset({"HRV", "REM", "SpO2", "bpm", "ms"})
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")  # ideographs and full-width forms (（）：)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def chinese_font() -> str:
    """The family that draws Chinese labels; without one the test is skipped, or fails under CI."""
    family = charts.cjk_family()
    if family is None:
        reason = f"no font draws Chinese: install {charts.CJK_FONT_PACKAGE} (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI must prove that the Chinese charts are drawn in Chinese
        pytest.skip(reason)
    return family


def english_words(text: str) -> list[str]:
    """The Latin words of `text` other than `ABBREVIATIONS` (°C is a unit, not a word)."""
    return [word for word in _WORD.findall(text.replace("°C", "")) if word not in ABBREVIATIONS]


@dataclass(frozen=True)
class Label:
    text: str
    families: tuple[str, ...]  # the font families it is drawn with, first choice first


class Charts:
    """The labels of each chart rendered since `record`: its title, axis labels, tick labels and legend."""

    def __init__(self) -> None:
        self.figures: list[list[Label]] = []

    def record(self, monkeypatch: pytest.MonkeyPatch) -> Charts:
        render = charts._render

        def recording(figure: Figure) -> bytes:
            FigureCanvasAgg(figure).draw()  # sets the tick labels
            self.figures.append([Label(text.get_text(), tuple(text.get_fontfamily()))
                                 for text in figure.findobj(Text) if text.get_visible() and text.get_text()])
            return render(figure)

        monkeypatch.setattr(charts, "_render", recording)
        return self

    @property
    def last(self) -> list[Label]:
        return self.figures[-1]


def assert_chinese(labels: list[Label], family: str) -> None:
    """Chinese labels drawn in `family`, and no English word but the abbreviations."""
    assert [label.text for label in labels if english_words(label.text)] == []
    chinese = [label for label in labels if CJK.search(label.text)]
    assert chinese, [label.text for label in labels]
    assert all(label.families[0] == family for label in chinese), [(c.text, c.families) for c in chinese]


def assert_english(labels: list[Label]) -> None:
    assert [label.text for label in labels if CJK.search(label.text)] == []
    assert any(english_words(label.text) for label in labels)
