"""Whether a reply diagnoses, in English and Chinese (Simplified): a condition counts only when it is said of the
user or their data ("your dips are consistent with apnea", "it's almost certainly insomnia", "你的症状和睡眠呼吸暂停
很吻合"), not in general knowledge ("loud snoring can be a sign of apnea"), a deferral ("only a sleep study can
tell whether it is apnea"), a supposition or a negation. A handful of regexes over sentences and clauses, built
once at import from the lexicons in `safety_words`; drugs are read in `medication`, talk off the task in
`off_task`, referrals and red flags in `referrals`.
"""

from __future__ import annotations

import re

from sleepcot.coach.guard.safety_words import CLINICIAN_WORDS, CONDITION_EN, CONDITION_ZH, alternation
from sleepcot.coach.guard.sentences import (
    clause_before,
    clause_end,
    compile_any,
    compile_words,
    sentences,
)

_HEDGE_EN = (r"(?:may|might|could|must|would|will|probably|likely|possibly|perhaps|definitely|clearly|certainly|"
             r"obviously|surely|already|now|still|really|actually|well|indeed|also|all|both|strongly|"
             r"(?:most|very|quite|almost)\s+(?:likely|probably|possibly|certainly|surely|definitely)|"
             r"in\s+all\s+likelihood|undoubtedly|unquestionably|without\s+(?:a\s+|any\s+)?doubt|no\s+doubt|"
             r"seem\s+to|appear\s+to|seemingly|apparently)")
# what may stand between a link word and the condition: "a case of", "the classic signs of", "mild"
_MODIFIER_EN = (r"(?:(?:an?|the|some|mild|moderate|severe|chronic|acute|early|possible|probable|likely|classic|"
                r"textbook|clear|typical|full[-\s]blown|true|real|genuine|borderline|clinical|underlying|"
                r"undiagnosed|untreated|form|kind|type|sort|case|sign|signs|symptom|symptoms|degree|touch|bit|"
                r"little|variant|stage|episode|episodes|features?|hallmarks?|picture|of|primary|secondary|"
                r"paradoxical|comorbid|(?:sleep[-\s]+)?(?:onset|maintenance)|what\s+(?:doctors|experts|clinicians|"
                r"specialists)\s+(?:would\s+)?call|(?:sleep\s+)?(?:problem|condition|issue)\s+(?:called|known\s+as|named))\s+){0,5}")
# "insomnia criteria", "apnea treatment": the condition names something else
_CONDITION_TAIL_EN = (r"(?![-\s]+(?:criteria|treatments?|therap(?:y|ies)|drugs?|medications?|medicines?|clinics?|"
                      r"specialists?|stud(?:y|ies)|tests?|testing|screening|research(?:ers)?|patients|sufferers|"
                      r"risks?|guidelines?|cards?|definition|programm?e?s?|apps?|care|management|diary|"
                      r"questionnaire|scores?|scale|index|severity|masks?|machines?|devices?|trials?|rates?)\b)"
                      r"(?![\w-])")
CONDITION_PHRASE_EN = rf"{_MODIFIER_EN}{CONDITION_EN}{_CONDITION_TAIL_EN}"
_YOU_VERB = (r"(?:have|has|got|be|been|are|suffer(?:ing)?\s+from|developed|developing|experiencing|"
             r"dealing\s+with|living\s+with|struggling\s+with|battling|diagnosed\s+with|show(?:ing)?|"
             r"coming\s+down\s+with|fighting(?:\s+off)?|catching|getting|(?:seem|appear|look|sound)s?(?:\s+like)?|"
             r"display(?:ing)?|(?:meet|meeting|fit|fitting|match|matching)\s+(?:the\s+)?(?:criteria|definition|"
             r"picture|profile)\s+(?:for|of))")
