"""Shared fixtures. `database_url` runs a test once on SQLite and once on PostgreSQL (in a schema of its
own on the server named by SLEEPCOT_TEST_POSTGRES_URL); `store` is a migrated Store on that database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sleepcot.store import Store

POSTGRES_URL_ENV = "SLEEPCOT_TEST_POSTGRES_URL"


def _postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return url
    reason = f"{POSTGRES_URL_ENV} not set: PostgreSQL tests need a server (.ci/run starts one)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)  # CI must prove the PostgreSQL tests ran
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to the test server whose search_path is a fresh schema, dropped after the test."""
    server = make_url(_postgres_server_url())
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'sleepcot.db'}"  # data/ does not exist yet: Store makes it
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    store.migrate()
    yield store
    store.close()
