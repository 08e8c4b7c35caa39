"""Shared fixtures. `database_url` runs a test once on SQLite and once on PostgreSQL (in a schema of its
own on the server named by SLEEPCOT_TEST_POSTGRES_URL); `store` is a migrated Store on that database.
`embedded_llm` is the SmolLM2 GGUF loaded once per session, and SLEEPCOT_CACHE_DIR a folder of the session's
own (the shipped student is merged into it once per run, for real); `ollama_server` and `openai_server` are loopback
servers generating with it (tests/loopback); `closed_url` is an http URL on 127.0.0.1 where nothing listens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

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


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many PostgreSQL tests ran, so CI output proves they were not skipped."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in counts:
        counts[outcome] = sum(1 for r in terminalreporter.stats.get(outcome, []) if "postgres" in r.keywords)
    if any(counts.values()):
        terminalreporter.write_line(
            f"PostgreSQL tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        )


# --- LLM backends: the embedded model, loaded once, and loopback servers that generate with it ----------

OLLAMA_MODEL = "smollm2:135m"
OPENAI_MODEL = "smollm2-135m-instruct"
OPENAI_KEY = "sk-loopback-test"


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory) -> Iterator[Path]:
    """SLEEPCOT_CACHE_DIR for the whole run: where the shipped student is merged into its base, not ~/.cache."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLEEPCOT_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def embedded_llm():
    """The embedded SmolLM2-135M (llama.cpp), loaded once per session: keep generations short."""
    from sleepcot.coach.llm import EmbeddedLLM, LLMUnavailable, smollm2_gguf

    try:
        return EmbeddedLLM(smollm2_gguf(), n_ctx=2048)
    except LLMUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the embedded model must run in CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def ollama_server(embedded_llm):
    """A loopback Ollama serving the embedded model as OLLAMA_MODEL (fresh per test: no faults, no log)."""
    from tests.loopback.ollama_server import OllamaLoopback

    with OllamaLoopback(embedded_llm, [OLLAMA_MODEL]) as server:
        yield server


@pytest.fixture
def openai_server(embedded_llm):
    """A loopback OpenAI-compatible endpoint serving the embedded model as OPENAI_MODEL, key OPENAI_KEY."""
    from tests.loopback.openai_server import OpenAILoopback

    with OpenAILoopback(embedded_llm, [OPENAI_MODEL], api_key=OPENAI_KEY) as server:
        yield server


@pytest.fixture
def closed_url() -> str:
    """http://127.0.0.1:<port> with nothing listening: connections are refused at once."""
    from tests.loopback import closed_port

    return f"http://127.0.0.1:{closed_port()}"
