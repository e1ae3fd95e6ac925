"""Test modules share helpers through tests/helpers (and fixtures through conftest.py), never by
importing another test module or a conftest: moving or deleting a test must not break others."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(source: str, package: str) -> list[str]:
    """Every module ``source`` (a module of ``package``) imports, relative imports resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name.split(".")[0] == "tests" and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_test_module_or_a_conftest():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(TESTS.parent).parent.parts)
        offenders += [f"{path.relative_to(TESTS.parent)} imports {name}"
                      for name in imported_modules(path.read_text(encoding="utf-8"), package) if is_test_module(name)]
    assert offenders == []


def test_the_check_sees_absolute_relative_and_local_imports():
    source = ("from tests.services.stock.test_inventory import level\n"
              "from .conftest import SIZE\n"
              "def helper():\n    from tests.conftest import normalized\n"
              "from tests.helpers.shop import stock_up\n")
    assert [n for n in imported_modules(source, "tests.screens") if is_test_module(n)] == [
        "tests.services.stock.test_inventory", "tests.screens.conftest", "tests.conftest"]
