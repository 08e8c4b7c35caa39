"""A loopback Ollama: the `/api/chat` subset the official `ollama` Python client uses, generating for real
with an in-process model (the embedded SmolLM2 in tests: anything with SleepCoT's `LLM.stream` and
`LLM.structured`).

Protocol, as Ollama speaks it:
- `POST /api/chat` {model, messages, stream (default true), format, options {num_predict, temperature, stop,
  repeat_penalty, ...}}. A final assistant message is continued: its content is the reply's prefix and
  only the continuation comes back.
- `format` (a JSON schema, or "json" for any JSON object) constrains the reply: the model's `structured`
  writes it, greedy, and it arrives as one piece (here a final assistant message is dropped, not continued, and
  temperature and stop do not apply).
- stream=true: `application/x-ndjson`, one object per line
  {"model","created_at","message":{"role":"assistant","content":piece},"done":false}, then a final
  {"done":true,"done_reason":"stop"|"length","total_duration",...,"eval_count",...} with empty content.
  stream=false: one object with the whole message and the same statistics.
- Unknown model: 404 {"error":"model 'x' not found, try pulling it first"}; bad request (a `format` neither
  "json" nor a schema, ...): 400 {"error":...}.
  A failure after streaming began arrives as an {"error": ...} line.
- `GET /` answers "Ollama is running"; `GET /api/tags` lists the models.
Model names without a tag mean ":latest", as in Ollama.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from . import JSONHandler, LoopbackServer, Recorder

DEFAULT_NUM_PREDICT = 256  # Ollama's -1 ("until done") capped: a test double must not run away
DEFAULT_TEMPERATURE = 0.8  # Ollama's default
ANY_JSON_OBJECT = {"type": "object"}  # what format="json" (OpenAI: "json_object") asks for


def _full_name(model: str) -> str:
    return model if ":" in model else f"{model}:latest"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def constrained(llm: Any, messages: list[dict], schema: dict, max_tokens: int) -> Iterator[str]:
    """The model's reply constrained to `schema`, as one piece (a generator, so it streams like the rest)."""
    yield llm.structured(messages, schema, max_tokens=max_tokens)


def count_tokens(llm: Any, text: str, pieces: int = 0) -> int:
    """Tokens in `text` by the model's own tokenizer when it has one (llama.cpp), else the piece count."""
    llama = getattr(llm, "llama", None)
    if llama is None or not text:
        return pieces
    return max(pieces, len(llama.tokenize(text.encode(), add_bos=False, special=True)))


class OllamaHandler(JSONHandler):
    @property
    def owner(self) -> OllamaLoopback:
        return self.server.owner  # type: ignore[return-value]

    def do_GET(self) -> None:
        if self.path == "/":
            data = b"Ollama is running"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path == "/api/tags":
            self.send_json(200, {"models": [{"name": m, "model": m} for m in sorted(self.owner.models)]})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/api/chat":
            self.send_json(404, {"error": "not found"})
            return
        try:
            body = self.read_json()
        except json.JSONDecodeError as exc:
            self.send_json(400, {"error": f"invalid JSON: {exc}"})
            return
        if self.owner.pause("/api/chat", after=False):
            self.break_connection()
            return
        fault = self.owner.record(body)
        if fault is not None and fault.status is not None:
            self.send_json(fault.status, fault.body or {"error": "injected fault"}, fault.headers)
            return
        model = body.get("model") or ""
        if not model:
            self.send_json(400, {"error": "model is required"})
            return
        if _full_name(model) not in self.owner.models:
            self.send_json(404, {"error": f"model '{model}' not found, try pulling it first"})
            return
        messages = list(body.get("messages") or [])
        prefix = ""
        if messages and messages[-1].get("role") == "assistant":  # Ollama continues a final assistant message
            prefix = messages.pop()["content"]
        options = body.get("options") or {}
        num_predict = options.get("num_predict")
        if num_predict is None or num_predict < 0:
            num_predict = DEFAULT_NUM_PREDICT
        schema = body.get("format") or None
        if schema == "json":
            schema = ANY_JSON_OBJECT
        elif schema is not None and not isinstance(schema, dict):
            self.send_json(400, {"error": 'invalid format: expected "json" or a valid JSON schema'})
            return
        stop = options.get("stop")
        chat = _Chat(self.owner.llm, model, messages, prefix, num_predict,
                     options.get("temperature", DEFAULT_TEMPERATURE), [stop] if isinstance(stop, str) else stop, schema)
        if body.get("stream", True):
            self.send_stream("application/x-ndjson", self._lines(chat, fault))
        else:
            text = "".join(chat.pieces())
            self.send_json(200, chat.message(text) | chat.final())

    def _lines(self, chat: _Chat, fault: Any) -> Iterator[bytes]:
        for i, piece in enumerate(chat.pieces()):
            if fault is not None and i == fault.after_pieces:  # the stream breaks off here
                if fault.body is not None:
                    yield json.dumps(fault.body).encode() + b"\n"
                    return
                self.break_connection()
                return
            yield json.dumps(chat.message(piece)).encode() + b"\n"
        yield json.dumps(chat.message("") | chat.final()).encode() + b"\n"


class _Chat:
    """One generation, and the response objects that describe it."""

    def __init__(self, llm: Any, model: str, messages: list[dict], prefix: str, num_predict: int,
                 temperature: float, stop: list[str] | None, schema: dict | None = None):
        self.llm, self.model, self.messages = llm, model, messages
        self.prefix = "" if schema else prefix
        self.num_predict = num_predict
        self.started = time.perf_counter_ns()
        self.recorder = Recorder(
            constrained(llm, messages, schema, num_predict) if schema
            else llm.stream(messages, max_tokens=num_predict, temperature=temperature, prefix=prefix, stop=stop))
        self.pieces = self.recorder.pieces

    def message(self, content: str) -> dict:
        return {"model": self.model, "created_at": _now(),
                "message": {"role": "assistant", "content": content}, "done": False}

    def final(self) -> dict:
        elapsed = time.perf_counter_ns() - self.started
        eval_count = count_tokens(self.llm, self.recorder.text, self.recorder.count)
        prompt = self.llm.render(self.messages, self.prefix) if hasattr(self.llm, "render") else ""
        return {
            "done": True,
            "done_reason": "length" if eval_count >= self.num_predict else "stop",
            "total_duration": elapsed, "load_duration": 0,
            "prompt_eval_count": count_tokens(self.llm, prompt), "prompt_eval_duration": 0,
            "eval_count": eval_count, "eval_duration": elapsed,
        }


class OllamaLoopback(LoopbackServer):
    """Serves `llm` under the given model names (e.g. "smollm2:135m"); `model` is the first."""

    handler = OllamaHandler

    def __init__(self, llm: Any, models: list[str]):
        super().__init__()
        self.llm = llm
        self.model = models[0]  # the name tests ask for
        self.models = {_full_name(m) for m in models}
