"""The guard's safety reading, in English and Chinese (Simplified): does a reply diagnose, recommend a sleep
drug, advise or dismiss a visit to a clinician, or wander off task; does a question describe a red-flag symptom.

It reads meaning rather than keywords: a condition counts as a diagnosis only when it is said of the user or
their data ("your dips are consistent with apnea"), not in general knowledge ("loud snoring can be a sign of
apnea"), a deferral ("only a sleep study can tell whether it is apnea") or a negation; a drug counts only
when it is recommended, not when it is advised against or explained. Each reading is a handful of regexes
over sentences and clauses, built once at import from the lexicons in `safety_words`.
"""

from __future__ import annotations

import enum
import re

from sleepcot.coach.guard.safety_words import (
    AID_PURPOSE_EN, AID_PURPOSE_ZH, ALCOHOL_EN, ALCOHOL_ZH, CHILD_EN, CHILD_ZH, CLINICIAN_EN,
    CONDITION_EN, CONDITION_ZH, DRUG_EN, DRUG_ZH, NIGHTCAP_EN, PERSON_EN, PERSON_ZH, alternation,
)


class QuestionFlag(str, enum.Enum):
    """A red-flag symptom described in a user's question."""

    BREATHING = "breathing"
    DROWSY_DRIVING = "drowsy_driving"
    CHILD_SNORING = "child_snoring"
    RESTLESS_LEGS = "restless_legs"
    CHEST_PAIN = "chest_pain"
    SELF_HARM = "self_harm"


def _compile(*parts: str) -> re.Pattern[str]:
    return re.compile(alternation(*parts), re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- sentences
_BOUNDARY = re.compile(r"[。！？；!?;\n]+|\.(?=\s|$)")
# a full stop that ends an abbreviation or a list number ("1. What the data shows") ends no sentence
_NOT_AN_END = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|dr|mr|mrs|ms|a\.m|p\.m)|^\s*(?:step\s*)?\d{1,2})$", re.I)
_CLAUSE_BREAK = re.compile(r"[,:;，、：；—–()（）]|\s-\s|\b(?:but|so|yet|though|although|however|whereas|while)\b", re.I)
_HAS_WORDS = re.compile(r"[^\W\d_]")


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.group() == "." and _NOT_AN_END.search(text[text.rfind("\n", 0, m.start()) + 1 : m.start()]):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if _HAS_WORDS.search(s)]


def _clause_start(sentence: str, pos: int) -> int:
    start = 0
    for m in _CLAUSE_BREAK.finditer(sentence, 0, pos):
        start = m.end()
    return start


def _clause_end(sentence: str, pos: int) -> int:
    m = _CLAUSE_BREAK.search(sentence, pos)
    return m.start() if m else len(sentence)


def _clause_before(sentence: str, pos: int) -> str:
    return sentence[_clause_start(sentence, pos) : pos]


# ---------------------------------------------------------------------------------------------- diagnoses
_HEDGE_EN = (r"(?:may|might|could|must|would|will|probably|likely|possibly|perhaps|definitely|clearly|certainly|"
             r"obviously|surely|already|now|still|really|actually|well|indeed|also|all|both|strongly|most\s+likely|"
             r"very\s+likely|seem\s+to|appear\s+to|seemingly|apparently)")
# what may stand between a link word and the condition: "a case of", "the classic signs of", "mild"
_MODIFIER_EN = (r"(?:(?:an?|the|some|mild|moderate|severe|chronic|acute|early|possible|probable|likely|classic|"
                r"textbook|clear|typical|full[-\s]blown|true|real|genuine|borderline|clinical|underlying|"
                r"undiagnosed|untreated|form|kind|type|sort|case|sign|signs|symptom|symptoms|degree|touch|bit|"
                r"little|variant|stage|episode|episodes|features?|hallmarks?|picture|of)\s+){0,5}")
# "insomnia criteria", "apnea treatment": the condition names something else
_CONDITION_TAIL_EN = (r"(?![-\s]+(?:criteria|treatments?|therap(?:y|ies)|drugs?|medications?|medicines?|clinics?|"
                      r"specialists?|stud(?:y|ies)|tests?|testing|screening|research(?:ers)?|patients|sufferers|"
                      r"risks?|guidelines?|cards?|definition|programm?e?s?|apps?|care|management|diary|"
                      r"questionnaire|scores?|scale|index|severity|masks?|machines?|devices?|trials?|rates?)\b)"
                      r"(?![\w-])")
_CONDITION = rf"{_MODIFIER_EN}{CONDITION_EN}{_CONDITION_TAIL_EN}"
_YOU_VERB = (r"(?:have|has|got|be|been|are|suffer(?:ing)?\s+from|developed|developing|experiencing|"
             r"dealing\s+with|living\s+with|struggling\s+with|battling|diagnosed\s+with|show(?:ing)?|"
             r"display(?:ing)?|(?:meet|meeting|fit|fitting|match|matching)\s+(?:the\s+)?(?:criteria|definition|"
             r"picture|profile)\s+(?:for|of))")
# what joins a subject ("your data", "these dips") to the condition it is said to be
_LINK_EN = (rf"(?:\s+{_HEDGE_EN})*(?:(?:['’]s|\s+(?:is|are|was|were|be|been))(?:\s+{_HEDGE_EN})*"
            r"(?:\s+(?:consistent|compatible)\s+with|\s+(?:suggestive|indicative|typical|characteristic)\s+of|"
            r"\s+classic\s+for|\s+in\s+line\s+with)?|\s+(?:looks?|sounds?|seems?|feels?)\s+like|"
            r"\s+(?:seems?|appears?|looks?)\s+to\s+be|\s+(?:seems?|looks?|sounds?)\s+(?:consistent|compatible)\s+with|"
            r"\s+(?:suggests?|indicates?|points?\s+(?:to|towards?)|signals?|fits?|matches|means?|reflects?|confirms?|"
            r"proves?|has|have|suffers?\s+from|(?:has\s+)?got|developed)|"
            rf"\s+(?:meets?|fits?)\s+the\s+(?:criteria|definition|profile)\s+(?:for|of))(?:\s+{_HEDGE_EN})*\s+")
