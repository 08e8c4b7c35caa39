"""Every clinical threshold SleepCoT uses, in ONE table, each with its source.

Nothing else in the code base writes a clinical number: analysis, the coach's knowledge and the guard read
them from here, so a reviewer can check them all in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sleepcot.domain import AgeBand, Fact, Metric, Relation, Unit
from sleepcot.units import SECONDS_PER

NSF_DURATION = "Hirshkowitz et al., National Sleep Foundation's sleep time duration recommendations, Sleep Health 2015"
AASM_ADULT = "Watson et al., AASM/SRS consensus: recommended amount of sleep for a healthy adult, Sleep 2015"
AASM_TEEN = "Paruthi et al., AASM consensus on recommended sleep for pediatric populations, J Clin Sleep Med 2016"
AASM_PEDIATRIC = AASM_TEEN
NSF_NEWBORN = NSF_DURATION + " (newborns 0-3 months: 14-17 h)"
NSF_QUALITY = "Ohayon et al., National Sleep Foundation's sleep quality recommendations, Sleep Health 2017"
OHAYON_STAGES = "Ohayon et al., Meta-analysis of quantitative sleep parameters from childhood to old age, Sleep 2004"
LICHSTEIN = "Lichstein et al., Quantitative criteria for insomnia, Behav Res Ther 2003"
AASM_SCORING = "AASM Manual for the Scoring of Sleep and Associated Events (hypopnea: >=3-4% desaturation; hypoxemia SpO2 <=88%)"
HYPOXEMIA = "Nocturnal hypoxemia: SpO2 <=88% (AASM scoring manual; CMS home-oxygen criterion)"
RESP_RATE = "Normal adult respiratory rate 12-20 breaths/min during rest (StatPearls, Physiology, Respiratory Rate)"
WEARABLE_RESP = "Natarajan et al., Assessment of physiological signs associated with COVID-19 measured using wearable devices, npj Digit Med 2020"
HRV_ALCOHOL = "Pietilä et al., Acute effect of alcohol intake on cardiovascular autonomic regulation during the first hours of sleep, JMIR Ment Health 2018"
TEMP_ILLNESS = "Mason et al., Detection of COVID-19 using multimodal data from a wearable device (skin temperature), Sci Rep 2022"
REGULARITY = "Phillips et al., Irregular sleep/wake patterns are associated with poorer academic performance, Sci Rep 2017"
SOCIAL_JETLAG = "Wittmann et al., Social jetlag: misalignment of biological and social time, Chronobiol Int 2006"
CAFFEINE = "Drake et al., Caffeine effects on sleep taken 0, 3, or 6 hours before going to bed, J Clin Sleep Med 2013"
SLEEP_DEBT = "Van Dongen et al., The cumulative cost of additional wakefulness, Sleep 2003"
OSA_TESTING = ("Kapur et al., Clinical practice guideline for diagnostic testing for adult obstructive sleep apnea, "
               "J Clin Sleep Med 2017 (repeated desaturations with fragmented sleep warrant testing)")
WEARABLE_BASELINE = ("de Zambotti et al., Wearable sleep technology in clinical and research settings, Med Sci Sports "
                     "Exerc 2019 (consumer wearables judge a night against the wearer's own recent nights)")
RULE = "SleepCoT's own rule, not a clinical threshold (how many nights make a pattern or a baseline)"
ICSD3 = "American Academy of Sleep Medicine, International Classification of Sleep Disorders, 3rd ed. (ICSD-3), 2014"
MSLT = ICSD3 + " (MSLT: Littner et al., Practice parameters for clinical use of the MSLT and the MWT, Sleep 2005)"
EPWORTH = "Johns, A new method for measuring daytime sleepiness: the Epworth sleepiness scale, Sleep 1991"
ISI = ("Bastien, Vallières & Morin, Validation of the Insomnia Severity Index as an outcome measure for insomnia research, "
       "Sleep Med 2001")
RLS_IRON = ("Winkelman et al., Treatment of restless legs syndrome and periodic limb movement disorder: an AASM clinical "
            "practice guideline, J Clin Sleep Med 2025")
AHA_HEART_RATE = "American Heart Association, All About Heart Rate (Pulse), heart.org"
NAP_LENGTH = ("Brooks & Lack, A brief afternoon nap following nocturnal sleep restriction: which nap duration is most "
              "recuperative?, Sleep 2006")
NAP_OLDER = "Li, Vitiello & Gooneratne, Sleep in normal aging, Sleep Med Clin 2018; National Institute on Aging, A good night's sleep"
COFFEE_NAP = "Reyner & Horne, Suppression of sleepiness in drivers: combination of caffeine with a short nap, Psychophysiology 1997"
INSOMNIA_BEHAVIOURAL = ("Edinger et al., Behavioral and psychological treatments for chronic insomnia disorder in adults: an "
                        "AASM clinical practice guideline, J Clin Sleep Med 2021")
ACP_INSOMNIA = ("Qaseem et al., Management of chronic insomnia disorder in adults: a clinical practice guideline from the "
                "American College of Physicians, Ann Intern Med 2016")
SLEEP_RESTRICTION = ("Miller et al., The evidence base of sleep restriction therapy for treating insomnia disorder, Sleep Med "
                     "Rev 2014; Spielman, Saskin & Thorpy, Treatment of chronic insomnia by restriction of time in bed, Sleep 1987")
WHO_ACTIVITY = "World Health Organization, WHO guidelines on physical activity and sedentary behaviour, 2020"
QUICK_RETURNS = ("EU Working Time Directive 2003/88/EC (11 consecutive hours of daily rest); Vedaa et al., Systematic review "
                 "of quick returns in rotating shift work and health-related outcomes, Ergonomics 2016")
INFANT_ROOM = ("NHS, Reduce the risk of sudden infant death syndrome (SIDS); The Lullaby Trust, Room temperature and "
               "overheating (safer sleep advice)")


@dataclass(frozen=True)
class Norm:
    key: str
    value: float
    unit: Unit
    subject: Metric | None  # what the threshold is of (None: any sleep stage, or no metric a night measures)
    meaning: str
    source: str


# The knowledge cards' own thresholds (sleep-study and questionnaire cut-offs, lab values, recommended durations):
# no rule reads them and no night measures them, so a general answer may say them only from a card that states
# them (norm_facts() leaves them out).
CARD_NORMS: tuple[Norm, ...] = (
    Norm("ahi_mild_min", 5, Unit.COUNT, None, "an AHI of 5-15 events an hour of sleep is mild sleep apnea in adults", ICSD3),
    Norm("ahi_moderate_min", 15, Unit.COUNT, None, "an AHI of 15-30 events an hour of sleep is moderate sleep apnea in adults", ICSD3),
    Norm("ahi_severe_min", 30, Unit.COUNT, None, "an AHI of 30 or more events an hour of sleep is severe sleep apnea in adults", ICSD3),
    Norm("apnea_min_s", 10, Unit.SECONDS, None, "a pause in airflow counts as an apnea when it lasts at least 10 s", AASM_SCORING),
    Norm("plms_index_max", 15, Unit.COUNT, None, "over 15 limb movements an hour of sleep, with symptoms, fits periodic limb movement disorder in adults", ICSD3),
    Norm("mslt_latency_max_min", 8, Unit.MINUTES, None, "a mean sleep latency of 8 min or less on the MSLT supports narcolepsy or hypersomnia", MSLT),
    Norm("epworth_normal_max", 10, Unit.SCORE, None, "an Epworth total above 10 (of 24) suggests excessive daytime sleepiness", EPWORTH),
    Norm("isi_subthreshold_min", 8, Unit.SCORE, None, "an Insomnia Severity Index of 8-14 is subthreshold insomnia", ISI),
    Norm("isi_subthreshold_max", 14, Unit.SCORE, None, "an Insomnia Severity Index of 8-14 is subthreshold insomnia", ISI),
    Norm("isi_moderate_min", 15, Unit.SCORE, None, "an Insomnia Severity Index of 15 or more is clinically significant insomnia", ISI),
    Norm("isi_severe_min", 22, Unit.SCORE, None, "an Insomnia Severity Index of 22 or more is severe insomnia", ISI),
    Norm("tsat_rls_max_pct", 20, Unit.PERCENT, None, "with restless legs, transferrin saturation under 20% warrants considering iron", RLS_IRON),
    Norm("resp_rate_low", 12, Unit.BREATHS, Metric.BREATHING, "12-20 breaths/min at rest is the normal adult range", RESP_RATE),
    Norm("rhr_normal_min_bpm", 60, Unit.BPM, Metric.HEART_RATE, "a normal adult resting heart rate while awake is 60-100 bpm", AHA_HEART_RATE),
    Norm("rhr_normal_max_bpm", 100, Unit.BPM, Metric.HEART_RATE, "a normal adult resting heart rate while awake is 60-100 bpm", AHA_HEART_RATE),
    Norm("nap_min_min", 10, Unit.MINUTES, None, "a nap of 10-20 min refreshes best, ending before deep sleep", NAP_LENGTH),
    Norm("nap_max_min", 20, Unit.MINUTES, None, "a nap of 10-20 min refreshes best, ending before deep sleep", NAP_LENGTH),
    Norm("nap_groggy_min", 30, Unit.MINUTES, None, "naps of 30 min or more tend to leave you groggy at first", NAP_LENGTH),
    Norm("nap_min_older_min", 20, Unit.MINUTES, None, "a nap of 20-30 min in the early afternoon is fine in later life", NAP_OLDER),
    Norm("nap_max_older_min", 30, Unit.MINUTES, None, "a nap of 20-30 min in the early afternoon is fine in later life", NAP_OLDER),
    Norm("coffee_nap_max_min", 15, Unit.MINUTES, None, "a coffee nap is a coffee drunk just before a nap of under 15 min", COFFEE_NAP),
    Norm("stimulus_control_awake_min", 20, Unit.MINUTES, None, "after about 20 min lying awake, get up until sleepy (stimulus control)", INSOMNIA_BEHAVIOURAL),
    Norm("cbti_sessions_min", 4, Unit.COUNT, None, "CBT-I usually runs for 4-8 weekly sessions", ACP_INSOMNIA),
    Norm("cbti_sessions_max", 8, Unit.COUNT, None, "CBT-I usually runs for 4-8 weekly sessions", ACP_INSOMNIA),
    Norm("sleep_window_step_min", 15, Unit.MINUTES, None, "sleep restriction widens the window by 15-30 min once efficiency is good", SLEEP_RESTRICTION),
    Norm("sleep_window_step_max_min", 30, Unit.MINUTES, None, "sleep restriction widens the window by 15-30 min once efficiency is good", SLEEP_RESTRICTION),
    Norm("exercise_moderate_min_min", 150, Unit.MINUTES, Metric.EXERCISE, "adults: 150-300 min of moderate activity a week", WHO_ACTIVITY),
    Norm("exercise_moderate_max_min", 300, Unit.MINUTES, Metric.EXERCISE, "adults: 150-300 min of moderate activity a week", WHO_ACTIVITY),
    Norm("exercise_vigorous_min_min", 75, Unit.MINUTES, Metric.EXERCISE, "or adults: 75-150 min of vigorous activity a week", WHO_ACTIVITY),
    Norm("exercise_vigorous_max_min", 150, Unit.MINUTES, Metric.EXERCISE, "or adults: 75-150 min of vigorous activity a week", WHO_ACTIVITY),
    Norm("shift_rest_min_h", 11, Unit.HOURS, None, "under 11 h between shifts (a quick return) leaves too little time to sleep", QUICK_RETURNS),
    Norm("baby_room_min_c", 16, Unit.CELSIUS, None, "a baby's room of 16-20 °C with light bedding is safe", INFANT_ROOM),
    Norm("baby_room_max_c", 20, Unit.CELSIUS, None, "a baby's room of 16-20 °C with light bedding is safe", INFANT_ROOM),
)

NORMS: dict[str, Norm] = {
    n.key: n
    for n in (
        Norm("sleep_min_adult_h", 7, Unit.HOURS, Metric.TOTAL_SLEEP, "adults need at least 7 h of sleep", AASM_ADULT),
        Norm("sleep_max_adult_h", 9, Unit.HOURS, Metric.TOTAL_SLEEP, "7-9 h recommended for adults 18-64", NSF_DURATION),
        Norm("sleep_min_older_h", 7, Unit.HOURS, Metric.TOTAL_SLEEP, "7-8 h recommended for adults 65+", NSF_DURATION),
        Norm("sleep_max_older_h", 8, Unit.HOURS, Metric.TOTAL_SLEEP, "7-8 h recommended for adults 65+", NSF_DURATION),
        Norm("sleep_min_teen_h", 8, Unit.HOURS, Metric.TOTAL_SLEEP, "8-10 h recommended for teenagers 13-18", AASM_TEEN),
        Norm("sleep_max_teen_h", 10, Unit.HOURS, Metric.TOTAL_SLEEP, "8-10 h recommended for teenagers 13-18", AASM_TEEN),
        Norm("sleep_min_newborn_h", 14, Unit.HOURS, Metric.TOTAL_SLEEP, "14-17 h a day recommended for newborns 0-3 months", NSF_NEWBORN),
        Norm("sleep_max_newborn_h", 17, Unit.HOURS, Metric.TOTAL_SLEEP, "14-17 h a day recommended for newborns 0-3 months", NSF_NEWBORN),
        Norm("sleep_min_infant_h", 12, Unit.HOURS, Metric.TOTAL_SLEEP, "12-16 h a day, naps included, for infants 4-12 months", AASM_PEDIATRIC),
        Norm("sleep_max_infant_h", 16, Unit.HOURS, Metric.TOTAL_SLEEP, "12-16 h a day, naps included, for infants 4-12 months", AASM_PEDIATRIC),
        Norm("sleep_min_toddler_h", 11, Unit.HOURS, Metric.TOTAL_SLEEP, "11-14 h a day, naps included, for children 1-2 years", AASM_PEDIATRIC),
        Norm("sleep_max_toddler_h", 14, Unit.HOURS, Metric.TOTAL_SLEEP, "11-14 h a day, naps included, for children 1-2 years", AASM_PEDIATRIC),
        Norm("sleep_min_preschool_h", 10, Unit.HOURS, Metric.TOTAL_SLEEP, "10-13 h a day, naps included, for children 3-5 years", AASM_PEDIATRIC),
        Norm("sleep_max_preschool_h", 13, Unit.HOURS, Metric.TOTAL_SLEEP, "10-13 h a day, naps included, for children 3-5 years", AASM_PEDIATRIC),
        Norm("sleep_min_school_h", 9, Unit.HOURS, Metric.TOTAL_SLEEP, "9-12 h a night for children 6-12 years", AASM_PEDIATRIC),
        Norm("sleep_max_school_h", 12, Unit.HOURS, Metric.TOTAL_SLEEP, "9-12 h a night for children 6-12 years", AASM_PEDIATRIC),
        Norm("chronic_short_h", 6, Unit.HOURS, Metric.TOTAL_SLEEP, "averaging under 6 h is chronic short sleep", SLEEP_DEBT),
        Norm("efficiency_good_pct", 85, Unit.PERCENT, Metric.EFFICIENCY, "sleep efficiency of 85% or more indicates good quality", NSF_QUALITY),
        Norm("latency_good_max_min", 30, Unit.MINUTES, Metric.LATENCY, "falling asleep within 30 min indicates good quality", NSF_QUALITY),
        Norm("latency_insomnia_min", 30, Unit.MINUTES, Metric.LATENCY, "over 30 min to fall asleep, 3+ nights a week, fits insomnia criteria", LICHSTEIN),
        Norm("waso_good_max_min", 20, Unit.MINUTES, Metric.AWAKE, "20 min or less awake after sleep onset indicates good quality", NSF_QUALITY),
        Norm("waso_insomnia_min", 30, Unit.MINUTES, Metric.AWAKE, "over 30 min awake after sleep onset fits insomnia criteria", LICHSTEIN),
        Norm("deep_low_pct", 10, Unit.PERCENT, Metric.DEEP, "deep (N3) sleep is typically 13-23% of sleep in adults under 65", OHAYON_STAGES),
        Norm("deep_low_older_pct", 5, Unit.PERCENT, Metric.DEEP, "deep sleep declines with age; under 5% is low even after 65", OHAYON_STAGES),
        Norm("rem_low_pct", 15, Unit.PERCENT, Metric.REM, "REM is typically 20-25% of sleep in adults", OHAYON_STAGES),
        Norm("spo2_avg_normal_pct", 95, Unit.PERCENT, Metric.SPO2, "average SpO2 during sleep is normally 95% or more", AASM_SCORING),
        Norm("spo2_min_notable_pct", 90, Unit.PERCENT, Metric.SPO2, "dips of SpO2 under 90% are worth watching", AASM_SCORING),
        Norm("spo2_min_red_flag_pct", 88, Unit.PERCENT, Metric.SPO2, "SpO2 at or under 88% is nocturnal hypoxemia", HYPOXEMIA),
        Norm("resp_rate_high", 20, Unit.BREATHS, Metric.BREATHING, "over 20 breaths/min at rest is above the normal adult range", RESP_RATE),
        Norm("resp_rate_rise", 1.5, Unit.BREATHS, Metric.BREATHING, "a rise of 1.5+ breaths/min over your baseline often precedes illness", WEARABLE_RESP),
        Norm("hrv_drop_pct", 15, Unit.PERCENT, Metric.HRV, "HRV 15%+ under your own baseline signals strain, alcohol or illness", HRV_ALCOHOL),
        Norm("hr_rise_bpm", 5, Unit.BPM, Metric.HEART_RATE, "lowest heart rate 5+ bpm over your baseline signals strain, alcohol or illness", HRV_ALCOHOL),
        Norm("temp_rise_c", 0.5, Unit.CELSIUS, Metric.TEMPERATURE, "skin temperature 0.5 °C+ above your baseline can precede illness", TEMP_ILLNESS),
        Norm("stage_drop_pct", 25, Unit.PERCENT, None, "a stage 25%+ under your own baseline is a real change, not noise", OHAYON_STAGES),
        Norm("bedtime_sd_irregular_min", 60, Unit.MINUTES, Metric.REGULARITY, "bedtimes varying by over 60 min (SD) are irregular", REGULARITY),
        Norm("social_jetlag_h", 1, Unit.HOURS, Metric.MIDSLEEP, "a mid-sleep shift of 1 h+ between work and free days is social jetlag", SOCIAL_JETLAG),
        Norm("debt_notable_h", 5, Unit.HOURS, Metric.SLEEP_DEBT, "5 h+ of sleep debt in a week measurably impairs attention", SLEEP_DEBT),
        Norm("fragmented_awakenings", 15, Unit.COUNT, Metric.AWAKENINGS, "15+ awakenings in a night is fragmented sleep", AASM_SCORING),
        Norm("caffeine_cutoff_h", 6, Unit.HOURS, Metric.CAFFEINE, "caffeine even 6 h before bed cuts sleep by about 1 h", CAFFEINE),
        Norm("latency_slow_min", 20, Unit.MINUTES, Metric.LATENCY, "20 min or more to fall asleep, half again your usual, is a slow night for you", NSF_QUALITY),
        Norm("latency_rise_pct", 50, Unit.PERCENT, Metric.LATENCY, "falling asleep 50% slower than your own average is a real change", WEARABLE_BASELINE),
        Norm("insomnia_nights_per_week", 3, Unit.NIGHTS, Metric.LATENCY, "3+ nights a week is the frequency insomnia criteria describe", LICHSTEIN),
        Norm("spo2_dip_nights", 3, Unit.NIGHTS, Metric.SPO2, "oxygen dips on 3+ nights of a week, with fragmented sleep, deserve a sleep study", OSA_TESTING),
        Norm("week_nights", 7, Unit.NIGHTS, Metric.NIGHTS, "a week of nights: the window for patterns", RULE),
        Norm("fortnight_nights", 14, Unit.NIGHTS, Metric.NIGHTS, "two weeks of nights: the short baseline and the social jetlag window", WEARABLE_BASELINE),
        Norm("baseline_long_nights", 60, Unit.NIGHTS, Metric.NIGHTS, "about two months of nights: the long baseline", WEARABLE_BASELINE),
        Norm("baseline_min_nights", 3, Unit.NIGHTS, Metric.NIGHTS, "fewer earlier nights than this and no baseline is claimed", RULE),
        Norm("pattern_min_nights", 3, Unit.NIGHTS, Metric.NIGHTS, "fewer nights than this in a week and no weekly pattern is claimed", RULE),
        Norm("jetlag_min_free_nights", 2, Unit.NIGHTS, Metric.NIGHTS, "free-day nights needed to compare with work days", RULE),
        Norm("jetlag_min_work_nights", 3, Unit.NIGHTS, Metric.NIGHTS, "work-day nights needed to compare with free days", RULE),
        *CARD_NORMS,
    )
}


def limit(key: str, unit: Unit | None = None) -> float:
    """The table's value for `key` — the one way the rules read a number — in `unit` when the norm is a
    duration and another duration unit is asked for (a 7 h minimum in seconds, a 30 min limit in hours)."""
    norm = NORMS[key]
    if unit is None or unit is norm.unit:
        return norm.value
    if norm.unit not in SECONDS_PER or unit not in SECONDS_PER:
        raise ValueError(f"{key} is in {norm.unit.value}, not a duration that converts to {unit.value}")
    return norm.value * SECONDS_PER[norm.unit] / SECONDS_PER[unit]


def need_norm(age_band: AgeBand, *, highest: bool = False) -> str:
    """The key of the norm that holds the recommended minimum (or maximum) nightly sleep for an age band."""
    band = {AgeBand.TEEN: "teen", AgeBand.OLDER: "older"}.get(age_band, "adult")
    return f"sleep_{'max' if highest else 'min'}_{band}_h"


def sleep_need_range_h(age_band: AgeBand) -> tuple[float, float]:
    """The recommended nightly sleep (hours) for an age band."""
    return NORMS[need_norm(age_band)].value, NORMS[need_norm(age_band, highest=True)].value


def norm_fact(norm_key: str, label: str, *, key: str | None = None, value: float | None = None) -> Fact:
    """A norm as a fact the coach may say: its subject, relation NORM, the table's value (or `value`, one the
    caller derived from the table, such as the age band's minimum) and unit."""
    norm = NORMS[norm_key]
    return Fact(key=key or f"norm.{norm_key}", label=label, value=norm.value if value is None else value,
                unit=norm.unit, subject=norm.subject, relation=Relation.NORM)


def norm_facts() -> list[Fact]:
    """Every norm of the table as a fact: what a general answer may say (not the rules' own windows, nor the
    cards' own thresholds, which an answer may say from the card that states them)."""
    cards_own = {norm.key for norm in CARD_NORMS}
    return [norm_fact(key, norm.meaning) for key, norm in NORMS.items()
            if norm.subject is not Metric.NIGHTS and key not in cards_own]
