"""The one interface every wearable source implements, the demo simulator included."""

from __future__ import annotations

import abc
from datetime import date

from sleepcot.domain import Night, Tag


class Adapter(abc.ABC):
    """A source of canonical nights for one user.

    `fetch_nights` returns every sleep period (main sleep and naps, kept apart by `Night.kind`) whose
    local date lies in [start, end]; re-fetching the same range returns the same vendor ids, so the
    store's upsert never duplicates.
    """

    vendor: str

    @abc.abstractmethod
    def fetch_nights(self, start: date, end: date) -> list[Night]: ...

    def fetch_tags(self, start: date, end: date) -> list[Tag]:
        """Day tags the source knows about (most vendors know none)."""
        return []
