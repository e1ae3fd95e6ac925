"""What the screens' source may not do, read from its syntax tree: import the app (even only for type
checking), push another screen past the app's permission check, touch the engine or open a session
anywhere but in ``base.py`` (screens call services; ``OmsScreen`` runs them)."""

from __future__ import annotations

import ast
from pathlib import Path

import oms_tui.screens

SCREENS_DIR = Path(oms_tui.screens.__file__).parent
BASES = {"OmsScreen", "PagedTableScreen"}  # screens build on these; they are not places to go
STORAGE_OWNER = "base.py"
STORAGE_NAMES = {"session_scope", "read_session", "make_engine", "Engine"}


def screen_modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for path in sorted(SCREENS_DIR.glob("*.py"))}


def imported(tree: ast.Module) -> list[tuple[str, str | None, int]]:
    """(module, name or None, line) for every import anywhere in the module, relative ones resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = ["oms_tui", "screens"][: 3 - node.level]
                module = ".".join([*parts, module] if module else parts)
            found += [(module, alias.name, node.lineno) for alias in node.names]
    return found


def test_there_are_screens_to_check():
    modules = screen_modules()
    assert {"base.py", "orders.py", "review.py", "pack_station.py"} <= set(modules)


def test_no_screen_imports_the_app():
    offenders = [f"{name}:{line}" for name, tree in screen_modules().items()
                 for module, what, line in imported(tree)
                 if module == "oms_tui.app" or module.startswith("oms_tui.app.")
                 or (module == "oms_tui" and what == "app")]
    assert offenders == []


def test_no_screen_opens_another_screen_itself():
    """Another screen is opened with ``open_screen`` / ``open_order`` / ``open_sku``, which check the
    registry's permission; a screen that imports another screen's class could push it unchecked."""
    offenders = [f"{name}:{line} {what}" for name, tree in screen_modules().items()
                 for module, what, line in imported(tree)
                 if module.startswith("oms_tui.screens.") and what and what.endswith("Screen") and what not in BASES]
    assert offenders == []


def engine_uses(tree: ast.Module) -> list[tuple[str, int]]:
    """Where a module reaches for the engine or opens a session: ``x.engine``, a name or string
    ``engine``, an import from ``oms_tui.db`` or of a session or engine maker."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "engine":
            found.append((".engine", node.lineno))
        elif isinstance(node, ast.Name) and node.id == "engine":
            found.append(("engine", node.lineno))
        elif isinstance(node, ast.arg) and node.arg == "engine":
            found.append(("engine parameter", node.lineno))
        elif isinstance(node, ast.Constant) and node.value == "engine":
            found.append(('"engine"', node.lineno))
    found += [(f"import {module}:{what}", line) for module, what, line in imported(tree)
              if module == "oms_tui.db" or what in STORAGE_NAMES]
    return found


def test_only_the_screen_base_touches_the_engine_or_opens_sessions():
    offenders = [f"{name}:{line} {what}" for name, tree in screen_modules().items() if name != STORAGE_OWNER
                 for what, line in engine_uses(tree)]
    assert offenders == []
    assert engine_uses(screen_modules()[STORAGE_OWNER])  # the base does, so the check can see it


def test_the_checks_see_what_they_look_for():
    tree = ast.parse("from oms_tui.app import OmsApp\nif 1:\n    from .order_detail import OrderDetailScreen\n")
    assert [(m, w) for m, w, _line in imported(tree)] == [("oms_tui.app", "OmsApp"),
                                                          ("oms_tui.screens.order_detail", "OrderDetailScreen")]
    tree = ast.parse("from oms_tui.db import session_scope\ndef f(engine):\n    return self.oms.engine\n"
                     "getattr(app, 'engine')\n")
    assert [what for what, _line in engine_uses(tree)] == ["engine parameter", ".engine", '"engine"',
                                                           "import oms_tui.db:session_scope"]
