"""What the customer-service screens (review queue, exceptions, look-up) share: ages as people say
them, and their forms (the receiver's address, an approval request). The generic dialogs (a line of
text) are in ``oms_tui.widgets.dialogs``."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from oms_tui.i18n import N_, _
from oms_tui.names import APPROVAL_KIND_NAMES, INTAKE_APPROVAL_KINDS
from oms_tui.phrases import render
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.widgets.dialogs import DIALOG_CSS, Dialog
from oms_tui.widgets.error_line import ErrorLine

CREDIT_LEVELS = {"good": N_("good"), "normal": N_("normal"), "watch": N_("watch")}
# What CS asks for by hand (the review queue's orders are not picked yet: no address change after picking).
APPROVAL_KINDS = {kind: name for kind, name in APPROVAL_KIND_NAMES.items()
                  if kind not in INTAKE_APPROVAL_KINDS and kind != "address_change"}


def format_age(hours: float) -> str:
    """How long something has waited: "45 min", "3 h 20 min", "2 d 4 h"."""
    minutes = max(0, int(hours * 60))
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    if minutes < 48 * 60:
        return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)
    return _("{days} d {hours} h").format(days=minutes // (24 * 60), hours=minutes % (24 * 60) // 60)


class CsDialog(Dialog):
    """A customer-service form: the dialogs' looks plus this module's own."""

    CSS_PATH = [DIALOG_CSS, "cs_dialogs.tcss"]


@dataclass(frozen=True)
class AddressInput:
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str


_ADDRESS_FIELDS = (("name", N_("Receiver")), ("phone", N_("Phone")), ("province", N_("Province")),
                   ("city", N_("City")), ("district", N_("District")), ("address", N_("Address")))


class AddressDialog(CsDialog):
    """The receiver's name, phone and address, checked by the same rule intake uses before it is saved."""

    def __init__(self, current: AddressInput, *, order_ref: str = "") -> None:
        super().__init__()
        self.current = current
        self.order_ref = order_ref

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Edit the address of order {order}").format(order=self.order_ref), classes="dialog-title",
                        markup=False)
            with Grid(id="address-grid"):
                for key, label in _ADDRESS_FIELDS:
                    yield Label(_(label), classes="field-label")
                    yield Input(value=getattr(self.current, key), id=f"field-{key}")
            yield ErrorLine()
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#field-address", Input).focus()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        if event.input.id == "field-address":
            self.submit()
        else:
            self.focus_next()

    def value(self) -> AddressInput:
        return AddressInput(**{key: self.query_one(f"#field-{key}", Input).value.strip() for key, _l in _ADDRESS_FIELDS})

    def submit(self) -> None:
        entered = self.value()
        problems = review_rules.address_problems(
            province=entered.province, city=entered.city, address=entered.address, phone=entered.phone,
            min_chars=review_rules.current_config().min_address_chars)
        if problems:
            self.complain("; ".join(render(problem) for problem in problems))
            return
        self.dismiss(entered)


@dataclass(frozen=True)
class ApprovalInput:
    kind: str
    reason: str
    detail: str


class ApprovalDialog(CsDialog):
    """Ask a lead to approve a price change or a gift: the kind, why, and what exactly."""

    def __init__(self, order_ref: str) -> None:
        super().__init__()
        self.order_ref = order_ref

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Ask for an approval on order {order}").format(order=self.order_ref),
                        classes="dialog-title", markup=False)
            yield Select([(_(name), key) for key, name in APPROVAL_KINDS.items()], value="price_change",
                         allow_blank=False, id="kind")
            yield Input(placeholder=_("Why (shown to the approver)"), id="reason")
            yield Input(placeholder=_("What exactly: the new price, the gift"), id="detail")
            yield ErrorLine()
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _next(self) -> None:
        self.query_one("#detail", Input).focus()

    @on(Input.Submitted, "#detail")
    def _entered(self) -> None:
        self.submit()

    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.complain(_("Say why the approval is needed"))
            return
        kind = self.query_one("#kind", Select).value
        self.dismiss(ApprovalInput(str(kind), reason, self.query_one("#detail", Input).value.strip()))


@dataclass(frozen=True)
class ResolveInput:
    resolution: str
    resend: bool


class ResendDialog(CsDialog):
    """Resolve a refused ship notice: how it was put right on the platform, and whether to send it again
    (not when the shipment was entered on the platform by hand: a second notice would be refused)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Resolve the refused ship notice"), classes="dialog-title")
            yield Label(_("Put the order right on the platform first; then the notice goes again."),
                        classes="dialog-text")
            yield Input(placeholder=_("What was put right on the platform"), id="text")
            yield Checkbox(_("Send the ship notice again"), value=True, id="resend")
            yield ErrorLine()
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted, "#text")
    def _entered(self) -> None:
        self.submit()

    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.complain(_("Please write something first"))
            return
        self.dismiss(ResolveInput(text, self.query_one("#resend", Checkbox).value))
