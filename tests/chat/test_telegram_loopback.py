"""The loopback Telegram Bot API (tests/loopback/telegram_server.py), driven by python-telegram-bot's real
`Bot` — the client the SleepCoT bot uses — and from the test side."""

from __future__ import annotations

import asyncio
import json
import re
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, RetryAfter

from tests.loopback.telegram_server import BotAPIServer, parse_telegram_html

TOKEN = "123456:TEST-TOKEN"
USER_ID = 4242


@pytest.fixture
def server() -> Iterator[BotAPIServer]:
    with BotAPIServer(TOKEN) as running:
        yield running


def with_bot(server: BotAPIServer, scenario: Callable[[Bot], Awaitable[object]]) -> object:
    """Run `scenario(bot)` with a PTB Bot pointed at the loopback server."""
    async def main() -> object:
        async with Bot(TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot") as bot:
            return await scenario(bot)
    return asyncio.run(main())


def refused(description: str) -> pytest.RaisesExc[BadRequest]:
    """Expects a BadRequest with this description (PTB capitalizes the first letter)."""
    return pytest.raises(BadRequest, match="(?i)" + re.escape(description))


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x20\x40\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# --- Telegram's HTML rules


@pytest.mark.parametrize(("html", "plain"), [
    ("plain text", "plain text"),
    ("<b>bold</b> &amp; <i>italic</i>", "bold & italic"),
    ("&lt;3 &gt; &quot;q&quot; &#65;&#x1F600;", '<3 > "q" A\U0001F600'),
    ("<b>a <i>b <u>c</u> <s>d</s></i></b>", "a b c d"),
    ("<B>Loud</B> <strong>x</strong><em>y</em><ins>z</ins><strike>1</strike><del>2</del>", "Loud xyz12"),
    ('<span class="tg-spoiler">secret</span> <tg-spoiler>too</tg-spoiler>', "secret too"),
    ('<a href="https://example.com/?a=1&amp;b=2">link</a>', "link"),
    ('<pre><code class="language-python">x = 1 &lt; 2</code></pre>', "x = 1 < 2"),
    ("<blockquote expandable>long\nquote</blockquote>", "long\nquote"),
    ('<tg-emoji emoji-id="5368324170671202286">\U0001F44D</tg-emoji>', "\U0001F44D"),
    ("a > b", "a > b"),
])
def test_parse_telegram_html(html: str, plain: str) -> None:
    assert parse_telegram_html(html) == plain


@pytest.mark.parametrize("html", [
    "a < b", "1 <2", "<b>bold", "<b><i>x</b></i>", "x</b>", "<div>x</div>", "<br>", "AT&T", "&nbsp;", "&#0;",
    "<span>x</span>", '<span class="other">x</span>', "<a>no href</a>", "<b", "<i>x</i", "<code class>x</code>",
])
def test_parse_telegram_html_refuses(html: str) -> None:
    with pytest.raises(ValueError, match="^Bad Request: can't parse entities: "):
        parse_telegram_html(html)


def test_parse_telegram_html_descriptions() -> None:
    with pytest.raises(ValueError) as unsupported:
        parse_telegram_html("Hello world <div>x</div>")
    assert str(unsupported.value) == (
        "Bad Request: can't parse entities: Unsupported start tag \"div\" at byte offset 12")
    with pytest.raises(ValueError) as unclosed:
        parse_telegram_html("<b>Sleep well")
    assert str(unclosed.value) == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"")


# --- the Bot API through PTB


def test_get_me_and_protocol_errors(server: BotAPIServer) -> None:
    me = with_bot(server, lambda bot: bot.get_me())
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "SleepCoT Test", "sleepcot_test_bot")
    assert me.can_join_groups is False and me.supports_inline_queries is False

    unauthorized = httpx.post(f"{server.url}/bot999:WRONG/getMe")
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = httpx.post(f"{server.url}/bot{TOKEN}/fooBar")
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    # JSON bodies, query strings and any case of the method name work too
    as_json = httpx.post(f"{server.url}/bot{TOKEN}/SENDMESSAGE", json={"chat_id": USER_ID, "text": "json"})
    by_query = httpx.get(f"{server.url}/bot{TOKEN}/sendMessage", params={"chat_id": USER_ID, "text": "query"})
    assert as_json.json()["result"]["text"] == "json" and by_query.json()["result"]["message_id"] == 2
    assert [method for method, _ in server.calls] == ["getMe", "getMe", "fooBar", "sendMessage", "sendMessage"]