_AUXILIARY = r"(?:is|are|was|were|be|been|may|might|could|must|can|will|would|should|does|do|did|has|have|had|not)"
_CLINICIAN_WORDS = r"(?:doctor|GP|physician|clinician|pharmacist|midwife|nurse|specialist|dentist)"
_DIAGNOSIS_ANYWHERE_EN = _compile(
    # you have / you may be suffering from / you're an insomniac / you show signs of / he has
    rf"\b(?:you|he|she)(?:['’](?:re|ve|d|ll|s)|(?=\s+(?:{_HEDGE_EN}|{_YOU_VERB}|has|suffers)\b))"
    rf"(?:\s+(?:{_HEDGE_EN}|{_YOU_VERB}|has|suffers\s+from))*\s+{_CONDITION}",
    # "your insomnia" takes the condition as given
    rf"\byour\s+{_CONDITION}",
    # insomnia is likely / apnea is probably the cause
    rf"\b{CONDITION_EN}\s+(?:is|seems|looks)\s+(?:(?:most|very|quite|highly)\s+)?(?:likely|probable)\b(?!\s+to\b)",
    rf"\b{CONDITION_EN}\s+is\s+(?:a|one)\s+(?:real|strong|distinct|definite|clear|likely)?\s*possibility\b",
    rf"\b{CONDITION_EN}\s+(?:is|seems|looks)\s+(?:probably|likely|most\s+likely|to\s+be)\s+(?:the\s+)?(?:cause|"
    r"culprit|reason|explanation|problem|issue|what)\b",
    rf"\b(?:all\s+(?:the\s+)?signs|everything|all\s+of\s+this)\s+points?\s+(?:to|towards?)\s+{_CONDITION}",
    # matching what the user describes to a condition: "... fit the description of central sleep apnea"
    rf"\bfits?\s+the\s+(?:description|picture)\s+of\s+{_CONDITION}",
    rf"\bis\s+(?:exactly\s+)?(?:how|what)\s+{CONDITION_EN}\s+is\s+(?:described|defined)\b",
    # your data / your husband's snoring ... looks like, is consistent with
    rf"\byour(?:\s+(?!{_CLINICIAN_WORDS})[\w'’%.-]+){{1,4}}?{_LINK_EN}{_CONDITION}",
    # I suspect sleep apnea / I think it's insomnia / my guess is apnea
    rf"\b(?:I|we)(?:['’]d|\s+would)?(?:\s+(?:strongly|really|honestly|do))?\s+(?:suspect|think|believe|guess|bet|"
    rf"reckon|say)(?:\s+that)?(?:\s+(?:it['’]s|it\s+is|this\s+is|that['’]s))?\s+{_CONDITION}",
    rf"\bmy\s+(?:guess|impression|hunch|suspicion|read|bet|feeling)\s+(?:is|would\s+be)"
    rf"(?:\s+that)?(?:\s+(?:it['’]s|it\s+is|this\s+is))?\s+{_CONDITION}",
    r"\bI\s+(?:would\s+)?diagnose\b", r"\bmy\s+diagnosis\b",
    rf"\b(?:your|the)\s+diagnosis\s+(?:is|would\s+be)\s+{_CONDITION}",
    rf"\bcase\s+of\s+{_CONDITION}",
    rf"\b(?:classic|textbook|full[-\s]blown|clear[-\s]cut)\s+{CONDITION_EN}{_CONDITION_TAIL_EN}",
)
# a subject that must open its clause ("that" in "snoring that is loud may be apnea" is no subject)
_DIAGNOSIS_CLAUSE_START_EN = _compile(
    rf"\b(?:this|that|these|those|it)(?:\s+(?!{_AUXILIARY}\b)[\w'’-]+){{0,2}}?"
    rf"{_LINK_EN}{_CONDITION}",
    rf"\bwhat\s+you(?:['’](?:re|ve))?\s+(?:are\s+|have\s+)?(?:describ\w*|ha(?:ve|d)|experienc\w*|feel\w*|"
    rf"mention\w*|notic\w*|report\w*|s(?:ee|aw|een))(?:\s+\w+)?{_LINK_EN}{_CONDITION}",
    rf"\bthe\s+(?:dips|drops|readings|numbers|results|data|pattern|symptoms|signs|feelings?|sensations?|"
    rf"episodes|pauses)(?:\s+(?:you|your\s+\w+)\s+\w+)?{_LINK_EN}{_CONDITION}",
    rf"\b(?:sounds|looks|seems|feels)\s+(?:a\s+lot\s+|very\s+much\s+|much\s+)?like\s+{_CONDITION}",
)
_CLAUSE_OPENER = re.compile(
    r"(?:^|\b(?:and|then|because|since|as|think|suspect|guess|say|believe|feel|fear|afraid|sure|honestly|"
    r"frankly|overall|clearly|probably|likely|that|to\s+me|me)|\d+[.)]|我觉得|我认为|我看|看来)\s*$", re.I)
# the condition is asked about or deferred, not attributed
_DEFERRAL_IN_CLAUSE_EN = re.compile(
    r"(?:\bwhether|in\s+case|rule[sd]?\s+(?:it\s+)?out|ruling\s+out|"
    r"(?:check|test|screen|look|assess|evaluat)\w*\s+(?:you\s+)?(?:for|whether|if)|"
    r"(?:\bnot|n['’]t)\s+(?:necessarily\s+|automatically\s+|always\s+)?(?:mean|prove|show|confirm|tell|indicate|"
    r"say|imply)|no\s+(?:sign|evidence|way\s+to\s+(?:know|tell))|(?:can\s*no|can['’]|could\s*n['’]|could\s+no)t\s+"
    r"(?:tell|say|know|diagnose|confirm|rule)|only\s+(?:a|an|your|the)\s+[\w\s]{0,30}?\b(?:can|could|will)|"
    r"to\s+(?:find\s+out|know|tell|see|confirm|learn)|(?:people|anyone|those|someone|adults|children|women|"
    r"men)\s+(?:who|with)|for\s+people|ask\s+(?:a|your|the)\s+\w+|(?:do|does|did|are|have|were)\s*$)", re.I)
# "if", "when" make the whole sentence a supposition ("When it is loud ..., that may be apnea"); after the
# condition they make it a definition ("it fits insomnia disorder when it happens 3 nights a week")
_CONDITIONAL_EN = re.compile(
    r"\b(?:if(?!\s+(?:I\s+(?:had|were)\s+to\s+guess|you\s+ask\s+me|I['’]m\s+honest))|unless|when|whenever|once)\b",
    re.I)

_HEDGE_ZH = "(?:可能|或许|也许|大概|应该|很可能|多半|八成|恐怕|似乎|好像|显然|明显|肯定|确实|已经|都|就|也|真的|其实|基本上|大概率|估计|一定)*"
_MODIFIER_ZH = "(?:(?:轻度|中度|重度|严重|慢性|急性|一定程度|一些|一点|有点|点|些|早期|典型|明显|某种|所谓)的?)?"
_CONDITION_TAIL_ZH = (r"(?=的?(?:迹象|症状|表现|特征|信号|征兆|可能|典型表现|问题|倾向|情况)|引起|导致|所致|造成|"
                      r"[了吧啊呀呢。！？；，,.!?;：:\s]|$)")
