"""Claims, not numbers: each figure in a reply is read with its subject (the metric its clause names) and
its relation to it (the night's value, a share of the night, a change from the baseline and which way, the
baseline, a period's aggregate, a norm, a count of nights), and is supported only by a fact of that subject
and relation whose value it states, within the rounding the text itself used.

A figure whose subject cannot be read is supported only if exactly one fact could be meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from sleepcot.coach.guard import lexicon
from sleepcot.coach.guard.figures import LIST_MARKER, Mention, numbers_in_digits, read_figures
from sleepcot.domain import Fact, Metric, Relation, Unit
from sleepcot.units import SECONDS_PER

_SENTENCE = re.compile(r"(?:[^.!?;。！？；\n]|(?<=\d)\.(?=\d))+(?:[.!?;。！？；]+|\n|$)")
CLAUSE_BREAK = re.compile(r"[,，:：、]|\s[-–—]\s|\b(?:and|but|while|whereas|with)\b|而|但", re.I)
_APPROX = re.compile(r"(?:\b(?:about|around|roughly|approximately|nearly|almost|close\s+to|just\s+over|"
                     r"just\s+under|some)\s+|约|大约|将近|接近|差不多|近)\s*$", re.I)
_CUE_REACH = 60  # characters before a figure in which a cue that ends at it is looked for


class Support(str, Enum):
    SUPPORTED = "supported"
    MISBOUND = "true of something else"  # the value is a fact, but not of this subject or relation
    AMBIGUOUS = "subject unclear"  # no subject read and several facts could be meant
    UNSUPPORTED = "not in the data"


@dataclass(frozen=True)
class Claim:
    """A figure with what it is said about. `subject` None: no metric could be read for it; `relations`: the
    relations its cues allow; `direction`: -1 below, +1 above the baseline, 0 unsaid; `bound`: +1 "over X",
    -1 "under X", 0 an exact figure."""

    mention: Mention
    subject: Metric | None
    relations: frozenset[Relation]
    direction: int = 0
    bound: int = 0
    foreign: bool = False  # said of something we hold no facts about
    period: str | None = None  # the stretch of nights it is said of ("last_week"), where the reply names one

    def describe(self) -> str:
        what = self.subject.value.replace("_", " ") if self.subject else "?"
        return f"{self.mention.text} ({what}, {'/'.join(sorted(r.value for r in self.relations))})"


def _kind(unit: Unit | None) -> str | None:
    if unit is None:
        return None
    if unit in SECONDS_PER:
        return "duration"
    if unit in (Unit.NIGHTS, Unit.COUNT):
        return "count"
    return {Unit.BREATHS: "breaths"}.get(unit, unit.value)


FOREIGN = "foreign"  # a subject we hold no facts about ("recovery score", "steps")


def _fits(metrics: tuple[Metric, ...], mention: Mention) -> Metric | str | None:
    if not metrics:
        return FOREIGN
    kind = _kind(mention.unit)
    for metric in metrics:
        if kind is None or mention.unit is Unit.NIGHTS or kind in lexicon.UNIT_KINDS[metric]:
            return metric  # a count of nights may be of anything ("3 nights over 30 min to fall asleep")
    return None


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    metrics: tuple[Metric, ...]


_BOUND_TO_NEXT = re.compile(
    r"\s*(?:(?:less|more|fewer|extra|lower|higher)\s+)?"
    r"(?:(?:of|in)\s+(?:(?:your|the|it|that|them|which)\s+)?(?:(?:was|were|is)\s+)?|to\s+|"
    r"(?:was|were|is)\s+(?:spent\s+)?(?:in\s+)?|[\u4e00-\u9fff]{0,2}的|是)?",
    re.I,
)


def _subject(sentence: str, mention: Mention, start: int, end: int, hits: list[_Hit]) -> Metric | str | None:
    """The metric a figure (at start:end of its sentence) is said of: one named right after it ("48 min of deep
    sleep", "28 min less deep sleep"), else the nearest one before it in its sentence that fits its unit, else
    the nearest one after."""
    if "awakening" in mention.text.lower():
        return Metric.AWAKENINGS
    if mention.unit in SECONDS_PER and lexicon.NIGHT_AFTER.match(sentence, end):
        return Metric.TOTAL_SLEEP  # "a 7-9 h night"
    following = [h for h in hits if h.start >= end]
    if following and _BOUND_TO_NEXT.fullmatch(sentence, end, following[0].start):
        if metric := _fits(following[0].metrics, mention):
            return metric
    for hit in reversed([h for h in hits if h.end <= start]):
        if not hit.metrics and CLAUSE_BREAK.search(sentence, hit.end, start):
            continue  # "linked to weight gain, so a 7 h night": the weight is another clause's subject
        if metric := _fits(hit.metrics, mention):
            return metric
    for hit in following:  # "at 48 min, deep sleep was low": named later in the same clause
        if CLAUSE_BREAK.search(sentence, end, hit.start):
            break
        if hit.metrics and (metric := _fits(hit.metrics, mention)):
            return metric
    return None


def _phrase_before(sentence: str, offset: int, previous_end: int) -> str:
    """The words before a figure back to the previous figure or the start of its clause."""
    text = sentence[previous_end:offset]
    breaks = list(CLAUSE_BREAK.finditer(text))
    return text[breaks[-1].end():] if breaks else text


def _relations(mention: Mention, end: int, before: str, after: str, phrase: str, *, default: frozenset[Relation]
               ) -> tuple[frozenset[Relation], int, int, tuple[int, int] | None]:
    """(relations, direction, bound, where a share's "of your sleep" stands) from the cues around a figure that
    ends at `end` of its sentence: the cues that end right at it are read in its `phrase` (the words back to
    the previous figure or the start of its clause), where the change began in the last words `before` it."""
    start = len(before)
    if mention.unit is Unit.NIGHTS:
        return frozenset({Relation.COUNT}), 0, 0, None
    if (m := lexicon.CHANGE_AFTER.match(after)) and mention.unit is not Unit.CLOCK:
        return frozenset({Relation.CHANGE}), -1 if m.group(1) else 1, 0, None
    if m := lexicon.CHANGE_BEFORE.search(phrase):
        down, up = any(m.groups()[0::2]), any(m.groups()[1::2])
        return frozenset({Relation.CHANGE}), -1 if down else 1 if up else 0, 0, None
    share, share_before = lexicon.SHARE_AFTER.match(after), lexicon.SHARE_BEFORE.search(phrase)
    if mention.unit is Unit.PERCENT and (share or share_before):
        norm = any(cue.search(phrase) for cue, rel in lexicon.BEFORE_CUES if Relation.NORM in rel)
        span = (end, end + share.end()) if share else (start - len(phrase) + share_before.start(), start)
        return frozenset({Relation.SHARE, Relation.NORM} if norm else {Relation.SHARE}), 0, 0, span
    if lexicon.changed_from(before[-_CUE_REACH:]):
        return frozenset({Relation.BASELINE}), 0, 0, None
    bound = 0
    if m := lexicon.BOUND_BEFORE.search(phrase):
        bound = 1 if (m.group(1) or m.group(3)) else -1
    for cue, relations in lexicon.AFTER_CUES:
        if cue.match(after):
            return relations, 0, bound, None
    nearest, chosen = -1, None
    for cue, relations in (*lexicon.BEFORE_CUES, lexicon.ADVICE_CUE):
        for m in cue.finditer(phrase):
            if m.start() > nearest:
                nearest, chosen = m.start(), relations
    if chosen is not None and not (lexicon.VALUE_CUE.search(phrase[nearest:])):
        return chosen, 0, bound, None
    return default, 0, bound, None  # "over 6 hours" with no norm named bounds the figure itself


_COMPARISON_EN = r"against|versus|vs\.?|compared\s+(?:with|to)|than"  # what joins a figure to the one it is set against
_CONNECTOR = re.compile(rf"\s*(?:{_COMPARISON_EN}|而|对比|相比)\s*", re.I)
_COMPARED = rf"\b(?:{_COMPARISON_EN})(?!\w)|对比|相比|比"
# a stretch of nights a clause describes without naming it ("over the last 2 nights", "最近2晚", "since May")
_OTHER_STRETCH = re.compile(r"\b(?:last|past|previous|recent)\s+\d+\s+(?:nights?|days?|weeks?|months?)\b|\bsince\b|"
                            r"\bbetween\b|\ball\s+(?:of\s+)?(?:your|my|the)\s+nights\b|\boverall\b|\bnights\s+(?:with|without)\b|"
                            r"最近\s*\d|过去\s*\d|近\s*\d+\s*晚|以来|起|之间|所有|全部|总体", re.I)
_PERIODCLAUSE_BREAK = re.compile(rf"{CLAUSE_BREAK.pattern}|(?P<compared>{_COMPARED})", re.I)


def _period(sentence: str, start: int, end: int, named: list[tuple[int, int, str]]) -> str | None:
    """The stretch of nights a figure (at start:end of its sentence) is said of: the nearest one named in its
    clause ("against 7 h 19 min last week"), else the nearest one named before it in its sentence, unless its
    clause is what the figure before is compared with ("..., against 8 h over the last 2 nights")."""
    if not named:
        return None
    breaks = list(_PERIODCLAUSE_BREAK.finditer(sentence))
    opening = next((m for m in reversed(breaks) if m.start() < start), None)
    first = opening.end() if opening else 0
    last = next((m.start() for m in breaks if m.start() >= end), len(sentence))
    inside = [(min(abs(s - end), abs(start - e)), name) for s, e, name in named if first <= s and e <= last]
    if inside:
        return min(inside)[1]
    if (opening is not None and opening.group("compared")) or _OTHER_STRETCH.search(sentence, first, last):
        return None
    return next((name for s, e, name in reversed(named) if e <= start), None)


def _by_sentence(text: str) -> Iterator[tuple[str, int, list[Mention], list[_Hit]]]:
    """Each sentence that states a figure: its text, where it starts, its figures (positions in the text) and
    the subjects it names (positions within the sentence). Both are read in one pass over the whole text."""
    figures = read_figures(text)
    covered = bytearray(len(text) + 1)  # a unit word ("nights", "awakenings") names no subject
    for m in figures:
        covered[m.start:m.end] = b"\x01" * (m.end - m.start)
    hits = [_Hit(m.start(), m.end(), lexicon.subjects_of(m.group(0)))
            for m in lexicon.SUBJECT_PATTERN.finditer(text) if not covered[m.start()]]
    f = h = 0
    for sentence in _SENTENCE.finditer(text):
        start, end = sentence.span()
        while h < len(hits) and hits[h].start < start:
            h += 1
        mine = []
        while f < len(figures) and figures[f].start < end:
            if figures[f].start >= start:
                mine.append(figures[f])
            f += 1
        if mine:
            named = []
            while h < len(hits) and hits[h].start < end:
                named.append(_Hit(hits[h].start - start, hits[h].end - start, hits[h].metrics))
                h += 1
            yield sentence.group(0), start, mine, named


def read_claims(text: str) -> list[Claim]:
    """Every figure in `text` as a claim."""
    text = LIST_MARKER.sub(lambda m: " " * len(m.group(0)), numbers_in_digits(text))
    claims: list[Claim] = []
    for sentence, offset, mentions, hits in _by_sentence(text):
        previous_end, previous = 0, None
        named = lexicon.period_names(sentence)
        for n, mention in enumerate(mentions):
            start, end = mention.start - offset, mention.end - offset  # within the sentence
            cues_end, nxt = end, n + 1
            if nxt < len(mentions) and mentions[nxt].range_end:  # "7-9 h is recommended": the range's cues
                cues_end, nxt = mentions[nxt].end - offset, nxt + 1
            following = mentions[nxt].start - offset if nxt < len(mentions) else len(sentence)
            before, after = sentence[:start], sentence[cues_end:following]
            phrase = _phrase_before(sentence, start, previous_end)
            connected = previous is not None and _CONNECTOR.fullmatch(phrase)
            relations, direction, bound, share = _relations(
                mention, end, before, after, phrase, default=previous.relations if connected else frozenset({Relation.VALUE}))
            if share:  # "of your sleep" is what a share is of, not what it is about
                hits = [h for h in hits if not share[0] <= h.start < share[1]]
            subject = _subject(sentence, mention, start, end, hits)
            if mention.range_end and previous is not None:
                subject, relations, direction, bound = previous.subject, previous.relations, previous.direction, 0
            if mention.unit is Unit.NIGHTS and (mention.of_nights or lexicon.PERIOD_BEFORE.search(phrase)):
                subject = Metric.NIGHTS
            if subject in lexicon.PERIOD_SUBJECTS and Relation.VALUE in relations:
                relations |= {Relation.AGGREGATE}
            if bound and _APPROX.search(phrase):
                bound = 0
            foreign = subject == FOREIGN
            claim = Claim(mention, None if foreign else subject, relations, direction, bound, foreign,
                          _period(sentence, start, end, named))
            claims.append(claim)
            previous, previous_end = claim, end
    return claims


# --- matching claims with facts ---------------------------------------------------------------------------
_SLACK = {Relation.CHANGE: 1.0, Relation.SHARE: 1.0}  # derived figures may be worked out from rounded ones


def _renderings(fact: Fact, unit: Unit | None) -> list[tuple[float, float]]:
    """(value, extra tolerance) pairs `fact` can be written as in `unit` (None: a bare number, in the unit the
    coach writes it in)."""
    value = abs(fact.value)
    slack = _SLACK.get(fact.relation, 0.0)
    if fact.unit in SECONDS_PER:
        seconds = value * SECONDS_PER[fact.unit]
        if unit is Unit.SECONDS:
            return [(seconds, 60.0 * slack)]
        if unit is Unit.MINUTES:
            return [(seconds / 60, 0.5 + slack)]
        if unit is Unit.HOURS:
            return [(seconds / 3600, slack / 60)]
        if unit is None:  # "deep sleep was 48", "slept 6.2"
            return [(seconds / 60, 0.5 + slack), (seconds / 3600, 0.0)]
        return []
    if unit is None or unit is fact.unit:
        return [(value, slack)]
    if {unit, fact.unit} <= {Unit.COUNT, Unit.NIGHTS}:
        return [(value, slack)]
    return []


def _clock_states(claim: Claim, fact: Fact) -> bool:
    diff = abs(claim.mention.value - fact.value) % 1440
    twelve_hours_off = not claim.mention.half_day and abs(diff - 720) <= claim.mention.tolerance  # "11:40" for 23:40
    return min(diff, 1440 - diff) <= claim.mention.tolerance or twelve_hours_off


class FactIndex:
    """Facts ready to be matched against claims: what each can be written as, worked out once per unit asked
    about. `relations=False` (a knowledge answer, general figures): a figure's relation is not checked, only
    its subject. `anything`: figures the user wrote themselves, which may be echoed about anything."""

    def __init__(self, facts: list[Fact], *, relations: bool = True, anything: list[Fact] = ()) -> None:
        self.check_relations = relations
        self._facts = list(facts)
        self._anything = FactIndex(anything) if anything else None
        self._by_unit: dict[Unit | None, list[tuple[Fact, float, float]]] = {}

    def _candidates(self, unit: Unit | None) -> list[tuple[Fact, float, float]]:
        if unit not in self._by_unit:
            self._by_unit[unit] = [(f, value, slack) for f in self._facts if (f.unit is Unit.CLOCK) == (unit is Unit.CLOCK)
                                   for value, slack in ([(f.value, 0.0)] if unit is Unit.CLOCK else _renderings(f, unit))]
        return self._by_unit[unit]

    def valued(self, claim: Claim) -> list[Fact]:
        """The facts whose value the claim's figure states (a bound: holds of), direction included."""
        mention, out, seen = claim.mention, [], set()
        for fact, value, slack in self._candidates(mention.unit):
            if id(fact) in seen:
                continue
            if mention.unit is Unit.CLOCK:
                if _clock_states(claim, fact):
                    out.append(fact)
                    seen.add(id(fact))
                continue
            if claim.direction and fact.relation is Relation.CHANGE and fact.value and (fact.value > 0) != (claim.direction > 0):
                continue
            if claim.bound and fact.relation is not Relation.NORM:
                holds = (value - mention.value) * claim.bound > 0  # "under 7 hours" is false of 7 h 16 min
            else:
                holds = abs(mention.value - value) <= mention.tolerance + slack + 1e-6
            if holds:
                out.append(fact)
                seen.add(id(fact))
        return out

    def judge(self, claim: Claim) -> Support:
        if self._anything is not None and self._anything.valued(Claim(claim.mention, None, frozenset(Relation))):
            return Support.SUPPORTED
        valued = self.valued(claim)
        if claim.foreign or not valued:
            return Support.UNSUPPORTED
        if claim.period is not None:  # "last week" said of this week's figure: true of another stretch
            valued = [f for f in valued if not f.periods or claim.period in f.periods]
            if not valued:
                return Support.MISBOUND
        if claim.mention.unit is None and claim.subject is None:
            valued = [f for f in valued if f.unit in (Unit.COUNT, Unit.SCORE)]  # a bare number of nothing named
        if claim.mention.unit is Unit.NIGHTS and not claim.mention.of_nights and claim.subject is None:
            valued = [f for f in valued if f.subject is not Metric.NIGHTS] or valued  # the 3 of "3 of 7 nights"
        fitting = [f for f in valued if not self.check_relations or f.relation in claim.relations]
        if not self.check_relations and claim.subject is None:
            return Support.SUPPORTED  # a general figure of nothing named: any source that states it will do
        if claim.subject is not None:
            if any(f.subject in (claim.subject, None) for f in fitting):
                return Support.SUPPORTED
            if Relation.COUNT in claim.relations and any(f.subject is Metric.NIGHTS for f in fitting):
                return Support.SUPPORTED  # "on 2 nights tagged alcohol": a count of nights is of the nights
            return Support.MISBOUND
        if len({(f.subject, f.relation) for f in fitting}) == 1:
            return Support.SUPPORTED
        return Support.AMBIGUOUS if fitting else Support.MISBOUND
