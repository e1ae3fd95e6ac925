"""Every bad input to `oms` is one line on stderr and exit 1 (refused by a service) or 2 (refused by the
command line's own bounds), never a traceback, and it changes nothing."""

from __future__ import annotations

import json

import pytest

from oms_tui.db import make_engine, session_scope
from tests.helpers.shop import normalized, seed_catalogue

HUGE = str(2**63)  # one past the largest signed 64-bit number
HUGER = str(10**30)


def open_shop(monkeypatch, db_url: str) -> str:
    """The conftest catalogue and one order (our id 1) in the database OMS_DATABASE_URL names."""
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.orders import upsert

    monkeypatch.setenv("OMS_DATABASE_URL", db_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    monkeypatch.delenv("OMS_CLI_USER", raising=False)
    engine = make_engine(db_url)
    seed_catalogue(engine)
    with session_scope(engine) as s:
        upsert.upsert_order(s, normalized("T100", {"HG-001": 1}), warehouse=catalogue.get_warehouse(s, "WH1"))
    engine.dispose()
    return db_url


@pytest.fixture
def shop(monkeypatch, db_url):
    """``open_shop`` on SQLite and on PostgreSQL: for inputs a service refuses."""
    return open_shop(monkeypatch, db_url)


@pytest.fixture
def sqlite_shop(monkeypatch, sqlite_url):
    """``open_shop`` on SQLite: the command line refuses these before any database is opened."""
    return open_shop(monkeypatch, sqlite_url)


BAD_INPUT = [
    # days that are not days of the shop, or whose start is no UTC instant
    (("orders", "list", "--since", "0001-01-01"), 1, "--since must be between 1970-01-01 and 9999-12-30"),
    (("orders", "list", "--since", "9999-12-31"), 1, "--since must be between"),
    (("orders", "list", "--since", "99999999d"), 1, "--since 99999999d: at most"),
    (("orders", "list", "--since", "²d"), 1, "--since wants YYYY-MM-DD"),
    (("orders", "list", "--since", "７d"), 1, "--since wants YYYY-MM-DD"),
    # references that are not our ids: superscripts, full-width digits, numbers past any key
    (("orders", "show", "²"), 1, "no order '²'"),
    (("orders", "show", "１"), 1, "no order '１'"),  # order 1 exists: full-width is not its id
    (("orders", "show", HUGE), 1, f"no order '{HUGE}'"),
    (("orders", "cancel", HUGER, "--reason", "x"), 1, f"no order '{HUGER}'"),
    # quantities past the bound and numbers past 2**63 in every numeric option or argument
    (("stock", "purchase", "HG-001", "1000000001"), 2, "Invalid value for 'qty'"),
    (("stock", "purchase", "HG-001", HUGE), 2, "Invalid value for 'qty'"),
    (("stock", "receive", "HG-001", HUGER), 2, "Invalid value for 'qty'"),
    (("stock", "adjust", "HG-001", "--delta", str(2**63 - 1), "--reason", "x"), 2, "Invalid value for '--delta'"),
    (("stock", "adjust", "HG-001", "--delta", "-" + HUGE, "--reason", "x"), 2, "Invalid value for '--delta'"),
    (("stock", "adjust", "HG-001", "--counted", "1000000001", "--reason", "x"), 2, "Invalid value for '--counted'"),
    (("stock", "show", "--offset", HUGE), 2, "Invalid value for '--offset'"),
    (("stock", "ledger", "HG-001", "--limit", HUGE), 2, "Invalid value for '--limit'"),
    (("orders", "list", "--offset", HUGER), 2, "Invalid value for '--offset'"),
    (("orders", "list", "--limit", HUGE), 2, "Invalid value for '--limit'"),
    (("print", "jobs", "--offset", HUGE), 2, "Invalid value for '--offset'"),
    (("print", "reprint", HUGE), 2, "Invalid value for 'job'"),
    (("print", "retry", "--job", HUGE), 2, "Invalid value for '--job'"),
    (("init", "--demo", "--orders", HUGE), 2, "Invalid value for '--orders'"),
    (("init", "--seed", HUGE), 2, "Invalid value for '--seed'"),
    (("demo", "--orders", HUGE), 2, "Invalid value for '--orders'"),
    (("simulate", "--orders", HUGE), 2, "Invalid value for '--orders'"),
    (("simulate", "--seed", HUGER), 2, "Invalid value for '--seed'"),
    (("simulate", "--port", HUGE), 2, "Invalid value for '--port'"),
    (("simulate", "--rate", "1e400"), 2, "Invalid value for '--rate'"),
    (("sync", "--every", "1e400"), 2, "Invalid value for '--every'"),
    (("bench", "--orders", HUGE), 2, "Invalid value for '--orders'"),
    (("bench", "--workers", HUGE), 2, "Invalid value for '--workers'"),
    # names the shop does not have: an error naming the ones it has, not an empty table
    (("orders", "list", "--platform", "foo"), 1, "unknown platform 'foo'; one of: taobao, jd, pdd"),
    (("stock", "show", "--warehouse", "NOPE"), 1, "unknown warehouse 'NOPE'; known: WH1"),
    (("stock", "ledger", "HG-001", "--warehouse", "NOPE"), 1, "unknown warehouse 'NOPE'; known: WH1"),
    (("stock", "purchase", "HG-001", "1", "--warehouse", "NOPE"), 1, "unknown warehouse 'NOPE'; known: WH1"),
    (("user", "unlock", "ghost"), 1, "unknown user 'ghost'"),
    # '%' and '_' are themselves in a search, not wildcards that match every SKU
    (("stock", "show", "%"), 1, "no SKU matches '%'"),
    (("stock", "show", "HG_001"), 1, "no SKU matches 'HG_001'"),
]


def _cases(code: int) -> list:
    return [pytest.param(args, message, id=" ".join(args)) for args, got, message in BAD_INPUT if got == code]


@pytest.mark.parametrize("args, message", _cases(1))
def test_input_a_service_refuses_is_one_line_exit_1_and_changes_nothing(oms, shop, args, message):
    assert_refused(oms, args, 1, message)


@pytest.mark.parametrize("args, message", _cases(2))
def test_input_out_of_the_options_bounds_is_one_line_exit_2_and_changes_nothing(oms, sqlite_shop, args, message):
    assert_refused(oms, args, 2, message)


def assert_refused(oms, args, code, message) -> None:
    before = oms("stock", "ledger", "HG-001", "--format", "json")[1], oms("orders", "show", "T100", "--format",
                                                                           "json")[1]
    got, out, err = oms(*args)
    assert (got, err.count("\n")) == (code, 1), err
    assert err.startswith("oms: error: ") and message in err and "Traceback" not in err
    assert out == ""
    after = oms("stock", "ledger", "HG-001", "--format", "json")[1], oms("orders", "show", "T100", "--format", "json")[1]
    assert after == before and json.loads(after[0]) == []


def test_the_bounds_themselves_are_accepted(oms, shop):
    """The edge of each bound is still a valid input: the refusals above are not of everything big."""
    assert oms("stock", "purchase", "HG-001", "1000000000")[0] == 0
    code, out, _ = oms("stock", "adjust", "HG-001", "--counted", "1000000000", "--reason", "count")
    assert code == 0 and "+1000000000" in out
    code, out, _ = oms("orders", "list", "--offset", str(2**63 - 1), "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = oms("orders", "list", "--since", "1970-01-01", "--format", "json")
    assert code == 0 and [o["platform_order_id"] for o in json.loads(out)] == ["T100"]
    code, out, _ = oms("orders", "show", "1", "--format", "json")  # ASCII digits are our id
    assert code == 0 and json.loads(out)["platform_order_id"] == "T100"
    assert oms("check")[0] == 0