# what joins a subject ("your data", "these dips") to the condition it is said to be
_LINK_EN = (rf"(?:\s+{_HEDGE_EN})*(?:(?:['’]s|\s+(?:is|are|was|were|be|been))(?:\s+{_HEDGE_EN})*"
            r"(?:\s+(?:consistent|compatible)\s+with|\s+(?:suggestive|indicative|typical|characteristic|diagnostic|"
            r"symptomatic|pathognomonic|emblematic)\s+of|\s+(?:(?:clear|strong|good)\s+)?evidence\s+(?:of|for)|"
            r"\s+classic\s+for|\s+in\s+(?:line|keeping)\s+with|\s+(?:an?|the)\s+(?:(?:classic|typical|clear|telltale|"
            r"tell-tale|hallmark|textbook|warning)\s+)?(?:hallmark|sign|signal|symptom|marker|feature|picture|pattern)\s+of|"
            r"\s+(?:due\s+to|caused\s+by|because\s+of|(?:a\s+)?result\s+of|down\s+to|driven\s+by|linked\s+to|related\s+to|"
            r"associated\s+with|connected\s+(?:to|with)|tied\s+to|typical\s+for|from))?|"
            r"\s+(?:looks?|sounds?|seems?|feels?)\s+(?:a\s+lot\s+|very\s+much\s+|much\s+)?like|"
            r"\s+(?:seems?|appears?|looks?)\s+to\s+be|\s+(?:seems?|looks?|sounds?)\s+(?:consistent|compatible)\s+with|"
            r"\s+(?:suggests?|indicates?|points?\s+(?:to|towards?)|signals?|fits?|match(?:es)?|means?|reflects?|confirms?|"
            r"show(?:s|ing)?|reveals?|(?:comes?|stems?|results?)\s+from|"
            r"proves?|has|have|suffers?\s+from|(?:has\s+)?got|developed|hints?\s+(?:at|towards?)|resembles?|"
            r"screams?|shouts?|says?|spells?|yells?|"
            r"smacks?\s+of|speaks?\s+(?:to|of)|adds?\s+up\s+to|paints?\s+(?:a|the)\s+(?:\w+\s+)?picture\s+of|"
            r"(?:is|are)\s+(?:a\s+)?(?:red\s+flags?|warning\s+signs?)\s+for)|"
            rf"\s+(?:meets?|fits?)\s+the\s+(?:criteria|definition|profile)\s+(?:for|of))(?:\s+{_HEDGE_EN})*\s+")
