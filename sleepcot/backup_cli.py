"""`sleepcot backup PATH` and `sleepcot restore PATH`: the operator backs up the database of the settings
(SLEEPCOT_DATABASE_URL, or SQLite in the data folder) into one file while the bot runs, and restores such a
file into an empty database (the bot stopped). Only counts and revisions are printed, never health data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from sleepcot.config import Settings
from sleepcot.store.backup import BackupError, Manifest, Refused, Restored, backup, backup_name, restore

out = Console(soft_wrap=True, markup=False, highlight=False)  # paths and messages as they are, one line each
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)


def _fail(exc: Exception) -> typer.Exit:
    """Exit code 2 for a refusal (nothing was changed), 1 for a failure; one line on stderr."""
    if isinstance(exc, OSError):
        message = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
        code = 1
    elif isinstance(exc, SQLAlchemyError):
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        message, code = f"Cannot use the database: {reason}", 1
    else:
        message, code = str(exc), 2 if isinstance(exc, Refused) else 1
    err.print(message, style="red")
    return typer.Exit(code)


def backup_command(
    path: Annotated[Path, typer.Argument(help="the file to write (a folder: a dated file in it)", show_default=False)],
    include_key: Annotated[bool, typer.Option(
        "--include-key", help="put the key in the backup too (then guard the file like the key itself)")] = False,
) -> None:
    """Back up the database into one file (a tar archive, readable by you only). Safe while the bot runs:
    SQLite through its online backup API, PostgreSQL through pg_dump (install the server's client tools)."""
    if path.is_dir():
        path = path / backup_name(datetime.now(UTC))
    try:
        manifest = backup(Settings(), path, include_key=include_key)
    except (BackupError, SQLAlchemyError, OSError) as exc:
        raise _fail(exc) from None
    out.print(f"Backed up the {manifest.dialect} database (revision {manifest.revision}) to {path}.")
    if manifest.holds_key:
        err.print("It holds the key: anyone with this file can read the vendor tokens in it; keep it as safe as "
                  "the key.", style="yellow")
    else:
        err.print(f"It does not hold the key ({_ids(manifest)}): the vendor tokens in it cannot be read "
                  "without that key. Keep the key elsewhere (SLEEPCOT_SECRET_KEYS, or secret.key in the data "
                  "folder), or back up with --include-key.", style="yellow")


def restore_command(
    path: Annotated[Path, typer.Argument(help="a file made by `sleepcot backup`", show_default=False)],
    force: Annotated[bool, typer.Option(
        "--force", help="replace the SleepCoT data the database already holds")] = False,
) -> None:
    """Restore a backup into the database of the settings, then migrate it to this version. Stop the bot
    first. Refuses a database that holds SleepCoT data (unless --force) and a backup made by a newer SleepCoT."""
    try:
        restored = restore(Settings(), path, force=force)
    except (BackupError, SQLAlchemyError, OSError) as exc:
        raise _fail(exc) from None
    _report(path, restored)


def _ids(manifest: Manifest) -> str:
    return f"key id {', '.join(manifest.key_ids)}" if manifest.key_ids else "no key was configured"


def _report(path: Path, restored: Restored) -> None:
    manifest = restored.manifest
    table = Table("table", "rows")
    for name, count in sorted(restored.rows.items()):
        table.add_row(name, str(count))
    out.print(table)
    out.print(f"Restored {sum(restored.rows.values())} rows in {len(restored.rows)} tables from {path} (made "
              f"{manifest.created_at} by SleepCoT {manifest.sleepcot_version}); database revision "
              f"{manifest.revision} -> {restored.revision}.")
    if restored.key_written is not None:
        out.print(f"The backup held the key: written to {restored.key_written}.")
    elif manifest.holds_key:
        out.print("The backup held the key.")
    else:
        out.print(f"The backup did not hold the key ({_ids(manifest)}).")
    if restored.key_note:
        err.print(restored.key_note, style="yellow")
