"""The morning briefing: the model's four-step chain of thought, guarded, or the deterministic briefing
rendered from the findings when the model is unavailable or its replies fail the guard."""

from __future__ import annotations

from sleepcot.analysis import Analysis
from sleepcot.coach import findings as words
from sleepcot.coach import prompts
from sleepcot.coach.generation import CoachReply, Progress, guarded
from sleepcot.coach.llm import LLM
from sleepcot.domain import Language, TagKind

CLINICIAN_NOTE = {
    Language.EN: "⚠️ Please see a doctor about this: SleepCoT is a coach, not a medical device, and cannot diagnose.",
    Language.ZH: "⚠️ 请就此咨询医生：SleepCoT 是睡眠教练，不是医疗设备，无法做出诊断。",
}
NO_CAUSE = {
    Language.EN: "Nothing you logged explains it; one night can vary, so watch whether it repeats.",
    Language.ZH: "你记录的内容中没有明显原因；单晚数据会有波动，请观察是否重复出现。",
}


LINKED = {Language.EN: "Likely linked to: {}.", Language.ZH: "可能与以下因素有关：{}。"}
SEP = {Language.EN: " ", Language.ZH: ""}
STEP_COLON = {Language.EN: ": ", Language.ZH: "："}


def linked_to(causes: list[TagKind], language: Language) -> str:
    """The sentence naming what the user logged that likely explains a finding."""
    return LINKED[language].format(words.causes(causes, language))


def cause_text(analysis: Analysis, language: Language) -> str:
    """Why the night likely went as it did: the logged causes of the top findings, or that none explains it."""
    causes: list[TagKind] = []
    for finding in analysis.findings[:3]:
        causes += [c for c in finding.likely_causes if c not in causes]
    return linked_to(causes, language) if causes else NO_CAUSE[language]


def deterministic_briefing(analysis: Analysis) -> str:
    """A correct briefing from the findings alone: every figure comes straight from the facts."""
    language = analysis.profile.language
    steps = prompts.STEPS[language]
    by_key = {f.key: f for f in analysis.facts()}
    shown = [by_key[k] for k in prompts.NIGHT_FIELDS[:6] if k in by_key]
    top = analysis.findings[:3]
    colon, sep = STEP_COLON[language], SEP[language]
    data = ("；" if language is Language.ZH else "; ").join(words.named_value(f, language) for f in shown)
    lines = [
        f"1. {steps[0]}{colon}{data}{'。' if language is Language.ZH else '.'}",
        f"2. {steps[1]}{colon}" + sep.join(f"{words.title(f, language)}{colon}{words.detail(f, language)}" for f in top),
        f"3. {steps[2]}{colon}" + cause_text(analysis, language),
        f"4. {steps[3]}{colon}" + sep.join(dict.fromkeys(words.advice(f, language) for f in top[:2])),
    ]
    if analysis.red_flags:
        lines.append(CLINICIAN_NOTE[language])
    return "\n".join(lines)


def write_briefing(analysis: Analysis, llm: LLM | None, *, max_tokens: int = 220,
                   unavailable_reason: str | None = None, on_progress: Progress | None = None) -> CoachReply:
    return guarded(
        lambda strict: prompts.briefing(analysis, strict=strict),
        llm,
        lambda: deterministic_briefing(analysis),
        max_tokens=max_tokens,
        unavailable_reason=unavailable_reason,
        on_progress=on_progress,
        fallback_passes=True,
    )