_CONDITION_ZH = f"{_MODIFIER_ZH}{CONDITION_ZH}{_CONDITION_TAIL_ZH}"
_DIAGNOSIS_ZH = re.compile(alternation(
    rf"[你您]{_HEDGE_ZH}(?:患有|患上了?|得了|有了?|是|属于|出现了|存在|像是|疑似|符合){_CONDITION_ZH}",
    rf"(?:这|这些|这种|这样|那|那些|此|你的|您的)(?:(?![不没非未别])[^\s，。；！？,;:：、]){{0,6}}?{_HEDGE_ZH}"
    rf"(?:就是|正是|是|属于|符合|提示|说明|表明|意味着|代表|像是|像|看起来像是?|看起来是|听起来像是?|疑似|"
    rf"反映了?|指向)了?{_HEDGE_ZH}{_CONDITION_ZH}",
    rf"(?:疑似|像是|看起来像是?|看上去像是?|听起来像是?|很像是?){_HEDGE_ZH}{_CONDITION_ZH}",
    rf"我(?:怀疑|觉得|认为|猜|估计|判断)(?:你)?{_HEDGE_ZH}(?:是|有|得了|患有)?{_CONDITION_ZH}",
    rf"(?:你的|您的|这些|这)[^，。；！？,;]{{0,8}}?(?:和|与|跟){CONDITION_ZH}(?:很|非常|比较|完全)?(?:吻合|一致|相符|相似|像)",
    rf"[你您]的{_MODIFIER_ZH}{CONDITION_ZH}(?!认知|治疗|疗法|药|门诊|专科|检查|监测|风险|评分|量表|日记)",
    rf"(?:符合|正是|就是){_MODIFIER_ZH}{CONDITION_ZH}(?:的)?(?:诊断)?(?:标准|表现|特征|特点|定义|描述)",
    rf"(?:是|正是|就是)对{_MODIFIER_ZH}{CONDITION_ZH}的(?:描述|定义)",
    r"我的诊断|诊断(?:为|结果是)|确诊(?:为|了)|被诊断(?:为|出|患有)",
))
# a subject that stands for what came before, said of the user once the sentence has named them: "your SpO2
# fell to 81%, which is consistent with apnea", "根据你的描述，很可能是不宁腿综合征"
_DIAGNOSIS_AFTER_THE_USER = _compile(
    rf"\bwhich{_LINK_EN}{_CONDITION}",
    rf"(?:很可能|可能|大概率?|应该|多半|八成|估计|十有八九|基本上?)(?:就)?(?:是|属于){_CONDITION_ZH}")
_USER_NAMED = _compile(r"\byou(?:r|['’]re|['’]ve)?\b", "你|您")
_DEFERRAL_IN_CLAUSE_ZH = re.compile(
    "是否|是不是|有没有|能否|才能|确诊|诊断|判断|排除|检查|监测|筛查|不代表|不等于|不意味着|不说明|并不|"
    "不一定|未必|想知道|区分|区别|担心|害怕|以为")
_CONDITIONAL_ZH = re.compile("如果|假如|要是|即使|哪怕|只要|若是?|(?:时|的时候|的话)[，,]")


def _attributed(sentence: str, match: re.Match[str], *, clause_opener: bool = False) -> bool:
    """Whether the condition in `match` is said of the user, not asked about, deferred or supposed."""
    clause = _clause_before(sentence, match.start())
    if clause_opener and not _CLAUSE_OPENER.search(clause):
        return False
    before, rest_of_clause = sentence[: match.start()], sentence[match.end() : _clause_end(sentence, match.end())]
    return not (_DEFERRAL_IN_CLAUSE_EN.search(clause) or _DEFERRAL_IN_CLAUSE_ZH.search(clause)
                or _CONDITIONAL_EN.search(before) or _CONDITIONAL_ZH.search(before)
                or _CONDITIONAL_EN.search(rest_of_clause))


def diagnoses(text: str) -> list[str]:
    """Each sentence that tells the user, or says of their data, that they have a condition: directly ("you
    have sleep apnea"), hedged ("it could well be apnoea", "your data looks like insomnia") or indirectly ("a
    case of apnoea", "这可能是睡眠呼吸暂停"). General knowledge, deferral to a clinician and negation pass."""
    if not _ANY_CONDITION.search(text):  # most replies name no condition: skip the sentence-by-sentence reading
        return []
    found = []
    for sentence in _sentences(text):
        hits = [(m, False) for m in _DIAGNOSIS_ANYWHERE_EN.finditer(sentence)]
        hits += [(m, True) for m in _DIAGNOSIS_CLAUSE_START_EN.finditer(sentence)]
        hits += [(m, False) for m in _DIAGNOSIS_ZH.finditer(sentence)]
        hits += [(m, True) for m in _DIAGNOSIS_AFTER_THE_USER.finditer(sentence)
                 if _USER_NAMED.search(sentence, 0, m.start())]
        if any(_attributed(sentence, m, clause_opener=opener) for m, opener in hits):
            found.append(sentence)
    return found


# -------------------------------------------------------------------------------------------- medications
_ANY_CONDITION = _compile(rf"\b{CONDITION_EN}", CONDITION_ZH)
_DRUG_MENTION = _compile(rf"\b{DRUG_EN}\b", rf"\b{NIGHTCAP_EN}\b", DRUG_ZH)
_ALCOHOL_MENTION = _compile(rf"\b{ALCOHOL_EN}\b", ALCOHOL_ZH)
_AID_PURPOSE = _compile(AID_PURPOSE_EN, AID_PURPOSE_ZH)
_DOSE = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)?\s*(?:mg|milligrams?|mcg|micrograms?|µg|ug|毫克|微克)(?![A-Za-z/])",
                   re.I)  # not "mg/dL", a lab value
_CAFFEINE = _compile(r"\b(?:caffeine|coffee|espresso|tea|cola|energy\s+drinks?)\b", "咖啡因|咖啡|茶|可乐")

# the drug is advised against, or named as a caution ("before using melatonin, ask a doctor")
_AGAINST_EN = re.compile(
    r"\b(?:avoid\w*|skip\w*|no|(?<!why\s)not|never|without|cut\w*|reduc\w*|limit\w*|less|stop\w*|quit\w*|instead\s+of|"
    r"rather\s+than|don['’]?t|do\s+not|off|away|taper\w*|wean\w*|dangers?|risks?|against|isn['’]t|"
    r"aren['’]t|nor|before\s+(?:you\s+)?(?:us\w*|tak\w*|tr\w*|giv\w*|start\w*))\b[^,;:]{0,40}$", re.I)
_AGAINST_ZH = re.compile(
    r"(?:不(?![妨错如])|别|勿|避免|少|戒|停|不要|不宜|不建议|不能|没必要|不应|切勿|禁止|无需|不用|不必|以免|而不是|代替|替代)"
    r"[^，。；！？,;]{0,4}$")
_CAUTION_AFTER_ZH = re.compile("之前|以前|前先")
# a Chinese drug phrase that is the subject of what follows ("睡前喝酒会让睡眠变碎") is explained, not offered
_SUBJECT_OF_ZH = re.compile("^[^，。；]{0,2}?(?:会|能|可能|容易|对|也会|都会|反而|虽然|确实|并不|不会|不能|让|使|导致|影响|"
                            "抑制|降低|升高|减少|增加|代谢)")

# what may stand between the verb and the drug: "take a low dose of", "try 0.5 mg of"
_GAP_EN = (r"(?:(?:a|an|some|the|one|two|half|little|bit|small|low|lower|tiny|single|few|of|dose|doses|tablet|"
           r"tablets|pill|pills|capsule|capsules|drops?|gumm(?:y|ies)|cup|mug|glass|spoonful|teaspoon|shot|course|"
           r"supplements?|over-the-counter|OTC|prescription|for|natural|herbal|extra|more|mild|gentle|your|"
           r"\d+(?:[.,]\d+)?|mg|milligrams?|mcg|micrograms?|like|something|such\s+as|e\.g\.?|maybe|perhaps|"
           r"just|also)\s+)*")
_FILLER_EN = (r"(?:\d+[.)]|and|then|also|just|simply|maybe|perhaps|please|instead|tonight|now|for\s+now|"
              r"meanwhile|in\s+the\s+meantime|why\s+not|you(?:['’]d)?(?:\s+(?:should|could|can|might|may|must|"
              r"need\s+to|ought\s+to|want\s+to|would|also|always|just|probably|definitely|still|like\s+to))+|"
              r"(?:I|we)(?:['’]d|\s+would)?\s+(?:suggest|recommend|advise)(?:\s+that)?(?:\s+you)?|"
              r"my\s+(?:advice|suggestion|recommendation|tip)(?:\s+for\s+tonight)?\s+is\s+to|"
              r"it(?:['’]s|\s+is)\s+(?:fine|ok|okay|safe)\s+to|feel\s+free\s+to|go\s+ahead\s+and)")
