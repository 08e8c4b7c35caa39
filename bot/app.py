"""`sleepcot run`: the python-telegram-bot Application, wired to SleepCoT's handlers, and the web app that
runs beside it (the Telegram webhook, health check and, with the integrations, OAuth callbacks).

Polling is the default. In webhook mode Telegram POSTs updates to `SLEEPCOT_PUBLIC_URL`/telegram/webhook
with the secret token we registered; anything without it is refused. Outgoing calls go through PTB's
AIORateLimiter (Telegram's ~30 messages/s), and updates are processed concurrently across users but in
order for each user.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import Coach, SleepBot
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Language
from sleepcot.store import Store

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATES_AT_ONCE = 64
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


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Updates run concurrently, except that one user's updates run one at a time, in order (a second
    message never races the first one's onboarding answer or /delete)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[int, int] = defaultdict(int)

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        sender = update.effective_user if isinstance(update, Update) else None
        if sender is None:
            await coroutine
            return
        self._waiting[sender.id] += 1
        try:
            async with self._locks[sender.id]:
                await coroutine
        finally:
            self._waiting[sender.id] -= 1
            if not self._waiting[sender.id]:  # forget idle users
                del self._waiting[sender.id], self._locks[sender.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def rate_limiter() -> AIORateLimiter:
    """Sends paced evenly under Telegram's limit: a bucket of one refilled SENDS_PER_S times a second. (A
    bucket of 30 would let a burst of 30 out at once and then 30 more within the same second.) A 429 is
    waited out and retried."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / SENDS_PER_S, max_retries=5)


def build_application(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None) -> Application:
    if settings.telegram_token is None:
        raise ValueError("SLEEPCOT_TELEGRAM_TOKEN is not set (ask @BotFather for a token)")
    api = settings.telegram_api_url.rstrip("/")
    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(rate_limiter())
        .concurrent_updates(PerUserUpdateProcessor(MAX_UPDATES_AT_ONCE))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
    )
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    coach = Coach(llm, llm_reason, asyncio.Semaphore(settings.llm_concurrency))
    handlers = SleepBot(store, settings, Vault.from_settings(settings), coach)
    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    for name, callback in [
        ("start", handlers.start), ("help", handlers.help), ("today", handlers.today), ("week", handlers.week),
        ("ask", handlers.ask), ("log", handlers.log_command), ("connect", handlers.connect_command),
        ("sources", handlers.sources), ("disconnect", handlers.disconnect_command), ("export", handlers.export),
        ("delete", handlers.delete), ("settings", handlers.settings_command), ("invite", handlers.invite),
        ("users", handlers.users),
    ]:
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(MessageHandler(filters.LOCATION, handlers.location))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    application.add_error_handler(handlers.error)
    return application


def web_app(application: Application, webhook_secret: str | None) -> Starlette:
    """The HTTP endpoints: the Telegram webhook (when a secret is given) and a health check."""

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

    return Starlette(routes=[Route(WEBHOOK_PATH, webhook, methods=["POST"]), Route("/healthz", health)])


async def _set_commands(application: Application) -> None:
    for language, commands in COMMANDS.items():
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands],
            language_code=None if language is Language.EN else language.value,
        )


async def run(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None, *,
              stop: asyncio.Event, on_ready: Callable[[], None] | None = None) -> None:
    """Serve until `stop` is set: the bot (polling or webhook) and, when needed, the web app."""
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = build_application(settings, store, llm, llm_reason)
    webhook = settings.telegram_mode == "webhook"
    secret = None
    if webhook:
        if not settings.public_url:
            raise ValueError("webhook mode needs SLEEPCOT_PUBLIC_URL")
        secret = (settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret
                  else secrets.token_urlsafe(32))
    server = None
    if webhook or settings.public_url:
        config = uvicorn.Config(web_app(application, secret), host=settings.http_host, port=settings.http_port,
                                log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
    async with application:
        await application.start()
        await _set_commands(application)
        serving = asyncio.create_task(server.serve()) if server else None
        if webhook:
            url = settings.public_url.rstrip("/") + WEBHOOK_PATH
            await application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        else:
            await application.bot.delete_webhook()
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("SleepCoT bot @%s is running (%s)", application.bot.username, settings.telegram_mode)
        if on_ready is not None:
            on_ready()
        await stop.wait()
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if server is not None:
            server.should_exit = True
            await serving
        await application.stop()
