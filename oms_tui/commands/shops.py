"""``oms shop authorize``, ``oms shop list`` and ``oms sync status``: the shops on the platforms, their
authorization and their sync.

A shop's tokens are exchanged and stored by the command, never printed: the platform's consent address is
the only thing `oms shop authorize` prints before it asks for the code.
"""

from __future__ import annotations

from datetime import timezone

import secrets
from typing import Annotated, Optional

import typer

from oms_tui.commands.common import (
    FormatOption,
    OutputFormat,
    cli_actor,
    console,
    get_settings,
    local_time,
    open_engine,
    print_json,
    read_session,
    session_scope,
)
from oms_tui.errors import NotFound

shop_app = typer.Typer(help="Shops on the platforms: their authorization.", no_args_is_help=True)

AUTH_STYLE = {"ok": "green", "config": "", "expiring": "bold yellow", "expired": "bold red", "unauthorized": "red"}


def _shop(settings, name: str):
    from oms_tui.i18n import N_

    shop = next((s for s in settings.shops if s.name == name), None)
    if shop is None:
        raise NotFound(N_("no shop {shop!r} in the configuration (oms shop list names them)"), shop=name)
    return shop


def _views(settings, engine):
    from oms_tui.services.intake import shop_auth

    with read_session(engine) as session:
        return shop_auth.overview(session, settings.shops, alert_days=settings.token_alert_days,
                                  refresh_hours=settings.token_refresh_hours)


@shop_app.command("authorize")
def authorize(
    name: Annotated[str, typer.Argument(help="the shop's name in the config")],
    code: Annotated[Optional[str], typer.Option(
        "--code", help="the code the platform gave (or the whole address it sent you to); asked for if left out")
    ] = None,
) -> None:
    """Authorize a shop on its platform: open the printed address, approve, give the code back."""
    from oms_tui.i18n import _
    from oms_tui.platforms.oauth import code_from, oauth_for
    from oms_tui.services.core.actor import require
    from oms_tui.services.intake import shop_auth

    settings = get_settings()
    shop = _shop(settings, name)
    actor = cli_actor(settings)
    require(actor, "shops.authorize")  # before the owner is sent to the platform, not after
    engine = open_engine(settings)
    with oauth_for(shop, settings.oauth) as flow:
        state = secrets.token_urlsafe(12)
        if code is None:
            typer.echo(_("Open this address, sign in as the shop's owner and approve:"))
            typer.echo(flow.authorize_url(state))
            code = typer.prompt(_("Code (or the whole address the platform sent you to)"), hide_input=True)
            code = code_from(code, expected_state=state)
        else:
            code = code_from(code)
        grant = flow.exchange_code(code)  # the platform call: no transaction is open
    with session_scope(engine) as session:
        shop_auth.store_grant(session, shop=shop.name, platform=shop.platform, grant=grant, actor=actor)
    until = local_time(grant.expires_at, settings) if grant.expires_at else _("no expiry given")
    typer.echo(_("Shop {shop} authorized on {platform}; the token expires {until}.").format(
        shop=shop.name, platform=shop.platform, until=until))


@shop_app.command("list")
def list_cmd(fmt: FormatOption = OutputFormat.table) -> None:
    """Each configured shop: its platform, where its token comes from, and its authorization."""
    from rich.table import Table
    from rich.text import Text

    from oms_tui.i18n import _
    from oms_tui.services.intake import shop_auth

    settings = get_settings()
    views = _views(settings, open_engine(settings))
    if fmt == OutputFormat.json:
        print_json([v.as_dict() for v in views])
        return
    if not views:
        typer.echo(_("No shops configured: add [[shops]] tables to the OMS_CONFIG file."))
        return
    table = Table(_("Shop"), _("Platform"), _("Token"), _("Authorization"), _("Expires"), _("Refreshed"),
                  _("Refresh error"))
    for view in views:
        table.add_row(view.shop, view.platform, view.source,
                      Text(shop_auth.status_text(view, show_date=lambda d: local_time(d, settings)),
                           style=AUTH_STYLE.get(view.status.value, "")),
                      local_time(view.expires_at, settings), local_time(view.refreshed_at, settings),
                      view.refresh_error[:60])
    console.print(table)


def _sync_state(state, settings) -> str:  # noqa: ANN001 - a ShopSync row or None
    """The status cell: a shop the platform rate-limited says until when, in the shop's local time."""
    from zoneinfo import ZoneInfo

    from oms_tui.i18n import _
    from oms_tui.models import utcnow
    from oms_tui.names import rate_limited_until

    if state is None:
        return _("never run")
    paused = state.paused_until
    if paused is not None and (paused if paused.tzinfo else paused.replace(tzinfo=timezone.utc)) > utcnow():
        return rate_limited_until(paused, ZoneInfo(settings.timezone))
    return _(state.last_status)


def sync_status(fmt: FormatOption = OutputFormat.table) -> None:
    """Each shop's last sync run and its authorization."""
    from rich.table import Table
    from rich.text import Text

    from oms_tui.i18n import _
    from oms_tui.phrases import english, render
    from oms_tui.services.intake import shop_auth, sync

    settings = get_settings()
    engine = open_engine(settings)
    views = {v.shop: v for v in _views(settings, engine)}
    with read_session(engine) as session:
        states = {s.shop: s for s in sync.list_shop_states(session)}
    names = [shop.name for shop in settings.shops] + sorted(set(states) - {shop.name for shop in settings.shops})
    rows = []
    for name in names:
        state, view = states.get(name), views.get(name)
        rows.append({
            "shop": name, "platform": (state.platform if state else view.platform if view else ""),
            "status": state.last_status if state else "never",
            "paused_until": (state.paused_until.replace(tzinfo=state.paused_until.tzinfo or timezone.utc).isoformat()
                             if state and state.paused_until else None),
            "runs": state.runs if state else 0,
            "last_finished_at": state.last_finished_at.isoformat() if state and state.last_finished_at else None,
            "last_new": state.last_new if state else 0, "last_updated": state.last_updated if state else 0,
            "errors": state.errors if state else 0, "last_error": english(state.last_error) if state else "",
            "authorization": view.status.value if view else None,
            "authorization_text": shop_auth.status_text(view, translate=lambda m: m) if view else "",
        })
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    table = Table()
    for header, whole in ((_("Shop"), True), (_("Platform"), False), (_("Status"), True), (_("Last run"), False),
                          (_("New"), False), (_("Updated"), False), (_("Errors"), False), (_("Authorization"), True),
                          (_("Last error"), False)):
        table.add_column(header, no_wrap=whole)  # "rate-limited until 14:32" and "expires in 3 days" in one piece
    for row in rows:
        view, state = views.get(row["shop"]), states.get(row["shop"])
        auth = (Text(shop_auth.status_text(view, show_date=lambda d: local_time(d, settings)),
                     style=AUTH_STYLE.get(view.status.value, "")) if view else Text(""))
        table.add_row(row["shop"], row["platform"], _sync_state(state, settings),
                      local_time(state.last_finished_at, settings) if state else "", str(row["last_new"]),
                      str(row["last_updated"]), str(row["errors"]), auth, render(state.last_error)[:80] if state else "")
    console.print(table)
