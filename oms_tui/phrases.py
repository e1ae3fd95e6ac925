"""Texts that are stored now and read later, in the reader's language.

A hold reason, a history entry, a ledger reason or a sync problem is written by a service that does
not know who will read it — a CS agent in Chinese tomorrow, the owner in English at month end. So
the row keeps the English template (an ``N_()`` msgid) and its values, and the screen, command or
slip renders it when it is shown::

    hold.reason = phrase(N_("short: {skus}"), skus="TW-001, TW-002")
    ...
    render(hold.reason)   # "缺货：TW-001, TW-002" for a zh_CN reader

Values named in ``translated`` are msgids themselves (a status, a hold kind) and are translated too.
Text typed by a person (a CS note, a buyer remark) is stored as it is and ``render`` returns it
unchanged, as it does for rows written before phrases existed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from oms_tui.i18n import _

# A prefix no person types and no platform sends: marks a stored phrase as JSON, not free text.
MARKER = "\u2063i18n:"


def phrase(template: str, /, *, translated: Iterable[str] = (), limit: int = 500, **params: Any) -> str:
    """Encode ``template`` and its values for storage; fits in ``limit`` characters (long values are cut)."""
    values = {k: (v if isinstance(v, (int, float, bool)) or v is None else str(v)) for k, v in params.items()}
    body: dict[str, Any] = {"t": template, "p": values}
    names = [n for n in translated if n in values]
    if names:
        body["x"] = names
    text = MARKER + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    # Too long for the column: shorten the longest text values until it fits (the template never is cut).
    while len(text) > limit:
        longest = max((k for k, v in values.items() if isinstance(v, str) and len(v) > 1),
                      key=lambda k: len(values[k]), default=None)
        if longest is None:
            return template[:limit]
        value = values[longest]
        values[longest] = value[: max(1, len(value) - (len(text) - limit) - 1)] + "…"
        text = MARKER + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return text


def is_phrase(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(MARKER)


def render(stored: str | None, translate=_) -> str:
    """The stored text in the current language (or ``translate``'s); free text comes back as it is."""
    if not stored:
        return ""
    if not stored.startswith(MARKER):
        return stored
    try:
        body = json.loads(stored[len(MARKER):])
        template, params = str(body["t"]), dict(body.get("p") or {})
        names = set(body.get("x") or ())
    except (ValueError, KeyError, TypeError):
        return stored[len(MARKER):]
    params = {k: translate(v) if k in names and isinstance(v, str) else v for k, v in params.items()}
    try:
        return translate(template).format(**params)
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: fall back to English
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return f"{template} {params}"


def english(stored: str | None) -> str:
    """The stored text in English whatever the current language (logs, exports for the platforms)."""
    return render(stored, translate=lambda message: message)