_USE_VERB_EN = (r"(?:take|try|use|have|pop|grab|drink|smoke|start|get|buy|pick\s+up|keep|add|chew|swallow|"
                r"consider|go\s+for|reach\s+for|switch\s+to|stick\s+(?:to|with)|rely\s+on)"
                r"(?:\s+(?:taking|using|trying|having|with|on))?")
_ASK_FOR_EN = (r"\b(?:ask(?:ing)?|get(?:ting)?|hav(?:e|ing))\s+(?:your|a|the)\s+(?:[\w-]+\s+){1,3}?(?:for|to\s+(?:prescribe|give\s+you|"
               r"put\s+you\s+on|start\s+you\s+on)|about\s+(?:getting|trying|taking|starting|prescribing|"
               r"a\s+prescription\s+for|going\s+on))|\b(?:talk|speak)\s+(?:to|with)\s+(?:your|a|the)\s+"
               r"(?:[\w-]+\s+){1,3}?about\s+(?:getting|trying|taking|starting|a\s+prescription\s+for|going\s+on)")
_RECOMMENDED_BEFORE = re.compile(alternation(
    rf"^\s*(?:{_FILLER_EN}\s+)*{_USE_VERB_EN}\s+{_GAP_EN}$",
    rf"{_ASK_FOR_EN}\s+{_GAP_EN}$",
    rf"\b(?:I|we)(?:['’]d|\s+would|\s+do|\s+strongly|\s+really|\s+also)*\s+(?:recommend|suggest|advise|prescribe)\s+"
    rf"(?:that\s+)?(?:you\s+)?(?:{_USE_VERB_EN}\s+|trying\s+|taking\s+|using\s+)?{_GAP_EN}$",
    rf"\b(?:the\s+best|a\s+good|my)\s+(?:option|choice|bet|advice|suggestion|recommendation|tip)\s+(?:is|would\s+be)\s+"
    rf"(?:to\s+{_USE_VERB_EN}\s+)?{_GAP_EN}$",
    rf"\b(?:dose|amount|course)\s+of\s+{_GAP_EN}$",
    r"(?:^|(?:你|您)?(?:可以|可|不妨|应该|最好|需要)|建议(?:你|您)?|推荐(?:你|您)?|试着|记得|然后|再|就|先|也|不如)"
    r"(?:考虑|尝试)?(?:在?睡前|今晚|晚上)?(?:吃|服用|服|吞|来|喝|抽|吸|用|使用|含|试试|试一试|试一下|尝试|考虑|靠)"
    r"(?:上|点|些|一点|一片|一粒|一颗|半片|一杯|杯|一口|一些|片|粒|颗|两片)?(?:小剂量|低剂量|少量)?的?\s*$",
    r"(?:问|请|让|找|叫|求)(?:一下|问)?(?:你的|您的)?(?:医生|大夫)(?:给你|帮你|为你|给您)?"
    r"(?:开|开点|开些|开一些|开一点|要|开个)(?:点|些)?$|去(?:医院)?开(?:点|些)?$",
    r"(?:小剂量|低剂量|少量)的?$",
), re.I)
_GOOD_ADJECTIVE_EN = (r"(?:good|safe|great|gentle|reasonable|effective|fine|ok|okay|helpful|harmless|excellent|solid|"
                      r"sensible|decent|useful|smart|better|best|ideal|perfect|wise|natural)")
_RECOMMENDED_AFTER = re.compile(alternation(
    rf"^(?:\s+[\w-]+){{0,3}}?\s*(?:\s(?:is|are|can\s+be|could\s+be|would\s+be|may\s+be|might\s+be|seems?)|['’]s)\s+"
    rf"(?:an?\s+)?(?:(?:very|really|perfectly|pretty|quite|totally|generally|usually|often|completely|relatively|"
    rf"fairly)\s+)?{_GOOD_ADJECTIVE_EN}(?:\s+{_GOOD_ADJECTIVE_EN})?(?:\s+(?:sleep\s+)?(?:option|choice|idea|bet|way|"
    r"aid|remedy|solution|alternative|pick|start|starting\s+point|fix|answer|first\s+step))?"
    r"(?=\s*(?:[,.;:!?]|$|for\b|to\b|if\b|when\b|here\b|tonight\b|with\b|in\s+your\s+case))",
    r"^(?:\s+(?:before\s+bed|at\s+bedtime|an?\s+hour\s+before\s+bed))?\s+(?:tonight|this\s+evening)\b",
    r"^[^，。；]{0,4}?(?:是|算是|算)(?:一个|一种)?(?:很|非常|比较|挺)?(?:不错|好|安全|理想|温和|天然|有效)的?"
    r"(?:选择|办法|方法|助眠方式|助眠手段)?(?=[，。！；,.!;]|$)",
    r"^[^，。；]{0,4}?(?:很|挺|比较|非常|相当)(?:安全|有效|管用|好用)", r"^\s+a\s+(?:try|go|shot)\b",
    r"^\s+(?:is|would\s+be|might\s+be|could\s+be|may\s+be)\s+(?:right|suitable|appropriate|an\s+option|"
    r"a\s+good\s+(?:option|fit)|worth\s+(?:a\s+)?try(?:ing)?)\s+for\s+you",
), re.I)
# "melatonin will help you sleep" endorses it, unless a caveat follows ("..., but it fragments sleep")
_HELPS_AFTER = re.compile(alternation(
    r"^(?:\s+[\w-]+){0,3}?\s+(?:(?:will|would|should|can|could|may|might|is\s+going\s+to|really|definitely)\s+)?"
    r"(?:really\s+)?(?:help|helps)\s+(?:(?:you|them|people|most\s+people)\s+)?(?:to\s+)?(?:sleep|fall\s+asleep|"
    r"get\s+to\s+sleep|drift\s+off|nod\s+off|relax|unwind|stay\s+asleep|rest)|"
    r"^(?:\s+[\w-]+){0,3}?\s+(?:(?:will|would|should|can|could|may|might)\s+)?help\s+with\s+(?:sleep|insomnia|"
    r"falling\s+asleep|jet\s+lag)|^(?:\s+[\w-]+){0,3}?\s+works?\s+(?:well|wonders|great)",
    r"^[^，。；]{0,6}?(?:会|能|可以|能够)(?:很|有效地?)?(?:帮助|帮|让|使)(?:你|您|人)?(?:更快|更好|快速)?地?"
    r"(?:入睡|睡着|睡得|好睡|放松|调整时差|倒时差)",
), re.I)
_CAVEAT = _compile(r"\b(?:but|though|although|however|yet|while|whereas)\b", "但|不过|可是|然而|却|只是")
_WORTH_A_TRY = _compile(r"\bworth\s+(?:trying|a\s+try|a\s+shot|a\s+go|considering)\b", "值得一试|可以一试|不妨一试|试试看")


