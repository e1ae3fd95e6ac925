"""`oms print …` against a loopback printer: a test page, an offline printer, retry, reprint, JSON."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from oms_tui.commands.print_cmd import print_app
from oms_tui.config import get_settings
from oms_tui.printers.documents import TEST_CHINESE

app = typer.Typer()
app.add_typer(print_app, name="print")  # as cli.py registers it


@pytest.fixture
def oms(monkeypatch, tmp_path, sqlite_url, listener):
    config = tmp_path / "oms.toml"
    config.write_text(f'''
shop_name = "测试旗舰店"
[[printers]]
name = "打包台"
kind = "network"
host = "127.0.0.1"
port = {listener.port}
timeout = 2
width_mm = 58
[[printers]]
name = "备用台"
kind = "network"
host = "127.0.0.1"
port = {listener.port}
timeout = 2
width_mm = 58
''', encoding="utf-8")
    monkeypatch.setenv("OMS_CONFIG", str(config))
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def run(*args: str):
        get_settings.cache_clear()
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def jobs(oms) -> list[dict]:
    result = oms("print", "jobs", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_test_page_prints_on_a_printer_that_is_there(oms, listener):
    listener.start()
    result = oms("print", "test", "--printer", "打包台")
    assert result.exit_code == 0, result.output
    assert "printed a test page on 打包台" in result.stdout
    assert TEST_CHINESE.encode("gb18030") in listener.received
    assert jobs(oms)[0]["status"] == "done"


def test_offline_printer_exits_1_keeps_the_job_and_retry_prints_it(oms, listener):
    result = oms("print", "test")
    assert result.exit_code == 1
    assert "stays queued" in result.stderr and "refused" in result.stderr.lower()
    (job,) = jobs(oms)
    assert (job["status"], job["attempts"], job["printer"]) == ("queued", 1, "打包台")

    listener.start()
    result = oms("print", "retry", "--job", str(job["id"]))
    assert result.exit_code == 0, result.output
    assert listener.received.startswith(b"\x1b@")

    result = oms("print", "reprint", str(job["id"]))
    assert result.exit_code == 0, result.output
    newest, original = jobs(oms)
    assert (newest["reprint_of"], newest["status"], original["status"]) == (job["id"], "done", "done")
    listener.wait_idle()
    assert listener.connections[0] == listener.connections[1]


def test_retry_without_a_job_reports_counts(oms, listener):
    assert oms("print", "test").exit_code == 1
    result = oms("print", "retry")  # backing off: nothing due, nothing failed
    assert result.exit_code == 0
    assert "printed 0" in result.stdout and "1 still queued" in result.stdout


def test_unknown_printer_is_a_domain_error(oms):
    result = oms("print", "test", "--printer", "nope")
    assert result.exit_code == 1
    assert "no printer named 'nope'" in str(result.exception)


def test_cancel_a_waiting_job_and_reprint_it_on_another_printer(oms, listener):
    assert oms("print", "test").exit_code == 1  # 打包台 is off: the test page waits
    (job,) = jobs(oms)
    result = oms("print", "cancel", str(job["id"]))
    assert result.exit_code == 0, result.output
    assert f"job {job['id']} cancelled" in result.stdout and "打包台" in result.stdout
    assert jobs(oms)[0]["status"] == "cancelled"
    result = oms("print", "cancel", str(job["id"]))  # twice: one line, nothing changed
    assert result.exit_code == 1 and "already cancelled" in str(result.exception)

    listener.start()
    result = oms("print", "reprint", str(job["id"]), "--printer", "备用台")
    assert result.exit_code == 0, result.output
    assert "printed a reprint" in result.stdout and "备用台" in result.stdout
    newest, original = jobs(oms)
    assert (newest["printer"], newest["status"], newest["reprint_of"]) == ("备用台", "done", job["id"])
    assert original["status"] == "cancelled"  # the cancelled one never printed
    assert len(listener.connections) == 1
