"""What the customer-service screens (review queue, exceptions, look-up) share: ages as people say
them, and the small dialogs (a line of text, the receiver's address, an approval request)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from oms_tui.i18n import N_, _
from oms_tui.screens.base import ErrorLine, localize_bindings
from oms_tui.services.orders import intake_rules as review_rules

CREDIT_LEVELS = {"good": N_("good"), "normal": N_("normal"), "watch": N_("watch")}
APPROVAL_KINDS = {"price_change": N_("price change"), "gift": N_("gift")}


def format_age(hours: float) -> str:
    """How long something has waited: "45 min", "3 h 20 min", "2 d 4 h"."""
    minutes = max(0, int(hours * 60))
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    if minutes < 48 * 60:
        return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)
    return _("{days} d {hours} h").format(days=minutes // (24 * 60), hours=minutes % (24 * 60) // 60)


class _Dialog(ModalScreen):
    """A small form over the screen: Enter in the last field or the OK button submits, Escape cancels."""

    CSS_PATH = "cs_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)

    def buttons(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(_("OK"), variant="primary", id="ok")
            yield Button(_("Cancel"), id="cancel")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError

    def complain(self, message: str) -> None:
        self.query_one(ErrorLine).show(message)


class TextPrompt(_Dialog):
    """One line of text (a reason, a resolution, a note); dismisses with the text or None."""

    def __init__(self, title: str, *, label: str = "", value: str = "", placeholder: str = "",
                 required: bool = True) -> None:
        super().__init__()
        self.title_text, self.label, self.value, self.placeholder, self.required = (
            title, label, value, placeholder, required)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.label:
                yield Label(self.label, classes="dialog-text", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="text")
            yield ErrorLine()
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted, "#text")
    def _entered(self) -> None:
        self.submit()

    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if self.required and not text:
            self.complain(_("Please write something first"))
            return
        self.dismiss(text)


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


class AddressDialog(_Dialog):
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
            self.complain("; ".join(problems))
            return
        self.dismiss(entered)


@dataclass(frozen=True)
class ApprovalInput:
    kind: str
    reason: str
    detail: str


class ApprovalDialog(_Dialog):
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
