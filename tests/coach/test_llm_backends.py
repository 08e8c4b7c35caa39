"""The three LLM backends, for real: the embedded SmolLM2 generates; the official `ollama` and `openai`
clients and our OllamaLLM / OpenAICompatibleLLM talk to loopback servers (tests/loopback) that speak the
real protocols over that same model; every way of not reaching a model surfaces as LLMUnavailable, fast;
and the guarded morning briefing runs end to end over Ollama — and still arrives, deterministic and
correct, when Ollama is down.

Wording is never asserted (a 135M model's prose is not stable); structure, continuation and failure
handling are. Generations are kept short: the model runs on 2 CPU cores."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import httpx
import ollama
import openai
import pytest

from integrations.simulator import Persona, SimulatorAdapter, persona_profile
from sleepcot.analysis import Analysis, analyze
from sleepcot.coach import prompts
from sleepcot.coach.briefing import deterministic_briefing, write_briefing
from sleepcot.coach.generation import FALLBACK
from sleepcot.coach.llm import LLMUnavailable, OllamaLLM, OpenAICompatibleLLM
from sleepcot.domain import NightKind
from tests.loopback.ollama_server import OllamaLoopback

pytestmark = pytest.mark.llm

QUESTION = [
    {"role": "system", "content": "You are a friendly sleep coach."},
    {"role": "user", "content": "How many hours of sleep does an adult need?"},
]
PREFIX = "Most adults need"
FAST = 5.0  # seconds: a refused connection must fail at once (with the openai client's one retry)


def _text(pieces) -> str:
    return "".join(pieces)


def _continues(prefix: str, continuation: str) -> bool:
    """The continuation goes on from the prefix rather than starting the reply over."""
    return bool(continuation.strip()) and not continuation.lstrip().lower().startswith(prefix.lower()[:10])


# --- the embedded model --------------------------------------------------------------------------------

def test_embedded_model_streams_a_real_reply(embedded_llm):
    pieces = list(embedded_llm.stream(QUESTION, max_tokens=24, temperature=0.0))
    assert len(pieces) > 1, "the reply should arrive piece by piece"
    assert len(_text(pieces).split()) >= 3


def test_embedded_prefix_is_continued_not_repeated(embedded_llm):
    out = _text(embedded_llm.stream(QUESTION, max_tokens=24, temperature=0.0, prefix=PREFIX, stop=["\n"]))
    assert _continues(PREFIX, out), out
    assert "\n" not in out  # the stop string ends the line and is not returned


# --- the official ollama client against the loopback Ollama --------------------------------------------

def test_ollama_wire_format_is_ndjson(ollama_server):
    """What the real Ollama sends: NDJSON pieces (streaming is the default), then a final 'done' object."""
    body = {"model": ollama_server.model, "messages": QUESTION, "options": {"num_predict": 12, "temperature": 0}}
    with httpx.stream("POST", ollama_server.url + "/api/chat", json=body, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines() if line]
    *pieces, last = lines
    assert pieces and all(p["done"] is False and p["message"]["role"] == "assistant" for p in pieces)
    assert last["done"] is True and last["done_reason"] == "length" and last["eval_count"] >= 12
    assert {"total_duration", "prompt_eval_count", "eval_duration", "created_at", "model"} <= last.keys()


def test_ollama_client_stream_and_non_stream_agree(ollama_server):
    request = {"model": ollama_server.model, "messages": QUESTION, "options": {"num_predict": 20, "temperature": 0}}
    with ollama.Client(host=ollama_server.url, timeout=60) as client:
        # llama.cpp's prompt cache changes greedy output slightly between a cold and a cached prompt: warm
        # it first so that the two compared requests see the same cache state.
        client.chat(**request, stream=False)
        whole = client.chat(**request, stream=False)
        parts = list(client.chat(**request, stream=True))

    assert whole.done and whole.done_reason in ("stop", "length") and whole.message.content.strip()
    assert parts[-1].done and not any(p.done for p in parts[:-1]) and len(parts) > 2
    assert "".join(p.message.content for p in parts) == whole.message.content


def test_ollama_client_unknown_model_is_404(ollama_server):
    with ollama.Client(host=ollama_server.url) as client, pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="llama3:8b", messages=QUESTION)
    assert caught.value.status_code == 404 and "not found" in caught.value.error


# --- OllamaLLM, our backend -----------------------------------------------------------------------------

def test_ollama_backend_streams_with_the_requested_options(ollama_server):
    llm = OllamaLLM(ollama_server.url, ollama_server.model)
    pieces = list(llm.stream(QUESTION, max_tokens=20, temperature=0.0))
    assert len(pieces) > 1 and _text(pieces).strip()
    sent = ollama_server.requests[-1]
    assert sent["stream"] is True and sent["messages"] == QUESTION
    assert sent["options"]["num_predict"] == 20 and sent["options"]["temperature"] == 0.0
    assert llm.name == f"ollama:{ollama_server.model}" and llm.supports_prefill


def test_ollama_backend_prefill_continues_the_prefix(ollama_server):
    llm = OllamaLLM(ollama_server.url, ollama_server.model)
    out = _text(llm.stream(QUESTION, max_tokens=24, temperature=0.0, prefix=PREFIX, stop=["\n"]))
    assert _continues(PREFIX, out), out
    assert "\n" not in out
    sent = ollama_server.requests[-1]
    assert sent["messages"][-1] == {"role": "assistant", "content": PREFIX}  # Ollama's continuation rule
    assert sent["options"]["stop"][0] == "\n"
    assert "<|im_end|>" in sent["options"]["stop"]  # a request's stops replace the Modelfile's: keep the template's


def test_ollama_backend_unknown_model_is_unavailable(ollama_server):
    with pytest.raises(LLMUnavailable, match="not found"):
        list(OllamaLLM(ollama_server.url, "qwen2.5:1.5b").stream(QUESTION, max_tokens=8, temperature=0.0))


def test_ollama_backend_unreachable_fails_fast(closed_url):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="(?i)connect"):
        list(OllamaLLM(closed_url, "smollm2:135m").stream(QUESTION, max_tokens=8, temperature=0.0))
    assert time.monotonic() - started < FAST


@pytest.mark.parametrize("error_line", [{"error": "llama runner process has terminated"}, None],
                         ids=["error-line", "dropped-connection"])
def test_ollama_backend_failure_mid_stream_is_unavailable(ollama_server, error_line):
    ollama_server.fail_next(status=None, after_pieces=2, body=error_line)
    with pytest.raises(LLMUnavailable):
        list(OllamaLLM(ollama_server.url, ollama_server.model).stream(QUESTION, max_tokens=16, temperature=0.0))
    # the model was released: the next request is served
    assert _text(OllamaLLM(ollama_server.url, ollama_server.model).stream(QUESTION, max_tokens=4, temperature=0.0))


# --- OpenAICompatibleLLM ----------------------------------------------------------------------------------

def _openai(server, key: str | None = None) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(server.base_url, server.model, key or server.api_key, timeout=30)


def test_openai_client_non_streaming_completion(openai_server):
    with openai.OpenAI(base_url=openai_server.base_url, api_key=openai_server.api_key) as client:
        reply = client.chat.completions.create(model=openai_server.model, messages=QUESTION, max_tokens=12,
                                               temperature=0)
    assert reply.choices[0].message.content.strip() and reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens >= 12 and reply.usage.prompt_tokens > 0


def test_openai_backend_streams_with_the_key_and_options(openai_server):
    pieces = list(_openai(openai_server).stream(QUESTION, max_tokens=20, temperature=0.0))
    assert len(pieces) > 1 and _text(pieces).strip()
    sent = openai_server.requests[-1]
    assert sent["stream"] is True and sent["max_tokens"] == 20 and sent["messages"] == QUESTION


def test_openai_backend_cannot_prefill(openai_server):
    llm = _openai(openai_server)
    assert not llm.supports_prefill
    with pytest.raises(ValueError):
        list(llm.stream(QUESTION, max_tokens=8, temperature=0.0, prefix=PREFIX))


def test_openai_backend_wrong_key_is_unavailable(openai_server):
    with pytest.raises(LLMUnavailable, match="401"):
        list(_openai(openai_server, key="sk-wrong").stream(QUESTION, max_tokens=8, temperature=0.0))


@pytest.mark.parametrize("status,headers", [(500, {"retry-after-ms": "10"}), (429, {"Retry-After": "0"})])
def test_openai_backend_rides_out_one_transient_error(openai_server, status, headers):
    openai_server.fail_next(1, status, headers=headers)
    assert _text(_openai(openai_server).stream(QUESTION, max_tokens=8, temperature=0.0)).strip()
    assert len(openai_server.requests) == 2  # the failed request and the client's one retry


def test_openai_backend_persistent_500_is_unavailable(openai_server):
    openai_server.fail_next(5, 500, headers={"retry-after-ms": "10"})
    with pytest.raises(LLMUnavailable, match="500"):
        list(_openai(openai_server).stream(QUESTION, max_tokens=8, temperature=0.0))
    assert len(openai_server.requests) == 2  # one retry, then give up: no retry storm


def test_openai_backend_unreachable_fails_fast(closed_url):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable):
        list(OpenAICompatibleLLM(closed_url + "/v1", "any", None).stream(QUESTION, max_tokens=8, temperature=0.0))
    assert time.monotonic() - started < FAST


def test_openai_backend_dropped_stream_is_unavailable(openai_server):
    openai_server.fail_next(status=None, after_pieces=2)
    with pytest.raises(LLMUnavailable):
        list(_openai(openai_server).stream(QUESTION, max_tokens=16, temperature=0.0))


# --- the guarded briefing over Ollama --------------------------------------------------------------------

TODAY = date(2025, 3, 10)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    adapter = SimulatorAdapter(Persona.HEALTHY, 7, TODAY)
    start = TODAY - timedelta(days=29)
    nights = adapter.fetch_nights(start, TODAY)
    last_night = next(n for n in nights if n.kind is NightKind.MAIN and n.local_date == TODAY)
    previous_nights = [n for n in nights if n is not last_night]
    return analyze(last_night, previous_nights, persona_profile(Persona.HEALTHY), adapter.fetch_tags(start, TODAY))


def test_briefing_over_ollama_is_guarded_and_faithful(ollama_server, analysis):
    reply = write_briefing(analysis, OllamaLLM(ollama_server.url, ollama_server.model), max_tokens=96)

    assert reply.verdict["ok"], reply.verdict["problems"]  # every figure it states is in the data
    steps = prompts.briefing(analysis).steps
    # the model was really asked, step by step, on the prefilled openers
    first = ollama_server.requests[0]
    assert first["messages"][-1] == {"role": "assistant", "content": steps[0]}
    if reply.backend == FALLBACK:
        assert reply.fallback_reason and reply.attempts  # it tried, and says why it fell back
    else:
        assert reply.backend == f"ollama:{ollama_server.model}" and reply.fallback_reason is None
        lines = reply.text.splitlines()
        assert len(lines) == 4 and all(line.startswith(step) for line, step in zip(lines, steps, strict=True))
        assert all(line[len(step):].strip() for line, step in zip(lines, steps))  # the model wrote each step


def test_briefing_with_ollama_down_is_the_deterministic_briefing(analysis):
    server = OllamaLoopback(None, ["smollm2:135m"]).start()  # never asked to generate
    url = server.url
    server.stop()  # Ollama goes down: its port now refuses connections

    started = time.monotonic()
    reply = write_briefing(analysis, OllamaLLM(url, "smollm2:135m"))
    assert time.monotonic() - started < FAST
    assert reply.backend == FALLBACK and not reply.by_model
    assert "Ollama" in reply.fallback_reason and "connect" in reply.fallback_reason.lower()
    assert reply.text == deterministic_briefing(analysis) and reply.verdict["ok"]
