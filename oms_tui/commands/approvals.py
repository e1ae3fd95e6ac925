"""``oms approvals …``: the requests waiting for a decision, and deciding them.

Registered in cli.py with ``app.add_typer(approvals_app, name="approvals")``. Only a lead who did not
ask for the request decides it (``OMS_CLI_USER`` names who the command acts for).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from oms_tui.commands.common import (
    FormatOption,
    LimitOption,
    OutputFormat,
    PageOption,
    cli_actor,
    console,
    get_settings,
    local_time,
    open_engine,
    page_line,
    page_offset,
    print_json,
    read_session,
)
from oms_tui.i18n import _

approvals_app = typer.Typer(help="Approvals: list the waiting requests, approve or reject one", no_args_is_help=True)


@approvals_app.command("list")
def approvals_list(fmt: FormatOption = OutputFormat.table, limit: LimitOption = 50, page: PageOption = None,
                   mine: Annotated[bool, typer.Option("--mine", help="only those waiting for my roles")] = False) -> None:
    """Requests waiting for a decision: those that climbed first, then by due time."""
    from oms_tui.names import APPROVAL_KIND_NAMES, PLATFORM_NAMES, ROLE_NAMES, named
    from oms_tui.phrases import render
    from oms_tui.services.approvals import decisions

    settings = get_settings()
    offset = page_offset(page, limit, 0)
    roles = sorted(cli_actor().roles) if mine else None
    with read_session(open_engine(settings)) as session:
        rows = decisions.list_pending(session, limit=limit, offset=offset, waiting_for=roles)
        total = decisions.count_pending(session, waiting_for=roles)
    if fmt == OutputFormat.json:
        print_json([{"id": r.id, "order_id": r.order_id, "platform": r.platform, "platform_order_id": r.platform_order_id,
                     "kind": r.kind, "reason": render(r.reason), "detail": r.detail, "requested_by": r.requested_by,
                     "requested_at": r.requested_at.isoformat(), "rule": r.rule, "step": r.step + 1, "steps": r.steps,
                     "waiting_for": r.waiting_for, "due_at": r.due_at.isoformat() if r.due_at else None,
                     "escalations": r.escalations, "total_fen": r.total_fen} for r in rows])
        return
    table = Table(_("Request"), _("Order"), _("Kind"), _("Reason"), _("Waits for"), _("Step"), _("Due"),
                  _("Asked by"), _("Asked at"))
    for r in rows:
        due = local_time(r.due_at, settings) if r.due_at else _("stalled")
        table.add_row(str(r.id), f"{named(PLATFORM_NAMES, r.platform)} {r.platform_order_id}",
                      named(APPROVAL_KIND_NAMES, r.kind), render(r.reason),
                      " / ".join(named(ROLE_NAMES, role) for role in r.waiting_for), f"{r.step + 1}/{r.steps}",
                      due + (" ↑" * r.escalations), r.requested_by, local_time(r.requested_at, settings))
    console.print(table)
    console.print(page_line(offset, len(rows), total))


def _decide(request: int, *, approve: bool, comment: str) -> None:
    from oms_tui.db import retrying_transaction
    from oms_tui.names import APPROVAL_STATUS_NAMES, named
    from oms_tui.services.approvals import decisions

    actor = cli_actor()
    decided = retrying_transaction(open_engine(), lambda session: decisions.decide(
        session, request, actor=actor, approve=approve, comment=comment).status)
    if decided == "pending":  # a co-sign or a step of a longer path: the next signature is someone else's
        typer.echo(_("approval request {request}: signed, waiting for the next signature").format(request=request))
        return
    typer.echo(_("approval request {request}: {status}").format(request=request,
                                                                status=named(APPROVAL_STATUS_NAMES, decided)))


RequestArgument = Annotated[int, typer.Argument(help="the request's number (oms approvals list)", min=1,
                                                max=2**31 - 1)]


@approvals_app.command("approve")
def approvals_approve(request: RequestArgument,
                      comment: Annotated[str, typer.Option(help="why (kept with the decision)")] = "") -> None:
    """Approve a request: its order goes on as its other holds allow."""
    _decide(request, approve=True, comment=comment)


@approvals_app.command("reject")
def approvals_reject(request: RequestArgument,
                     reason: Annotated[str, typer.Option(help="why not (CS reads it in the review queue)")]) -> None:
    """Reject a request: its order goes back to CS review with the reason."""
    _decide(request, approve=False, comment=reason)
