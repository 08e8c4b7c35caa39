"""The `sleepcot` command, and the composition root: the one place that wires store, integrations and
coach together for each command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sleepcot.backup_cli import backup_command, restore_command
from sleepcot.coach.llm import LLMUnavailable
from sleepcot.config import Settings
from sleepcot.demo_cli import ask_command, demo, load_llm
from sleepcot.ops_cli import health_command, keys_app
from sleepcot.store import Store
from sleepcot.units import format_duration
from sleepcot.users_cli import users_app

app = typer.Typer(help="SleepCoT: a self-hosted sleep coach.", no_args_is_help=True, add_completion=False)
app.command("demo")(demo)
app.command("ask")(ask_command)
out = Console()
err = Console(stderr=True)
@app.command("run")
def run_command(
    worker: bool = typer.Option(False, "--worker", help="only the scheduler: one more process sharing the "
                                                         "scheduled syncs, briefings and deliveries"),
) -> None:
    """The Telegram bot (SLEEPCOT_TELEGRAM_TOKEN) with its scheduler and web endpoints, or (--worker) one more
    scheduler process; Ctrl-C stops it cleanly."""
    import asyncio
    import logging
    import signal

    from bot.app import run
    from sleepcot import logs
    from sleepcot.crypto import KeyCheckError, check_keys

    settings = Settings()
    logs.setup(settings.log_format)
    if settings.telegram_token is None:
        err.print("[red]SLEEPCOT_TELEGRAM_TOKEN is not set.[/] Create a bot with @BotFather and put its token "
                  "in the environment or in .env (see deploy/.env.example).")
        raise typer.Exit(2)
    store = Store(settings.effective_database_url)
    store.migrate()
    try:
        key_ids = check_keys(settings, store.credential_samples())
    except KeyCheckError as exc:  # every sync would fail: refuse to start instead
        logging.getLogger("sleepcot").error("not starting: %s", exc)
        err.print(f"[red]Not starting:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    logging.getLogger("sleepcot").info("encryption keys %s open the stored credentials", ", ".join(key_ids))
    llm, reason = load_llm(settings)
    if not worker:  # the bot answers questions: load what retrieval reads now, not at the first one asked
        from sleepcot.coach import retrieval

        retrieval.warm()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, store, llm, reason, stop=stop, worker=worker)

    asyncio.run(main())


@contextmanager
def _progress_bars() -> Iterator[Callable[[str, int, int], None]]:
    """A `progress(label, done, total)` callback that draws one bar per label on stderr while it is open."""
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        shown: dict[str, int] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in shown:
                shown[label] = bar.add_task(label, total=total)
            bar.update(shown[label], completed=done)

        yield progress


@app.command("eval")
def eval_command(
    models: Annotated[str, typer.Option("--models", help="comma-separated: embedded (as served: the "
                                                         "shipped student by default), base (SmolLM2 alone), gguf:PATH, "
                                                         "lora:PATH (an adapter on SmolLM2), ollama:NAME, "
                                                         "openai:NAME, reference")] = "embedded",
    tasks: Annotated[str, typer.Option("--tasks", help="comma-separated: reports, followups, knowledge, "
                                                        "history")]
    = "reports,followups,knowledge",
    retrieval: Annotated[str, typer.Option("--retrieval", help="off, on, or both")] = "both",
    reports: Annotated[int, typer.Option("--reports", min=1, help="simulated reports (held-out seeds)")] = 100,
    questions: Annotated[int | None, typer.Option("--questions", min=1, help="N questions spread over the split "
                                                                            "(default: all)")] = None,
    split: Annotated[str, typer.Option("--split", help="question-bank split: test or dev")] = "test",
    judge: Annotated[str | None, typer.Option("--judge", help="a judge model at the OpenAI-compatible endpoint "
                                                              "(SLEEPCOT_OPENAI_BASE_URL)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="run directory (default: data_dir/runs/eval-<time>)")]
    = None,
    rescore_run: Annotated[Path | None, typer.Option("--rescore", exists=True, file_okay=False,
                                                     help="score an earlier run's replies again with today's guard "
                                                          "(no model is asked)")] = None,
) -> None:
    """Score models on held-out simulated reports and the question bank: a Markdown table and a PNG chart in
    the run directory."""
    from distill.evaluation import EvalConfig, evaluate, rescore

    settings = Settings()
    if rescore_run is not None:
        table = rescore(rescore_run, out_dir or rescore_run.with_name(rescore_run.name + "-rescored"))
        sys.stdout.write(table.read_text(encoding="utf-8"))
        err.print(f"Run directory: {table.parent}")
        return
    settings_of = {"off": (False,), "on": (True,), "both": (False, True)}
    if retrieval not in settings_of or split not in ("test", "dev"):
        err.print("[red]--retrieval is off, on or both; --split is test or dev.[/]")
        raise typer.Exit(2)
    run_dir = out_dir or settings.data_dir / "runs" / f"eval-{datetime.now():%Y%m%d-%H%M%S}"
    try:
        config = EvalConfig(models=[m.strip() for m in models.split(",") if m.strip()], out=run_dir,
                            tasks=tuple(t.strip() for t in tasks.split(",") if t.strip()),
                            retrieval=settings_of[retrieval], reports=reports, questions=questions, split=split,
                            max_tokens=settings.llm_max_tokens, judge=judge)
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    with _progress_bars() as progress:
        try:
            table = evaluate(config, settings, progress=progress)
        except (LLMUnavailable, ValueError) as exc:
            err.print(f"[red]Evaluation stopped:[/] {exc}")
            raise typer.Exit(1) from exc
    sys.stdout.write(table.read_text(encoding="utf-8"))
    err.print(f"Run directory: {run_dir} (table.md, chart.png, results.jsonl, manifest.json)")


@app.command("distill")
def distill_command(
    stage: Annotated[str, typer.Argument(help="synth, teach, train, export, or all of them in order; ship")],
    config: Annotated[Path, typer.Option("--config", help="a recipe, e.g. distill/configs/tiny-cpu.yaml")],
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="default: the recipe's run_dir")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="section.key=value over the recipe "
                                                                      "(repeatable), e.g. train.max_steps=5")] = None,
    force: Annotated[bool, typer.Option("--force", help="run the stage again even if it is done")] = False,
    scores: Annotated[Path | None, typer.Option("--scores", help="ship: an evaluation run whose scoreboard rows go "
                                                                 "into the shipped student's manifest")] = None,
) -> None:
    """The distillation pipeline: synthesize reports, have the teacher write chain-of-thought answers, LoRA
    fine-tune the student, export GGUF + an Ollama Modelfile + the GGUF LoRA adapter. Each stage resumes where
    it stopped. `ship` puts the run's adapter into sleepcot/student, where the embedded backend serves it."""
    from distill.config import load
    from distill.pipeline import run_stages
    from distill.run import RunDir, StageOrderError

    try:
        recipe = load(config, overrides or [])
        run = RunDir(recipe, run_dir)
        if stage == "ship":
            from distill.ship import ship

            out.print(f"Shipped: {ship(run, scores=scores, recipe=config)}", highlight=False)
            return
        with _progress_bars() as progress:
            run_stages(run, stage, force=force, say=lambda line: err.print(line, highlight=False), progress=progress)
    except (ValueError, FileNotFoundError, StageOrderError, LLMUnavailable) as exc:
        err.print(f"[red]distill {stage} stopped:[/] {exc}")
        raise typer.Exit(1) from exc
    out.print(f"Manifest: {run.manifest_path}", highlight=False)
    for line in run.stage("export").get("metrics", {}).get("deploy", []) if stage in ("export", "all") else []:
        out.print(line, highlight=False)


