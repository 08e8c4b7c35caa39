"""A night's findings in words, per language: each finding's title, detail, likely causes and advice, made
from its code, marks and facts (analysis computes them and writes no sentence), and the names of facts.

The deterministic briefing, the follow-up fallback, the model's data block and the reference teacher all
speak through here, so a Chinese user reads Chinese everywhere: 小时/分钟, 晚, 次, written in Chinese word
order, not English translated word by word. Figures are always a fact's own value, rendered for the
language, so the guard finds every one of them among the facts.
"""

from __future__ import annotations

import re

from sleepcot.domain import Fact, Finding, Language, TagKind

EN, ZH = Language.EN, Language.ZH
# What Chinese text may hold in Latin script: the abbreviations and units Chinese wearable apps show too,
# and the product's name. Anything else is an English word left in Chinese.
LATIN_IN_CHINESE = frozenset({"HRV", "REM", "SpO2", "bpm", "ms", "SleepCoT"})
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")

TITLES: dict[Language, dict[str, str]] = {
    EN: {
        "short_sleep": "Short night", "long_latency": "Slow to fall asleep", "low_efficiency": "Low sleep efficiency",
        "high_waso": "Long time awake during the night", "low_deep": "Low deep sleep", "low_rem": "Low REM sleep",
        "hrv_down": "HRV below your usual", "hr_up": "Resting heart rate raised", "resp_up": "Breathing rate raised",
        "temp_up": "Skin temperature raised", "possible_breathing_disturbance": "Oxygen dips during sleep",
        "low_spo2": "A dip in blood oxygen", "irregular_schedule": "Irregular sleep schedule",
        "social_jetlag": "Social jetlag", "chronic_short_sleep": "Chronic short sleep",
        "sleep_debt": "Sleep debt building up", "good_night": "A solid night",
    },
    ZH: {
        "short_sleep": "睡眠偏短", "long_latency": "入睡慢", "low_efficiency": "睡眠效率偏低",
        "high_waso": "夜间清醒时间长", "low_deep": "深睡偏少", "low_rem": "REM睡眠偏少",
        "hrv_down": "HRV低于平时", "hr_up": "静息心率升高", "resp_up": "呼吸频率升高",
        "temp_up": "皮肤温度升高", "possible_breathing_disturbance": "睡眠中血氧下降",
        "low_spo2": "血氧有一次下降", "irregular_schedule": "作息不规律",
        "social_jetlag": "社会时差", "chronic_short_sleep": "长期睡眠不足",
        "sleep_debt": "睡眠债在累积", "good_night": "睡得不错",
    },
}

