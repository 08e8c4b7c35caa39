"""bot.places: timezones from a typed place or zone name, and from a shared location, offline."""

from __future__ import annotations

import time

import pytest

from bot.places import resolve_timezone, timezone_for_location


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Munich", "Europe/Berlin"),
        ("上海", "Asia/Shanghai"),
        ("北京", "Asia/Shanghai"),
        ("new york", "America/New_York"),
        ("europe/lisbon", "Europe/Lisbon"),
        ("UTC", "UTC"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("  sao paulo. ", "America/Sao_Paulo"),
        ("Paris, France", "Europe/Paris"),
        ("Paris", "Europe/Paris"),
    ],
)
def test_resolve_timezone_puts_the_expected_zone_first(typed: str, zone: str) -> None:
    assert resolve_timezone(typed)[0] == zone


def test_resolve_timezone_is_unique_and_limited() -> None:
    candidates = resolve_timezone("Paris", limit=2)
    assert len(candidates) <= 2
    assert len(set(resolve_timezone("Paris"))) == len(resolve_timezone("Paris"))
    assert resolve_timezone("Paris", limit=0) == []


@pytest.mark.parametrize("garbage", ["asdfqwer", "", "   ", "\x00\x01\x1b[2J", "x" * 100_000, "Berlin " * 20_000])
def test_resolve_timezone_rejects_garbage_quickly(garbage: str) -> None:
    resolve_timezone("Berlin")  # the index is built once, outside the timing
    started = time.perf_counter()
    assert resolve_timezone(garbage) == []
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [(52.52, 13.405, "Europe/Berlin"), (31.23, 121.47, "Asia/Shanghai"), (200, 0, None), (0, 200, None)],
)
def test_timezone_for_location(latitude: float, longitude: float, zone: str | None) -> None:
    assert timezone_for_location(latitude, longitude) == zone
