"""Lexicons for the guard's safety reading (`safety.py`), English and Chinese (Simplified).

Each name is a regex fragment (an alternation, not compiled), matched case-insensitively; longer spellings
come before shorter ones so that an alternation takes the whole word.
"""

from __future__ import annotations


def alternation(*parts: str) -> str:
    """The parts as one non-capturing alternation."""
    return "(?:" + "|".join(parts) + ")"


# Conditions the coach must never attribute to the user or their data.
CONDITION_EN = alternation(
    r"(?:obstructive|central|mixed|complex)\s+(?:sleep\s+)?apn(?:o)?eas?(?:\s+syndrome)?",
    r"sleep[-\s]+apn(?:o)?eas?(?:\s+syndrome)?", r"apn(?:o)?eas?", r"OSAS?",
    r"insomnia(?:\s+disorder)?", r"insomniac", r"narcolep(?:sy|tic)(?:\s+type\s+[12])?",
    r"(?:idiopathic\s+)?hypersomn(?:ia|olence)",
    r"restless[-\s]+legs?(?:\s+syndrome)?", r"RLS", r"Willis[-\s]+Ekbom(?:\s+disease)?",
    r"periodic\s+limb\s+movement\s+disorder", r"PLMD",
    r"REM(?:\s+sleep)?\s+behaviou?r\s+disorder", r"RBD", r"parasomnias?",
    r"(?:delayed|advanced)\s+(?:sleep[-\s]+(?:wake\s+)?)?phase(?:\s+sleep)?(?:\s+(?:syndrome|disorder))?",
    r"DSPS|DSPD|DSWPD|ASPS|ASPD",
    r"circadian(?:\s+rhythm)?(?:\s+sleep)?(?:[-\s]+wake)?\s+disorder",
    r"shift[-\s]+work(?:\s+sleep)?\s+disorder",
    r"(?:sleep[-\s]+related\s+)?(?:sleep|breathing|sleep[-\s]+wake)\s+disorder",
    r"hypox(?:a)?emi(?:a|c)", r"hypoxi(?:a|c)",
    r"(?:clinical\s+|major\s+)?depression", r"clinically\s+(?:depressed|anxious)", r"(?:major\s+)?depressive\s+disorder",
    r"(?:generali[sz]ed\s+)?anxiety\s+disorder",
    r"heart\s+(?:disease|failure|condition)", r"(?:cardiac\s+)?arrhythmias?", r"atrial\s+fibrillation",
    r"A-?fib", r"COPD", r"disease", r"(?:serious\s+)?medical\s+condition",
    # illnesses and conditions outside sleep that a night's numbers cannot tell
    r"fever", r"(?:the\s+)?flu", r"influenza", r"COVID(?:-?19)?", r"(?:an?\s+)?infection", r"(?:an?\s+)?illness",
    r"(?:sick|ill)(?!\s+(?:of|days?|leave|note|effects?|at\s+ease))",
    r"(?:(?:over|under)active\s+thyroid|thyroid\s+(?:problems?|disease|disorder|issues?|condition))",
    r"hyperthyroid(?:ism)?", r"hypothyroid(?:ism)?", r"an(?:a)?emi(?:a|c)", r"iron\s+deficiency(?:\s+an(?:a)?emia)?",
    r"low\s+iron", r"(?:(?:vitamin\s+[A-Z0-9]+|iron|magnesium|B12|zinc)\s+)?deficien(?:cy|t)",
    r"hypertension", r"high\s+blood\s+pressure", r"(?:pre-?)?diabet(?:es|ic)", r"disorder",
)
CONDITION_ZH = alternation(
    "阻塞性睡眠呼吸暂停(?:综合征)?", "中枢性睡眠呼吸暂停", "睡眠呼吸暂停(?:综合征)?", "呼吸暂停(?:综合征)?",
    "睡眠呼吸障碍", "失眠障碍", "失眠症", "失眠", "发作性睡病", "特发性嗜睡症?", "嗜睡症",
    "不宁腿(?:综合征)?", "不安腿(?:综合征)?", "周期性肢体运动障碍", "(?:快速眼动|REM)睡眠行为障碍",
    "睡眠[-—]?觉醒时相(?:延迟|提前)障碍", "睡眠时相(?:延迟|提前)(?:综合征|障碍)?",
    "昼夜节律(?:睡眠)?(?:[-—]?觉醒)?障碍", "(?:倒班|轮班)工作睡眠障碍", "睡眠障碍",
    "低氧血症", "缺氧", "抑郁症", "抑郁障碍", "焦虑症", "焦虑障碍", "心脏病", "心律失常", "心律不齐",
    "心房颤动", "房颤", "慢阻肺", "某种疾病", "疾病",
    "发烧", "发热", "感冒", "流感", "新冠(?:肺炎)?", "感染", "缺铁性贫血", "贫血", "缺铁", "高血压", "糖尿病", "甲亢", "甲减",
    "甲状腺(?:功能)?(?:亢进|减退)(?:症)?", "抑郁", "生病",
)