ADVICE: dict[Language, dict[str, str]] = {
    EN: {
        "short_sleep": "Protect a full sleep window tonight: set a bedtime that allows at least {need} asleep.",
        "long_latency": "Go to bed only when sleepy; if you lie awake for long, get up and do something calm in dim "
                        "light until sleepy.",
        "low_efficiency": "Keep the bed for sleep: a consistent wake time and less time lying awake raise efficiency.",
        "high_waso": "Keep the room cool, dark and quiet; skip alcohol and late fluids; don't watch the clock.",
        "low_deep": "Have your last coffee before early afternoon and skip evening alcohol; daytime exercise and a "
                    "cool room support deep sleep.",
        "low_rem": "Skip evening alcohol and keep a regular wake time: REM comes mostly in the last hours of the night.",
        "hrv_down": "Take it easier today: light activity, no alcohol tonight, and an early night help HRV recover.",
        "hr_up": "A late meal, alcohol, hard late training or an oncoming illness can raise it; keep tonight's "
                 "evening light.",
        "resp_up": "Watch for signs of illness and rest if you feel unwell.",
        "temp_up": "If you feel unwell, rest; a cool, dark bedroom helps sleep.",
        "possible_breathing_disturbance": "Please talk to a doctor or a sleep clinic about these oxygen dips; a home "
                                          "sleep test can check for sleep apnea. Sleeping on your side and avoiding "
                                          "alcohol in the evening can help meanwhile.",
        "low_spo2": "Watch whether these dips repeat; wrist SpO2 is noisy, but repeated dips deserve a doctor's look.",
        "irregular_schedule": "Anchor your wake time first: the same time every day, even after a short night.",
        "social_jetlag": "Keep weekend wake times close to weekday ones; get morning daylight on free days too.",
        "chronic_short_sleep": "Move your bedtime a little earlier every few nights until you reach the recommended "
                               "minimum.",
        "chronic_short_sleep.sleepy": "Please see a doctor about ongoing short sleep with daytime sleepiness, and do "
                                      "not drive when drowsy. ",
        "sleep_debt": "Pay it back gradually: going to bed a little earlier for several nights beats one long lie-in.",
        "good_night": "Keep the same wake time and wind-down routine that worked last night.",
    },
    ZH: {
        "short_sleep": "今晚留出完整的睡眠时间：把上床时间定在能睡够至少{need}的时候。",
        "long_latency": "有困意再上床；如果躺了很久还睡不着，就起来在昏暗的灯光下做点安静的事，等有困意再回到床上。",
        "low_efficiency": "床只用来睡觉：固定起床时间、减少躺着醒着的时间，睡眠效率就会提高。",
        "high_waso": "让卧室保持凉爽、黑暗、安静；晚上不喝酒、少喝水；醒来时别看时间。",
        "low_deep": "下午早些时候以后不再喝咖啡，晚上不喝酒；白天运动、卧室凉爽都有助于深睡。",
        "low_rem": "晚上不喝酒，保持固定的起床时间：REM睡眠主要出现在后半夜。",
        "hrv_down": "今天放松一些：轻度活动、今晚不喝酒、早点睡，都有助于HRV恢复。",
        "hr_up": "晚餐太晚、饮酒、晚间高强度训练或快要生病，都可能让它升高；今晚的安排尽量轻松一些。",
        "resp_up": "留意有没有生病的迹象，感觉不舒服就多休息。",
        "temp_up": "如果感觉不舒服就多休息；凉爽、黑暗的卧室有助于睡眠。",
        "possible_breathing_disturbance": "请就这些血氧下降去看医生或睡眠门诊；居家睡眠监测可以检查是否存在睡眠呼吸暂停。"
                                          "在此之前，侧睡、晚上不喝酒会有帮助。",
        "low_spo2": "留意这种下降是否反复出现；手腕测得的血氧误差较大，但反复下降就值得请医生看看。",
        "irregular_schedule": "先固定起床时间：每天同一时间起床，即使前一晚睡得少也一样。",
        "social_jetlag": "周末的起床时间尽量和工作日接近；休息日早上也要晒晒太阳。",
        "chronic_short_sleep": "每隔几晚把上床时间提前一点，直到睡够建议的最少时长。",
        "chronic_short_sleep.sleepy": "请就持续睡眠不足伴白天犯困去看医生，犯困时不要开车。",
        "sleep_debt": "慢慢补回来：连续几晚早一点上床，比一次睡个大懒觉更好。",
        "good_night": "保持昨晚的起床时间和睡前放松的习惯。",
    },
}

CAUSES: dict[Language, dict[TagKind, str]] = {
    EN: {kind: kind.value.replace("_", " ") for kind in TagKind},
    ZH: {TagKind.LATE_CAFFEINE: "较晚摄入咖啡因", TagKind.ALCOHOL: "饮酒", TagKind.WORKOUT: "运动",
         TagKind.LATE_WORKOUT: "晚间运动", TagKind.STRESS: "压力", TagKind.MELATONIN: "褪黑素",
         TagKind.LATE_MEAL: "晚餐太晚", TagKind.SCREEN: "睡前看屏幕", TagKind.TRAVEL: "旅行",
         TagKind.ILLNESS: "生病", TagKind.NIGHT_SHIFT: "夜班"},
}
LIST_SEP = {EN: ", ", ZH: "、"}

