"""Encryption at rest for vendor credentials (OAuth tokens): Fernet (AES-128-CBC + HMAC-SHA256) with key
rotation. `SLEEPCOT_SECRET_KEYS` holds one or more Fernet keys, comma-separated, the first the current one:
new ciphertexts use it and older keys still decrypt, so a credential moves to the new key the next time it
is saved. With no keys configured, one is generated once into the data folder (mode 0600)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sleepcot.config import Settings

KEY_FILE = "secret.key"


class CredentialError(ValueError):
    """A stored credential cannot be decrypted with any configured key."""


def key_id(key: bytes) -> str:
    """A short, non-secret name for a key: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:12]


def load_or_create_key(data_dir: Path) -> bytes:
    """The key in `data_dir`/secret.key, created (readable by the owner only) when missing."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
    return path.read_bytes().strip()


class Vault:
    """Encrypts JSON-able secrets with the current key; decrypts with any configured key."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernets = [Fernet(k) for k in keys]
        self._multi = MultiFernet(self._fernets)
        self.current_key_id = key_id(keys[0])

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        if settings.secret_keys is not None:
            keys = [k.strip().encode() for k in settings.secret_keys.get_secret_value().split(",") if k.strip()]
        else:
            keys = [load_or_create_key(settings.data_dir)]
        return cls(keys)

    def encrypt(self, secret: dict[str, Any]) -> tuple[bytes, str]:
        """The ciphertext of `secret` and the id of the key that made it."""
        return self._fernets[0].encrypt(json.dumps(secret).encode()), self.current_key_id

    def decrypt(self, ciphertext: bytes, max_age_s: int | None = None) -> dict[str, Any]:
        """The secret inside `ciphertext`; with `max_age_s`, only if it was made at most that long ago
        (Fernet tokens carry their creation time: OAuth `state` values use this to expire)."""
        try:
            return json.loads(self._multi.decrypt(ciphertext, ttl=max_age_s))
        except InvalidToken as exc:
            raise CredentialError("no configured key decrypts this credential (or it expired)") from exc
