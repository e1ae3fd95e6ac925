"""Stored phrases render in the reader's language, free text stays as typed, long values fit."""

from oms_tui.i18n import N_, setup_language
from oms_tui.phrases import english, is_phrase, phrase, render


def test_phrase_renders_in_the_current_language_and_english_on_request():
    stored = phrase(N_("Order {order} has a line with an unknown SKU ({sku})"), order="T1", sku="TW-001")
    assert is_phrase(stored)
    try:
        setup_language("zh_CN")
        assert render(stored) == "订单 T1 含未知商品（TW-001）"
        assert english(stored) == "Order T1 has a line with an unknown SKU (TW-001)"
    finally:
        setup_language("en")
    assert render(stored) == "Order T1 has a line with an unknown SKU (TW-001)"


def test_translated_values_are_translated_too():
    stored = phrase(N_("Order {order} is {status}; only packed orders ship"), order="T1", status=N_("shipped"),
                    translated=("status",))
    try:
        setup_language("zh_CN")
        assert "shipped" not in render(stored) and render(stored).startswith("订单 T1")
    finally:
        setup_language("en")


def test_free_text_and_old_rows_come_back_unchanged():
    assert render("请周五前发货") == "请周五前发货"
    assert render("") == "" and render(None) == ""


def test_a_long_value_is_cut_so_the_stored_text_fits_the_column():
    stored = phrase(N_("short: {skus}"), skus="X" * 2000, limit=200)
    assert len(stored) <= 200
    assert render(stored).startswith("short: XXX") and render(stored).endswith("…")


def test_a_damaged_phrase_shows_its_text_instead_of_raising():
    assert "short" in render("\u2063i18n:{not json short")