_AUXILIARY = r"(?:is|are|was|were|be|been|may|might|could|must|can|will|would|should|does|do|did|has|have|had|not)"
_NEGATION_EN = r"(?:not|never|no|cannot|(?:does|do|did|is|are|was|were|can|could|won|would|should)n['’]?t)\b"  # "your data doesn't show"
_DIAGNOSIS_ANYWHERE_EN = compile_words(
    # you have / you may be suffering from / you're an insomniac / you show signs of / he has
    rf"\b(?:you|he|she)(?:['’](?:re|ve|d|ll|s)|(?=\s+(?:{_HEDGE_EN}|{_YOU_VERB}|has|suffers)\b))"
    rf"(?:\s+(?:{_HEDGE_EN}|{_YOU_VERB}|has|suffers\s+from))*\s+{CONDITION_PHRASE_EN}",
    # "your insomnia" takes the condition as given
    rf"\byour\s+{CONDITION_PHRASE_EN}",
    # insomnia is likely / apnea is probably the cause
    rf"\b{CONDITION_EN}\s+(?:is|seems|looks)\s+(?:(?:most|very|quite|highly)\s+)?(?:likely|probable)\b(?!\s+to\b)",
    rf"\b{CONDITION_EN}\s+is\s+(?:a|one)\s+(?:real|strong|distinct|definite|clear|likely)?\s*possibility\b",
    rf"\b{CONDITION_EN}\s+(?:is|seems|looks)\s+(?:probably|likely|most\s+likely|to\s+be)\s+(?:the\s+)?(?:cause|"
    r"culprit|reason|explanation|problem|issue|what)\b",
    rf"\b(?:all\s+(?:the\s+)?signs|everything|all\s+of\s+this)\s+points?\s+(?:to|towards?)\s+{CONDITION_PHRASE_EN}",
    # matching what the user describes to a condition: "... fit the description of central sleep apnea"
    rf"\bfits?\s+the\s+(?:description|picture)\s+of\s+{CONDITION_PHRASE_EN}",
    rf"\bis\s+(?:exactly\s+)?(?:how|what)\s+{CONDITION_EN}\s+is\s+(?:described|defined)\b",
    # your data / your husband's snoring ... looks like, is consistent with
    rf"\byour(?:\s+(?!{CLINICIAN_WORDS}|{_NEGATION_EN})[\w'’%.-]+){{1,4}}?{_LINK_EN}{CONDITION_PHRASE_EN}",
    # I suspect sleep apnea / I think it's insomnia / my guess is apnea
    rf"\b(?:I|we)(?:['’]d|\s+would)?(?:\s+(?:strongly|really|honestly|do))?\s+(?:suspect|think|believe|guess|bet|"
    rf"reckon|say)(?:\s+that)?(?:\s+(?:it['’]s|it\s+is|this\s+is|that['’]s))?\s+{CONDITION_PHRASE_EN}",
    rf"\bmy\s+money(?:['’]s|\s+is|\s+would\s+be)\s+on\s+{CONDITION_PHRASE_EN}",
    rf"\b{CONDITION_EN}\s+(?:(?:would|could|might|may|does|probably|likely|clearly)\s+)?(?:also\s+)?explains?\s+"
    r"(?:your|these|this|those|the\s+(?:dips|numbers|readings|results|pattern|symptoms))\b",
    rf"\b{CONDITION_EN}\s+is\s+(?:(?:probably|likely|clearly|surely)\s+)?what['’]?s?\s+(?:is\s+)?(?:going\s+on|happening)\b",
    rf"\bmy\s+(?:guess|impression|hunch|suspicion|read|bet|feeling)\s+(?:is|would\s+be)"
    rf"(?:\s+that)?(?:\s+(?:it['’]s|it\s+is|this\s+is))?\s+{CONDITION_PHRASE_EN}",
    r"\bI\s+(?:would\s+)?diagnose\b", r"\bmy\s+diagnosis\b",
    # your watch detected apnea / your data has flagged signs of insomnia
    rf"\byour\s+(?:[\w'’-]+\s+){{0,2}}?(?:watch|ring|tracker|wearable|device|band|app|data|readings?|numbers|results|"
    rf"oura|whoop|fitbit|garmin|polar|withings)\s+(?:(?:has|have|had|already|clearly|probably|likely|may\s+have|"
    rf"might\s+have)\s+)*(?:detected|flagged|picked\s+up|spotted|identified|registered|recorded|caught|found|"
    rf"diagnosed|confirmed)\s+{CONDITION_PHRASE_EN}",
    rf"\b(?:your|the)\s+diagnosis\s+(?:is|would\s+be)\s+{CONDITION_PHRASE_EN}",
    rf"\bcase\s+of\s+{CONDITION_PHRASE_EN}",
    rf"\b{CONDITION_EN}\s+(?:is|seems|looks|would\s+be)\s+(?:(?:probably|likely|clearly|surely|certainly|definitely)\s+)?"
    r"(?:to\s+be\s+)?(?:the\s+(?:obvious|likely|probable|most\s+likely|real|clear|best|only)|your)\s+(?:\w+\s+)?"
    r"(?:cause|culprit|reason|explanation|problem|issue|diagnosis|answer)\b(?!\s+(?:of|for)\b)",
    rf"\b(?:see|spot|recogni[sz]e|read|think\s+of)\s+{CONDITION_PHRASE_EN}\s+(?:in|behind)\s+(?:your|these|this|the|those)\s+"
    r"(?:\w+\s+)?(?:numbers|data|readings|results|pattern|nights?|figures)",
    rf"\b(?:tick(?:s|ing)?|check(?:s|ing)?)\s+(?:every|all\s+the|most\s+of\s+the|the)\s+box(?:es)?\s+for\s+{CONDITION_PHRASE_EN}",
    rf"\b(?:that\s+explains\s+it|put\s+simply|simply\s+put|in\s+short|in\s+a\s+word|in\s+one\s+word|bottom\s+line|the\s+verdict|verdict|"
    rf"my\s+take|short\s+answer|in\s+summary)\s*[:,—–-]\s*{CONDITION_PHRASE_EN}",
    rf"\b{CONDITION_EN}{_CONDITION_TAIL_EN},?\s+(?:in\s+your\s+case|for\s+you|in\s+you)\b",
    rf"\b(?:classic|textbook|full[-\s]blown|clear[-\s]cut)\s+{CONDITION_EN}{_CONDITION_TAIL_EN}",
)
# a subject that must open its clause ("that" in "snoring that is loud may be apnea" is no subject)
_DIAGNOSIS_CLAUSE_START_EN = compile_words(
    rf"\b(?:this|that|these|those|it|everything|it\s+all|all\s+(?:of\s+)?(?:this|that|it))(?:\s+(?!{_AUXILIARY}\b)[\w'’-]+){{0,2}}?"
    rf"{_LINK_EN}{CONDITION_PHRASE_EN}",
    rf"\bwhat\s+you(?:['’](?:re|ve))?\s+(?:are\s+|have\s+)?(?:describ\w*|ha(?:ve|d)|experienc\w*|feel\w*|"
    rf"mention\w*|notic\w*|report\w*|s(?:ee|aw|een))(?:\s+\w+)?{_LINK_EN}{CONDITION_PHRASE_EN}",
    rf"\bthe\s+(?:dips|drops|readings|numbers|results|data|pattern|symptoms|signs|feelings?|sensations?|"
    rf"episodes|pauses)(?:\s+(?:you|your\s+\w+)\s+\w+)?{_LINK_EN}{CONDITION_PHRASE_EN}",
    rf"\b(?:sounds|looks|seems|feels)\s+(?:a\s+lot\s+|very\s+much\s+|much\s+)?like\s+{CONDITION_PHRASE_EN}",
)
_CLAUSE_OPENER = re.compile(
    r"(?:^|\b(?:and|then|because|since|as|think|suspect|guess|say|believe|feel|fear|afraid|sure|honestly|"
    r"frankly|overall|clearly|probably|likely|that|to\s+me|me|(?:chances|odds)\s+are|in\s+short|put\s+simply|"
    r"simply\s+put|bottom\s+line|in\s+my\s+view)|\d+[.)]|我觉得|我认为|我看|看来)\s*$", re.I)
