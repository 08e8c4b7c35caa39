"""History answers as the user gets them: every plan's plain answer passes the guard and states its figure
(English and Chinese, checked over generated plans), the embedded model phrases them under the guard, the
model reads a question the rules cannot with constrained decoding, and questions route to the right path."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis.history import (
    ADDITIVE,
    MEASURES,
    Aggregate,
    CompareKind,
    Comparison,
    Days,
    Measure,
    Period,
    PeriodKind,
    Plan,
    Threshold,
    run,
)
from sleepcot.analysis.latest import analyze_latest
from sleepcot.coach.answering import answer
from sleepcot.coach.generation import judge
from sleepcot.coach.guard.claims import FactIndex, read_claims
from sleepcot.coach.history import answer_history, history_prompt, history_text
from sleepcot.coach.history.planner import SCHEMA, FlatPlan, plan_with_model
from sleepcot.coach.history.words import WORDS
from sleepcot.domain import Language, TagKind, Unit
from sleepcot.store import Store
from sleepcot.units import format_value

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def users():
    """Two simulated people with 120 nights and their logged tags, one of them Chinese."""
    store = Store("sqlite://")
    store.migrate()
    made = {}
    for persona, seed, language in ((Persona.EVENING_ALCOHOL, 3, Language.EN), (Persona.SHIFT_WORKER, 5, Language.ZH)):
        profile = persona_profile(persona).model_copy(update={"language": language})
        user = store.for_user(store.create_user(profile))
        adapter = SimulatorAdapter(persona, seed, TODAY)
        start = TODAY - timedelta(days=119)
        user.upsert_nights(adapter.fetch_nights(start, TODAY))
        for tag in adapter.fetch_tags(start, TODAY):
            user.add_tag(tag)
        made[language] = user
    return made


periods = st.one_of(
    st.builds(Period, kind=st.just(PeriodKind.LAST_NIGHTS), nights=st.integers(1, 150), days=st.sampled_from(Days)),
    st.builds(Period, kind=st.sampled_from([PeriodKind.THIS_WEEK, PeriodKind.LAST_WEEK, PeriodKind.THIS_MONTH,
                                            PeriodKind.LAST_MONTH, PeriodKind.ALL]), days=st.sampled_from(Days)),
    st.builds(Period, kind=st.just(PeriodKind.MONTH), month=st.integers(1, 12)),
    st.builds(Period, kind=st.just(PeriodKind.SINCE), start=st.dates(date(2026, 6, 1), TODAY)),
)
thresholds = st.one_of(
    st.builds(Threshold, below=st.booleans(), value=st.sampled_from([5, 6, 6.5, 7, 8]), unit=st.just(Unit.HOURS)),
    st.builds(Threshold, below=st.booleans(), value=st.sampled_from([85, 90, 95]), unit=st.just(Unit.PERCENT)),
)


@st.composite
def plans(draw) -> Plan:
    measure = draw(st.sampled_from(Measure))
    compare = draw(st.one_of(
        st.none(), st.just(Comparison(kind=CompareKind.DAYS)),
        st.builds(Comparison, kind=st.just(CompareKind.PERIOD), period=periods),
        st.builds(Comparison, kind=st.just(CompareKind.HABIT),
                  habit=st.sampled_from([(TagKind.ALCOHOL,), (TagKind.LATE_CAFFEINE,), (TagKind.STRESS,),
                                         (TagKind.NIGHT_SHIFT,)]))))
    if compare is not None:
        counted = compare.kind is not CompareKind.HABIT and measure is Measure.TOTAL_SLEEP and draw(st.booleans())
        aggregate = Aggregate.COUNT if counted else draw(st.sampled_from([Aggregate.MEAN, Aggregate.MEDIAN]))
        return Plan(measure=measure, aggregate=aggregate, period=draw(periods) if compare.kind is not CompareKind.HABIT
                    else Period(), compare=compare,
                    threshold=draw(thresholds.filter(lambda t: t.unit is Unit.HOURS)) if counted else None)
    aggregate = draw(st.sampled_from(Aggregate))
    if aggregate is Aggregate.TOTAL and MEASURES[measure].unit not in ADDITIVE:
        aggregate = Aggregate.MEAN  # a total of a rate is no plan
    threshold = None
    if aggregate is Aggregate.COUNT and measure in (Measure.TOTAL_SLEEP, Measure.EFFICIENCY):
        threshold = draw(thresholds.filter(lambda t: (t.unit is Unit.HOURS) == (measure is Measure.TOTAL_SLEEP)))
    return Plan(measure=measure, aggregate=aggregate, period=draw(periods), threshold=threshold)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plans(), language=st.sampled_from(Language))
def test_every_plan_s_plain_answer_passes_the_guard_and_states_its_figure(users, plan, language):
    result = run(plan, users[language], TODAY)
    text = history_text(result, language)
    verdict = judge(history_prompt("?", result, language), text, structured=False)
    assert verdict.ok, (text, verdict.problems)
    if result.enough and plan.aggregate is not Aggregate.TREND:
        asked = FactIndex([f for f in result.facts if f.key.startswith(f"history.{result.main.name}.")
                           and f.key.endswith((".figure", ".count"))])
        assert any(asked.valued(claim) for claim in read_claims(text)), text  # the figure asked for is stated


def test_too_few_nights_are_said_not_averaged(users):
    plan = Plan(period=Period(kind=PeriodKind.LAST_NIGHTS, nights=1))
    text = history_text(run(plan, users[Language.EN], TODAY), Language.EN)
    assert "too few" in text and "average" not in text


def test_a_chinese_answer_is_chinese_with_the_figure(users):
    reply = answer("我最近两周平均睡了多久？", None, None, source=users[Language.ZH], today=TODAY,
                   language=Language.ZH)
    main = reply.history.main
    assert reply.text.startswith("最近 14 晚") and format_value(main.figure, Unit.SECONDS, Language.ZH) in reply.text
    assert reply.verdict["ok"]


def test_history_routes_before_last_night_and_knowledge(users):
    user = users[Language.EN]
    analysis = analyze_latest(user)
    assert answer("What was my average deep sleep last month?", analysis, None, source=user, today=TODAY).history
    assert answer("How did I sleep last night?", analysis, None, source=user, today=TODAY).history is None
    assert answer("How much deep sleep do adults need?", analysis, None, source=user, today=TODAY).history is None


def test_the_json_carries_the_plan_figures_nights_and_writer(users):
    document = answer("How many nights under 7 hours in the last two weeks?", None, None, source=users[Language.EN],
                      today=TODAY).as_dict()
    history = document["history"]
    assert document["backend"] == "deterministic" and history["planned_by"] == "rules"
    assert history["plan"]["threshold"] == {"below": True, "value": 7.0, "unit": "h", "or_equal": False}
    assert len(history["main"]["nights"]) == 14 and history["main"]["matched"] == sum(
        night["value"] < 7 * 3600 for night in history["main"]["nights"])
    assert any(fact["key"] == "history.period.count" for fact in history["facts"])


def test_a_history_question_nobody_can_read_gets_examples_without_a_model(users):
    reply = answer_history("Tell me about my sleep history",
                           users[Language.EN], None, language=Language.EN, today=TODAY)
    assert reply is not None and reply.history is None and reply.text == WORDS[Language.EN].examples


def test_the_embedded_model_phrases_a_history_answer_under_the_guard(users, embedded_llm):
    reply = answer("What was my average HRV over the last 30 nights?", None, embedded_llm, source=users[Language.EN],
                   today=TODAY)
    assert reply.verdict["ok"]
    assert format_value(reply.history.main.figure, Unit.MS) in reply.text or not reply.by_model


def test_the_model_reads_a_question_into_a_valid_plan_by_constrained_decoding(embedded_llm):
    reply = embedded_llm.structured([{"role": "user", "content": "average deep sleep last week?"}], SCHEMA,
                                    max_tokens=120)
    FlatPlan.model_validate_json(reply)  # the grammar keeps even a tiny model inside the schema
    plan = plan_with_model("Tell me about my sleep history",
                           embedded_llm, TODAY)
    assert plan is None or isinstance(plan, Plan)


@pytest.mark.parametrize("question", ["What was Ann's average sleep over the last 14 nights?",
                                      "user 1's average sleep over the last 14 nights", "我老婆最近两周平均睡了多久？"])
def test_a_question_about_someone_else_is_answered_from_the_asker_s_own_nights_and_says_so(users, question):
    user = users[Language.EN]
    own = answer("What was my average sleep over the last 14 nights?", None, None, source=user, today=TODAY)
    reply = answer(question, None, None, source=user, today=TODAY)
    words = WORDS[Language.ZH if "我" in question else Language.EN]
    assert reply.text.startswith(words.only_yours)
    assert reply.history.main.figure == own.history.main.figure


@pytest.mark.parametrize("language", Language)
def test_a_figure_said_of_the_wrong_stretch_of_nights_is_refused(users, language):
    """This week's average said as last week's, or either said of a month never asked about, is a true figure
    of something else; said of the right week it passes."""
    plan = Plan(period=Period(kind=PeriodKind.THIS_WEEK),
                compare=Comparison(kind=CompareKind.PERIOD, period=Period(kind=PeriodKind.LAST_WEEK)))
    result = run(plan, users[language], TODAY)
    this, last = (format_value(side.figure, Unit.SECONDS, language) for side in (result.main, result.other))
    prompt = history_prompt("?", result, language)
    if language is Language.EN:
        right = f"This week your total sleep averaged {this}, against {last} last week."
        swapped = f"Last week your total sleep averaged {this}, and this week it averaged {last}."
        elsewhere = f"This month your total sleep averaged {this}, against {last} last month."
    else:
        right = f"这周你的总睡眠平均为{this}，上周为{last}。"
        swapped = f"上周你的总睡眠平均为{this}，这周为{last}。"
        elsewhere = f"这个月你的总睡眠平均为{this}，上个月为{last}。"
    assert judge(prompt, right, structured=False).ok
    for wrong in (swapped, elsewhere):
        verdict = judge(prompt, wrong, structured=False)
        assert not verdict.ok and verdict.misbound, (wrong, verdict.problems)
