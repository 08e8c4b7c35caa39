"""The operator's commands for a running deployment: `sleepcot health` (for Docker's HEALTHCHECK and
scripts) and `sleepcot keys check / forget-unopened` (the encryption key against what is stored)."""

from __future__ import annotations

import httpx
import typer
from rich.console import Console

from sleepcot.config import Settings
from sleepcot.crypto import KeyCheckError, Vault, check_keys
from sleepcot.users_cli import settings_store

keys_app = typer.Typer(help="Check the encryption keys against the stored vendor credentials.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
HEALTH_TIMEOUT_S = 10.0


def health_command(
    ready: bool = typer.Option(False, "--ready", help="ask /readyz (every part works) instead of /healthz (alive)"),
    url: str | None = typer.Option(None, help="the web app's base URL; default http://127.0.0.1:SLEEPCOT_HTTP_PORT"),
) -> None:
    """Exit 0 when the local bot or worker answers its health endpoint, 1 otherwise (with what it said)."""
    base = (url or f"http://127.0.0.1:{Settings().http_port}").rstrip("/")
    try:
        response = httpx.get(base + ("/readyz" if ready else "/healthz"), timeout=HEALTH_TIMEOUT_S)
    except httpx.HTTPError as exc:
        err.print(f"no answer from {base}: {type(exc).__name__}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(response.text, highlight=False, markup=False)
    if response.status_code != 200:
        raise typer.Exit(1)


@keys_app.command("check")
def check() -> None:
    """Say whether the configured keys open every stored credential (exit 1 when they do not)."""
    settings = Settings()
    store = settings_store(settings)
    try:
        ids = check_keys(settings, store.credential_samples())
    except KeyCheckError as exc:
        err.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"the keys (ids {', '.join(ids)}) open every stored credential; new ones use {ids[0]}")


@keys_app.command("forget-unopened")
def forget_unopened(yes: bool = typer.Option(False, "--yes", help="do it without asking")) -> None:
    """Delete the stored credentials that no configured key opens (their key is lost for good); the users
    they belong to connect their wearable again."""
    settings = Settings()
    store = settings_store(settings)
    vault = Vault.from_settings(settings)
    lost = vault.unopened(store.credential_samples())
    if not lost:
        out.print("every stored credential opens with the configured keys: nothing to forget")
        return
    if not yes and not typer.confirm(f"Delete the credentials stored with key id(s) {', '.join(lost)}?"):
        raise typer.Exit(1)
    count = store.forget_credentials(lost)
    out.print(f"deleted {count} credential(s) stored with key id(s) {', '.join(lost)}; "
              f"new ones use key {vault.current_key_id}")