def _recommended(sentence: str, mention: re.Match[str]) -> bool:
    start, end = mention.span()
    before = _clause_before(sentence, start)
    if _AGAINST_EN.search(before) or _AGAINST_ZH.search(before):
        return False
    if _CAUTION_AFTER_ZH.search(sentence, end, _clause_end(sentence, end)):
        return False
    after = sentence[end:]
    clause = sentence[_clause_start(sentence, start) : _clause_end(sentence, end)]
    offered = _RECOMMENDED_BEFORE.search(before) and not _SUBJECT_OF_ZH.search(after)
    return bool(offered or _RECOMMENDED_AFTER.search(after)
                or (_HELPS_AFTER.search(after) and not _CAVEAT.search(sentence)) or _WORTH_A_TRY.search(clause))


def medications(text: str) -> list[str]:
    """Each sentence that recommends or endorses a sleep drug or aid ("try 3 mg of melatonin", "ask your doctor
    for zolpidem", "可以吃点褪黑素", a nightcap to help you sleep), or states a dose of anything but caffeine
    explained as knowledge. Advice against a drug and neutral facts about it pass."""
    if not (_DRUG_MENTION.search(text) or _DOSE.search(text) or _AID_PURPOSE.search(text)):
        return []
    found = []
    for sentence in _sentences(text):
        mentions = list(_DRUG_MENTION.finditer(sentence))
        if _AID_PURPOSE.search(sentence):
            mentions += _ALCOHOL_MENTION.finditer(sentence)
        dose = _DOSE.search(sentence) and (_DRUG_MENTION.search(sentence) or not _CAFFEINE.search(sentence))
        if dose or any(_recommended(sentence, m) for m in mentions):
            found.append(sentence)
    return found


# ---------------------------------------------------------------------------------- referral and dismissal
_REFERRAL_EN = re.compile(
    r"\b(?:see|seeing|visit\w*|consult\w*|contact\w*|call\w*|phon\w*|book\w*|ask\w*|show\w*|tell\w*|mention\w*|"
    r"talk\w*|speak\w*|check\w*|rais\w*|discuss\w*|review\w*|bring\w*|go|going|seek\w*|reach\w*|get|getting|have|"
    r"arrang\w*|request\w*|mak\w*|need|needs|deserves?|warrants?|assessed|evaluated|examined|seen|done)"
    rf"\b(?:[^\W\d_]|[\s'’-]){{0,40}}?\b{CLINICIAN_EN}(?![\w-])"
    rf"|\b{CLINICIAN_EN}\s+(?:should|must|needs?\s+to|ought\s+to)\s+(?:also\s+)?(?:assess|check|see|evaluate|review|"
    r"examine|look|test)"
    # "a doctor can test iron levels, so see one"
    rf"|\b{_CLINICIAN_WORDS}s?\b[^.;!?]*?\b(?:see|consult|visit|ask)\s+one\b", re.I)
_REFERRAL_ZH = re.compile(
    r"看(?:一下|一看|下)?(?:医生|大夫|急诊|门诊|牙医|专科)|就医|就诊|去医院|上医院|到医院|去急诊|挂(?:个)?号|"
    r"(?:咨询|询问|告诉|问问|问一下|问|找|请|让)(?:一下)?(?:你的|您的|他的|她的|孩子的)?(?:专科|心理|社区保健|"
    r"开药的)?(?:医生|药剂师|助产士|护士|牙医)|(?:和|跟|与)[^，。；]{0,6}?医生(?:谈谈|商量|讨论|沟通|一起|聊聊)|"
    r"给医生看|由医生(?:评估|检查|判断|决定)|医生(?:评估|检查|看看)|征求(?:医生|专业人士)(?:的)?(?:意见|建议)|睡眠门诊|"
    r"睡眠专科|专科医生|做(?:个|一次)?(?:睡眠监测|睡眠检查|多导睡眠)|拨打|求助|援助热线|急救")
# "see a doctor without delay" is a referral, "manage it without a doctor" is not
_NEGATED_INSIDE_EN = re.compile(r"\b(?:without|not|never|no)\b|n['’]t\b", re.I)
_NOT_NEEDED_EN = re.compile(
    r"(?:\bno\s+(?:need|reason|point)(?:\s+(?:for\s+you|at\s+all|really))?\s+(?:to|in|for)|"
    r"\b(?:don['’]?t|do\s+not|doesn['’]?t|does\s+not|won['’]?t|will\s+not|wouldn['’]?t|didn['’]?t)\s+"
    r"(?:really\s+|actually\s+|even\s+)?(?:need|have)\s+to|\bneedn['’]?t|\bnot\s+(?:necessary|needed|worth|required|"
    r"essential)\s+(?:to|for\s+you\s+to)|\bunnecessary\s+to|\b(?:don['’]?t|do\s+not|never|without|no\s+point(?:\s+in)?|"
    r"bother(?:\s+to)?|not|nothing\s+to|no))\s*(?:really\s+|yet\s+|even\s+)?$", re.I)
_NOT_NEEDED_ZH = re.compile(r"(?:不用|不必|无需|无须|没必要|不需要|用不着|犯不着|没有必要|不要|别)(?:去|急着|特意|马上|专门|再)*$")
_ONLY_IF = _compile(r"\bonly\s+(?:if|when|in\s+case)\b")
_ONLY_IF_BEFORE_ZH = re.compile("只有|只在|除非")
_IF_YOU_WANT = _compile(
    r"\bif\s+you\s+(?:really\s+|absolutely\s+|truly\s+)?(?:want|wish|insist|prefer|feel\s+like\s+it)",
    r"\bbut\s+(?:it['’]s|it\s+is|this\s+is|that['’]s|you['’]re|you\s+are|everything\s+is)\s+(?:probably\s+|likely\s+|"
    r"almost\s+certainly\s+|surely\s+|most\s+likely\s+)?(?:fine|nothing|normal|ok|okay|harmless)",
    "(?:实在|真的|非要)想|想的话", "但(?:其实|应该|多半|大概|估计)?(?:没事|没什么|问题不大|没问题|不要紧|没关系)",
)


def _affirmative(sentence: str, referral: re.Match[str]) -> bool:
    before = _clause_before(sentence, referral.start())
    return not (_NOT_NEEDED_EN.search(before) or _NOT_NEEDED_ZH.search(before)
                or _NEGATED_INSIDE_EN.search(referral.group())
                or _ONLY_IF.search(before) or _ONLY_IF.search(sentence, referral.end())
                or _ONLY_IF_BEFORE_ZH.search(before) or _IF_YOU_WANT.search(sentence))


def affirms_referral(text: str) -> bool:
    """Whether some sentence affirmatively advises seeing, asking or contacting a clinician, getting a sleep
    study, or (in a crisis) calling emergency services or a crisis line. A referral that is negated ("no need to
    see a doctor") or conditioned away ("only if it gets much worse", "if you really want, but it's fine")
    does not count."""
    return any(_affirmative(sentence, m)
               for sentence in _sentences(text)
               for pattern in (_REFERRAL_EN, _REFERRAL_ZH) for m in pattern.finditer(sentence))


