"""The distillation pipeline through its command, `sleepcot distill`: the whole tiny recipe at toy size —
synth, the reference teacher, LoRA training of the real SmolLM2, export to GGUF — then the exported model
loaded by llama.cpp and answering, and its adapter shipped and applied to the base model; the endpoint
teacher against the loopback OpenAI server (faults, the guard dropping bad answers, the cache on a rerun);
resuming; and recipes that are wrong."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from distill.config import load
from distill.reports import EVAL_SEEDS
from distill.run import RunDir
from distill.synth import synth
from distill.teach import teach
from sleepcot.coach.llm import LLMUnavailable
from tests.loopback.openai_server import OpenAILoopback

ROOT = Path(__file__).resolve().parents[2]
TOY = """
student: {gguf: smollm2}
synth: {reports: 4, first_seed: 11}
teach: {followups: [2, 2], knowledge_per_report: 1, mcq_per_report: 1}
train: {max_steps: 2, batch_size: 1, gradient_accumulation: 1, max_length: 512, save_steps: 1, threads: 2}
export: {name: sleepcot-toy, types: [f16], verify_prompts: 2, verify_tokens: 8, num_ctx: 1024, install: true}
"""


def _distill(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEPCOT_")}
    env.update(SLEEPCOT_DATA_DIR=str(tmp_path / "data"), COLUMNS="300",  # rich: one message, one line
               SLEEPCOT_CACHE_DIR=os.environ["SLEEPCOT_CACHE_DIR"])  # the session's (conftest: model_cache)
    return subprocess.run([sys.executable, "-m", "sleepcot.cli", "distill", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)


def _recipe(tmp_path: Path, text: str = TOY) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(f"run_dir: {tmp_path / 'run'}\n{text}", encoding="utf-8")
    return path


@pytest.mark.llm
def test_the_tiny_recipe_at_toy_size_trains_exports_and_the_gguf_answers_in_llama_cpp(tmp_path):
    recipe = _recipe(tmp_path)
    done = _distill(tmp_path, "all", "--config", str(recipe))
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    stages = manifest["stages"]
    assert [s for s in ("synth", "teach", "train", "export") if stages[s]["status"] == "done"] == \
        ["synth", "teach", "train", "export"]
    assert stages["synth"]["counts"]["reports"] == 4
    teach_counts = stages["teach"]["counts"]
    assert teach_counts["asked"] == {"briefing": 4, "followup": 8, "knowledge": 4, "mcq": 4}
    assert teach_counts["examples"] + teach_counts["rejected"] == 20
    assert stages["train"]["counts"]["steps"] == 2 and stages["train"]["metrics"]["first_loss"] > 0

    # every example the student saw is a chat that ends in the teacher's answer, and passed the guard
    examples = [json.loads(line) for line in (tmp_path / "run" / "teach" / "examples.jsonl").read_text().splitlines()]
    assert all(e["messages"][-1]["role"] == "assistant" and e["messages"][0]["role"] == "system" for e in examples)
    briefing = next(e for e in examples if e["kind"] == "briefing")["messages"][-1]["content"]
    assert briefing.startswith("1. ") and len(briefing.splitlines()) == 4

    export = stages["export"]
    ggufs = {Path(p).name for p in export["artifacts"] if p.endswith(".gguf")}
    assert ggufs == {"sleepcot-toy.f16.gguf", "sleepcot-toy.lora.gguf"}  # (q8_0 too: test_distill_export.py)
    assert export["metrics"]["verify"]["f16"]["exact"] == 2  # greedy tokens: llama.cpp == transformers
    # the adapter on the base GGUF (Q4_1, as the embedded backend runs it) against the merged model
    assert export["metrics"]["verify"]["lora"]["agreement"] >= 0.5
    modelfile = (tmp_path / "modelfiles" / "sleepcot-toy.Modelfile").read_text()
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "TEMPLATE" in modelfile and "SYSTEM" in modelfile
    assert "ollama create sleepcot-toy -f" in done.stdout  # the deploy commands are printed

    # the embedded default backend now runs the distilled model, and it answers
    from sleepcot.coach.llm import DISTILLED_GGUF, make_llm
    from sleepcot.config import Settings

    llm = make_llm(Settings(data_dir=tmp_path / "data", llm_backend="embedded"))
    assert Path(llm.llama.model_path).resolve() == (tmp_path / "data" / DISTILLED_GGUF).resolve()
    text = "".join(llm.stream([{"role": "user", "content": "How much deep sleep do adults get?"}],
                              max_tokens=16, temperature=0.0))
    assert re.search(r"\w{3,}", text)

    # shipped: the adapter and a manifest naming its base, recipe, stages and the export's check; the embedded
    # backend runs the base model with it, and says so in its name
    from distill.ship import ship
    from sleepcot.coach.llm import EmbeddedLLM, smollm2_gguf

    shipped = json.loads(ship(RunDir(load(recipe)), to=tmp_path / "student", recipe=recipe).read_text())
    assert shipped["base"]["file"] == smollm2_gguf().name and shipped["recipe"]["hash"] == manifest["config_hash"]
    assert shipped["stages"]["train"]["counts"]["steps"] == 2 and shipped["verify"]["prompts"] == 2
    adapter = tmp_path / "student" / shipped["adapter"]["file"]
    assert adapter.stat().st_size == shipped["adapter"]["bytes"]
    student = EmbeddedLLM(smollm2_gguf(), adapter=adapter, n_ctx=512)
    assert student.name == "embedded:SmolLM2-135M-Instruct.Q4_1+sleepcot-toy.lora"
    assert re.search(r"\w{3,}", "".join(student.stream([{"role": "user", "content": "Is a nap good?"}],
                                                        max_tokens=8, temperature=0.0)))

    # a rerun does nothing again; an interrupted training resumes from its last checkpoint
    again = _distill(tmp_path, "all", "--config", str(recipe))
    assert again.returncode == 0 and again.stderr.count("already done") == 4
    manifest_path = tmp_path / "run" / "manifest.json"  # as a crash after checkpoint 2 leaves it: train not recorded
    manifest = json.loads(manifest_path.read_text())
    del manifest["stages"]["train"]
    manifest_path.write_text(json.dumps(manifest))
    resumed = _distill(tmp_path, "train", "--config", str(recipe))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    train = json.loads((tmp_path / "run" / "manifest.json").read_text())["stages"]["train"]
    assert train["metrics"]["resumed_from"].endswith("checkpoint-2")


class ScriptedTeacher:
    """The far side of a teacher endpoint: answers a knowledge prompt from its first background card (a good,
    grounded answer), and everything else with an invented figure (which the guard must drop)."""

    name = "teacher"
    supports_prefill = False

    def stream(self, messages, *, max_tokens, temperature, prefix="", stop=None):
        question = messages[-1]["content"]
        card = re.search(r"^- [^:]+: (.+)$", question, re.M)
        if card and "Question:" in question and "\nA. " not in question:
            yield card.group(1)
        else:
            yield "You slept 13 h 13 min and your deep sleep was 99%, which is fine."


def test_an_endpoint_teacher_is_guarded_survives_faults_and_a_rerun_costs_no_requests(tmp_path, monkeypatch):
    monkeypatch.setenv("TOY_TEACHER_KEY", "sk-teach")
    with OpenAILoopback(ScriptedTeacher(), ["teacher-large"], api_key="sk-teach") as server:
        endpoint = (f"teach: {{teacher: openai, base_url: '{server.base_url}', model: teacher-large, "
                    "api_key_env: TOY_TEACHER_KEY, followups: [2, 2], knowledge_per_report: 2, mcq_per_report: 1, "
                    "retrieval_share: 1.0, concurrency: 3}")
        recipe = load(_recipe(tmp_path, TOY.replace("teach: {followups: [2, 2], knowledge_per_report: 1, "
                                                    "mcq_per_report: 1}", endpoint)))
        run = RunDir(recipe)
        synth(run)
        server.fail_next(2, 429, headers={"Retry-After": "0"})
        server.fail_next(1, 503)
        entry = teach(run)
        counts, client = entry["counts"], entry["metrics"]["client"]
        assert counts["asked"] == {"briefing": 4, "followup": 8, "knowledge": 8, "mcq": 4}
        # the invented figures never reach the training set; the grounded knowledge answers do
        assert set(counts["kept"]) == {"knowledge"} and counts["kept"]["knowledge"] > 0
        assert counts["rejections_by_reason"]["figure not in the data"] >= 16
        assert client["retries"] >= 3 and client["failures"] == 0
        rejected = (tmp_path / "run" / "teach" / "rejected.jsonl").read_text()
        assert "13 h 13 min" in rejected
        # the teacher saw our few-shot exemplars before each question
        first = server.requests[-1]["messages"]
        assert [m["role"] for m in first[:3]] == ["system", "user", "assistant"]

        asked_before = len(server.requests)
        rerun = RunDir(recipe, tmp_path / "run")
        del rerun.manifest["stages"]["teach"]
        again = teach(rerun)
        assert len(server.requests) == asked_before  # every answer came from the cache
        assert again["metrics"]["client"]["cache_hits"] == sum(counts["asked"].values())
        assert again["counts"] == counts


def test_a_teacher_that_refuses_every_request_leaves_teach_undone_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("TOY_TEACHER_KEY", "sk-wrong")
    with OpenAILoopback(ScriptedTeacher(), ["teacher-large"], api_key="sk-right") as server:
        endpoint = (f"teach: {{teacher: openai, base_url: '{server.base_url}', model: teacher-large, "
                    "api_key_env: TOY_TEACHER_KEY}")
        recipe = load(_recipe(tmp_path, TOY.replace("teach: {followups: [2, 2], knowledge_per_report: 1, "
                                                    "mcq_per_report: 1}", endpoint)))
        run = RunDir(recipe)
        synth(run)
        with pytest.raises(LLMUnavailable, match="gave no answer.*HTTP 401"):
            teach(run)
        assert not run.done("teach") and len(server.requests) <= recipe.teach.concurrency


def test_recipes_that_are_wrong_are_refused_with_a_reason(tmp_path):
    bad_key = _distill(tmp_path, "synth", "--config", str(_recipe(tmp_path, TOY + "trian: {max_steps: 2}\n")))
    assert bad_key.returncode == 1 and "unknown key(s) trian" in bad_key.stderr
    overlap = _distill(tmp_path, "synth", "--config", str(_recipe(tmp_path)), "--set",
                       f"synth.first_seed={EVAL_SEEDS.start - 2}")
    assert overlap.returncode == 1 and "evaluation holds the rest" in overlap.stderr
    wrong_type = _distill(tmp_path, "synth", "--config", str(_recipe(tmp_path)), "--set", "synth.reports=many")
    assert wrong_type.returncode == 1 and "synth.reports: expected int, got 'many'" in wrong_type.stderr
    early = _distill(tmp_path, "train", "--config", str(_recipe(tmp_path)))
    assert early.returncode == 1 and "stage 'teach' has not finished" in early.stderr
    unknown = _distill(tmp_path, "distil", "--config", str(_recipe(tmp_path)))
    assert unknown.returncode == 1 and "unknown stage" in unknown.stderr
    unexported = _distill(tmp_path, "ship", "--config", str(_recipe(tmp_path)))
    assert unexported.returncode == 1 and "stage 'export' has not finished" in unexported.stderr


def test_changing_the_training_section_keeps_the_reports_and_the_teachers_answers(tmp_path):
    recipe = _recipe(tmp_path)
    run = RunDir(load(recipe))
    synth(run)
    teach(run)
    changed = RunDir(load(recipe, ["train.learning_rate=0.001"]))
    assert changed.done("synth") and changed.done("teach") and not changed.done("train")
    retaught = RunDir(load(recipe, ["teach.knowledge_per_report=3"]))
    assert retaught.done("synth") and not retaught.done("teach")