# the condition is asked about or deferred, not attributed
_DEFERRAL_IN_CLAUSE_EN = re.compile(
    r"(?:\bwhether|in\s+case|rule[sd]?\s+(?:it\s+)?out|ruling\s+out|"
    r"(?:check|test|screen|look|assess|evaluat)\w*\s+(?:you\s+)?(?:for|whether|if)|"
    r"(?:\bnot|n['’]t)\s+(?:necessarily\s+|automatically\s+|always\s+)?(?:mean|prove|show|confirm|tell|indicate|"
    r"say|imply)|no\s+(?:sign|evidence|way\s+to\s+(?:know|tell))|(?:can\s*no|can['’]|could\s*n['’]|could\s+no)t\s+"
    r"(?:tell|say|know|diagnose|confirm|rule)|only\s+(?:a|an|your|the)\s+[\w\s]{0,30}?\b(?:can|could|will)|"
    r"to\s+(?:find\s+out|know|tell|see|confirm|learn)|(?:people|anyone|those|someone|adults|children|women|"
    r"men)\s+(?:who|with)|for\s+people|ask\s+(?:a|your|the)\s+\w+|(?:do|does|did|(?<!chances\s)(?<!odds\s)are|have|were)\s*$)", re.I)
# "if", "when" make the whole sentence a supposition ("When it is loud ..., that may be apnea"); after the
# condition they make it a definition ("it fits insomnia disorder when it happens 3 nights a week")
_CONDITIONAL_EN = re.compile(
    r"\b(?:if(?!\s+(?:I\s+(?:had|were)\s+to\s+guess|you\s+ask\s+me|I['’]m\s+honest))|unless|when|whenever|once)\b",
    re.I)

_HEDGE_ZH = "(?:可能|或许|也许|大概|应该|很可能|多半|八成|恐怕|似乎|好像|显然|明显|肯定|确实|已经|都|就|也|真的|其实|基本上|大概率|估计|一定)*"
_MODIFIER_ZH = "(?:(?:轻度|中度|重度|严重|慢性|急性|一定程度|一些|一点|有点|点|些|早期|典型|明显|某种|所谓)的?)?"
_CONDITION_TAIL_ZH = (r"(?=的?(?:迹象|症状|表现|特征|信号|征兆|可能|典型表现|问题|倾向|情况|人群|患者)|引起|导致|所致|造成|"
                      r"[了吧啊呀呢。！？；，,.!?;：:\s]|$)")
