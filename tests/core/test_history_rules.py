"""Questions about a user's history, as people phrase them in English and Chinese, read into the plan that
answers them; and questions that are not about the history left to the follow-up and knowledge paths."""

from __future__ import annotations

from datetime import date

import pytest

from sleepcot.analysis.history import Aggregate, CompareKind, Days, Measure, PeriodKind, Plan
from sleepcot.coach.history.rules import looks_like_history, read_plan
from sleepcot.domain import TagKind, Unit

TODAY = date(2026, 11, 20)  # a Friday
NEED_H = 7.0


def plan(question: str) -> Plan:
    found = read_plan(question, TODAY, NEED_H)
    assert found is not None, question
    return found


# (question, measure, aggregate, period kind, extra expectations)
CASES = [
    ("How did I sleep this week compared with last week?", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.THIS_WEEK,
     {"compare": (CompareKind.PERIOD, PeriodKind.LAST_WEEK)}),
    ("What's my average bedtime this month?", Measure.BEDTIME, Aggregate.MEAN, PeriodKind.THIS_MONTH, {}),
    ("How many nights under 7 hours in the last two weeks?", Measure.TOTAL_SLEEP, Aggregate.COUNT,
     PeriodKind.LAST_NIGHTS, {"nights": 14, "threshold": (True, 7, Unit.HOURS)}),
    ("Do I sleep longer at weekends?", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.ALL,
     {"compare": (CompareKind.DAYS, None)}),
    ("Which was my worst night in October?", Measure.QUALITY, Aggregate.MIN, PeriodKind.MONTH, {"month": 10}),
    ("Best night since October 1 — how long did I sleep?", Measure.TOTAL_SLEEP, Aggregate.MAX, PeriodKind.SINCE,
     {"start": date(2026, 10, 1)}),
    ("What's my average lowest heart rate over the last 14 nights?", Measure.LOWEST_HEART_RATE, Aggregate.MEAN,
     PeriodKind.LAST_NIGHTS, {"nights": 14}),
    ("How low did my blood oxygen go last month?", Measure.LOWEST_SPO2, Aggregate.MIN, PeriodKind.LAST_MONTH, {}),
    ("Did I sleep more last week than the week before?", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.LAST_WEEK,
     {"compare": (CompareKind.PERIOD, PeriodKind.BETWEEN)}),
    ("What was my median sleep from 14 to 27 September?", Measure.TOTAL_SLEEP, Aggregate.MEDIAN, PeriodKind.BETWEEN,
     {"start": date(2026, 9, 14), "end": date(2026, 9, 27)}),
    ("In the last 30 nights, on how many nights did I wake up more than 7 times?", Measure.AWAKENINGS,
     Aggregate.COUNT, PeriodKind.LAST_NIGHTS, {"nights": 30, "threshold": (False, 7, Unit.COUNT)}),
    ("How many nights in the past two weeks did I get less sleep than I need?", Measure.SLEEP_DEBT, Aggregate.COUNT,
     PeriodKind.LAST_NIGHTS, {"nights": 14, "threshold": (False, 0, Unit.SECONDS)}),
    ("Is my bedtime drifting later since August?", Measure.BEDTIME, Aggregate.TREND, PeriodKind.SINCE,
     {"start": date(2026, 8, 1)}),
    ("Do I get more deep sleep on days I work out?", Measure.DEEP, Aggregate.MEAN, PeriodKind.ALL,
     {"habit": (TagKind.WORKOUT, TagKind.LATE_WORKOUT)}),
    ("How has my HRV changed since September?", Measure.HRV, Aggregate.TREND, PeriodKind.SINCE,
     {"start": date(2026, 9, 1)}),
    ("Does alcohol hurt my deep sleep?", Measure.DEEP, Aggregate.MEAN, PeriodKind.ALL, {"habit": (TagKind.ALCOHOL,)}),
    ("what was my resting heart rate on average over the past 30 days", Measure.LOWEST_HEART_RATE, Aggregate.MEAN,
     PeriodKind.LAST_NIGHTS, {"nights": 30}),
    ("How consistent has my bedtime been lately?", Measure.BEDTIME, Aggregate.STDEV, PeriodKind.LAST_NIGHTS,
     {"nights": 30}),
    ("What time have I gone to bed, on average, since the first of July?", Measure.BEDTIME, Aggregate.MEAN,
     PeriodKind.SINCE, {"start": date(2026, 7, 1)}),
    ("I began using a new pillow on November 1st. Do I wake up fewer times per night since then than I did in "
     "October?", Measure.AWAKENINGS, Aggregate.MEAN, PeriodKind.SINCE,
     {"start": date(2026, 11, 1), "compare": (CompareKind.PERIOD, PeriodKind.MONTH)}),
    ("I stopped drinking coffee in the afternoon on 1 November; has my deep sleep changed since then compared with "
     "October?", Measure.DEEP, Aggregate.MEAN, PeriodKind.SINCE,
     {"start": date(2026, 11, 1), "compare": (CompareKind.PERIOD, PeriodKind.MONTH)}),
    ("mean RMSSD over the trailing 21 days", Measure.HRV, Aggregate.MEAN, PeriodKind.LAST_NIGHTS, {"nights": 21}),
    ("weekly slope of my total sleep over the last 8 weeks", Measure.TOTAL_SLEEP, Aggregate.TREND,
     PeriodKind.LAST_NIGHTS, {"nights": 56}),
    ("how many nights this year did I go to bed later than half past ten in the evening?", Measure.BEDTIME,
     Aggregate.COUNT, PeriodKind.SINCE, {"start": date(2026, 1, 1), "threshold": (False, 1350, Unit.CLOCK)}),
    ("What was my average sleep in mid-August?", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.BETWEEN,
     {"start": date(2026, 8, 11), "end": date(2026, 8, 20)}),
    ("Tell me how many hours I slept in total over the last 7 nights, not counting naps.", Measure.TOTAL_SLEEP,
     Aggregate.TOTAL, PeriodKind.LAST_NIGHTS, {"nights": 7}),
    ("How many nights in October did my blood ox dip below 90%?", Measure.LOWEST_SPO2, Aggregate.COUNT,
     PeriodKind.MONTH, {"month": 10, "threshold": (True, 90, Unit.PERCENT)}),
    ("Tell me how many times in total I woke up during the night this week.", Measure.AWAKENINGS, Aggregate.TOTAL,
     PeriodKind.THIS_WEEK, {}),
    ("Give me avg, min and max sleep efficiency for this week.", Measure.EFFICIENCY, Aggregate.MEAN,
     PeriodKind.THIS_WEEK, {}),
    ("deep sleep avg 2wks", Measure.DEEP, Aggregate.MEAN, PeriodKind.LAST_NIGHTS, {"nights": 14}),
    ("nights 6h+ last 30d", Measure.TOTAL_SLEEP, Aggregate.COUNT, PeriodKind.LAST_NIGHTS,
     {"nights": 30, "threshold": (False, 6, Unit.HOURS)}),
    ("wkend vs wkday avg wake up, last 4 wks", Measure.WAKE, Aggregate.MEAN, PeriodKind.LAST_NIGHTS,
     {"nights": 28, "compare": (CompareKind.DAYS, None)}),
    ("sept woke before 6am how many nights", Measure.WAKE, Aggregate.COUNT, PeriodKind.MONTH,
     {"month": 9, "threshold": (True, 360, Unit.CLOCK)}),
    ("HRV, last two weeks vs the fortnight before?", Measure.HRV, Aggregate.MEAN, PeriodKind.LAST_NIGHTS,
     {"nights": 14, "compare": (CompareKind.PERIOD, PeriodKind.BETWEEN)}),
    ("sleep score last month vs the month before last", Measure.SCORE, Aggregate.MEAN, PeriodKind.LAST_MONTH,
     {"compare": (CompareKind.PERIOD, PeriodKind.MONTH)}),
    ("How many nights since 1 Nov was my skin temperature more than 0.1 °C above baseline?", Measure.TEMPERATURE,
     Aggregate.COUNT, PeriodKind.SINCE, {"start": date(2026, 11, 1), "threshold": (False, 0.1, Unit.CELSIUS)}),
    ("Last week, how much time was I awake in bed in total?", Measure.AWAKE, Aggregate.TOTAL, PeriodKind.LAST_WEEK, {}),
    ("Over the last 30 days, how much has my bedtime shifted per week?", Measure.BEDTIME, Aggregate.TREND,
     PeriodKind.LAST_NIGHTS, {"nights": 30}),
    ("最近30天我的上床时间每周往后推或往前提了多少？", Measure.BEDTIME, Aggregate.TREND, PeriodKind.LAST_NIGHTS,
     {"nights": 30}),
    ("from Monday till now, how much sleep have I gotten in total?", Measure.TOTAL_SLEEP, Aggregate.TOTAL,
     PeriodKind.SINCE, {"start": date(2026, 11, 16)}),
    ("last 7 days vs the 7 days before that, how's my average sleep time?", Measure.TOTAL_SLEEP, Aggregate.MEAN,
     PeriodKind.LAST_NIGHTS, {"nights": 7, "compare": (CompareKind.PERIOD, PeriodKind.BETWEEN)}),
    ("is my sleep score better this month than last?", Measure.SCORE, Aggregate.MEAN, PeriodKind.THIS_MONTH,
     {"compare": (CompareKind.PERIOD, PeriodKind.LAST_MONTH)}),
    ("how many nights this month did it take me more than half an hour to fall asleep?", Measure.LATENCY,
     Aggregate.COUNT, PeriodKind.THIS_MONTH, {"threshold": (False, 30, Unit.MINUTES)}),
    ("is my total sleep trending up since mid-October?", Measure.TOTAL_SLEEP, Aggregate.TREND, PeriodKind.SINCE,
     {"start": date(2026, 10, 15)}),
    ("how much sleep debt have I built up this week", Measure.SLEEP_DEBT, Aggregate.TOTAL, PeriodKind.THIS_WEEK, {}),
    ("What time do I usually wake up on weekdays?", Measure.WAKE, Aggregate.MEAN, PeriodKind.ALL,
     {"days": Days.WEEKDAYS}),
    ("How many nights did I go to bed after midnight last month?", Measure.BEDTIME, Aggregate.COUNT,
     PeriodKind.LAST_MONTH, {"threshold": (False, 0, Unit.CLOCK)}),
    ("How many nights did I get to bed after 11pm in the past 3 weeks?", Measure.BEDTIME, Aggregate.COUNT,
     PeriodKind.LAST_NIGHTS, {"nights": 21, "threshold": (False, 1380, Unit.CLOCK)}),
    ("What's my longest REM night since 1 October?", Measure.REM, Aggregate.MAX, PeriodKind.SINCE,
     {"start": date(2026, 10, 1)}),
    ("average sleep efficiency between 1 Oct and 15 Oct?", Measure.EFFICIENCY, Aggregate.MEAN, PeriodKind.BETWEEN,
     {"start": date(2026, 10, 1), "end": date(2026, 10, 15)}),
    ("How long does it usually take me to fall asleep?", Measure.LATENCY, Aggregate.MEAN, PeriodKind.ALL, {}),
    ("Was my deep sleep better in October or September?", Measure.DEEP, Aggregate.MEAN, PeriodKind.MONTH,
     {"month": 10, "compare": (CompareKind.PERIOD, PeriodKind.MONTH)}),
    ("What was my lowest SpO2 last week?", Measure.LOWEST_SPO2, Aggregate.MIN, PeriodKind.LAST_WEEK, {}),
    ("my median time in bed over the last 10 nights", Measure.TIME_IN_BED, Aggregate.MEDIAN, PeriodKind.LAST_NIGHTS,
     {"nights": 10}),
    ("How many naps did I take this month?", Measure.NAP, Aggregate.COUNT, PeriodKind.THIS_MONTH, {}),
    ("How often do I sleep less than 6.5 hours?", Measure.TOTAL_SLEEP, Aggregate.COUNT, PeriodKind.ALL,
     {"threshold": (True, 6.5, Unit.HOURS)}),
    ("How many nights was my efficiency below 85% in the last month?", Measure.EFFICIENCY, Aggregate.COUNT,
     PeriodKind.SINCE, {"threshold": (True, 85, Unit.PERCENT)}),
    ("Do I sleep worse after a late workout?", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.ALL,
     {"habit": (TagKind.LATE_WORKOUT,)}),
    ("Does exercise help my HRV?", Measure.HRV, Aggregate.MEAN, PeriodKind.ALL,
     {"habit": (TagKind.WORKOUT, TagKind.LATE_WORKOUT)}),
    ("Is my breathing rate trending up over the last 2 months?", Measure.BREATHING, Aggregate.TREND, PeriodKind.SINCE,
     {"start": date(2026, 9, 21)}),
    ("What's my highest sleep score in November 2026?", Measure.SCORE, Aggregate.MAX, PeriodKind.MONTH,
     {"month": 11}),
    # Chinese
    ("我这周平均睡了多久？", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.THIS_WEEK, {}),
    ("上个月有几个晚上睡眠不足7小时？", Measure.TOTAL_SLEEP, Aggregate.COUNT, PeriodKind.LAST_MONTH,
     {"threshold": (True, 7, Unit.HOURS)}),
    ("我周末是不是睡得更久？", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.ALL, {"compare": (CompareKind.DAYS, None)}),
    ("十月份我哪一晚睡得最差？", Measure.QUALITY, Aggregate.MIN, PeriodKind.MONTH, {"month": 10}),
    ("上个月有几个晚上血氧掉到85%以下？", Measure.LOWEST_SPO2, Aggregate.COUNT, PeriodKind.LAST_MONTH,
     {"threshold": (True, 85, Unit.PERCENT)}),
    ("运动的日子我的深睡会更多吗？", Measure.DEEP, Aggregate.MEAN, PeriodKind.ALL,
     {"habit": (TagKind.WORKOUT, TagKind.LATE_WORKOUT)}),
    ("上周比前一周睡得多吗？", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.LAST_WEEK,
     {"compare": (CompareKind.PERIOD, PeriodKind.BETWEEN)}),
    ("我十月份和九月份的睡眠评分哪个更好？", Measure.SCORE, Aggregate.MEAN, PeriodKind.MONTH,
     {"month": 10, "compare": (CompareKind.PERIOD, PeriodKind.MONTH)}),
    ("这个月有几天早上是7点半以后才醒的？", Measure.WAKE, Aggregate.COUNT, PeriodKind.THIS_MONTH,
     {"threshold": (False, 450, Unit.CLOCK)}),
    ("最近30天有多少晚睡眠少于6小时？", Measure.TOTAL_SLEEP, Aggregate.COUNT, PeriodKind.LAST_NIGHTS,
     {"nights": 30, "threshold": (True, 6, Unit.HOURS)}),
    ("九月以来我的心率变异性有什么变化？", Measure.HRV, Aggregate.TREND, PeriodKind.SINCE, {"start": date(2026, 9, 1)}),
    ("喝酒会影响我的深睡吗？", Measure.DEEP, Aggregate.MEAN, PeriodKind.ALL, {"habit": (TagKind.ALCOHOL,)}),
    ("我从十月十五号开始睡前做放松，从那以后平均睡眠评分和之前两周相比怎么样？", Measure.SCORE, Aggregate.MEAN,
     PeriodKind.SINCE, {"start": date(2026, 10, 15), "compare": (CompareKind.PERIOD, PeriodKind.BETWEEN)}),
    ("从七月一日以来我平均几点上床？", Measure.BEDTIME, Aggregate.MEAN, PeriodKind.SINCE, {"start": date(2026, 7, 1)}),
    ("9月份有多少个晚上睡不满6小时？", Measure.TOTAL_SLEEP, Aggregate.COUNT, PeriodKind.MONTH,
     {"month": 9, "threshold": (True, 6, Unit.HOURS)}),
    ("这俩礼拜有几个晚上是过了12点才上床的？", Measure.BEDTIME, Aggregate.COUNT, PeriodKind.LAST_NIGHTS,
     {"nights": 14, "threshold": (False, 1440, Unit.CLOCK)}),
    ("8月中旬我平均每晚睡几个小时？", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.BETWEEN,
     {"start": date(2026, 8, 11), "end": date(2026, 8, 20)}),
    ("上礼拜呼吸频率平均每分钟多少次？", Measure.BREATHING, Aggregate.MEAN, PeriodKind.LAST_WEEK, {}),
    ("最近8周的周末，有几天早上我赖床到8点以后才起？", Measure.WAKE, Aggregate.COUNT, PeriodKind.LAST_NIGHTS,
     {"nights": 56, "days": Days.WEEKENDS, "threshold": (False, 480, Unit.CLOCK)}),
    ("10月 起床时间 标准差", Measure.WAKE, Aggregate.STDEV, PeriodKind.MONTH, {"month": 10}),
    ("心率超过每分钟66次的有几晚？这个月", Measure.HEART_RATE, Aggregate.COUNT, PeriodKind.THIS_MONTH,
     {"threshold": (False, 66, Unit.BPM)}),
    ("上周加起来一共睡了几个小时", Measure.TOTAL_SLEEP, Aggregate.TOTAL, PeriodKind.LAST_WEEK, {}),
    ("11月2号到8号那个礼拜和23号到29号那个礼拜，我平均几点起床？", Measure.WAKE, Aggregate.MEAN, PeriodKind.BETWEEN,
     {"start": date(2026, 11, 2), "end": date(2026, 11, 8), "compare": (CompareKind.PERIOD, PeriodKind.BETWEEN)}),
    ("从10月初到现在我小睡了几次？", Measure.NAP, Aggregate.COUNT, PeriodKind.SINCE, {"start": date(2026, 10, 1)}),
    ("压力大的那几天，入睡要多花多长时间？", Measure.LATENCY, Aggregate.MEAN, PeriodKind.ALL,
     {"habit": (TagKind.STRESS,)}),
    ("我最近两周平均几点上床？", Measure.BEDTIME, Aggregate.MEAN, PeriodKind.LAST_NIGHTS, {"nights": 14}),
    ("这个月我有几晚是12点以后才睡的？", Measure.BEDTIME, Aggregate.COUNT, PeriodKind.THIS_MONTH,
     {"threshold": (False, 1440, Unit.CLOCK)}),
    ("我这周和上周比，深睡多了还是少了？", Measure.DEEP, Aggregate.MEAN, PeriodKind.THIS_WEEK,
     {"compare": (CompareKind.PERIOD, PeriodKind.LAST_WEEK)}),
    ("过去30天我的静息心率平均是多少", Measure.LOWEST_HEART_RATE, Aggregate.MEAN, PeriodKind.LAST_NIGHTS,
     {"nights": 30}),
    ("我的上床时间规律吗？最近一个月", Measure.BEDTIME, Aggregate.STDEV, PeriodKind.SINCE, {}),
    ("9月1日到10月15日我的睡眠效率平均多少？", Measure.EFFICIENCY, Aggregate.MEAN, PeriodKind.BETWEEN,
     {"start": date(2026, 9, 1), "end": date(2026, 10, 15)}),
    ("我工作日一般几点起床？", Measure.WAKE, Aggregate.MEAN, PeriodKind.ALL, {"days": Days.WEEKDAYS}),
    ("晚上喝咖啡对我的睡眠有影响吗？", Measure.TOTAL_SLEEP, Aggregate.MEAN, PeriodKind.ALL,
     {"habit": (TagKind.LATE_CAFFEINE,)}),
]


