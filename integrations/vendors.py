"""The vendors SleepCoT reads, by name: how to read a user's saved payload or export (`sleepcot import`, a
Telegram upload), and the adapter that fetches from the vendor's API when there is one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from integrations import apple_health, fitbit, garmin, google_health, oura, polar, whoop, withings
from integrations.base import Parsed
from integrations.oauth import OAuthAdapter


@dataclass(frozen=True)
class Vendor:
    name: str
    label: str
    read_export: Callable[[Path, tzinfo], Parsed]
    adapter: type[OAuthAdapter] | None = None  # None: files only (Apple Health, legacy Fitbit)


VENDORS: dict[str, Vendor] = {vendor.name: vendor for vendor in (
    Vendor("oura", "Oura Ring", oura.read_export, oura.OuraAdapter),
    Vendor("whoop", "WHOOP", whoop.read_export, whoop.WhoopAdapter),
    Vendor("withings", "Withings", withings.read_export, withings.WithingsAdapter),
    Vendor("polar", "Polar", polar.read_export, polar.PolarAdapter),
    Vendor("google_health", "Google Health (Fitbit, Pixel Watch)", google_health.read_export,
           google_health.GoogleHealthAdapter),
    Vendor("garmin", "Garmin Connect", garmin.read_export),
    Vendor("fitbit", "Fitbit (legacy export)", fitbit.read_export),
    Vendor("apple_health", "Apple Health", apple_health.read_export),
)}
