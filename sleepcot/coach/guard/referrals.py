"""Sending people to a clinician, in English and Chinese (Simplified): does a reply affirmatively advise seeing
one (a negated, conditional-away or dismissed referral does not count), does it dismiss a concern, and does a
user's question describe a red-flag symptom that calls for one whatever else it asks.
"""

from __future__ import annotations

import enum
import re

from sleepcot.coach.guard.diagnosis import CONDITION_PHRASE_EN, CONDITION_PHRASE_ZH
from sleepcot.coach.guard.safety_words import CHILD_EN, CHILD_ZH, CLINICIAN_EN, CLINICIAN_WORDS, PERSON_EN, PERSON_ZH
from sleepcot.coach.guard.sentences import clause_before, compile_any, compile_words, sentences


class QuestionFlag(str, enum.Enum):
    """A red-flag symptom described in a user's question."""

    BREATHING = "breathing"
    DROWSY_DRIVING = "drowsy_driving"
    CHILD_SNORING = "child_snoring"
    RESTLESS_LEGS = "restless_legs"
    CHEST_PAIN = "chest_pain"
    SELF_HARM = "self_harm"


# ---------------------------------------------------------------------------------- referral and dismissal
_REFERRAL_EN = re.compile(
    r"\b(?:see|seeing|visit\w*|consult\w*|contact\w*|call\w*|phon\w*|book\w*|ask\w*|show\w*|tell\w*|mention\w*|"
    r"talk\w*|speak\w*|check\w*|rais\w*|discuss\w*|review\w*|bring\w*|go|going|seek\w*|reach\w*|get|getting|have|"
    r"arrang\w*|request\w*|mak\w*|need|needs|deserves?|warrants?|assessed|evaluated|examined|seen|done|let|letting)"
    rf"\b(?:[^\W\d_]|[\s'’-]){{0,40}}?\b{CLINICIAN_EN}(?![\w-])"
    rf"|\b{CLINICIAN_EN}\s+(?:should|must|needs?\s+to|ought\s+to)\s+(?:also\s+)?(?:assess|check|see|evaluate|review|"
    r"examine|look|test)"
    # "a doctor can test iron levels, so see one"
    rf"|\b{CLINICIAN_WORDS}s?\b[^.;!?]*?\b(?:see|consult|visit|ask)\s+one\b", re.I)
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
_ONLY_IF = compile_any(r"\bonly\s+(?:if|when|in\s+case)\b")
_ONLY_IF_BEFORE_ZH = re.compile("只有|只在|除非")
_IF_YOU_WANT = compile_any(
    r"\bif\s+you\s+(?:really\s+|absolutely\s+|truly\s+)?(?:want|wish|insist|prefer|feel\s+like\s+it)",
    r"\bbut\s+(?:it['’]s|it\s+is|this\s+is|that['’]s|you['’]re|you\s+are|everything\s+is)\s+(?:probably\s+|likely\s+|"
    r"almost\s+certainly\s+|surely\s+|most\s+likely\s+)?(?:fine|nothing|normal|ok|okay|harmless)",
    "(?:实在|真的|非要)想|(?:想|愿意|需要|有空|方便|不放心)的话",
    "(?:但|不过|可是)(?:其实|应该|多半|大概|估计)?(?:没事|没什么|问题不大|没问题|不要紧|没关系)",
)


def _affirmative(sentence: str, referral: re.Match[str]) -> bool:
    before = clause_before(sentence, referral.start())
    return not (_NOT_NEEDED_EN.search(before) or _NOT_NEEDED_ZH.search(before)
                or _dismissing(sentence, referral.start())  # taken back: "seeing a doctor would be overkill"
                or _NEGATED_INSIDE_EN.search(referral.group())
                or _ONLY_IF.search(before) or _ONLY_IF.search(sentence, referral.end())
                or _ONLY_IF_BEFORE_ZH.search(before) or _IF_YOU_WANT.search(sentence))


def affirms_referral(text: str) -> bool:
    """Whether some sentence affirmatively advises seeing, asking or contacting a clinician, getting a sleep
    study, or (in a crisis) calling emergency services or a crisis line. A referral that is negated ("no need to
    see a doctor") or conditioned away ("only if it gets much worse", "if you really want, but it's fine")
    does not count."""
    return any(_affirmative(sentence, m)
               for sentence in sentences(text)
               for pattern in (_REFERRAL_EN, _REFERRAL_ZH) for m in pattern.finditer(sentence))


