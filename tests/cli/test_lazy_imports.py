"""`oms --help` stays quick: the CLI and its help load neither the database layer, Textual nor httpx.

Checked in a fresh interpreter, since this test session has long since imported all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "textual", "httpx", "pydantic_settings")

PROBE = """
import contextlib, io, json, sys
def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
import oms_tui.cli
after_import = loaded()
commands = sorted(m for m in sys.modules if m.startswith("oms_tui.commands."))
with contextlib.redirect_stdout(io.StringIO()) as help_text:
    try:
        oms_tui.cli.main(["--help"])
    except SystemExit:
        pass
print(json.dumps({{"after_import": after_import, "after_help": loaded(), "commands": commands,
                  "help": help_text.getvalue()}}))
""".format(heavy=HEAVY)


def test_importing_the_cli_and_its_help_load_no_heavy_library() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout)
    # the probe really built the whole CLI: every command module imported, the help printed
    assert {"oms_tui.commands.setup", "oms_tui.commands.stock", "oms_tui.commands.orders",
            "oms_tui.commands.intake", "oms_tui.commands.users", "oms_tui.commands.print_cmd"} <= set(seen["commands"])
    assert "sync" in seen["help"] and "stock" in seen["help"]
    assert seen["after_import"] == []
    assert seen["after_help"] == []
