"""For the desk tests: a small shop (the catalogue and three users: zhang cs 1234, li warehouse 5678,
boss admin 0000), the real client binaries, and `oms serve-…` run as a process."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from oms_tui.db import session_scope
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from tests.helpers.shop import seed_catalogue

DESK_USERS = (("zhang", "1234", ["cs"], "张客服"), ("li", "5678", ["warehouse"], "李仓管"),
              ("boss", "0000", ["admin"], "老板"))


def seed_desk_shop(engine) -> None:  # noqa: ANN001 - an Engine
    seed_catalogue(engine)
    with session_scope(engine) as s:
        for name, pin, roles, shown in DESK_USERS:
            users.add_user(s, name, pin, roles, display_name=shown, actor=Actor.system("test"))


START_SECONDS = 30


def require_binary(name: str, path: str | None = None) -> str:
    """The binary's path; skipped where it is not installed, except under CI=true where that is a failure."""
    found = path if path and os.path.exists(path) else shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is needed under CI but is not installed (see .ci/run)")
    pytest.skip(f"{name} is not installed")


def server_env(url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMS_", "TEXTUAL"))}
    env.update(OMS_DATABASE_URL=url, OMS_DATA_DIR=str(tmp_path), OMS_LANGUAGE="en", TERM="xterm-256color")
    return env


class Server:
    """An `oms serve-…` process; the address it announced; stopped (then killed) when done."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "oms_tui.cli", *args], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []  # everything it printed, for a failing test's message

        def read() -> None:
            for line in self.process.stdout:
                self.output.append(line)
                lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + START_SECONDS
        self.announced = ""
        while time.monotonic() < deadline and not self.announced:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if line.startswith("serving"):
                self.announced = line.strip()
        if not self.announced:
            self.stop()
            raise AssertionError(f"the server did not start: {self.process.returncode}")
        self.port = int(re.search(r":(\d+)/?$", self.announced).group(1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
