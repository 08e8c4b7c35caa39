"""Settings are all documented, id lists parse as operators write them, and credentials are encrypted at
rest with rotating keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from sleepcot.config import Settings
from sleepcot.crypto import KEY_FILE, CredentialError, Vault

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / ".env.example"


def test_every_setting_is_listed_in_env_example():
    listed = ENV_EXAMPLE.read_text()
    missing = [name for name in Settings.model_fields if f"SLEEPCOT_{name.upper()}=" not in listed]
    assert not missing


def test_telegram_id_lists_parse_from_the_environment(monkeypatch):
    monkeypatch.setenv("SLEEPCOT_TELEGRAM_ALLOWED_USERS", "101, 202;303")
    monkeypatch.setenv("SLEEPCOT_TELEGRAM_ADMINS", "900")
    settings = Settings()
    assert settings.telegram_allowed_users == [101, 202, 303] and settings.telegram_admins == [900]


def test_rotated_keys_still_decrypt_and_unknown_keys_fail_clearly():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    ciphertext, key_id = Vault([old]).encrypt({"refresh_token": "r-1"})
    assert b"r-1" not in ciphertext
    rotated = Vault([new, old])
    assert rotated.decrypt(ciphertext) == {"refresh_token": "r-1"}
    assert rotated.encrypt({"x": 1})[1] != key_id  # new secrets use the new key
    with pytest.raises(CredentialError):
        Vault([new]).decrypt(ciphertext)


def test_without_configured_keys_one_is_made_once_readable_by_the_owner_only(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    first = Vault.from_settings(settings)
    ciphertext, _ = first.encrypt({"a": 1})
    mode = stat.S_IMODE((tmp_path / "data" / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert Vault.from_settings(settings).decrypt(ciphertext) == {"a": 1}