CONDITION_PHRASE_ZH = f"{_MODIFIER_ZH}{CONDITION_ZH}{_CONDITION_TAIL_ZH}"
_LIKELY_ZH = "很可能|大概率|多半|八成|估计|十有八九"  # "most likely": a verdict said as a guess
_DIAGNOSIS_ZH = re.compile(alternation(
    rf"[你您]{_HEDGE_ZH}(?:是得了|是患了|是有|患有|患上了?|得了|有了?|是|属于|出现了|存在|像是|疑似|符合){CONDITION_PHRASE_ZH}",
    rf"(?:这|这些|这种|这样|那|那些|此|你的|您的)(?:(?![不没非未别])[^\s，。；！？,;:：、]){{0,6}}?{_HEDGE_ZH}"
    rf"(?:就是|正是|是|属于|符合|提示|说明|表明|意味着|代表|像是|像|看起来像是?|看起来是|听起来像是?|疑似|"
    rf"反映了?|指向)了?{_HEDGE_ZH}(?:你|您)?(?:有|患有|得了)?{CONDITION_PHRASE_ZH}",
    rf"(?:疑似|像是|看起来像是?|看上去像是?|听起来像是?|很像是?){_HEDGE_ZH}{CONDITION_PHRASE_ZH}",
    rf"我(?:怀疑|觉得|认为|猜|估计|判断)(?:你)?{_HEDGE_ZH}(?:是|有|得了|患有)?{CONDITION_PHRASE_ZH}",
    rf"(?:你的|您的|这些|这)[^，。；！？,;]{{0,8}}?(?:和|与|跟){CONDITION_ZH}(?:很|非常|比较|完全)?(?:吻合|一致|相符|相似|像)",
    rf"(?:你的|您的)[^，。；！？,;]{{0,8}}?(?:和|与|跟){CONDITION_ZH}(?:有关|相关|有关系)",
    rf"{CONDITION_ZH}(?:就)?(?:可以|能|能够|正好|刚好)?解释(?:了)?(?:你|您)的",
    rf"^(?:{_LIKELY_ZH})(?:就)?是{CONDITION_PHRASE_ZH}",
    rf"[你您][^。！？；]{{0,20}}[，,]\s*(?:就|这)?是{CONDITION_PHRASE_ZH}",  # "从你的描述来看，是典型的不宁腿综合征"
    rf"[你您]的{_MODIFIER_ZH}{CONDITION_ZH}(?!认知|治疗|疗法|药|门诊|专科|检查|监测|风险|评分|量表|日记)",
    rf"(?:符合|正是|就是){_MODIFIER_ZH}{CONDITION_ZH}(?:的)?(?:诊断)?(?:标准|表现|特征|特点|定义|描述)",
    rf"(?:是|正是|就是)对{_MODIFIER_ZH}{CONDITION_ZH}的(?:描述|定义)",
    r"我的诊断|诊断(?:为|结果是)|确诊(?:为|了)|被诊断(?:为|出|患有)",
    rf"[你您]{_HEDGE_ZH}(?:正在|在)?(?:发烧|发热|感冒|生病|着凉|缺铁|贫血)(?!时|的时候|期间|后|以后|的话)",
    rf"(?:你的|您的)(?:手表|手环|戒指|设备|数据|记录|报告|读数)(?:(?![不没非未别])[^\s，。；！？,;:：、]){{0,4}}?"
    rf"(?:检测到|监测到|发现|显示|识别出|诊断出|查出)了?{_HEDGE_ZH}(?:有)?{CONDITION_PHRASE_ZH}",
    rf"(?:可以|能够|能)?(?:确定|断定|肯定|认定)(?:你|您)?(?:就)?(?:是|为|患有|有){CONDITION_PHRASE_ZH}",
))
# a subject that stands for what came before, said of the user once the sentence has named them: "your SpO2
# fell to 81%, which is consistent with apnea", "根据你的描述，很可能是不宁腿综合征"
_DIAGNOSIS_AFTER_THE_USER = compile_any(
    rf"\bwhich{_LINK_EN}{CONDITION_PHRASE_EN}",
    # a verdict put after what the user's data shows: "your rhythm is irregular, probably AFib"
    rf"\b(?:(?:most|very|quite|almost)\s+)?(?:probably|likely|possibly|maybe|perhaps|certainly|surely|definitely|"
    rf"clearly)\s+{CONDITION_PHRASE_EN}(?=\s*(?:[.!?,;:)—–]|$))",
    rf"(?:{_LIKELY_ZH}|大概|可能|应该|基本上?)(?:就)?(?:是|属于){CONDITION_PHRASE_ZH}")
