"""take_order on SQLite and PostgreSQL: the order it makes persistent from one Core read must be what a
query would have loaded — every column, in the session's identity map, unmodified, tracked by the unit
of work — and asked again in the same transaction it is the same object, read no more."""

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from oms_tui.bench.stock_intake import counting_statements
from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound
from oms_tui.models import Order
from oms_tui.services.orders import lifecycle
from tests.helpers.shop import ingest, stock_up


def test_take_order_loads_the_order_as_a_query_would_and_tracks_it(seeded):
    stock_up(seeded, "HG-001", 10)
    order_id = ingest(seeded, "TK-1", {"HG-001": 2}).id
    with read_session(seeded) as s:
        queried = s.exec(select(Order).where(Order.id == order_id)).one()
        expected = {column.key: getattr(queried, column.key) for column in inspect(Order).column_attrs}
    with session_scope(seeded) as s:
        order = lifecycle.take_order(s, order_id)
        assert {key: getattr(order, key) for key in expected} == expected
        state = inspect(order)
        assert state.persistent and not state.modified and order in s and order not in s.dirty
        with counting_statements(seeded) as sent:
            assert lifecycle.take_order(s, order_id) is order  # this transaction holds the row already
        assert sent[0] == 0
        order.seller_memo = "走顺丰"  # a change through the ORM is flushed as for any loaded order
    with read_session(seeded) as s:
        assert s.get(Order, order_id).seller_memo == "走顺丰"


def test_take_order_of_an_unknown_id_is_not_found(seeded):
    with session_scope(seeded) as s, pytest.raises(NotFound):
        lifecycle.take_order(s, 987654)


def test_take_order_works_as_the_first_orm_action_of_a_fresh_process(seeded):
    """No query has configured the mappers in a new process (a lock worker, a CLI command): take_order
    must not depend on one having run first."""
    stock_up(seeded, "HG-001", 10)
    order_id = ingest(seeded, "TK-2", {"HG-001": 1}).id
    script = textwrap.dedent(f"""
        from oms_tui.db import make_engine, session_scope
        from oms_tui.services.orders import lifecycle
        with session_scope(make_engine({seeded.url.render_as_string(hide_password=False)!r})) as s:
            print(lifecycle.take_order(s, {order_id}).platform_order_id)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "TK-2"