# said of seeing a clinician: made optional, or put off to no time at all
_PUT_OFF = (r"up\s+to\s+you|your\s+(?:call|choice)|optional|some\s*day|one\s+day|eventually|no\s+rush|no\s+hurry|"
            r"(?:sometime|some\s+time|at\s+some\s+point)(?!\s+(?:this|today|tomorrow|soon|in\s+the\s+next))|"
            r"when(?:ever)?\s+you\s+(?:get|have)\s+(?:a\s+chance|(?:the\s+)?time)")
_DISMISSAL = compile_words(
    r"\bnothing\s+(?:at\s+all\s+|much\s+|really\s+)?to\s+(?:worry|be\s+(?:worried|concerned|alarmed))\s+about",
    r"\bno\s+(?:(?:real|actual|big|immediate|major|great|particular|obvious)\s+)?(?:cause|reason|need)\s+"
    r"(?:for\s+(?:concern|worry|alarm|panic)|to\s+(?:worry|be\s+(?:worried|"
    r"concerned|alarmed)|panic|see|visit|consult|bother|call|get\s+(?:it\s+)?checked))",
    r"\bno\s+need\s+for\s+(?:a\s+)?(?:doctor|concern|worry|alarm)",
    r"\bnot\s+(?:something|anything)\s+to\s+worry\s+about", r"\b(?:is|['’]s|are)\s+not\s+to\s+worry\s+about",
    r"\b(?:perfectly|completely|totally|entirely|absolutely|quite)\s+(?:normal|fine|harmless|healthy|ok(?:ay)?)\b",
    r"\bnothing\s+(?:serious|abnormal|wrong|of\s+concern)\b", r"\b(?:not|no)\s+(?:a\s+)?big\s+deal\b",
    r"\bnothing\s+(?:(?:you\s+)?(?:need|have)\s+to\s+|to\s+)(?:lose\s+sleep|worry|stress|fret|panic)\s+(?:over|about)\b",
    r"\b(?:usually|often|mostly|probably|likely|generally|typically)\s+means?\s+(?:very\s+)?(?:little|nothing)\b",
    r"\b(?:it['’]s|it\s+is|this\s+is|that['’]s|they['’]re|they\s+are|these\s+are|(?:the|these|those)\s+(?:\w+\s+){0,2}"
    r"(?:is|are))\s+(?:most\s+likely|probably|likely|almost\s+certainly|usually|mostly|often|just|simply|totally|"
    r"completely|entirely|absolutely|honestly|really|actually|quite)\s+"
    r"(?:just\s+)?(?:harmless|benign|innocuous|nothing|(?:sensor\s+|measurement\s+)?(?:noise|errors?|glitch(?:es)?)|"
    r"an?\s+(?:artefact|artifact|glitch|sensor\s+error|fluke))\b",
    # said of what the user has, with no hedge: "this is harmless", "dips like that are benign"
    r"\b(?:this|that|these|those|(?:\w+\s+){1,3}like\s+(?:that|this|these|those))\s+(?:is|are|['’]s)\s+"
    r"(?:harmless|benign|innocuous)\b",
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
    rf"{CONDITION_PHRASE_EN}",
    rf"\b(?:definitely|certainly|clearly|surely|obviously)\s+(?:not|isn['’]t)\s+{CONDITION_PHRASE_EN}",
    rf"\b(?:don['’]?t|do\s+not)\s+need\s+(?:to\s+(?:see|visit|consult|call)\s+)?(?:a\s+|an\s+|your\s+)?"
    rf"(?:{CLINICIAN_WORDS}|sleep\s+(?:study|test|clinic))",
    r"\bnothing\s+wrong\s+with\s+(?:you|your)\b",
    r"\b(?:it['’]s|it\s+is|this\s+is|that['’]s|that\s+is)\s+(?:really\s+|honestly\s+|just\s+)?(?:no|not\s+a)\s+"
    r"(?:problem|issue|concern)\b",
    r"\bput\s+it\s+out\s+of\s+your\s+mind\b|\bdon['’]?t\s+give\s+it\s+(?:a\s+)?(?:second\s+)?thought\b|"
    r"\bnot\s+worth\s+(?:worrying|stressing|fretting)\s+(?:about|over)\b",
    r"\bno\s+(?:point|sense|use)\s+(?:in\s+)?(?:seeing|visiting|consulting|calling|getting|going|booking)\b",
    rf"\b(?:{CLINICIAN_EN}|(?:doctor['’]?s?\s+)?(?:visit|appointment|check[-\s]?up)|sleep\s+study)\b[^.!?;,:—–]{{0,25}}?"
    r"\b(?:overkill|unnecessary|pointless|(?:not|isn['’]t|aren['’]t)\s+(?:really\s+)?(?:necessary|needed|required|"
    r"worth\s+it)|a\s+waste\s+of)\b",
    r"\b(?:don['’]?t|do\s+not|doesn['’]?t|won['’]?t)\s+(?:really\s+|actually\s+|honestly\s+)?(?:need|have)\s+to"
    r"(?:\s+(?:see|go|visit|bother|do\s+(?:that|so)))?(?=\s*(?:[.!?,;]|$))",
    rf"\b(?:{CLINICIAN_WORDS}s?|appointment|visit|check[-\s]?up|sleep\s+study)(?:['’]s\s+visit)?\s+can\s+(?:probably\s+|safely\s+)?wait\b",
    r"\b(?:at|during|for|until|till)\s+your\s+next\s+(?:routine\s+|regular\s+|annual\s+|yearly\s+)?(?:check[-\s]?up|physical|"
    r"appointment|visit)\b",
    rf"\b(?:{CLINICIAN_EN}|sleep\s+study)\b[^.!?;]*?\b(?:{_PUT_OFF})\b",
    rf"\b(?:{_PUT_OFF})\b[^.!?;]*?\b(?:{CLINICIAN_EN}|sleep\s+study)\b",
    r"\b(?:keeps?|continues?|goes\s+on|lasts?)\s+(?:\w+\s+){0,2}?for\s+(?:a\s+few|several|some|a\s+couple\s+of|\d+)\s+"
    r"(?:more\s+)?(?:weeks|months)\b|\bwait\s+(?:for\s+)?(?:a\s+few|several|some|a\s+couple\s+of|\d+)\s+(?:weeks|months)\b",
    rf"\b(?:I\s+)?(?:wouldn['’]?t|would\s+not|don['’]?t|do\s+not|no\s+need\s+to)\s+rush\s+(?:off\s+)?(?:to|into)\s+"
    rf"(?:(?:a|the|your)\s+)?(?:{CLINICIAN_WORDS}|sleep\s+(?:study|clinic))",
    "(?:不用|不必|无需|无须|别|不要|用不着)(?:太|过于)?担心|没(?:有)?什么(?:好|可|需要)担心|没(?:啥|什么)大不了|"
    "完全正常|很正常|挺正常|非常正常|属于正常|正常现象|(?:不必|不用|别|无需)(?:太|过于|特别)?在意|问题不大|不是(?:什么)?大问题|不碍事|不用管|不用理会|可以忽略|忽略就好|"
    "没事(?:的|儿)?(?=[，。！,.!]|$)|没(?:有)?什么(?:问题|大碍)|不要紧|无大碍|没有大碍|你很健康|"
    "(?:不用|不必|无需|无须|没有?必要|不需要)(?:去|上|跑)?(?:看医生|就医|医院)|小题大做|大惊小怪|多此一举|白跑一趟|"
    "(?:医生|医院|就医|门诊|检查|监测)[^，。！？；,]{0,8}?(?:没有?必要|不必要)(?:吧|的|了)?(?=[，。！？；,]|$)|"
    "(?:这|那|其实|真的|这个)(?:真|也|倒)?没(?:什么|啥)(?:的|事)?(?=[，。！,.!]|$)|(?:完全|基本上?|其实|应该)无害|无伤大雅|"
    "(?:别|不要|不用|不必)(?:太)?当(?:一)?回事|(?:没有?必要|不用|不必)(?:去)?做(?:睡眠)?(?:监测|检查)|别多想|不要多想|别想太多|不用多想|无所谓|不打紧|下次(?:常规|例行)?体检(?:的)?时(?:候)?(?:再)?|"
    "(?:等|过)(?:上)?(?:几|一两|两三|好几)个?(?:月|周|星期)(?:后|以后|之后)?(?:如果)?(?:还|再|仍)|"
    "随你|看你自己|(?:由|看)你自己(?:决定|选择)|你自己决定|(?:看|去)不(?:看|去)(?:医生)?都(?:行|可以)|可看可不看|"
    "(?:以后|哪天|改天)?(?:有空|有时间)(?:的时候)?再|(?:不着急|不急|不用急)(?:着)?(?:去)?(?:看医生|就医|检查|做睡眠监测)",
    rf"你(?:肯定|绝对|当然|显然)?没有{CONDITION_PHRASE_ZH}|(?:肯定|绝对|显然)不是{CONDITION_PHRASE_ZH}",
)
# "not perfectly normal", "不完全正常", "而不是…正常现象" reassure nobody
_NEGATED_BEFORE = compile_any(r"\b(?:not|isn['’]t|aren['’]t|never)\s*$", r"(?:不是|并非|不算|并不)[^，。；]{0,8}$|不$")


