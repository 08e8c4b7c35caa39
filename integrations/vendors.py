"""Every source SleepCoT reads, by name, with how a user connects it: through the vendor's consent page
(OAuth: an adapter fetches from its API), by sending their export to the bot (an upload), through the
operator (`sleepcot import` of export files), or by picking a simulated persona (the demo's wearable).
The bot's /connect, /sources and /disconnect, the sync hub and `sleepcot import` read this registry and never
branch on a source's name: a new source is one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, tzinfo
from enum import Enum
from pathlib import Path

from integrations import apple_health, fitbit, garmin, google_health, oura, polar, whoop, withings
from integrations.base import Adapter, Parsed
from integrations.oauth import OAuthAdapter
from integrations.simulator import Persona, SimulatorAdapter


class Connection(str, Enum):
    OAUTH = "oauth"  # the user grants access on the vendor's consent page; we fetch from its API
    UPLOAD = "upload"  # the user sends their export to the bot
    FILES = "files"  # the operator imports the user's export files (`sleepcot import`)
    SIMULATED = "simulated"  # the user picks a simulated sleeper


@dataclass(frozen=True)
class Vendor:
    name: str
    label: str
    connection: Connection
    read_export: Callable[[Path, tzinfo], Parsed] | None = None  # reads a saved payload or an export
    adapter: type[OAuthAdapter] | None = None  # OAUTH: fetches from the vendor's API
    suffixes: tuple[str, ...] = ()  # UPLOAD: the file names (by suffix) the bot takes for it
    choices: tuple[str, ...] = ()  # SIMULATED: what the user picks from
    simulate: Callable[[str, int, date, str | None], Adapter] | None = None  # SIMULATED: (choice, seed, today, tz)
    label_zh: str = ""  # the label in Chinese, where it is not the same


def _simulated(choice: str, seed: int, today: date, timezone: str | None) -> Adapter:
    return SimulatorAdapter(Persona(choice), seed, today, tz=timezone)


VENDORS: dict[str, Vendor] = {vendor.name: vendor for vendor in (
    Vendor("simulator", "🧪 Simulator", Connection.SIMULATED, choices=tuple(p.value for p in Persona),
           simulate=_simulated, label_zh="🧪 模拟器"),
    Vendor("oura", "Oura Ring", Connection.OAUTH, oura.read_export, oura.OuraAdapter),
    Vendor("whoop", "WHOOP", Connection.OAUTH, whoop.read_export, whoop.WhoopAdapter),
    Vendor("withings", "Withings", Connection.OAUTH, withings.read_export, withings.WithingsAdapter),
    Vendor("polar", "Polar", Connection.OAUTH, polar.read_export, polar.PolarAdapter),
    Vendor("google_health", "Google Health (Fitbit, Pixel Watch)", Connection.OAUTH, google_health.read_export,
           google_health.GoogleHealthAdapter),
    Vendor("garmin", "Garmin Connect", Connection.FILES, garmin.read_export),
    Vendor("fitbit", "Fitbit (legacy export)", Connection.FILES, fitbit.read_export),
    Vendor("apple_health", "Apple Health", Connection.UPLOAD, apple_health.read_export, suffixes=(".zip", ".xml")),
)}


def by_connection(connection: Connection) -> list[Vendor]:
    """The registered sources a user connects this way, in the registry's order."""
    return [vendor for vendor in VENDORS.values() if vendor.connection is connection]


def for_upload(file_name: str) -> Vendor | None:
    """The source whose export a file sent to the bot is, by its suffix; None when no source takes it."""
    suffix = Path(file_name.lower()).suffix
    return next((v for v in by_connection(Connection.UPLOAD) if suffix in v.suffixes), None)
