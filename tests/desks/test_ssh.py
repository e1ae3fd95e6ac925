"""`oms serve-ssh` end to end with the real OpenSSH client on loopback: keys sign zhang and li in at two
desks at once without the PIN, the menus are drawn, a key opens a screen, idle desks are closed; an
unknown key and a wrong PIN are refused."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time

import pytest

from oms_tui.desks.ssh import load_or_create_host_key
from tests.helpers.desks import Server, require_binary, server_env
from tests.helpers.ssh_keys import make_key

IDLE_MINUTES = 0.1  # six seconds: long enough for a desk to start on a loaded CI machine


def _ssh(ssh: str, port: int, key, user: str = "zhang", *options: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [ssh, "-tt", "-p", str(port), "-i", str(key), *(options or ("-o", "BatchMode=yes")), "-o", "IdentitiesOnly=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
         "-o", "ConnectTimeout=10", "-F", "/dev/null", f"{user}@127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color", **(env or {})})


ESCAPES = re.compile(rb"\x1b\[[0-9;?>=$ ]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]|\x1b[=>]")


class Screen:
    """Everything the desk sent, collected in a thread; its text (escape sequences taken out, so a line
    drawn in two colours reads as one) waited on with a deadline."""

    def __init__(self, stream) -> None:
        self.data = b""
        self._lock = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        while chunk := stream.read1(65536):
            with self._lock:
                self.data += chunk
                self._lock.notify_all()

    def text(self) -> str:
        return ESCAPES.sub(b"", self.data).decode("utf-8", "replace")

    def wait_for(self, text: str, seconds: float = 20) -> bool:
        deadline = time.monotonic() + seconds
        with self._lock:
            while text not in self.text():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True


@pytest.fixture(scope="module")
def ssh_server(desk_shop):
    url, key = desk_shop
    server = Server(["serve-ssh", "--port", "0", "--idle-minutes", str(IDLE_MINUTES)], server_env(url, key.parent))
    yield server
    server.stop()


def test_a_key_opens_the_desk_without_the_pin_and_an_idle_desk_closes(ssh_server, desk_shop, tmp_path):
    ssh = require_binary("ssh")
    _url, key = desk_shop
    client = _ssh(ssh, ssh_server.port, key)
    other = _ssh(ssh, ssh_server.port, key.parent / "li_key", "li")  # a second desk, same server, at once
    try:
        screen, other_screen = Screen(client.stdout), Screen(other.stdout)
        assert screen.wait_for("Review queue"), ssh_server.output  # zhang's menu, no sign-in screen
        assert "PIN" not in screen.text()
        assert other_screen.wait_for("Pack station") and "Review queue" not in other_screen.text()  # li's
        client.stdin.write(b"1")  # the menu's first entry: Orders
        client.stdin.flush()
        assert screen.wait_for("— Orders"), screen.text()[-2000:]  # the header names the screen
        # Nothing typed from now on: the server closes the desk and says why.
        assert client.wait(timeout=30) == 0, client.stderr.read()
        assert screen.wait_for("idle too long", 5)
        assert other.wait(timeout=30) == 0 and other_screen.wait_for("idle too long", 5)
    finally:
        for ssh_client in (client, other):
            ssh_client.kill()
            ssh_client.wait(5)
    # The host key was made on first start, private, and is the one the next start uses.
    host_key = key.parent / "ssh_host_ed25519_key"
    assert host_key.stat().st_mode & 0o777 == 0o600
    assert load_or_create_host_key(host_key).get_fingerprint() == load_or_create_host_key(host_key).get_fingerprint()


def test_an_unknown_key_without_a_password_is_refused(ssh_server, tmp_path):
    ssh = require_binary("ssh")
    stranger, _line = make_key(tmp_path, "stranger")
    client = _ssh(ssh, ssh_server.port, stranger)
    _out, err = client.communicate(timeout=30)
    assert client.returncode == 255
    assert b"Permission denied" in err


def test_a_wrong_pin_as_the_password_is_refused_and_counted(ssh_server, desk_shop, tmp_path):
    from sqlmodel import select

    from oms_tui.db import make_engine, read_session
    from oms_tui.models import User

    ssh = require_binary("ssh")
    url, _key = desk_shop
    stranger, _line = make_key(tmp_path, "stranger")
    askpass = tmp_path / "askpass.sh"
    askpass.write_text("#!/bin/sh\necho 9999\n")
    askpass.chmod(0o700)
    client = _ssh(ssh, ssh_server.port, stranger, "li", "-o", "PreferredAuthentications=password",
                  "-o", "NumberOfPasswordPrompts=1", env={"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force",
                                                          "DISPLAY": ":0"})
    _out, err = client.communicate(timeout=30)
    assert client.returncode == 255 and b"Permission denied" in err
    engine = make_engine(url)
    with read_session(engine) as s:
        assert s.exec(select(User.failed_pins).where(User.name == "li")).one() == 1
    engine.dispose()
