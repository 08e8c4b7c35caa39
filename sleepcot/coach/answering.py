"""Answers to what the user asks: follow-ups about their own data, grounded in their analysis, and
general sleep questions, grounded in the knowledge cards. Guarded like the briefing, with a
deterministic fallback built from the same facts."""

from __future__ import annotations

import re
from datetime import date

from sleepcot.analysis import Analysis
from sleepcot.analysis.findings import FINDING_TOPICS
from sleepcot.analysis.history import HistorySource
from sleepcot.coach import findings as words
from sleepcot.coach import guard, prompts
from sleepcot.coach.briefing import CLINICIAN_NOTE, linked_to
from sleepcot.coach.generation import FALLBACK, SENTENCE_BREAK, CoachReply, Progress, guarded
from sleepcot.coach.guard.referrals import QuestionFlag, question_red_flags
from sleepcot.coach.history import answer_history
from sleepcot.coach.knowledge import Card, language_of
from sleepcot.coach.llm import LLM
from sleepcot.coach.retrieval import about_sleep, retrieve, tokens
from sleepcot.domain import Language

MAX_QUESTION_CHARS = 1000
_PERSONAL = re.compile(
    r"\b(?:my|me|i|i'm|i've|i'd|mine|last night|yesterday|tonight|this week|today)\b|我|昨晚|昨天|今晚", re.I
)
# A question about a longer stretch than last night and the recent baseline the analysis holds.
_PERIOD = re.compile(
    r"\b(?:this|last|past|previous)\s+(?:week|month|year|fortnight)|\b(?:weeks|months)\b|\bsince\b|"
    r"\bin\s+(?:january|february|march|april|may|june|july|august|september|october|november|december)\b|"
    r"\bweekends?\b|\bweekdays?\b|\bover\s+time\b|\btrend|\bhow\s+many\s+nights\b|"
    r"本周|这周|上周|这个月|上个月|本月|最近几周|周末|工作日|趋势|以来|几个晚上",
    re.I,
)
ONLY_LAST_NIGHT = {
    Language.EN: "I can only see last night and your recent average here, not the longer stretch you asked about.",
    Language.ZH: "我这里只能看到昨晚的数据和你最近的平均水平，看不到你问的更长时间段。",
}
# Said whatever else the answer says, when a question describes a symptom a clinician should see.
SEE_A_CLINICIAN = {
    QuestionFlag.BREATHING: {
        Language.EN: "Breathing pauses or waking up gasping in sleep are a reason to see a doctor soon: only a sleep "
                     "study can tell what causes them.",
        Language.ZH: "睡眠中呼吸停顿或憋醒喘气，应该尽快去看医生：只有睡眠监测才能查明原因。",
    },
    QuestionFlag.DROWSY_DRIVING: {
        Language.EN: "Falling asleep at the wheel is dangerous: do not drive while drowsy, and see a doctor soon about "
                     "the sleepiness.",
        Language.ZH: "开车时睡着非常危险：困倦时不要开车，并尽快就白天嗜睡去看医生。",
    },
    QuestionFlag.CHILD_SNORING: {
        Language.EN: "A child who snores most nights should see their doctor: it can disturb their sleep, growth and "
                     "behaviour, and it is often treatable.",
        Language.ZH: "孩子如果大多数晚上都打鼾，应该带孩子去看医生：这会影响孩子的睡眠、生长和行为，而且通常可以治疗。",
    },
    QuestionFlag.RESTLESS_LEGS: {
        Language.EN: "An urge to move your legs that keeps you from sleeping is worth seeing a doctor about: simple "
                     "blood tests can point to the cause.",
        Language.ZH: "腿部难受、总想活动以致睡不着，值得去看医生：简单的验血就能帮助找到原因。",
    },
    QuestionFlag.CHEST_PAIN: {
        Language.EN: "Chest pain needs a doctor's assessment: if it is severe, spreading, or comes with breathlessness "
                     "or sweating, call emergency services now.",
        Language.ZH: "胸痛需要医生评估：如果疼痛剧烈、向别处放射，或伴有呼吸困难、出汗，请立即拨打急救电话。",
    },
}
CRISIS = {
    Language.EN: "Thank you for telling me. If you are thinking about harming yourself or feel you can't go on, "
                 "please reach out now: call your local emergency number, or a crisis line (in the US call or text "
                 "988; in the UK and Ireland call Samaritans on 116 123), and tell someone you trust how you feel. "
                 "Weeks of poor sleep deserve a doctor's help too. You don't have to carry this alone.",
    Language.ZH: "谢谢你告诉我。如果你有伤害自己的念头，或觉得撑不下去了，请现在就寻求帮助：拨打当地的急救电话，"
                 "或拨打心理援助热线（中国大陆可拨打 12356），并把你的感受告诉一个你信任的人。连续几周睡不好，"
                 "也值得请医生帮忙。你不必独自承受这些。",
}
CRISIS_REASON = "the question speaks of self-harm: crisis help, not a model's reply"
# What the coach can talk about, said to a question no card answers.
CAN_ANSWER = {
    Language.EN: "I can explain sleep stages and how much sleep you need at every age, naps, the body clock, light, "
                 "jet lag and shift work, sleep habits and CBT-I, caffeine, alcohol, food and exercise, the bedroom, "
                 "pregnancy, menopause and older age, common sleep disorders and when to see a doctor, and what your "
                 "wearable's numbers mean.",
    Language.ZH: "我可以讲解睡眠阶段和各年龄段的睡眠需求、小睡、生物钟、光照、时差与倒班、睡眠习惯与失眠认知行为疗法、"
                 "咖啡因、酒精、饮食与运动、卧室环境、孕期、更年期与老年睡眠、常见睡眠障碍及何时就医，以及可穿戴设备数据的含义。",
}
OFF_TOPIC = {  # a question that is not about sleep
    Language.EN: "I'm a sleep coach, so that is outside what I can answer. " + CAN_ANSWER[Language.EN],
    Language.ZH: "我是睡眠教练，这个问题超出了我能回答的范围。" + CAN_ANSWER[Language.ZH],
}
NO_CARD = {  # a sleep question that no card answers: said honestly, never guessed
    Language.EN: "That is a sleep question I don't have a sourced answer for, so I won't guess; a doctor or a sleep "
                 "clinic can answer it for your situation. " + CAN_ANSWER[Language.EN],
    Language.ZH: "这个睡眠问题我没有可靠来源的答案，所以不作猜测；医生或睡眠门诊可以结合你的情况来回答。" + CAN_ANSWER[Language.ZH],
}
UNANSWERED_REASON = "no knowledge card answers the question: the coach says so instead of asking a model"