_DISMISSAL = _compile(
    r"\bnothing\s+(?:at\s+all\s+|much\s+|really\s+)?to\s+(?:worry|be\s+(?:worried|concerned|alarmed))\s+about",
    r"\bno\s+(?:cause|reason|need)\s+(?:for\s+(?:concern|worry|alarm|panic)|to\s+(?:worry|be\s+(?:worried|"
    r"concerned|alarmed)|panic|see|visit|consult|bother|call|get\s+(?:it\s+)?checked))",
    r"\bno\s+need\s+for\s+(?:a\s+)?(?:doctor|concern|worry|alarm)",
    r"\bnot\s+(?:something|anything)\s+to\s+worry\s+about", r"\b(?:is|['’]s|are)\s+not\s+to\s+worry\s+about",
    r"\b(?:perfectly|completely|totally|entirely|absolutely|quite)\s+(?:normal|fine|harmless|healthy|ok(?:ay)?)\b",
    r"\bnothing\s+(?:serious|abnormal|wrong|of\s+concern)\b", r"\b(?:not|no)\s+(?:a\s+)?big\s+deal\b",
    r"\b(?:you\s+can|feel\s+free\s+to)\s+(?:safely\s+)?ignore\b", r"\bcan\s+(?:safely\s+)?be\s+ignored\b",
    r"\b(?:don['’]?t|do\s+not|no\s+need\s+to|try\s+not\s+to|needn['’]?t)\s+(?:worry|stress|fret|panic)\b"
    r"(?!\s+(?:if|when|whether|(?:too\s+much\s+)?about\s+(?:the\s+(?:clock|time)|(?:falling|getting)\s+(?:back\s+)?"
    r"(?:to\s+)?(?:sleep|asleep)|waking\s+(?:up\s+)?briefly)))",
    r"\bI\s+wouldn['’]?t\s+(?:worry|be\s+(?:worried|concerned))",
    r"\b(?:you['’]re|you\s+are|it['’]s|it\s+is|this\s+is|that['’]s|that\s+is|everything(?:['’]s|\s+is)|all\s+is)\s+"
    r"(?:all\s+|totally\s+|completely\s+|perfectly\s+|probably\s+|likely\s+|absolutely\s+|just\s+)?(?:fine|okay|ok|"
    r"all\s+right|alright|healthy|normal|nothing)\b(?!\s+(?:to|for\s+(?:most|many)|more\s+than|like)\b)",
    r"\byour\s+(?:\w+\s+){0,2}(?:is|are|looks?|seems?)\s+(?:all\s+|totally\s+|completely\s+|perfectly\s+)?"
    r"(?:fine|normal|healthy|ok(?:ay)?)\b",
    rf"\byou\s+(?:definitely\s+|certainly\s+|clearly\s+|surely\s+|obviously\s+)?(?:don['’]?t|do\s+not)\s+have\s+"
    rf"{_CONDITION}",
    rf"\b(?:definitely|certainly|clearly|surely|obviously)\s+(?:not|isn['’]t)\s+{_CONDITION}",
    rf"\b(?:don['’]?t|do\s+not)\s+need\s+(?:to\s+(?:see|visit|consult|call)\s+)?(?:a\s+|an\s+|your\s+)?"
    rf"(?:{_CLINICIAN_WORDS}|sleep\s+(?:study|test|clinic))",
    r"\bnothing\s+wrong\s+with\s+(?:you|your)\b",
    "(?:不用|不必|无需|无须|别|不要|用不着)(?:太|过于)?担心|没(?:有)?什么(?:好|可|需要)担心|没(?:啥|什么)大不了|"
    "完全正常|很正常|挺正常|非常正常|属于正常|正常现象|(?:不必|不用|别|无需)在意|不用管|不用理会|可以忽略|忽略就好|"
    "没事(?:的|儿)?(?=[，。！,.!]|$)|没(?:有)?什么(?:问题|大碍)|不要紧|无大碍|没有大碍|你很健康|"
    "(?:不用|不必|无需|无须|没有?必要|不需要)(?:去)?(?:看医生|就医)",
    rf"你(?:肯定|绝对|当然|显然)?没有{_CONDITION_ZH}|(?:肯定|绝对|显然)不是{_CONDITION_ZH}",
)
# "not perfectly normal", "不完全正常", "而不是…正常现象" reassure nobody
_NEGATED_BEFORE = _compile(r"\b(?:not|isn['’]t|aren['’]t|never)\s*$", r"(?:不是|并非|不算|并不)[^，。；]{0,8}$|不$")


def dismissals(text: str) -> list[str]:
    """Each sentence that dismisses a concern or the need for a clinician ("nothing to worry about", "you're
    fine", "no need to see a doctor", "不用担心"). Coaching lines such as "don't worry if you wake briefly" pass;
    whether a dismissal matters (a red-flag night) is the caller's business."""
    return [s for s in _sentences(text)
            if any(not _NEGATED_BEFORE.search(_clause_before(s, m.start())) for m in _DISMISSAL.finditer(s))]


