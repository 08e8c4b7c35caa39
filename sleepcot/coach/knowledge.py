"""The sleep knowledge base and its retrieval: short, sourced cards, in English and Chinese, that the coach
grounds its answers in.

The cards live in `cards/<area>.toml`, one file per area (physiology, circadian rhythm, insomnia, lifestyle,
disorders, life stages, wearables). Each card holds one idea in both languages and names its source. Card
texts take their clinical numbers from the norms table (`{norm_key}` placeholders), so a threshold lives in
one place. Retrieval is BM25 over title, keywords and text of both languages: English words (lower-cased,
plural "s" folded, stop words dropped) and Chinese character bigrams, so a question in either language, or
in a mix ("HRV是什么"), finds its card.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sleepcot.analysis.norms import NORMS
from sleepcot.coach.guard import facts_in
from sleepcot.domain import Fact, Language

K1, B = 1.2, 0.75  # BM25's usual term-saturation and length-normalization constants
MIN_SCORE = 1.5  # below this a match rests on common words only: the question is not about these cards
STOP_WORDS = frozenset(
    "a an and are as at be been but by can could do does did for from get got have has how i if in into is it its "
    "me my of on or should so than that the their them then there these they this to too was we what when where "
    "which who why will with would you your yours about any some much many very just really also not no yes s t".split()
)
# Chinese function characters (particles, pronouns, question words) split runs, so "HRV是什么意思" indexes
# as "hrv", "意思" and no "是什", "什么"
CHINESE_STOP = "的了吗呢吧啊呀么什怎是我你他她它们这那个哪些就都也还很"
_LATIN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_CJK_RUN = re.compile(rf"[^\W\da-z_{CHINESE_STOP}]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Card:
    """One card in one language."""

    key: str
    area: str
    topic: str
    language: Language
    title: str
    text: str
    keywords: str
    source: str

    def facts(self) -> list[Fact]:
        """The figures this card states, so an answer may repeat them."""
        return facts_in(self.text, f"card.{self.key}", self.title)


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
            out[raw["key"]] = {
                language: Card(raw["key"], area, raw["topic"], language, raw[language.value]["title"],
                               raw[language.value]["text"].format_map(values), raw[language.value]["keywords"],
                               raw["source"])
                for language in Language
            }
    return out


def card(key: str, language: Language = Language.EN) -> Card:
    return cards()[key][language]


def language_of(text: str, default: Language = Language.EN) -> Language:
    """The language a question is written in: Chinese if it has Chinese characters, English if it has
    Latin words only, `default` when it has neither."""
    if _CJK.search(text):
        return Language.ZH
    return Language.EN if re.search(r"[A-Za-z]", text) else default


def tokens(text: str) -> list[str]:
    """Index terms: English words without stop words (a plural "s" folded; "can't" is "can" and "t") and
    Chinese character bigrams between function characters (a lone character stands for itself)."""
    text = text.lower()
    out = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
           for w in _LATIN.findall(text) if w not in STOP_WORDS]
    for run in _CJK_RUN.findall(_LATIN.sub(" ", text)):
        out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return out


@dataclass(frozen=True)
class _Index:
    keys: list[str]
    docs: list[Counter]
    lengths: list[int]
    df: Counter
    avg_length: float


@cache
def _index() -> _Index:
    keys, docs = [], []
    for key, views in cards().items():
        text = " ".join(f"{c.title} {c.keywords} {c.keywords} {c.title} {c.text}" for c in views.values())
        keys.append(key)
        docs.append(Counter(tokens(text)))
    lengths = [sum(d.values()) for d in docs]
    return _Index(keys, docs, lengths, Counter(t for d in docs for t in d), sum(lengths) / max(1, len(docs)))


def scores(question: str) -> list[tuple[float, str]]:
    """BM25 score of every card that shares a term with the question, best first."""
    index = _index()
    n = len(index.docs)
    query = set(tokens(question))
    idf = {t: math.log(1 + (n - index.df[t] + 0.5) / (index.df[t] + 0.5)) for t in query if t in index.df}
    scored = []
    for key, doc, length in zip(index.keys, index.docs, index.lengths, strict=True):
        norm = K1 * (1 - B + B * length / index.avg_length)
        score = sum(w * doc[t] * (K1 + 1) / (doc[t] + norm) for t, w in idf.items() if t in doc)
        if score > 0:
            scored.append((score, key))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return scored


def retrieve(question: str, k: int = 2, language: Language | None = None) -> list[Card]:
    """The k cards that best answer the question, in `language` (default: the question's own); none when
    nothing in the knowledge base is about it."""
    language = language or language_of(question)
    return [card(key, language) for score, key in scores(question)[:k] if score >= MIN_SCORE]
