"""Settings from the environment (`SLEEPCOT_*`, or a `.env` file); deploy/.env.example lists every one."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMBackendName = Literal["auto", "embedded", "ollama", "openai", "none"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLEEPCOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path.home() / ".sleepcot", description="SQLite database and caches")
    database_url: str | None = Field(default=None, description="any SQLAlchemy URL; SQLite in data_dir if unset")

    llm_backend: LLMBackendName = "auto"
    # auto: Ollama when SLEEPCOT_OLLAMA_MODEL is set, else OpenAI-compatible when SLEEPCOT_OPENAI_MODEL is
    # set, else the embedded model.
    embedded_model_path: Path | None = Field(default=None, description="a GGUF; default: the SmolLM2 wheel's")
    embedded_threads: int | None = None
    embedded_context: int = 2048
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 220

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'sleepcot.db'}"