# Cards retrieved for a question (serving, and the evaluation and training that must match it).
KNOWLEDGE_CARDS = 2
FOLLOWUP_CARDS = 1
KNOWLEDGE_TOKENS = 64  # after the direct answer (prefilled), why in a sentence or two: a knowledge reply is short


def is_personal(question: str) -> bool:
    return bool(_PERSONAL.search(question))


def clip(question: str) -> str:
    """Questions are bounded: a 100 KB message is answered from its beginning."""
    question = question.strip()
    return question if len(question) <= MAX_QUESTION_CHARS else question[:MAX_QUESTION_CHARS] + "…"


def deterministic_followup(question: str, analysis: Analysis) -> str:
    """Answer from the findings and facts the question is about (the top finding if none is named),
    starting from the number the question asks about, as a model's follow-up answer does."""
    q, language = question.lower(), analysis.profile.language
    about = [f for f in analysis.findings if any(w in q for w in FINDING_TOPICS.get(f.code, ())) and f.code != "good_night"]
    parts: list[str] = []
    by_key = {f.key: f for f in analysis.facts()}
    named = [by_key[k] for k in prompts.metrics_named(question) if k in by_key]
    if named:
        zh = language is Language.ZH
        parts.append(prompts.FOLLOWUP_OPENER[language].format(label=words.fact_name(named[0], language))
                     + f"{'' if zh else ' '}{named[0].render(language)}{'。' if zh else '.'}")
    for finding in (about or analysis.findings[:1])[:2]:
        parts.append(words.detail(finding, language))
        if finding.likely_causes:
            parts.append(linked_to(finding.likely_causes, language))
        parts.append(words.advice(finding, language))
    if _PERIOD.search(question):
        parts.insert(1 if named else 0, ONLY_LAST_NIGHT[language])
    if analysis.red_flags:
        parts.append(CLINICIAN_NOTE[language])
    return ("" if language is Language.ZH else " ").join(parts)


