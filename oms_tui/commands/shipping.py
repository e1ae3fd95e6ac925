"""``oms waybill …`` (e-waybills: issue, cancel, reprint the label) and ``oms tracking …`` (show, poll, stalls).

Registered in cli.py. Thin: parse, call services/shipping (and floor/labels), print; a domain error is one
line and exit 1 (cli.main). The Kuaidi100 adapter is opened only by the commands that talk to it.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from oms_tui.commands import common
from oms_tui.commands.common import OutputFormat, get_settings, read_session

waybill_app = typer.Typer(help="E-waybills from Kuaidi100: issue one for an order's parcel, cancel it, reprint its "
                               "label", no_args_is_help=True)
tracking_app = typer.Typer(help="Parcels after shipping: an order's tracking timeline, poll now, check for stalls",
                           no_args_is_help=True)

OrderArg = Annotated[str, typer.Argument(help="the platform's order number or our order id")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts")]


def _carrier(settings):
    from oms_tui.carriers.kuaidi100 import client_for

    return client_for(settings.kuaidi100)


def _parcel_of(engine, reference: str) -> int:
    from oms_tui.errors import NotFound
    from oms_tui.i18n import N_
    from oms_tui.services.orders import queries

    with read_session(engine) as session:
        order = queries.find_by_reference(session, reference)
        if order.parcel_id is None:
            raise NotFound(N_("order {order} is not in a parcel yet (the pack station makes one)"),
                           order=order.platform_order_id)
        return order.parcel_id


@waybill_app.command("issue")
def waybill_issue(order: OrderArg) -> None:
    """Get the waybill (and label) of the order's parcel from Kuaidi100 — the one already issued if there is one."""
    from oms_tui.services.floor import labels

    settings = get_settings()
    engine = common.open_engine(settings)
    carrier = _carrier(settings)
    try:
        outcome = labels.issue_and_print(engine, _parcel_of(engine, order), actor=common.cli_actor(settings),
                                         service=carrier, settings=settings)
    finally:
        carrier.close()
    state = "issued" if outcome.new else "already issued"
    label = f"label queued as job {outcome.job_id}" if outcome.job_id else (outcome.print_error or "label not queued")
    typer.echo(f"{outcome.courier} {outcome.waybill} ({state}); {label}")


@waybill_app.command("cancel")
def waybill_cancel(order: OrderArg,
                   reason: Annotated[str, typer.Option(help="why, as the courier is told")] = "parcel cancelled") -> None:
    """Cancel the parcel's waybill with the courier (before it shipped)."""
    from oms_tui.services.shipping import waybills

    settings = get_settings()
    engine = common.open_engine(settings)
    carrier = _carrier(settings)
    try:
        request = waybills.cancel_waybill(engine, _parcel_of(engine, order), actor=common.cli_actor(settings),
                                          service=carrier, reason=reason)
    finally:
        carrier.close()
    typer.echo(f"cancelled {request.courier} {request.waybill}")


@waybill_app.command("reprint")
def waybill_reprint(order: OrderArg,
                    printer: Annotated[Optional[str], typer.Option(help="printer name (default: the label's)")] = None,
                    ) -> None:
    """Queue the order's e-waybill label again."""
    from oms_tui.services.floor import labels

    settings = get_settings()
    outcome = labels.reprint_label(common.open_engine(settings), order, actor=common.cli_actor(settings),
                                   settings=settings, printer=printer)
    typer.echo(f"label {outcome.courier} {outcome.waybill} queued as job {outcome.job_id}")


@tracking_app.command("show")
def tracking_show(order: OrderArg, output: FormatOption = OutputFormat.table) -> None:
    """The tracking timeline of the order's parcel, newest first."""
    from rich.table import Table

    from oms_tui.i18n import _
    from oms_tui.names import TRACK_STATE_NAMES, named
    from oms_tui.services.orders import queries
    from oms_tui.services.shipping import tracking

    settings = get_settings()
    with read_session(common.open_engine(settings)) as session:
        found = tracking.tracking_for_order(session, queries.find_by_reference(session, order), limit=500)
    if output == OutputFormat.json:
        common.print_json(tracking.tracking_as_dict(found) or {})
        return
    if found is None:
        typer.echo(_("not tracked (not shipped yet, or shipped before tracking)"))
        return
    typer.echo(f"{found.courier} {found.waybill}: {_(named(TRACK_STATE_NAMES, found.state))}"
               + (_(" (stalled)") if found.stalled else ""))
    table = Table()
    for column in (_("Time"), _("Where"), _("Event")):
        table.add_column(column)
    for event in found.events:
        table.add_row(common.local_time(event.at, settings), event.location, event.context)
    common.console.print(table)


@tracking_app.command("poll")
def tracking_poll(nightly: Annotated[bool, typer.Option(help="every undelivered shipment, as the nightly batch")]
                  = False) -> None:
    """Look up the shipments that are due now (or all undelivered ones) and apply what Kuaidi100 says."""
    from oms_tui.services.shipping import tracking

    settings = get_settings()
    engine = common.open_engine(settings)
    carrier = _carrier(settings)
    try:
        if nightly:
            run = tracking.nightly_batch(engine, carrier, limit=settings.tracking.nightly_max,
                                         give_up_days=settings.tracking.give_up_days)
        else:
            run = tracking.poll_due(engine, carrier, limit=settings.tracking.queries_per_run,
                                    give_up_days=settings.tracking.give_up_days)
    finally:
        carrier.close()
    typer.echo(", ".join(f"{key} {value}" for key, value in run.as_dict().items()))
    if run.stopped:
        raise typer.Exit(1)


@tracking_app.command("stalls")
def tracking_stalls() -> None:
    """Raise a stall (task, alert, buyer SMS) on every shipment without a new event for [tracking] stall_days."""
    from oms_tui.services.shipping import stalls

    settings = get_settings()
    config = settings.tracking
    result = stalls.check_stalls(common.open_engine(settings), stall_days=config.stall_days,
                                 text=stalls.BuyerText(config.sms_channel, config.stall_sms_template))
    typer.echo(", ".join(f"{key} {value}" for key, value in result.items()))
