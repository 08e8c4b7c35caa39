"""`sleepcot demo` and `sleepcot ask`: a simulated user and wearable on the embedded defaults — a week of nights
synced, the morning briefing, then a chat in the terminal — in English or Chinese (`--language zh`), and one
answer for the demo user (or a bot user). Every sentence the demo itself says is in DEMO_TEXTS, per language."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from sleepcot.analysis import Analysis
from sleepcot.analysis.latest import analyze_latest
from sleepcot.coach import findings as words
from sleepcot.coach.answering import answer
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.generation import CoachReply
from sleepcot.coach.llm import LLM, LLMUnavailable, make_llm
from sleepcot.config import Settings
from sleepcot.domain import Language, Profile
from sleepcot.store import Store, UserStore
from sleepcot.units import WEEKDAYS
from sleepcot.users_cli import bot_user, settings_store

out = Console()
err = Console(stderr=True)
DEMO_DB = "demo.db"


def _demo_store(settings: Settings) -> Store:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{settings.data_dir / DEMO_DB}")
    store.migrate()
    return store


EN, ZH = Language.EN, Language.ZH
# Everything the demo and `ask` say themselves, around the coach's text, in each language (rich markup; the
# values filled in are escaped by `_say`).
DEMO_TEXTS: dict[str, dict[Language, str]] = {
    "syncing": {EN: "Syncing {days} simulated nights ({persona}, seed {seed})…",
                ZH: "正在同步 {days} 晚模拟数据（{persona}，种子 {seed}）…"},
    "loading": {EN: "Loading the language model…", ZH: "正在加载语言模型…"},
    "unavailable": {EN: "[yellow]LLM unavailable:[/] {reason}. Using the deterministic coach.",
                    ZH: "[yellow]语言模型不可用：[/]{reason}。改用确定性教练。"},
    "writing": {EN: "Writing your morning briefing…", ZH: "正在撰写你的晨间简报…"},
    "thinking": {EN: "Thinking…", ZH: "思考中…"},
    "good_morning": {EN: "Good morning, {name} — {date}", ZH: "早上好，{name} — {date}"},
    "no_name": {EN: "there", ZH: "你"},
    "sources": {EN: "Sources: {sources}", ZH: "来源：{sources}"},
    "signature": {EN: "— {backend}, guard {verdict}", ZH: "— {backend}，核查{verdict}"},
    "deterministic": {EN: "deterministic", ZH: "确定性文本"},  # who wrote it when no model did
    "passed": {EN: "passed", ZH: "通过"},
    "failed": {EN: "failed", ZH: "未通过"},
    "fallback": {EN: "[yellow]Fell back to the deterministic text:[/] {reason}",
                 ZH: "[yellow]已改用确定性文本：[/]{reason}"},
    "chat_intro": {EN: "Ask about your sleep (empty line or Ctrl-D to quit).",
                   ZH: "问问你的睡眠吧（输入空行或按 Ctrl-D 退出）。"},
    "you": {EN: "You:", ZH: "你："},
    "goodbye": {EN: "Sleep well!", ZH: "祝你睡个好觉！"},
}
QUIT_WORDS = {"quit", "exit", "退出", "再见"}
# The Chinese demo user of each persona: a name, a timezone, and the goals and reports in their own words (the
# same meaning as the English persona's, so the analysis finds the same things).
ZH_PERSONAS: dict[str, dict] = {
    "healthy": {"name": "林娜", "goals": ["保持晨跑的精力", "了解什么会影响我的深睡"]},
    "short_sleeper": {"name": "马可", "goals": ["下午不那么累", "工作日晚上睡够7小时"]},
    "insomnia": {"name": "王莎", "goals": ["更快入睡", "半夜不再醒着躺在床上"],
                 "conditions": ["入睡困难和睡不安稳已经一年多了", "工作压力大"]},
    "apnea": {"name": "唐明", "goals": ["醒来时感觉休息好了", "白天少犯困"],
              "conditions": ["打鼾声很大（伴侣说的）", "高血压", "超重"]},
    "shift_worker": {"name": "陈佩", "goals": ["夜班之间睡得更久", "更快切换回白班"],
                     "conditions": ["医院护士，轮班（早班、夜班和休息轮换）"]},
    "evening_alcohol": {"name": "刘伟", "goals": ["醒来时不那么昏沉", "让我的HRV回升"]},
    "older_adult": {"name": "张军", "goals": ["一觉睡到正常的起床时间", "下午保持清醒"],
                    "conditions": ["高血压（在治疗）", "大多数日子下午会午睡"]},
}
ZH_TIMEZONE = "Asia/Shanghai"


def _say(language: Language, key: str, /, **values: object) -> str:
    """The demo's own `key` text in `language`, with `values` escaped for rich markup."""
    return DEMO_TEXTS[key][language].format(**{name: escape(str(value)) for name, value in values.items()})


