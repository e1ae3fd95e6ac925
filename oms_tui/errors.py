"""Domain errors: every one carries a message a user can read as it is.

A message is a template (an English msgid, marked ``N_()`` where it is raised) plus its values, so the
screen or command that shows it translates it into the reader's language at that moment: the service
that raised it does not know who reads it. ``str(error)`` is the English text (logs, tests).
"""

from __future__ import annotations

from typing import Any


class OmsError(Exception):
    """Base of all errors the CLI and screens show as one line."""

    # Values that are themselves msgids (what was refused, which bound): translated along with the template.
    translated_params: tuple[str, ...] = ()
    # For a refusal by another system (a platform): True when sending the same request again cannot
    # succeed, so it is not retried (oms_tui/platforms/errors.py decides it for the platforms).
    permanent: bool = False

    def __init__(self, template: str = "", /, *, translated: tuple[str, ...] = (), **params: Any) -> None:
        """``translated`` names more values that are msgids (a status, a hold kind), as ``phrases.phrase`` does."""
        self.template = template
        self.params = params
        if translated:
            self.translated_params = (*self.translated_params, *translated)
        super().__init__(self._format(template))

    def _format(self, template: str, params: dict[str, Any] | None = None) -> str:
        params = self.params if params is None else params
        if not params:
            return template
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: show the values
            return f"{template} {params}"

    def localized(self) -> str:
        """The message in the current language (``oms_tui.i18n``); untranslated templates stay English."""
        from oms_tui.i18n import _

        if not self.template:
            return str(self)
        params = {k: _(v) if k in self.translated_params and isinstance(v, str) else v for k, v in self.params.items()}
        return self._format(_(self.template), params)


class ValidationError(OmsError):
    """Bad input: a negative quantity, an unknown code, a malformed value."""


class NotFound(OmsError):
    """A SKU, order, user or warehouse that does not exist."""


class InsufficientStock(OmsError):
    """A lock, ship or reservation that would make a bucket negative."""


class IllegalTransition(OmsError):
    """An order status change the lifecycle does not allow."""


class PermissionDenied(OmsError):
    """The signed-in user's roles do not allow the action; nothing was changed."""

    translated_params = ("action",)


class ConfigError(OmsError):
    """The configuration file or environment is wrong."""


class StorageError(OmsError):
    """The database cannot be reached or is not initialised."""


class AccountLocked(OmsError):
    """Too many wrong PINs for this name: it signs in again after a pause."""


class Throttled(OmsError):
    """An outside service refused for now and said for how long (``retry_after`` seconds): a rate-limit
    ban. Whoever calls it on a schedule waits that long before the next call instead of failing each time."""

    retry_after: float | None = None
