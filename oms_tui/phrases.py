"""Texts that are stored now and read later, in the reader's language.

A hold reason, a history entry, a ledger reason or a sync problem is written by a service that does
not know who will read it — a CS agent in Chinese tomorrow, the owner in English at month end. So
the row keeps the English template (an ``N_()`` msgid) and its values, and the screen, command or
slip renders it when it is shown::

    hold.reason = phrase(N_("short: {skus}"), skus="TW-001, TW-002")
    ...
    render(hold.reason)   # "缺货：TW-001, TW-002" for a zh_CN reader

Values named in ``translated`` are msgids themselves (a status, a hold kind) and are translated too.
A value that is itself a stored phrase (a platform's refusal inside a hold reason) is rendered with it;
a list value (several problems) is rendered item by item and joined.
Text typed by a person (a CS note, a buyer remark) is stored as it is and ``render`` returns it
unchanged, as it does for rows written before phrases existed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from oms_tui.i18n import N_, _

# A prefix no person types and no platform sends: marks a stored phrase as JSON, not free text.
MARKER = "\u2063i18n:"
# How a list value (several problems, several findings) reads: each item rendered, then joined.
LIST_SEPARATOR = N_("; ")


def phrase(template: str, /, *, translated: Iterable[str] = (), limit: int = 500, **params: Any) -> str:
    """Encode ``template`` and its values for storage; fits in ``limit`` characters (long values are cut).

    ``limit`` and ``translated`` are this function's own: a template cannot name a value so."""
    return encode(template, params, translated=translated, limit=limit)


def encode(template: str, params: dict[str, Any], *, translated: Iterable[str] = (), limit: int = 500) -> str:
    """``phrase`` with the values as a dict (any names, ``limit`` too: an error's bound, say)."""
    values = {k: (v if isinstance(v, (int, float, bool)) or v is None
                  else [str(x) for x in v] if isinstance(v, (list, tuple)) else str(v)) for k, v in params.items()}
    body: dict[str, Any] = {"t": template, "p": values}
    names = [n for n in translated if n in values]
    if names:
        body["x"] = names
    text = MARKER + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    # Too long for the column: shorten the longest text values until it fits (the template never is cut).
    while len(text) > limit:
        # A value already cut to one character and "…" cannot shrink further.
        longest = max((k for k, v in values.items() if isinstance(v, (str, list)) and len(str(v)) > 2),
                      key=lambda k: len(str(values[k])), default=None)
        if longest is None:
            return template[:limit]
        value = values[longest]
        if isinstance(value, list):  # a list is cut as its English text
            values[longest] = LIST_SEPARATOR.join(english(x) for x in value)
        elif is_phrase(value):  # a phrase cut in half is no phrase: cut its English text instead
            values[longest] = english(value)
        else:
            values[longest] = value[: max(1, len(value) - (len(text) - limit) - 1)] + "…"
        text = MARKER + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return text


def from_error(error: BaseException, *, limit: int = 500) -> str:
    """A domain error (an ``OmsError``: its template and values) stored as a phrase; anything else as its text."""
    template = getattr(error, "template", "")
    if not template:
        return str(error)[:limit]
    params = dict(getattr(error, "params", {}) or {})
    return encode(template, params, translated=getattr(error, "translated_params", ()), limit=limit)


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
    params = {k: _rendered(v, translate, k in names) for k, v in params.items()}
    try:
        return translate(template).format(**params)
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: fall back to English
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return f"{template} {params}"


def _rendered(value: Any, translate, is_msgid: bool) -> Any:
    if isinstance(value, list):
        return translate(LIST_SEPARATOR).join(str(_rendered(x, translate, is_msgid)) for x in value)
    if isinstance(value, str):
        if is_msgid:
            return translate(value)
        if is_phrase(value):
            return render(value, translate)
    return value


def english(stored: str | None) -> str:
    """The stored text in English whatever the current language (logs, exports for the platforms)."""
    return render(stored, translate=lambda message: message)