# ---------------------------------------------------------------------------------------------- off task
_OFF_TASK = _compile(
    r"\bas\s+an?\s+(?:AI|artificial\s+intelligence|(?:large\s+)?language\s+model|LLM|chat\s*bot|virtual\s+assistant|"
    r"AI\s+assistant|bot|machine|computer\s+program)\b",
    r"\bI(?:['’]m|\s+am)\s+(?:just\s+|only\s+|not\s+|also\s+|actually\s+)*(?:an?\s+)?(?:AI|artificial\s+intelligence|"
    r"(?:large\s+)?language\s+model|LLM|chat\s*bot|bot|robot|machine|computer|program|human|person|real\s+person|"
    r"(?:medical\s+|sleep\s+)?doctor|physician|nurse|therapist|psychologist|psychiatrist|clinician|"
    r"(?:sleep\s+)?(?:specialist|expert|coach)|(?:virtual\s+)?assistant|medical\s+professional)\b",
    r"\b(?:in|from|over|during|with)\s+(?:all\s+)?my\s+(?:\w+\s+)?(?:years|decades|career|experience|practice)\b",
    r"\bI(?:['’]ve|\s+have)\s+(?:been\s+(?:doing|working|practi[sc]ing|coaching|treating|helping)|done\s+this|"
    r"worked\s+(?:with|as|in)|treated|helped\s+(?:many|countless|lots|hundreds|thousands|so\s+many)|"
    r"seen\s+(?:many|countless|lots|plenty|a\s+lot|hundreds|thousands|so\s+many)|met|known|coached|"
    r"spent\s+(?:years|decades)|been\s+there)\b",
    r"\bmy\s+(?:own\s+)?(?:patients?|clients?|family|wife|husband|kids?|children|son|daughter|mother|father|mum|mom|"
    r"dad|partner|friends?|colleagues?|experience|career|practice|job|training|own\s+sleep|life|feelings?|"
    r"heart\s+goes)\b",
    r"\bI\s+(?:really\s+|truly\s+|also\s+|still\s+|sometimes\s+|personally\s+)?(?:feel|felt|love|loved|hate|hated|"
    r"remember|recall|miss|missed|enjoy|enjoyed|wish|struggle|struggled|used\s+to|was\s+once|grew\s+up|"
    r"sympathi[sz]e|empathi[sz]e|can\s+relate|know\s+(?:exactly\s+)?how\s+you\s+feel|understand\s+how\s+you\s+feel)\b",
    r"\bsorry\s+for\s+your\s+loss\b|\bmy\s+condolences\b|\bwhen\s+I\s+was\b|\bpersonally,?\s+I\b",
    r"\b(?:something|anything)\s+(?:is\s+|['’]s\s+)?wrong\s+with\s+you\b(?!r)",
    r"\bwrong\s+with\s+your\s+(?:mind|head|brain|psyche|personality|character)\b",
    r"\byour\s+(?:psyche|personality|character|temperament|ego|subconscious|inner\s+self|soul|willpower|"
    r"self[-\s]esteem|mental\s+state)\b",
    r"\b(?:all|just)\s+in\s+your\s+head\b",
    r"\b(?:problem|issue)s?\s+(?:with|in)\s+your\s+(?:mind|head|psyche|personality|character)\b",
    r"\byou(?:['’]re|\s+are)(?:\s+(?:just|simply|being|probably|clearly|obviously|a\s+bit|quite|very|too|really|so|"
    r"kind\s+of|a\s+little))*\s+(?:lazy|weak|crazy|insane|mad|stupid|dumb|pathetic|hysterical|paranoid|neurotic|"
    r"dramatic|over[-\s]?sensitive|overreacting|a\s+hypochondriac|attention[-\s]seeking|unmotivated|undisciplined|"
    r"irresponsible|selfish|broken|mentally\s+ill|unstable|weird|lonely|depressed)\b",
    r"\byou\s+(?:seem|sound|look|appear|must\s+be|might\s+be|may\s+be|could\s+be|are\s+probably|['’]re\s+probably)"
    r"(?:\s+to\s+be)?(?:\s+(?:quite|very|a\s+bit|rather|really|so|a\s+little|pretty|somewhat))*\s+(?:depressed|"
    r"lonely|anxious|sad|unhappy|troubled|disturbed|lazy|weak|angry|frustrated|upset|bored|isolated|suicidal|"
    r"mentally|unwell|fragile|unstable|insecure|neurotic|obsessed|obsessive|paranoid)\b",
    "作为(?:一个|一名|一款)?(?:AI|人工智能|语言模型|大语言模型|机器人|智能助手|聊天机器人|助手|医生|专家)",
    "我(?:只)?(?:是|不是)(?:一个|一名|一款|个)?(?:AI|人工智能|语言模型|大语言模型|机器人|智能助手|聊天机器人|医生|"
    "心理医生|专家|护士|真人|人类)",
    "我(?:做这行|从业|行医|干这行|当医生)|(?:根据|以|凭|按照)我(?:的|多年的|这么多年的)?(?:经验|从业经验|临床经验)",
    "我的(?:病人|患者|客户|来访者|家人|孩子|妻子|丈夫|老婆|老公|父母|朋友|同事|经验|经历|职业|生活)",
    "我(?:也|曾经|以前|也曾|真的)?(?:很|非常)?(?:难过|伤心|心疼|喜欢|爱|记得|想念|怀念|感同身受|理解你的感受|失眠过|"
    "经历过)|节哀",
    "你的(?:心理|精神|性格|人格|脑子|头脑|心态)(?:可能|好像|似乎|是不是|肯定|一定)?(?:有|出了|出)?(?:问题|毛病|不正常|缺陷)",
    "你(?:这个人)?(?:太|很|真|就是|有点|也太|实在)(?:懒|懒惰|脆弱|软弱|矫情|玻璃心|神经质|疯|傻|笨|没用)",
    "你(?:好像|似乎|看起来|可能|应该|大概|是不是)(?:很|有些|有点|比较)?(?:抑郁|孤独|焦虑|难过|不开心|压抑|心理有问题|想太多)",
    "你(?:有病|不正常|想太多了)",
)


def off_task(text: str) -> list[str]:
    """Each sentence in which the model talks about itself (its experience, feelings, identity: "as an AI",
    "in my years of practice") or speculates about the user's mind or character ("you seem depressed", "你的
    心理有问题"). The coach's own formulas ("My advice for tonight is...", "I can't see that in your data")
    pass."""
    return [s for s in _sentences(text) if _OFF_TASK.search(s)] if _OFF_TASK.search(text) else []


