"""Guarded generation stops writing at the first fault: once a sentence states a figure that is not in the
data, the guard will refuse the reply whatever follows, so the client hangs up (the model server stops
generating), the retry and then the fallback start at once, and nothing from the fault on is ever shown; a
briefing written step by step stops at the first step that stays faulty. An evaluation, which reads every
reply whole, gets the whole reply."""

from __future__ import annotations

import re
import threading
import time

import pytest

from distill.reports import simulated_report
from integrations.simulator import Persona
from sleepcot.coach import prompts
from sleepcot.coach.answering import answer
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.generation import generate
from sleepcot.coach.llm import OllamaLLM, OpenAICompatibleLLM
from tests.loopback.ollama_server import OllamaLoopback
from tests.loopback.openai_server import OpenAILoopback

MODEL, KEY = "scripted-coach", "sk-scripted"
QUESTION = "How was my deep sleep last night?"
OPENING = "Here is what your night shows. "
FAULT = "Your deep sleep was 999 min, far above your usual. "
REST = "Keep your bedtime steady this week. " * 40


class ScriptedCoach:
    """The far side of an OpenAI-compatible endpoint: a model that writes `reply` word by word, `delay_s` per
    word, up to max_tokens words, counting the words it wrote for each request."""

    name = "scripted"
    supports_prefill = False

    def __init__(self, reply: str, delay_s: float = 0.005):
        self.words = re.findall(r"\S+\s*", reply)
        self.delay_s = delay_s
        self.written: list[int] = []
        self.lock = threading.Lock()

    def stream(self, messages, *, max_tokens, temperature, prefix="", stop=None):
        with self.lock:
            self.written.append(0)
            n = len(self.written) - 1
        for word in self.words[:max_tokens]:
            time.sleep(self.delay_s)
            self.written[n] += 1
            yield word


@pytest.fixture(scope="module")
def analysis():
    return simulated_report(Persona.HEALTHY, 3).analysis


def serve(reply: str):
    model = ScriptedCoach(reply)
    return model, OpenAILoopback(model, [MODEL], api_key=KEY)


def test_a_reply_is_cut_off_at_its_first_false_figure_and_the_user_gets_the_fallback_at_once(analysis):
    model, server = serve(OPENING + FAULT + REST)
    shown: list[str] = []
    with server:
        llm = OpenAICompatibleLLM(server.base_url, MODEL, KEY)
        reply = answer(QUESTION, analysis, llm, max_tokens=400, on_progress=shown.append)
    assert not reply.by_model and reply.fallback_reason == "the guard rejected the model's replies"
    assert "999" not in reply.text
    assert len(model.written) == 2  # the first attempt and the stricter retry, each stopped at the fault
    words_to_fault = len(re.findall(r"\S+\s*", OPENING + FAULT))
    assert all(n < words_to_fault + 10 for n in model.written), model.written  # not the ~240 words after it
    assert all(attempt["text"].endswith("far above your usual.") for attempt in reply.attempts)
    assert shown and all("999" not in text for text in shown)
    assert shown[-1] == OPENING.strip()


def test_an_evaluation_reads_the_whole_reply_fault_and_all(analysis):
    model, server = serve(OPENING + FAULT + REST)
    with server:
        llm = OpenAICompatibleLLM(server.base_url, MODEL, KEY)
        text = generate(llm, prompts.followup(QUESTION, analysis), max_tokens=400, temperature=0.0,
                        stop_at_fault=False)
    assert text == (OPENING + FAULT + REST).strip()
    assert model.written == [len(model.words)]


def test_a_clean_reply_is_written_to_the_end(analysis):
    model, server = serve(OPENING + REST)
    shown: list[str] = []
    with server:
        llm = OpenAICompatibleLLM(server.base_url, MODEL, KEY)
        text = generate(llm, prompts.followup(QUESTION, analysis), max_tokens=400, temperature=0.0,
                        on_progress=shown.append)
    assert text == (OPENING + REST).strip()
    assert model.written == [len(model.words)]
    assert shown[-1] == text


def test_a_briefing_written_step_by_step_stops_at_the_first_step_that_stays_faulty(analysis):
    model = ScriptedCoach("your REM sleep was 999 min.\n", delay_s=0.0)  # every step's line states a false figure
    with OllamaLoopback(model, ["scripted:1b"]) as server:
        reply = write_briefing(analysis, OllamaLLM(server.url, "scripted:1b"))
    assert not reply.by_model and "999" not in reply.text
    # first attempt: step 1 and its stricter rewrite; the stricter attempt: step 1. Not every step of both.
    assert len(model.written) == 3, model.written
    assert [a["text"].count("999") for a in reply.attempts] == [1, 1]


@pytest.mark.parametrize("pieces, shown", [
    (["You slept ", "well. ", "Deep sleep ", "was a little ", "lower. ", "Try a ", "slightly "],
     "You slept well. Deep sleep was a little lower."),
    (["你昨晚", "睡得", "不错。", "深睡", "比平时", "少一些。", "今晚", "试着"], "你昨晚睡得不错。深睡比平时少一些。"),
])
def test_a_reply_cut_off_by_the_token_limit_ends_at_its_last_full_sentence_in_either_language(analysis, pieces, shown):
    model = ScriptedCoach("", delay_s=0.0)
    model.words = pieces + ["never reached."]
    with OpenAILoopback(model, [MODEL], api_key=KEY) as server:
        llm = OpenAICompatibleLLM(server.base_url, MODEL, KEY)
        text = generate(llm, prompts.followup(QUESTION, analysis), max_tokens=len(pieces), temperature=0.0)
    assert model.written == [len(pieces)]
    assert text == shown
