"""The SKU mapping (商品对应): resolution order, saving with actor checks and audit, parsing, suggestions."""

import json

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.models import AuditEvent, SkuMapping, SkuMappingComponent
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.catalogue.sku_mapping import Basis, ListedSku
from oms_tui.services.core.actor import Actor

CS = Actor("zhang", {"cs"})
SHOP = "旗舰店"


def save(engine, components, *, item="600001", sku="7000011", shop=SHOP, actor=CS, **kw):
    with session_scope(engine) as s:
        return sku_mapping.save_mapping(s, shop=shop, platform="taobao", platform_item_id=item, platform_sku_id=sku,
                                        components=components, actor=actor, **kw).id


def resolve(engine, **kw):
    with read_session(engine) as s:
        found = sku_mapping.resolve(s, shop=kw.pop("shop", SHOP), **kw)
        return None if found is None else (found.basis, [(p.code, p.qty) for p in found.parts])


def test_resolution_order_mapping_by_sku_id_then_outer_code_then_unknown(seeded):
    save(seeded, [("HG-001", 3)], title="毛巾三条装")
    # the mapping wins even over an outer code that is one of ours
    assert resolve(seeded, platform_item_id="600001", platform_sku_id="7000011", outer_code="MB-001") == (
        Basis.MAPPING, [("HG-001", 3)])
    # a SKU id is unique on the platform: the mapping applies whatever item the line names
    assert resolve(seeded, platform_item_id="other", platform_sku_id="7000011")[1] == [("HG-001", 3)]
    assert resolve(seeded, platform_item_id="600001", platform_sku_id="7000012", outer_code="MB-001") == (
        Basis.OUTER_CODE, [("MB-001", 1)])
    assert resolve(seeded, platform_item_id="600001", platform_sku_id="7000012", outer_code="TW-SET3") is None
    assert resolve(seeded, shop="另一家店", platform_sku_id="7000011", outer_code="") is None  # per shop


def test_an_item_without_skus_is_mapped_by_its_item_id(seeded):
    save(seeded, [("MB-001", 2)], item="600009", sku="")
    assert resolve(seeded, platform_item_id="600009", platform_sku_id="")[1] == [("MB-001", 2)]
    assert resolve(seeded, platform_item_id="600009", platform_sku_id="123") is None  # a SKU of it is not


def test_saving_again_changes_the_components_and_audits_old_and_new(seeded):
    first = save(seeded, [("HG-001", 3)])
    again = save(seeded, [("HG-001", 2), ("MB-001", 1), ("HG-001", 1)])  # the same SKU twice is summed
    assert again == first
    assert resolve(seeded, platform_sku_id="7000011")[1] == [("HG-001", 3), ("MB-001", 1)]
    with read_session(seeded) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "sku_mapping.save").order_by(AuditEvent.id)).all()
        mapping = s.get(SkuMapping, first)
    assert [r.user for r in rows] == ["zhang", "zhang"]
    detail = json.loads(rows[1].detail)
    assert detail["old"] == [{"sku": "HG-001", "qty": 3}]
    assert detail["new"] == [{"sku": "HG-001", "qty": 3}, {"sku": "MB-001", "qty": 1}]
    assert mapping.updated_by == "zhang" and mapping.shop == SHOP


@pytest.mark.parametrize(("components", "error"), [
    ([], ValidationError),
    ([("NO-SUCH", 1)], NotFound),
    ([("HG-001", 0)], ValidationError),
    ([("HG-001", True)], ValidationError),
    ([("HG-001", 10**10)], ValidationError),
])
def test_bad_components_are_refused_and_nothing_is_written(seeded, components, error):
    with pytest.raises(error):
        save(seeded, components)
    with read_session(seeded) as s:
        assert s.exec(select(SkuMapping)).all() == [] and s.exec(select(SkuMappingComponent)).all() == []


def test_a_mapping_needs_an_id_and_a_role_that_may_map(seeded):
    with pytest.raises(ValidationError):
        save(seeded, [("HG-001", 1)], item="", sku="")
    with pytest.raises(PermissionDenied):
        save(seeded, [("HG-001", 1)], actor=Actor("li", {"warehouse"}))
    with read_session(seeded) as s:
        assert s.exec(select(SkuMapping)).all() == []
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "sku_mapping.save")).all() == []


def test_a_barcode_names_our_sku_too(seeded):
    save(seeded, [("6901234567892", 2)])
    assert resolve(seeded, platform_sku_id="7000011")[1] == [("HG-001", 2)]


@pytest.mark.parametrize(("text", "parsed"), [
    ("HG-001", [("HG-001", 1)]),
    ("HG-001*3", [("HG-001", 3)]),
    ("HG-001 x 3, MB-001", [("HG-001", 3), ("MB-001", 1)]),
    ("3×HG-001；MB-001*2", [("HG-001", 3), ("MB-001", 2)]),
    ("HG-001×2，MB-001", [("HG-001", 2), ("MB-001", 1)]),
])
def test_components_are_typed_as_code_star_quantity(text, parsed):
    assert sku_mapping.parse_components(text) == parsed


@pytest.mark.parametrize("text", ["", " , ", "2*HG-001*3", "HG-001 MB-001"])
def test_components_that_do_not_parse_are_refused(text):
    with pytest.raises(ValidationError):
        sku_mapping.parse_components(text)


def test_suggestions_by_outer_code_prefix_and_title_with_the_pack_size(seeded):
    with session_scope(seeded) as s:
        assert sku_mapping.record_listing(s, SHOP, "taobao", [
            ListedSku("600001", "7000011", outer_item_code="HG", outer_sku_code="HG-001-3", title="竹纤维毛巾",
                      spec="规格:3条装"),
            ListedSku("600002", "", title="婴儿湿巾 80抽"),
        ]) == 2
    with read_session(seeded) as s:
        by_listing = sku_mapping.suggest(s, shop=SHOP, platform_item_id="600001", platform_sku_id="7000011")
        by_title = sku_mapping.suggest(s, shop=SHOP, platform_item_id="600002", platform_sku_id="")
        by_code = sku_mapping.suggest(s, shop=SHOP, outer_codes=["mb-001"], title="")
        nothing = sku_mapping.suggest(s, shop=SHOP, outer_codes=["ZZZ"], title="")
    assert [(x.code, x.qty, x.basis) for x in by_listing][0] == ("HG-001", 3, "outer code prefix")
    assert by_listing[0].text == "HG-001*3"
    assert by_title[0].code == "MB-001" and by_title[0].basis == "title"
    assert [(x.code, x.basis, x.qty) for x in by_code] == [("MB-001", "outer code", 1)]
    assert nothing == []


def test_a_pulled_listing_is_updated_not_duplicated(seeded):
    with session_scope(seeded) as s:
        sku_mapping.record_listing(s, SHOP, "pdd", [ListedSku("1", "11", outer_sku_code="A", title="旧")])
        sku_mapping.record_listing(s, SHOP, "pdd", [ListedSku("1", "11", outer_sku_code="B", title="新"),
                                                     ListedSku("", "12")])  # no item id: skipped
    with read_session(seeded) as s:
        item = sku_mapping.listed_item(s, SHOP, "1", "11")
        assert (item.outer_sku_code, item.title) == ("B", "新")
        assert sku_mapping.listed_item(s, SHOP, "", "12") is None


@pytest.mark.parametrize(("texts", "size"), [(("毛巾 3条装",), 3), (("规格:标准装",), 1), (("湿巾x6",), 6),
                                              (("型号2024",), 1)])
def test_pack_size_from_the_title(texts, size):
    assert sku_mapping.pack_size(*texts) == size