def test_send_message_html(server: BotAPIServer) -> None:
    ann = server.user(USER_ID, "Ann")

    async def scenario(bot: Bot) -> None:
        sent = await bot.send_message(USER_ID, "<b>Slept</b> 7h &amp; woke <i>once</i>", parse_mode="HTML")
        assert sent.text == "Slept 7h & woke once" and sent.message_id == 1
        assert sent.chat.first_name == "Ann" and sent.from_user.username == "sleepcot_test_bot"
        for bad in ("1 < 2", "<b>unclosed", "<div>block</div>"):
            with refused("can't parse entities"):
                await bot.send_message(USER_ID, bad, parse_mode="HTML")
        assert (await bot.send_message(USER_ID, "1 < 2 & <b>")).text == "1 < 2 & <b>"  # no parse_mode: plain
        with refused("message text is empty"):
            await bot.send_message(USER_ID, "<b> </b>", parse_mode="HTML")

    with_bot(server, scenario)
    first, second = ann.messages()
    assert (first.raw, first.text, first.parse_mode) == (
        "<b>Slept</b> 7h &amp; woke <i>once</i>", "Slept 7h & woke once", "HTML")
    assert (second.message_id, second.parse_mode) == (2, None)


def test_message_length_counts_utf16(server: BotAPIServer) -> None:
    async def scenario(bot: Bot) -> None:
        await bot.send_message(USER_ID, "a" * 4096)
        await bot.send_message(USER_ID, f"<b>{'a' * 4096}</b>", parse_mode="HTML")  # the parsed text counts
        await bot.send_message(USER_ID, "\U0001F634" + "a" * 4094)
        for too_long in ("a" * 4097, "\U0001F634" + "a" * 4095):
            with refused("message is too long"):
                await bot.send_message(USER_ID, too_long)

    with_bot(server, scenario)
    assert len(server.all_messages()) == 3


def test_inline_button_press_reaches_get_updates(server: BotAPIServer) -> None:
    ann = server.user(USER_ID)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="rate:yes"),
                                      InlineKeyboardButton("No", callback_data="rate:no")]])

    async def scenario(bot: Bot) -> None:
        sent = await bot.send_message(USER_ID, "Did you sleep well?", reply_markup=keyboard)
        assert sent.reply_markup == keyboard
        assert ann.messages()[0].buttons() == ["Yes", "No"]
        ann.press("Yes")
        ann.press("rate:no")
        first, second = await bot.get_updates()
        assert first.callback_query.data == "rate:yes" and second.callback_query.data == "rate:no"
        assert first.callback_query.message.message_id == sent.message_id
        assert first.callback_query.from_user.id == USER_ID
        assert await first.callback_query.answer("Noted")
        with refused("query is too old"):
            await first.callback_query.answer()
        assert await bot.get_updates(offset=second.update_id + 1) == ()

    with_bot(server, scenario)
    with pytest.raises(AssertionError, match="'Yes', 'No'"):
        ann.press("Maybe")


def test_user_updates(server: BotAPIServer) -> None:
    ann = server.user(USER_ID, "Ann", "de")
    ann.send("/start@sleepcot_test_bot now")
    ann.share_location(52.52, 13.405)
    ann.send_document("night.csv", b"date,hours\n2024-05-01,7.5\n", "text/csv")

    async def scenario(bot: Bot) -> None:
        start, location, upload = await bot.get_updates()
        assert start.message.text == "/start@sleepcot_test_bot now"
        assert start.message.parse_entities() == {start.message.entities[0]: "/start@sleepcot_test_bot"}
        assert start.message.entities[0].type == "bot_command"
        assert start.message.from_user.language_code == "de"
        assert (location.message.location.latitude, location.message.location.longitude) == (52.52, 13.405)
        assert upload.message.document.file_name == "night.csv"
        data = await (await upload.message.document.get_file()).download_as_bytearray()
        assert bytes(data) == b"date,hours\n2024-05-01,7.5\n"
        assert [u.message.message_id for u in (start, location, upload)] == [1, 2, 3]

    with_bot(server, scenario)


def test_long_polling(server: BotAPIServer) -> None:
    ann = server.user(USER_ID)

    async def scenario(bot: Bot) -> None:
        asyncio.get_running_loop().call_later(0.2, ann.send, "hello")
        started = time.monotonic()
        (update,) = await bot.get_updates(timeout=5)
        assert update.message.text == "hello" and time.monotonic() - started < 0.9
        started = time.monotonic()
        assert await bot.get_updates(offset=update.update_id + 1, timeout=30) == ()
        assert 0.9 < time.monotonic() - started < 2  # capped at one second

    with_bot(server, scenario)


def test_photo_round_trip_and_documents(server: BotAPIServer) -> None:
    ann = server.user(USER_ID)
    png = tiny_png(3, 2)

    async def scenario(bot: Bot) -> None:
        await bot.send_chat_action(USER_ID, "upload_photo")
        sent = await bot.send_photo(USER_ID, png, caption="<b>Your week</b>", parse_mode="HTML")
        (size,) = sent.photo
        assert (size.width, size.height, size.file_size, sent.caption) == (3, 2, len(png), "Your week")
        file = await bot.get_file(size.file_id)
        assert bytes(await file.download_as_bytearray()) == png
        assert (await bot.send_photo(USER_ID, size.file_id)).photo  # a known file_id is sent again
        with refused("IMAGE_PROCESS_FAILED"):
            await bot.send_photo(USER_ID, b"not an image")
        with refused("message caption is too long"):
            await bot.send_photo(USER_ID, png, caption="z" * 1025)
        with refused("invalid file_id"):
            await bot.get_file("nope")
        document = await bot.send_document(USER_ID, b"a,b\n1,2\n", filename="sleep.csv")
        assert document.document.file_name == "sleep.csv" and document.document.mime_type == "text/csv"

    with_bot(server, scenario)
    photo, again, document = ann.messages()
    assert (photo.method, photo.photo, photo.text, photo.raw) == ("sendPhoto", png, "Your week", "<b>Your week</b>")
    assert again.photo == png
    assert (document.method, document.document, document.filename) == ("sendDocument", b"a,b\n1,2\n", "sleep.csv")
    assert ann.actions() == ["upload_photo"]


