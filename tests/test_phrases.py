"""Stored phrases render in the reader's language, free text stays as typed, long values fit."""

from oms_tui.i18n import N_, setup_language
from oms_tui.phrases import english, from_error, is_phrase, phrase, render


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


def test_a_nested_phrase_and_a_list_render_in_the_readers_language():
    inner = phrase(N_("short: {skus}"), skus="MB-001")
    stored = phrase(N_("{kind}: {reason} (request #{request})"), kind=N_("price change"), reason=inner, request=7,
                    translated=("kind",))
    listed = phrase(N_("over the purchase limit: {findings}"), findings=[inner, phrase(N_("no city"))])
    assert english(stored) == "price change: short: MB-001 (request #7)"
    assert english(listed) == "over the purchase limit: short: MB-001; no city"
    try:
        setup_language("zh_CN")
        assert render(stored) == "改价：缺货：MB-001（申请 #7）"
        assert render(listed) == "超过限购：缺货：MB-001；缺少城市"
    finally:
        setup_language("en")


def test_a_phrase_too_long_for_its_column_cuts_nested_texts_and_always_ends():
    inner = phrase(N_("short: {skus}"), skus="S" * 300)
    stored = phrase(N_("over the purchase limit: {findings}"), findings=[inner, inner, inner], limit=300)
    assert len(stored) <= 300 and english(stored).startswith("over the purchase limit: short: SSS")
    # every value already as short as it gets: the template alone is kept, never an endless loop
    assert phrase(N_("over the purchase limit: {findings}"), findings="xy", limit=20).startswith("over the")


def test_an_error_is_stored_as_its_template_and_values_whatever_they_are_called():
    from oms_tui.limits import OutOfBounds

    error = OutOfBounds(N_("{what} must be at most {limit} units, got {value}"), what=N_("quantity"), limit=10,
                        value=11, translated=("what",))
    stored = from_error(error)
    assert english(stored) == "quantity must be at most 10 units, got 11" == str(error)
    assert from_error(ValueError("plain")) == "plain"
