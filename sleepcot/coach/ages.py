"""The age a question names ("how much sleep does a 10-year-old need", "my 4 month old", "我70岁了",
"3个月大的宝宝"), so retrieval can put aside the cards written for another age group.

Only explicit ages count: a number (or an English or Chinese number word) with years old, months old, weeks
old, "yo", "aged", "I'm N" or 岁 / 个月大 / 周大. A duration ("for 3 months", "睡了3个月") is not an age.
"""

from __future__ import annotations

import re

import cn2an

_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {word: n for n, word in enumerate(_WORDS)} | {word: 20 + 10 * n for n, word in enumerate(_TENS)}
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))  # longest first: "sixteen" before "six"
_NUMBER = rf"(\d{{1,3}}(?:\.\d)?|(?:{_NUMBER_WORD})(?:[- ](?:{'|'.join(_WORDS[1:10])}))?)"  # 16, 2.5, twenty-one
_UNIT_YEARS = {"year": 1.0, "yr": 1.0, "y": 1.0, "month": 1 / 12, "mo": 1 / 12, "week": 1 / 52, "wk": 1 / 52}
_ENGLISH = re.compile(
    rf"\b{_NUMBER}[- ]?(year|yr|y|month|mo|week|wk)s?[- ]?olds?\b"
    rf"|\b{_NUMBER}\s?(?:yo|y/o|y\.o\.)(?![a-z])"
    rf"|\baged?\s{_NUMBER}\b"
    rf"|\b(?:i'?m|i am)\s{_NUMBER}(?=\s*(?:$|[,.!?;)]|and\b|now\b|years?\b|yrs?\b))",
    re.IGNORECASE,
)
ADULT = 19  # years: from here an age is a grown-up's
_CHILD = re.compile(r"\b(?:bab(?:y|ies)|infants?|newborns?|toddlers?|kids?|child(?:ren)?|sons?|daughters?|teens?|"
                    r"teenagers?|boy|girl)\b|宝宝|婴儿|孩子|小孩|儿子|女儿|儿童|新生儿", re.IGNORECASE)
_CHINESE_NUMBER = r"\d{1,3}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[零一二两三四五六七八九]"  # 70, 七十, 十五, 三
_CHINESE = re.compile(rf"({_CHINESE_NUMBER})\s?(岁|个月大|个多月大|个月的(?:宝宝|孩子|婴儿|小孩)|周大)")
OLDEST = 120  # years: a larger number is not an age


def _english_number(text: str) -> float:
    text = text.lower()
    if text[0].isdigit():
        return float(text)
    return float(sum(_NUMBER_WORDS[part] for part in re.split(r"[- ]", text)))


def _chinese_number(text: str) -> float:
    return float(cn2an.cn2an(text, "smart"))  # the pattern only lets well-formed numerals through


def _ages(question: str) -> list[float]:
    out = []
    for match in _ENGLISH.finditer(question):
        number = next(g for g in match.groups() if g is not None)
        unit = match.group(2) if match.group(1) is not None else "year"
        out.append(round(_english_number(number) * _UNIT_YEARS[unit.lower()], 2))
    for number, unit in _CHINESE.findall(question):
        per_year = 1.0 if unit == "岁" else 1 / 52 if unit == "周大" else 1 / 12
        out.append(round(_chinese_number(number) * per_year, 2))
    return [age for age in out if age <= OLDEST]


def age_asked(question: str) -> float | None:
    """The age in years the question asks about (months and weeks as fractions), or None. A question that
    names a child, or a child's age beside a grown-up's, asks about the child: the grown-up's age is the
    parent's ("I'm 32, can my baby sleep in our bed?")."""
    ages = _ages(question)
    if _CHILD.search(question) or len(ages) > 1:
        ages = [age for age in ages if age < ADULT]
    return ages[0] if ages else None