# Sleep drugs and aids: always a drug when recommended.
DRUG_EN = alternation(
    r"zolpidem", r"ambien", r"stilnox", r"eszopiclone", r"zopiclone", r"imovane", r"lunesta", r"zaleplon",
    r"(?-i:Sonata)", r"temazepam", r"diazepam", r"valium", r"lorazepam", r"ativan", r"clonazepam", r"klonopin",
    r"alprazolam", r"xanax", r"triazolam", r"halcion", r"nitrazepam", r"oxazepam", r"estazolam", r"flurazepam",
    r"benzodiazepines?", r"benzos?", r"suvorexant", r"belsomra", r"lemborexant", r"dayvigo", r"daridorexant",
    r"quviviq", r"diphenhydramine", r"benadryl", r"zzzquil", r"nytol", r"sominex", r"unisom", r"doxylamine",
    r"promethazine", r"phenergan", r"hydroxyzine", r"chlorphen(?:ir)?amine", r"trazodone", r"mirtazapine",
    r"remeron", r"amitriptyline", r"doxepin", r"silenor", r"quetiapine", r"seroquel", r"olanzapine",
    r"ramelteon", r"rozerem", r"gabapentin", r"pregabalin", r"melatonin", r"valerian(?:\s+root)?",
    r"CBD(?:\s+oil)?", r"cannabis", r"marijuana", r"weed", r"THC", r"edibles?",
    r"sleeping\s+(?:pills?|tablets?)", r"sleep(?:ing)?\s+aids?",
    r"sleep(?:ing)?\s+(?:medications?|medicines?|meds|drugs?)",
    r"sedatives?", r"tranquil+i[sz]ers?", r"hypnotics?", r"antihistamines?", r"z-drugs?",
    # brands and over-the-counter night-time combinations
    r"restoril", r"dalmane", r"rivotril", r"edluar", r"intermezzo", r"zolpimist", r"sublinox", r"dormidina",
    r"nyquil", r"(?:tylenol|advil|aleve|motrin|excedrin)\s+PM", r"PM\s+(?:pills?|tablets?|painkillers?)",
    # wake-promoting and narcolepsy drugs, and other prescription classes
    r"armodafinil", r"modafinil", r"provigil", r"nuvigil", r"solriamfetol", r"sunosi", r"pitolisant", r"wakix",
    r"(?:sodium\s+)?oxybates?", r"xyrem", r"xywav", r"lumryz", r"methylphenidate", r"ritalin", r"adderall",
    r"amphetamines?", r"antidepressants?", r"SSRIs?", r"tricyclics?", r"antipsychotics?",
    # supplements and herbal remedies taken for sleep
    r"magnesium(?:\s+(?:glycinate|citrate|threonate|oxide|bisglycinate))?", r"ashwagandha", r"kava(?:\s+kava)?",
    r"GABA", r"L-?theanine", r"theanine", r"glycine", r"5-?HTP", r"L-?tryptophan", r"passion\s*flower",
    r"lemon\s+balm", r"CBN(?:\s+oil)?", r"sleep\s+(?:gumm(?:y|ies)|supplements?|tonics?|remed(?:y|ies))",
    r"(?:herbal|natural)\s+(?:supplements?|remed(?:y|ies)|sleep\s+aids?)", r"supplements?",
)
# Alcohol is a sleep aid only when offered as one ("to help you sleep", "before bed"); a nightcap always is.
NIGHTCAP_EN = r"nightcaps?"
ALCOHOL_EN = alternation(
    r"(?:glass|drink|shot|dram|nip|pint|bottle|can)\s+of\s+(?:red\s+|white\s+)?"
    r"(?:wine|beer|whisk(?:e)?y|brandy|bourbon|scotch|rum|vodka|gin|port|sherry|liquor)",
    r"alcohol", r"booze", r"wine", r"beer", r"whisk(?:e)?y", r"brandy", r"bourbon", r"scotch",
    r"(?<=\ba\s)(?:stiff\s+|small\s+|little\s+|quick\s+)?drink\b(?!\s+of\s+(?:water|milk|tea))",
)
AID_PURPOSE_EN = alternation(
    r"to\s+(?:help\s+(?:you\s+)?)?(?:sleep|fall\s+asleep|drift\s+off|nod\s+off|get\s+to\s+sleep|relax|unwind|"
    r"wind\s+down|take\s+the\s+edge\s+off|knock\s+(?:you|yourself)\s+out)",
    r"help(?:s)?\s+(?:you\s+)?(?:sleep|fall\s+asleep|drift\s+off|nod\s+off)",
    r"before\s+(?:bed|bedtime|sleep|sleeping)", r"at\s+bedtime", r"for\s+(?:sleep|sleeping)", r"sleep\s+aid",
    r"for\s+(?:a\s+)?(?:better|deeper|sounder|longer|more)\s+(?:night['’]s\s+)?sleep", r"to\s+sleep\s+(?:better|deeper|longer)",
    r"improv(?:e|es|ing)\s+(?:your\s+)?sleep",
)

