"""`sleepcot users`: the operator adds, lists and removes bot users from the command line. A user added here
is consented and onboarded, as if they had finished /start; `remove` does what their /delete does. Each
command works on the database of the settings (SLEEPCOT_DATABASE_URL, or SQLite in the data folder)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import IntegrityError

from sleepcot.config import Settings
from sleepcot.domain import Language, Profile
from sleepcot.store import Store, UnknownUser, UserStore

users_app = typer.Typer(help="Add, list and remove the bot's users.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
TelegramId = Annotated[int, typer.Option("--telegram-id", min=1, help="the person's Telegram id")]


def settings_store(settings: Settings) -> Store:
    """The database of the settings, migrated."""
    store = Store(settings.effective_database_url)
    store.migrate()
    return store


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/]", highlight=False)
    return typer.Exit(2)


def bot_user(store: Store, telegram_id: int) -> UserStore:
    """The store of the bot user with this Telegram id; exits with code 2 when there is none."""
    user_id = store.user_by_telegram_id(telegram_id)
    if user_id is None:
        raise _fail(f"No bot user with Telegram id {telegram_id}.")
    return store.for_user(user_id)


@users_app.command("add")
def add_command(
    telegram_id: TelegramId,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA timezone, e.g. Europe/Berlin")],
    language: Annotated[str, typer.Option("--language", help="en or zh")] = Language.EN.value,
    name: Annotated[str | None, typer.Option("--name", help="how the coach greets them")] = None,
) -> None:
    """Add a bot user, consented and onboarded (the bot treats them as having finished /start). Prints
    their user id."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f"Unknown timezone {timezone!r} (an IANA name such as Europe/Berlin).") from None
    languages = [lang.value for lang in Language]
    if language not in languages:
        raise _fail(f"Unknown language {language!r}. Choose one of: {', '.join(languages)}.")
    try:
        profile = Profile(timezone=timezone, language=Language(language), name=name or None)
    except ValidationError as exc:
        raise _fail(f"Invalid profile: {exc.errors()[0]['msg']}.") from None
    store = settings_store(Settings())
    if store.is_blocked(telegram_id):
        raise _fail(f"Telegram id {telegram_id} is blocked: lift it first with `sleepcot block --undo {telegram_id}`.")
    taken = f"Telegram id {telegram_id} is already used by user {{}}."
    if (existing := store.user_by_telegram_id(telegram_id)) is not None:
        raise _fail(taken.format(existing))
    try:
        user_id = store.create_user(profile, telegram_id, consented=True)
    except IntegrityError:  # added by someone else since the check
        raise _fail(taken.format(store.user_by_telegram_id(telegram_id))) from None
    sys.stdout.write(f"{user_id}\n")


def _row(store: Store, user_id: int, telegram_id: int | None) -> dict[str, Any] | None:
    user = store.for_user(user_id)
    try:
        profile = user.profile()
    except UnknownUser:  # removed while we were reading
        return None
    sources = user.sources().values()
    latest: date | None = max((newest for _, newest in sources), default=None)
    return {"user_id": user_id, "telegram_id": telegram_id, "name": profile.name, "timezone": profile.timezone,
            "language": profile.language.value, "nights": sum(count for count, _ in sources),
            "latest_night": latest.isoformat() if latest else None}


@users_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="print one machine-readable JSON document")] = False,
) -> None:
    """Every user: our id, Telegram id, name, timezone, language, main nights stored and the latest one's date."""
    store = settings_store(Settings())
    ids = store.user_ids()
    telegram = store.telegram_ids(ids)
    rows = [row for user_id in ids if (row := _row(store, user_id, telegram.get(user_id))) is not None]
    if as_json:
        sys.stdout.write(json.dumps({"users": rows}, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("user", "Telegram id", "name", "timezone", "language", "nights", "latest night")
    for row in rows:
        table.add_row(*(("–" if row[key] is None else str(row[key])) for key in
                        ("user_id", "telegram_id", "name", "timezone", "language", "nights", "latest_night")))
    out.print(table)
    out.print(f"{len(rows)} user(s)")


def _withdraw_grants(settings: Settings, store: Store, user: UserStore) -> tuple[list[str], list[str]]:
    """What /delete does first: withdraw our access at each connected vendor that we fetch from (the Hub
    waits at most REVOKE_WAIT_S per vendor and never raises). Returns (withdrawn, not withdrawn)."""
    from integrations.sync import Hub
    from integrations.vendors import VENDORS
    from sleepcot.crypto import Vault

    names = [name for name in user.vendors() if name in VENDORS and VENDORS[name].adapter is not None]
    if not names:
        return [], []
    try:
        vault = Vault.from_settings(settings)
    except ValueError as exc:  # unreadable SLEEPCOT_SECRET_KEYS: the data is deleted regardless
        err.print(f"[yellow]Cannot open the credentials ({exc}).[/]", highlight=False)
        return [], names

    async def withdraw() -> list[bool]:
        hub = Hub(settings, vault, engine=store.engine)
        try:
            return await asyncio.gather(*(hub.revoke(user, name) for name in names))
        finally:
            await hub.aclose()

    done = asyncio.run(withdraw())
    return [n for n, ok in zip(names, done) if ok], [n for n, ok in zip(names, done) if not ok]


@users_app.command("remove")
def remove_command(telegram_id: TelegramId) -> None:
    """Delete everything of a bot user, as their /delete does: our access at their vendors is withdrawn
    where the vendor offers that, then every row of theirs is removed."""
    settings = Settings()
    store = settings_store(settings)
    user = bot_user(store, telegram_id)
    withdrawn, kept = _withdraw_grants(settings, store, user)
    user.delete()
    if withdrawn:
        out.print(f"Withdrew our access at: {', '.join(withdrawn)}.", highlight=False)
    if kept:
        err.print(f"[yellow]Could not withdraw our access at: {', '.join(kept)}[/] (the person can do it in the "
                  "vendor's app or account settings).", highlight=False)
    out.print(f"Removed user {user.user_id} (Telegram id {telegram_id}): their data is deleted.", highlight=False)
