"""`oms bench stock`: the raw baseline writes what the services write (else its ratio flatters the services),
and a tiny run reports both sides with the books balanced."""

import random

from sqlalchemy import text

from oms_tui.bench import stock_intake as bench
from oms_tui.db import make_engine

ORDERS = 30


def _written(engine) -> dict[str, list]:
    """What a lock+ship run leaves, without ids and times (which differ between runs)."""
    with engine.connect() as conn:
        def rows(sql: str) -> list:
            return sorted(tuple(r) for r in conn.execute(text(sql)))

        return {
            "moves": rows("SELECT order_id, sku_id, kind, d_on_hand, d_inbound, d_locked, d_reserved, d_damaged, reason "
                          "FROM stockmove WHERE order_id IS NOT NULL"),
            "audit": rows("SELECT entity_type, entity_id, action, detail FROM auditevent WHERE entity_type = 'order'"),
            "orders": rows('SELECT id, status, waybill, courier, locked_at IS NOT NULL, shipped_at IS NOT NULL '
                           'FROM "order"'),
            "lines": rows("SELECT id, order_id, locked_qty FROM orderline"),
            "levels": rows("SELECT warehouse_id, sku_id, on_hand, inbound, locked, reserved, damaged FROM stocklevel"),
        }


def test_the_raw_baseline_writes_the_same_rows_as_the_services():
    written = []
    for runner in (bench.service_lock_and_ship, bench.raw_lock_and_ship):
        with bench.scratch_database("sqlite", "") as url:
            engine = make_engine(url)
            ids = bench.seed(engine, ORDERS, units_per_sku=ORDERS * 3, rng=random.Random(7))
            runner(engine, ids)
            written.append(_written(engine))
            engine.dispose()
    service, raw = written
    assert service["moves"] and service["audit"]
    for table in service:
        assert raw[table] == service[table], table


def test_a_tiny_lock_and_ship_run_reports_both_sides():
    service, raw = bench.bench_lock_and_ship("sqlite", 40, "", chunk=15)
    assert (service.count, raw.count) == (40, 40)
    assert service.seconds > 0 and raw.seconds > 0
    assert service.statements > 0 and raw.statements > 0
    assert "statements each" in str(service)


def test_on_a_postgresql_server_without_autovacuum_intake_analyzes_as_autovacuum_would(pg_database_url):
    engine = make_engine(pg_database_url)
    try:
        analyze = bench.AutoAnalyze(engine)
        with engine.connect() as conn:
            assert analyze.enabled == (conn.exec_driver_sql("SHOW autovacuum").scalar() == "off")
        analyze.enabled = True  # what it does where it is needed, whatever this server's setting
        for rows, analyzed_at in ((50, 0), (51, 51), (106, 51), (107, 107), (1000, 1000), (1150, 1000), (1151, 1151)):
            analyze.wrote(rows)
            assert analyze.analyzed_at == analyzed_at, rows
        assert analyze.seconds > 0
        sqlite_engine = make_engine("sqlite://")
        assert not bench.AutoAnalyze(sqlite_engine).enabled  # SQLite: statistics are the app's job (schema.py)
        sqlite_engine.dispose()
    finally:
        engine.dispose()


def test_intake_into_a_big_database_takes_turns_with_intake_into_an_empty_one(tmp_path):
    from oms_tui.bench import screens as bench_screens

    url, _built = bench_screens.kept_database("sqlite", 300, "", tmp_path)
    engine = make_engine(url)
    bench_screens.build(engine, 300, rng=random.Random(2))
    engine.dispose()
    results = bench.bench_intake_into("sqlite", 60, "", url, chunk=25)
    assert set(results) == {("services", "empty"), ("raw", "empty"), ("services", "big"), ("raw", "big")}
    assert all(r.count == 60 and r.seconds > 0 and r.statements > 0 for r in results.values())
    assert results["services", "big"].name == "intake into big (services)"
    with make_engine(url).connect() as conn:  # the kept database itself is not written to: copies are
        assert conn.execute(text('SELECT count(*) FROM "order"')).scalar() == 300
