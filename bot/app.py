"""`sleepcot run`: the python-telegram-bot Application, wired to SleepCoT's handlers, with the scheduler and
the web app beside it (bot.web: health and metrics, the Telegram webhook, the wearables' OAuth callbacks);
or, for `sleepcot run --worker`, the scheduler and its health endpoints alone.

Polling is the default. In webhook mode Telegram POSTs updates to `SLEEPCOT_PUBLIC_URL`/telegram/webhook
with the secret token we registered; anything without it is refused. The web app always runs (health), on
SLEEPCOT_HTTP_HOST:SLEEPCOT_HTTP_PORT; vendors send users back to `<public_url>/oauth/<vendor>/callback`.
Outgoing calls go through PTB's AIORateLimiter (Telegram's ~30 messages/s), and updates are processed
concurrently across users but in order for each user, a flood cut short (bot.updates). The process holds
one integrations `Hub` (shared vendor clients and their rate limits), closed when the bot stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.charts import chart_font_status
from bot.handlers import SleepBot
from bot.health import Readiness, Telegram
from bot.presenting import Coach
from bot.scheduler import Scheduler
from bot.updates import PerUserUpdateProcessor
from bot.web import WEBHOOK_PATH, serving, web_app, worker_app
from integrations.sync import Hub
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Language
from sleepcot.logs import QUIET
from sleepcot.store import Store
from sleepcot.store.backup import BackupError, last_scheduled, scheduled_backup

log = logging.getLogger(__name__)
UPDATE_TYPES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # no edits (an edit is not a new statement), no business chats
MAX_UPDATES_AT_ONCE = 64
MAX_QUEUED_PER_USER = 20  # more than anyone types while a reply is being written
BACKUP_LOOK_S = 3600.0  # the longest the backup loop sleeps before it looks again
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


@contextlib.asynccontextmanager
async def backing_up(settings: Settings) -> AsyncIterator[None]:
    """Scheduled backups into SLEEPCOT_BACKUP_DIR while the block runs (none without it): one whenever the
    newest there is SLEEPCOT_BACKUP_INTERVAL_H old, so a restart does not make an extra one."""
    if settings.backup_dir is None:
        yield
        return
    task = asyncio.create_task(_back_up_on_schedule(settings), name="backups")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _back_up_on_schedule(settings: Settings) -> None:
    every = timedelta(hours=settings.backup_interval_h)
    while True:
        last = await asyncio.to_thread(last_scheduled, settings.backup_dir)
        wait = (last + every - datetime.now(UTC)).total_seconds() if last else 0.0
        if wait <= 0:
            try:
                path = await asyncio.to_thread(scheduled_backup, settings, datetime.now(UTC))
                log.info("backed up the database to %s", path.name)
                continue
            except Exception as exc:  # the database away, pg_dump missing: said, and tried again later
                log.error("the scheduled backup failed: %s", exc if isinstance(exc, BackupError) else type(exc).__name__)
                wait = every.total_seconds()
        await asyncio.sleep(min(wait, BACKUP_LOOK_S))


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


async def _set_commands(application: Application) -> None:
    for language, commands in COMMANDS.items():
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands],
            language_code=None if language is Language.EN else language.value,
        )


async def run(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None, *,
              stop: asyncio.Event, on_ready: Callable[[], None] | None = None, hub: Hub | None = None,
              worker: bool = False) -> None:
    """Serve until `stop` is set: the bot (polling or webhook), the scheduler and the web app; or, with
    `worker`, only the scheduler (more processes sharing the scheduled work) and its health endpoints.
    `hub`: the integrations to use (tests pass one); by default one is made from `settings`. Either way it is
    closed when the bot stops: its HTTP clients belong to this event loop (a closed Hub makes new ones if
    used again)."""
    for name in QUIET:  # request URLs hold the bot's token and name users' data
        logging.getLogger(name).setLevel(logging.WARNING)
    log.log(*chart_font_status())  # the font of Chinese charts, or a warning that none draws Chinese
    hub = hub if hub is not None else Hub(settings, Vault.from_settings(settings), engine=store.engine)
    readiness = Readiness(store, llm, llm_reason, settings.scheduler_tick_s)
    try:
        if worker:
            coach = Coach(llm, llm_reason, asyncio.Semaphore(settings.llm_concurrency))
            async with scheduling(settings, store, hub, coach) as scheduler, serving(settings, worker_app(readiness)):
                readiness.scheduler = scheduler
                log.info("SleepCoT worker %s is running (health on port %d)", scheduler.outbox.worker,
                         settings.http_port)
                if on_ready is not None:
                    on_ready()
                await stop.wait()
        else:
            await _serve(settings, store, llm, llm_reason, hub, readiness, stop, on_ready)
    finally:
        await hub.aclose()


async def _serve(settings: Settings, store: Store, llm: LLM | None, llm_reason: str | None, hub: Hub,
                 readiness: Readiness, stop: asyncio.Event, on_ready: Callable[[], None] | None) -> None:
    application, handlers = build_application(settings, store, llm, llm_reason, hub)
    webhook = settings.telegram_mode == "webhook"
    secret = None
    if webhook:
        if not settings.public_url:
            raise ValueError("webhook mode needs SLEEPCOT_PUBLIC_URL")
        secret = (settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret
                  else secrets.token_urlsafe(32))
    telegram = readiness.telegram = Telegram(settings.telegram_mode,
                                             lambda: application.updater is not None and application.updater.running)
    readiness.scheduler_off = not settings.scheduler  # SLEEPCOT_SCHEDULER=false: the workers do it all
    scheduled = (scheduling(settings, store, hub, handlers.coach) if settings.scheduler
                 else contextlib.nullcontext())

    def polling_failed(exc: TelegramError) -> None:
        telegram.polling_failed()
        log.warning("getUpdates failed (%s); polling goes on", type(exc).__name__)

    web = web_app(application, secret, handlers, readiness)
    async with application, scheduled as scheduler, serving(settings, web), backing_up(settings):
        readiness.scheduler = scheduler
        await application.start()
        try:
            await _set_commands(application)
            if webhook:
                url = settings.public_url.rstrip("/") + WEBHOOK_PATH
                await application.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATE_TYPES)
            else:
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=UPDATE_TYPES, error_callback=polling_failed)
            telegram.started = True
            log.info("SleepCoT bot @%s is running (%s; health on port %d)", application.bot.username,
                     settings.telegram_mode, settings.http_port)
            if on_ready is not None:
                on_ready()
            await stop.wait()
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()  # waits for background work (a first sync after a callback)
