"""How each dialect's database is copied out for `sleepcot.store.backup` and put back:
SQLite through its online backup API (one step: a consistent snapshot while the bot goes on writing),
PostgreSQL through `pg_dump --format=custom` of the schema SleepCoT lives in and `pg_restore` (the client
tools must be installed; the password goes in PGPASSWORD, never on a command line)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import column, func, inspect, select, table, text
from sqlalchemy.engine import Connection, Engine, make_url

from sleepcot.store.engine import connect
from sleepcot.store.models import Base

TABLES = [t.name for t in Base.metadata.sorted_tables]  # and alembic_version, the migrations' own
NEVER_MIGRATED = "The database holds no SleepCoT schema (it was never migrated)."


class BackupError(RuntimeError):
    """Backing up or restoring failed; the message says why and what to do."""


class Refused(BackupError):
    """Refused before anything was changed: the backup or the target is not what it must be."""


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() in ("postgres", "postgresql")


def dialect(url: str) -> str:
    return "postgresql" if is_postgres(url) else "sqlite"


def read_revision(connection: Connection, schema: str | None) -> str:
    revision = None
    if "alembic_version" in inspect(connection).get_table_names(schema=schema):
        revision = connection.scalar(select(column("version_num")).select_from(table("alembic_version", schema=schema)))
    if not revision:
        raise Refused(NEVER_MIGRATED)
    return revision


def row_counts(connection: Connection, schema: str | None) -> dict[str, int]:
    """Rows per SleepCoT table present in the database (or schema), the migrations' own table aside."""
    present = set(inspect(connection).get_table_names(schema=schema))
    return {name: connection.scalar(select(func.count()).select_from(table(name, schema=schema)))
            for name in TABLES if name in present}


def refuse_data(rows: dict[str, int], force: bool) -> None:
    if not force and (held := sum(rows.values())):
        raise Refused(f"The database already holds SleepCoT data ({held} rows): restore into an empty database, "
                      "or add --force to replace it.")


# --- SQLite -------------------------------------------------------------------------------------------------

def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise Refused("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database).expanduser()


def sqlite_copy(source: Path, copy: Path) -> str:
    """Copy the database through the online backup API (one step: a consistent snapshot; writers go on)."""
    if not source.is_file():
        raise Refused(f"No database at {source}.")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(copy)) as dst:
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite could not copy the database: {exc}.") from None
        if check != "ok":
            raise BackupError(f"The copy of the database is damaged ({check}); the database may be too.")
        try:
            row = dst.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # no such table
            row = None
    if not row:
        raise Refused(NEVER_MIGRATED)
    return row[0]


def sqlite_restore(engine: Engine, url: str, copy: Path, force: bool) -> None:
    """Copy `copy` over the database of `url` (the backup API: one transaction), refused when it holds
    SleepCoT rows unless `force`, or while another connection has it open."""
    with engine.connect() as connection:
        refuse_data(row_counts(connection, None), force)
    engine.dispose()
    with closing(sqlite3.connect(copy)) as src, closing(sqlite3.connect(sqlite_file(url), timeout=2)) as dst:
        try:  # leaving WAL needs the only connection: the bot must be stopped
            dst.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            raise Refused("The database is in use: stop the bot and its workers, then restore.") from None
        try:
            src.backup(dst)
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite could not restore the database: {exc}.") from None


# --- PostgreSQL ---------------------------------------------------------------------------------------------

def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """pg_dump/pg_restore's --dbname for `url`, and their environment (the password only in PGPASSWORD)."""
    from psycopg.conninfo import make_conninfo
    from psycopg.pq import Conninfo

    parsed = make_url(url)
    libpq = {option.keyword.decode() for option in Conninfo.get_defaults()}  # not psycopg's own arguments
    params = {k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items() if k in libpq}
    password = params.pop("password", parsed.password)
    for name, value in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username),
                        ("dbname", parsed.database)):
        if value:
            params[name] = str(value)
    env = dict(os.environ, **({"PGPASSWORD": str(password)} if password else {}))
    return f"--dbname={make_conninfo('', **params)}", env


