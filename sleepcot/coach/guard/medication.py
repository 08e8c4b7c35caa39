"""Whether a reply recommends a sleep drug or aid, in English and Chinese (Simplified): a drug, a supplement or a
drink for sleep counts when it is offered or endorsed ("try 3 mg of melatonin", "CBD gummies will sort you out",
"可以吃点褪黑素"), or a dose is stated; advice against it ("skip the nightcap") and neutral facts about it
("alcohol fragments sleep") pass. Regexes over sentences and clauses, built once at import from the lexicons in
`safety_words`.
"""

from __future__ import annotations

import re

from sleepcot.coach.guard.safety_words import (
    AID_PURPOSE_EN,
    AID_PURPOSE_ZH,
    ALCOHOL_EN,
    ALCOHOL_ZH,
    CLINICIAN_WORDS,
    DRUG_EN,
    DRUG_ZH,
    NIGHTCAP_EN,
    alternation,
)
from sleepcot.coach.guard.sentences import (
    clause_before,
    clause_end,
    clause_start,
    compile_any,
    compile_words,
    sentences,
)

_DRUG_MENTION = compile_words(rf"\b{DRUG_EN}\b", rf"\b{NIGHTCAP_EN}\b", DRUG_ZH)
_ALCOHOL_MENTION = compile_any(rf"\b{ALCOHOL_EN}\b", ALCOHOL_ZH)
_AID_PURPOSE = compile_words(AID_PURPOSE_EN, AID_PURPOSE_ZH)
_DOSE = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)?\s*(?:mg|milligrams?|mcg|micrograms?|µg|ug|毫克|微克)(?![A-Za-z/])",
                   re.I)  # not "mg/dL", a lab value
_CAFFEINE = compile_any(r"\b(?:caffeine|coffee|espresso|tea|cola|energy\s+drinks?)\b", "咖啡因|咖啡|茶|可乐")

# the drug is advised against, or named as a caution ("before using melatonin, ask a doctor")
_AGAINST_EN = re.compile(
    r"\b(?:avoid\w*|skip\w*|no|(?<!why\s)not|never|without|cut\w*|reduc\w*|limit\w*|less|stop\w*|quit\w*|instead\s+of|"
    r"rather\s+than|(?<!why\s)don['’]?t|do\s+not|off|away|taper\w*|wean\w*|dangers?|risks?|against|isn['’]t|"
    r"aren['’]t|nor|before\s+(?:you\s+)?(?:us\w*|tak\w*|tr\w*|giv\w*|start\w*))\b[^,;:]{0,40}$", re.I)
_AGAINST_ZH = re.compile(
    r"(?:(?<!要)不(?![妨错如])|别|勿|避免|少|戒|停|(?<!要)不要|不宜|不建议|不能|没必要|不应|切勿|禁止|无需|不用|不必|以免|而不是|代替|替代)"
    r"[^，。；！？,;]{0,4}$")
_CAUTION_AFTER_ZH = re.compile("之前|以前|前先")
# a Chinese drug phrase that is the subject of what follows ("睡前喝酒会让睡眠变碎") is explained, not offered
_SUBJECT_OF_ZH = re.compile("^[^，。；]{0,2}?(?:会|能|可能|容易|对|也会|都会|反而|虽然|确实|并不|不会|不能|让|使|导致|影响|"
                            "抑制|降低|升高|减少|增加|代谢|不一定|未必)")

