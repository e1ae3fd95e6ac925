"""``oms orders …``: list, show, look up and cancel orders.

Registered in cli.py with ``app.add_typer(orders_app, name="orders")``.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from oms_tui.commands.common import (
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    PageOption,
    cli_actor,
    console,
    get_settings,
    local_time,
    open_engine,
    parse_day,
    print_json,
    page_line,
    page_offset,
    read_session,
)
from oms_tui.errors import NotFound
from oms_tui.i18n import N_, _
from oms_tui.money import yuan
from oms_tui.phrases import render

orders_app = typer.Typer(help="Orders: list, show, cancel", no_args_is_help=True)


@orders_app.command("list")
def orders_list(
    status: Annotated[Optional[str], typer.Option(help="new, review, approval, short, ready, picking, …")] = None,
    platform: Annotated[Optional[str], typer.Option(help="taobao, jd or pdd")] = None,
    since: Annotated[Optional[str], typer.Option(help="created on or after YYYY-MM-DD (shop time) or Nd")] = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
    page: PageOption = None,
) -> None:
    """Orders, newest first, a page at a time."""
    from oms_tui.names import HOLD_NAMES, PLATFORM_NAMES, STATUS_NAMES, named
    from oms_tui.services.orders import queries as order_queries

    offset = page_offset(page, limit, offset)
    settings = get_settings()
    flt = order_queries.OrderFilter(status=status, platform=platform,
                                     since=parse_day(since, settings) if since else None)
    with read_session(open_engine(settings)) as session:
        rows = order_queries.list_orders(session, flt, limit=limit, offset=offset)
        dicts = order_queries.as_dicts(session, rows)
        total = order_queries.count_orders(session, flt) if fmt == OutputFormat.table else 0
    if fmt == OutputFormat.json:
        print_json(dicts)
        return
    table = Table("id", _("Platform"), _("Order"), _("Status"), _("Created"), _("Total"), _("Receiver"), _("Lines"),
                  _("Holds"))
    for o, d in zip(rows, dicts):
        table.add_row(str(o.id), named(PLATFORM_NAMES, o.platform), o.platform_order_id, named(STATUS_NAMES, o.status),
                      local_time(o.created_at, settings), yuan(o.total_fen),
                      f"{o.receiver_name} {o.receiver_province}{o.receiver_city}",
                      ", ".join(f"{line['sku']}×{line['qty']}" for line in d["lines"]),
                      ", ".join(named(HOLD_NAMES, h["kind"]) for h in d["holds"]))
    console.print(table)
    console.print(page_line(offset, len(rows), total))


@orders_app.command("show")
def orders_show(reference: Annotated[str, typer.Argument(help="platform order id, waybill or our id")],
                fmt: FormatOption = OutputFormat.table) -> None:
    """One order with its lines, holds and history."""
    from oms_tui.names import HOLD_NAMES, PLATFORM_NAMES, STATUS_NAMES, named, platform_status_name
    from oms_tui.services.core import audit
    from oms_tui.services.orders import queries as order_queries

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        order = order_queries.find_order_detail(session, reference)
    detail = order.as_dict()
    all_holds, events = order.holds, order.history
    if fmt == OutputFormat.json:
        print_json(detail)
        return
    console.print(Text.assemble((f"{named(PLATFORM_NAMES, order.platform)} {order.platform_order_id}", "bold"),
                                f"  #{order.id}  ", _("Status"), ": ", (named(STATUS_NAMES, order.status), "bold"),
                                "  ", _("Platform status"), ": ", platform_status_name(order.platform,
                                                                                      order.platform_status),
                                "  ", _("Total"), f": {yuan(order.total_fen)}"))
    console.print(Text(f"{_('Receiver')}: {order.receiver_name} {order.receiver_phone}  {order.receiver_province} "
                       f"{order.receiver_city} {order.receiver_district} {order.receiver_address}"))
    if order.buyer_remark:
        console.print(Text(f"{_('Buyer remark')}: {order.buyer_remark}"))
    lines = Table(_("SKU"), _("Title"), _("Qty"), _("Price"), _("Locked"))
    for line in detail["lines"]:
        lines.add_row(line["sku"], line["title"], str(line["qty"]), yuan(line["price_fen"]),
                      str(line["locked_qty"]))
    console.print(lines)
    if all_holds:
        hold_table = Table(_("Hold"), _("Kind"), _("Opened"), _("Resolved"), _("Reason"), _("Resolution"))
        for h in all_holds:
            hold_table.add_row(str(h.id), named(HOLD_NAMES, h.kind), local_time(h.opened_at, settings),
                               local_time(h.resolved_at, settings) or _("open"), render(h.reason),
                               render(h.resolution))
        console.print(hold_table)
    history = Table(_("Time"), _("User"), _("Action"), _("Detail"))
    for e in events:
        history.add_row(local_time(e.at, settings), e.user, *audit.describe(e.action, e.detail))
    console.print(history)


@orders_app.command("lookup")
def orders_lookup(query: Annotated[str, typer.Argument(help="mobile number, platform order id or waybill")],
                  fmt: FormatOption = OutputFormat.table) -> None:
    """"Where is my order?": the customer behind a phone, order or waybill, and all their orders."""
    from oms_tui.services.catalogue import couriers
    from oms_tui.names import LOOKUP_KIND_NAMES, PLATFORM_NAMES, STATUS_NAMES, named
    from oms_tui.services.cs import lookup

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        found = lookup.lookup(session, query)
    if fmt == OutputFormat.json:
        print_json(lookup.result_as_dict(found))
        if not found.found:
            raise typer.Exit(1)
        return
    if not found.found:  # the error line alone: an empty table says nothing more
        raise NotFound(N_("nothing found for {query}: no order, waybill or customer matches"), query=query)
    console.print(Text(f"{named(LOOKUP_KIND_NAMES, found.kind)}: {render(found.basis)}"))
    for customer in found.customers:
        console.print(Text(f"#{customer.id} {customer.name or '—'} · {customer.phone or ''} · "
                           f"{render(customer.basis)}"))
    table = Table(_("Platform"), _("Order"), _("Status"), _("Created"), _("Paid amount"), _("Receiver"), _("Courier"),
                  _("Waybill"))
    for o in found.orders:
        table.add_row(named(PLATFORM_NAMES, o.platform), o.platform_order_id, named(STATUS_NAMES, o.status),
                      local_time(o.created_at, settings), yuan(o.paid_fen), o.receiver_name, couriers.display_name(o.courier),
                      o.waybill or "")
    console.print(table)


@orders_app.command("cancel")
def orders_cancel(reference: str, reason: Annotated[str, typer.Option(help="why it is cancelled")]) -> None:
    """Cancel an order that has not shipped; its stock is released."""
    from oms_tui.db import retrying_transaction
    from oms_tui.services.orders import actions
    from oms_tui.services.orders import queries as order_queries

    actor = cli_actor()

    def cancel(session):  # noqa: ANN001, ANN202
        order = order_queries.find_by_reference(session, reference)
        actions.cancel(session, order, actor=actor, reason=reason)
        return order

    order = retrying_transaction(open_engine(), cancel)  # the pack station may be shipping it this moment
    typer.echo(f"order {order.platform_order_id} cancelled")
