"""The sleep knowledge base: short, sourced cards, in English and Chinese, that the coach grounds its answers
in (`coach.retrieval` finds them for a question).

The cards live in `cards/<area>.toml`, one file per area (physiology, circadian rhythm, insomnia, lifestyle,
disorders, life stages, wearables). Each card holds one idea in both languages and names its source: a
one-sentence direct answer (what a reply opens with), a short explanation, and the words people ask it with.
Card texts take their clinical numbers from the norms table (`{norm_key}` placeholders), so a threshold lives
in one place.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sleepcot.analysis.norms import NORMS
from sleepcot.coach.guard import facts_in
from sleepcot.domain import Fact, Language

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Card:
    """One card in one language."""

    key: str
    area: str
    topic: str
    language: Language
    title: str
    answer: str  # one sentence that answers the card's question
    text: str  # why, and what to do
    keywords: str
    source: str
    ages: tuple[float, float] | None = None  # years (months as fractions): a card for one age group only

    def facts(self) -> list[Fact]:
        """The figures this card states, so an answer may repeat them."""
        return facts_in(f"{self.answer} {self.text}", f"card.{self.key}", self.title)


def _norm_values() -> dict[str, str]:
    return {key: f"{norm.value:g}" for key, norm in NORMS.items()}


@cache
def cards() -> dict[str, dict[Language, Card]]:
    """Every card, by key and language, in file order."""
    values, out = _norm_values(), {}
    folder = resources.files("sleepcot.coach") / "cards"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        area = entry.name.removesuffix(".toml")
        for raw in tomllib.loads(entry.read_text(encoding="utf-8"))["cards"]:
            if raw["key"] in out:
                raise ValueError(f"card {raw['key']!r} is defined twice")
            out[raw["key"]] = {language: _card(raw, area, language, values) for language in Language}
    return out


def _card(raw: dict, area: str, language: Language, values: dict[str, str]) -> Card:
    view = raw[language.value]
    return Card(raw["key"], area, raw["topic"], language, view["title"], view["answer"].format_map(values),
                view["text"].format_map(values), view["keywords"], raw["source"],
                tuple(raw["ages"]) if "ages" in raw else None)


def card(key: str, language: Language = Language.EN) -> Card:
    return cards()[key][language]


def language_of(text: str, default: Language = Language.EN) -> Language:
    """The language a question is written in: Chinese if it has Chinese characters, English if it has
    Latin words only, `default` when it has neither."""
    if _CJK.search(text):
        return Language.ZH
    return Language.EN if re.search(r"[A-Za-z]", text) else default
