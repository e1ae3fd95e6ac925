"""The one clock: the current instant as aware UTC, the form every time is stored and compared in.

Tables (``models``), services and platform adapters all take it from here, so there is one place
that says what "now" is (tests pass their own ``now``/``clock`` where a service or client takes one).
"""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(timezone.utc)
