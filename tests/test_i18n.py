"""The catalogues cover every UI text, zh_CN translates all of them, and the .mo files are current."""

from __future__ import annotations

import gettext
import importlib.util
import io
import re
import string
from pathlib import Path

import pytest

from oms_tui import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "oms_tui" / "locale"

pytest.importorskip("babel")


def _load_script():
    spec = importlib.util.spec_from_file_location("compile_catalogs", ROOT / "scripts" / "compile_catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogs = _load_script()
MESSAGES = catalogs.extract_messages()


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_the_code_has_texts_to_translate():
    assert len(MESSAGES) > 100
    assert "Orders" in MESSAGES and "page {page} of {pages} · {rows} rows" in MESSAGES


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_msgid_is_in_the_catalogue(lang):
    catalog = catalogs.read_catalog(LOCALE / lang / "LC_MESSAGES" / "oms.po")
    missing = [f"{msgid!r} ({places[0]})" for msgid, places in MESSAGES.items() if msgid not in catalog]
    assert not missing, f"{lang}/oms.po lacks: " + "; ".join(missing) + " — run scripts/compile_catalogs.py --update"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_are_filled_in_and_keep_their_placeholders(lang):
    catalog = catalogs.read_catalog(LOCALE / lang / "LC_MESSAGES" / "oms.po")
    empty, broken = [], []
    for msgid in MESSAGES:
        message = catalog.get(msgid)
        if message is None:
            continue
        if not message.string:
            if lang == "zh_CN":
                empty.append(msgid)
            continue
        if _fields(message.string) != _fields(msgid):
            broken.append(f"{msgid!r} → {message.string!r}")
    assert not empty, f"{lang}: untranslated: {empty}"
    assert not broken, f"{lang}: placeholders differ: {broken}"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_compiled_catalogue_matches_its_source(lang):
    po = LOCALE / lang / "LC_MESSAGES" / "oms.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run scripts/compile_catalogs.py"
    # What the catalogues say, not their bytes: the .mo header names the Babel version that wrote it,
    # and a fresh machine may have a newer Babel than the one that compiled the committed file.
    with mo.open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)._catalog
    with io.BytesIO(catalogs.compile_catalog(po)) as handle:
        expected = gettext.GNUTranslations(handle)._catalog
    shipped.pop("", None)
    expected.pop("", None)
    stale = sorted(set(shipped.items()) ^ set(expected.items()), key=str)[:5]
    assert shipped == expected, f"{mo} is older than {po} ({stale}): run scripts/compile_catalogs.py"


def test_no_marker_is_called_with_something_the_extractor_cannot_see():
    """``_(f"…")`` or ``_("a" + b)`` would never be found in a catalogue."""
    bad = []
    for path in (ROOT / "oms_tui").rglob("*.py"):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bN?_\(\s*f[\"']", line):
                bad.append(f"{path.relative_to(ROOT)}:{lineno}")
    assert not bad, bad


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_TW.UTF-8"}, "zh_CN"),
    ({"LC_MESSAGES": "zh_CN", "LANG": "en_US"}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "", "LANG": "de_DE"}, "en"),
    ({}, "en"),
])
def test_language_from_the_locale(environ, expected):
    assert i18n.resolve_language(None, environ) == expected


def test_configured_language_wins_over_the_locale():
    assert i18n.resolve_language("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.resolve_language("zh", {"LANG": "en_US.UTF-8"}) == "zh_CN"


def test_setup_language_switches_what_underscore_returns():
    try:
        assert i18n.setup_language("zh_CN") == "zh_CN"
        assert i18n._("Orders") == "订单"
        assert i18n.setup_language("en") == "en"
        assert i18n._("Orders") == "Orders"
        assert i18n._("a text nobody translated") == "a text nobody translated"
    finally:
        i18n.setup_language("en")
