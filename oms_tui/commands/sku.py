"""``oms sku …``: platform SKU mapping (商品对应) and bundles from the command line.

    oms sku unmapped [--shop NAME] [--format json]     the platform SKUs holding orders
    oms sku map SHOP "HG-001*3" --sku-id 7000011        map one (a bundle: "HG-001*2, MB-001"); held orders go on
    oms sku pull [--shop NAME]                          pull the shops' items for the suggestions now
    oms sku purchasing SKU [--safety-stock N] [--supplier CODE]   what the purchase suggestions use
    oms sku supplier CODE [--lead-days N] [--email ADDR]          a supplier's lead time and mail address
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from oms_tui.commands.common import FormatOption, OutputFormat, cli_actor, get_settings, open_engine, print_json
from oms_tui.i18n import N_
from oms_tui.limits import MAX_QUANTITY

sku_app = typer.Typer(help="platform SKU mapping (商品对应) and bundles; SKUs' and suppliers' purchasing settings",
                      no_args_is_help=True)


@sku_app.command("unmapped")
def sku_unmapped(shop: Annotated[Optional[str], typer.Option(help="only this shop")] = None,
                 fmt: FormatOption = OutputFormat.table) -> None:
    """The platform SKUs that hold orders because no SKU of ours matches them."""
    from oms_tui.commands.common import read_session
    from oms_tui.services.orders import unmapped

    with read_session(open_engine()) as session:
        rows = unmapped.unmapped_skus(session, shop=shop)
    if fmt == OutputFormat.json:
        print_json([{"shop": r.shop, "platform": r.platform, "platform_item_id": r.platform_item_id,
                     "platform_sku_id": r.platform_sku_id, "code": r.code, "title": r.title, "orders": r.orders,
                     "units": r.units, "oldest": r.oldest.isoformat()} for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.shop}\t{r.platform}\titem {r.platform_item_id or '-'}\tsku {r.platform_sku_id or '-'}\t"
                   f"{r.code}\t{r.title}\t{r.orders} orders, {r.units} units")


@sku_app.command("map")
def sku_map(
    shop: Annotated[str, typer.Argument(help="the shop (its name in the config)")],
    components: Annotated[str, typer.Argument(help='our SKUs with quantities: "HG-001", "HG-001*3, MB-001"')],
    sku_id: Annotated[str, typer.Option("--sku-id", help="the platform's SKU id")] = "",
    item_id: Annotated[str, typer.Option("--item-id", help="the platform's item id (an item without SKUs)")] = "",
    code: Annotated[str, typer.Option("--code", help="the merchant's code, for lines without platform ids")] = "",
    platform: Annotated[Optional[str], typer.Option(help="taobao, jd or pdd (default: the shop's)")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Map a platform SKU to our SKU or bundle; every order held for it goes on at once."""
    from oms_tui.db import retrying_transaction
    from oms_tui.errors import ValidationError
    from oms_tui.services.catalogue import sku_mapping
    from oms_tui.services.orders import unmapped

    settings = get_settings()
    configured = next((s for s in settings.shops if s.name == shop), None)
    platform = platform or (configured.platform if configured else None)
    if not platform:
        raise ValidationError(N_("shop {shop!r} is not configured: say --platform"), shop=shop)
    parts = sku_mapping.parse_components(components)
    actor = cli_actor(settings)
    outcome = retrying_transaction(open_engine(settings), lambda session: unmapped.map_platform_sku(
        session, shop=shop, platform=platform, platform_item_id=item_id, platform_sku_id=sku_id, components=parts,
        outer_code=code, actor=actor))
    rerun = outcome.rerun
    if fmt == OutputFormat.json:
        print_json({"mapping_id": outcome.mapping_id, "components": outcome.components, "released": rerun.released,
                    "ready": rerun.ready, "short": rerun.short})
        return
    typer.echo(f"mapped to {outcome.components}: {len(rerun.released)} orders released "
               f"({len(rerun.ready)} ready, {len(rerun.short)} short)")


@sku_app.command("pull")
def sku_pull(shop: Annotated[Optional[str], typer.Option(help="only this shop")] = None) -> None:
    """Pull the shops' items and SKUs from the platforms (the scheduler does it every few hours)."""
    from oms_tui.errors import ValidationError
    from oms_tui.platforms.registry import client_for
    from oms_tui.services.intake import platform_items

    settings = get_settings()
    shops = [s for s in settings.shops if shop is None or s.name == shop]
    if not shops:
        raise ValidationError(N_("no configured shop matches {shop!r}"), shop=shop or "")
    engine = open_engine(settings)
    for config in shops:
        with client_for(config) as client:
            typer.echo(str(platform_items.pull_items(engine, config.name, config.platform, client)))


@sku_app.command("purchasing")
def sku_purchasing(
    sku: Annotated[str, typer.Argument(help="our SKU code or a barcode")],
    safety_stock: Annotated[Optional[int], typer.Option(help="units kept beyond the lead time's sales", min=0,
                                                        max=MAX_QUANTITY)] = None,
    supplier: Annotated[Optional[str], typer.Option(help="the supplier's code")] = None,
) -> None:
    """Set a SKU's safety stock or supplier (what the purchase suggestions use)."""
    from oms_tui.commands.common import session_scope
    from oms_tui.services.catalogue import skus as catalogue

    with session_scope(open_engine()) as session:
        item = catalogue.set_sku_purchasing(session, cli_actor(), sku, safety_stock=safety_stock,
                                            supplier_code=supplier)
        typer.echo(f"{item.code}: safety stock {item.safety_stock}" + (f", supplier {supplier}" if supplier else ""))


@sku_app.command("supplier")
def sku_supplier(
    code: Annotated[str, typer.Argument(help="the supplier's code")],
    lead_days: Annotated[Optional[int], typer.Option(help="days from ordering to goods in the warehouse", min=0,
                                                     max=365)] = None,
    email: Annotated[Optional[str], typer.Option(help="where the weekly order mail goes ('' for none)")] = None,
) -> None:
    """Set a supplier's lead time or e-mail address."""
    from oms_tui.commands.common import session_scope
    from oms_tui.services.catalogue import skus as catalogue

    with session_scope(open_engine()) as session:
        supplier = catalogue.set_supplier(session, cli_actor(), code, lead_days=lead_days, email=email)
        typer.echo(f"{supplier.code}: lead {supplier.lead_days} days, e-mail {supplier.email or '-'}")