# What the night's own fields are called in Chinese (English uses each fact's label).
FIELD_NAMES_ZH = {
    "total_sleep_s": "总睡眠时间", "time_in_bed_s": "卧床时间", "latency_s": "入睡用时", "awake_s": "入睡后清醒时间",
    "deep_s": "深睡", "rem_s": "REM睡眠", "light_s": "浅睡", "efficiency_pct": "睡眠效率", "hr_lowest_bpm": "最低心率",
    "hr_avg_bpm": "平均心率", "hrv_rmssd_ms": "HRV", "resp_rate_bpm": "呼吸频率", "spo2_avg_pct": "平均血氧（SpO2）",
    "spo2_min_pct": "最低血氧（SpO2）", "skin_temp_dev_c": "皮肤温度偏差", "awakenings": "醒来次数",
    "bedtime": "上床时间", "wake": "起床时间",
}
OTHER_NAMES_ZH = {
    "week.nights": "统计的晚数", "week.slow_onset_nights": "入睡慢的晚数", "week.spo2_dip_nights": "血氧下降的晚数",
    "week.bedtime_sd_min": "上床时间的波动（标准差）", "week.mean_sleep_s": "近几晚的平均睡眠", "week.debt_h": "睡眠债",
    "fortnight.social_jetlag_h": "休息日睡眠中点的偏移", "norm.sleep_min_h": "建议的最少睡眠时长",
    "norm.latency_max_min": "优质睡眠的入睡用时上限", "norm.efficiency_pct": "优质睡眠的效率标准",
    "norm.waso_max_min": "夜间清醒时间的阈值", "norm.spo2_red_flag_pct": "低氧血症阈值", "norm.spo2_notable_pct": "血氧下降阈值",
    "norm.bedtime_sd_min": "作息不规律的阈值", "norm.social_jetlag_h": "社会时差阈值", "norm.chronic_short_h": "长期睡眠不足阈值",
    "profile.caffeine": "每天含咖啡因饮料的杯数", "profile.caffeine_last": "最后一次摄入咖啡因的时间",
    "profile.alcohol": "每周饮酒杯数", "profile.exercise": "每周运动天数",
}


def english_words(text: str) -> list[str]:
    """The English words in a Chinese text (°C and the abbreviations in LATIN_IN_CHINESE do not count)."""
    return [w for w in _LATIN_WORD.findall(text.replace("°C", "")) if w not in LATIN_IN_CHINESE]


def fact_name(fact: Fact, language: Language) -> str:
    """What a fact is called: its label in English; in Chinese, the name of its key."""
    if language is EN:
        return fact.label
    if fact.key in OTHER_NAMES_ZH:
        return OTHER_NAMES_ZH[fact.key]
    scope, _, field = fact.key.partition(".")
    if field.endswith("_share"):
        scope, field = "share", field.removesuffix("_share")
    name = FIELD_NAMES_ZH.get(field)
    if name is None:
        return "数值"
    if scope in ("share",):
        return f"{name}占睡眠的比例"
    if scope.startswith("base"):
        return f"你的平均{name}" if field != "nights" else "计入平均值的晚数"
    if scope in ("change", "diff", "pct"):
        return f"{name}与你的平均值之差"
    return name


def named_value(fact: Fact, language: Language) -> str:
    """'total sleep 7 h 12 min', '总睡眠时间7小时12分钟', 'HRV 45 ms'."""
    name = fact_name(fact, language)
    return f"{name}{' ' if language is EN or name[-1].isascii() else ''}{fact.render(language)}"


