"""The weekly e-mail to each supplier: what we expect to order from them this week (the purchase
suggestions) and what we still wait for on open purchase orders.

``queue_weekly`` (the scheduler's ``supplier-mail`` job) writes one ``supplier_mail`` outbox row per
supplier with an e-mail address and something to say, at most one per supplier and ISO week however
often it runs; the outbox's dispatcher sends it (``SupplierMailSender``) through the SMTP adapter the
scheduler hands in, with its retries and back-off. The mail is written in Chinese: the suppliers read it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import exists
from sqlmodel import Session, col, select

from oms_tui.config import Settings, SmtpConfig
from oms_tui.i18n import N_, translator
from oms_tui.models import Outbox, Supplier, Warehouse, utcnow
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.purchasing import purchase_orders, suggestions

log = logging.getLogger(__name__)

SUPPLIER_LANGUAGE = "zh_CN"


class Mailer(Protocol):
    def send(self, recipients: Sequence[str], subject: str, body: str) -> list[str]: ...


MailerFactory = Callable[[SmtpConfig], Mailer]


def week_of(now: datetime, timezone: str = "Asia/Shanghai") -> str:
    """The ISO week ``now`` falls in, in the shop's time zone: 2026-W48."""
    year, week, _day = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def queue_weekly(session: Session, warehouse: Warehouse, *, now: datetime | None = None,
                 timezone: str = "Asia/Shanghai") -> int:
    """Queue this week's mail to every supplier with an address and something to say; returns how many
    were queued (a supplier already mailed this week is left out)."""
    now = now or utcnow()
    week = week_of(now, timezone)
    actor = Actor.system("supplier-mail")
    wanted = {}
    for line in suggestions.suggestions(session, actor, warehouse, now=now):
        if line.supplier_code and line.suggested > 0:
            wanted.setdefault(line.supplier_code, []).append(
                outbox.MailLine(sku=line.sku, name=line.name, unit=line.unit, qty=line.suggested))
    awaited = {}
    for po in reversed(purchase_orders.list_purchase_orders(session, actor, open_only=True)):
        for line in po.lines:
            if line.outstanding > 0:
                awaited.setdefault(po.supplier_code, []).append(
                    outbox.MailLine(sku=line.sku, name=line.name, qty=line.outstanding, po=po.code))
    queued = 0
    for supplier in session.exec(select(Supplier).where(Supplier.email != "").order_by(col(Supplier.code))):
        if not (wanted.get(supplier.code) or awaited.get(supplier.code)):
            continue
        already = session.exec(select(exists().where(
            Outbox.kind == outbox.MessageKind.SUPPLIER_MAIL.value, Outbox.target == supplier.code,
            Outbox.subject == week))).one()
        if already:
            continue
        outbox.enqueue(session, outbox.MessageKind.SUPPLIER_MAIL, channel="email", target=supplier.code,
                       subject=week, payload=outbox.SupplierMail(
                           supplier=supplier.code, supplier_name=supplier.name, to=supplier.email, week=week,
                           suggested=wanted.get(supplier.code, []), awaited=awaited.get(supplier.code, [])))
        queued += 1
    return queued


def render(mail: outbox.SupplierMail, shop_name: str) -> tuple[str, str]:
    """The mail's subject and plain-text body, in the suppliers' language."""
    _ = translator(SUPPLIER_LANGUAGE)
    subject = _("{shop}: purchase plan for {week}").format(shop=shop_name or "oms", week=mail.week)
    lines = [_("Dear {supplier},").format(supplier=mail.supplier_name or mail.supplier), ""]
    if mail.suggested:
        lines.append(_("This week we expect to order:"))
        lines += [f"  {item.sku}  {item.name}  × {item.qty} {item.unit}".rstrip() for item in mail.suggested]
        lines.append("")
    if mail.awaited:
        lines.append(_("Still awaited on our purchase orders:"))
        lines += [f"  {item.po}  {item.sku}  {item.name}  × {item.qty}" for item in mail.awaited]
        lines.append("")
    lines.append(_("Please confirm quantities and delivery dates by reply. Thank you."))
    lines.append(shop_name or "")
    return subject, "\n".join(lines).rstrip() + "\n"


class SupplierMailSender(outbox.Sender):
    """Sends ``supplier_mail`` messages through the SMTP server of ``[smtp]``."""

    def __init__(self, settings: Settings, mailer_factory: MailerFactory) -> None:
        self.settings = settings
        self.mailer_factory = mailer_factory

    def send(self, message: outbox.Claimed) -> None:
        mail: outbox.SupplierMail = message.payload
        subject, body = render(mail, self.settings.shop_name)
        mailer = self.mailer_factory(self.settings.smtp)  # no [smtp] host: ConfigError, tried again later
        refused = mailer.send([mail.to], subject, body)
        if refused:
            raise outbox.Undeliverable(N_("the mail server refused {address}"), address=", ".join(refused))
