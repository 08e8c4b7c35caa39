"""`sleepcot run`: the python-telegram-bot Application, wired to SleepCoT's handlers, and the web app that
runs beside it (the Telegram webhook, a health check, and the wearables' OAuth callbacks).

Polling is the default. In webhook mode Telegram POSTs updates to `SLEEPCOT_PUBLIC_URL`/telegram/webhook
with the secret token we registered; anything without it is refused. The web app runs whenever
`SLEEPCOT_PUBLIC_URL` is set, since vendors send users back to `<public_url>/oauth/<vendor>/callback`.
Outgoing calls go through PTB's AIORateLimiter (Telegram's ~30 messages/s), and updates are processed
concurrently across users but in order for each user, a flood cut short (bot.updates). The process holds one integrations `Hub` (shared
vendor clients and their rate limits), closed when the bot stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from html import escape

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import SleepBot, WebPage
from bot.presenting import Coach
from bot.scheduler import Scheduler
from bot.texts import say
from bot.updates import PerUserUpdateProcessor
from integrations.sync import Hub
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Language
from sleepcot.store import Store

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
UPDATE_TYPES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # no edits (an edit is not a new statement), no business chats
MAX_UPDATES_AT_ONCE = 64
MAX_QUEUED_PER_USER = 20  # more than anyone types while a reply is being written
SENDS_PER_S = 29  # Telegram allows about 30 messages/s in all
COMMANDS = {
    Language.EN: [("today", "Last night's briefing"), ("week", "Chart of recent nights"), ("ask", "Ask the coach"),
                  ("log", "Log coffee, alcohol, a workout…"), ("connect", "Connect a wearable"),
                  ("sources", "Connected sources"), ("disconnect", "Disconnect a source"),
                  ("settings", "Your settings"), ("export", "All your data as a file"),
                  ("delete", "Delete all your data"), ("help", "What I can do")],
    Language.ZH: [("today", "昨晚的睡眠简报"), ("week", "最近几晚的图表"), ("ask", "向教练提问"),
                  ("log", "记录咖啡、饮酒、运动等"), ("connect", "连接可穿戴设备"), ("sources", "已连接的数据源"),
                  ("disconnect", "断开数据源"), ("settings", "你的设置"), ("export", "导出全部数据"),
                  ("delete", "删除全部数据"), ("help", "我能做什么")],
}


def rate_limiter() -> AIORateLimiter:
    """Sends paced evenly under Telegram's limit: a bucket of one refilled SENDS_PER_S times a second. (A
    bucket of 30 would let a burst of 30 out at once and then 30 more within the same second.) A 429 is
    waited out and retried."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / SENDS_PER_S, max_retries=5)


def _api_urls(settings: Settings) -> tuple[str, str]:
    if settings.telegram_token is None:
        raise ValueError("SLEEPCOT_TELEGRAM_TOKEN is not set (ask @BotFather for a token)")
    api = settings.telegram_api_url.rstrip("/")
    return f"{api}/bot", f"{api}/file/bot"


@contextlib.asynccontextmanager
async def scheduling(settings: Settings, store: Store, hub: Hub, coach: Coach) -> AsyncIterator[Scheduler]:
    """The scheduler, running on this loop until the block ends, with its own Bot for the scheduled
    messages (paced through the database, so every process shares Telegram's budget)."""
    base_url, base_file_url = _api_urls(settings)
    async with Bot(settings.telegram_token.get_secret_value(), base_url=base_url, base_file_url=base_file_url) as bot:
        scheduler = Scheduler(store, settings, hub, coach, bot)
        scheduler.start()
        try:
            yield scheduler
        finally:
            await scheduler.stop()


