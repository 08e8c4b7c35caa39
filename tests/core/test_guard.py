"""The guard reads each figure as a claim about a metric: a true figure in any unit, style or language passes,
and a figure said about the wrong metric or relation, written in words, rounded the wrong way or invented is
refused; diagnoses, drugs and missing red-flag advice are refused whatever the figures."""

from __future__ import annotations

import pytest

from sleepcot.coach import guard
from sleepcot.domain import Fact, Metric, Relation, Unit

M, R = Metric, Relation
FACTS = [
    Fact(key="night.total_sleep_s", label="total sleep", value=22_320, unit=Unit.SECONDS, subject=M.TOTAL_SLEEP),  # 6 h 12 min
    Fact(key="night.deep_s", label="deep sleep", value=2_880, unit=Unit.SECONDS, subject=M.DEEP),  # 48 min
    Fact(key="night.rem_s", label="REM sleep", value=4_800, unit=Unit.SECONDS, subject=M.REM),  # 1 h 20 min
    Fact(key="base14.deep_s", label="usual deep sleep", value=4_560, unit=Unit.SECONDS, subject=M.DEEP,
         relation=R.BASELINE),  # 1 h 16 min
    Fact(key="change.deep_s", label="change", value=-37, unit=Unit.PERCENT, subject=M.DEEP, relation=R.CHANGE),
    Fact(key="share.deep_s", label="deep share", value=12.9, unit=Unit.PERCENT, subject=M.DEEP, relation=R.SHARE),
    Fact(key="night.efficiency_pct", label="efficiency", value=84.6, unit=Unit.PERCENT, subject=M.EFFICIENCY),
    Fact(key="night.hrv_rmssd_ms", label="HRV", value=41.2, unit=Unit.MS, subject=M.HRV),
    Fact(key="night.hr_lowest_bpm", label="lowest HR", value=55, unit=Unit.BPM, subject=M.HEART_RATE),
    Fact(key="night.bedtime", label="bedtime", value=23 * 60 + 40, unit=Unit.CLOCK, subject=M.BEDTIME),
    Fact(key="night.skin_temp_dev_c", label="temp", value=0.4, unit=Unit.CELSIUS, subject=M.TEMPERATURE),
    Fact(key="norm.sleep_min_h", label="minimum", value=7, unit=Unit.HOURS, subject=M.TOTAL_SLEEP, relation=R.NORM),
    Fact(key="norm.sleep_max_h", label="maximum", value=9, unit=Unit.HOURS, subject=M.TOTAL_SLEEP, relation=R.NORM),
]


