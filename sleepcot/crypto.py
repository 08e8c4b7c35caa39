"""Encryption at rest for vendor credentials (OAuth tokens): Fernet (AES-128-CBC + HMAC-SHA256) with key
rotation. `SLEEPCOT_SECRET_KEYS` holds one or more Fernet keys, comma-separated, the first the current one:
new ciphertexts use it and older keys still decrypt, so a credential moves to the new key the next time it
is saved. With no keys configured, one is generated once into the data folder (mode 0600; processes
starting together agree on one). `check_keys` runs before a process serves: keys that do not open what is
stored, or a key file gone while credentials remain, stop the start with a clear error (`KeyCheckError`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
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


class KeyCheckError(RuntimeError):
    """The configured keys cannot open the stored credentials (wrong keys, or the key file is gone)."""


def load_or_create_key(data_dir: Path) -> bytes:
    """The key in `data_dir`/secret.key, created (readable by the owner only) when missing. The key is
    written whole to a file of its own and then linked into place, which fails if another process got there
    first: every process reads the one key that won, never a half-written file."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(Fernet.generate_key())
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    return path.read_bytes().strip()


def configured_keys(settings: Settings) -> list[bytes]:
    """The keys of the settings, current first: SLEEPCOT_SECRET_KEYS, else data_dir/secret.key if it exists
    (none is made here)."""
    if settings.secret_keys is not None:
        return [k.strip().encode() for k in settings.secret_keys.get_secret_value().split(",") if k.strip()]
    path = settings.data_dir / KEY_FILE
    return [path.read_bytes().strip()] if path.exists() else []


def check_keys(settings: Settings, stored: dict[str, bytes]) -> list[str]:
    """Make sure the configured keys open what is stored (`stored`: one ciphertext per key id that made
    one); returns the ids of the keys in use. Raises KeyCheckError, saying what to do, when a key file is
    missing while credentials exist (a new key would open none of them) or a stored credential opens with
    no configured key. Creates the key file only when nothing is stored yet."""
    keys = configured_keys(settings)
    key_file = settings.data_dir / KEY_FILE
    where = "SLEEPCOT_SECRET_KEYS" if settings.secret_keys is not None else str(key_file)
    if not keys and stored:
        raise KeyCheckError(
            f"{len(stored)} key(s) encrypted the stored vendor credentials, and neither SLEEPCOT_SECRET_KEYS nor "
            f"{key_file} holds a key: put the key back (a backup made with --include-key holds it) or set "
            "SLEEPCOT_SECRET_KEYS. No new key is made, since it would open none of them.")
    try:
        vault = Vault(keys or [load_or_create_key(settings.data_dir)])
    except ValueError as exc:  # cryptography: "Fernet key must be 32 url-safe base64-encoded bytes."
        raise KeyCheckError(f"{where} holds something that is not a Fernet key ({exc})") from exc
    if unopened := vault.unopened(stored):
        raise KeyCheckError(
            f"the key(s) in {where} (ids {', '.join(vault.key_ids)}) do not open the vendor credentials stored "
            f"with key id(s) {', '.join(unopened)}: put that key back (in SLEEPCOT_SECRET_KEYS, after the current "
            "one, to rotate), or, if it is lost for good, `sleepcot keys forget-unopened` deletes those "
            "credentials and their users connect again.")
    return vault.key_ids


class Vault:
    """Encrypts JSON-able secrets with the current key; decrypts with any configured key."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernets = [Fernet(k) for k in keys]
        self._multi = MultiFernet(self._fernets)
        self.key_ids = [key_id(k) for k in keys]
        self.current_key_id = self.key_ids[0]

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return cls(configured_keys(settings) or [load_or_create_key(settings.data_dir)])

    def encrypt(self, secret: dict[str, Any]) -> tuple[bytes, str]:
        """The ciphertext of `secret` and the id of the key that made it."""
        return self._fernets[0].encrypt(json.dumps(secret).encode()), self.current_key_id

    def unopened(self, stored: dict[str, bytes]) -> list[str]:
        """The key ids (of `stored`: key id -> one ciphertext it made) whose ciphertext no key here opens."""
        out = []
        for stored_id, ciphertext in sorted(stored.items()):
            try:
                self.decrypt(ciphertext)
            except CredentialError:
                out.append(stored_id)
        return out

    def decrypt(self, ciphertext: bytes, max_age_s: int | None = None) -> dict[str, Any]:
        """The secret inside `ciphertext`; with `max_age_s`, only if it was made at most that long ago
        (Fernet tokens carry their creation time: OAuth `state` values use this to expire)."""
        try:
            return json.loads(self._multi.decrypt(ciphertext, ttl=max_age_s))
        except InvalidToken as exc:
            raise CredentialError("no configured key decrypts this credential (or it expired)") from exc
