"""The layers hold at run time too: a service module, imported alone in a fresh interpreter, loads no UI
and no HTTP client (import-linter checks the import statements; this catches what they pull in)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import oms_tui.services

UI_AND_HTTP = ("textual", "rich", "httpx", "starlette", "uvicorn")

# Imports each module in turn and names the first one after which a forbidden package is loaded:
# that module (or something it imports) pulled it in. Fixing it shows the next offender, if any.
PROBE = """
import importlib, json, sys
offenders = {{}}
for name in sys.argv[1:]:
    before = {{m for m in {forbidden!r} if m in sys.modules}}
    importlib.import_module(name)
    new = sorted(m for m in {forbidden!r} if m in sys.modules and m not in before)
    if new:
        offenders[name] = new
print(json.dumps(offenders))
"""


def service_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(oms_tui.services.__path__, "oms_tui.services.")
                  if not m.ispkg)


def test_there_are_service_modules_to_check():
    names = service_modules()
    assert "oms_tui.services.orders.actions" in names and len(names) > 25


def _offenders(modules: list[str]) -> dict[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(forbidden=UI_AND_HTTP), *modules],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_no_service_module_loads_ui_or_http():
    assert _offenders(service_modules()) == {}


def test_the_probe_names_a_module_that_loads_ui():
    assert _offenders(["oms_tui.services.core.audit", "oms_tui.screens.base"]) == {
        "oms_tui.screens.base": ["rich", "textual"]}