def test_edit_delete_and_commands(server: BotAPIServer) -> None:
    ann = server.user(USER_ID)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])

    async def scenario(bot: Bot) -> None:
        sent = await bot.send_message(USER_ID, "Thinking…", reply_markup=keyboard)
        with refused("message is not modified"):
            await bot.edit_message_text("Thinking…", USER_ID, sent.message_id, reply_markup=keyboard)
        edited = await bot.edit_message_text("<i>Done</i>", USER_ID, sent.message_id, parse_mode="HTML")
        assert edited.text == "Done" and edited.reply_markup is None  # an edit without markup drops it
        with refused("message to edit not found"):
            await bot.edit_message_text("x", USER_ID, 99)
        await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard)
        assert await bot.delete_message(USER_ID, sent.message_id)
        with refused("message to delete not found"):
            await bot.delete_message(USER_ID, sent.message_id)
        assert await bot.set_my_commands([("start", "Start"), ("week", "Your week")])
        assert await bot.set_my_commands([("start", "Starten")], language_code="de")
        assert [c.command for c in await bot.get_my_commands()] == ["start", "week"]
        assert await bot.delete_my_commands(language_code="de")
        with refused("BOT_COMMAND_INVALID"):
            await bot.set_my_commands([("Bad Command", "x")])

    with_bot(server, scenario)
    (message,) = ann.messages()
    assert (message.text, message.edits, message.current_text, message.deleted) == (
        "Thinking…", ["<i>Done</i>"], "Done", True)
    assert message.buttons() == ["More"]
    assert server.commands == {"": [{"command": "start", "description": "Start"},
                                    {"command": "week", "description": "Your week"}]}


def test_waiting_for_messages(server: BotAPIServer) -> None:
    ann = server.user(USER_ID)
    go_on = threading.Event()

    def bot_side() -> None:
        async def scenario(bot: Bot) -> None:
            for text in ("one", "two"):
                await asyncio.sleep(0.05)
                await bot.send_message(USER_ID, text)
            await asyncio.to_thread(go_on.wait, 5)
            await bot.send_message(USER_ID, "three")
            await bot.edit_message_text("three, edited", USER_ID, 3)
        with_bot(server, scenario)

    sender = threading.Thread(target=bot_side)
    sender.start()
    try:
        assert [m.text for m in ann.wait_for_messages(2, timeout=5)] == ["one", "two"]
        go_on.set()
        assert [m.text for m in ann.wait_for_messages(1, timeout=5)] == ["three"]
        messages = ann.wait_until(lambda sent: sent[-1].current_text == "three, edited", timeout=5)
        assert messages[-1].edits == ["three, edited"]
    finally:
        go_on.set()
        sender.join()
    with pytest.raises(AssertionError, match=r"0 arrived: \[\]"):
        ann.wait_for_messages(1, timeout=0.05)


@pytest.mark.filterwarnings("ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning")  # PTB's own
def test_rate_limit() -> None:
    with BotAPIServer(TOKEN, rate_limit_per_s=2) as limited:
        async def scenario(bot: Bot) -> None:
            await bot.send_message(USER_ID, "one")
            await bot.send_message(USER_ID, "two")
            with pytest.raises(RetryAfter) as throttled:
                await bot.send_message(USER_ID, "three")
            assert throttled.value.retry_after == 1

        with_bot(limited, scenario)
        assert limited.throttled == 1 and len(limited.delivered_at) == 2
        assert [m.text for m in limited.all_messages()] == ["one", "two"]


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str | None, dict]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.arrived.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_webhook_delivery(server: BotAPIServer) -> None:
    ann = server.user(USER_ID)
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/telegram"
    try:
        async def scenario(bot: Bot) -> None:
            assert await bot.set_webhook(hook, secret_token="s3cret-token")
            assert (await bot.get_webhook_info()).url == hook
            update = ann.send("hi")
            assert _Receiver.arrived.wait(5)
            assert _Receiver.received == [("s3cret-token", update)]
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates()
            assert await bot.delete_webhook()
            ann.send("polling again")
            (polled,) = await bot.get_updates()
            assert polled.message.text == "polling again"

        with_bot(server, scenario)
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert server.webhook_deliveries == [200] and server.webhook is None
