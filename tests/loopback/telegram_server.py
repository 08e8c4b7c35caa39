"""A loopback Telegram Bot API: the subset SleepCoT's bot uses, so the real python-telegram-bot `Application`
can poll it (or receive its webhook) in end-to-end tests, while the test plays the user.

Point the bot at it with `base_url=f"{server.url}/bot"` and `base_file_url=f"{server.url}/file/bot"`.

Protocol, as Telegram speaks it:
- `/bot{token}/{method}` (GET or POST; the method name in any case) answers {"ok": true, "result": ...}, or
  {"ok": false, "error_code", "description"} — 401 "Unauthorized" for a wrong token, 404 "Not Found" for an
  unknown method, 400 "Bad Request: ..." for a bad call, 409 for getUpdates while a webhook is set, 429
  "Too Many Requests: retry after N" (with parameters.retry_after) past `rate_limit_per_s` (a send with
  allow_paid_broadcast: past 1,000 a second).
- Parameters come in the query string, as JSON, form-encoded or multipart (files); nested objects
  (reply_markup, ...) arrive as JSON strings in forms. `/file/bot{token}/{file_path}` serves stored files.
- Text and captions with parse_mode "HTML" follow Telegram's HTML rules (`parse_telegram_html`, stricter
  than Telegram about bare "&") and come back as the parsed plain text; at most 4096 UTF-16 code units for
  text, 1024 for captions. Message ids count up per chat, shared by both sides as in a private chat.
- Photos must be PNG or JPEG; uploaded files (the bot's and the user's) can be fetched with getFile and
  downloaded from `/file/bot{token}/{file_path}`. With `download_limit` set, getFile refuses a larger file
  with 400 "Bad Request: file is too big", as Telegram does past 20 MB.
- sendMessageDraft (Bot API 9.5) streams a partial message: the chat shows the draft (same `draft_id`:
  the same draft, animated) until a message is sent; no message exists until then. With `drafts=False` the
  server answers it 404 "Not Found", as a Bot API server older than 9.5 does.
- getUpdates long-polls at most `MAX_POLL_S`, so a stopping bot never waits long; with a webhook set,
  updates are POSTed to it in order from a background thread instead.
- `fail_next()` (from the base) answers the next calls with an injected status, or drops the connection;
  `hold_next("sendMessage", after=...)` keeps the next such call waiting before or after it is carried out.

Test side: `server.user(id)` gives a `TelegramUser` who sends messages, presses inline buttons, shares a
location or a document, and reads (or waits for) what the bot sent as `SentMessage`s.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import queue
import re
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from . import Fault, JSONHandler, LoopbackServer

MAX_TEXT = 4096  # UTF-16 code units, after entity parsing
MAX_CAPTION = 1024
MAX_POLL_S = 1.0  # getUpdates' long-polling timeout is capped here
BOT_USERNAME = "sleepcot_test_bot"

# --- Telegram's HTML formatting ----------------------------------------------------------------------------

_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
         "blockquote", "tg-emoji"}
_REQUIRED = {"span": ("class", "tg-spoiler"), "a": ("href", None), "tg-emoji": ("emoji-id", None)}
_START_TAG = re.compile(r"""<([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>""")
_ATTRIBUTE = re.compile(r"""([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_TAG_NAME = re.compile(r"<([^\s>]*)")
_END_TAG = re.compile(r"</([a-zA-Z][\w-]*)\s*>")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]+)|#[xX]([0-9a-fA-F]+));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_telegram_html(text: str) -> str:
    """The plain text Telegram makes of `text` sent with parse_mode "HTML"; raises ValueError with Telegram's
    description ("Bad Request: can't parse entities: ...") when Telegram would refuse it. A "&" that does
    not start &lt; &gt; &amp; &quot; or a numeric reference is refused too: the bot must escape."""
    plain: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            character, i = _entity(text, i)
            plain.append(character)
        elif text.startswith("</", i):
            i = _end_tag(text, i, open_tags)
        elif text[i] == "<":
            i = _start_tag(text, i, open_tags)
        else:
            plain.append(text[i])
            i += 1
    if open_tags:
        raise _html_error(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(plain)


def _html_error(problem: str, text: str | None = None, at: int = 0) -> ValueError:
    if text is not None:
        problem += f" at byte offset {len(text[:at].encode('utf-8', 'surrogatepass'))}"
    return ValueError(f"Bad Request: can't parse entities: {problem}")


def _entity(text: str, i: int) -> tuple[str, int]:
    match = _ENTITY.match(text, i)
    if match is None:
        raise _html_error('Character "&" must be escaped as "&amp;"', text, i)
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_ENTITIES[named], match.end()
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if not 0 < code < 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise _html_error("Invalid character reference", text, i)
    return chr(code), match.end()


def _start_tag(text: str, i: int, open_tags: list[str]) -> int:
    match = _START_TAG.match(text, i)
    name = (match or _TAG_NAME.match(text, i)).group(1).lower()
    if name not in _TAGS:
        raise _html_error(f'Unsupported start tag "{name}"', text, i)
    if match is None:
        raise _html_error(f'Malformed or unclosed start tag "{name}"', text, i)
    attributes = {}
    for attribute in _ATTRIBUTE.finditer(match.group(2)):
        key, values = attribute.group(1).lower(), attribute.groups()[1:]
        if all(value is None for value in values) and (name, key) != ("blockquote", "expandable"):
            raise _html_error(f'Expected equal sign in declaration of an attribute of the tag "{name}"', text, i)
        attributes[key] = next((value for value in values if value is not None), "")
    if name in _REQUIRED:
        key, value = _REQUIRED[name]
        if key not in attributes or (value is not None and attributes[key] != value):
            wanted = f'attribute {key}="{value}"' if value else f'attribute "{key}"'
            raise _html_error(f'Tag "{name}" must have {wanted}', text, i)
    open_tags.append(name)
    return match.end()


def _end_tag(text: str, i: int, open_tags: list[str]) -> int:
    if not open_tags:
        raise _html_error("Unexpected end tag", text, i)
    match = _END_TAG.match(text, i)
    if match is None:
        raise _html_error("Unclosed end tag", text, i)
    name = match.group(1).lower()
    if name != open_tags[-1]:
        raise _html_error(f'Unmatched end tag, expected "</{open_tags[-1]}>", found "</{name}>"', text, i)
    open_tags.pop()
    return match.end()


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- what the test side sees -------------------------------------------------------------------------------


@dataclass
class SentMessage:
    """A message the bot sent. `text` is the parsed plain text (the caption for photos and documents), `raw`
    the text or caption exactly as sent; edits append their raw text to `edits` and update `current_text`
    and `reply_markup`. `result` is the Message object as Telegram last returned it."""

    message_id: int
    chat_id: int
    method: str  # "sendMessage", "sendPhoto" or "sendDocument"
    text: str
    raw: str
    parse_mode: str | None
    reply_markup: dict | None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    edits: list[str] = field(default_factory=list)
    current_text: str = ""
    deleted: bool = False
    result: dict = field(default_factory=dict, repr=False)

    @property
    def current_raw(self) -> str:
        return self.edits[-1] if self.edits else self.raw

    def callback_button(self, label_or_data: str) -> dict | None:
        """The inline button with this text or callback_data, unless the message is deleted."""
        rows = [] if self.deleted else (self.reply_markup or {}).get("inline_keyboard", [])
        return next((button for row in rows for button in row if "callback_data" in button
                     and label_or_data in (button["text"], button["callback_data"])), None)

    def buttons(self) -> list[str]:
        """The keyboard's button texts, row by row (an inline keyboard, or a reply keyboard)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [button if isinstance(button, str) else button["text"] for row in rows for button in row]


class TelegramUser:
    """A user in a private chat with the bot (the chat id is the user id). Each action pushes an update
    with the next update_id and returns it."""

    def __init__(self, server: BotAPIServer, user_id: int, first_name: str, language_code: str):
        self.server, self.id, self.first_name, self.language_code = server, user_id, first_name, language_code
        self._seen = 0  # messages already returned by wait_for_messages

    def as_dict(self) -> dict:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code}

    def send(self, text: str) -> dict:
        """A text message; a leading /command (or /command@bot) gets a bot_command entity, as in Telegram."""
        content: dict[str, Any] = {"text": text}
        command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_length(command.group())}]
        return self.server._push_message(self, content)

    def press(self, label_or_data: str) -> dict:
        """Press the inline button with this text or callback_data on the bot's latest message that has one."""
        with self.server._changed:
            for message in reversed(self.messages()):
                button = message.callback_button(label_or_data)
                if button is not None:
                    return self.server._push_callback_query(self, message, button["callback_data"])
            available = [(m.message_id, m.buttons()) for m in self.messages() if m.buttons()]
            raise AssertionError(f"no inline button {label_or_data!r} in chat {self.id}; buttons: {available}")

    def press_forged(self, data: str) -> dict:
        """A button press with made-up callback data (a modified client can send any), on the bot's latest
        message in this chat."""
        with self.server._changed:
            return self.server._push_callback_query(self, self.messages()[-1], data)

    def edit(self, sent: dict, text: str) -> dict:
        """Edit a message this user sent earlier (`sent`: the update `send` returned): an `edited_message`."""
        message = {**sent["message"], "text": text, "edit_date": int(time.time())}
        message.pop("entities", None)
        return self.server._push("edited_message", message)

    def send_as_business(self, text: str, customer: TelegramUser) -> dict:
        """A message in this user's business chat with `customer` (Telegram Business, the bot connected to
        the account): a `business_message` in the customer's chat, sent by the customer."""
        message = self.server._message(customer.id, customer.as_dict(), {"text": text})
        return self.server._push("business_message", {**message, "business_connection_id": f"biz-{self.id}"})

    def share_location(self, latitude: float, longitude: float) -> dict:
        return self.server._push_message(self, {"location": {"latitude": latitude, "longitude": longitude}})

    def send_document(self, filename: str, content: bytes, mime_type: str = "application/octet-stream") -> dict:
        stored = self.server._store_file("documents", content, filename, mime_type)
        return self.server._push_message(self, {"document": stored.document()})

    def messages(self) -> list[SentMessage]:
        """Every message the bot sent to this chat, oldest first."""
        with self.server._changed:
            return [message for message in self.server._sent if message.chat_id == self.id]

    def drafts(self) -> list[tuple[int, str]]:
        """Every draft the bot streamed to this chat, oldest first: (draft_id, its text as shown)."""
        with self.server._changed:
            return [(draft_id, text) for chat_id, draft_id, text in self.server._drafts if chat_id == self.id]

    def actions(self) -> list[str]:
        """The chat actions ("typing", "upload_photo", ...) the bot sent to this chat, in order."""
        with self.server._changed:
            return [action for chat_id, action in self.server._actions if chat_id == self.id]

    def wait_for_messages(self, count: int, timeout: float = 30) -> list[SentMessage]:
        """Block until at least `count` messages arrived since the last wait (or since this user appeared);
        return all of them."""
        with self.server._changed:
            arrived = self.server._changed.wait_for(lambda: len(self.messages()) - self._seen >= count, timeout)
            new = self.messages()[self._seen:]
            if not arrived:
                raise AssertionError(f"expected {count} new message(s) in chat {self.id} within {timeout} s, "
                                     f"{len(new)} arrived: {[m.current_text for m in new]}")
            self._seen += len(new)
            return new

    def wait_until(self, predicate: Callable[[list[SentMessage]], bool], timeout: float = 30) -> list[SentMessage]:
        """Block until `predicate(self.messages())` holds (checked whenever the bot sends or edits); return them."""
        with self.server._changed:
            if not self.server._changed.wait_for(lambda: predicate(self.messages()), timeout):
                raise AssertionError(f"condition not met in chat {self.id} within {timeout} s; messages: "
                                     f"{[m.current_text for m in self.messages()]}")
            return self.messages()


# --- the server --------------------------------------------------------------------------------------------


class APIError(Exception):
    """A Bot API error answer."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        return body | ({"parameters": self.parameters} if self.parameters else {})


def _bad_request(problem: str) -> APIError:
    return APIError(400, f"Bad Request: {problem}")


@dataclass
class Upload:
    """A file that came in a multipart request."""

    filename: str
    data: bytes
    mime_type: str


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    data: bytes

    def info(self) -> dict:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data)}

    def document(self) -> dict:
        return self.info() | {"file_name": self.file_name, "mime_type": self.mime_type}


# Parameters that hold objects: form-encoded and multipart requests carry them as JSON strings.
_JSON_PARAMETERS = {"reply_markup", "link_preview_options", "reply_parameters", "entities", "caption_entities",
                    "allowed_updates", "commands", "scope"}
_SENDING = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}  # rate-limited
PAID_BROADCAST_PER_S = 1000  # Bot API 7.11: allow_paid_broadcast lifts the limit to 1,000 messages a second
_CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                 "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
_NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                 "as a current content and reply markup of the message")
_PNG, _JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


def parse_parameters(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """A request's parameters from its query string and body (JSON, form-encoded or multipart);
    files become `Upload`s. Raises ValueError on a body that cannot be parsed."""
    params: dict[str, Any] = dict(parse_qsl(query))
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        params.update(json.loads(body or b"{}"))
    elif media_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode()))
    elif media_type == "multipart/form-data":
        form = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in form.iter_parts():
            name, data = part.get_param("name", header="content-disposition"), part.get_payload(decode=True)
            filename = part.get_filename()
            params[name] = data.decode() if filename is None else Upload(filename, data, part.get_content_type())
    for key in _JSON_PARAMETERS & params.keys():
        if isinstance(params[key], str) and params[key].lstrip()[:1] in ("{", "["):
            params[key] = json.loads(params[key])
    return params


def _int(params: dict, key: str, default: int) -> int:
    value = params.get(key)
    return default if value in (None, "") else int(value)


def _flag(params: dict, key: str) -> bool:
    return str(params.get(key)).lower() == "true"


def _image_size(data: bytes) -> tuple[int, int]:
    if data.startswith(_PNG) and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return 0, 0


class BotAPIHandler(JSONHandler):
    @property
    def owner(self) -> BotAPIServer:
        return self.server.owner  # type: ignore[return-value]

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = unquote(url.path)
        if path.startswith("/file/bot"):
            self._serve_file(path.removeprefix("/file/bot"))
            return
        token, _, method = path.removeprefix("/bot").partition("/") if path.startswith("/bot") else ("", "", "")
        if not method:
            self.send_json(404, APIError(404, "Not Found").body())
            return
        if token != self.owner.token:
            self.send_json(401, APIError(401, "Unauthorized").body())
            return
        try:
            params = parse_parameters(url.query, self.headers.get("Content-Type", ""), body)
        except ValueError as exc:
            self.send_json(400, _bad_request(f"can't parse request: {exc}").body())
            return
        fault = self.owner._receive(method, params)
        if fault is not None:
            self._answer_fault(fault)
            return
        name = self.owner._methods.get(method.lower(), method)
        if self.owner.pause(name, after=False):
            self.break_connection()
            return
        try:
            result = self.owner.call(method, params)
        except APIError as error:
            self.send_json(error.status, error.body())
        else:
            self.owner.pause(name, after=True)
            self.send_json(200, {"ok": True, "result": result})

    def _answer_fault(self, fault: Fault) -> None:
        if fault.status is None:
            self.break_connection()
        else:
            body = fault.body or APIError(fault.status, "Injected fault").body()
            self.send_json(fault.status, body, fault.headers)

    def _serve_file(self, token_and_path: str) -> None:
        token, _, file_path = token_and_path.partition("/")
        stored = self.owner._file_at(file_path) if token == self.owner.token else None
        if stored is None:
            self.send_json(404, APIError(404, "Not Found").body())
            return
        self.send_response(200)
        self.send_header("Content-Type", stored.mime_type)
        self.send_header("Content-Length", str(len(stored.data)))
        self.end_headers()
        self.wfile.write(stored.data)


class BotAPIServer(LoopbackServer):
    """A loopback Telegram Bot API for one bot. Thread-safe: the bot polls from its own thread while the test
    plays users. Records `calls` [(method, params)], `webhook` (setWebhook's parameters while one is set),
    `webhook_deliveries` (each POST's HTTP status, None when it could not connect), `commands` (per
    language_code, "" for the default), `callback_answers` (answerCallbackQuery's parameters by query id),
    `throttled` (calls refused by the rate limit), `delivered_at` (time.monotonic() of each accepted
    sendMessage / editMessageText / sendPhoto / sendDocument, for messages per second) and `paid_broadcasts`
    (those sent with allow_paid_broadcast, which are held to Telegram's paid limit instead)."""

    handler = BotAPIHandler

    def __init__(self, token: str = "123456:TEST-TOKEN", *, rate_limit_per_s: float | None = None,
                 download_limit: int | None = None, drafts: bool = True):
        super().__init__()
        self.token = token
        self.rate_limit_per_s = rate_limit_per_s
        self.download_limit = download_limit  # bytes getFile hands out (Telegram: 20 MB); None: no limit
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "SleepCoT Test",
                         "username": BOT_USERNAME, "can_join_groups": False,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.calls: list[tuple[str, dict]] = []
        self.webhook: dict | None = None
        self.webhook_deliveries: list[int | None] = []
        self.commands: dict[str, list[dict]] = {}
        self.callback_answers: dict[str, dict] = {}
        self.throttled = 0
        self.delivered_at: list[float] = []
        self.paid_broadcasts = 0
        self._changed = threading.Condition()  # guards all state; notified on every change
        self._closing = False
        self._users: dict[int, TelegramUser] = {}
        self._updates: list[dict] = []  # not yet confirmed by getUpdates' offset
        self._allowed_updates: list[str] | None = None
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._sent: list[SentMessage] = []
        self._actions: list[tuple[int, str]] = []
        self._drafts: list[tuple[int, int, str]] = []  # (chat, draft_id, plain text)
        self._files: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._open_queries: set[str] = set()
        self._query_ids = itertools.count(1)
        self._outbox: queue.Queue[tuple[str, dict[str, str], dict] | None] = queue.Queue()
        self._webhook_thread: threading.Thread | None = None
        self._methods = {name.lower(): name for name in (
            "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands",
            "getMyCommands", "deleteMyCommands", "sendMessage", "editMessageText", "editMessageReplyMarkup",
            "deleteMessage", "sendChatAction", "answerCallbackQuery", "sendPhoto", "sendDocument", "getFile",
            "close", "logOut", *(("sendMessageDraft",) if drafts else ()))}

    def start(self) -> BotAPIServer:
        self._closing = False
        super().start()
        self._webhook_thread = threading.Thread(target=self._deliver_webhooks, name="BotAPIServer webhook",
                                                daemon=True)
        self._webhook_thread.start()
        return self

    def stop(self) -> None:
        with self._changed:  # long polls return at once
            self._closing = True
            self._changed.notify_all()
        super().stop()
        if self._webhook_thread is not None:
            self._outbox.put(None)
            self._webhook_thread.join(timeout=10)
            self._webhook_thread = None

    # --- test side

    def user(self, user_id: int, first_name: str = "Ann", language_code: str = "en") -> TelegramUser:
        with self._changed:
            self._users[user_id] = TelegramUser(self, user_id, first_name, language_code)
            return self._users[user_id]

    def all_messages(self) -> list[SentMessage]:
        """Every message the bot sent, to any chat, oldest first."""
        with self._changed:
            return list(self._sent)

    def _push(self, kind: str, payload: dict) -> dict:
        with self._changed:
            update = {"update_id": next(self._update_ids), kind: payload}
            if self._allowed_updates and kind not in self._allowed_updates:
                return update  # Telegram does not even keep it
            if self.webhook is not None:
                self._post_to_webhook(update)
            else:
                self._updates.append(update)
            self._changed.notify_all()
            return update

    def _push_message(self, user: TelegramUser, content: dict) -> dict:
        with self._changed:
            return self._push("message", self._message(user.id, user.as_dict(), content))

    def _push_callback_query(self, user: TelegramUser, message: SentMessage, data: str) -> dict:
        with self._changed:
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
            return self._push("callback_query", {"id": query_id, "from": user.as_dict(),
                                                 "message": message.result, "chat_instance": str(user.id * 1000003),
                                                 "data": data})

    def _store_file(self, folder: str, data: bytes, file_name: str, mime_type: str) -> StoredFile:
        with self._changed:
            number = next(self._file_numbers)
            suffix = file_name.rpartition(".")[2] if "." in file_name else "bin"
            stored = StoredFile(f"file-{number}", f"unique-{number}", f"{folder}/file_{number}.{suffix}",
                                file_name, mime_type, data)
            self._files[stored.file_id] = stored
            return stored

    def _file_at(self, file_path: str) -> StoredFile | None:
        with self._changed:
            return next((stored for stored in self._files.values() if stored.file_path == file_path), None)

    # --- requests

    def _receive(self, method: str, params: dict) -> Fault | None:
        """Log a call and take the fault queued for it, if any."""
        with self._changed:
            self.calls.append((self._methods.get(method.lower(), method), params))
        return self.record(params)

    def call(self, method: str, params: dict) -> Any:
        """Run one Bot API method (its name in any case): its result, or APIError."""
        name = self._methods.get(method.lower())
        if name is None:
            raise APIError(404, "Not Found")
        run = getattr(self, "_api_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        with self._changed:
            if name in _SENDING:
                self._check_rate(PAID_BROADCAST_PER_S if paid else self.rate_limit_per_s)
            result = run(params)
            if name in _SENDING:
                self.delivered_at.append(time.monotonic())
                self.paid_broadcasts += paid
            self._changed.notify_all()
            return result

    def _check_rate(self, rate_limit_per_s: float | None) -> None:
        if rate_limit_per_s is None:
            return
        window = max(1.0, 1 / rate_limit_per_s)  # below 1/s: one message per 1/rate seconds
        capacity = max(1, int(rate_limit_per_s * window))
        now = time.monotonic()
        if len(self.delivered_at) - bisect.bisect_right(self.delivered_at, now - window) >= capacity:
            self.throttled += 1
            retry_after = max(1, math.ceil(self.delivered_at[-capacity] + window - now))
            raise APIError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def _message(self, chat_id: int, sender: dict, content: dict) -> dict:
        """A Message object in the private chat `chat_id`, with the chat's next message id."""
        chat = {"id": chat_id, "type": "private"}
        if chat_id in self._users:
            chat["first_name"] = self._users[chat_id].first_name
        message_id = next(self._message_ids.setdefault(chat_id, itertools.count(1)))
        return {"message_id": message_id, "from": sender, "chat": chat, "date": int(time.time()), **content}

    @staticmethod
    def _chat_id(params: dict) -> int:
        if params.get("chat_id") in (None, ""):
            raise _bad_request("chat_id is empty")
        try:
            return int(params["chat_id"])
        except ValueError:
            raise _bad_request("chat not found") from None

    @staticmethod
    def _formatted(params: dict, key: str, limit: int, too_long: str) -> tuple[str, str]:
        """(plain text, raw text) of a text or caption parameter, parsed by its parse_mode."""
        raw = str(params.get(key) or "")
        try:
            plain = parse_telegram_html(raw) if str(params.get("parse_mode")).upper() == "HTML" else raw
        except ValueError as exc:
            raise APIError(400, str(exc)) from None
        plain = plain.strip()  # Telegram trims messages
        if utf16_length(plain) > limit:
            raise _bad_request(too_long)
        return plain, raw

    def _text(self, params: dict) -> tuple[str, str]:
        plain, raw = self._formatted(params, "text", MAX_TEXT, "message is too long")
        if not plain:
            raise _bad_request("message text is empty")
        return plain, raw

    def _sent_message(self, params: dict) -> SentMessage:
        chat_id, message_id = self._chat_id(params), params.get("message_id")
        for message in self._sent:
            if message.chat_id == chat_id and str(message.message_id) == str(message_id) and not message.deleted:
                return message
        raise _bad_request("message to edit not found")

    def _input_file(self, params: dict, key: str) -> Upload:
        value = params.get(key)
        if isinstance(value, Upload):
            return value
        if value in (None, ""):
            raise _bad_request(f"there is no {key} in the request")
        if value not in self._files:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        stored = self._files[value]
        return Upload(stored.file_name, stored.data, stored.mime_type)

    def _deliver(self, method: str, params: dict, plain: str, raw: str, content: dict, **files: Any) -> dict:
        """Record a message the bot sent and return it as a Message object."""
        chat_id = self._chat_id(params)
        markup = params.get("reply_markup")
        result = self._message(chat_id, self._bot_from(), content)
        if markup and "inline_keyboard" in markup:  # Telegram echoes inline keyboards only
            result["reply_markup"] = markup
        self._sent.append(SentMessage(result["message_id"], chat_id, method, plain, raw, params.get("parse_mode"),
                                      markup, current_text=plain, result=result, **files))
        return result

    def _bot_from(self) -> dict:
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    def _post_to_webhook(self, update: dict) -> None:
        secret = self.webhook.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        self._outbox.put((self.webhook["url"], headers, update))

    def _deliver_webhooks(self) -> None:
        with httpx.Client(timeout=10) as client:
            while (item := self._outbox.get()) is not None:
                url, headers, update = item
                try:
                    status: int | None = client.post(url, json=update, headers=headers).status_code
                except httpx.HTTPError:
                    status = None
                with self._changed:
                    self.webhook_deliveries.append(status)
                    self._changed.notify_all()

    # --- Bot API methods (called with the state lock held)

    def _api_get_me(self, params: dict) -> dict:
        return self.bot_user

    def _api_get_updates(self, params: dict) -> list[dict]:
        if self.webhook is not None:
            raise APIError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset, limit = _int(params, "offset", 0), min(max(_int(params, "limit", 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0), MAX_POLL_S)
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"] or None
        if offset < 0:  # the last -offset updates; older ones are forgotten
            self._updates = self._updates[offset:]
        else:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        self._changed.wait_for(lambda: self._updates or self._closing, timeout)
        return self._updates[:limit]

    def _api_set_webhook(self, params: dict) -> bool:
        if not params.get("url"):
            return self._api_delete_webhook(params)
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad_request("secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"] or None
        self.webhook = {key: value for key, value in params.items() if not isinstance(value, Upload)}
        pending, self._updates = ([] if _flag(params, "drop_pending_updates") else self._updates), []
        for update in pending:
            self._post_to_webhook(update)
        return True

    def _api_delete_webhook(self, params: dict) -> bool:
        self.webhook = None
        if _flag(params, "drop_pending_updates"):
            self._updates = []
        return True

    def _api_get_webhook_info(self, params: dict) -> dict:
        info = {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    def _api_set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[params.get("language_code") or ""] = commands
        return True

    def _api_get_my_commands(self, params: dict) -> list[dict]:
        return self.commands.get(params.get("language_code") or "", [])

    def _api_delete_my_commands(self, params: dict) -> bool:
        self.commands.pop(params.get("language_code") or "", None)
        return True

    def _api_send_message(self, params: dict) -> dict:
        plain, raw = self._text(params)
        return self._deliver("sendMessage", params, plain, raw, {"text": plain})

    def _api_edit_message_text(self, params: dict) -> dict:
        message = self._sent_message(params)
        if message.method != "sendMessage":
            raise _bad_request("there is no text in the message to edit")
        plain, raw = self._text(params)
        markup = params.get("reply_markup")  # an edit without one removes the keyboard, as in Telegram
        if (plain, raw, markup) == (message.current_text, message.current_raw, message.reply_markup):
            raise _bad_request(_NOT_MODIFIED)
        message.edits.append(raw)
        message.current_text = message.result["text"] = plain
        self._set_markup(message, markup)
        return message.result

    def _api_edit_message_reply_markup(self, params: dict) -> dict:
        message = self._sent_message(params)
        if params.get("reply_markup") == message.reply_markup:
            raise _bad_request(_NOT_MODIFIED)
        self._set_markup(message, params.get("reply_markup"))
        return message.result

    @staticmethod
    def _set_markup(message: SentMessage, markup: dict | None) -> None:
        message.reply_markup = markup
        message.result["edit_date"] = int(time.time())
        message.result.pop("reply_markup", None)
        if markup and "inline_keyboard" in markup:
            message.result["reply_markup"] = markup

    def _api_delete_message(self, params: dict) -> bool:
        try:
            self._sent_message(params).deleted = True
        except APIError:
            raise _bad_request("message to delete not found") from None
        return True

    def _api_send_message_draft(self, params: dict) -> bool:
        chat_id = self._chat_id(params)
        draft_id = _int(params, "draft_id", 0)
        if draft_id == 0:
            raise _bad_request("DRAFT_ID_INVALID")
        plain, _ = self._text(params) if params.get("text") else ("", "")
        self._drafts.append((chat_id, draft_id, plain))
        return True

    def _api_send_chat_action(self, params: dict) -> bool:
        chat_id = self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self._actions.append((chat_id, params["action"]))
        return True

    def _api_answer_callback_query(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    def _api_send_photo(self, params: dict) -> dict:
        self._chat_id(params)
        upload = self._input_file(params, "photo")
        if not upload.data.startswith((_PNG, _JPEG)):
            raise _bad_request("IMAGE_PROCESS_FAILED")
        plain, raw = self._formatted(params, "caption", MAX_CAPTION, "message caption is too long")
        stored = self._store_file("photos", upload.data, upload.filename, upload.mime_type)
        width, height = _image_size(upload.data)
        content = {"photo": [stored.info() | {"width": width, "height": height}]}
        return self._deliver("sendPhoto", params, plain, raw, content | ({"caption": plain} if plain else {}),
                             photo=upload.data)

    def _api_send_document(self, params: dict) -> dict:
        self._chat_id(params)
        upload = self._input_file(params, "document")
        plain, raw = self._formatted(params, "caption", MAX_CAPTION, "message caption is too long")
        stored = self._store_file("documents", upload.data, upload.filename, upload.mime_type)
        content = {"document": stored.document()} | ({"caption": plain} if plain else {})
        return self._deliver("sendDocument", params, plain, raw, content, document=upload.data,
                             filename=upload.filename)

    def _api_get_file(self, params: dict) -> dict:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if self.download_limit is not None and len(stored.data) > self.download_limit:
            raise _bad_request("file is too big")
        return stored.info() | {"file_path": stored.file_path}

    def _api_close(self, params: dict) -> bool:
        return True

    def _api_log_out(self, params: dict) -> bool:
        return True