def _long_date(day: date, language: Language) -> str:
    return f"{day.month}月{day.day}日 {WEEKDAYS[ZH][day.weekday()]}" if language is ZH else f"{day:%A %d %B}"


def load_llm(settings: Settings, language: Language = EN) -> tuple[LLM | None, str | None]:
    """The configured model, or None and the reason it is unavailable (said on stderr)."""
    try:
        with err.status(_say(language, "loading")):
            return make_llm(settings), None
    except LLMUnavailable as exc:
        err.print(_say(language, "unavailable", reason=exc))
        return None, str(exc)


def _report_fallback(reply: CoachReply, language: Language = EN) -> None:
    if not reply.by_model:
        err.print(_say(language, "fallback", reason=reply.fallback_reason))


def _demo_profile(persona: str, language: Language) -> Profile:
    """The persona's profile, for a Chinese user when `language` is zh (their name, timezone and words)."""
    from integrations.simulator import persona_profile

    profile = persona_profile(persona)
    if language is ZH:
        chinese = ZH_PERSONAS[persona]
        if bool(profile.conditions) != ("conditions" in chinese):
            raise ValueError(f"persona {persona!r}: its conditions and their Chinese words do not match")
        profile = Profile.model_validate({**profile.model_dump(), "language": ZH, "timezone": ZH_TIMEZONE, **chinese})
    return profile


def _seed_demo_user(store: Store, persona: str, seed: int, days: int, language: Language = EN) -> UserStore:
    from integrations.simulator import Persona, SimulatorAdapter

    chosen = Persona(persona)
    for user_id in store.user_ids():  # the demo database holds one simulated user, made anew each run
        store.for_user(user_id).delete()
    profile = _demo_profile(chosen.value, language)
    user = store.for_user(store.create_user(profile))
    today = datetime.now(profile.tz).date()
    adapter = SimulatorAdapter(chosen, seed, today, tz=profile.timezone)
    start = today - timedelta(days=days - 1)
    user.upsert_nights(adapter.fetch_nights(start, today))
    for tag in adapter.fetch_tags(start, today):
        user.add_tag(tag)
    return user


def _ask(user: UserStore, analysis: Analysis | None, question: str, llm: LLM | None, reason: str | None,
         settings: Settings) -> CoachReply:
    language = user.profile().language
    with err.status(_say(language, "thinking")):
        reply = answer(question, analysis, llm, history=user.recent_turns(6), language=language,
                       max_tokens=settings.llm_max_tokens, unavailable_reason=reason, source=user)
    user.add_turn("user", question)
    user.add_turn("assistant", reply.text)
    return reply


def _print_reply(reply: CoachReply, language: Language = EN) -> None:
    out.print(reply.text, markup=False, highlight=False)
    if reply.sources:
        out.print(_say(language, "sources", sources="; ".join(dict.fromkeys(reply.sources))), style="dim",
                  highlight=False)
    verdict = _say(language, "passed" if reply.verdict["ok"] else "failed")
    backend = _say(language, "deterministic") if not reply.by_model else reply.backend
    out.print(_say(language, "signature", backend=backend, verdict=verdict), style="dim", highlight=False)
    _report_fallback(reply, language)


