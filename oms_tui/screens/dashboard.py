"""Dashboard: how the day is going — orders per hour and per day by platform (charts), the backlog by
status and age, exceptions by kind, order→ship time, scan errors, wrong / missed / duplicate shipments
per month, approval turnaround, refused ship notices and each shop's sync.

The figures come from one read model (services/reports/dashboard.py); the screen re-reads it when
anyone commits and once a minute (the daily rollup moves on its own schedule, the hour too)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Label, Static
from textual_plotext import PlotextPlot

from oms_tui.i18n import N_, _
from oms_tui.models import utcnow
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.formatting import (
    HOLD_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    local_time,
    named,
    num,
    plain,
    shop_zone,
)
from oms_tui.services.reports import dashboard
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import KeyedTable

REFRESH_SECONDS = 60.0
SYNC_STYLE = {"ok": "green", "error": "bold red", "running": "yellow", "never": "dim", "paused": "yellow"}
SYNC_TEXT = {"ok": N_("ok"), "error": N_("error"), "running": N_("running"), "never": N_("never run"),
             "paused": N_("paused")}


def hours_text(value: float | None) -> str:
    return "—" if value is None else _("{hours} h").format(hours=f"{value:.1f}")


class DashboardScreen(OmsScreen):
    TITLE_ID = N_("Dashboard")
    CSS_PATH = "dashboard.tcss"
    BINDINGS = [
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.figures: dashboard.Dashboard | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ErrorLine()
        with VerticalScroll(id="dashboard"):
            yield Static(id="summary")
            with Horizontal(classes="charts"):
                yield PlotextPlot(id="per-hour")
                yield PlotextPlot(id="per-day")
            with Horizontal(classes="tables"):
                with VerticalScroll(classes="panel"):
                    yield Label(_("Backlog by status and time since payment"), classes="section-title")
                    yield KeyedTable(id="backlog", zebra_stripes=False)
                with VerticalScroll(classes="panel"):
                    yield Label(_("Exceptions by kind (opened in the last 7 days)"), classes="section-title")
                    yield KeyedTable(id="exceptions", zebra_stripes=False)
            with Horizontal(classes="tables"):
                with VerticalScroll(classes="panel"):
                    yield Label(_("Wrong, missed and duplicate shipments per month"), classes="section-title")
                    yield KeyedTable(id="shipment-errors", zebra_stripes=False)
                with VerticalScroll(classes="panel"):
                    yield Label(_("Shops: sync and ship notices"), classes="section-title")
                    yield KeyedTable(id="shops", zebra_stripes=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#backlog", KeyedTable).set_columns([
            (_("Status"), "status"), (_("< 4 h"), "h4"), (_("4–24 h"), "h24"), (_("1–3 days"), "d3"),
            (_("> 3 days"), "older"), (_("No payment time"), "unpaid")])
        self.query_one("#exceptions", KeyedTable).set_columns([
            (_("Kind"), "kind"), (_("Open now"), "open"), (_("Opened"), "opened"), (_("Per 100 orders"), "ratio")])
        self.query_one("#shipment-errors", KeyedTable).set_columns([
            (_("Month"), "month"), (_("Wrong"), "wrong"), (_("Missed"), "missed"), (_("Duplicate"), "duplicate")])
        self.query_one("#shops", KeyedTable).set_columns([
            (_("Shop"), "shop"), (_("Platform"), "platform"), (_("Sync"), "status"), (_("Last run"), "last_run"),
            (_("Errors"), "errors"), (_("Notices refused"), "refused"), (_("To send"), "waiting"),
            (_("Given up"), "gave_up")])
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        zone = shop_zone(self.oms.settings.timezone)
        actor = self.actor
        now = utcnow()
        self.read(lambda session: dashboard.load(session, actor, zone, now=now), self._show)

    def action_back(self) -> None:
        self.app.pop_screen()

    # drawing -----------------------------------------------------------------------------------

    def _show(self, figures: dashboard.Dashboard) -> None:
        self.figures = figures
        zone = shop_zone(self.oms.settings.timezone)
        self.query_one("#summary", Static).update(self._summary(figures, zone))
        self._charts(figures, zone)
        self.query_one("#backlog", KeyedTable).show_rows([
            TableRow(status, (plain(named(STATUS_NAMES, status)), *(num(n) for n in counts)))
            for status, counts in figures.backlog.items()])
        self.query_one("#exceptions", KeyedTable).show_rows([
            TableRow(row.kind, (plain(named(HOLD_NAMES, row.kind)), num(row.open_now, style="bold" if row.open_now
                                                                          else ""),
                                num(row.opened), plain("—" if row.per_100_orders is None else f"{row.per_100_orders:.2f}")))
            for row in figures.exceptions])
        self.query_one("#shipment-errors", KeyedTable).show_rows([
            TableRow(row.month, (plain(row.month), num(row.wrong, style="red" if row.wrong else ""),
                                 num(row.missed, style="red" if row.missed else ""),
                                 num(row.duplicate, style="red" if row.duplicate else "")))
            for row in figures.shipment_errors])
        notices = {row.shop: row for row in figures.ship_notices}
        rows = []
        for shop in figures.shops:
            notice = notices.pop(shop.shop, None)
            rows.append(TableRow(shop.shop, (
                plain(shop.shop), plain(named(PLATFORM_NAMES, shop.platform)),
                Text(_(SYNC_TEXT.get(shop.status, shop.status)), style=SYNC_STYLE.get(shop.status, "")),
                plain(local_time(shop.last_finished_at, zone)), num(shop.errors, style="red" if shop.errors else ""),
                *self._notice_cells(notice))))
        for shop, notice in notices.items():  # a shop with notices but no sync row (yet)
            rows.append(TableRow(shop, (plain(shop), plain(""), plain(""), plain(""), num(0),
                                        *self._notice_cells(notice))))
        self.query_one("#shops", KeyedTable).show_rows(rows)

    @staticmethod
    def _notice_cells(notice: dashboard.ShipNotices | None) -> tuple[Text, Text, Text]:
        if notice is None:
            return num(0), num(0), num(0)
        return (num(notice.failed, style="bold red" if notice.failed else ""), num(notice.waiting),
                num(notice.gave_up, style="red" if notice.gave_up else ""))

    @staticmethod
    def _summary(figures: dashboard.Dashboard, zone) -> Text:  # noqa: ANN001 - a tzinfo
        ship = figures.ship_time
        rate = figures.scan_error_rate
        approvals = figures.approvals
        lines = [
            _("Order → ship (7 days, {orders} orders): mean {mean}, p50 {p50}, p90 {p90}").format(
                orders=ship.orders, mean=hours_text(ship.mean_hours), p50=hours_text(ship.p50_hours),
                p90=hours_text(ship.p90_hours)),
            _("Scan errors (7 days): {errors} of {scans} scans ({rate})").format(
                errors=figures.scan_errors, scans=figures.scans,
                rate="—" if rate is None else f"{rate:.2%}"),
            _("Approvals: {decided} decided in 30 days, mean {mean}; {pending} waiting{oldest}").format(
                decided=approvals.decided, mean=hours_text(approvals.mean_hours), pending=approvals.pending,
                oldest="" if approvals.oldest_pending_at is None else _(", oldest since {time}").format(
                    time=local_time(approvals.oldest_pending_at, zone))),
            _("Daily figures as of {time}").format(time=local_time(figures.rollup_at, zone) or "—"),
        ]
        return Text("\n".join(lines))

    def _charts(self, figures: dashboard.Dashboard, zone) -> None:  # noqa: ANN001 - a tzinfo
        hour_labels = [moment.astimezone(zone).strftime("%H") for moment in figures.hours]
        day_labels = [day[5:] for day in figures.days]
        for widget_id, title, labels, series in (
                ("#per-hour", _("Orders per hour (24 h)"), hour_labels, figures.orders_per_hour),
                ("#per-day", _("Orders per day (14 days)"), day_labels, figures.orders_per_day)):
            plot = self.query_one(widget_id, PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            positions = list(range(len(labels)))
            for platform, counts in series.items():
                plt.plot(positions, counts, label=named(PLATFORM_NAMES, platform), marker="braille")
            step = max(1, len(labels) // 8)
            plt.xticks(positions[::step], labels[::step])
            plot.refresh()
