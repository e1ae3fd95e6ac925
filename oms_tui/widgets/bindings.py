"""Key descriptions in the user's language, for screens, dialogs and the app alike."""

from __future__ import annotations

import dataclasses

from textual.binding import BindingsMap
from textual.dom import DOMNode

from oms_tui.i18n import _


def localize_bindings(node: DOMNode) -> None:
    """Give ``node`` its class bindings with descriptions in the current language.

    BINDINGS carry ``N_()``-marked English ids; Textual copies them per instance, so translating
    the copy when the node is built (or the language changes) is enough for the Footer.
    """
    merged = type(node)._merged_bindings
    if merged is None:
        return
    translated = BindingsMap()
    for _key, binding in merged:
        if binding.description or binding.tooltip:
            binding = dataclasses.replace(binding, description=_(binding.description) if binding.description else "",
                                          tooltip=_(binding.tooltip) if binding.tooltip else "")
        translated._add_binding(binding)
    node._bindings = translated
