"""The guard: a reply reaches the user only if every figure in it is one we gave the model, it makes no
diagnosis and prescribes no medication, and it carries the advice to see a clinician whenever the data
raised a red flag.

Figures are read with their units ("6 h 12 min", "6.2 hours", "372 minutes", "84%", "52 bpm", "23:40") and
compared with the facts after converting units, within the rounding the text itself used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sleepcot.domain import Fact, Unit
from sleepcot.units import SECONDS_PER

_NUM = r"[+\-−]?\d+(?:[.,]\d+)?"
_B = r"(?<![A-Za-z0-9_.])"  # not inside a word such as "SpO2" (CJK characters may touch a number)
_H = r"(?:h|hr|hrs|hours?|小时)"
_M = r"(?:m|min|mins|minutes?|分钟|分)"

_CLOCK = re.compile(r"(?<![\d.])(\d{1,2})[:：](\d{2})(?:\s*([ap])\.?m\.?)?(?![\d])", re.I)
_HM = re.compile(rf"{_B}({_NUM})\s*{_H}\s*(?:and\s*)?(\d{{1,2}})\s*{_M}(?![a-z])", re.I)
_RANGE = re.compile(rf"{_B}({_NUM})\s*(?:-|–|to|至|~)\s*({_NUM})\s*(?=[a-z%°小分次个晚])", re.I)
_SINGLE = re.compile(
    rf"{_B}({_NUM})(?![\d])\s*(%|percent|per cent|bpm|beats|ms|°\s*c|°|degrees?|breaths?|"
    rf"{_H}(?![a-z])|{_M}(?![a-z])|nights?|晚|次|times)?",
    re.I,
)
_LIST_MARKER = re.compile(r"^\s*(?:step\s*)?\d{1,2}[.)、:]\s", re.I | re.M)

_UNIT_WORDS: dict[str, Unit] = {
    "%": Unit.PERCENT, "percent": Unit.PERCENT, "per cent": Unit.PERCENT,
    "bpm": Unit.BPM, "beats": Unit.BPM, "ms": Unit.MS,
    "breath": Unit.BREATHS, "breaths": Unit.BREATHS,
    "night": Unit.NIGHTS, "nights": Unit.NIGHTS, "晚": Unit.NIGHTS, "次": Unit.COUNT, "times": Unit.COUNT,
}

# Diagnoses and prescriptions the coach must never make (English and Chinese).
_CONDITIONS = (
    r"(?:obstructive\s+)?sleep\s+apn(?:o)?ea|apn(?:o)?ea|insomnia|narcolepsy|restless\s+legs?(?:\s+syndrome)?|"
    r"rls|hypersomnia|hypoxemia|a\s+(?:sleep|breathing|circadian)\s+disorder|depression|an?\s+anxiety\s+disorder|"
    r"a\s+disease|a\s+medical\s+condition|parasomnia|circadian\s+rhythm\s+(?:sleep\s+)?disorder"
)
_DIAGNOSIS = [
    re.compile(
        rf"\byou(?:'ve| have)?\s+(?:definitely\s+|clearly\s+|likely\s+|probably\s+|certainly\s+)?"
        rf"(?:have|has|got|suffer(?:ing)?\s+from|are\s+suffering\s+from|have\s+developed|developed)\s+"
        rf"(?:an?\s+)?(?:mild\s+|moderate\s+|severe\s+|chronic\s+|acute\s+)?(?:{_CONDITIONS})\b",
        re.I,
    ),
    re.compile(r"\byou(?:'re| are)\s+(?:an?\s+)?(?:insomniac|narcoleptic|hypoxemic|apn(?:o)?eic)\b", re.I),
    re.compile(rf"\b(?:this|that|it|these\s+\w+)\s+(?:confirms|proves|means|shows)\s+(?:that\s+)?you\s+have\s+(?:an?\s+)?(?:{_CONDITIONS})", re.I),
    re.compile(r"\b(?:my|the|your)\s+diagnosis\s+is\b|\byou\s+(?:are|have\s+been)\s+diagnosed\b|\bI\s+diagnose\b", re.I),
    re.compile(r"你(?:患有|得了|确诊|已经确诊|有)(?:轻度|中度|重度|慢性)?(?:睡眠)?(?:呼吸暂停|失眠症|发作性睡病|不宁腿|低氧血症|抑郁症)"),
    re.compile(r"诊断(?:为|结果是)"),
]
_PRESCRIPTION = re.compile(
    r"\b(?:take|start\s+taking|you\s+should\s+take|try\s+taking)\s+(?:\d+\s*mg\s+(?:of\s+)?)?"
    r"(?:zolpidem|ambien|benzodiazepines?|trazodone|sleeping\s+pills?|sedatives?|antidepressants?|"
    r"diphenhydramine|doxylamine|quetiapine|clonazepam|lorazepam)\b|\b\d+\s*mg\b",
    re.I,
)
_CLINICIAN = re.compile(
    r"\b(?:doctor|clinician|physician|GP|sleep\s+(?:clinic|specialist|physician|medicine)|"
    r"health\s*care\s+(?:provider|professional)|medical\s+(?:professional|advice|attention))\b|医生|就医|睡眠门诊|专科",
    re.I,
)


@dataclass(frozen=True)
class Mention:
    """A figure read from a reply: its value, the unit it was written in (None: bare number), and the
    tolerance its own rounding implies."""

    text: str
    value: float
    unit: Unit | None
    tolerance: float


@dataclass
class Verdict:
    ok: bool
    unsupported: list[str] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)
    missing_red_flag_advice: bool = False
    missing_topic: bool = False
    empty: bool = False
    empty_steps: list[int] = field(default_factory=list)
    too_few_figures: bool = False

    @property
    def problems(self) -> list[str]:
        out = [f"figure not in the data: {m}" for m in self.unsupported]
        out += [f"diagnosis or prescription: {d}" for d in self.diagnoses]
        if self.missing_red_flag_advice:
            out.append("red flag without advice to see a clinician")
        if self.missing_topic:
            out.append("does not name the night's main finding")
        if self.empty:
            out.append("empty or too short")
        out += [f"step {n} says nothing" for n in self.empty_steps]
        if self.too_few_figures:
            out.append("cites none of the user's figures")
        return out

    def as_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems}


def _float(text: str) -> float:
    return float(text.replace("−", "-").replace(",", "."))


def _tolerance(text: str) -> float:
    """Half a unit of the last digit written: '84' -> 0.5, '6.2' -> 0.05."""
    digits = text.replace(",", ".").split(".")
    return 0.5 * 10 ** -(len(digits[1]) if len(digits) > 1 else 0) + 1e-9


def _unit_of(word: str | None) -> Unit | None:
    if not word:
        return None
    w = re.sub(r"\s+", " ", word.lower())
    if w.startswith("°") or w.startswith("degree"):
        return Unit.CELSIUS
    if re.fullmatch(_H, w, re.I):
        return Unit.HOURS
    if re.fullmatch(_M, w, re.I):
        return Unit.MINUTES
    return _UNIT_WORDS.get(w)


def extract_mentions(text: str) -> list[Mention]:
    """Every figure in `text` with its unit. List markers ("1.", "Step 2:") are not figures."""
    mentions: list[Mention] = []
    taken = [m.span() for m in _LIST_MARKER.finditer(text)]

    def claim(match: re.Match) -> bool:
        start, end = match.span()
        if any(start < e and s < end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    for m in _CLOCK.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 24 or minute > 59 or not claim(m):
            continue
        if m.group(3):
            hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
        mentions.append(Mention(m.group(0), hour * 60 + minute, Unit.CLOCK, 1.0))
    for m in _HM.finditer(text):
        if claim(m):
            seconds = _float(m.group(1)) * 3600 + int(m.group(2)) * 60
            mentions.append(Mention(m.group(0), seconds, Unit.SECONDS, 60.0))
    for m in _RANGE.finditer(text):
        # "7-9 h": both ends take the unit that follows the second number
        unit_match = _SINGLE.match(text, m.start(2))
        unit = _unit_of(unit_match.group(2)) if unit_match else None
        if claim(m):
            for group in (1, 2):
                raw = m.group(group)
                mentions.append(Mention(raw, abs(_float(raw)), unit, _tolerance(raw)))
    for m in _SINGLE.finditer(text):
        if not claim(m):
            continue
        raw = m.group(1)
        mentions.append(Mention(m.group(0).strip(), abs(_float(raw)), _unit_of(m.group(2)), _tolerance(raw)))
    return mentions


def facts_in(text: str, key: str, label: str) -> list[Fact]:
    """The figures written in `text` as facts (a bare number keeps no unit of its own)."""
    return [Fact(key=f"{key}.{i}", label=label, value=m.value, unit=m.unit or Unit.SCORE)
            for i, m in enumerate(extract_mentions(text))]


def _fact_values(fact: Fact, unit: Unit | None) -> list[tuple[float, float]]:
    """(value, extra tolerance) pairs a fact can be written as in `unit` (None: any plain rendering)."""
    value = abs(fact.value)
    if fact.unit in SECONDS_PER:
        seconds = value * SECONDS_PER[fact.unit]
        pairs = []
        if unit in (None, Unit.SECONDS):
            pairs.append((seconds, 0.0))
        if unit in (None, Unit.MINUTES):  # "6 h 12 min" says 12 minutes too
            pairs += [(seconds / 60, 0.5), (seconds % 3600 / 60, 0.5)]
        if unit in (None, Unit.HOURS):  # "6.2 h" and the "6" of "6 h 12 min"
            pairs += [(seconds / 3600, 0.0), (seconds // 3600, 0.0)]
        return pairs
    if unit is None or unit is fact.unit:
        return [(value, 0.0)]
    if fact.unit is Unit.COUNT and unit is Unit.NIGHTS or fact.unit is Unit.NIGHTS and unit is Unit.COUNT:
        return [(value, 0.0)]
    return []


class FactIndex:
    """Facts ready to be matched: what each can be written as, worked out once per unit asked about."""

    def __init__(self, facts: list[Fact]) -> None:
        self._clocks = [fact.value for fact in facts if fact.unit is Unit.CLOCK]
        self._others = [fact for fact in facts if fact.unit is not Unit.CLOCK]
        self._pairs: dict[Unit | None, list[tuple[float, float]]] = {}

    def supports(self, mention: Mention) -> bool:
        if mention.unit is Unit.CLOCK:
            for value in self._clocks:
                diff = abs(mention.value - value) % 1440
                if min(diff, 1440 - diff) <= mention.tolerance or abs(diff - 720) <= mention.tolerance:
                    return True  # 11:40 for 23:40 is the same clock time written without am/pm
            return False
        if mention.unit not in self._pairs:
            self._pairs[mention.unit] = [pair for fact in self._others for pair in _fact_values(fact, mention.unit)]
        return any(abs(mention.value - value) <= mention.tolerance + slack + 1e-6
                   for value, slack in self._pairs[mention.unit])


def supported(mention: Mention, facts: list[Fact]) -> bool:
    return FactIndex(facts).supports(mention)


def check(
    reply: str,
    facts: list[Fact],
    *,
    red_flag: bool = False,
    topic_words: tuple[str, ...] = (),
    allowed_text: str = "",
    steps: tuple[str, ...] = (),
    min_figures: int = 0,
) -> Verdict:
    """Judge a reply. `allowed_text` (the user's own question) may be echoed: its figures count as given.
    `steps`: the openers of a structured reply; each must be followed by some words of its own.
    `min_figures`: how many figures from `facts` the reply must cite (a follow-up about my numbers)."""
    text = reply.strip()
    given = list(facts) + facts_in(allowed_text, "given", "from the question")
    mentions = extract_mentions(text)
    from_given, from_facts = FactIndex(given), FactIndex(facts)
    unsupported = [m.text for m in mentions if not from_given.supports(m)]
    too_few = sum(1 for m in mentions if from_facts.supports(m)) < min_figures
    diagnoses = [m.group(0) for pattern in _DIAGNOSIS for m in pattern.finditer(text)]
    diagnoses += [m.group(0) for m in _PRESCRIPTION.finditer(text)]
    missing_advice = red_flag and not _CLINICIAN.search(text)
    lowered = text.lower()
    missing_topic = bool(topic_words) and not any(w in lowered for w in topic_words)
    empty = len(text) < 20
    empty_steps = [n for n, opener in enumerate(steps, 1) if not _has_content_after(text, opener)]
    ok = not (unsupported or diagnoses or missing_advice or missing_topic or empty or empty_steps or too_few)
    return Verdict(ok, unsupported, diagnoses, missing_advice, missing_topic, empty, empty_steps, too_few)


def _has_content_after(text: str, opener: str) -> bool:
    at = text.find(opener)
    if at < 0:
        return False
    line = text[at + len(opener):].split("\n", 1)[0]
    return len(re.sub(r"[\W_]+", "", line)) >= 3