@app.command("invite")
def invite_command() -> None:
    """A single-use invite code for a new user of the bot (they send /start CODE, or open the link)."""
    settings = Settings()
    store = Store(settings.effective_database_url)
    store.migrate()
    code = store.create_invite(timedelta(hours=settings.invite_valid_hours))
    out.print(f"Invite code (single use, valid {settings.invite_valid_hours} h): [bold]{code}[/]", highlight=False)
    out.print(f"The user sends [bold]/start {code}[/] to your bot, or opens https://t.me/<your_bot>?start={code}",
              highlight=False)


@app.command("block")
def block_command(
    telegram_id: Annotated[int | None, typer.Argument(help="the person's Telegram id")] = None,
    user: Annotated[int | None, typer.Option("--user", help="or our user id, as the logs name it")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="lift the block: they may join again")] = False,
) -> None:
    """Block someone from the bot: everything of their user is deleted and the bot never answers them again
    (the same as /block in the chat). With --undo, they may join again."""
    settings = Settings()
    store = Store(settings.effective_database_url)
    store.migrate()
    if user is not None:
        telegram_id = store.telegram_id(user)
        if telegram_id is None:
            err.print(f"[red]There is no user {user} with a Telegram account.[/]")
            raise typer.Exit(1)
    if telegram_id is None:
        err.print("[red]Name the person: a Telegram id, or --user with our user id.[/]")
        raise typer.Exit(2)
    if undo:
        out.print(f"Unblocked {telegram_id}." if store.unblock(telegram_id) else f"{telegram_id} was not blocked.")
    elif telegram_id in settings.telegram_admins:
        err.print(f"[red]{telegram_id} is an operator (SLEEPCOT_TELEGRAM_ADMINS): remove them there first.[/]")
        raise typer.Exit(1)
    else:
        removed = store.block(telegram_id)
        out.print(f"Blocked {telegram_id}" + (": their data is deleted." if removed else " (no user had that id)."))


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a saved API response or an export")],
    vendor: Annotated[str, typer.Option(help="oura, whoop, withings, polar, google_health, fitbit, garmin, apple_health")],
    tz: Annotated[str, typer.Option(help="IANA timezone for timestamps without a UTC offset (legacy Fitbit)")] = "UTC",
    as_json: Annotated[bool, typer.Option("--json", help="print the canonical nights as one JSON document")] = False,
    telegram_id: Annotated[int | None, typer.Option(help="also store the nights for this bot user")] = None,
) -> None:
    """Parse a vendor payload or export (Apple Health export.zip/export.xml, a saved Oura/WHOOP/… response,
    a Fitbit or Garmin export) and print the canonical nights; records that cannot be read are listed."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from integrations.base import PayloadError
    from integrations.vendors import VENDORS

    readable = sorted(name for name, source in VENDORS.items() if source.read_export is not None)
    if vendor not in readable:
        err.print(f"[red]Unknown vendor {vendor!r}.[/] Choose one of: {', '.join(readable)}")
        raise typer.Exit(2)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        err.print(f"[red]Unknown timezone {tz!r}[/] (an IANA name such as Europe/Berlin).")
        raise typer.Exit(2) from None
    try:
        parsed = VENDORS[vendor].read_export(file, zone)
    except PayloadError as exc:
        err.print(f"[red]Cannot import {file.name}:[/] {exc}")
        raise typer.Exit(1) from None
    nights = sorted(parsed.nights, key=lambda n: n.start)
    if telegram_id is not None:
        settings = Settings()
        store = Store(settings.effective_database_url)
        store.migrate()
        user_id = store.user_by_telegram_id(telegram_id)
        if user_id is None:
            err.print(f"[red]No bot user with Telegram id {telegram_id}.[/]")
            raise typer.Exit(2)
        changed = store.for_user(user_id).upsert_nights(nights)
        err.print(f"stored {changed} new or changed night(s) for Telegram user {telegram_id}")
    for line in parsed.rejected:
        err.print(f"[yellow]rejected:[/] {line}", highlight=False)
    if as_json:
        print(json.dumps({"vendor": vendor, "nights": [n.model_dump(mode="json") for n in nights],
                          "rejected": parsed.rejected}, ensure_ascii=False))
        return
    table = Table("date", "kind", "in bed", "asleep", "eff %", "deep", "REM", "low HR", "HRV", "source id")
    for n in nights:
        table.add_row(str(n.local_date), n.kind.value, f"{n.start:%H:%M}–{n.end:%H:%M}", _duration(n.total_sleep_s),
                      _maybe(n.efficiency_pct), _duration(n.deep_s), _duration(n.rem_s), _maybe(n.hr_lowest_bpm),
                      _maybe(n.hrv_rmssd_ms), n.vendor_id)
    out.print(table)
    out.print(f"{len(nights)} night(s), {len(parsed.rejected)} record(s) rejected")


def _maybe(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _duration(seconds: int | None) -> str:
    return "–" if seconds is None else format_duration(seconds)


@app.command("db-upgrade")
def db_upgrade() -> None:
    """Apply the database migrations to SLEEPCOT_DATABASE_URL (SQLite in the data folder by default)."""
    settings = Settings()
    Store(settings.effective_database_url).migrate()
    out.print("database is at the latest schema")


app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("health")(health_command)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")

if __name__ == "__main__":  # pragma: no cover
    app()
