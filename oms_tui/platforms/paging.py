"""Reading a platform's paged list of one time window without losing a record.

The window ends when the run started, so while we read, records can only leave it (a refund modified
now moves past ``end``), never join it. Read front to back, a record leaving from page 1 shifts every
later record one place forward and the first record of the next page slips onto the page already
read: skipped, and lost for good once the window is behind the cursor. Read from the last page back
to the first (what Taobao and Pinduoduo document for their incremental lists), a record leaving from
an earlier page shifts records we have already read: nothing is skipped, at worst one is read twice —
the caller de-duplicates. Page 1 is read first only to learn the total, and read again at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

Page = tuple[list[Any], int]  # the page's records, and the total the platform says the window holds


def last_page(total: int, page_size: int) -> int:
    return max(1, -(-max(total, 0) // page_size))


def read_backwards(fetch: Callable[[int], Page], page_size: int, *,
                   guard: Callable[[int], None] | None = None) -> Iterator[Any]:
    """Every record of a window, ``fetch(page)`` giving one page and the window's total."""
    records, total = fetch(1)
    last = last_page(total, page_size)
    if last == 1:
        yield from records
        return
    for page in range(last, 0, -1):
        if guard is not None:
            guard(page)
        records, _total = fetch(page)
        yield from records


def read_forwards(fetch: Callable[[int], Page], page_size: int, *,
                  guard: Callable[[int], None] | None = None) -> Iterator[Any]:
    """Every record of a list that is not a time window (a shop's items): page 1 on, until the total is read
    or a page comes back empty."""
    page, seen = 1, 0
    while True:
        if guard is not None:
            guard(page)
        records, total = fetch(page)
        yield from records
        seen += len(records)
        if not records or seen >= total or len(records) < page_size:
            return
        page += 1
