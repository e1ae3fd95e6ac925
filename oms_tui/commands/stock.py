"""``oms stock …``: stock levels, purchases, receipts, counts and the ledger.

Registered in cli.py with ``app.add_typer(stock_app, name="stock")``.
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
    PageOption,
    page_line,
    page_offset,
    print_json,
    read_session,
    session_scope,
)
from oms_tui.errors import ValidationError
from oms_tui.i18n import N_, _
from oms_tui.phrases import english, render
from oms_tui.limits import MAX_QUANTITY

stock_app = typer.Typer(help="Stock levels, purchases, receipts and counts", no_args_is_help=True)


@stock_app.command("show")
def stock_show(
    sku: Annotated[Optional[str], typer.Argument(help="SKU code, barcode or a search text")] = None,
    warehouse: Annotated[Optional[str], typer.Option(help="warehouse code")] = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
    page: PageOption = None,
) -> None:
    """Stock per warehouse and SKU: on_hand, inbound, locked, reserved, available; a page at a time."""
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.stock import queries as stock_queries

    offset = page_offset(page, limit, offset)
    engine = open_engine()
    with read_session(engine) as session:
        if warehouse:
            catalogue.get_warehouse(session, warehouse)  # an unknown code is an error naming the known ones
        exact = catalogue.find_sku(session, sku) if sku else None
        search = exact.code if exact else sku
        rows = stock_queries.list_stock(session, search=search, warehouse_code=warehouse, limit=limit, offset=offset)
        total = stock_queries.count_stock(session, search=search, warehouse_code=warehouse)
        if exact:
            rows = [r for r in rows if r.sku == exact.code]
            total = len(rows)  # the one SKU in each warehouse: a page holds them all
        if sku and not rows and offset == 0:
            raise ValidationError(N_("no SKU matches {sku!r}"), sku=sku)
    if fmt == OutputFormat.json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table(_("Warehouse"), _("SKU"), _("Name"), _("Spec"), _("Bin"), _("On hand"), _("Inbound"), _("Locked"),
                  _("Reserved"), _("Available"), _("Damaged"))
    for r in rows:
        table.add_row(r.warehouse, r.sku, r.name, r.spec, r.bin_location, *map(str, (
            r.on_hand, r.inbound, r.locked, r.reserved, r.available, r.damaged)))
    console.print(table)
    console.print(page_line(offset, len(rows), total))


def _stock_target(session, sku: str, warehouse: str | None):
    from oms_tui.services.catalogue import skus as catalogue

    settings = get_settings()
    wh = catalogue.get_warehouse(session, warehouse) if warehouse else catalogue.default_warehouse(
        session, settings.default_warehouse)
    return wh, catalogue.get_sku(session, sku)


WarehouseOption = Annotated[Optional[str], typer.Option(help="warehouse code (default: the configured one)")]
# The upper bound only: zero and negative quantities reach the service, which says why they are refused.
QtyArgument = Annotated[int, typer.Argument(help="units", max=MAX_QUANTITY)]
# "-5" looks like an option to the parser: taken as the quantity instead, so the service can say what is wrong.
NUMBER_ARGUMENTS = {"ignore_unknown_options": True}


@stock_app.command("purchase", context_settings=NUMBER_ARGUMENTS)
def stock_purchase(sku: str, qty: QtyArgument, warehouse: WarehouseOption = None,
                   reason: Annotated[str, typer.Option(help="purchase order reference")] = "") -> None:
    """Record goods ordered from the supplier (inbound goes up)."""
    from oms_tui.services.stock import ledger

    with session_scope(open_engine()) as session:
        wh, item = _stock_target(session, sku, warehouse)
        ledger.purchase(session, wh, item, qty, actor=cli_actor(), reason=reason)
    typer.echo(f"{item.code}: +{qty} inbound at {wh.code}")


@stock_app.command("receive", context_settings=NUMBER_ARGUMENTS)
def stock_receive(sku: str, qty: QtyArgument, warehouse: WarehouseOption = None,
                  reason: Annotated[str, typer.Option(help="delivery note reference")] = "") -> None:
    """Receive goods from the supplier (inbound → on_hand); short orders are served first."""
    from oms_tui.db import retrying_transaction
    from oms_tui.services.orders import allocation

    actor = cli_actor()

    def receive(session):  # noqa: ANN001, ANN202
        wh, item = _stock_target(session, sku, warehouse)
        return wh, item, allocation.receive_stock(session, wh, item, qty, actor=actor, reason=reason)

    wh, item, served = retrying_transaction(open_engine(), receive)  # serving short orders can meet a cancel
    typer.echo(f"{item.code}: received {qty} at {wh.code}; {served} short order(s) allocated")


@stock_app.command("adjust")
def stock_adjust(
    sku: str,
    reason: Annotated[str, typer.Option(help="why (e.g. 'cycle count 2026-11')")],
    counted: Annotated[Optional[int], typer.Option(help="the quantity counted on the shelf", min=0,
                                                   max=MAX_QUANTITY)] = None,
    delta: Annotated[Optional[int], typer.Option(help="change on_hand by this much instead", min=-MAX_QUANTITY,
                                                 max=MAX_QUANTITY)] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Correct on_hand after a stock count."""
    from oms_tui.db import retrying_transaction
    from oms_tui.services.orders import allocation

    actor = cli_actor()

    def adjust(session):  # noqa: ANN001, ANN202
        wh, item = _stock_target(session, sku, warehouse)
        return wh, item, allocation.adjust_stock(session, wh, item, counted=counted, delta=delta, reason=reason,
                                                 actor=actor)

    wh, item, applied = retrying_transaction(open_engine(), adjust)
    typer.echo(f"{item.code}: on_hand {applied:+d} at {wh.code}")


@stock_app.command("ledger")
def stock_ledger(sku: str, warehouse: WarehouseOption = None, fmt: FormatOption = OutputFormat.table,
                 limit: LimitOption = 50, offset: OffsetOption = 0) -> None:
    """A SKU's ledger, newest first."""
    from oms_tui.names import MOVE_NAMES, named
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.stock import queries as stock_queries

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        item = catalogue.get_sku(session, sku)
        if warehouse:
            catalogue.get_warehouse(session, warehouse)
        moves = stock_queries.sku_ledger(session, item, warehouse_code=warehouse, limit=limit, offset=offset)
    rows = [{"id": m.id, "at": m.at.isoformat(), "kind": m.kind, "on_hand": m.d_on_hand, "inbound": m.d_inbound,
             "locked": m.d_locked, "reserved": m.d_reserved, "damaged": m.d_damaged, "order_id": m.order_id,
             "user": m.user, "reason": english(m.reason)} for m in moves]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    table = Table(_("Time"), _("Kind"), "Δ" + _("On hand"), "Δ" + _("Inbound"), "Δ" + _("Locked"),
                  "Δ" + _("Reserved"), "Δ" + _("Damaged"), _("Order"), _("User"), _("Reason"))
    for m in moves:
        table.add_row(local_time(m.at, settings), named(MOVE_NAMES, m.kind), *(f"{d:+d}" if d else "" for d in (
            m.d_on_hand, m.d_inbound, m.d_locked, m.d_reserved, m.d_damaged)), str(m.order_id or ""), m.user,
            render(m.reason))
    console.print(table)