def title(finding: Finding, language: Language, *, in_sentence: bool = False) -> str:
    """The finding's title; `in_sentence`: as it reads inside a sentence (English lowercases it)."""
    text = TITLES[language][finding.code]
    return text[:1].lower() + text[1:] if in_sentence and language is EN and not text[:3].isupper() else text


def advice(finding: Finding, language: Language) -> str:
    text = ADVICE[language][finding.code].format(need=_value(finding, "norm.sleep_min_h", language))
    if "sleepy" in finding.marks and f"{finding.code}.sleepy" in ADVICE[language]:
        text = ADVICE[language][f"{finding.code}.sleepy"] + text
    return text


def causes(kinds: list[TagKind], language: Language) -> str:
    """The logged causes, listed."""
    return LIST_SEP[language].join(CAUSES[language][kind] for kind in kinds)


def _value(finding: Finding, key: str, language: Language) -> str:
    fact = finding.fact(key)
    return fact.render(language) if fact is not None else ""


def _count(finding: Finding, key: str) -> str:
    fact = finding.fact(key)
    return f"{fact.value:.0f}" if fact is not None else ""


def _field(finding: Finding) -> str:
    """The night field a stage or physiology finding is about (its first fact: the night's value)."""
    return finding.facts[0].key.removeprefix("night.")


