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

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

Page = tuple[list[Any], int]  # the page's records, and the total the platform says the window holds


def page_of(rows: Any, total: Any) -> Page:
    """A page as the readers want it: the rows (none when the platform sent no list) and the total (0 when it
    sent none or not a count)."""
    try:
        count = max(0, int(total))
    except (TypeError, ValueError):
        count = 0
    return (rows if isinstance(rows, list) else []), count


def first_of_each(records: Iterable[T], key: Callable[[T], Any]) -> Iterator[T]:
    """``records`` with a repeat of an earlier key left out (reading backwards may read one twice, and a
    record may stand in two windows or queries); records without a key (None) all pass."""
    seen: set[Any] = set()
    for record in records:
        k = key(record)
        if k is not None:
            if k in seen:
                continue
            seen.add(k)
        yield record


def refund_id_of(result: Any) -> str | None:
    """The key ``first_of_each`` tells refunds apart by (a malformed record has none: it always passes)."""
    return getattr(result, "refund_id", None)


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
