"""The teacher client against the loopback OpenAI-compatible endpoint, with a scripted teacher model on the far
side: replies in order, retries of transient faults, prompt failure on a wrong key or model, the reply cache
across runs and interruptions, the concurrency bound and the rate limit."""

from __future__ import annotations

import email.utils
import logging
import threading
import time

import pytest

from distill.teacher.client import TeacherClient
from tests.loopback.openai_server import OpenAILoopback

TEACHER = "teacher-large"
KEY = "sk-teacher-secret"


class ScriptedTeacherModel:
    """The far side of the teacher endpoint: a stand-in for a large model that answers from the last user message,
    optionally taking `delay_s` per reply (`slow_first_s` for its very first one), counting replies in flight."""

    name = "teacher"
    supports_prefill = False

    def __init__(self, delay_s: float = 0.0, slow_first_s: float = 0.0):
        self.delay_s, self.slow_first_s = delay_s, slow_first_s
        self.calls = self.active = self.max_active = 0
        self.lock = threading.Lock()

    def stream(self, messages, *, max_tokens, temperature, prefix="", stop=None):
        with self.lock:
            self.calls += 1
            first = self.calls == 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.slow_first_s if first and self.slow_first_s else self.delay_s)
            yield "Reasoning about "
            yield messages[-1]["content"].upper()
        finally:
            with self.lock:
                self.active -= 1


def expected_reply(question: str) -> str:
    return "Reasoning about " + question.upper()


def conversations(count: int, topic: str = "night") -> list[list[dict[str, str]]]:
    return [[{"role": "system", "content": "You are a sleep coach."},
             {"role": "user", "content": f"question {i} about my {topic}"}] for i in range(count)]


def client_for(server: OpenAILoopback, tmp_path, **options) -> TeacherClient:
    options = {"cache_path": tmp_path / "teacher-cache.jsonl", "backoff_base_s": 0.01, **options}
    return TeacherClient(server.base_url, options.pop("model", TEACHER), options.pop("api_key", KEY), **options)


def test_every_conversation_gets_the_teachers_reply_in_order(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="distill.teacher")
    progress = []
    with OpenAILoopback(ScriptedTeacherModel(delay_s=0.01), [TEACHER], api_key=KEY) as server:
        client = client_for(server, tmp_path, concurrency=4, max_tokens=300)
        asked = conversations(20)
        replies = client.complete_all(asked, on_done=lambda done, total: progress.append((done, total)))
    assert replies == [expected_reply(c[-1]["content"]) for c in asked]
    assert progress == [(done, 20) for done in range(1, 21)]
    assert len(server.requests) == 20 and client.stats.requests == 20 and client.stats.failures == 0
    assert all(r["model"] == TEACHER and r["temperature"] == 0.0 and r["max_tokens"] == 300 for r in server.requests)
    logged = caplog.text
    assert "question 3" not in logged and KEY not in logged


def test_rate_limits_and_server_errors_are_retried_until_every_reply_arrives(tmp_path):
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        server.fail_next(3, 429, headers={"Retry-After": "0"})
        server.fail_next(3, 500)
        server.fail_next(2, 503)
        client = client_for(server, tmp_path, concurrency=2, max_retries=9)  # 8 faults may all meet one request
        asked = conversations(10)
        replies = client.complete_all(asked)
    assert replies == [expected_reply(c[-1]["content"]) for c in asked]
    assert client.stats.retries == 8 and client.stats.failures == 0
    assert len(server.requests) == client.stats.requests == 18


@pytest.mark.parametrize("retry_after", ["1", "http-date"])
def test_a_429_waits_as_long_as_its_retry_after_says(tmp_path, retry_after):
    if retry_after == "http-date":  # whole seconds: 2 s from now is 1 to 2 s away
        retry_after = email.utils.formatdate(time.time() + 2, usegmt=True)
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        server.fail_next(1, 429, headers={"Retry-After": retry_after})
        client = client_for(server, tmp_path)
        started = time.monotonic()
        replies = client.complete_all(conversations(1))
        elapsed = time.monotonic() - started
    assert replies == [expected_reply("question 0 about my night")] and client.stats.retries == 1
    assert 0.9 <= elapsed < 5.0  # not the 0.01 s backoff this client would otherwise use


def test_a_reply_slower_than_the_timeout_is_asked_again(tmp_path):
    with OpenAILoopback(ScriptedTeacherModel(slow_first_s=1.0), [TEACHER], api_key=KEY) as server:
        client = client_for(server, tmp_path, concurrency=1, timeout_s=0.3)
        asked = conversations(3)
        replies = client.complete_all(asked)
    assert replies == [expected_reply(c[-1]["content"]) for c in asked]
    assert client.stats.retries == 1 and len(server.requests) == 4


