"""Plain-language logging of tags: find what a message ("had 2 espressos at 5pm", "晚上喝了酒") says the user
did that may affect their sleep, as Tags on the night it affects, and tell a log from a question.

English keywords match on word boundaries, Chinese ones as substrings. A keyword right after a simple
negation ("no coffee", "didn't drink any wine", "没喝酒", "没有喝咖啡") does not count. A workout is a
late workout when the words near it in its clause say late/evening/night or give a clock time from 19:00
on; caffeine said to be in the morning is not late caffeine. Only the first 4096 characters are read.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, timedelta

from sleepcot.domain import Language, Tag, TagKind

NOTE_CHARS = 200
LOG_MAX_CHARS = 280  # longer messages are conversation, not a quick log
SCAN_CHARS = 4096  # Telegram's message limit: the rest of a longer text is not read
NEGATION_WINDOW = 40  # characters before a keyword searched for a negation
CUE_WINDOW = 80  # characters either side of a keyword, within its clause, searched for a time cue
LATE_HOUR = 19

# Regex alternatives, matched case-insensitively on word boundaries. LATE_WORKOUT has none of its own: it is
# a WORKOUT mention with a late cue in its clause.
_EN_KEYWORDS: dict[TagKind, tuple[str, ...]] = {
    TagKind.LATE_CAFFEINE: (
        r"coffees?", r"espressos?", r"lattes?", r"cappuccinos?", r"americanos?", r"flat whites?", r"cold brew",
        r"caffeine", r"caffeinated", r"energy drinks?", r"red bull", r"colas?", r"coke",
        r"(?:black|green|iced) teas?", r"matcha", r"chai",
    ),
    TagKind.ALCOHOL: (
        r"alcohol", r"beers?", r"wines?", r"drinks", r"(?:a|one) drink", r"cocktails?", r"whiske?y", r"vodka",
        r"gin", r"rum", r"tequila", r"champagne", r"prosecco", r"sake(?!\s+of)", r"pints?", r"tipsy", r"drunk",
        r"hungover", r"hangover",
    ),
    TagKind.WORKOUT: (
        r"workouts?", r"worked out", r"working out", r"gym", r"(?:run|runs|ran|running)(?!\s+(?:out|late|low|into))",
        r"jog(?:ged|ging)?", r"swim(?:ming)?", r"swam", r"cycl(?:ed|ing)", r"bike ride", r"biked",
        r"lift(?:ed|ing)", r"yoga", r"pilates", r"hiit", r"crossfit", r"training", r"trained",
        r"exercis(?:e|ed|ing)",
    ),
    TagKind.STRESS: (
        r"stress(?:ed|ful)?", r"anxious", r"anxiety", r"worried", r"worrying", r"deadlines?", r"arguments?",
        r"overwhelmed", r"nervous",
    ),
    TagKind.MELATONIN: (r"melatonin",),
    TagKind.LATE_MEAL: (
        r"late (?:meal|dinner|supper|snack)", r"ate late", r"eating late", r"midnight snack",
        r"(?:big|heavy|huge) (?:dinner|meal)",
    ),
    TagKind.SCREEN: (
        r"screens?", r"phone in bed", r"on (?:my|the) phone", r"scroll(?:ed|ing)", r"netflix", r"youtube",
        r"tiktok", r"gaming", r"video ?games?", r"tv late", r"late tv", r"binge[- ]?watch(?:ed|ing)?",
    ),
    TagKind.TRAVEL: (
        r"travel(?:s|l?ed|l?ing)?", r"flights?", r"flew", r"jet ?lag(?:ged)?", r"red[- ]eye", r"trip",
    ),
    TagKind.ILLNESS: (
        r"sick", r"ill", r"(?:a|the|my) cold(?!\s+(?:shower|bath|plunge|brew|room|drink))", r"flu", r"fever",
        r"covid", r"headaches?", r"migraine", r"sore throat", r"cough(?:ing)?",
    ),
    TagKind.NIGHT_SHIFT: (r"night ?shifts?", r"(?:worked|working) nights", r"night duty"),
}
_ZH_KEYWORDS: dict[TagKind, tuple[str, ...]] = {
    TagKind.LATE_CAFFEINE: (r"咖啡", r"拿铁", r"(?<![花草凉])茶", r"可乐", r"能量饮料", r"红牛"),
    TagKind.ALCOHOL: (r"酒(?!店)", r"喝醉", r"醉了", r"宿醉"),
    TagKind.WORKOUT: (
        r"运动", r"健身", r"跑步", r"夜跑", r"游泳", r"锻炼", r"瑜伽", r"骑车", r"打球", r"爬山", r"撸铁",
    ),
    TagKind.STRESS: (r"压力", r"焦虑", r"紧张", r"担心", r"吵架"),
    TagKind.MELATONIN: (r"褪黑素",),
    TagKind.LATE_MEAL: (r"宵夜", r"夜宵", r"吃得(?:很|太|比较)?晚", r"很晚才吃"),
    TagKind.SCREEN: (r"手机", r"刷视频", r"刷抖音", r"打游戏", r"玩游戏", r"追剧"),
    TagKind.TRAVEL: (r"旅行", r"旅游", r"出差", r"飞机", r"航班", r"时差"),
    TagKind.ILLNESS: (r"生病", r"病了", r"感冒", r"发烧", r"头疼", r"头痛", r"咳嗽"),
    TagKind.NIGHT_SHIFT: (r"夜班", r"值夜"),
}
_PATTERNS: list[tuple[TagKind, re.Pattern[str]]] = [
    (kind, re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)) for kind, words in _EN_KEYWORDS.items()
] + [(kind, re.compile("|".join(words))) for kind, words in _ZH_KEYWORDS.items()]

# A clause ends at punctuation or a conjunction; cues (late, morning, negation) only reach within a clause.
_CLAUSE_BREAK = re.compile(r"[.!?;](?=\s|$)|[,\n。，；！？、]|\b(?:and|but|then)\b|然后|但是", re.IGNORECASE)
_NEGATED = re.compile(
    r"\b(?:no|not|never|without|skipped|avoided|zero|(?:did|do|had|have|was)(?:n['’]?t| not))\s+(?:[\w'’-]+\s+){0,2}$"
    r"|(?:没有?|未|不|别|戒了?)(?:怎么|什么)?(?:喝|吃|去|做|玩|看|刷|用|服|碰)?[过了]?$",
    re.IGNORECASE,
)
_LATE = re.compile(r"\b(?:late|evening|tonight|night)\b|[晚夜]|睡前", re.IGNORECASE)
_MORNING = re.compile(r"\b(?:morning|breakfast)\b|早上|上午|早餐|早饭", re.IGNORECASE)
# Clock times: "7pm", "7:30 p.m.", "20:30", "20点"; 下午/晚上 before a bare hour put it after noon.
_CLOCK = re.compile(
    r"(下午|晚上|傍晚)?(?<!\d)(\d{1,2})(?:(?:[:：.][0-5]\d)?\s*([ap])\.?m\b|[:：][0-5]\d|\s*[点點])", re.IGNORECASE
)
_PAST = re.compile(r"\b(?:last night|last evening|yesterday)\b|昨晚|昨天|昨夜", re.IGNORECASE)

_QUESTION_START = re.compile(
    r"\s*(?:what|why|how|does|do|is|are|can|should|will|when|where|which|who|could|would)\b", re.IGNORECASE
)
_ZH_QUESTION = re.compile(r"为什么|(?<!没)怎么|是否|(?<!没)什么|如何|会不会|能不能|是不是|[吗呢]\W*$")

TAG_LABELS: dict[Language, dict[TagKind, str]] = {
    Language.EN: {
        TagKind.LATE_CAFFEINE: "late caffeine",
        TagKind.ALCOHOL: "alcohol",
        TagKind.WORKOUT: "workout",
        TagKind.LATE_WORKOUT: "late workout",
        TagKind.STRESS: "stress",
        TagKind.MELATONIN: "melatonin",
        TagKind.LATE_MEAL: "late meal",
        TagKind.SCREEN: "late screen time",
        TagKind.TRAVEL: "travel",
        TagKind.ILLNESS: "illness",
        TagKind.NIGHT_SHIFT: "night shift",
    },
    Language.ZH: {
        TagKind.LATE_CAFFEINE: "晚间咖啡因",
        TagKind.ALCOHOL: "饮酒",
        TagKind.WORKOUT: "运动",
        TagKind.LATE_WORKOUT: "晚间运动",
        TagKind.STRESS: "压力",
        TagKind.MELATONIN: "褪黑素",
        TagKind.LATE_MEAL: "晚餐过晚",
        TagKind.SCREEN: "睡前看屏幕",
        TagKind.TRAVEL: "旅行",
        TagKind.ILLNESS: "生病",
        TagKind.NIGHT_SHIFT: "夜班",
    },
}


def _clock_hours(text: str) -> Iterator[int]:
    """The hours (0-23) of the clock times in the text."""
    for match in _CLOCK.finditer(text):
        afternoon, hour, meridiem = match[1], int(match[2]), match[3]
        if meridiem:
            hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
        elif afternoon and hour < 12:
            hour += 12
        if hour < 24:
            yield hour


def _is_late(clause: str) -> bool:
    return bool(_LATE.search(clause)) or any(hour >= LATE_HOUR for hour in _clock_hours(clause))


def _is_morning(clause: str) -> bool:
    return bool(_MORNING.search(clause)) or any(4 <= hour < 12 for hour in _clock_hours(clause))


def mentioned_kinds(text: str) -> list[TagKind]:
    """The kinds the text mentions, unique, in order of first mention."""
    text = text[:SCAN_CHARS]
    matches = sorted((m.start(), -m.end(), kind) for kind, pattern in _PATTERNS for m in pattern.finditer(text))
    breaks = list(_CLAUSE_BREAK.finditer(text))
    break_starts = [match.start() for match in breaks]
    kinds: list[TagKind] = []
    covered_to = 0  # a keyword inside a longer one already taken ("drinks" in "energy drinks") is skipped
    for start, negative_end, kind in matches:
        if start < covered_to:
            continue
        covered_to = -negative_end
        index = bisect_right(break_starts, start)
        clause_start = breaks[index - 1].end() if index else 0
        clause_end = breaks[index].start() if index < len(breaks) else len(text)
        if _NEGATED.search(text[max(clause_start, start - NEGATION_WINDOW):start]):
            continue
        near = text[max(clause_start, start - CUE_WINDOW):min(clause_end, covered_to + CUE_WINDOW)]
        if kind is TagKind.LATE_CAFFEINE and _is_morning(near):
            continue
        if kind is TagKind.WORKOUT and _is_late(near):
            kind = TagKind.LATE_WORKOUT
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def parse_tags(text: str, today: date) -> list[Tag]:
    """A Tag for every kind the text mentions, on the night it affects: tonight's (`today` + 1 day) unless
    the text speaks of last night or yesterday (then `today`, the date last night ended)."""
    night = today if _PAST.search(text[:SCAN_CHARS]) else today + timedelta(days=1)
    note = text.strip()[:NOTE_CHARS]
    return [Tag(local_date=night, kind=kind, note=note) for kind in mentioned_kinds(text)]


def is_log_statement(text: str) -> bool:
    """Whether a chat message logs something (a short statement that mentions a tag) rather than asks."""
    text = text.strip()
    if len(text) > LOG_MAX_CHARS or "?" in text or "？" in text:
        return False
    if _QUESTION_START.match(text) or _ZH_QUESTION.search(text):
        return False
    return bool(mentioned_kinds(text))