def deterministic_knowledge(question: str, cards: list[Card], language: Language, *, on_topic: bool = True) -> str:
    """The best card's direct answer, then why (the sentence of its explanation that `why` picks), as a model's
    answer opens; its source goes with the reply (`CoachReply.sources`), shown after the text. Without a card:
    that no sourced answer exists (`on_topic`: the question is about sleep), or what the coach can answer."""
    if not cards:
        return (NO_CARD if on_topic else OFF_TOPIC)[language]
    best = cards[0]
    return f"{best.answer}{'' if language is Language.ZH else ' '}{why(question, best)}"


def why(question: str, card: Card) -> str:
    """The sentence of the card's explanation that best says why for this question: a point for each of the
    question's terms it shares, half a point off for each it only repeats from the direct answer (the why adds
    to the answer, it does not say it again); the earliest sentence on a tie."""
    asked, said = set(tokens(question)), set(tokens(card.answer))

    def score(sentence: str) -> float:
        terms = set(tokens(sentence))
        return len(asked & terms) - 0.5 * len((said & terms) - asked)

    return max(sentences(card.text), key=score)


def sentences(text: str) -> list[str]:
    """The text's sentences (English or Chinese), in order."""
    out, start = [], 0
    for end in SENTENCE_BREAK.finditer(text):
        out.append(text[start:end.end()].strip())
        start = end.end()
    return [s for s in [*out, text[start:].strip()] if s]


def first_sentence(text: str) -> str:
    return next(iter(sentences(text)), text)


def answer(question: str, analysis: Analysis | None, llm: LLM | None, *, history: list[tuple[str, str]] = (),
           language: Language = Language.EN, max_tokens: int = 160, unavailable_reason: str | None = None,
           on_progress: Progress | None = None, source: HistorySource | None = None,
           today: date | None = None) -> CoachReply:
    """Route the question (about my whole history -> computed from `source`, the user's nights; about my
    data -> follow-up; otherwise knowledge) and answer it, guarded. Cards and a knowledge answer are in the
    question's own language (`language` when it does not tell). `today`: the user's local date."""
    question = clip(question)
    language = language_of(question, language)
    flags = question_red_flags(question)
    if QuestionFlag.SELF_HARM in flags:
        return crisis_reply(language)
    if source is not None and not flags:
        reply = answer_history(question, source, llm, language=language, today=today, max_tokens=max_tokens,
                               unavailable_reason=unavailable_reason, on_progress=on_progress)
        if reply is not None:
            return reply
    referral = " ".join(SEE_A_CLINICIAN[flag][language] for flag in sorted(flags, key=lambda f: f.value))
    if analysis is not None and is_personal(question):
        cards = retrieve(question, k=FOLLOWUP_CARDS, language=language)
        return guarded(
            lambda strict: prompts.followup(question, analysis, history, strict=strict, cards=cards, symptom=bool(flags)),
            llm, lambda: _with(deterministic_followup(question, analysis), referral),
            max_tokens=max_tokens, unavailable_reason=unavailable_reason, on_progress=on_progress,
        )
    cards = retrieve(question, k=KNOWLEDGE_CARDS, language=language)
    if not cards:
        text = _with(deterministic_knowledge(question, [], language, on_topic=bool(flags) or about_sleep(question)), referral)
        verdict = guard.check(text, [], red_flag=bool(flags), allowed_text=text)
        return CoachReply(text, FALLBACK, verdict.as_dict(), [], UNANSWERED_REASON)
    return guarded(
        lambda strict: prompts.knowledge(question, cards, language, strict=strict, symptom=bool(flags)),
        llm, lambda: _with(deterministic_knowledge(question, cards, language), referral),
        max_tokens=min(max_tokens, KNOWLEDGE_TOKENS), unavailable_reason=unavailable_reason,
    )


def _with(text: str, referral: str) -> str:
    return f"{referral} {text}" if referral else text


def crisis_reply(language: Language) -> CoachReply:
    """What a question that speaks of self-harm gets, whatever else it asks: crisis help, never a model's text."""
    text = CRISIS[language]
    verdict = guard.check(text, [], red_flag=True, allowed_text=text)
    return CoachReply(text, FALLBACK, verdict.as_dict(), [], CRISIS_REASON)
