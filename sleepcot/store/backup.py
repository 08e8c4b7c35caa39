"""Backups of the database, as one tar file (mode 0600): `manifest.json` (what the backup is: format, when,
dialect, the migration revision, the SleepCoT version, whether it holds the key and the configured keys'
ids, never a key), the database (SQLite: a copy through SQLite's online backup API, consistent while the bot
writes; PostgreSQL: `pg_dump --format=custom` of the schema SleepCoT lives in) and, only when asked, the key
(`secret.key`: the Fernet keys, current first; without them the vendor tokens in the database are unreadable).

`restore` puts a backup back into an empty database (or replaces one's SleepCoT tables with `force`), then
migrates it to this version's head; `scheduled_backup` is what the bot runs every SLEEPCOT_BACKUP_INTERVAL_H."""

from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import column, select, table

from sleepcot import __version__
from sleepcot.config import Settings
from sleepcot.crypto import KEY_FILE, configured_keys, key_id
from sleepcot.store import dumps
from sleepcot.store.database import MIGRATIONS, Database
from sleepcot.store.dumps import BackupError, Refused
from sleepcot.store.engine import connect

__all__ = ["BackupError", "Manifest", "Refused", "Restored", "backup", "backup_name", "last_scheduled", "read_manifest",
           "restore", "scheduled_backup"]

FORMAT = 1
MANIFEST, SQLITE_MEMBER, PG_MEMBER, KEY_MEMBER = "manifest.json", "sleepcot.sqlite", "sleepcot.pgdump", KEY_FILE
SCHEDULED = re.compile(r"sleepcot-\d{8}T\d{6}Z\.tar")
_scheduled_lock = threading.Lock()


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str  # ISO 8601, UTC
    dialect: str  # "sqlite" or "postgresql"
    revision: str  # the migration the database was at
    sleepcot_version: str
    holds_key: bool
    key_ids: list[str] = field(default_factory=list)  # the configured keys' ids (`crypto.key_id`), current first
    schema: str | None = None  # PostgreSQL: the schema dumped


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    revision: str  # the database's revision now (head)
    rows: dict[str, int]  # rows per SleepCoT table
    key_written: Path | None  # where the backup's key was written
    key_note: str | None  # what the operator must know about the key, if anything


def backup_name(now: datetime) -> str:
    """The file name of a scheduled backup made at `now` (aware)."""
    return f"sleepcot-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar"


