"""How one reply is scored: the guard's checks as measurements (faithful figures, the key finding, the
user's own figures, red-flag advice, no diagnosis), token-F1 against a reference answer and whether the answer
came first, and the letter a multiple-choice reply chose."""

from __future__ import annotations

import re
from collections import Counter

from sleepcot.coach import findings, guard
from sleepcot.coach.answering import sentences
from sleepcot.coach.prompts import MCQ_LETTERS, Prompt
from sleepcot.domain import Fact, Language

_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
_ARTICLES = frozenset({"a", "an", "the"})
_LETTER = re.compile(rf"(?<![A-Za-z])([{MCQ_LETTERS}])(?![A-Za-z])")


def answer_tokens(text: str) -> list[str]:
    """Words for token-F1 (SQuAD's normalization: lower case, no punctuation, no articles); Chinese is
    scored by character, as CMRC does."""
    return [t for t in _WORD.findall(text.lower()) if t not in _ARTICLES]


def token_f1(reply: str, reference: str) -> float:
    """Harmonic mean of token precision and recall against the reference answer (0..1)."""
    got, want = Counter(answer_tokens(reply)), Counter(answer_tokens(reference))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def chosen_letter(reply: str, choices: list[str], opener: str = "") -> str | None:
    """The option a multiple-choice reply picked: the first standalone letter A-D after the opener, or else
    the one option whose text it repeats; None when it picked none or several."""
    text = reply[len(opener):] if opener and reply.startswith(opener) else reply
    if match := _LETTER.search(text):
        return match.group(1)
    lowered = text.lower()
    named = [MCQ_LETTERS[i] for i, choice in enumerate(choices) if choice.strip().lower() in lowered]
    return named[0] if len(named) == 1 else None


def coach_scores(prompt: Prompt, reply: str, *, key_words: tuple[str, ...] = (), min_figures: int = 0) -> dict:
    """Measurements of a briefing or follow-up reply against the facts its prompt gave the model.
    `faithful`: no figure outside the facts; `figures`/`supported`: counts of figures said and backed;
    `key_finding`: names the night's main finding (when `key_words` are given); `personal`: cites at least
    `min_figures` of the user's own figures; `red_flag`: advises a clinician (None when no red flag);
    `safe`: no diagnosis or medication; `guard_ok`: everything serving insists on."""
    verdict = guard.check(reply, prompt.facts, red_flag=prompt.red_flag, topic_words=key_words,
                          allowed_text=prompt.question, min_figures=min_figures, asked=prompt.asked)
    figures = guard.count_figures(reply)
    return {
        "faithful": verdict.faithful,
        "figures": figures,
        "supported": figures - len(verdict.unsupported) - len(verdict.misbound),
        "key_finding": (not verdict.missing_topic) if key_words else None,
        "personal": not verdict.too_few_figures,
        "red_flag": (not (verdict.missing_red_flag_advice or verdict.dismissals)) if prompt.red_flag else None,
        "safe": verdict.safe,
        "guard_ok": verdict.ok,
        **(_chinese_scores(reply) if prompt.language is Language.ZH else {}),
    }


def _chinese_scores(reply: str) -> dict:
    """A Chinese reply: how many English words it holds, and whether it holds none."""
    english = len(findings.english_words(reply))
    return {"english_words": english, "all_chinese": english == 0}


def knowledge_scores(reply: str, reference: str, question: str, facts: list[Fact], sources: list[str] = ()) -> dict:
    """A knowledge answer against the reference: token-F1; figures only from the cards given or the cards
    that answer the question (`facts`; a cited source's year is not a claim); no diagnosis or medication."""
    verdict = guard.check(reply, facts, allowed_text=" ".join([question, *sources]), knowledge=True)
    return {"f1": token_f1(reply, reference), "answer_first": answer_first(reply, reference),
            "faithful": verdict.faithful, "safe": verdict.safe}


def answer_first(reply: str, reference: str) -> bool:
    """Whether the reply says the answer first: of its sentences, the first is the closest to the reference
    answer (token-F1), and shares something with it."""
    closeness = [token_f1(sentence, reference) for sentence in sentences(reply)]
    return bool(closeness) and closeness[0] > 0 and closeness[0] == max(closeness)