def _search_schema(url: str) -> str | None:
    """The first schema of the search_path that the URL's `options` set, if they set one."""
    options = make_url(url).query.get("options") or ""
    found = re.search(r"(?:-c\s*|--)search_path\s*=\s*([^\s,]+)", options if isinstance(options, str) else options[-1])
    return found.group(1).strip('"') if found and not found.group(1).startswith("$") else None


def current_schema(connection: Connection) -> str:
    return connection.scalar(text("SELECT current_schema()")) or "public"


def _tool(name: str, engine: Engine) -> str:
    if found := shutil.which(name):
        return found
    try:
        with engine.connect() as connection:
            major = str(int(connection.scalar(text("SHOW server_version_num"))) // 10000)
    except Exception:
        major = "<server major version>"
    raise BackupError(f"{name} is not installed (not on PATH). Install the PostgreSQL client tools of the "
                      f"server's version (PostgreSQL {major}); on Debian or Ubuntu: apt-get install "
                      f"postgresql-client-{major} (from apt.postgresql.org if the release lacks it). {name} must "
                      "be the server's major version or newer.")


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or [f"exit status {done.returncode}"]
        hint = " Install the client tools of the server's major version." if "version mismatch" in done.stderr else ""
        raise BackupError(f"{Path(command[0]).name} failed: {lines[-1].strip()}{hint}")
    return done.stdout


def pg_dump(url: str, dump: Path) -> tuple[str, str]:
    """Dump the schema SleepCoT lives in into `dump`; returns (its migration revision, the schema)."""
    engine = connect(url)
    try:
        with engine.connect() as connection:
            schema = current_schema(connection)
            revision = read_revision(connection, schema)
        dbname, env = _libpq(url)
        quoted = '"' + schema.replace('"', '""') + '"'  # a literal name, not a pattern
        _run([_tool("pg_dump", engine), "--format=custom", f"--schema={quoted}", "--no-privileges",
              f"--file={dump}", dbname], env)
        with engine.connect() as connection:
            if read_revision(connection, schema) != revision:
                raise BackupError("The database was migrated during the backup: back it up again.")
    finally:
        engine.dispose()
    return revision, schema


def pg_restore(engine: Engine, url: str, dump: Path, dumped_schema: str | None, force: bool) -> None:
    """Restore `dump` into the schema of `url` (which must be the one dumped): refused when the schema holds
    SleepCoT rows unless `force`. pg_restore replaces the tables the dump holds in one transaction (a failed
    restore leaves them as they were); SleepCoT tables the dump lacks (a newer schema's) are dropped first."""
    with engine.connect() as connection:
        schema = _search_schema(url) or current_schema(connection)
    if dumped_schema != schema:
        raise Refused(f"The backup holds the schema {dumped_schema!r} and the database's is {schema!r}: restore "
                      f"it where the search_path names {dumped_schema!r} (renaming a schema is not supported).")
    tool = _tool("pg_restore", engine)
    dbname, env = _libpq(url)
    listing = _run([tool, "--list", str(dump)], env)  # also proves the dump readable
    entries = dump.with_suffix(".list")  # everything but the schema itself, which may exist already
    entries.write_text("".join(line for line in listing.splitlines(keepends=True)
                               if not re.match(r"\d+; \d+ \d+ (SCHEMA|COMMENT) - ", line)))
    dumped = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, re.MULTILINE))
    with engine.begin() as connection:
        refuse_data(row_counts(connection, schema), force)
        present = set(inspect(connection).get_table_names(schema=schema)) - dumped
        for name in (n for n in [*TABLES[::-1], "alembic_version"] if n in present):
            connection.execute(text(f"DROP TABLE {_quote(connection, schema)}.{_quote(connection, name)} CASCADE"))
        if schema not in inspect(connection).get_schema_names():
            connection.execute(text(f"CREATE SCHEMA {_quote(connection, schema)}"))
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--use-list={entries}", dbname, str(dump)], env)


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)