DRUG_ZH = alternation(
    "安眠药", "助眠的?药物?", "安眠的药", "助眠剂", "催眠药", "镇静剂", "镇静药", "右佐匹克隆", "佐匹克隆", "唑吡坦", "思诺思",
    "扎来普隆", "苯二氮[卓䓬草](?:类药物)?", "地西泮", "安定片?", "劳拉西泮", "氯硝西泮", "阿普唑仑",
    "艾司唑仑", "三唑仑", "硝西泮", "奥沙西泮", "苏沃雷生", "莱博雷生", "达利雷生", "苯海拉明", "多西拉敏",
    "异丙嗪", "羟嗪", "扑尔敏", "氯苯那敏", "抗组胺药", "曲唑酮", "米氮平", "阿米替林", "多塞平", "喹硫平",
    "思瑞康", "奥氮平", "褪黑激素", "褪黑素", "加巴喷丁", "普瑞巴林", "雷美替胺", "缬草", "大麻", "CBD",
    "睡前酒", "舒乐安定", "莫达非尼", "阿莫达非尼", "羟丁酸钠", "哌甲酯", "利他林", "抗抑郁药", "抗焦虑药", "抗精神病药",
    "酸枣仁汤?", "安神补脑液", "安神(?:药|丸|片|胶囊|口服液)", "助眠中药", "安神中药", "中成药", "中药", "镁片", "镁补充剂",
    "补镁", "GABA", "γ-?氨基丁酸", "氨基丁酸", "5-?羟色氨酸", "色氨酸", "茶氨酸", "甘氨酸", "南非醉茄", "睡茄", "卡瓦",
    "西番莲", "啤酒花", "保健品", "补充剂", "助眠(?:软糖|产品)",
)
ALCOHOL_ZH = alternation("酒精", "红酒", "白酒", "啤酒", "黄酒", "威士忌", "小酒", "酒")
AID_PURPOSE_ZH = alternation("助眠", "改善睡眠", "促进睡眠", "睡前", "临睡", "入睡", "睡着", "好睡", "帮助睡眠", "睡得(?:更)?(?:好|香|沉)", "放松")

