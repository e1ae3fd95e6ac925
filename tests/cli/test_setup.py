"""`oms demo`'s data is where every other command can read it: `oms --demo …`, and the error says so."""

from __future__ import annotations

import json
import shutil

from oms_tui.config import PROJECT_ROOT


def test_every_command_reads_the_demo_database_with_demo(oms, monkeypatch, tmp_path):
    for name in ("catalogue.json", "customers.json"):
        shutil.copy(PROJECT_ROOT / "data" / name, tmp_path / name)
    monkeypatch.setenv("OMS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    monkeypatch.setenv("OMS_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")  # where `oms demo` puts it
    assert oms("init", "--demo", "--orders", "6")[0] == 0
    monkeypatch.delenv("OMS_DATABASE_URL")
    code, out, err = oms("orders", "list")  # the default database: never made
    assert code == 1 and out == "" and "oms --demo orders list" in err and str(tmp_path / "demo.db") in err
    code, out, _ = oms("--demo", "orders", "list", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 6
    assert oms("--demo", "check")[0] == 0
    assert oms("orders", "list")[0] == 1  # --demo was for that run only


def test_the_demo_says_how_the_other_commands_reach_its_data(tmp_path):
    from oms_tui.commands.setup import demo_hint

    assert "oms --demo orders list" in demo_hint(tmp_path / "demo.db", default=True)
    assert f"OMS_DATABASE_URL=sqlite:///{tmp_path / 'x.db'} oms orders list" in demo_hint(tmp_path / "x.db",
                                                                                          default=False)