@pytest.mark.parametrize("reply", [
    "1. What the data shows: you slept 6 h 12 min and went to bed at 23:40.",
    "You slept about 6.2 hours, or 372 minutes, with 48 minutes of deep sleep.",
    "Deep sleep was 48 min (13% of your sleep), 37% under your usual 1 h 16 min; efficiency was 85%.",
    "You got 28 minutes less deep sleep than your usual.",
    "Your HRV was 41 ms and your lowest heart rate 55 bpm; skin temperature +0.4 °C.",
    "You went to bed at 11:40 pm. Adults need at least 7 hours, and 7-9 hours is recommended.",
    "Step 2: compared with your baseline of 76 minutes of deep sleep, last night was lower.",
    "You slept about six hours, with over 40 minutes of deep sleep and 1 h 20 min of REM.",
    "你昨晚睡了6小时12分钟，深睡48分钟，比平时少了37%。",
    "你昨晚大约睡了六个小时，深睡占总睡眠的13%。",
    "You went to bed around 11.40 pm, not long after midnight in most weeks' terms.",
    "You turned in at about midnight.",
    "You went to bed at around 12 am.",  # an hour alone is said to the nearest half hour
    "你昨晚11点40分上床，比平时晚了一些，今晚试着早点放下手机。",
    "你昨晚十一点四十分上床，今晚早一点睡，少喝一点咖啡。",  # a clock time in words; "一点" is "a bit"
    "You went to bed at 11:40, later than you meant to.",  # no half of the day said: 11:40 may be 23:40
    "你昨晚夜里12点前就上床了，今晚试着再早一点。",  # 夜里12点 is midnight, 20 min after 23:40
    "你晚上十二点左右上床，比平时晚了一些，今晚试着早点放下手机。",
    "有两点建议：早点上床，睡前少看手机，卧室保持凉爽和安静。",  # two points, not two o'clock
    "Deep sleep fell to 48 min from 1 h 16 min, and was down 37% on your norm.",  # where a change started
    "Deep sleep dropped from 1 h 16 min to 48 min last night.",
    "Your deep sleep fell 37% against your usual, to 48 min.",
    "你的深睡从1小时16分钟降到了48分钟，比平时少了37%。",
    "You slept 6 h 12 min, a night like many people in their 30s have.",  # a decade of age, not seconds
    "Double-check your alarm: you slept 6 h 12 min, and a double espresso late in the day would not help.",
    "你昨晚睡了6小时12分钟，第二天白天可能会犯困，第3晚前尽量早点睡。",  # ordinals ("the next day"), not figures
])
def test_true_figures_in_any_style_pass(reply):
    verdict = guard.check(reply, FACTS)
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize("reply, planted", [
    ("You slept 7 h 12 min last night.", "7 h 12 min"),
    ("Deep sleep was 58 minutes, which is fine.", "58 minutes"),
    ("Your efficiency was 92%.", "92%"),
    ("Your HRV of 62 ms is great.", "62 ms"),
    ("You went to bed at 22:15.", "22:15"),
    ("Deep sleep was 48%.", "48%"),  # right number, wrong unit
    ("Deep sleep was 48 seconds.", "48 seconds"),  # minutes said as seconds
    ("你的深睡只有48秒。", "48秒"),
    ("你的深睡只有四十八秒。", "48秒"),
    ("你昨晚比平时多睡了将近一个小时。", "1个小时"),  # 一 is a figure after a word of how much
    ("Deep sleep was one and a half hours.", "1.5 hours"),  # idioms said as figures
    ("Deep sleep was double your usual.", "2 times"),
    ("You woke up a dozen times.", "12 times"),
    ("Your lowest heart rate was 48 bpm.", "48 bpm"),
    ("You slept eight hours.", "8 hours"),  # a number in words
    ("你昨晚睡了八个小时。", "8个小时"),
    ("Your recovery score was 22.", "22"),  # a subject we hold no facts about
    ("You went to bed around 10 pm.", "10 pm"),
    ("You went to bed at 9.15 pm.", "9.15 pm"),
    ("你昨晚10点15分上床。", "10点15分"),
    ("你昨晚十点一刻上床。", "10点一刻"),
    ("你晚上九点就上床了。", "晚上9点"),
    ("You went to bed at 11:40 am.", "11:40 am"),  # the bedtime's clock, the other half of the day
    ("你昨晚上午11点40分上床。", "上午11点40分"),
])
def test_figures_not_in_the_data_are_refused(reply, planted):
    verdict = guard.check(reply, FACTS)
    assert not verdict.ok
    assert planted in " ".join(verdict.unsupported + verdict.misbound)


@pytest.mark.parametrize("reply", [
    "Your deep sleep was 1 h 20 min.",  # REM's figure
    "The main finding is low deep sleep: 48 min, 37% of your sleep.",  # the change said as a share
    "Your REM sleep was 37% under your usual.",  # deep sleep's change
    "Last night you got 1 h 16 min of deep sleep.",  # the baseline said as the night's value
    "Your deep sleep was 37% above your usual.",  # the right change, the wrong way
    "You slept 7 hours, just as recommended.",  # a norm said as the night's value
    "You slept 6 hours and 54 minutes... well, 9 hours really.",  # 9 h is a norm, not the night
    "Deep sleep dropped from 1 h 20 min to 48 min last night.",  # REM's figure as where deep sleep started
    "Deep sleep was up 37% on your norm.",  # the right change, the wrong way
    "Your deep sleep rose 37% on your usual.",  # the same, said with a bare verb
])
def test_figures_bound_to_the_wrong_metric_or_relation_are_refused(reply):
    verdict = guard.check(reply, FACTS)
    assert verdict.misbound or verdict.unsupported, reply
    assert not verdict.ok


def test_rounding_is_to_the_nearest():
    night = [Fact(key="night.total_sleep_s", label="total sleep", value=6 * 3600 + 54 * 60, unit=Unit.SECONDS,
                  subject=M.TOTAL_SLEEP)]
    assert guard.check("You slept about 7 hours last night.", night).ok
    assert not guard.check("You slept 6 hours last night.", night).ok
    assert not guard.check("你昨晚睡了6个小时。", night).ok


def test_a_figure_whose_subject_cannot_be_read_passes_only_when_one_fact_fits():
    same = [Fact(key="night.deep_s", label="deep", value=2_880, unit=Unit.SECONDS, subject=M.DEEP),
            Fact(key="night.rem_s", label="REM", value=2_880, unit=Unit.SECONDS, subject=M.REM)]
    assert guard.check("It was 48 min. Try an earlier night.", FACTS).ok
    assert guard.check("It was 48 min. Try an earlier night.", same).misbound


@pytest.mark.parametrize("reply", [
    "You have sleep apnea, so your oxygen drops.",
    "This confirms that you have insomnia.",
    "You are suffering from chronic insomnia.",
    "It could well be sleep apnoea.",
    "你患有睡眠呼吸暂停。",
])
def test_diagnoses_are_refused(reply):
    verdict = guard.check(reply, FACTS)
    assert verdict.diagnoses and not verdict.ok


