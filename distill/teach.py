"""Stage teach: for every report the teacher writes chain-of-thought answers for the paper's three tasks —
the morning briefing, 2-4 follow-up questions about that night, and domain-knowledge questions from the
bank's train split (free-form and multiple choice) — and a fourth of ours: questions about a user's whole
history from the history bank's train split (`teach.history_per_report`), asked of its simulated users and
computed as serving computes them. Each prompt is rendered by the coach's prompt module as serving renders
it. Every answer must pass the serving guard (figures only from the data, no diagnosis, red flags referred
to a doctor, the step openers in place; a multiple-choice answer must pick the right letter; a history
answer must state the figure the bank's reference implementation expects) or it is dropped; why, is counted
in the manifest and kept in `teach/rejected.jsonl`.

Output: `teach/examples.jsonl`, one chat per line (the prompt's messages and the teacher's answer).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from distill import history as history_bank
from distill import questions as bank
from distill.evaluation.metrics import chosen_letter
from distill.history.scoring import score as history_score
from distill.reports import Report
from distill.run import RunDir
from distill.synth import load_reports
from distill.teacher import Task, Teacher
from sleepcot.coach import prompts
from sleepcot.coach.answering import FOLLOWUP_CARDS, KNOWLEDGE_CARDS
from sleepcot.coach.generation import judge
from sleepcot.coach.history import answer_history, history_prompt
from sleepcot.coach.llm import LLMUnavailable
from sleepcot.coach.retrieval import retrieve

EXAMPLES_FILE = "examples.jsonl"
REJECTED_FILE = "rejected.jsonl"


def build_tasks(reports: list[Report], run: RunDir) -> list[Task]:
    config = run.config.teach
    rng = random.Random(run.config.synth.first_seed)
    train = bank.load("train")
    pools = {"knowledge": [q for q in train if not q.is_mcq], "mcq": [q for q in train if q.is_mcq]}
    for pool in pools.values():
        rng.shuffle(pool)
    per_report = {"knowledge": config.knowledge_per_report, "mcq": config.mcq_per_report}
    tasks: list[Task] = []
    for i, report in enumerate(reports):
        analysis = report.analysis
        tasks.append(Task(f"{report.id}/briefing", "briefing", prompts.briefing(analysis), analysis))
        for n, question in enumerate(report.followups(rng.randint(*config.followups))):
            cards = retrieve(question, k=FOLLOWUP_CARDS, language=report.language)
            tasks.append(Task(f"{report.id}/followup{n}", "followup",
                              prompts.followup(question, analysis, cards=cards), analysis))
        for kind, pool in pools.items():  # the bank's questions in turn, a share of them with their cards
            for n in range(per_report[kind]):
                q = pool[(i * per_report[kind] + n) % len(pool)]
                cards = retrieve(q.question, k=KNOWLEDGE_CARDS, language=q.language, leave_out=q.group) \
                    if rng.random() < config.retrieval_share else []
                prompt = prompts.knowledge(q.question, cards, q.language) if kind == "knowledge" else \
                    prompts.multiple_choice(q.question, list(q.choices), cards, q.language)
                tasks.append(Task(f"{report.id}/{q.id}", kind, prompt, question=q))
    if config.history_per_report:
        tasks += _history_tasks(reports, run)
    return tasks


def _history_tasks(reports: list[Report], run: RunDir) -> list[Task]:
    """`history_per_report` questions of the history bank's train split per report, in a seeded order of their
    own (the other tasks' draws stay as they were): each planned and computed over its simulated user's nights as
    serving does it, and prompted as serving prompts the model. A question the rules cannot plan is passed over."""
    per_report = run.config.teach.history_per_report
    pool = history_bank.load("train")
    random.Random(f"history|{run.config.synth.first_seed}").shuffle(pool)
    world = history_bank.World()
    tasks: list[Task] = []
    try:
        asked = 0
        for report in reports:
            for _ in range(per_report):
                for _ in range(len(pool)):  # the next question that can be planned
                    q = pool[asked % len(pool)]
                    asked += 1
                    source, today = world.source(q.user), world.today(q.user)
                    reply = answer_history(q.question, source, None, language=q.language, today=today)
                    result = getattr(reply, "history", None)
                    if result is not None:
                        tasks.append(Task(f"{report.id}/{q.id}", "history", history_prompt(q.question, result, q.language),
                                          history=result, expected=q.expected(world)))
                        break
    finally:
        world.close()
    return tasks


def problems(task: Task, answer: str | None) -> list[str]:
    """Why an answer may not be taught (empty: it may)."""
    if not answer or not answer.strip():
        return ["no answer"]
    prompt = task.prompt
    if task.question is not None:  # a knowledge answer may state what the cards that answer it say
        prompt = replace(prompt, facts=prompt.facts + task.question.card_facts())
    found = judge(prompt, answer, structured=bool(prompt.steps)).problems
    lines = answer.split("\n")
    if prompt.task == "briefing" and (len(lines) != len(prompt.steps)
                                      or any(not line.startswith(s) for line, s in zip(lines, prompt.steps, strict=False))):
        found.append("lines do not follow the step openers")
    elif prompt.steps and not answer.startswith(prompt.steps[0]):
        found.append("does not start with the opener")
    if task.kind == "history" and task.expected is not None and not history_score(answer, task.expected)["right"]:
        found.append("does not state the expected figure")
    if task.kind == "mcq" and chosen_letter(answer, list(task.question.choices), prompt.steps[0]) != \
            task.question.correct_letter:
        found.append("wrong option")
    return found


def _reason(problem: str) -> str:
    """A problem's kind, for counting ("figure not in the data: 7 h" -> "figure not in the data")."""
    head = problem.split(":")[0]
    return "a step says nothing" if head.startswith("step ") else head


def make_teacher(run: RunDir) -> Teacher:
    config = run.config.teach
    if config.teacher == "reference":
        from distill.teacher.reference import ReferenceTeacher

        return ReferenceTeacher()
    from distill.teacher.endpoint import EndpointTeacher

    return EndpointTeacher(config, run.path("teach") / "cache.jsonl")


def teach(run: RunDir, teacher: Teacher | None = None, on_done: Callable[[int, int], None] | None = None) -> dict:
    run.require("synth")
    started = time.perf_counter()
    teacher = teacher or make_teacher(run)
    tasks = build_tasks(load_reports(run), run)
    answers = teacher.write(tasks, on_done)
    stats = getattr(getattr(teacher, "client", None), "stats", None)  # an endpoint teacher's request counts
    if tasks and all(answer is None for answer in answers):  # not "done": a rerun asks again (the cache keeps any)
        raise LLMUnavailable(f"the teacher {teacher.name} gave no answer"
                             + (f" ({stats.stopped_by})" if stats is not None and stats.stopped_by else ""))
    folder = run.path("teach")
    asked, kept, rejected = Counter(), Counter(), Counter()
    with (folder / EXAMPLES_FILE).open("w", encoding="utf-8") as good, \
            (folder / REJECTED_FILE).open("w", encoding="utf-8") as bad:
        for task, answer in zip(tasks, answers, strict=True):
            asked[task.kind] += 1
            found = problems(task, answer)
            row = {"id": task.id, "kind": task.kind, "language": task.prompt.language.value}
            if found:
                rejected.update(_reason(p) for p in found)
                bad.write(json.dumps({**row, "problems": found, "answer": answer}, ensure_ascii=False) + "\n")
                continue
            kept[task.kind] += 1
            messages = [*task.prompt.messages, {"role": "assistant", "content": answer}]
            good.write(json.dumps({**row, "messages": messages}, ensure_ascii=False) + "\n")
    counts = {"asked": dict(asked), "kept": dict(kept), "examples": sum(kept.values()),
              "rejected": sum(asked.values()) - sum(kept.values()), "rejections_by_reason": dict(rejected)}
    metrics = {"teacher": teacher.name, **({"client": vars(stats)} if stats is not None else {})}
    return run.record("teach", started=started, counts=counts, metrics=metrics,
                      artifacts=[str(folder / EXAMPLES_FILE), str(folder / REJECTED_FILE)])
