"""Constrained decoding on every backend: `structured` answers with JSON that matches a JSON schema — a
query plan here — even when the prompt invites prose; the loopback Ollama and OpenAI endpoints receive the
schema as `format` / `response_format`; an unreachable endpoint is LLMUnavailable, fast.

The 135M model's choices are not asserted (which measure it picks for a question is not stable); that the
reply parses and keeps to the schema is."""

from __future__ import annotations

import json
import time

import ollama
import pytest

from sleepcot.coach.llm import LLMUnavailable, OllamaLLM, OpenAICompatibleLLM

pytestmark = pytest.mark.llm

MEASURES = ["total_sleep", "deep", "hrv"]
AGGREGATES = ["mean", "max"]
PLAN = {
    "type": "object",
    "properties": {
        "measure": {"type": "string", "enum": MEASURES},
        "nights": {"type": "integer", "minimum": 1, "maximum": 90},
        "aggregate": {"type": "string", "enum": AGGREGATES},
    },
    "required": ["measure", "nights", "aggregate"],
    "additionalProperties": False,
}
SYSTEM = {"role": "system", "content": "Turn the user's question into a query plan as JSON."}
QUESTIONS = {
    "question": "What was my average deep sleep over the last two weeks?",
    "prose-bait": "Tell me a story about cats",
}
MAX_TOKENS = 48  # a plan is about 20 tokens: a cut-off reply would not parse
FAST = 5.0  # seconds: a refused connection must fail at once


def _ask(question: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": QUESTIONS[question]}]


def _assert_plan(reply: str) -> None:
    """The reply is one JSON object that validates against PLAN (jsonschema is not installed: by hand)."""
    plan = json.loads(reply)
    assert isinstance(plan, dict) and set(plan) == {"measure", "nights", "aggregate"}, reply
    assert plan["measure"] in MEASURES and plan["aggregate"] in AGGREGATES, reply
    assert type(plan["nights"]) is int and 1 <= plan["nights"] <= 90, reply


questions = pytest.mark.parametrize("question", list(QUESTIONS))


@questions
def test_embedded_reply_is_a_plan(embedded_llm, question):
    _assert_plan(embedded_llm.structured(_ask(question), PLAN, max_tokens=MAX_TOKENS))


def test_embedded_without_the_schema_the_prose_bait_is_prose(embedded_llm):
    """The control: unconstrained, the same prompt is not JSON, so the grammar is what makes the plan."""
    reply = "".join(embedded_llm.stream(_ask("prose-bait"), max_tokens=24, temperature=0.0))
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply)


@questions
def test_ollama_backend_reply_is_a_plan(ollama_server, question):
    llm = OllamaLLM(ollama_server.url, ollama_server.model)
    _assert_plan(llm.structured(_ask(question), PLAN, max_tokens=MAX_TOKENS))
    sent = ollama_server.requests[-1]
    assert sent["format"] == PLAN and sent["stream"] is False
    assert sent["options"] == {"num_predict": MAX_TOKENS, "temperature": 0}


def test_ollama_json_mode_streams_a_json_object(ollama_server):
    """format="json" (any JSON object), streamed, through the official client."""
    with ollama.Client(host=ollama_server.url, timeout=60) as client:
        parts = list(client.chat(model=ollama_server.model, messages=_ask("prose-bait"), format="json", stream=True,
                                 options={"num_predict": MAX_TOKENS, "temperature": 0}))
    assert parts[-1].done and not any(p.done for p in parts[:-1])
    assert isinstance(json.loads("".join(p.message.content for p in parts)), dict)
    assert ollama_server.requests[-1]["format"] == "json"


def test_ollama_backend_unreachable_is_unavailable(closed_url):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="(?i)connect"):
        OllamaLLM(closed_url, "smollm2:135m").structured(_ask("question"), PLAN, max_tokens=MAX_TOKENS)
    assert time.monotonic() - started < FAST


@questions
def test_openai_backend_reply_is_a_plan(openai_server, question):
    llm = OpenAICompatibleLLM(openai_server.base_url, openai_server.model, openai_server.api_key, timeout=30)
    _assert_plan(llm.structured(_ask(question), PLAN, max_tokens=MAX_TOKENS))
    sent = openai_server.requests[-1]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"] == PLAN
    assert not sent.get("stream") and sent["temperature"] == 0 and sent["max_tokens"] == MAX_TOKENS


def test_openai_backend_unreachable_is_unavailable(closed_url):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable):
        OpenAICompatibleLLM(closed_url + "/v1", "any", None).structured(_ask("question"), PLAN, max_tokens=MAX_TOKENS)
    assert time.monotonic() - started < FAST
