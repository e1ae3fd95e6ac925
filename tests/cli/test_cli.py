"""The `oms` command: JSON contracts for scripts, and bad input as one line plus a non-zero exit."""

import json
import os
import subprocess
import sys

import pytest

from oms_tui.db import make_engine
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, allocation, upsert
from oms_tui.services.stock import ledger


def test_init_is_safe_to_repeat(oms, monkeypatch, tmp_path):
    monkeypatch.setenv("OMS_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    assert oms("init")[0] == 0
    assert oms("init")[0] == 0
    code, out, _ = oms("check")
    assert code == 0 and out.startswith("ok")


def test_stock_purchase_receive_and_json(oms, cli_db):
    assert oms("stock", "purchase", "HG-001", "10")[0] == 0
    assert oms("stock", "receive", "6901234567892", "4")[0] == 0  # by barcode, as a gun types it
    code, out, _ = oms("stock", "show", "HG-001", "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert row == {"warehouse": "WH1", "sku": "HG-001", "name": "竹纤维毛巾", "spec": "34x76cm", "bin": "A-01-01",
                   "on_hand": 4, "inbound": 6, "locked": 0, "reserved": 0, "available": 4, "damaged": 0}
    code, out, _ = oms("stock", "show", "--format", "json", "--limit", "2")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = oms("stock", "ledger", "HG-001", "--format", "json")
    assert [m["kind"] for m in json.loads(out)] == ["receive", "purchase"]
    assert oms("check")[0] == 0


def test_sync_status_says_until_when_a_shop_is_rate_limited(oms, cli_db, monkeypatch):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from oms_tui.db import session_scope
    from oms_tui.models import utcnow
    from oms_tui.services.intake import sync

    until = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=30)
    engine = make_engine(cli_db)
    with session_scope(engine) as s:
        banned = sync.shop_state(s, "天猫旗舰店", "taobao")
        banned.last_status, banned.paused_until, banned.last_error = "paused", until, "taobao: rate limited (code 7)"
        fine = sync.shop_state(s, "拼多多店", "pdd")
        fine.last_status, fine.runs = "ok", 3
    engine.dispose()
    monkeypatch.setenv("OMS_TIMEZONE", "Asia/Shanghai")
    code, out, _ = oms("sync", "status")
    local = until.astimezone(ZoneInfo("Asia/Shanghai"))
    shown = local.strftime("%H:%M" if local.date() == datetime.now(local.tzinfo).date() else "%Y-%m-%d %H:%M")
    assert code == 0 and f"rate-limited until {shown}" in out and "拼多多店" in out
    code, out, _ = oms("sync", "status", "--format", "json")
    rows = {row["shop"]: row for row in json.loads(out)}
    assert code == 0 and rows["天猫旗舰店"]["status"] == "paused"
    assert datetime.fromisoformat(rows["天猫旗舰店"]["paused_until"]) == until
    assert rows["拼多多店"]["paused_until"] is None and rows["拼多多店"]["runs"] == 3


def test_adjust_with_reason(oms, cli_db):
    oms("stock", "purchase", "HG-001", "5")
    oms("stock", "receive", "HG-001", "5")
    code, out, _ = oms("stock", "adjust", "HG-001", "--counted", "3", "--reason", "cycle count")
    assert code == 0 and "-2" in out
    code, _, err = oms("stock", "adjust", "HG-001", "--counted", "3", "--delta", "1", "--reason", "x")
    assert code == 1 and "either" in err


