#!/usr/bin/env python
"""Keep the gettext catalogues in step with the code and compile them.

    python scripts/compile_catalogs.py            # compile every locale/*/LC_MESSAGES/oms.po to oms.mo
    python scripts/compile_catalogs.py --update   # first add msgids new in the code to every .po
    python scripts/compile_catalogs.py --check    # exit 1 if a msgid is missing or a .mo is stale

Message ids are the literal first arguments of ``_()`` and ``N_()`` calls in oms_tui/**/*.py.
New ids go into zh_CN with an empty msgstr (to be translated) and into en as themselves.
Needs babel (a test dependency); the compiled .mo files are committed so the app does not.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "oms_tui"
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "oms"
MARKERS = ("_", "N_")


def extract_messages(package: Path = PACKAGE) -> dict[str, list[str]]:
    """msgid → the places ("path:line") it is used, from every ``_("…")`` / ``N_("…")`` literal."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(node.args[0].value, []).append(where)
    return found


def po_paths() -> list[Path]:
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parent.parent.name)


def compile_catalog(po_path: Path) -> bytes:
    """The .mo bytes for ``po_path``, built in memory."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(po_path), use_fuzzy=False)
    return buffer.getvalue()


def update_catalogs(messages: dict[str, list[str]]) -> None:
    """Add msgids the code uses but a .po lacks; mark ids the code no longer uses as obsolete."""
    for path in po_paths():
        catalog = read_catalog(path)
        english = path.parent.parent.name == "en"
        for msgid in messages:
            if msgid not in catalog:
                catalog.add(msgid, msgid if english else "")
        for message in list(catalog):
            if message.id and message.id not in messages:
                catalog.delete(message.id)
        for message in catalog:
            if message.id:
                message.locations = [(loc.split(":")[0], int(loc.split(":")[1])) for loc in messages[message.id]]
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True)


def compile_all() -> list[Path]:
    written = []
    for po in po_paths():
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_catalog(po))
        written.append(mo)
    return written


def problems(messages: dict[str, list[str]]) -> list[str]:
    """Everything that would make the catalogues wrong for the code as it is."""
    found = []
    for path in po_paths():
        catalog = read_catalog(path)
        lang = path.parent.parent.name
        for msgid, places in messages.items():
            message = catalog.get(msgid)
            if message is None:
                found.append(f"{lang}: missing msgid {msgid!r} (used at {places[0]})")
            elif lang != "en" and not message.string:
                found.append(f"{lang}: untranslated msgid {msgid!r} (used at {places[0]})")
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compile_catalog(path):
            found.append(f"{lang}: {mo.relative_to(ROOT)} is missing or older than its .po; run this script")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="add new msgids to the .po files first")
    parser.add_argument("--check", action="store_true", help="report problems, change nothing")
    args = parser.parse_args(argv)
    messages = extract_messages()
    if args.check:
        found = problems(messages)
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    if args.update:
        update_catalogs(messages)
    for mo in compile_all():
        print(f"wrote {mo.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