def detail(finding: Finding, language: Language) -> str:
    """The finding's figures in a sentence or two."""
    v = {fact.key: fact.render(language) for fact in finding.facts}
    code, marks, zh = finding.code, finding.marks, language is ZH
    nights, night = _count(finding, "week.nights"), finding.facts[0]
    if code == "short_sleep":
        return (f"你昨晚睡了{v['night.total_sleep_s']}，少于你这个年龄建议的至少{v['norm.sleep_min_h']}。" if zh else
                f"You slept {v['night.total_sleep_s']}, under the {v['norm.sleep_min_h']} recommended for your age.")
    if code == "long_latency":
        if "slow_for_you" in marks:  # within the norm, but well over the user's own usual
            base = v[_base_key(finding, "latency_s")]
            text = (f"你花了{v['night.latency_s']}才入睡，明显比你平时的{base}慢。" if zh else
                    f"It took {v['night.latency_s']} to fall asleep, well over your usual {base}.")
        else:
            text = (f"你花了{v['night.latency_s']}才入睡（优质睡眠的入睡用时在{v['norm.latency_max_min']}以内）。" if zh
                    else f"It took {v['night.latency_s']} to fall asleep (good quality is within "
                         f"{v['norm.latency_max_min']}).")
        if "pattern" in marks:
            slow = _count(finding, "week.slow_onset_nights")
            text += (f"最近{nights}晚中有{slow}晚都是这样。" if zh else
                     f" That happened on {slow} of the last {nights} nights.")
        return text
    if code == "low_efficiency":
        return (f"你在床上的时间里有{v['night.efficiency_pct']}在睡觉（优质睡眠的标准是{v['norm.efficiency_pct']}或以上）。"
                if zh else f"You were asleep {v['night.efficiency_pct']} of your time in bed (good quality is "
                           f"{v['norm.efficiency_pct']} or more).")
    if code == "high_waso":
        return (f"入睡后你又醒着待了{v['night.awake_s']}（超过{v['norm.waso_max_min']}就值得留意）。" if zh else
                f"You were awake {v['night.awake_s']} after first falling asleep (more than {v['norm.waso_max_min']} "
                "is long enough to look into).")
    if code in ("low_deep", "low_rem"):
        field = _field(finding)
        name = fact_name(night, language)
        share, base = v[f"night.{field}_share"], v.get(f"{_base_key(finding, field)}", "")
        drop = f"{abs(finding.fact(f'change.{field}').value):.0f}%" if "below_self" in marks else ""
        if zh:
            return f"{name}为{v[night.key]}（占睡眠的{share}）" + (f"，比你平时的{base}少{drop}" if drop else "") + "。"
        return (f"{name[0].upper()}{name[1:]} was {v[night.key]} ({share} of your sleep)"
                + (f", {drop} under your usual {base}" if drop else "") + ".")
    if code in ("hrv_down", "hr_up", "resp_up", "temp_up"):
        field = _field(finding)
        name, base = fact_name(night, language), v[_base_key(finding, field)]
        change = finding.fact(f"change.{field}")
        amount = change.model_copy(update={"value": abs(change.value)}).render(language)
        if zh:
            return f"{name}为{v[night.key]}，比你平时的{base}{'低' if code == 'hrv_down' else '高'}{amount}。"
        direction = "below" if code == "hrv_down" else "above"
        return f"{name[0].upper()}{name[1:]} was {v[night.key]}, {amount} {direction} your usual {base}."
    if code == "possible_breathing_disturbance":
        dips, awake = _count(finding, "week.spo2_dip_nights"), _count(finding, "night.awakenings")
        if zh:
            return (f"你的最低血氧为{v['night.spo2_min_pct']}，最近{nights}晚中有{dips}晚低于{v['norm.spo2_notable_pct']}"
                    + (f"，而且醒来{awake}次" if "fragmented" in marks else "")
                    + "。像这样反复的血氧下降值得请医生看看；只有睡眠监测才能查明原因。")
        return (f"Your lowest SpO2 was {v['night.spo2_min_pct']} and it fell under {v['norm.spo2_notable_pct']} on "
                f"{dips} of the last {nights} nights" + (f", with {awake} awakenings" if "fragmented" in marks else "")
                + ". Repeated dips like these deserve a doctor's look; only a sleep study can tell what causes them.")
    if code == "low_spo2":
        return (f"你的最低血氧为{v['night.spo2_min_pct']}；低于{v['norm.spo2_notable_pct']}的下降值得留意。" if zh else
                f"Your lowest SpO2 was {v['night.spo2_min_pct']}; dips under {v['norm.spo2_notable_pct']} are worth watching.")
    if code == "irregular_schedule":
        return (f"最近{nights}晚你的上床时间波动约{v['week.bedtime_sd_min']}（标准差）。" if zh else
                f"Your bedtime varied by about {v['week.bedtime_sd_min']} (standard deviation) over the last {nights} nights.")
    if code == "social_jetlag":
        later = "later" in marks
        shift = v["fortnight.social_jetlag_h"]
        return (f"休息日你的睡眠中点比工作日{'晚' if later else '早'}{shift}。" if zh else
                f"On free days your sleep is centred {shift} {'later' if later else 'earlier'} than on work days.")
    if code == "chronic_short_sleep":
        sleepy = "sleepy" in marks
        return (f"最近{nights}晚你平均只睡了{v['week.mean_sleep_s']}" + ("，而且你说白天会犯困" if sleepy else "") + "。"
                if zh else f"You have averaged {v['week.mean_sleep_s']} over the last {nights} nights"
                           + (", and you report daytime sleepiness" if sleepy else "") + ".")
    if code == "sleep_debt":
        return (f"最近{nights}晚你比建议的至少{v['norm.sleep_min_h']}累计少睡了约{v['week.debt_h']}。" if zh else
                f"Over the last {nights} nights you slept about {v['week.debt_h']} less than the "
                f"{v['norm.sleep_min_h']} minimum.")
    if code == "good_night":
        eff = v.get("night.efficiency_pct")
        if zh:
            return f"你睡了{v['night.total_sleep_s']}" + (f"，睡眠效率{eff}" if eff else "") + "，符合你的需要。"
        return f"You slept {v['night.total_sleep_s']}" + (f" at {eff} efficiency" if eff else "") + ", in line with your needs."
    raise KeyError(f"no words for the finding {code!r}")


def _base_key(finding: Finding, field: str) -> str:
    return next((f.key for f in finding.facts if f.key.startswith("base") and f.key.endswith(f".{field}")), "")