# ---------------------------------------------------------------------------------- question red flags
_BREATH = r"br(?:ea|e)th?(?:e|es|ing|in)?\b"
_RED_FLAGS: dict[QuestionFlag, re.Pattern[str]] = {
    QuestionFlag.BREATHING: _compile(
        rf"\b(?:stop(?:s|ped|ping)?|quit(?:s|ting)?|paus(?:e|es|ed|ing))\s+{_BREATH}",
        r"\bbreathing\s+(?:stops|stopped|pauses|paused|cuts\s+out)",
        rf"\b(?:pauses?|gaps?)\s+in\s+(?:\w+\s+)?{_BREATH}",
        r"\bgasp\w*", r"\bchok(?:es|ed|ing)\s+(?:at\s+night|in\s+(?:my|his|her|their)\s+sleep|awake)",
        r"\b(?:wake|woke|waking|wakes)\s+(?:up\s+)?(?:gasping|choking|struggling|short\s+of\s+breath|"
        r"unable\s+to\s+breathe)",
        r"\b(?:can['’]?t|cannot|couldn['’]?t)\s+(?:breathe|catch\s+(?:my|his|her)\s+breath)",
        r"\bshort(?:ness)?\s+of\s+breath", r"\bsnort\w*\s+awake", r"\bnot\s+breathing\b", r"\bbreathless",
        r"憋醒|憋气|憋得|呼吸(?:会|就)?(?:停止|停顿|中断|停了|停住|暂停了|暂停几秒|会停)|停止呼吸|不呼吸|没有呼吸|"
        r"喘不(?:过|上)气|透不过气|上不来气|呛醒|(?:惊醒|醒来)[^。？！?]{0,4}喘|大口喘气|窒息|气短|呼吸困难"),
    QuestionFlag.DROWSY_DRIVING: _compile(
        r"\b(?:fall(?:ing|en|s)?\s+asleep|fell\s+asleep|nod(?:ding|ded|s)?\s+off|doz(?:e|es|ed|ing)\s+off|"
        r"drift(?:ed|ing|s)?\s+off|nodded|dozed|microsleep\w*|"
        r"(?:eyes|eyelids)\s+(?:keep\s+|kept\s+|start\s+|started\s+)?(?:clos\w*|shut\w*))"
        r"[^.?!]{0,40}?\b(?:while|at\s+the\s+wheel|behind\s+the\s+wheel|driv\w*|on\s+the\s+(?:road|motorway|highway|"
        r"freeway)|in\s+traffic|at\s+(?:red\s+)?lights?)",
        r"\b(?:driv\w*|at\s+the\s+wheel|behind\s+the\s+wheel)\b[^.?!]{0,40}?\b(?:fall(?:ing)?\s+asleep|fell\s+asleep|"
        r"nod(?:ding|ded)?\s+off|nodded|doz\w+|drift\w*\s+off|microsleep|eyes\s+clos\w+)",
        r"\b(?:near[-\s]?miss|(?:nearly|almost)\s+(?:crashed|crash|hit)|drift(?:ed|ing)\s+(?:out\s+of|into|across)\s+"
        r"(?:my\s+|the\s+)?(?:\w+\s+)?lane|rumble\s+strip)",
        r"(?:开车|驾车|驾驶|开着车|行车|握着方向盘|高速上|等红灯)[^。？！?]{0,10}?(?:睡着|睡过去|打瞌睡|"
        r"打了?(?:个|一个|一下)?盹|瞌睡|眯(?:着|了)|差点)|(?:睡着|打瞌睡|打盹)[^。？！?]{0,6}?(?:开车|驾驶)|"
        r"差点(?:撞|出事|追尾|出车祸)"),
    QuestionFlag.CHILD_SNORING: _compile(
        rf"\b{CHILD_EN}\b[^.?!]{{0,60}}?\bsno(?:a)?r\w*[^.?!]{{0,40}}?\b(?:every\s+(?:single\s+)?night|each\s+night|"
        r"most\s+nights|nightly|all\s+night|night\s+after\s+night|constantly|always|a\s+lot|loud\w*|"
        r"like\s+a\s+train|heavily|all\s+the\s+time)",
        rf"\b{CHILD_EN}\b[^.?!]{{0,60}}?\b(?:(?:stop\w*|paus\w*)\s+{_BREATH}|gasp\w*)",
        rf"{CHILD_ZH}[^。？！?]{{0,20}}?(?:(?:打鼾|打呼噜|打呼|鼾声|呼噜)[^。？！?]{{0,10}}?(?:每晚|每天晚上|天天|经常|"
        r"总是|几乎每晚|一直|很响|很大|特别响|严重|整夜)|(?:每晚|每天晚上|天天|经常|总是|几乎每晚|一直|整夜)"
        r"[^。？！?]{0,6}?(?:打鼾|打呼噜|打呼)|憋气|憋醒|呼吸暂停|停止呼吸)"),
    QuestionFlag.RESTLESS_LEGS: _compile(
        r"\b(?:urge|need|have|compulsion|want)\s+to\s+(?:move|stretch|kick|shake)\s+(?:my|his|her|their|the)\s+legs",
        r"\b(?:creepy[-\s]?crawly|crawl\w*|creep\w*|tingl\w*|restless|jumpy|fidgety|antsy)[^.?!]{0,30}?\blegs?\b",
        r"\blegs?\b[^.?!]{0,30}?(?:creepy[-\s]?crawly|crawl\w*|creep\w*|restless|jumpy|fidgety|antsy|"
        r"won['’]?t\s+(?:stay|keep)\s+still|can['’]?t\s+(?:keep|stay|hold)\s+(?:them\s+)?still|have\s+to\s+(?:move|"
        r"get\s+up|walk)|keep\s+moving)",
        r"\bRLS\b|\bWillis[-\s]Ekbom",
        r"不宁腿|不安腿|腿(?:部|上)?[^。？！?]{0,6}?(?:有?蚁爬感|像有虫子?(?:在)?爬|像蚂蚁(?:在)?爬|虫爬|想动|要动|"
        r"停不下来)|(?:总|老|老是|一直|忍不住|非得)想(?:动|活动|挪动|蹬)(?:腿|脚)|蚁爬感"),
    QuestionFlag.CHEST_PAIN: _compile(
        r"\bchest\s+(?:pains?|tightness|pressure|hurts?|aches?|discomfort|(?:is|feels?|gets)\s+tight|tight)",
        r"\bpain\s+in\s+(?:my|the|his|her)\s+chest", r"\btight(?:ness)?\s+(?:in|across)\s+(?:my|the|his|her)\s+chest",
        r"\bangina\b", r"\bheart\s+(?:is\s+)?(?:racing|pounding|hammering)[^.?!]{0,40}?\b(?:pain|hurts?|ache)",
        r"\b(?:pain|hurts?|ache)[^.?!]{0,40}?\bheart\s+(?:racing|pounding)",
        r"胸(?:口|部)?(?:痛|疼|闷|发紧|发闷|压迫|不适|刺痛)|心口(?:痛|疼)|心绞痛|"
        r"心(?:脏)?(?:狂跳|乱跳|跳得(?:很|特别|好)快|怦怦跳)[^。？！?]{0,8}(?:痛|疼)"),
    QuestionFlag.SELF_HARM: _compile(
        r"\bsuicid\w*", r"\bkill(?:ing)?\s+(?:my|him|her|them)sel(?:f|ves)\b",
        r"\bend(?:ing)?\s+(?:it\s+all|my\s+(?:own\s+)?life|things|everything)\b",
        r"\b(?:thinking|thought|think)\s+(?:about|of)\s+ending\s+it\b", r"\btake\s+my\s+(?:own\s+)?life\b",
        r"\b(?:don['’]?t|do\s+not|no\s+longer|not)\s+(?:really\s+|even\s+)?(?:want|wanna)\s+to\s+(?:live|be\s+alive|"
        r"go\s+on|exist|be\s+here|keep\s+going|wake\s+up\s+(?:ever\s+)?again)\b",
        r"\b(?:can['’]?t|cannot)\s+go\s+on\b", r"\bbetter\s+off\s+(?:dead|without\s+me)\b",
        r"\bwish\s+I\s+(?:was|were)\s+(?:dead|gone|never\s+born)\b",
        r"\bwish\s+I\s+(?:would|could)\s+(?:just\s+)?(?:die|disappear|never\s+wake\s+up)\b",
        r"\b(?:want|wanna|wants)\s+to\s+die\b", r"\bself[-\s]?harm",
        r"\b(?:hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?)\s+myself\b",
        r"\bno\s+(?:point|reason)\s+(?:in\s+)?(?:living|going\s+on|to\s+live)\b", r"\bnot\s+worth\s+living\b",
        r"\bnever\s+wake\s+up\s+again\b", r"\b(?:want|wanna|wish\s+I\s+could)\s+(?:to\s+)?sleep\s+forever\b",
        r"\btired\s+of\s+(?:living|life|being\s+alive)\b",
        r"不想活|活着没(?:什么|啥)?(?:意思|意义|劲)|活不下去|(?<![困累热吓得])想死|去死|自杀|轻生|"
        r"结束(?:一切|生命|自己|这一切|我的生命)|伤害自己|自残|自伤|割腕|死了算了|死了就好|一了百了|不如死了|(?:没有我|我不在了?)[^。？！?]{0,6}(?:更好|会好)|"
        r"不想再醒来|永远(?:不要|别)醒来|再也不要醒来|一睡不醒"),
}
_PERSONAL_EN = _compile(rf"\b{PERSON_EN}\b")
_PERSONAL_ZH = re.compile(PERSON_ZH)
_GENERIC_ZH = re.compile("什么是|是什么|哪些|下列|哪一项|哪种|通常|一般|有关系|有关吗|区别|不同|人们|的人|患者|为什么会|怎么检查|如何确诊")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _about_someone(question: str) -> bool:
    """Whether the question tells of the asker or someone close, not of people in general."""
    if _PERSONAL_EN.search(question) or _PERSONAL_ZH.search(question):
        return True
    # Chinese drops the pronoun ("开车时睡着了"): personal unless it asks about people in general
    return bool(_CJK.search(question)) and not _GENERIC_ZH.search(question)


def question_red_flags(question: str) -> set[QuestionFlag]:
    """The red-flag symptoms a user's question describes (breathing pauses, drowsy driving, a snoring child,
    restless legs, chest pain, thoughts of self-harm), in English or Chinese. A general question about a
    condition ("does snoring matter?", "what is restless legs syndrome?") raises none; thoughts of self-harm
    always do."""
    flags = {flag for flag, pattern in _RED_FLAGS.items() if pattern.search(question)}
    if QuestionFlag.SELF_HARM not in flags and not _about_someone(question):
        return set()
    return flags
