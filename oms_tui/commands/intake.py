"""``oms import``, ``oms sync`` (and ``oms sync status``), ``oms simulate`` and ``oms webhook``: orders
coming in from the platforms.

Registered on the top-level app in cli.py (``sync_app`` as the ``sync`` group: run without a sub-command
it syncs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

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
)
from oms_tui.errors import ValidationError
from oms_tui.limits import INT64_MAX

if TYPE_CHECKING:
    from oms_tui.config import Settings


def import_cmd(
    file: Annotated[str, typer.Argument(help="the platform's order export (.csv or .xlsx)")],
    platform: Annotated[str, typer.Option(help="taobao, jd or pdd")],
    shop: Annotated[str, typer.Option(help="shop name to file the orders under")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would happen, change nothing")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Import a platform's order-export file; importing the same file twice changes nothing."""
    from pathlib import Path

    from oms_tui.services.intake import order_import

    settings = get_settings()
    report = order_import.import_file(open_engine(settings), Path(file), platform, shop=shop, dry_run=dry_run,
                                      warehouse_code=settings.default_warehouse, actor=cli_actor(),
                                      max_rows=settings.import_max_rows)
    if fmt == OutputFormat.json:
        print_json(report.as_dict())
    else:
        from oms_tui.i18n import _

        prefix = _("dry run — nothing saved: ") if dry_run else ""
        typer.echo(prefix + _("{rows} rows, {orders} orders: {new} new, {updated} updated, {unchanged} unchanged, "
                              "{skipped} not paid, {refused} refused").format(
            rows=report.rows, orders=report.orders, new=report.new, updated=report.updated,
            unchanged=report.unchanged, skipped=report.skipped, refused=report.refused))
        for error in report.errors:
            typer.echo(f"  {error}")
    if report.errors:
        raise typer.Exit(1)


def _selected_shops(settings: Settings, shop: str | None, platform: str | None):
    shops = [s for s in settings.shops if (shop is None or s.name == shop) and (platform is None or s.platform == platform)]
    if not settings.shops:
        raise ValidationError("no shops configured: add [[shops]] tables to the OMS_CONFIG file")
    if not shops:
        raise ValidationError(f"no configured shop matches --shop {shop!r} --platform {platform!r}")
    return shops


sync_app = typer.Typer(help="Fetch the orders that changed on the platforms since the last run "
                            "(`oms sync status`: each shop's sync state)")


@sync_app.callback(invoke_without_command=True)
def sync_cmd(
    ctx: typer.Context,
    shop: Annotated[Optional[str], typer.Option(help="only this shop (its name in the config)")] = None,
    platform: Annotated[Optional[str], typer.Option(help="only shops on taobao, jd or pdd")] = None,
    once: Annotated[bool, typer.Option("--once", help="one run, then exit (default: repeat until Ctrl-C)")] = False,
    every: Annotated[float, typer.Option(help="minutes between runs when repeating", min=0.1,
                                                  max=7 * 24 * 60)] = 2.0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fetch the orders that changed on the platforms since the last run; print a summary per shop
    (`oms sync status`: each shop's last run and authorization)."""
    if ctx.invoked_subcommand is not None:
        return
    import time

    from oms_tui.platforms.registry import client_for
    from oms_tui.services.intake import sync

    settings = get_settings()
    engine = open_engine(settings)
    shops = _selected_shops(settings, shop, platform)
    while True:
        summaries = []
        for shop_config in shops:
            with client_for(shop_config, engine=engine) as client:  # the token `oms shop authorize` stored
                summaries.append(sync.sync_shop(engine, shop_config.name, shop_config.platform, client,
                                                warehouse_code=settings.default_warehouse))
        if fmt == OutputFormat.json:
            print_json([s.as_dict() for s in summaries])
        else:
            for summary in summaries:
                typer.echo(str(summary))
                for problem in summary.problems[:10]:
                    typer.echo(f"  {problem}")
        if once:
            if any(not s.ok for s in summaries):
                raise typer.Exit(1)
            return
        time.sleep(every * 60)


def simulate(
    host: Annotated[str, typer.Option(help="listen address (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port", min=0, max=65535)] = 8700,
    rate: Annotated[float, typer.Option(help="new platform events per minute", min=0, max=10_000)] = 6.0,
    orders: Annotated[int, typer.Option(help="orders to generate at start", min=0, max=1_000_000)] = 50,
    seed: Annotated[Optional[int], typer.Option(help="random seed", min=0, max=INT64_MAX)] = None,
) -> None:
    """Serve Taobao, JD and Pinduoduo's order APIs, DingTalk and WeCom robots and Aliyun SMS on loopback, with
    generated orders."""
    import json as json_module
    import random
    import time

    from oms_tui.config import default_data_dir
    from oms_tui.demo.runtime import simulator_state
    from oms_tui.models import utcnow
    from oms_tui.platforms.simulator import run_simulator

    state = simulator_state(default_data_dir(), rate_per_minute=rate, seed=seed)
    state.generate(orders, utcnow(), random.Random(seed), state.sku_codes)
    handle = run_simulator(host, port, state, tick_seconds=5.0)
    typer.echo(f"simulator on {handle.base_url}; add these shops to your OMS_CONFIG file:\n")
    for shop in handle.shop_configs():
        typer.echo("[[shops]]")
        for key, value in shop.as_config().items():  # the simulator's own demo secrets, to copy
            typer.echo(f"{key} = {json_module.dumps(value, ensure_ascii=False)}")
        typer.echo("")
    for platform, urls in handle.oauth_settings().items():  # `oms shop authorize` against the simulator
        typer.echo(f"[oauth.{platform}]")
        for key, value in {**urls, "redirect_uri": "http://127.0.0.1/callback"}.items():
            typer.echo(f"{key} = {json_module.dumps(value)}")
    typer.echo("# Kuaidi100 (e-waybills, tracking; callback_url: where `oms webhook` serves /kuaidi100/push):\n")
    typer.echo("[kuaidi100]")
    kd = handle.kuaidi100_config(callback_url="http://127.0.0.1:8710/kuaidi100/push", salt="sim-salt")
    for key, value in kd.items():  # the simulator's own demo keys
        if key != "accounts":
            typer.echo(f"{key} = {json_module.dumps(value, ensure_ascii=False)}")
    for account in kd["accounts"]:
        typer.echo("[[kuaidi100.accounts]]")
        for key, value in account.items():
            typer.echo(f"{key} = {json_module.dumps(value, ensure_ascii=False)}")
    typer.echo("")
    typer.echo("# and these alert channels (route roles to them in [notify.routes]):\n")
    for table in handle.notify_channels():
        typer.echo("[[notify.channels]]")
        for key, value in table.items():  # the simulator's own demo robots and SMS account
            typer.echo(f"{key} = {json_module.dumps(value, ensure_ascii=False)}")
        typer.echo("")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


def webhook(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port", min=1, max=65535)] = 8710,
) -> None:
    """Receive pushed order notifications (POST /push/SHOP; the scheduler fetches the orders) and Kuaidi100
    tracking pushes (POST /kuaidi100/push, signed with [kuaidi100] salt)."""
    from oms_tui.platforms.webhook_server import serve

    settings = get_settings()
    serve(open_engine(settings), settings.shops, host=host, port=port,
          kuaidi100_salt=settings.kuaidi100.salt.get_secret_value())
