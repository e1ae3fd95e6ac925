"""Finding SKUs: '%' and '_' typed in a search are themselves, not LIKE wildcards."""

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
