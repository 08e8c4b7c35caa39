"""The web app beside the bot: health (`/healthz`, `/readyz`, `/metrics`: bot.health), the Telegram webhook
(only with Telegram's secret token) and the wearables' OAuth callbacks; and `serving`, which runs an app
under uvicorn for as long as a block lasts. Each worker serves the health endpoints alone, on its own port.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import AsyncIterator
from html import escape

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import health
from bot.handlers import SleepBot, WebPage
from bot.texts import say
from sleepcot.config import Settings
from sleepcot.domain import Language

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
OAUTH_CALLBACK_PATH = "/oauth/{vendor}/callback"
SERVER_START_S = 30.0
PAGE_HEADERS = {  # the callback URL holds the authorization code: never cached, never sent on as a Referer
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def render_page(page: WebPage) -> HTMLResponse:
    """A small self-contained HTML page; `page.title` and `page.text` are already escaped HTML."""
    html = (f'<!doctype html><html lang="{escape(page.language.value)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>SleepCoT · {page.title}</title></head>"
            '<body style="font-family: system-ui, sans-serif; max-width: 32em; margin: 3em auto; padding: 0 1em">'
            f"<h1>{page.title}</h1><p>{page.text}</p></body></html>")
    return HTMLResponse(html, status_code=page.status, headers=PAGE_HEADERS)


def web_app(application: Application, webhook_secret: str | None, handlers: SleepBot | None,
            readiness: health.Readiness) -> Starlette:
    """The bot's HTTP endpoints: health, the Telegram webhook (when a secret is given: webhook mode) and,
    with the handlers, the OAuth callbacks."""

    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if webhook_secret is None or not hmac.compare_digest(given.encode(), webhook_secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:
            return PlainTextResponse("bad update", status_code=400)
        await application.update_queue.put(update)
        return PlainTextResponse("ok")

    async def oauth_callback(request: Request) -> Response:
        vendor = request.path_params["vendor"]
        try:
            page = await handlers.oauth_callback(application, vendor, request.query_params)
        except Exception as exc:  # logged here, without the request (its query holds the code)
            log.error("the OAuth callback of %r failed: %s", vendor[:40], type(exc).__name__)
            page = WebPage(500, Language.EN, say(Language.EN, "web_failed_title"), say(Language.EN, "web_error"))
        return render_page(page)

    routes = [Route(WEBHOOK_PATH, webhook, methods=["POST"]), *health.routes(readiness)]
    if handlers is not None:
        routes.append(Route(OAUTH_CALLBACK_PATH, oauth_callback, methods=["GET"]))
    return Starlette(routes=routes)


def worker_app(readiness: health.Readiness) -> Starlette:
    """A worker's endpoints: health alone."""
    return Starlette(routes=health.routes(readiness))


@contextlib.asynccontextmanager
async def serving(settings: Settings, app: Starlette) -> AsyncIterator[None]:
    """Serve `app` on SLEEPCOT_HTTP_HOST:SLEEPCOT_HTTP_PORT while the block runs; the block starts once it
    accepts connections (callbacks and webhooks must not race its start). No access log: a callback's query
    string holds the authorization code."""
    where = f"{settings.http_host}:{settings.http_port}"
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_level="warning",
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[_bound(settings.http_host, settings.http_port)]))
    try:
        await _listening(server, task, where)
        yield
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


def _bound(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound here rather than by uvicorn, which exits the whole process
    when it cannot bind."""
    family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                            flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"the web app cannot listen on {host}:{port} ({exc.strerror}): each SleepCoT process "
                           "on a machine (the bot, every worker) needs a SLEEPCOT_HTTP_PORT of its own") from exc
    return sock


async def _listening(server: uvicorn.Server, serving: asyncio.Task, where: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SERVER_START_S
    while not server.started:
        if serving.done():
            await serving  # its exception, if it has one
            raise RuntimeError(f"the web app could not listen on {where}")
        if loop.time() > deadline:
            raise RuntimeError(f"the web app did not start listening on {where} within {SERVER_START_S:.0f} s")
        await asyncio.sleep(0.01)