@pytest.mark.parametrize("args, message", [
    (("stock", "purchase", "NO-SUCH", "3"), "unknown SKU or barcode 'NO-SUCH'"),
    (("stock", "purchase", "HG-001", "--", "-3"), "must be positive"),
    (("stock", "purchase", "HG-001", "-5"), "quantity must be positive, got -5"),  # a number, not an option
    (("stock", "receive", "HG-001", "-5"), "quantity must be positive, got -5"),
    (("stock", "purchase", "HG-001", "0"), "must be positive"),
    (("stock", "receive", "HG-001", "1"), "only 0 inbound"),
    (("orders", "show", "NOPE"), "no order 'NOPE'"),
    (("orders", "list", "--status", "lost"), "unknown status 'lost'"),
    (("orders", "list", "--since", "yesterday"), "--since wants YYYY-MM-DD"),
    (("user", "add", "x", "--roles", "cs", "--pin", "12"), "4 to 8 digits"),
])
def test_bad_input_is_one_line_and_exit_1(oms, cli_db, args, message):
    code, out, err = oms(*args)
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_database_url_is_a_clear_error(oms, monkeypatch):
    monkeypatch.setenv("OMS_DATABASE_URL", "mysql://nobody@localhost/x")
    code, _, err = oms("check")
    assert code == 1 and "unsupported database 'mysql'" in err
    monkeypatch.setenv("OMS_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    code, _, err = oms("orders", "list")
    assert code == 1 and "cannot reach the database" in err


def test_uninitialised_database_says_run_init(oms, monkeypatch, tmp_path):
    monkeypatch.setenv("OMS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, _, err = oms("stock", "show")
    assert code == 1 and "run `oms init`" in err


def test_orders_list_json_filters_and_pages(no_duplicate_check, oms, cli_db):
    from oms_tui.db import session_scope
    from oms_tui.services.catalogue import skus as catalogue
    from tests.helpers.shop import normalized

    engine = make_engine(cli_db)
    with session_scope(engine) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        ledger.purchase(s, wh, sku, 3, actor=Actor.system("t"))
        allocation.receive_stock(s, wh, sku, 3, actor=Actor.system("t"))
        for i, platform in enumerate(["taobao", "jd", "pdd", "taobao"]):
            upsert.upsert_order(s, normalized(f"O{i}", {"HG-001": 1}, platform=platform, paid_minutes_ago=50 - i),
                                warehouse=wh)
    engine.dispose()
    code, out, _ = oms("orders", "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["platform_order_id"] for r in rows] == ["O3", "O2", "O1", "O0"]
    assert rows[0]["status"] == "short" and rows[0]["holds"][0]["kind"] == "stock_short"
    assert rows[1]["lines"] == [{"sku": "HG-001", "title": "", "qty": 1, "price_fen": 1990, "locked_qty": 1}]
    code, out, _ = oms("orders", "list", "--platform", "taobao", "--format", "json", "--limit", "1", "--offset", "1")
    assert [r["platform_order_id"] for r in json.loads(out)] == ["O0"]
    code, out, _ = oms("orders", "list", "--status", "short", "--since", "1d", "--format", "json")
    assert [r["platform_order_id"] for r in json.loads(out)] == ["O3"]
    code, out, _ = oms("orders", "show", "O1", "--format", "json")
    detail = json.loads(out)
    assert detail["history"][0]["action"] == "order.create" and detail["status"] == "ready"
    code, out, _ = oms("orders", "cancel", "O1", "--reason", "buyer asked")
    assert code == 0
    code, out, _ = oms("orders", "list", "--status", "ready", "--format", "json")
    assert [r["platform_order_id"] for r in json.loads(out)] == ["O3", "O2", "O0"]  # O3 took the freed unit
    assert oms("check")[0] == 0


def test_orders_show_is_the_listing_plus_every_hold_and_the_history(oms, cli_db):
    from oms_tui.db import session_scope
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.orders import holds, queries
    from tests.helpers.shop import normalized

    engine = make_engine(cli_db)
    with session_scope(engine) as s:
        upsert.upsert_order(s, normalized("S1", {"HG-001": 2}, buyer_remark="请发顺丰"),
                            warehouse=catalogue.get_warehouse(s, "WH1"))
        order = queries.find_order(s, "taobao", "S1")
        remark = next(h for h in holds.open_holds(s, order.id) if h.kind == "buyer_remark")
        holds.resolve(s, remark, user="zhang", resolution="已备注顺丰")
    engine.dispose()
    code, out, _ = oms("orders", "show", "S1", "--format", "json")
    shown = json.loads(out)
    (listed,) = json.loads(oms("orders", "list", "--format", "json")[1])
    assert code == 0 and {k: v for k, v in shown.items() if k not in ("all_holds", "history")} == listed
    assert [(h["kind"], h["resolution"]) for h in shown["all_holds"]] == [("buyer_remark", "已备注顺丰"),
                                                                          ("stock_short", None)]
    assert shown["history"][0]["action"] == "order.create" and shown["history"][-1]["action"] == "hold.resolve"
    code, out, _ = oms("orders", "show", str(shown["id"]))
    assert code == 0 and "Taobao/Tmall S1" in out and "buyer remark: 请发顺丰" in out and "已备注顺丰" in out
    assert "open" in out and "stock short" in out and "hold resolved" in out


def test_user_add_and_list(oms, cli_db):
    assert oms("user", "add", "wh1", "--roles", "warehouse,warehouse_lead", "--pin", "2468")[0] == 0
    code, out, _ = oms("user", "list", "--format", "json")
    assert json.loads(out) == [{"name": "wh1", "display_name": "wh1", "roles": ["warehouse", "warehouse_lead"],
                                "active": True, "locked": False, "ssh_keys": 0}]
    code, _, err = oms("user", "add", "wh1", "--roles", "cs", "--pin", "1111")
    assert code == 1 and "already exists" in err


def test_check_exits_1_and_prints_each_violation(oms, cli_db):
    from sqlalchemy import text

    engine = make_engine(cli_db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stocklevel SET on_hand = 7"))
    engine.dispose()
    code, out, err = oms("check")
    assert code == 1 and out.count("ledger:") == 3 and "3 violation(s)" in err


def test_check_exits_1_on_an_order_the_stock_contradicts(oms, cli_db):
    """A cancelled order that still has a waybill and a pending platform ship notice (what a cancel racing a
    ship used to leave): the stock buckets balance, yet `oms check` says what is wrong and exits 1."""
    from sqlalchemy import text

    assert oms("stock", "purchase", "HG-001", "5")[0] == 0
    assert oms("stock", "receive", "HG-001", "5")[0] == 0
    engine = make_engine(cli_db)
    from oms_tui.db import session_scope
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.core import outbox
    from tests.helpers.shop import normalized

    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        order = upsert.upsert_order(s, normalized("RACE1", {"HG-001": 1}), warehouse=wh).order
        outbox.enqueue(s, "platform_ship", channel="taobao", order_id=order.id, payload={"platform_order_id": order.platform_order_id,
                                                                                        "waybill": "YT1234567890123", "courier": "yuantong"})
    assert oms("orders", "cancel", "RACE1", "--reason", "buyer asked")[0] == 0
    with engine.begin() as conn:
        conn.execute(text("UPDATE \"order\" SET waybill = 'YT1234567890123'"))
    engine.dispose()
    code, out, err = oms("check")
    assert code == 1 and "2 violation(s)" in err
    assert "cancelled: -/-: cancelled order RACE1 has waybill YT1234567890123" in out
    assert "ship-notice: -/-: cancelled order RACE1 has a pending platform ship notice" in out


def test_console_script_errors_have_no_traceback(tmp_path):
    """The installed entry point, in a real process: usage errors exit 2, domain errors exit 1."""
    env = dict(os.environ, OMS_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    env.pop("OMS_CONFIG", None)
    cmd = [sys.executable, "-m", "oms_tui.cli"]
    bad_usage = subprocess.run(cmd + ["orders", "list", "--limit", "0"], env=env, capture_output=True, text=True,
                               timeout=60)
    assert bad_usage.returncode == 2 and "Traceback" not in bad_usage.stderr
    uninit = subprocess.run(cmd + ["check"], env=env, capture_output=True, text=True, timeout=60)
    assert uninit.returncode == 1 and uninit.stderr.startswith("oms: error:") and "Traceback" not in uninit.stderr
    missing_config = subprocess.run(cmd + ["check"], env=dict(env, OMS_CONFIG=str(tmp_path / "none.toml")),
                                    capture_output=True, text=True, timeout=60)
    assert missing_config.returncode == 1 and "config file not found" in missing_config.stderr


def test_import_reports_row_errors_and_exits_1(oms, cli_db, tmp_path):
    from tests.helpers.order_import import taobao_row, write_csv

    oms("stock", "purchase", "HG-001", "5")
    oms("stock", "receive", "HG-001", "5")
    path = write_csv(tmp_path / "t.csv", [taobao_row("9001", "HG-001", 1), taobao_row("9002", "HG-001", 0)])
    code, out, _ = oms("import", str(path), "--platform", "taobao", "--dry-run")
    assert code == 1 and "dry run" in out and "1 new" in out and "row 3, 购买数量" in out
    code, out, _ = oms("orders", "list", "--format", "json")
    assert json.loads(out) == []
    code, out, _ = oms("import", str(path), "--platform", "taobao", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["new"] == 1 and report["errors"][0]["row"] == 3


def test_orders_lookup_by_phone_order_and_waybill(oms, cli_db):
    from oms_tui.db import session_scope
    from oms_tui.services.catalogue import skus as catalogue
    from tests.helpers.shop import normalized

    engine = make_engine(cli_db)
    with session_scope(engine) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        ledger.purchase(s, wh, sku, 3, actor=Actor.system("t"))
        allocation.receive_stock(s, wh, sku, 3, actor=Actor.system("t"))
        first = upsert.upsert_order(s, normalized("L1", {"HG-001": 1}, receiver_phone="+86 139-1234-5678"),
                                    warehouse=wh).order
        actions.start_picking(s, first, user="w")
        actions.mark_packed(s, first, user="w")
        actions.ship(s, first, waybill="SF1234567890123", courier="shunfeng", user="w")
        # A week later the same buyer orders again on JD: a repeat customer, not a duplicate.
        upsert.upsert_order(s, normalized("L2", {"MB-001": 1}, platform="jd", receiver_phone="13912345678",
                                          paid_minutes_ago=5), warehouse=wh)
    engine.dispose()
    for query in ("13912345678", "L2", "SF1234567890123"):
        code, out, _ = oms("orders", "lookup", query, "--format", "json")
        found = json.loads(out)
        assert code == 0 and {o["platform_order_id"] for o in found["orders"]} == {"L1", "L2"}, query
    shipped = next(o for o in found["orders"] if o["platform_order_id"] == "L1")
    assert (shipped["status"], shipped["waybill"], shipped["courier"]) == ("shipped", "SF1234567890123", "shunfeng")
    code, out, _ = oms("orders", "lookup", "13000000000", "--format", "json")
    assert code == 1 and json.loads(out)["found"] is False


def test_init_demo_loads_once_and_the_books_balance(oms, monkeypatch, tmp_path):
    monkeypatch.setenv("OMS_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    code, out, _ = oms("init", "--demo", "--orders", "12")
    assert code == 0 and "demo loaded" in out
    code, out, _ = oms("orders", "list", "--format", "json", "--limit", "100")
    assert len(json.loads(out)) == 12
    assert oms("check")[0] == 0
    code, _, err = oms("init", "--demo", "--orders", "12")
    assert code == 1 and "already loaded" in err
    assert len(json.loads(oms("orders", "list", "--format", "json", "--limit", "100")[1])) == 12


def test_tui_with_an_unknown_user_is_refused_before_the_screen_opens(oms, cli_db, monkeypatch):
    import oms_tui.app

    def must_not_open(*args, **kwargs):
        raise AssertionError("the TUI opened for an unknown user")

    monkeypatch.setattr(oms_tui.app, "run_tui", must_not_open)
    code, _, err = oms("tui", "--user", "ghost")
    assert code == 1 and "unknown user 'ghost'" in err


# --- secrets stay out of the one-line errors -----------------------------------------------------

APP_SECRET = "AppSecret-cli-4411"
SESSION = "Session-cli-8823"
DB_PASSWORD = "Passw0rd-cli"  # of a database or a relay URL


def _shop_config(path, port: int, **changes: str):
    # A relay's credentials in the URL, as some shops reach a platform through an authenticating proxy.
    fields = {"name": '"tb-main"', "platform": '"taobao"',
              "base_url": f'"http://relay:{DB_PASSWORD}@127.0.0.1:{port}/router/rest?token={SESSION}"',
              "app_key": '"k1"', "app_secret": f'"{APP_SECRET}"', "session": f'"{SESSION}"', **changes}
    path.write_text("[[shops]]\n" + "\n".join(f"{k} = {v}" for k, v in fields.items()) + "\n", encoding="utf-8")
    return path


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in (APP_SECRET, SESSION, DB_PASSWORD):
            assert secret not in text, f"{secret!r} leaked into: {text}"


def test_bad_config_file_error_is_one_line_without_the_secret(oms, monkeypatch, tmp_path):
    monkeypatch.setenv("OMS_CONFIG", str(_shop_config(tmp_path / "oms.toml", 1, platform='"ebay"')))
    code, out, err = oms("check")
    assert code == 1 and err.startswith("oms: error: bad configuration") and "shops.0.platform" in err
    assert err.count("\n") == 1
    _assert_clean(out, err)


def test_config_error_speaks_the_configured_language(oms, monkeypatch, tmp_path):
    from oms_tui.i18n import setup_language

    monkeypatch.setenv("OMS_CONFIG", str(_shop_config(tmp_path / "oms.toml", 1, platform='"ebay"')))
    monkeypatch.setenv("OMS_LANGUAGE", "zh_CN")
    try:
        code, _, err = oms("check")
    finally:
        setup_language("en")  # the language is process-wide: later tests expect English
    assert code == 1 and err.startswith("oms：错误：配置有误：") and "shops.0.platform" in err
    _assert_clean(err)


def test_failed_sync_to_a_closed_port_prints_no_secret(oms, cli_db, monkeypatch, tmp_path, caplog):
    import socket

    from oms_tui.platforms import RetryPolicy, registry

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OMS_CONFIG", str(_shop_config(tmp_path / "oms.toml", port)))
    real_client_for = registry.client_for
    monkeypatch.setattr(registry, "client_for", lambda shop, **kw: real_client_for(shop, retry=RetryPolicy.no_wait()))
    code, out, err = oms("sync", "--once")
    assert code == 1 and "cannot reach http://relay:***@127.0.0.1" in out
    _assert_clean(out, err, caplog.text)


@pytest.mark.parametrize("url", [
    f"postgresql//oms:{DB_PASSWORD}@127.0.0.1/none",  # a colon missing: not a URL at all
    f"postgresql://oms:{DB_PASSWORD}@127.0.0.1:port/none",  # a port that is not a number
])
def test_bad_database_url_error_masks_its_password(oms, monkeypatch, url):
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    monkeypatch.setenv("OMS_DATABASE_URL", url)
    code, _, err = oms("check")
    assert code == 1 and err.startswith("oms: error: bad database URL") and err.count("\n") == 1
    assert "oms:***@127.0.0.1" in err
    _assert_clean(err)


def test_import_over_the_configured_row_cap_is_one_line_and_imports_nothing(oms, cli_db, monkeypatch, tmp_path):
    from tests.helpers.order_import import taobao_row, write_csv

    monkeypatch.setenv("OMS_IMPORT_MAX_ROWS", "3")
    path = write_csv(tmp_path / "t.csv", [taobao_row(str(9100 + n), "HG-001", 1) for n in range(4)])
    code, _, err = oms("import", str(path), "--platform", "taobao")
    assert code == 1 and "t.csv has more than 3 order rows: nothing was imported" in err and err.count("\n") == 1
    code, out, _ = oms("orders", "list", "--format", "json")
    assert json.loads(out) == []


def test_jobs_and_scheduler_list_show_the_jobs_table(oms, cli_db, monkeypatch):
    from oms_tui.commands.common import console
    from oms_tui.config import load_settings
    from oms_tui.scheduler import job_specs
    from oms_tui.services.core import jobs

    code, out, _ = oms("jobs")
    assert code == 0 and "No jobs yet" in out
    engine = make_engine(cli_db)
    jobs.sync_specs(engine, job_specs(load_settings(database_url=cli_db)))
    assert jobs.claim(engine, "webhook", holder="host:1")
    jobs.finish(engine, "webhook", error="taobao shop 'x': code 7 app call limited")
    engine.dispose()
    code, out, _ = oms("jobs", "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert set(rows) >= {"webhook", "outbox:alert", "outbox:platform_ship", "lock-expiry", "reservation-expiry"}
    assert {k: rows["webhook"][k] for k in ("kind", "interval_seconds", "enabled", "last_status", "last_error",
                                            "run_by")} == {
        "kind": "webhook_fetch", "interval_seconds": 15.0, "enabled": True, "last_status": "error",
        "last_error": "taobao shop 'x': code 7 app call limited", "run_by": "host:1"}
    monkeypatch.setattr(console, "width", 200)  # the whole error on one line
    code, out, _ = oms("scheduler", "--list")
    assert code == 0 and "webhook" in out and "code 7 app call limited" in out and "10 min" in out
