"""Finding SKUs: '%' and '_' typed in a search are themselves, not LIKE wildcards."""

import pytest

from oms_tui.db import read_session, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.stock import queries as stock_queries


def test_percent_and_underscore_in_a_search_are_themselves(seeded):
    with session_scope(seeded) as s:
        catalogue.add_sku(s, "HG_100", "100%纯棉毛巾", spec="70_140cm")
    with read_session(seeded) as s:
        def codes(text):
            return [hit.code for hit in catalogue.find_skus(s, text)]

        assert codes("%") == ["HG_100"] and codes("_") == ["HG_100"]  # only the SKU that has one, not all three
        assert codes("100%") == ["HG_100"]  # in the name
        assert codes("HG_") == ["HG_100"]  # a code prefix: not HG-001 or HG-CUSTOM
        assert codes("0_1") == ["HG_100"]  # in the spec
        assert codes("%毛巾") == []
        assert [r.sku for r in stock_queries.list_stock(s, search="%")] == ["HG_100"]
        assert {r.sku for r in stock_queries.list_stock(s, search="HG")} == {"HG-001", "HG-CUSTOM", "HG_100"}


def test_purchasing_settings_of_skus_and_suppliers(seeded):
    from sqlmodel import select

    from oms_tui.models import AuditEvent
    from oms_tui.services.core.actor import Actor

    buyer = Actor("wang", frozenset({"purchasing"}))
    with session_scope(seeded) as s:
        sku = catalogue.set_sku_purchasing(s, buyer, "MB-001", safety_stock=12, supplier_code="SUP1")
        supplier = catalogue.set_supplier(s, buyer, "SUP1", lead_days=10, email=" sales@nb.example.cn ")
        assert (sku.safety_stock, supplier.lead_days, supplier.email) == (12, 10, "sales@nb.example.cn")
    bad = [(lambda s: catalogue.set_supplier(s, buyer, "SUP1", lead_days=400), "lead time is 0 to 365 days"),
           (lambda s: catalogue.set_supplier(s, buyer, "SUP1", email="not an address"), "not an e-mail address"),
           (lambda s: catalogue.set_sku_purchasing(s, buyer, "MB-001", safety_stock=-1), "must be zero or more"),
           (lambda s: catalogue.set_sku_purchasing(s, buyer, "MB-001", supplier_code="NOPE"), "unknown supplier"),
           (lambda s: catalogue.set_supplier(s, Actor("li", frozenset({"warehouse"})), "SUP1", lead_days=3),
            "may not order stock")]
    for change, error in bad:
        with pytest.raises(Exception, match=error), session_scope(seeded) as s:
            change(s)
    with read_session(seeded) as s:
        assert catalogue.get_supplier(s, "SUP1").lead_days == 10
        assert catalogue.get_sku(s, "MB-001").safety_stock == 12
        assert s.exec(select(AuditEvent.action).where(AuditEvent.action.in_(
            ["sku.purchasing", "supplier.change"]))).all() == ["sku.purchasing", "supplier.change"]
