"""What a screen may ask of the app that shows it, as a Protocol the screens own.

The screens never import ``oms_tui.app`` (not even for type checking): the app depends on the
screens, not the other way round. Moving to another screen goes through ``open_screen``,
``open_order`` and ``open_sku``, which check the signed-in user's permission in the registry, so no
screen can push a screen its user may not open. The database is not part of this: ``OmsScreen``
runs services for the screens (see ``screens/base.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from oms_tui.config import Settings


@dataclass(frozen=True)
class Operator:
    """The person signed in at this terminal, as plain values (no ORM object outlives its session)."""

    name: str
    display_name: str
    roles: tuple[str, ...]

    @classmethod
    def from_user(cls, user) -> Operator:  # noqa: ANN001 - a models.User
        return cls(user.name, user.display_name or user.name, tuple(user.role_list))


@runtime_checkable
class OmsHost(Protocol):
    """The app as the screens see it."""

    settings: Settings
    operator: Operator | None  # None until someone signs in

    def sign_in(self, operator: Operator) -> None:
        """Make ``operator`` the user of this terminal and show their menu."""

    def sign_out(self, message: str = "") -> None:
        """Back to the sign-in screen (showing ``message``), or the end of an SSH desk's connection."""

    def open_screen(self, key: str, **kwargs: Any) -> None:
        """Open the registry's screen ``key`` if the signed-in user may; else say they may not."""

    def open_order(self, order_id: int) -> None:
        """Open one order's detail if the signed-in user may look at orders."""

    def open_sku(self, code: str, warehouse_code: str | None = None) -> None:
        """Open one SKU's stock ledger if the signed-in user may look at stock."""

    def leave_safely(self, go: Callable[[], object]) -> None:
        """Run ``go`` now, or once the user agrees when the screen on top would lose work (its ``work_at_risk``)."""