def dismissals(text: str) -> list[str]:
    """Each sentence that dismisses a concern or the need for a clinician ("nothing to worry about", "you're
    fine", "no need to see a doctor", "不用担心"). Coaching lines such as "don't worry if you wake briefly" pass;
    whether a dismissal matters (a red-flag night) is the caller's business."""
    return [s for s in sentences(text) if _dismissing(s)]


def _dismissing(sentence: str, start: int = 0) -> bool:
    """Whether the sentence, from `start` on, dismisses a concern or a clinician (and is not negated)."""
    return any(not _NEGATED_BEFORE.search(clause_before(sentence, m.start())) for m in _DISMISSAL.finditer(sentence, start))


# ---------------------------------------------------------------------------------- question red flags
_BREATH = r"br(?:ea|e)th?(?:e|es|ing|in)?\b"
_RED_FLAGS: dict[QuestionFlag, re.Pattern[str]] = {
    QuestionFlag.BREATHING: compile_any(
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
    QuestionFlag.DROWSY_DRIVING: compile_any(
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
    QuestionFlag.CHILD_SNORING: compile_any(
        rf"\b{CHILD_EN}\b[^.?!]{{0,60}}?\bsno(?:a)?r\w*[^.?!]{{0,40}}?\b(?:every\s+(?:single\s+)?night|each\s+night|"
        r"most\s+nights|nightly|all\s+night|night\s+after\s+night|constantly|always|a\s+lot|loud\w*|"
        r"like\s+a\s+train|heavily|all\s+the\s+time)",
        rf"\b{CHILD_EN}\b[^.?!]{{0,60}}?\b(?:(?:stop\w*|paus\w*)\s+{_BREATH}|gasp\w*)",
        rf"{CHILD_ZH}[^。？！?]{{0,20}}?(?:(?:打鼾|打呼噜|打呼|鼾声|呼噜)[^。？！?]{{0,10}}?(?:每晚|每天晚上|天天|经常|"
        r"总是|几乎每晚|一直|很响|很大|特别响|严重|整夜)|(?:每晚|每天晚上|天天|经常|总是|几乎每晚|一直|整夜)"
        r"[^。？！?]{0,6}?(?:打鼾|打呼噜|打呼)|憋气|憋醒|呼吸暂停|停止呼吸)"),
    QuestionFlag.RESTLESS_LEGS: compile_any(
        r"\b(?:urge|need|have|compulsion|want)\s+to\s+(?:move|stretch|kick|shake)\s+(?:my|his|her|their|the)\s+legs",
        r"\b(?:creepy[-\s]?crawly|crawl\w*|creep\w*|tingl\w*|restless|jumpy|fidgety|antsy)[^.?!]{0,30}?\blegs?\b",
        r"\blegs?\b[^.?!]{0,30}?(?:creepy[-\s]?crawly|crawl\w*|creep\w*|restless|jumpy|fidgety|antsy|"
        r"won['’]?t\s+(?:stay|keep)\s+still|can['’]?t\s+(?:keep|stay|hold)\s+(?:them\s+)?still|have\s+to\s+(?:move|"
        r"get\s+up|walk)|keep\s+moving)",
        r"\bRLS\b|\bWillis[-\s]Ekbom",
        r"不宁腿|不安腿|腿(?:部|上)?[^。？！?]{0,6}?(?:有?蚁爬感|像有虫子?(?:在)?爬|像蚂蚁(?:在)?爬|虫爬|想动|要动|"
        r"停不下来)|(?:总|老|老是|一直|忍不住|非得)想(?:动|活动|挪动|蹬)(?:腿|脚)|蚁爬感"),
    QuestionFlag.CHEST_PAIN: compile_any(
        r"\bchest\s+(?:pains?|tightness|pressure|hurts?|aches?|discomfort|(?:is|feels?|gets)\s+tight|tight)",
        r"\bpain\s+in\s+(?:my|the|his|her)\s+chest", r"\btight(?:ness)?\s+(?:in|across)\s+(?:my|the|his|her)\s+chest",
        r"\bangina\b", r"\bheart\s+(?:is\s+)?(?:racing|pounding|hammering)[^.?!]{0,40}?\b(?:pain|hurts?|ache)",
        r"\b(?:pain|hurts?|ache)[^.?!]{0,40}?\bheart\s+(?:racing|pounding)",
        r"胸(?:口|部)?(?:痛|疼|闷|发紧|发闷|压迫|不适|刺痛)|心口(?:痛|疼)|心绞痛|"
        r"心(?:脏)?(?:狂跳|乱跳|跳得(?:很|特别|好)快|怦怦跳)[^。？！?]{0,8}(?:痛|疼)"),
    QuestionFlag.SELF_HARM: compile_any(
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
_PERSONAL_EN = compile_any(rf"\b{PERSON_EN}\b")
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