@pytest.mark.parametrize(("question", "measure", "aggregate", "kind", "extra"), CASES, ids=[c[0] for c in CASES])
def test_questions_are_read_into_the_plan_that_answers_them(question, measure, aggregate, kind, extra):
    found = plan(question)
    assert (found.measure, found.aggregate, found.period.kind) == (measure, aggregate, kind)
    period = found.period
    for key in ("nights", "month", "start", "end"):
        if key in extra:
            assert getattr(period, key) == extra[key], key
    assert period.days == extra.get("days", Days.ALL)
    if "threshold" in extra:
        below, value, unit = extra["threshold"]
        assert found.threshold is not None and (found.threshold.below, found.threshold.unit) == (below, unit)
        assert found.threshold.value == value or (unit is Unit.CLOCK and found.threshold.value % 1440 == value % 1440)
    else:
        assert found.threshold is None
    if "compare" in extra:
        compare_kind, other = extra["compare"]
        assert found.compare is not None and found.compare.kind is compare_kind
        if other is not None:
            assert found.compare.period.kind is other
    elif "habit" in extra:
        assert found.compare is not None and found.compare.kind is CompareKind.HABIT
        assert found.compare.habit == extra["habit"]
    else:
        assert found.compare is None


@pytest.mark.parametrize("question", [
    "How did I sleep last night?", "Was my deep sleep low last night?", "What is a good HRV?",
    "How much deep sleep do adults need?", "Why do I wake up at 3am?", "write a poem about cats",
    "昨晚我睡得怎么样？", "成年人需要多少深睡？", "I drank wine last night, why is my HRV low?",
])
def test_questions_about_last_night_or_sleep_in_general_are_not_history(question):
    assert read_plan(question, TODAY, NEED_H) is None


def test_may_the_verb_is_not_the_month():
    assert read_plan("May I ask what my average sleep is?", TODAY, NEED_H).period.kind is PeriodKind.ALL


def test_a_named_month_after_today_means_last_year():
    assert plan("my average deep sleep in December").period.model_dump(include={"month", "year"}) == \
        {"month": 12, "year": None}
    from sleepcot.analysis.history.periods import date_range

    assert date_range(plan("my average deep sleep in December").period, TODAY) == (date(2025, 12, 1), date(2025, 12, 31))


def test_short_nights_are_counted_against_the_age_band_s_need():
    found = read_plan("How many short nights did I have this month?", TODAY, 8.0)
    assert found.aggregate is Aggregate.COUNT and found.threshold.value == 8.0 and found.threshold.below


def test_a_question_the_rules_cannot_read_may_still_look_like_history():
    assert looks_like_history("Tell me about my sleep history") and read_plan("Tell me about my sleep history", TODAY, NEED_H) is None
    assert not looks_like_history("What is a good bedtime for teenagers?")
