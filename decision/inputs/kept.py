"""What a process reads again and again, kept: parsed YAML documents, profile models,
validated rulebooks.

The room re-reads its files, every audit replay reads the rules it stored, and the tests
read the shipped files thousands of times. Each user keys its values by everything they
are built from (exact text, registries, file digests), so a kept value is the value a
fresh build would give. The oldest entry goes first when the limit is reached.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """At most ``limit`` values by key, the oldest dropped first."""

    def __init__(self, limit: int):
        self.limit = limit
        self._values: dict[Hashable, V] = {}

    def get(self, key: Hashable) -> V | None:
        """The value kept for ``key``, or None."""
        return self._values.get(key)

    def keep(self, key: Hashable, value: V) -> V:
        """Keep ``value`` for ``key`` and return it."""
        if key not in self._values and len(self._values) >= self.limit:
            self._values.pop(next(iter(self._values)))
        self._values[key] = value
        return value