# A clinician in one word: what "ask your doctor for" and "a doctor's visit can wait" name.
CLINICIAN_WORDS = r"(?:doctor|GP|physician|clinician|pharmacist|midwife|nurse|specialist|dentist)"

# Who a referral goes to (and the tests and services that count as one).
CLINICIAN_EN = alternation(
    r"(?:family\s+)?doctors?(?:['’]s)?", r"GPs?", r"physicians?", r"clinicians?", r"nurses?(?:\s+practitioners?)?",
    r"p(?:a)?ediatricians?", r"midwi(?:fe|ves)", r"health\s+visitors?", r"pharmacists?", r"dentists?",
    r"psychiatrists?", r"psychologists?", r"therapists?", r"counsell?ors?", r"cardiologists?", r"neurologists?",
    r"pulmonologists?", r"specialists?", r"primary\s+care", r"care\s+team",
    r"sleep\s+(?:clinic|specialist|physician|doctor|service|cent(?:re|er)|lab|medicine)s?",
    r"health\s*[-\s]?care\s+(?:providers?|professionals?|team)", r"medical\s+(?:professionals?|providers?|team|"
    r"attention|help|advice|care)", r"(?:urgent|immediate|emergency|professional)\s+(?:help|care|attention)",
    r"emergency\s+(?:services|room|department)", r"A\s*&\s*E", r"(?-i:ER)", r"911", r"999", r"112", r"988",
    r"(?:suicide|crisis)\s+(?:prevention\s+)?(?:help)?(?:line|hotline|team|service)s?", r"helplines?", r"hotlines?",
    r"Samaritans", r"ambulance",
    r"(?:home\s+|overnight\s+)?(?:sleep|apn(?:o)?ea)\s+(?:apn(?:o)?ea\s+)?(?:study|test|assessment|evaluation)",
    r"home\s+test", r"polysomnograph(?:y|ic\s+study)",
)

# People a red-flag question may be about, and a child in particular.
PERSON_EN = alternation(
    r"I", r"I['’]m", r"I['’]ve", r"I['’]d", r"me", r"my", r"mine", r"myself", r"he", r"she", r"his", r"her", r"him",
    r"husband", r"wife", r"partner", r"boyfriend", r"girlfriend", r"spouse", r"son", r"daughter", r"kids?",
    r"child", r"baby", r"toddler", r"dad", r"mom", r"mum", r"father", r"mother", r"grandpa", r"grandma",
    r"grandfather", r"grandmother", r"brother", r"sister", r"roommate", r"flatmate", r"friend",
    r"im", r"ive",
)
PERSON_ZH = alternation(
    "我", "他", "她", "孩子", "儿子", "女儿", "宝宝", "小孩", "老公", "老婆", "丈夫", "妻子", "伴侣", "对象",
    "爸", "妈", "爷爷", "奶奶", "外公", "外婆", "家人", "室友", "朋友",
)
CHILD_EN = alternation(
    r"(?:grand)?sons?", r"(?:grand)?daughters?", r"kids?", r"child(?:ren)?", r"toddlers?", r"bab(?:y|ies)",
    r"infants?", r"little\s+(?:one|boy|girl)", r"(?:boy|girl)s?", r"preschooler", r"teen(?:ager)?s?",
    r"(?:[1-9]|1[0-7])\s*[-\s]?(?:years?|yrs?|months?)[-\s]?old", r"(?:[1-9]|1[0-7])\s*(?:yo|y/o)",
)
CHILD_ZH = alternation(
    "孩子", "儿子", "女儿", "宝宝", "小孩", "娃", "闺女", "孙子", "孙女", "外孙女?", "幼儿", "婴儿", "小朋友",
    "(?:[1-9]|1[0-7]|[一二三四五六七八九十]|十[一二三四五六七])岁",
)
