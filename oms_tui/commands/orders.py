"""``oms orders …``: list, show, look up and cancel orders.

Registered in cli.py with ``app.add_typer(orders_app, name="orders")``.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from oms_tui.commands.common import (
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    cli_actor,
    console,
    get_settings,
    local_time,
    open_engine,
    parse_day,
    print_json,
    read_session,
)
from oms_tui.money import yuan

orders_app = typer.Typer(help="Orders: list, show, cancel", no_args_is_help=True)


@orders_app.command("list")
def orders_list(
    status: Annotated[Optional[str], typer.Option(help="new, review, approval, short, ready, picking, …")] = None,
    platform: Annotated[Optional[str], typer.Option(help="taobao, jd or pdd")] = None,
    since: Annotated[Optional[str], typer.Option(help="created on or after YYYY-MM-DD (shop time) or Nd")] = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
) -> None:
    """Orders, newest first, a page at a time."""
    from oms_tui.services.orders import queries as order_queries

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
    table = Table("id", "platform", "order", "status", "created", "total", "receiver", "lines", "holds")
    for o, d in zip(rows, dicts):
        table.add_row(str(o.id), o.platform, o.platform_order_id, o.status, local_time(o.created_at, settings),
                      yuan(o.total_fen), f"{o.receiver_name} {o.receiver_province}{o.receiver_city}",
                      ", ".join(f"{line['sku']}×{line['qty']}" for line in d["lines"]),
                      ", ".join(h["kind"] for h in d["holds"]))
    console.print(table)
    console.print(f"{offset + 1 if rows else 0}–{offset + len(rows)} of {total}")


@orders_app.command("show")
def orders_show(reference: Annotated[str, typer.Argument(help="platform order id, waybill or our id")],
                fmt: FormatOption = OutputFormat.table) -> None:
    """One order with its lines, holds and history."""
    from oms_tui.services.orders import queries as order_queries

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        order = order_queries.find_order_detail(session, reference)
    detail = order.as_dict()
    all_holds, events = order.holds, order.history
    if fmt == OutputFormat.json:
        print_json(detail)
        return
    console.print(f"[bold]{order.platform} {order.platform_order_id}[/bold]  #{order.id}  status [bold]{order.status}[/]"
                  f"  total {yuan(order.total_fen)}")
    console.print(f"receiver: {order.receiver_name} {order.receiver_phone}  {order.receiver_province} "
                  f"{order.receiver_city} {order.receiver_district} {order.receiver_address}")
    if order.buyer_remark:
        console.print(f"buyer remark: {order.buyer_remark}")
    lines = Table("SKU", "title", "qty", "price", "locked")
    for line in detail["lines"]:
        lines.add_row(line["sku"], line["title"], str(line["qty"]), yuan(line["price_fen"]),
                      str(line["locked_qty"]))
    console.print(lines)
    if all_holds:
        hold_table = Table("hold", "kind", "opened", "resolved", "reason / resolution")
        for h in all_holds:
            hold_table.add_row(str(h.id), h.kind, local_time(h.opened_at, settings),
                               local_time(h.resolved_at, settings) or "open", h.resolution or h.reason)
        console.print(hold_table)
    history = Table("time", "user", "action", "detail")
    for e in events:
        history.add_row(local_time(e.at, settings), e.user, e.action, e.detail)
    console.print(history)


@orders_app.command("lookup")
def orders_lookup(query: Annotated[str, typer.Argument(help="mobile number, platform order id or waybill")],
                  fmt: FormatOption = OutputFormat.table) -> None:
    """"Where is my order?": the customer behind a phone, order or waybill, and all their orders."""
    from oms_tui.services.catalogue import couriers
    from oms_tui.services.cs import lookup

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        found = lookup.lookup_as_dict(session, query)
    if fmt == OutputFormat.json:
        print_json(found)
    else:
        console.print(f"{found['kind']}: {found['basis']}")
        table = Table("platform", "order", "status", "created", "paid", "receiver", "courier", "waybill")
        for o in found["orders"]:
            table.add_row(o["platform"], o["platform_order_id"], o["status"], o["created_at"][:16].replace("T", " "),
                          yuan(o["paid_fen"]), o["receiver_name"], couriers.display_name(o["courier"]),
                          o["waybill"] or "")
        console.print(table)
    if not found["found"]:
        raise typer.Exit(1)


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