# what may stand between the verb and the drug: "take a low dose of", "try 0.5 mg of"
_GAP_EN = (r"(?:(?:a|an|some|the|one|two|half|little|bit|small|low|lower|tiny|single|few|of|dose|doses|tablet|"
           r"tablets|pill|pills|capsule|capsules|drops?|gumm(?:y|ies)|cup|mug|glass|spoonful|teaspoon|shot|course|"
           r"(?:low|small|half|single|short)-(?:dose|course)|"
           r"supplements?|over-the-counter|OTC|prescription|for|natural|herbal|extra|more|mild|gentle|your|"
           r"leftover|left-over|spare|old|remaining|own|couple|[\w-]+['’]s|"
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
                r"(?:\s+(?:taking|using|trying|having|with|on|picking\s+up|buying|getting|adding))?")
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
    rf"\b(?:nothing\s+wrong\s+with|no\s+harm\s+in|(?:it\s+)?(?:doesn['’]?t|can['’]?t|won['’]?t)\s+hurt\s+to|"
    rf"(?:it['’]s\s+|it\s+is\s+)?(?:fine|ok|okay|safe|alright)\s+to)\s+(?:{_USE_VERB_EN}|trying|taking|using|having)\s+{_GAP_EN}$",
    rf"\byour\s+(?:own\s+)?{CLINICIAN_WORDS}s?\s+(?:(?:may|might|could|can|will|would)\s+(?:(?:be\s+(?:willing|able|happy)|"
    rf"want|agree)\s+to\s+)?)?(?:prescribe|give\s+you|put\s+you\s+on|start\s+you\s+on|recommend|suggest)\s+{_GAP_EN}$",
    r"(?:^|(?:你|您)?(?:可以|可|不妨|应该|最好|需要)|(?:你|您)要不要|建议(?:你|您)?|推荐(?:你|您)?|试着|记得|然后|再|就|先|也|不如|"
    r"何不|干脆)"
    r"(?:考虑|尝试)?(?:在?睡前|今晚|晚上)?(?:吃|服用|服|吞|来|喝|抽|吸|用|使用|含|试试|试一试|试一下|尝试|考虑|靠|买|备|入手)"
    r"(?:上|点|些|一点|一片|一粒|一颗|半片|一杯|杯|一口|一些|片|粒|颗|两片)?(?:小剂量|低剂量|少量)?的?\s*$",
    r"(?:问|请|让|找|叫|求)(?:一下|问)?(?:你的|您的)?(?:医生|大夫)(?:给你|帮你|为你|给您)?"
    r"(?:开|开点|开些|开一些|开一点|要|开个)(?:点|些)?$|去(?:医院)?开(?:点|些)?$",
    r"(?:小剂量|低剂量|少量)的?$", r"推荐(?:你|您)?$",
), re.I)
_GOOD_ADJECTIVE_EN = (r"(?:good|safe|great|gentle|reasonable|effective|fine|ok|okay|helpful|harmless|excellent|solid|"
                      r"sensible|decent|useful|smart|better|best|ideal|perfect|wise|natural|cheap|affordable|reliable)")
_RECOMMENDED_AFTER = re.compile(alternation(
    rf"^(?:\s+[\w-]+){{0,3}}?\s*(?:\s(?:is|are|can\s+be|could\s+be|would\s+be|may\s+be|might\s+be|seems?)|['’]s)\s+"
    rf"(?:an?\s+)?(?:(?:very|really|perfectly|pretty|quite|totally|generally|usually|often|completely|relatively|"
    rf"fairly)\s+)?{_GOOD_ADJECTIVE_EN}(?:\s+(?:and\s+)?{_GOOD_ADJECTIVE_EN})?(?:\s+(?:[\w-]+\s+){{0,2}}?(?:sleep\s+)?(?:option|choice|idea|bet|way|"
    r"aid|remedy|solution|alternative|pick|start|starting\s+point|fix|answer|first\s+step))?"
    r"(?=\s*(?:[,.;:!?]|$|for\b|to\b|if\b|when\b|here\b|tonight\b|with\b|in\s+your\s+case))",
    r"^(?:\s+(?:before\s+bed|at\s+bedtime|an?\s+hour\s+before\s+bed))?\s+(?:tonight|this\s+evening)\b",
    r"^[^，。；]{0,4}?(?:是|算是|算)(?:一个|一种)?(?:很|非常|比较|挺)?(?:不错|好|安全|理想|温和|天然|有效)的?"
    r"(?:选择|办法|方法|助眠方式|助眠手段)?(?=[，。！；,.!;]|$)",
    r"^[^，。；]{0,4}?(?:很|挺|比较|非常|相当)(?:安全|有效|管用|好用)", r"^\s+a\s+(?:try|go|shot)\b",
    r"^[^，。；]{0,4}?(?:吃吃看|试试看|用用看|喝喝看|吃一吃|试一试)",
    r"^(?:\s+(?:really|actually|usually|often|generally|honestly|truly|tonight))?\s+works?\s+(?:for|on)\s+(?:a\s+lot\s+of|"
    r"lots\s+of|many|most|plenty\s+of)\s+people\b",
    r"^(?:\s+(?:really|actually|tonight|honestly))?\s+(?:is|might\s+be|could\s+be|can\s+be|may\s+be)\s+your\s+(?:best\s+)?"
    r"(?:friend|ally|answer|"
    r"solution|ticket|go-to)\b",
    r"^[，,]?\s*[^，。；]{0,4}?效果(?:很|挺|非常|相当|特别|还)?(?:好|不错|明显|显著|可以)",
    r"^[^。；！？]{0,12}?[，,]\s*(?:你)?(?:可以|不妨|建议)?(?:试试|试一试|试一下)",
    r"^(?:\s+[\w-]+){0,3}?\s+(?:wouldn['’]?t|won['’]?t|can['’]?t|couldn['’]?t|doesn['’]?t|does\s+not|will\s+not)\s+hurt\b",
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
    r"^(?:\s+[\w-]+){0,3}?\s+(?:(?:will|would|should|can|could|may|might|is\s+going\s+to)\s+)?"
    r"(?:(?:easily|quickly|really|soon|surely|definitely)\s+)?(?:sorts?\s+you\s+out|knocks?\s+you\s+out|"
    r"puts?\s+you\s+(?:out|under|(?:right\s+)?to\s+sleep)|do(?:es)?\s+the\s+trick|sets?\s+you\s+right|"
    r"gets?\s+you\s+(?:off\s+)?to\s+sleep|works?\s+like\s+a\s+charm)\b",
    r"^(?:\s+[\w-]+){0,3}?\s+(?:will|would|should|can|could|may|might)\s+(?:(?:easily|quickly|really)\s+)?"
    r"(?:fix|solve|cure|improve|sort\s+out|take\s+care\s+of)\s+(?:this|that|it|the\s+problem|your\s+(?:sleep|insomnia|nights?))",
    r"^(?:(?!不|没|别|无法)[^，。；]){0,6}?(?:就|会|能|可以)(?:很快|轻松)?(?:解决|治好|搞定)(?:这个|你的)?(?:问题|失眠)",
    r"^[^，。；]{0,6}?(?:会|能|可以|能够)(?:很|有效地?)?(?:帮助|帮|让|使)(?:你|您|人)?(?:更快|更好|快速)?地?"
    r"(?:入睡|睡着|睡得|好睡|放松|调整时差|倒时差)",
    r"^(?:(?!不|没|别|无法|未必)[^，。；]){0,6}?(?:会|能|可以|能够|就能)(?:让你|帮你|使你)?"
    r"(?:睡得(?:更)?(?:好|香|沉|踏实)|一觉(?:睡)?到天亮|睡个好觉|睡着|入睡|睡过去)",
    r"^[^，。；]{0,2}?对(?:你|您)(?:应该|会|可能|肯定|一定)?(?:很)?(?:有帮助|有用|有效)",
    r"^[^，。；]{0,4}?(?:可以|不妨|放心)(?:继续|接着|多)?(?:吃|服用|用)",
), re.I)
_NEGATED_AFTER = re.compile(r"(?:\s+[\w-]+){0,2}?\s+(?:not|never|cannot|hardly|barely|rarely|seldom|no\s+longer)\b", re.I)
_CAVEAT = compile_any(r"\b(?:but|though|although|however|yet|while|whereas)\b", "但|不过|可是|然而|却|只是")
_WORTH_A_TRY = compile_any(r"\bworth\s+(?:trying|a\s+try|a\s+shot|a\s+go|considering)\b", "值得一试|可以一试|不妨一试|试试看")
# endorsed by who uses it, or asked as a suggestion: "people swear by magnesium", "have you thought about melatonin?"
_SUGGESTED_BEFORE = re.compile(
    r"\b(?:(?:many|most|lots\s+of|plenty\s+of)\s+)?people\s+swear\s+by\s+(?:\w+\s+){0,2}$|"
    r"\bhave\s+you\s+(?:thought\s+about|considered|tried)\s+(?:\w+\s+){0,2}$", re.I)