# a condition named first, then said to be the user's: "..., which is probably what you have", "这多半就是你的情况"
_SAID_TO_BE_YOURS = compile_any(
    rf"\b(?:which|that|this|it)(?:['’]s|\s+is|\s+(?:may|might|could|would|must)\s+be)(?:\s+{_HEDGE_EN})*\s+"
    rf"(?:exactly\s+|precisely\s+)?(?:what\s+(?:you|he|she)(?:['’]re|\s+are|\s+is)?(?:\s+{_HEDGE_EN})*\s+(?:have|has|had|"
    r"got|experiencing|dealing\s+with|going\s+through|suffering\s+from|living\s+with)\b|"
    r"what['’]?s?\s+(?:is\s+)?(?:going\s+on|happening)\s+(?:with|to)\s+you\b|your\s+(?:problem|issue|situation|case)\b)",
    rf"(?:这|那|它)(?:{_HEDGE_ZH})(?:就是|正是|是)(?:你|您)(?:现在|目前)?的(?:情况|问题|状况|毛病)")
_USER_NAMED = compile_any(r"\byou(?:r|['’]re|['’]ve)?\b", "你|您")
_DEFERRAL_IN_CLAUSE_ZH = re.compile(
    "是否|是不是|有没有|能否|才能|确诊|诊断|判断|排除|检查|监测|筛查|不代表|不等于|不意味着|不说明|并不|"
    "不一定|未必|想知道|区分|区别|担心|害怕|以为")
_CONDITIONAL_ZH = re.compile("如果|假如|要是|即使|哪怕|只要|若是?|(?:时|的时候|的话)[，,]")

_DIAGNOSIS_WORD = re.compile(r"diagnos|诊断|确诊", re.I)  # "my diagnosis", "确诊为": no condition named yet
_ANY_CONDITION = compile_words(rf"\b{CONDITION_EN}", CONDITION_ZH)


def _attributed(sentence: str, match: re.Match[str], *, clause_opener: bool = False) -> bool:
    """Whether the condition in `match` is said of the user, not asked about, deferred or supposed."""
    clause = clause_before(sentence, match.start())
    if clause_opener and not _CLAUSE_OPENER.search(clause):
        return False
    before, rest_of_clause = sentence[: match.start()], sentence[match.end() : clause_end(sentence, match.end())]
    return not (_DEFERRAL_IN_CLAUSE_EN.search(clause) or _DEFERRAL_IN_CLAUSE_ZH.search(clause)
                or _CONDITIONAL_EN.search(before) or _CONDITIONAL_ZH.search(before)
                or _CONDITIONAL_EN.search(rest_of_clause))


def diagnoses(text: str) -> list[str]:
    """Each sentence that tells the user, or says of their data, that they have a condition: directly ("you
    have sleep apnea"), hedged ("it could well be apnoea", "your data looks like insomnia") or indirectly ("a
    case of apnoea", "这可能是睡眠呼吸暂停"). General knowledge, deferral to a clinician and negation pass."""
    if not (_ANY_CONDITION.search(text) or _DIAGNOSIS_WORD.search(text)):  # most replies name no condition
        return []
    found = []
    for sentence in sentences(text):
        if not (_ANY_CONDITION.search(sentence) or _DIAGNOSIS_WORD.search(sentence)):
            continue
        hits = [(m, False) for m in _DIAGNOSIS_ANYWHERE_EN.finditer(sentence)]
        hits += [(m, True) for m in _DIAGNOSIS_CLAUSE_START_EN.finditer(sentence)]
        hits += [(m, False) for m in _DIAGNOSIS_ZH.finditer(sentence)]
        hits += [(m, True) for m in _DIAGNOSIS_AFTER_THE_USER.finditer(sentence)
                 if _USER_NAMED.search(sentence, 0, m.start())]
        hits += [(m, False) for m in _SAID_TO_BE_YOURS.finditer(sentence)
                 if _ANY_CONDITION.search(sentence, 0, m.start())]
        if any(_attributed(sentence, m, clause_opener=opener) for m, opener in hits):
            found.append(sentence)
    return found