def demo(
    persona: Annotated[str, typer.Option(help="healthy, short_sleeper, insomnia, apnea, shift_worker, evening_alcohol, older_adult")] = "healthy",
    seed: Annotated[int, typer.Option(help="simulation seed")] = 7,
    days: Annotated[int, typer.Option(min=2, max=120, help="nights to simulate and sync")] = 7,
    language: Annotated[Language, typer.Option("--language", help="the simulated user's language: en or zh "
                                                                  "(a Chinese user, their briefing and chat)")] = EN,
    ask: Annotated[str | None, typer.Option("--ask", help="ask one question after the briefing, then exit")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one machine-readable JSON document")] = False,
) -> None:
    """A simulated user and wearable: sync a week of nights, print the morning briefing, then chat."""
    from integrations.simulator import Persona

    if persona not in {p.value for p in Persona}:
        raise typer.BadParameter(f"unknown persona {persona!r}", param_hint="--persona")
    settings = Settings()
    store = _demo_store(settings)
    with err.status(_say(language, "syncing", days=days, persona=persona, seed=seed)):
        user = _seed_demo_user(store, persona, seed, days, language)
    analysis = analyze_latest(user)
    llm, reason = load_llm(settings, language)
    with err.status(_say(language, "writing")):
        reply = write_briefing(analysis, llm, max_tokens=settings.llm_max_tokens, unavailable_reason=reason)
    user.save_briefing(analysis.night.local_date, reply.text, reply.as_dict())
    answered = _ask(user, analysis, ask, llm, reason, settings) if ask else None

    if as_json:
        document = {
            "persona": persona, "seed": seed, "language": language.value,
            "profile": analysis.profile.model_dump(mode="json"),
            "night": analysis.night.model_dump(mode="json", exclude={"segments"}),
            "findings": [{**f.model_dump(mode="json"), "title": words.title(f, language),
                          "detail": words.detail(f, language), "advice": words.advice(f, language)}
                         for f in analysis.findings],
            "briefing": reply.as_dict(), "answer": answered.as_dict() if answered else None,
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    name = user.profile().name or _say(language, "no_name")
    out.rule(_say(language, "good_morning", name=name, date=_long_date(analysis.night.local_date, language)))
    _print_reply(reply, language)
    if answered:
        out.print(f"\n[bold]{_say(language, 'you')}[/] {escape(ask)}", highlight=False)
        _print_reply(answered, language)
        return
    _chat(user, analysis, llm, reason, settings)


def _chat(user: UserStore, analysis: Analysis | None, llm: LLM | None, reason: str | None, settings: Settings) -> None:
    language = user.profile().language
    you = DEMO_TEXTS["you"][language]
    interactive = sys.stdin.isatty()
    if interactive:
        out.print("\n" + _say(language, "chat_intro"), highlight=False)
    while True:
        try:
            question = input(f"{you} " if interactive else "")
        except EOFError:
            break
        if not question.strip() or question.strip().lower() in QUIT_WORDS:
            break
        if not interactive:
            out.print(f"\n[bold]{escape(you)}[/] {escape(question)}", highlight=False)
        _print_reply(_ask(user, analysis, question, llm, reason, settings), language)
    out.print("\n" + _say(language, "goodbye"), highlight=False)


def ask_command(
    question: Annotated[str, typer.Argument(help="your question")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    telegram_id: Annotated[int | None, typer.Option("--telegram-id", help="ask as this bot user, in the "
                                                                         "database of the settings")] = None,
) -> None:
    """One answer for the demo user, in their language (run `sleepcot demo` first to choose a persona and
    language), or for a bot user."""
    settings = Settings()
    if telegram_id is not None:
        user = bot_user(settings_store(settings), telegram_id)
    else:
        store = _demo_store(settings)
        ids = store.user_ids()
        user = store.for_user(ids[0]) if ids else _seed_demo_user(store, "healthy", 7, 7)
    language = user.profile().language
    llm, reason = load_llm(settings, language)
    reply = _ask(user, analyze_latest(user), question, llm, reason, settings)
    if as_json:
        sys.stdout.write(json.dumps(reply.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_reply(reply, language)