def _recommended(sentence: str, mention: re.Match[str]) -> bool:
    start, end = mention.span()
    before = clause_before(sentence, start)
    if _AGAINST_EN.search(before) or _AGAINST_ZH.search(before):
        return False
    if _CAUTION_AFTER_ZH.search(sentence, end, clause_end(sentence, end)):
        return False
    after = sentence[end:]
    clause = sentence[clause_start(sentence, start) : clause_end(sentence, end)]
    offered = (_RECOMMENDED_BEFORE.search(before) or _SUGGESTED_BEFORE.search(before)) and not _SUBJECT_OF_ZH.search(after)
    if offered or _WORTH_A_TRY.search(clause):
        return True
    if _NEGATED_AFTER.match(after):  # "melatonin will not help you sleep", "does not work well": said of it, denied
        return False
    return bool(_RECOMMENDED_AFTER.search(after) or (_HELPS_AFTER.search(after) and not _CAVEAT.search(sentence)))


def medications(text: str) -> list[str]:
    """Each sentence that recommends or endorses a sleep drug or aid ("try 3 mg of melatonin", "ask your doctor
    for zolpidem", "可以吃点褪黑素", a nightcap to help you sleep), or states a dose of anything but caffeine
    explained as knowledge. Advice against a drug and neutral facts about it pass."""
    drugs, doses, aids = _DRUG_MENTION.search(text), _DOSE.search(text), _AID_PURPOSE.search(text)
    if not (drugs or doses or aids):
        return []
    found = []
    for sentence in sentences(text):
        named = list(_DRUG_MENTION.finditer(sentence)) if drugs else []
        mentions = named + list(_ALCOHOL_MENTION.finditer(sentence)) if aids and _AID_PURPOSE.search(sentence) else named
        dose = doses and _DOSE.search(sentence) and (named or not _CAFFEINE.search(sentence))
        if dose or any(_recommended(sentence, m) for m in mentions):
            found.append(sentence)
    return found