@pytest.mark.parametrize("reply", [
    "You should take zolpidem before bed.",
    "Take 10 mg of melatonin tonight.",
    "Ask your doctor to prescribe you some Ambien.",
])
def test_medication_is_refused(reply):
    verdict = guard.check(reply, FACTS)
    assert verdict.medications and not verdict.ok


def test_careful_wording_about_conditions_is_not_a_diagnosis():
    reply = "Oxygen dips like these deserve a doctor's look; only a sleep study can tell what causes them, so please see one."
    assert guard.check(reply, FACTS, red_flag=True).ok


def test_red_flag_needs_affirmative_clinician_advice():
    reply = "Your deep sleep was 48 min. Sleep on your side tonight."
    assert guard.check(reply, FACTS, red_flag=True).missing_red_flag_advice
    assert guard.check(reply + " Please see a doctor about the oxygen dips.", FACTS, red_flag=True).ok
    dismissed = guard.check(reply + " There is no need to see a doctor about it.", FACTS, red_flag=True)
    assert not dismissed.ok


def test_reply_must_name_the_top_finding_when_asked():
    verdict = guard.check("You slept 6 h 12 min. Keep it up.", FACTS, topic_words=("deep",))
    assert verdict.missing_topic and not verdict.ok


def test_a_question_about_a_figure_must_be_answered_with_it():
    asked = (M.DEEP,)
    assert guard.check("Last night your deep sleep was 48 min.", FACTS, asked=asked).ok
    assert guard.check("Deep sleep depends on caffeine and alcohol; try a cooler room.", FACTS, asked=asked).unanswered
    assert guard.check("Your total sleep was 6 h 12 min; try a cooler room.", FACTS, asked=asked).unanswered
    assert guard.check("I can't see your deep sleep for that week in your data.", FACTS, asked=asked).ok


def test_empty_numbered_steps_and_talk_about_itself_are_refused():
    assert guard.check("1. You slept 6 h 12 min.\n2. Deep sleep was 48 min.\n5.", FACTS).empty_steps == [5]
    assert not guard.check("You slept 6 h 12 min. I've been doing this job a long time.", FACTS).ok


def test_numbers_from_the_users_question_may_be_echoed():
    reply = "Aiming for 8 hours is reasonable; last night you slept 6 h 12 min."
    assert not guard.check(reply, FACTS).ok
    assert guard.check(reply, FACTS, allowed_text="Should I aim for 8 hours?").ok


def test_empty_or_nonsense_short_replies_are_rejected():
    assert guard.check("   ", FACTS).empty
    assert not guard.check("ok", FACTS).ok


def test_a_signed_duration_in_hours_and_minutes_is_read_whole_like_any_signed_figure():
    from sleepcot.coach.guard.figures import read_figures

    # the sign is dropped (the words say which way), the minutes are never taken off the hours
    assert [m.value for m in read_figures("between −2 h 14 min and +1 h 5 min, or −14 min")] == [
        2 * 3600 + 14 * 60, 3900, 14]


@pytest.mark.parametrize("reply", [
    "You slept 6 h 12 min. Try mеlatonin tonight.",  # a Cyrillic е
    "You slept 6 h 12 min. Try ｍｅｌａｔｏｎｉｎ tonight.",  # full-width Latin
    "You slept 6 h 12 min. Take some mel\u200batonin tonight.",  # a zero-width space
    "You slept 6 h 12 min. You have sleep ap\u00adnea.",  # a soft hyphen
    "You slept 6 h 12 min. You have insomnіa.",  # a Cyrillic і
    "You slept 6 h 12 min. You have s l e e p  a p n e a.",  # spelled out
])
def test_a_reply_is_read_as_it_looks_not_as_it_is_encoded(reply):
    verdict = guard.check(reply, FACTS)
    assert not verdict.ok, reply


@pytest.mark.parametrize(("text", "clock"), [
    ("晚上10点上床", "22:00"), ("晚上12点上床", "00:00"), ("夜里1点才睡", "01:00"), ("深夜11点睡", "23:00"),
    ("凌晨6点醒了", "06:00"), ("半夜12点睡", "00:00"), ("中午1点午睡", "13:00"), ("下午3点喝咖啡", "15:00"),
    ("早上6点起床", "06:00"), ("11:40 pm", "23:40"), ("12:30 am", "00:30"),
])
def test_a_clock_time_is_read_with_the_part_of_the_day_it_names(text, clock):
    from sleepcot.coach.guard.figures import read_figures

    (mention,) = read_figures(text)
    assert f"{int(mention.value) // 60:02d}:{int(mention.value) % 60:02d}" == clock
    assert mention.half_day
