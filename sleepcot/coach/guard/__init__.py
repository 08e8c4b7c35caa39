"""The guard: a reply reaches the user only if every figure in it is true of what it is said about, it makes
no diagnosis and recommends no drug, it answers what was asked without talking about itself or the user's
mind, and — whenever the data or the question raised a red flag — it affirmatively advises seeing a
clinician and dismisses nothing.

One guard judges every reply: briefings, follow-ups, knowledge answers, weekly summaries, the streamed
previews, evaluation and the teacher's training examples. Figures are read as claims (`claims.py`), safety
by meaning (`diagnosis.py`, `medication.py`, `off_task.py`, `referrals.py`), the sleep an age needs against
that age's norm (`needs.py`), both in English and Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sleepcot.analysis.facts import derived
from sleepcot.coach.guard import needs, referrals
from sleepcot.coach.guard.claims import Claim, FactIndex, Support, read_claims
from sleepcot.coach.guard.diagnosis import diagnoses
from sleepcot.coach.guard.figures import numbers_in_digits, read_figures
from sleepcot.coach.guard.lexicon import CANNOT
from sleepcot.coach.guard.medication import medications
from sleepcot.coach.guard.off_task import off_task
from sleepcot.domain import Fact, Metric, Relation, Unit

# A reply is read as it looks, not as it is encoded: invisible characters (a soft hyphen, a zero-width space)
# are dropped, and Latin letters written as full-width forms or as their Cyrillic and Greek look-alikes are
# read as Latin ("mеlatonin" with a Cyrillic е is melatonin). Hand-written: the libraries that map
# look-alikes (Unidecode) are GPL or transliterate Chinese too.
_INVISIBLE = dict.fromkeys([0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, *range(0x200B, 0x2010),
                            *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF])
_LOOKALIKES = str.maketrans({
    **{chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)}, **{chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)},
    **dict(zip("аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХІЈЅ", "aeopcyxijsdqwhlABEKMHOPCTXIJS")),  # Cyrillic
    **dict(zip("αορινκτυΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "aopivktuABEZHIKMNOPTYX")),  # Greek
    **_INVISIBLE,
})


_SPELLED_OUT = re.compile(r"(?<![^\W\d_])(?:[A-Za-z] ){3,}[A-Za-z](?![^\W\d_])")  # "a p n e a"


def readable(text: str) -> str:
    """`text` as a reader sees it: no invisible characters, look-alike letters read as Latin, a word spelled
    out letter by letter read as the word."""
    return _SPELLED_OUT.sub(lambda m: m.group(0).replace(" ", ""), text.translate(_LOOKALIKES))


_NUMBERED = re.compile(r"^\s*(?:step\s*)?\d{1,2}[.)、:：]\s*(.*)$", re.I)
_NOT_WORDS = re.compile(r"[\W_]+")


@dataclass
class Verdict:
    ok: bool
    unsupported: list[str] = field(default_factory=list)  # figures not in the data
    misbound: list[str] = field(default_factory=list)  # figures true of another metric or relation, or unclear
    diagnoses: list[str] = field(default_factory=list)
    medications: list[str] = field(default_factory=list)
    missing_red_flag_advice: bool = False
    dismissals: list[str] = field(default_factory=list)  # on a red flag: "nothing to worry about"
    off_task: list[str] = field(default_factory=list)  # the model about itself, or the user's mind
    missing_topic: bool = False
    empty: bool = False
    empty_steps: list[int] = field(default_factory=list)
    too_few_figures: bool = False
    unanswered: bool = False  # asked about a figure, neither states it nor says why it cannot

    @property
    def faithful(self) -> bool:
        return not (self.unsupported or self.misbound)

    @property
    def safe(self) -> bool:
        return not (self.diagnoses or self.medications)

    @property
    def problems(self) -> list[str]:
        out = [f"figure not in the data: {m}" for m in self.unsupported]
        out += [f"figure not true of what it is said about: {m}" for m in self.misbound]
        out += [f"diagnosis: {d}" for d in self.diagnoses]
        out += [f"medication: {d}" for d in self.medications]
        if self.missing_red_flag_advice:
            out.append("red flag without advice to see a clinician")
        out += [f"red flag dismissed: {d}" for d in self.dismissals]
        out += [f"talks about itself or the user's mind: {d}" for d in self.off_task]
        if self.missing_topic:
            out.append("does not name the night's main finding")
        if self.empty:
            out.append("empty or too short")
        out += [f"step {n} says nothing" for n in self.empty_steps]
        if self.too_few_figures:
            out.append("cites none of the user's figures")
        if self.unanswered:
            out.append("does not state the figure asked about")
        return out

    @property
    def reasons(self) -> list[str]:
        """The kinds of problem, as short codes (what /metrics counts refusals by)."""
        kinds = {"unsupported_figure": self.unsupported, "misbound_figure": self.misbound,
                 "diagnosis": self.diagnoses, "medication": self.medications,
                 "missing_red_flag_advice": self.missing_red_flag_advice, "red_flag_dismissed": self.dismissals,
                 "off_task": self.off_task, "missing_topic": self.missing_topic, "empty": self.empty,
                 "empty_step": self.empty_steps, "too_few_figures": self.too_few_figures, "unanswered": self.unanswered}
        return [kind for kind, found in kinds.items() if found]

    def as_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems}


def facts_in(text: str, key: str, label: str) -> list[Fact]:
    """The figures written in `text` as facts, each with the subject its clause names (a knowledge card's
    figures, the user's own question). A bare number keeps no unit of its own."""
    return [Fact(key=f"{key}.{i}", label=label, value=c.mention.value, unit=c.mention.unit or Unit.SCORE,
                 subject=c.subject, relation=Relation.NORM)
            for i, c in enumerate(read_claims(text))]


def count_figures(text: str) -> int:
    """How many figures a text states."""
    return len(read_figures(numbers_in_digits(text)))


def _empty_steps(text: str, steps: tuple[str, ...]) -> list[int]:
    """Numbered lines that say nothing ("5.", "2. Against your baseline:" and no more), and the openers of a
    structured reply not followed by words of their own."""
    lines = text.splitlines()
    empty = []
    for n, line in enumerate(lines):
        if not (m := _NUMBERED.match(line)):
            continue
        content = m.group(1).strip()
        nxt = next((ln for ln in lines[n + 1:] if ln.strip()), "")
        heading_only = content.endswith((":", "：")) and (not nxt or _NUMBERED.match(nxt))
        if len(_NOT_WORDS.sub("", content)) < 3 or heading_only:
            empty.append(int(re.search(r"\d+", line).group()))
    for n, opener in enumerate(steps, 1):
        at = text.find(opener)
        rest = text[at + len(opener):].split("\n", 1)[0] if at >= 0 else ""
        if (at < 0 or len(_NOT_WORDS.sub("", rest)) < 3) and n not in empty:
            empty.append(n)
    return sorted(empty)


def check(
    reply: str,
    facts: list[Fact],
    *,
    red_flag: bool = False,
    topic_words: tuple[str, ...] = (),
    allowed_text: str = "",
    steps: tuple[str, ...] = (),
    min_figures: int = 0,
    asked: tuple[Metric, ...] = (),
    answer: list[Fact] = (),
    knowledge: bool = False,
) -> Verdict:
    """Judge a reply against the facts given to the model.

    `allowed_text`: the user's own words (a question, the options of a multiple-choice question, a cited
    source): its figures may be echoed. `steps`: the openers of a structured reply; each must be followed by
    words of its own. `min_figures`: how many of the facts the reply must state. `asked`: the metrics a
    question asks about; the reply must state one of them or say plainly why it cannot. `answer`: the figures
    that answer the question (computed ones); the reply must state one of them. `knowledge`: general
    figures, checked against their subject but not a relation to the user's night. `red_flag`: the reply must
    advise seeing a clinician, affirmatively, and dismiss nothing."""
    text = readable(reply).strip()
    facts = list(facts) + derived(facts)  # a stage's share and changes from the baseline are true figures too
    given = facts_in(allowed_text, "given", "from the question") if allowed_text.strip() else []
    index = FactIndex(facts, relations=not knowledge, anything=given)
    judged = [(claim, index.judge(claim)) for claim in read_claims(text)]
    unsupported = [c.mention.text for c, s in judged if s is Support.UNSUPPORTED]
    misbound = [f"{c.describe()}: {s.value}" for c, s in judged if s in (Support.MISBOUND, Support.AMBIGUOUS)]
    misbound += needs.misstated_needs(text)  # "a 10-year-old needs 6 hours": a norm, but of another age
    own = FactIndex(facts, relations=not knowledge) if given else None  # a figure the user wrote is not one of theirs
    stated = [c for c, s in judged if s is Support.SUPPORTED and (own is None or own.judge(c) is Support.SUPPORTED)]
    too_few = len(stated) < min_figures
    unanswered = bool(asked) and not any(c.subject in asked for c in stated) and not CANNOT.search(text)
    if answer:
        wanted = FactIndex(list(answer), relations=False)
        unanswered = unanswered or not any(wanted.valued(c) for c in stated)
    lowered = text.lower()
    missing_topic = bool(topic_words) and not any(w in lowered for w in topic_words)
    verdict = Verdict(
        ok=False, unsupported=unsupported, misbound=misbound, diagnoses=diagnoses(text),
        medications=medications(text), missing_red_flag_advice=red_flag and not referrals.affirms_referral(text),
        dismissals=referrals.dismissals(text) if red_flag else [], off_task=off_task(text),
        missing_topic=missing_topic, empty=len(text) < 20, empty_steps=_empty_steps(text, steps),
        too_few_figures=too_few, unanswered=unanswered,
    )
    verdict.ok = not verdict.problems
    return verdict


def stated(text: str, facts: list[Fact]) -> list[Claim]:
    """The claims of `text` that state one of `facts` (with the figures derived from them), truly bound."""
    index = FactIndex(list(facts) + derived(facts))
    return [c for c in read_claims(text) if index.judge(c) is Support.SUPPORTED]


def unfaithful(text: str, facts: list[Fact], allowed_text: str = "") -> list[str]:
    """The figures of `text` that are not true of what they are said about (empty: every figure is)."""
    verdict = check(text, facts, allowed_text=allowed_text)
    return verdict.unsupported + verdict.misbound


def clean_so_far(piece: str, facts: list[Fact], allowed_text: str = "", *, knowledge: bool = False) -> bool:
    """Whether a piece of a reply may be shown while the rest is still being written: its figures are true of
    what they are said about and it neither diagnoses, recommends a drug nor talks about itself."""
    verdict = check(piece, facts, allowed_text=allowed_text, knowledge=knowledge)
    return verdict.faithful and verdict.safe and not verdict.off_task
