"""A loopback OpenAI-compatible endpoint: `POST /v1/chat/completions`, streaming and not, generating for
real with an in-process model (the embedded SmolLM2 in tests), plus injectable faults.

Protocol, as the `openai` client expects it:
- Request {model, messages, max_tokens | max_completion_tokens, temperature, stop (string, list or null),
  stream, response_format}.
- response_format {"type": "text" | "json_object" | "json_schema", "json_schema": {name, schema, strict}}:
  a JSON one constrains the reply (the model's `structured` writes it, greedy, as one piece: temperature
  and stop do not apply); another type is a 400.
- stream=true: `text/event-stream`, `data: {chunk}\\n\\n` events of object "chat.completion.chunk" — the
  first delta carries the role, then one delta.content per piece, then an empty delta with finish_reason
  "stop" | "length" — and finally `data: [DONE]`.
- stream=false: one "chat.completion" object with choices[0].message and usage.
- Errors: {"error": {"message", "type", "param", "code"}} with the HTTP status (404 unknown model,
  401 wrong key when the server was given one, 400 bad request).
- Faults: `fail_next(n, 500)` or `fail_next(n, 429, headers={"Retry-After": "0"})` answer the next n
  requests with that status; `fail_next(status=None, after_pieces=k)` drops the connection after k pieces
  (with `body=`: sends that error event instead).
- `GET /v1/models` lists the models.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from . import JSONHandler, LoopbackServer, Recorder
from .ollama_server import ANY_JSON_OBJECT, constrained, count_tokens

DEFAULT_MAX_TOKENS = 256
DEFAULT_TEMPERATURE = 1.0  # OpenAI's default


def error_body(message: str, type_: str, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class OpenAIHandler(JSONHandler):
    @property
    def owner(self) -> OpenAILoopback:
        return self.server.owner  # type: ignore[return-value]

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self.send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "loopback"} for m in sorted(self.owner.models)]})
        else:
            self.send_json(404, error_body(f"Unknown path {self.path}", "invalid_request_error"))

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_json(404, error_body(f"Unknown path {self.path}", "invalid_request_error"))
            return
        try:
            body = self.read_json()
        except json.JSONDecodeError as exc:
            self.send_json(400, error_body(f"invalid JSON: {exc}", "invalid_request_error"))
            return
        fault = self.owner.record(body)
        if fault is not None and fault.status is not None:
            default = error_body("injected fault", "rate_limit_error" if fault.status == 429 else "server_error")
            self.send_json(fault.status, fault.body or default, fault.headers)
            return
        if self.owner.api_key and self.headers.get("Authorization") != f"Bearer {self.owner.api_key}":
            self.send_json(401, error_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
            return
        model = body.get("model")
        if model not in self.owner.models:
            self.send_json(404, error_body(f"The model `{model}` does not exist", "invalid_request_error",
                                           "model_not_found"))
            return
        response_format = body.get("response_format") or {"type": "text"}
        kind = response_format.get("type")
        if kind not in ("text", "json_object", "json_schema"):
            self.send_json(400, error_body(f"Invalid value for 'response_format.type': {kind!r}",
                                           "invalid_request_error", "invalid_value"))
            return
        schema = None
        if kind != "text":
            schema = (response_format.get("json_schema") or {}).get("schema") or ANY_JSON_OBJECT
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
        stop = body.get("stop")
        temperature = body.get("temperature")
        completion = _Completion(self.owner.llm, model, body.get("messages") or [], max_tokens,
                                 DEFAULT_TEMPERATURE if temperature is None else temperature,
                                 [stop] if isinstance(stop, str) else stop, schema)
        if body.get("stream"):
            self.send_stream("text/event-stream", self._events(completion, fault))
        else:
            text = "".join(completion.pieces())
            self.send_json(200, completion.whole(text))

    def _events(self, completion: _Completion, fault: Any) -> Iterator[bytes]:
        def event(payload: Any) -> bytes:
            return b"data: " + (payload if isinstance(payload, bytes) else json.dumps(payload).encode()) + b"\n\n"

        yield event(completion.chunk({"role": "assistant", "content": ""}))
        for i, piece in enumerate(completion.pieces()):
            if fault is not None and i == fault.after_pieces:  # the stream breaks off here
                if fault.body is not None:
                    yield event(fault.body)
                    return
                self.break_connection()
                return
            yield event(completion.chunk({"content": piece}))
        yield event(completion.chunk({}, completion.finish_reason()))
        yield event(b"[DONE]")


class _Completion:
    """One generation, and the response objects that describe it."""

    def __init__(self, llm: Any, model: str, messages: list[dict], max_tokens: int, temperature: float,
                 stop: list[str] | None, schema: dict | None = None):
        self.llm, self.model, self.messages = llm, model, messages
        self.max_tokens = max_tokens
        self.id, self.created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        self.recorder = Recorder(
            constrained(llm, messages, schema, max_tokens) if schema
            else llm.stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop))
        self.pieces = self.recorder.pieces

    def finish_reason(self) -> str:
        return "length" if count_tokens(self.llm, self.recorder.text, self.recorder.count) >= self.max_tokens else "stop"

    def chunk(self, delta: dict, finish_reason: str | None = None) -> dict:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    def whole(self, text: str) -> dict:
        prompt = count_tokens(self.llm, self.llm.render(self.messages)) if hasattr(self.llm, "render") else 0
        completion = count_tokens(self.llm, text, self.recorder.count)
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": self.finish_reason()}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion}}


class OpenAILoopback(LoopbackServer):
    """Serves `llm` under the given model names; with `api_key`, requests must carry that Bearer key.
    The client's base_url is `url + "/v1"`."""

    handler = OpenAIHandler

    def __init__(self, llm: Any, models: list[str], api_key: str | None = None):
        super().__init__()
        self.llm = llm
        self.model = models[0]  # the name tests ask for
        self.models = set(models)
        self.api_key = api_key

    @property
    def base_url(self) -> str:
        return self.url + "/v1"