def test_a_transient_fault_that_never_ends_leaves_that_reply_missing_after_the_retries(tmp_path):
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        server.fail_next(3, 502)
        client = client_for(server, tmp_path, max_retries=2)
        assert client.complete_all(conversations(1)) == [None]
        assert client.stats.failures == 1 and client.stats.retries == 2 and len(server.requests) == 3
        assert client.complete_all(conversations(1)) == [expected_reply("question 0 about my night")]  # not cached
    assert len(server.requests) == 4


@pytest.mark.parametrize("wrong", [{"api_key": "sk-wrong"}, {"model": "no-such-model"}])
def test_a_wrong_key_or_model_fails_every_reply_promptly_without_retrying(tmp_path, caplog, wrong):
    caplog.set_level(logging.DEBUG, logger="distill.teacher")
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        client = client_for(server, tmp_path, concurrency=4, backoff_base_s=1.0, **wrong)
        started = time.monotonic()
        replies = client.complete_all(conversations(20))
        elapsed = time.monotonic() - started
    assert replies == [None] * 20 and client.stats.failures == 20 and client.stats.retries == 0
    assert len(server.requests) <= 4  # only those already in flight when the first refusal came back
    assert elapsed < 3.0
    assert client.stats.stopped_by in ("HTTP 401 (invalid_api_key)", "HTTP 404 (model_not_found)")
    assert "question" not in caplog.text and "sk-wrong" not in caplog.text
    assert not (tmp_path / "teacher-cache.jsonl").exists()  # failures are not cached


def test_cached_replies_cost_no_request_and_only_changed_conversations_are_asked(tmp_path):
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        asked = conversations(20)
        first = client_for(server, tmp_path, concurrency=4).complete_all(asked)
        assert len(server.requests) == 20

        again = client_for(server, tmp_path, concurrency=4)
        assert again.complete_all(asked) == first
        assert len(server.requests) == 20 and again.stats.cache_hits == 20 and again.stats.requests == 0

        asked[7] = [*asked[7][:-1], {"role": "user", "content": "a new question about naps"}]
        changed = client_for(server, tmp_path, concurrency=4).complete_all(asked)
        assert len(server.requests) == 21 and server.requests[-1]["messages"] == asked[7]
        assert changed[7] == expected_reply("a new question about naps")
        assert changed[:7] + changed[8:] == first[:7] + first[8:]

        other = client_for(server, tmp_path, temperature=0.7).complete_all(asked[:1])  # another request: asked
        assert other == first[:1] and len(server.requests) == 22


class Interrupted(Exception):
    pass


def test_a_rerun_after_an_interruption_asks_only_what_is_missing(tmp_path):
    def interrupt_after_five(done: int, total: int) -> None:
        if done == 5:
            raise Interrupted

    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        asked = conversations(20)
        with pytest.raises(Interrupted):
            client_for(server, tmp_path, concurrency=1).complete_all(asked, on_done=interrupt_after_five)
        with (tmp_path / "teacher-cache.jsonl").open("a") as cache:
            cache.write('{"key": "3f2a')  # a line the crash cut short
        sent_before = len(server.requests)
        rerun = client_for(server, tmp_path, concurrency=4)
        replies = rerun.complete_all(asked)
    assert replies == [expected_reply(c[-1]["content"]) for c in asked]
    assert rerun.stats.cache_hits == 5 and len(server.requests) - sent_before == 15


def test_no_more_than_concurrency_requests_are_in_flight(tmp_path):
    model = ScriptedTeacherModel(delay_s=0.15)
    with OpenAILoopback(model, [TEACHER], api_key=KEY) as server:
        replies = client_for(server, tmp_path, concurrency=3).complete_all(conversations(12))
    assert None not in replies
    assert model.max_active == 3  # the bound holds, and the requests did run side by side


def test_requests_per_minute_spaces_the_requests(tmp_path):
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        client = client_for(server, tmp_path, concurrency=6, requests_per_minute=600)
        started = time.monotonic()
        replies = client.complete_all(conversations(6))
        elapsed = time.monotonic() - started
    assert None not in replies
    assert elapsed >= 0.5  # six starts at least 0.1 s apart


def test_it_runs_from_a_worker_thread_with_no_event_loop(tmp_path):
    results = []
    with OpenAILoopback(ScriptedTeacherModel(), [TEACHER], api_key=KEY) as server:
        client = client_for(server, tmp_path, cache_path=None)
        worker = threading.Thread(target=lambda: results.append(client.complete_all(conversations(3))))
        worker.start()
        worker.join(timeout=10)
    assert results == [[expected_reply(f"question {i} about my night") for i in range(3)]]
