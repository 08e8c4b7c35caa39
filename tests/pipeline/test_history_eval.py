"""The history bank and its evaluation: questions about a user's whole history asked of simulated users, the
plain reference implementation that works out their answers (checked here by hand on nights made for it), the
scorer that reads a reply's figures, the `history` eval task and scoreboard, and teach's fourth task."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from distill import history as history_bank
from distill.config import load
from distill.evaluation import EvalConfig, evaluate, rescore
from distill.history.reference import MEASURES, PERIODS, STATISTICS, Expected, expected
from distill.history.scoring import score
from distill.history.users import RING, USERS, World
from distill.run import RunDir
from distill.synth import load_reports, synth
from distill.teach import build_tasks, problems, teach
from sleepcot.cli import app
from sleepcot.config import Settings
from sleepcot.domain import Language, Night, NightKind, Profile, Tag, TagKind, Unit

BERLIN = ZoneInfo("Europe/Berlin")
PROFILE = Profile(timezone="Europe/Berlin")
TODAY = date(2026, 11, 20)  # a Friday


def _night(ends: date, bed: str, hours: float, *, source: str = "watch", in_bed_h: float | None = None,
           kind: NightKind = NightKind.MAIN, **values) -> Night:
    """A night that ends on `ends`, in bed at `bed` (the evening before when after noon), asleep `hours`."""
    h, m = (int(x) for x in bed.split(":"))
    start_day = ends - timedelta(days=1) if h >= 12 and kind is NightKind.MAIN else ends
    start = datetime(start_day.year, start_day.month, start_day.day, h, m, tzinfo=BERLIN)
    in_bed = in_bed_h if in_bed_h is not None else hours + 0.5
    return Night(source=source, vendor_id=f"{source}-{ends}-{bed}", start=start, end=start + timedelta(hours=in_bed),
                 kind=kind, time_in_bed_s=round(in_bed * 3600), total_sleep_s=round(hours * 3600), **values)


def _answer(spec: dict, nights: list[Night], tags: list[Tag] = (), today: date = TODAY) -> Expected:
    return expected(spec, nights, list(tags), PROFILE, today)


# --- the bank ----------------------------------------------------------------------------------------------
def test_the_bank_is_large_bilingual_covers_every_kind_and_keeps_each_group_in_one_split():
    questions = history_bank.load()
    assert len(questions) >= 300
    assert sum(q.language is Language.ZH for q in questions) >= len(questions) / 3
    assert len({q.id for q in questions}) == len(questions)
    specs = [q.reference for q in questions]
    assert {s["measure"] for s in specs} == set(MEASURES)
    assert {s["statistic"] for s in specs} == set(STATISTICS)
    periods = [s.get("period", {"kind": "all"}) for s in specs]  # no period: all the user's nights
    assert {p["kind"] for p in periods} == set(PERIODS)
    assert {p.get("days", "all") for p in periods} == {"all", "weekdays", "weekends"}
    compared = Counter(next(iter(s["compare"])) for s in specs if s.get("compare"))
    assert set(compared) == {"period", "days", "habit"}
    habits = {kind for s in specs for kind in s.get("compare", {}).get("habit", ())}
    assert {"alcohol", "late_caffeine", "workout", "stress", "late_meal", "late_screen"} <= habits
    assert any("threshold" in s and s["threshold"].get("unit") == "clock" for s in specs)
    assert {q.user for q in questions} == set(USERS)

    splits: dict[str, set[str]] = defaultdict(set)
    for q in questions:
        splits[q.group].add(q.split)
    assert all(len(s) == 1 for s in splits.values())
    assert {q.split for q in questions} == {"train", "dev", "test"}
    assert not {q.id for q in history_bank.load("train")} & {q.id for q in history_bank.load("test")}
    by_group: dict[str, list] = defaultdict(list)
    for q in questions:
        by_group[q.group].append(q)
    assert all(len({q.language for q in g}) == len(g) and len({q.user for q in g}) == 1 for g in by_group.values())


def test_the_simulated_users_differ_and_every_question_has_an_answer():
    assert all(60 <= u.days <= 150 for u in USERS.values())
    assert len({u.persona for u in USERS.values()}) == len(USERS)
    assert any(u.language is Language.ZH for u in USERS.values())
    world = World()
    try:
        assert world.source("jun").profile().language is Language.ZH
        assert world.source("priya").nights(kind=NightKind.NAP)  # the shift worker naps
        ring = [n for n in world.source("sarah").nights() if n.source == RING]
        assert len(ring) > 20  # two sources on those dates
        answers = Counter(q.expected(world).kind for q in history_bank.load())
        assert set(answers) == {"value", "extreme", "count", "compare", "trend", "too_few"}
        assert answers["too_few"] >= 8  # questions over too few nights: the answer must say so
    finally:
        world.close()


# --- the reference implementation, by hand --------------------------------------------------------------
def test_a_mean_bedtime_across_midnight_continues_past_it():
    nights = [_night(date(2026, 11, 10), "23:30", 7), _night(date(2026, 11, 11), "00:30", 7)]
    got = _answer({"measure": "bedtime", "statistic": "mean", "period": {"kind": "last_days", "n": 14}}, nights)
    assert got.kind == "value" and got.unit is Unit.CLOCK and got.value == pytest.approx(1440)  # 00:00, not 12:00
    assert score("Your average bedtime was 00:00 over the last 14 nights.", got)["right"]
    assert score("平均上床时间是凌晨0点。", got)["right"] and not score("Your average bedtime was 01:00.", got)["right"]
    wake = _answer({"measure": "wake", "statistic": "max", "period": {"kind": "all"}}, nights)
    assert wake.value == pytest.approx(8 * 60) and wake.days == (date(2026, 11, 11),)  # 00:30 + 7.5 h in bed
    spread = _answer({"measure": "bedtime", "statistic": "stdev", "period": {"kind": "all"}}, nights + [
        _night(date(2026, 11, 12), "23:30", 7)])
    assert spread.unit is Unit.SECONDS and spread.value == pytest.approx(60 * 34.641, abs=1)  # sd of 0, 60, 0 minutes


def test_weekends_against_weekdays():
    nights = [_night(date(2026, 11, 14), "23:00", 8), _night(date(2026, 11, 15), "23:00", 9),  # Sat, Sun
              _night(date(2026, 11, 16), "23:00", 6), _night(date(2026, 11, 17), "23:00", 7)]  # Mon, Tue
    got = _answer({"measure": "total_sleep", "statistic": "mean", "period": {"kind": "all"},
                   "compare": {"days": "weekends"}}, nights)
    assert got.kind == "compare" and (got.main, got.other, got.difference) == (8.5 * 3600, 6.5 * 3600, 2 * 3600)
    assert score("At weekends you sleep 8 h 30 min, on weekdays 6 h 30 min.", got)["right"]
    assert score("You sleep 2 hours longer at weekends.", got)["right"]
    assert not score("At weekends you sleep 8 h 30 min.", got)["right"]  # one side alone is not the comparison
    only = _answer({"measure": "total_sleep", "statistic": "mean", "period": {"kind": "all", "days": "weekdays"}}, nights)
    assert only.value == 6.5 * 3600


def test_a_named_month_is_the_latest_one_not_after_today():
    nights = [_night(date(2025, 10, 3), "23:00", 5), _night(date(2025, 12, 5), "23:00", 6),
              _night(date(2025, 12, 6), "23:00", 7), _night(date(2026, 10, 3), "23:00", 8),
              _night(date(2026, 10, 4), "23:00", 9)]
    october = _answer({"measure": "total_sleep", "statistic": "mean", "period": {"kind": "month", "month": 10}}, nights)
    assert october.value == 8.5 * 3600 and october.sides["period"]["start"] == "2026-10-01"
    december = _answer({"measure": "total_sleep", "statistic": "mean", "period": {"kind": "month", "month": 12}}, nights)
    assert december.value == 6.5 * 3600  # December 2025: December 2026 is still to come
    shortest = _answer({"measure": "total_sleep", "statistic": "min", "period": {"kind": "month", "month": 10}}, nights)
    assert shortest.days == (date(2026, 10, 3),)
    for reply in ("Your shortest night in October was 8 h, on 3 Oct.", "最短的一晚是10月3日，睡了8小时。",
                  "It was October 3rd: 8 h.", "2026-10-03: 8 h 0 min"):
        assert score(reply, shortest)["right"], reply
    assert not score("Your shortest night was 8 h, on 4 Oct.", shortest)["right"]


def test_a_count_under_a_threshold_is_strict():
    nights = [_night(date(2026, 11, d), "23:00", h) for d, h in ((16, 6 + 50 / 60), (17, 7), (18, 7 + 10 / 60), (19, 5))]
    got = _answer({"measure": "total_sleep", "statistic": "count", "period": {"kind": "this_week"},
                   "threshold": {"op": "<", "value": 7, "unit": "h"}}, nights)
    assert got.kind == "count" and got.value == 2  # 7 h exactly is not under 7 hours
    assert score("2 of the 4 nights this week were under 7 h.", got)["right"]
    assert score("这周有2个晚上睡眠不足7小时。", got)["right"]
    assert not score("4 nights this week, 3 of them under 7 h.", got)["right"]
    late = _answer({"measure": "bedtime", "statistic": "count", "period": {"kind": "all"},
                    "threshold": {"op": ">", "value": "00:00", "unit": "clock"}},
                   [_night(date(2026, 11, 16), "23:50", 7), _night(date(2026, 11, 17), "00:10", 7),
                    _night(date(2026, 11, 18), "01:00", 7)])
    assert late.value == 2


def test_two_sources_on_one_date_keep_the_longer_night_whole():
    day = date(2026, 11, 18)
    nights = [_night(day, "23:00", 7, source="watch", hrv_rmssd_ms=40, score=80),
              _night(day, "23:05", 7.5, source="ring", hrv_rmssd_ms=60),  # longer: the main night, but no score
              _night(date(2026, 11, 19), "23:00", 6, source="watch", hrv_rmssd_ms=50, score=70),
              _night(date(2026, 11, 19), "13:30", 0.5, kind=NightKind.NAP)]
    hrv = _answer({"measure": "hrv", "statistic": "mean", "period": {"kind": "last_days", "n": 7}}, nights)
    assert hrv.value == 55 and hrv.nights == 2
    assert _answer({"measure": "total_sleep", "statistic": "total", "period": {"kind": "all"}}, nights).value == 13.5 * 3600
    scores = _answer({"measure": "score", "statistic": "mean", "period": {"kind": "all"}}, nights)
    assert scores.kind == "too_few" and scores.nights == 1  # the longer night of the 18th has no score
    naps = _answer({"measure": "nap", "statistic": "count", "period": {"kind": "this_week"}}, nights)
    assert naps.value == 1


def test_a_habit_needs_five_nights_on_each_side_and_a_trend_two_weeks():
    nights = [_night(TODAY - timedelta(days=i), "23:00", 7 + (i % 3) / 6, deep_s=3600 + 60 * i) for i in range(20)]
    tags = [Tag(local_date=TODAY - timedelta(days=i), kind=TagKind.ALCOHOL) for i in range(0, 20, 4)]  # 5 nights
    habit = {"measure": "deep", "statistic": "mean", "compare": {"habit": ["alcohol"]}}
    got = _answer(habit, nights, tags)
    assert got.kind == "compare" and got.main == pytest.approx(3600 + 60 * 8) and got.sides["main"]["nights"] == 5
    assert _answer(habit, nights, tags[:4]).kind == "too_few"
    trend = _answer({"measure": "deep", "statistic": "trend", "period": {"kind": "last_days", "n": 14}}, nights)
    assert trend.per_week == pytest.approx(-420) and trend.first_week == pytest.approx(3600 + 60 * 10)
    assert score("Your deep sleep fell by about 7 min per week.", trend)["right"]
    short = _answer({"measure": "deep", "statistic": "trend", "period": {"kind": "this_week"}}, nights)
    assert short.kind == "too_few"
    assert score("This week has only 5 nights; a trend needs at least 14 days.", short)["right"]
    assert not score("This week your deep sleep averaged 1 h 4 min.", short)["right"]


# --- the scorer ---------------------------------------------------------------------------------------------
def test_the_scorer_reads_a_duration_within_the_products_rounding():
    mean = Expected("value", Unit.SECONDS, Unit.SECONDS, value=26_567)
    for reply in ("You averaged 7 h 23 min a night.", "About 7.4 hours a night.", "你平均每晚睡了7小时23分钟。",
                  "443 minutes on average"):
        assert score(reply, mean)["right"], reply
    for reply in ("You averaged 7 h 40 min a night.", "About 7 hours a night.", "7.5 hours", "There are not enough nights."):
        assert not score(reply, mean)["right"], reply
    assert score("7 h", Expected("value", Unit.SECONDS, Unit.SECONDS, value=25_190))["right"]  # what the product writes
    gap = Expected("compare", Unit.SECONDS, Unit.SECONDS, main=17_880, other=24_660, difference=-6_780)
    assert score("4 h 58 min against 6 h 51 min", gap)["right"] and score("a change of −1 h 53 min", gap)["right"]
    assert not score("a change of −1 h 7 min", gap)["right"]
    percent = Expected("value", Unit.PERCENT, Unit.PERCENT, value=86.74)
    assert score("87%", percent)["right"] and score("86.7%", percent)["right"] and not score("86%", percent)["right"]
    hrv = Expected("value", Unit.MS, Unit.MS, value=45.4)
    assert score("Your HRV averaged 45 ms.", hrv)["right"] and score("心率变异性平均45毫秒。", hrv)["right"]
    clock = Expected("value", Unit.CLOCK, Unit.SECONDS, value=1424.6)
    assert all(score(r, clock)["right"] for r in ("23:45", "11:45 pm", "晚上11点45分", "11:45"))
    assert not score("23:50", clock)["right"]


# --- the eval task and teach's fourth task ------------------------------------------------------------------
def test_evaluate_runs_the_reference_coach_on_history_questions_and_scores_them(tmp_path):
    config = EvalConfig(models=["reference"], out=tmp_path / "run", tasks=("history",), retrieval=(False,), questions=6)
    table = evaluate(config, Settings()).read_text(encoding="utf-8")
    cases = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    test_ids = {q.id for q in history_bank.load("test")}
    assert len(cases) == 6 and all(c["task"] == "history" and c["case"] in test_ids for c in cases)
    assert all({"right", "guard_ok", "by_model"} <= set(c["scores"]) and not c["scores"]["by_model"] for c in cases)
    assert all(c["detail"]["expected"] and "why" in c["detail"] for c in cases)
    header, _, row = table.splitlines()[:3]
    assert "History: right figure" in header and "History: passes the guard" in header
    assert row.startswith("| reference |")
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["history"] == 6
    again = rescore(tmp_path / "run", tmp_path / "again").read_text(encoding="utf-8")
    assert again.splitlines()[:3] == table.splitlines()[:3]  # the same replies, scored again alike


def test_the_eval_command_takes_the_history_task(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["eval", "--tasks", "history", "--models", "reference", "--questions", "3",
                                      "--out", str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "| reference |" in result.stdout and "History: right figure" in result.stdout


@pytest.mark.llm
def test_the_embedded_model_answers_history_questions_in_the_eval(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["eval", "--tasks", "history", "--models", "embedded,reference", "--questions",
                                      "2", "--out", str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cases = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert Counter(c["model"] for c in cases) == {"embedded": 2, "reference": 2}
    assert "| embedded |" in result.stdout and "| reference |" in result.stdout


TOY = """
student: {gguf: smollm2}
synth: {reports: 4, first_seed: 11}
teach: {followups: [1, 1], knowledge_per_report: 0, mcq_per_report: 0, history_per_report: 2}
"""


def test_teach_with_the_reference_teacher_writes_history_examples_that_pass_the_guard(tmp_path):
    recipe = tmp_path / "toy.yaml"
    recipe.write_text(f"run_dir: {tmp_path / 'run'}\n{TOY}", encoding="utf-8")
    run = RunDir(load(recipe))
    synth(run)
    entry = teach(run)
    assert entry["counts"]["asked"]["history"] == 8
    assert entry["counts"]["kept"].get("history", 0) >= 4  # the rest: the product's answer was not the bank's
    tasks = {t.id: t for t in build_tasks(load_reports(run), run) if t.kind == "history"}
    train_ids = {q.id for q in history_bank.load("train")}
    assert all(task_id.split("/")[1] in train_ids for task_id in tasks)  # the train split only
    examples = [json.loads(line) for line in (tmp_path / "run" / "teach" / "examples.jsonl").read_text().splitlines()]
    history = [e for e in examples if e["kind"] == "history"]
    assert history and all(e["messages"][-1]["role"] == "assistant" for e in history)
    for example in history:
        task = tasks[example["id"]]
        assert example["messages"][:-1] == task.prompt.messages
        assert problems(task, example["messages"][-1]["content"]) == []
