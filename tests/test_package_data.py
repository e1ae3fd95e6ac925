"""Every stylesheet ships: each .tcss in the package matches a package-data pattern in pyproject.toml
(a screen or widget whose looks are missing from the wheel would draw unstyled after `pip install`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import oms_tui

PACKAGE = Path(oms_tui.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def shipped(patterns: list[str]) -> set[Path]:
    return {path for pattern in patterns for path in PACKAGE.glob(pattern)}


def test_every_stylesheet_is_package_data():
    patterns = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]["oms_tui"]
    stylesheets = set(PACKAGE.rglob("*.tcss"))
    assert {p.relative_to(PACKAGE).parts[0] for p in stylesheets} >= {"app.tcss", "screens", "widgets"}
    assert sorted(str(p.relative_to(PACKAGE)) for p in stylesheets - shipped(patterns)) == []
