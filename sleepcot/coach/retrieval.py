"""Finding the cards that answer a question, and telling a sleep question from an off-topic one.

Hybrid retrieval, fused by reciprocal rank: BM25 (`bm25s`) over every card's title, keywords, answer and text
(English words with stop words dropped and a plural "s" folded; Chinese words cut by `jieba`, with the cards'
Chinese keywords in its dictionary), and
- for a question written in English, the meaning of the question (`coach.meaning`: all-MiniLM-L6-v2
  embeddings, the question moved by a map learned from the question bank's train split toward the cards that
  answer such questions);
- for a Chinese or mixed question ("HRV是什么"; the embedding model knows English only), BM25 over characters
  and pairs of characters, which needs no word cutting, and the meaning of its English gloss (`coach.gloss`,
  word by word from a Chinese-English dictionary), ranked as an English question's;
- for both, the questions asked before (the bank's train split, shipped with the cards that answer each): the
  cards of the ones nearest in meaning to the question (its English, or its gloss) rank first.
A question that names an age ("my 4 month old", "我70岁了") gets the cards written for another age group last.

Two decisions, calibrated on the question bank's train and dev splits against `distill/questions/off_topic.txt`
(`python -m distill.questions.calibrate --split train` prints the figures the thresholds below come from),
read the plain embedding's similarity and the word BM25 score:
- `about_sleep`: is the question about sleep at all? An off-topic one ("write a poem about cats") is told
  what the coach can answer.
- `retrieve` returns no card when none answers the question well enough: a sleep question with no card is
  told so honestly, never answered from a loosely related card.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from sleepcot.coach import gloss, meaning
from sleepcot.coach.ages import age_asked
from sleepcot.coach.knowledge import Card, card, cards, language_of
from sleepcot.domain import Language

K1, B = 1.2, 0.75  # BM25's usual term-saturation and length-normalization constants
RRF_K = 5  # reciprocal-rank fusion: 1 / (RRF_K + rank); small: the first places of each ranking count most
MEANING_WEIGHT = 1.5  # the embeddings' ranking counts this much more than BM25's in the fusion (chosen on dev)
CHARACTER_WEIGHT = 1.0  # and, for a Chinese question, the characters' BM25 ranking beside the words' (train and dev)
ASKED_WEIGHT = 0.5  # and the ranking by the questions asked before (0.25-1.5 tried on train and dev)
NEIGHBOURS = 20  # how many of the questions asked before, the nearest first, that ranking reads (10-40 alike)
CANDIDATES = 20  # how deep each ranking is read before fusing
# The decisions' thresholds (see the module docstring for how they were calibrated): a card answers an English
# question whose best card is this similar, or a Chinese or mixed question whose best BM25 score is this high;
# the lower figures hold when the question also names something of sleep (`SLEEP_WORDS`).
MIN_SIMILARITY, MIN_SIMILARITY_SLEEP = 0.45, 0.3
MIN_LEXICAL, MIN_LEXICAL_SLEEP = 7.0, 3.0
MIN_LEXICAL_ENGLISH = 9.0  # an English question whose words match a card this well is answered by it too

STOP_WORDS = frozenset(
    "a an and are as at be been but by can could do does did for from get got have has how i if in into is it its "
    "me my of on or should so than that the their them then there these they this to too was we what when where "
    "which who why will with would you your yours about any some much many very just really also not no yes s t".split()
)
# Chinese function words (particles, pronouns, question words) are not index terms
CHINESE_STOP = frozenset("的 了 吗 呢 吧 啊 呀 么 什么 怎么 怎样 是 我 你 他 她 它 们 我们 这 那 个 哪 些 就 都 也 还 很 "
                         "会 要 有 在 和 与 对 吗？ 能 可以 应该 多少 为什么 如何 一下 一个".split())
# Words that make a question about sleep, the night or a sleep tracker, whatever else it says (with the
# embeddings for English, and BM25 for Chinese, they decide whether a question is about sleep at all)
SLEEP_WORDS = re.compile(
    r"sleep|slept|asleep|\bnaps?\b|napping|insomn|dream|nightmare|snor|apn(?:o)?ea|tired|drows|doz(?:e|ing)|"
    r"\bbed(?:time|s)?\b|\bwak(?:e|ing)|\bwoke|awake|night|melatonin|adenosine|circadian|body clock|jet ?lag|"
    r"time zones?|daylight saving|spring forward|\brem\b|\bn[123]\b|hrv|rmssd|\bwaso\b|spo2|blood oxygen|"
    r"resting heart|respiratory rate|oura|whoop|fitbit|garmin|tracker|wearable|restless leg|narcolep|cataplexy|"
    r"cpap|cbt-?i|stimulus control|polysomno|orthosomnia|\bsids\b|crib|cot\b|sundown|zolpidem|unisom|night owl|early bird|wind-?down|"
    r"睡|眠|梦|打鼾|呼噜|困|醒|熬夜|时差|褪黑|午休|起床|作息|生物钟|补觉|闹钟|凌晨|夜|晚上|鬼压床|磨牙|不宁腿|"
    r"血氧|心率|手环|戒指|手表|腺苷|提神|潮热|猝倒|CPAP|失眠",
    re.IGNORECASE,
)
_LATIN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_CJK_RUN = re.compile(r"([\u3400-\u9fff]+)")  # one group: `split` keeps the runs, `findall` finds them whole


def _english(text: str) -> list[str]:
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in _LATIN.findall(text.lower()) if w not in STOP_WORDS]


@cache
def _jieba():
    """A jieba tokenizer of our own (the library's default one is global state), knowing the cards' Chinese
    keywords as words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for views in cards().values():
        for word in views[Language.ZH].keywords.split():
            if _CJK_RUN.fullmatch(word):
                tokenizer.add_word(word)
    return tokenizer


def tokens(text: str) -> list[str]:
    """Index terms: English words and Chinese words (jieba's search cut, which also keeps a long word's
    parts), without function words."""
    out = _english(text)
    for run in _CJK_RUN.findall(text):
        out += [w for w in _jieba().lcut_for_search(run) if w.strip() and w not in CHINESE_STOP]
    return out


def characters(text: str) -> list[str]:
    """Index terms that need no word cutting: English words, and each Chinese run's characters (function
    characters dropped) and pairs of neighbouring characters, so a word jieba cuts otherwise in the question
    than in the card ("睡不着" and "睡不着觉") still matches."""
    out = _english(text)
    for run in _CJK_RUN.findall(text):
        out += [c for c in run if c not in CHINESE_STOP] + [run[i:i + 2] for i in range(len(run) - 1)]
    return out


def glossed(question: str) -> str:
    """The question in English words (`coach.gloss`), its Chinese cut by jieba and function words left out."""
    words = [w for piece in _CJK_RUN.split(question)
             for w in (_jieba().lcut(piece) if _CJK_RUN.fullmatch(piece) else [piece])]
    return gloss.english(words, skip=CHINESE_STOP)


def _document(views: list[Card]) -> str:
    return " ".join(f"{c.title} {c.keywords} {c.keywords} {c.title} {c.answer} {c.text}" for c in views)


# The BM25 indexes: an English question is ranked over the cards' English side (no Chinese word cutting to
# load); a Chinese or mixed one over both sides (so "HRV" or "jet lag" count too), by words and by characters.
_INDEXES = {
    "english": ((Language.EN,), tokens),
    "words": (tuple(Language), tokens),
    "characters": (tuple(Language), characters),
}


@cache
def _bm25(name: str):
    import bm25s

    sides, cut = _INDEXES[name]
    index = bm25s.BM25(k1=K1, b=B)
    index.index([cut(_document([views[side] for side in sides])) for views in cards().values()], show_progress=False)
    return index


def _scores(name: str, question: str) -> np.ndarray:
    index, cut = _bm25(name), _INDEXES[name][1]
    terms = [t for t in cut(question) if t in index.vocab_dict]
    return index.get_scores(terms) if terms else np.zeros(len(cards()))


def is_english(question: str) -> bool:
    return language_of(question, Language.ZH) is Language.EN


def lexical_scores(question: str) -> np.ndarray:
    """Each card's BM25 score for the question's words, in card order."""
    return _scores("english" if is_english(question) else "words", question)


@dataclass(frozen=True)
class Ranking:
    """Every card ranked for one question, best first, with the evidence the decisions read."""

    keys: list[str]
    best_lexical: float
    best_similarity: float | None  # None: not an English question, ranked by BM25 (words and characters)
    names_sleep: bool  # the question uses a word of sleep, the night or a sleep tracker

    @property
    def answered(self) -> bool:
        """Whether the best card answers the question (see the thresholds above)."""
        if self.best_similarity is not None:
            return (self.best_similarity >= (MIN_SIMILARITY_SLEEP if self.names_sleep else MIN_SIMILARITY)
                    or self.best_lexical >= MIN_LEXICAL_ENGLISH)
        return self.best_lexical >= (MIN_LEXICAL_SLEEP if self.names_sleep else MIN_LEXICAL)


def _best(scores: np.ndarray, *, positive: bool = True) -> list[int]:
    """The CANDIDATES best cards' places, best first (with `positive`, only cards that scored)."""
    return [i for i in np.argsort(-scores, kind="stable")[:CANDIDATES] if scores[i] > 0 or not positive]


def _fused(keys: list[str], *rankings: tuple[list[int], float]) -> list[int]:
    """Reciprocal-rank fusion of weighted rankings; ties in card key order."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for place, i in enumerate(ranking):
            fused[i] = fused.get(i, 0.0) + weight / (RRF_K + place + 1)
    return sorted(fused, key=lambda i: (-fused[i], keys[i]))


def _for_age(order: list[int], keys: list[str], age: float | None) -> list[int]:
    """The ranking with the cards written for another age group than the one the question names moved last."""
    if age is None:
        return order

    def fits(i: int) -> bool:
        ages = cards()[keys[i]][Language.EN].ages
        return ages is None or ages[0] <= age <= ages[1]

    return [i for i in order if fits(i)] + [i for i in order if not fits(i)]


def _by_meaning(vector: np.ndarray) -> list[int]:
    return _best((meaning.card_vectors() @ meaning.mapped(vector)).max(axis=1), positive=False)


def _by_asked(vector: np.ndarray, leave_out: str) -> list[int]:
    """The cards that answer the NEIGHBOURS questions asked before nearest to this one (those of the group
    `leave_out` left out), each as near as the nearest of them it answers."""
    if (asked := meaning.asked()) is None:
        return []
    similarity = asked.vectors @ vector
    scores = np.zeros(len(cards()))
    nearest = np.argsort(-similarity)
    for i in nearest[asked.groups[nearest] != leave_out][:NEIGHBOURS]:
        scores[asked.answered_by[i]] = np.maximum(scores[asked.answered_by[i]], similarity[i])
    return _best(scores)


def meaning_text(question: str) -> str | None:
    """The English whose meaning ranks the cards for a question: the question itself if English, else its gloss;
    None when it has no English word to read."""
    text = question if is_english(question) else glossed(question)
    return text if _english(text) else None


@lru_cache(maxsize=256)  # a question is ranked once, whether for its cards or for whether it is about sleep
def rank(question: str, leave_out: str = "") -> Ranking:
    """Every card ranked for the question. `leave_out`: a question bank's group whose questions asked before are
    not read, so that a train question is ranked as a new one would be (calibration, teaching); serving leaves
    none out."""
    lexical = lexical_scores(question)
    keys = list(cards())
    rankings = [(_best(lexical), 1.0)]
    similarity, english = None, is_english(question)
    if not english:
        rankings.append((_best(_scores("characters", question)), CHARACTER_WEIGHT))
    if (text := meaning_text(question)) is not None:
        vector = meaning.question_vector(text)
        if english:  # what the decisions read for an English question: the plain embedding's similarity
            similarity = (meaning.card_vectors() @ vector).max(axis=1)
        rankings += [(_by_meaning(vector), MEANING_WEIGHT), (_by_asked(vector, leave_out), ASKED_WEIGHT)]
    order = _for_age(_fused(keys, *rankings), keys, age_asked(question))
    return Ranking([keys[i] for i in order], float(lexical.max(initial=0)),
                   None if similarity is None else float(similarity.max()), bool(SLEEP_WORDS.search(question)))


def warm() -> None:
    """Load what ranking reads (the BM25 indexes, jieba's and the gloss's dictionaries, the embedding model, the
    cards' vectors, the question map and the questions asked before), so that the first question a process is
    asked, in either language, waits for none of it (about 3 s here)."""
    rank("How long should a nap be?")
    rank("午睡多久合适？")


def about_sleep(question: str) -> bool:
    """Whether a question is about sleep (or the body's night, or a sleep tracker) at all."""
    ranking = rank(question)
    return ranking.names_sleep or ranking.answered


def retrieve(question: str, k: int = 2, language: Language | None = None, *, leave_out: str = "") -> list[Card]:
    """The k cards that best answer the question, in `language` (default: the question's own); none when no
    card answers it. `leave_out`: as `rank`'s."""
    language = language or language_of(question)
    ranking = rank(question, leave_out)
    return [card(key, language) for key in ranking.keys[:k]] if ranking.answered else []