def build_application(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None,
                      hub: Hub) -> tuple[Application, SleepBot]:
    """The Application with every handler, and the handlers themselves (the web app calls them too)."""
    base_url, base_file_url = _api_urls(settings)
    handlers: SleepBot | None = None

    async def flooded(update: Update) -> None:
        await handlers.slow_down(update)

    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_file_url)
        .rate_limiter(rate_limiter())
        .concurrent_updates(PerUserUpdateProcessor(MAX_UPDATES_AT_ONCE, MAX_QUEUED_PER_USER, on_flood=flooded))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
    )
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    coach = Coach(llm, llm_reason, asyncio.Semaphore(settings.llm_concurrency))
    handlers = SleepBot(store, settings, hub, coach)
    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    for name, callback in [
        ("start", handlers.start), ("help", handlers.help), ("today", handlers.today), ("week", handlers.week),
        ("ask", handlers.ask), ("log", handlers.log_command), ("connect", handlers.connect_command),
        ("sources", handlers.sources), ("disconnect", handlers.disconnect_command), ("export", handlers.export),
        ("delete", handlers.delete), ("settings", handlers.settings_command), ("invite", handlers.invite),
        ("users", handlers.users), ("block", handlers.block), ("unblock", handlers.unblock),
    ]:
        application.add_handler(CommandHandler(name, callback))
    for button in handlers.button_handlers():
        application.add_handler(button)
    application.add_handler(MessageHandler(filters.LOCATION, handlers.location))
    application.add_handler(MessageHandler(filters.Document.ALL, handlers.document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    application.add_error_handler(handlers.error)
    return application, handlers


def render_page(page: WebPage) -> HTMLResponse:
    """A small self-contained HTML page; `page.title` and `page.text` are already escaped HTML."""
    html = (f'<!doctype html><html lang="{escape(page.language.value)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>SleepCoT · {page.title}</title></head>"
            '<body style="font-family: system-ui, sans-serif; max-width: 32em; margin: 3em auto; padding: 0 1em">'
            f"<h1>{page.title}</h1><p>{page.text}</p></body></html>")
    return HTMLResponse(html, status_code=page.status, headers=PAGE_HEADERS)


def web_app(application: Application, webhook_secret: str | None, handlers: SleepBot | None = None) -> Starlette:
    """The HTTP endpoints: the Telegram webhook (when a secret is given), a health check and, with the
    handlers, the OAuth callbacks."""

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

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def oauth_callback(request: Request) -> Response:
        vendor = request.path_params["vendor"]
        try:
            page = await handlers.oauth_callback(application, vendor, request.query_params)
        except Exception as exc:  # logged here, without the request (its query holds the code)
            log.error("the OAuth callback of %r failed: %s", vendor[:40], type(exc).__name__)
            page = WebPage(500, Language.EN, say(Language.EN, "web_failed_title"), say(Language.EN, "web_error"))
        return render_page(page)

    routes = [Route(WEBHOOK_PATH, webhook, methods=["POST"]), Route("/healthz", health)]
    if handlers is not None:
        routes.append(Route(OAUTH_CALLBACK_PATH, oauth_callback, methods=["GET"]))
    return Starlette(routes=routes)


async def _set_commands(application: Application) -> None:
    for language, commands in COMMANDS.items():
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands],
            language_code=None if language is Language.EN else language.value,
        )


async def _listening(server: uvicorn.Server, serving: asyncio.Task, where: str) -> None:
    """Wait until the web app accepts connections (callbacks and webhooks must not race its start)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SERVER_START_S
    while not server.started:
        if serving.done():
            await serving  # its exception, if it has one
            raise RuntimeError(f"the web app could not listen on {where}")
        if loop.time() > deadline:
            raise RuntimeError(f"the web app did not start listening on {where} within {SERVER_START_S:.0f} s")
        await asyncio.sleep(0.01)


async def run(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None, *,
              stop: asyncio.Event, on_ready: Callable[[], None] | None = None, hub: Hub | None = None,
              worker: bool = False) -> None:
    """Serve until `stop` is set: the bot (polling or webhook), the scheduler and, when needed, the web app;
    or, with `worker`, only the scheduler (more processes sharing the scheduled work). `hub`: the
    integrations to use (tests pass one); by default one is made from `settings`. Either way it is closed
    when the bot stops: its HTTP clients belong to this event loop (a closed Hub makes new ones if used
    again)."""
    # httpx (and httpx2, which authlib's token calls use) logs every request URL at INFO: Bot API URLs contain
    # the token, and a vendor's URLs name the user's data.
    for name in ("httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)
    hub = hub if hub is not None else Hub(settings, Vault.from_settings(settings))
    try:
        if worker:
            coach = Coach(llm, llm_reason, asyncio.Semaphore(settings.llm_concurrency))
            async with scheduling(settings, store, hub, coach) as scheduler:
                log.info("SleepCoT worker %s is running", scheduler.outbox.worker)
                if on_ready is not None:
                    on_ready()
                await stop.wait()
        else:
            await _serve(settings, store, llm, llm_reason, hub, stop, on_ready)
    finally:
        await hub.aclose()


async def _serve(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None, hub: Hub,
                 stop: asyncio.Event, on_ready: Callable[[], None] | None) -> None:
    application, handlers = build_application(settings, store, llm, llm_reason, hub)
    webhook = settings.telegram_mode == "webhook"
    secret = None
    if webhook:
        if not settings.public_url:
            raise ValueError("webhook mode needs SLEEPCOT_PUBLIC_URL")
        secret = (settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret
                  else secrets.token_urlsafe(32))
    server = None
    if webhook or settings.public_url:
        # No access log: a callback's query string holds the authorization code.
        config = uvicorn.Config(web_app(application, secret, handlers), host=settings.http_host,
                                port=settings.http_port, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
    scheduled = (scheduling(settings, store, hub, handlers.coach) if settings.scheduler
                 else contextlib.nullcontext())  # SLEEPCOT_SCHEDULER=false: the workers do it all
    async with application, scheduled:
        await application.start()
        serving = asyncio.create_task(server.serve()) if server else None
        try:
            if serving is not None:
                await _listening(server, serving, f"{settings.http_host}:{settings.http_port}")
            await _set_commands(application)
            if webhook:
                url = settings.public_url.rstrip("/") + WEBHOOK_PATH
                await application.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATE_TYPES)
            else:
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=UPDATE_TYPES)
            log.info("SleepCoT bot @%s is running (%s)", application.bot.username, settings.telegram_mode)
            if on_ready is not None:
                on_ready()
            await stop.wait()
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if serving is not None:
                server.should_exit = True
                await asyncio.gather(serving, return_exceptions=True)
            await application.stop()  # waits for background work (a first sync after a callback)
