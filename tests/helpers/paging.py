"""Walking a keyset-paged read to its end, for tests that hold it to the same read by offset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def read_by_keyset(read_page: Callable[[Any], Sequence], key: Callable[[Any], Any],
                   position: Callable[[Any], tuple]) -> list:
    """Every row's ``key``, page after page: ``read_page(after)`` from ``after=None`` on, each next page
    read after the ``position`` of the last row of the page before, until a page comes back empty."""
    keys, after = [], None
    while page := read_page(after):
        keys += [key(row) for row in page]
        after = position(page[-1])
    return keys
