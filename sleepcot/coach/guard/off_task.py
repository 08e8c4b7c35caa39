"""Whether a reply wanders off its task, in English and Chinese (Simplified): the model talking about itself
(its experience, feelings, identity, making: "as an AI", "in my years of practice", "I was trained to"),
echoing its prompt's instructions, or speculating about the user's mind or character ("you seem depressed",
"you're clearly an anxious person", "你的心理有问题"). The coach's own formulas pass.
"""

from __future__ import annotations

from sleepcot.coach.guard.sentences import compile_words, sentences

_OFF_TASK = compile_words(
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
    # speaking as someone, or of a past or a making of its own
    r"\b(?:speaking|talking|writing|being)\s+(?:as\s+)?an?\s+(?:AI|artificial\s+intelligence|(?:large\s+)?language\s+model|"
    r"LLM|chat\s*bot|bot|machine|(?:medical\s+|sleep\s+)?doctor|physician|nurse|therapist|clinician|"
    r"(?:sleep\s+)?(?:specialist|expert))\b|^\W*as\s+an?\s+(?:(?:medical\s+|sleep\s+)?doctor|physician|nurse|therapist|"
    r"clinician|(?:sleep\s+)?(?:specialist|expert))\s*,",
    r"\bI\s+(?:once|also|too)\s+(?:had|suffered|struggled|went\s+through|used\s+to)\b|\bI\s+had\s+the\s+same\b|"
    r"\b(?:same\s+thing\s+)?happened\s+to\s+me\b",
    r"\bI\s+(?:was|am|have\s+been|['’]ve\s+been)\s+(?:trained|programmed|designed|built|instructed|told|prompted)\s+to\b",
    # the prompt's own instructions echoed back
    r"\byour\s+last\s+answer\s+broke\s+the\s+rules\b|\bcopy\s+(?:the\s+)?numbers\s+exactly\b|"
    r"\bdo\s+not\s+(?:invent|add)\s+any\s+(?:other\s+)?numbers?\b|\buse\s+only\s+the\s+numbers\s+given\b|"
    r"\banswer\s+in\s+(?:English|\d+\s*-\s*\d+\s+(?:short\s+)?sentences)\b",
    r"\bignore\s+(?:all\s+)?(?:of\s+)?(?:your\s+|the\s+|my\s+)?(?:previous|prior|above|earlier)(?:\s+(?:instructions|"
    r"rules|prompts?|messages?))?\b",
    r"\b(?:reveal|show|share|print|repeat|tell\s+you)\s+(?:you\s+)?(?:my|the)\s+(?:system\s+)?(?:instructions|prompt|rules)\b",
    r"\bsystem\s+(?:prompt|message)\b|^system\s*:",
    # speaking as a person or a friend
    r"\bmyself\b", r"\bas\s+your\s+(?:\w+\s+and\s+)?(?:friend|buddy|pal|mate)\b",
    # the user's character as a kind of person: "you're an anxious person", "you sound like a worrier"
    r"\byou(?:['’]re|\s+are|\s+must\s+be|\s+seem(?:\s+to\s+be)?|\s+sound|\s+come\s+across\s+as)(?:\s+(?:clearly|obviously|"
    r"probably|just|really|simply|like))*\s+(?:an?\s+)?(?:(?:very|quite|bit\s+of\s+an?|real|natural|born|chronic)\s+)*"
    r"(?:(?:anxious|nervous|stressed|neurotic|highly[-\s]strung|high[-\s]strung|sensitive|fragile|weak|lazy|emotional|"
    r"insecure|worried)\s+(?:person|type|individual|sort|soul|one)|worrier|overthinker|hypochondriac|neurotic)\b",
    r"\bemotionally\s+(?:unstable|fragile|weak|immature)\b",
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
    r"\byou(?:\s+(?:seem|sound|look|appear|must\s+be|might\s+be|may\s+be|could\s+be|are\s+probably|come\s+across\s+as)|"
    r"['’]re\s+(?:probably|clearly|obviously|just))"
    r"(?:\s+to\s+be)?(?:\s+(?:quite|very|a\s+bit|rather|really|so|a\s+little|pretty|somewhat|super|clearly))*\s+(?:"
    r"stressed(?:\s+out)?|overwhelmed|burn(?:ed|t)\s+out|overthinking|depressed|"
    r"lonely|anxious|sad|unhappy|troubled|disturbed|lazy|weak|angry|frustrated|upset|bored|isolated|suicidal|"
    r"mentally|unwell|fragile|unstable|insecure|neurotic|obsessed|obsessive|paranoid)\b",
    "作为(?:一个|一名|一款)?(?:AI|人工智能|语言模型|大语言模型|机器人|智能助手|聊天机器人|助手|医生|专家)|作为(?:你的)?朋友|忽略(?:之前|以上|前面)的(?:指令|规则|指示)",
    "我(?:只)?(?:是|不是)(?:一个|一名|一款|个)?(?:AI|人工智能|语言模型|大语言模型|机器人|智能助手|聊天机器人|医生|"
    "心理医生|专家|护士|真人|人类)",
    "我(?:做这行|从业|行医|干这行|当医生)|(?:根据|以|凭|按照)我(?:的|多年的|这么多年的)?(?:经验|从业经验|临床经验)",
    "我的(?:病人|患者|客户|来访者|家人|孩子|妻子|丈夫|老婆|老公|父母|朋友|同事|经验|经历|职业|生活)",
    "我(?:也|曾经|以前|也曾|真的)*(?:很|非常)?(?:难过|伤心|心疼|喜欢|爱|记得|想念|怀念|感同身受|理解你的感受|失眠过|"
    "经历过)|节哀",
    "你的(?:心理|精神|性格|人格|脑子|头脑|心态)(?:可能|好像|似乎|是不是|肯定|一定)?(?:有|出了|出)?(?:问题|毛病|不正常|缺陷)",
    "你(?:这个人)?(?:太|很|真|就是|有点|也太|实在)(?:懒|懒惰|脆弱|软弱|矫情|玻璃心|神经质|疯|傻|笨|没用|焦虑|敏感|悲观)",
    "你(?:好像|似乎|看起来|可能|应该|大概|是不是)(?:很|有些|有点|比较)?(?:抑郁|孤独|焦虑|难过|不开心|压抑|心理有问题|想太多|"
    "压力(?:很|太|特别)?大|心情不好|情绪低落|紧张)",
    "你(?:有病|不正常|想太多了)",
    "你(?:是|属于)(?:一)?个?(?:很|比较|特别|容易|爱)?(?:焦虑|紧张|敏感|脆弱|多虑|想太多|神经质|玻璃心)的?人",
    "你的?(?:心理素质|抗压能力|意志力|自制力)(?:太|很|比较|有点|实在)?(?:差|弱|低)",
    "请用简体中文回答|你上一个回答违反了规则",
)


def off_task(text: str) -> list[str]:
    """Each sentence in which the model talks about itself (its experience, feelings, identity: "as an AI",
    "in my years of practice"), repeats the prompt's instructions ("Copy numbers exactly"), or speculates about the user's mind or character ("you seem depressed", "你的
    心理有问题"). The coach's own formulas ("My advice for tonight is...", "I can't see that in your data")
    pass."""
    return [s for s in sentences(text) if _OFF_TASK.search(s)] if _OFF_TASK.search(text) else []
