"""Page arithmetic, with an exact, a capped and an estimated row count."""

from oms_tui import i18n
from oms_tui.widgets.paging import Page


def test_an_exact_count_clamps_and_labels_the_last_page():
    i18n.setup_language("en")
    page = Page(3, 50).counted(120, cap=None)
    assert (page.total, page.more, page.pages) == (120, False, 3)
    assert not page.has_next() and Page(9, 50, 120).clamped().number == 3
    assert page.label() == "page 3 of 3 · 120 rows"


def test_a_count_past_its_cap_says_more_and_lets_paging_go_on():
    i18n.setup_language("en")
    page = Page(1, 50).counted(10_001, cap=10_000)
    assert (page.total, page.more, page.pages) == (10_000, True, 200)
    assert page.label() == "page 1 of 200+ · 10,000+ rows"
    beyond = Page(201, 50, page.total, page.more)
    assert beyond.has_next() and beyond.clamped().number == 201
    assert beyond.label() == "page 201 of 201+ · 10,000+ rows"
    assert Page(1, 50).counted(10_000, cap=10_000).more is False  # exactly at the cap: exact


def test_an_estimated_count_says_about_and_lets_paging_go_past_it():
    i18n.setup_language("en")
    page = Page(1, 50).estimated(712_345)
    assert (page.total, page.about, page.more, page.pages) == (712_345, True, False, 14_247)
    assert page.label() == "page 1 of ~14,247 · ~712,345 rows"
    beyond = Page(14_300, 50, page.total, about=True)  # the estimate was low: the rows go on
    assert beyond.has_next() and beyond.clamped().number == 14_300
    assert beyond.label() == "page 14,300 of ~14,300 · ~712,345 rows"
