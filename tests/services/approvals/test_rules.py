"""Approval rules are data in the configuration: checked when it loads, matched field by field."""

from __future__ import annotations

import pytest

from oms_tui.config import ApprovalsConfig, load_settings
from oms_tui.errors import ConfigError
from oms_tui.services.approvals import rules

ORDER = rules.OrderFacts(total_fen=1990, shop="旗舰店", platform="taobao")


def test_the_shops_practice_is_the_default_path_for_each_kind():
    config = ApprovalsConfig()
    assert rules.path_for(config, "price_change", ORDER).steps == [["cs_lead"]]
    assert rules.path_for(config, "transfer", ORDER).steps == [["warehouse_lead", "cs_lead"]]
    assert rules.path_for(config, "presale_delay", ORDER).steps == [["warehouse_lead", "cs_lead"]]
    assert rules.path_for(config, "price_change", ORDER).escalate_minutes == 120
    assert rules.intake_paths(config, ORDER) == []  # 19.90 yuan, nothing custom
    big = rules.OrderFacts(total_fen=500001, shop="旗舰店", platform="jd")
    assert [(kind, p.rule) for kind, p in rules.intake_paths(config, big)] == [("large_order", "large-order")]
    exactly = rules.OrderFacts(total_fen=500000, shop="旗舰店", platform="jd")
    assert rules.intake_paths(config, exactly) == []  # "above 5000" means above
    custom = rules.OrderFacts(total_fen=8800, shop="旗舰店", platform="pdd", sku_tags=frozenset({"custom", "fragile"}))
    assert [(kind, p.steps) for kind, p in rules.intake_paths(config, custom)] == [("custom_item", [["cs_lead"]])]


def test_conditions_on_shop_platform_and_total_and_the_first_rule_wins():
    config = ApprovalsConfig(rules=[
        {"name": "jd-gifts", "kinds": ["gift"], "platforms": ["jd"], "steps": ["cs_lead", "manager"],
         "escalate_after_hours": 0.5},
        {"name": "big-gifts", "kinds": ["gift"], "total_above_yuan": 100, "shops": ["旗舰店"], "steps": ["manager"]},
    ], default_steps=["cs_lead"])
    jd = rules.path_for(config, "gift", rules.OrderFacts(total_fen=50000, shop="旗舰店", platform="jd"))
    assert (jd.rule, jd.steps, jd.escalate_minutes) == ("jd-gifts", [["cs_lead"], ["manager"]], 30)
    big = rules.path_for(config, "gift", rules.OrderFacts(total_fen=50000, shop="旗舰店", platform="pdd"))
    assert (big.rule, big.steps) == ("big-gifts", [["manager"]])
    other_shop = rules.path_for(config, "gift", rules.OrderFacts(total_fen=50000, shop="二店", platform="pdd"))
    assert (other_shop.rule, other_shop.steps) == (rules.DEFAULT_RULE, [["cs_lead"]])


def test_escalation_climbs_the_chain_one_role_at_a_time():
    config = ApprovalsConfig()
    assert rules.climb(config, "cs_lead", 0) == ["cs_lead"]
    assert rules.climb(config, "cs", 1) == ["cs", "cs_lead"]
    assert rules.climb(config, "cs") == ["cs", "cs_lead", "manager"]
    assert rules.can_climb(config, ["cs_lead"], 0) and not rules.can_climb(config, ["cs_lead"], 1)


@pytest.mark.parametrize(("rule", "says"), [
    ({"name": "typo", "kinds": ["price_change"], "steps": ["cs_leader"]}, "approval rule 'typo': unknown role 'cs_leader'"),
    ({"name": "odd", "kinds": ["refund"], "steps": ["cs_lead"]}, "approval rule 'odd': unknown request kind 'refund'"),
    ({"name": "all", "kinds": ["large_order"], "steps": ["cs_lead"]}, "approval rule 'all': an intake rule needs"),
    ({"name": "twice", "kinds": ["transfer"], "steps": [["cs_lead", "cs_lead"]]}, "approval rule 'twice': a co-signed"),
    ({"name": "empty", "kinds": ["transfer"], "steps": [[]]}, "approval rule 'empty': a step names no role"),
    ({"name": "where", "kinds": ["gift"], "platforms": ["amazon"], "steps": ["cs_lead"]},
     "approval rule 'where': unknown platform 'amazon'"),
])
def test_a_bad_rule_stops_the_configuration_naming_the_rule(rule, says):
    with pytest.raises(ConfigError) as refused:
        load_settings(approvals={"rules": [rule]})
    assert says in str(refused.value) and "approvals.rules.0" in str(refused.value)


def test_a_bad_rule_in_the_toml_file_is_a_clear_error_at_start_up(tmp_path, monkeypatch):
    config = tmp_path / "oms.toml"
    config.write_text('[[approvals.rules]]\nname = "big"\nkinds = ["large_order"]\ntotal_above_yuan = 5000\n'
                      'steps = ["boss"]\n', encoding="utf-8")
    monkeypatch.setenv("OMS_CONFIG", str(config))
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "approval rule 'big': unknown role 'boss'" in str(refused.value)
    monkeypatch.delenv("OMS_CONFIG")
    with pytest.raises(ConfigError) as looping:
        load_settings(approvals={"escalation": {"cs_lead": "manager", "manager": "cs_lead"}})
    assert "climbs back to itself" in str(looping.value)