def backup(source: Settings | str, path: Path, *, include_key: bool = False) -> Manifest:
    """Back up the database of `source` (settings, or a URL with the keys of the environment's settings) into
    the file `path` (written beside it, then renamed over it)."""
    settings = source if isinstance(source, Settings) else Settings(database_url=source)
    url, path = settings.effective_database_url, Path(path)
    keys = configured_keys(settings)
    if include_key and not keys:
        raise Refused("No key to include: neither SLEEPCOT_SECRET_KEYS nor the data folder's secret.key is there.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".sleepcot-backup-") as work:
        member = PG_MEMBER if dumps.is_postgres(url) else SQLITE_MEMBER
        if member == PG_MEMBER:
            revision, schema = dumps.pg_dump(url, Path(work) / member)
        else:
            revision, schema = dumps.sqlite_copy(dumps.sqlite_file(url), Path(work) / member), None
        manifest = Manifest(FORMAT, datetime.now(UTC).isoformat(timespec="seconds"), dumps.dialect(url), revision,
                            __version__, include_key, [key_id(k) for k in keys], schema)
        members: dict[str, bytes | Path] = {MANIFEST: json.dumps(asdict(manifest), indent=2).encode(),
                                            member: Path(work) / member}
        if include_key:
            members[KEY_MEMBER] = b"\n".join(keys) + b"\n"
        _write_archive(path, members)
    return manifest


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup at `path`; Refused when it is not a backup this SleepCoT can read."""
    with _archive(path) as tar:
        stream = _open(tar, MANIFEST)
        try:
            data = json.load(stream) if stream is not None else None
        except ValueError:
            data = None
    if not isinstance(data, dict):
        raise Refused(f"{path} is not a SleepCoT backup (it has no {MANIFEST}).")
    if not isinstance(data.get("format"), int) or data["format"] > FORMAT:
        raise Refused(f"{path} was made by a newer SleepCoT (backup format {data.get('format')}): "
                      "upgrade SleepCoT first.")
    try:
        return Manifest(**{f.name: data[f.name] for f in fields(Manifest) if f.name in data})
    except TypeError:
        raise Refused(f"{path} has an incomplete {MANIFEST}.") from None


def restore(target: Settings | str, path: Path, *, force: bool = False) -> Restored:
    """Restore the backup at `path` into the database of `target`, then migrate it to head. Refused (nothing
    changed) for a backup of an unknown revision or another dialect, or a target holding SleepCoT rows
    without `force`. Stop the bot first (on SQLite a database in use is refused)."""
    settings = target if isinstance(target, Settings) else Settings(database_url=target)
    url, path = settings.effective_database_url, Path(path)
    manifest = read_manifest(path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if manifest.revision not in {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}:
        raise Refused(f"The backup is at database revision {manifest.revision}, which SleepCoT {__version__} "
                      "does not know: a newer SleepCoT made it. Upgrade SleepCoT first.")
    if manifest.dialect != dumps.dialect(url):
        raise Refused(f"This is a {manifest.dialect} backup; the database of the settings is {dumps.dialect(url)}.")
    postgres = dumps.is_postgres(url)
    work_dir = None if postgres else dumps.sqlite_file(url).parent
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".sleepcot-restore-") as work:
        dump = Path(work) / (PG_MEMBER if postgres else SQLITE_MEMBER)
        with _archive(path) as tar, dump.open("xb") as file:
            if (stream := _open(tar, dump.name)) is None:
                raise Refused(f"{path} holds no database ({dump.name}).")
            shutil.copyfileobj(stream, file)
            key = _open(tar, KEY_MEMBER) if manifest.holds_key else None
            archived = key.read().split() if key is not None else []
        engine = connect(url)
        try:
            if postgres:
                dumps.pg_restore(engine, url, dump, manifest.schema, force)
            else:
                dumps.sqlite_restore(engine, url, dump, force)
        finally:
            engine.dispose()
    database = Database(url)
    try:
        database.migrate()
        with database.engine.connect() as connection:
            schema = dumps.current_schema(connection) if postgres else None
            rows, revision = dumps.row_counts(connection, schema), dumps.read_revision(connection, schema)
            needed = set(connection.scalars(select(column("key_id")).distinct().select_from(
                table("credentials", schema=schema))))
    finally:
        database.close()
    return Restored(manifest, revision, rows, *_restore_key(settings, archived, needed))


def scheduled_backup(settings: Settings, now: datetime) -> Path:
    """Back up (never with the key) into SLEEPCOT_BACKUP_DIR as `backup_name(now)`, then delete the oldest
    scheduled backups beyond SLEEPCOT_BACKUP_KEEP (only files named like `backup_name`'s). Safe from a thread;
    calls made at once run one after the other."""
    if settings.backup_dir is None:
        raise Refused("Scheduled backups need a folder: set SLEEPCOT_BACKUP_DIR.")
    folder = settings.backup_dir
    with _scheduled_lock:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / backup_name(now)
        backup(settings, path, include_key=False)
        made = sorted(p for p in folder.iterdir() if SCHEDULED.fullmatch(p.name) and p.is_file())
        for old in made[: -settings.backup_keep]:
            old.unlink(missing_ok=True)
    return path


def last_scheduled(folder: Path) -> datetime | None:
    """When the newest scheduled backup in `folder` was made (from its name), None when there is none."""
    names = sorted(p.name for p in folder.glob("sleepcot-*.tar") if SCHEDULED.fullmatch(p.name)) if folder.is_dir() else []
    return datetime.strptime(names[-1], "sleepcot-%Y%m%dT%H%M%SZ.tar").replace(tzinfo=UTC) if names else None


# --- the archive --------------------------------------------------------------------------------------------

def _write_archive(path: Path, members: dict[str, bytes | Path]) -> None:
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")  # 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            with tarfile.open(fileobj=file, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for name, data in members.items():
                    info = tarfile.TarInfo(name)
                    info.mode, info.mtime = 0o600, int(time.time())
                    info.size = len(data) if isinstance(data, bytes) else data.stat().st_size
                    with (BytesIO(data) if isinstance(data, bytes) else data.open("rb")) as stream:
                        tar.addfile(info, stream)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


@contextmanager
def _archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, "r:")
    except FileNotFoundError:
        raise Refused(f"No file {path}.") from None
    except (tarfile.TarError, IsADirectoryError):
        raise Refused(f"{path} is not a SleepCoT backup (not a tar archive).") from None
    with tar:
        yield tar


def _open(tar: tarfile.TarFile, name: str) -> IO[bytes] | None:
    """The regular file `name` in the archive, None when it has none."""
    member = next((m for m in tar.getmembers() if m.name == name and m.isfile()), None)
    return None if member is None else tar.extractfile(member)


def _restore_key(settings: Settings, archived: list[bytes], needed: set[str]) -> tuple[Path | None, str | None]:
    """Write the backup's key where the settings look for it when they have none; say what the operator must
    know when the credentials (`needed`: their key ids) need a key that is not configured."""
    configured = {key_id(k) for k in configured_keys(settings)}
    if archived and not configured and (len(archived) == 1 or needed <= {key_id(archived[0])}):
        path = settings.data_dir / KEY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(archived[0] + b"\n")
        return path, None
    notes = []
    if archived and not configured:
        notes.append(f"The backup holds {len(archived)} keys: set SLEEPCOT_SECRET_KEYS to them, comma-separated "
                     f"(its member {KEY_MEMBER}, one a line).")
    elif archived and not {key_id(k) for k in archived} <= configured:
        notes.append("A different key is configured: the backup's key was not written.")
    if missing := sorted(needed - configured - ({key_id(k) for k in archived} if not configured else set())):
        notes.append(f"Vendor tokens made with key(s) {', '.join(missing)} cannot be read until that key is "
                     "configured (or the users reconnect their wearables).")
    return None, " ".join(notes) or None
