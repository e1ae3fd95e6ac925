"""``oms serve-ssh``: the TUI for SSH clients, served by asyncssh — one server process, one desk per
connection, each desk the app in a child process on a pseudo-terminal of its own.

Who may connect: a user of ours whose SSH public key was added (``oms user key add``) signs in with
it and skips the PIN; a user without a key may give their PIN as the SSH password (wrong PINs count
towards the lock-out as at any terminal). Anything else is refused before a desk starts. A desk with
no input for the idle time is closed. The host key is made on first start and kept (0600) under the
data directory, so clients see the same host every time.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import pty
import signal
import struct
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import asyncssh
from sqlalchemy import Engine

from oms_tui.config import Settings, default_data_dir
from oms_tui.db import read_session, retrying_transaction
from oms_tui.errors import AccountLocked
from oms_tui.i18n import _
from oms_tui.services.core import users

log = logging.getLogger(__name__)

HOST_KEY_FILE = "ssh_host_ed25519_key"
DEFAULT_IDLE_MINUTES = 30.0
LOGIN_SECONDS = 30  # a client that has not authenticated by then is dropped
CHILD_STOP_SECONDS = 3.0
# What a terminal needs to be usable again when the desk is cut off (the app cannot say it itself):
# leave the alternate screen, mouse reporting and bracketed paste; show the cursor.
TERMINAL_RESET = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?25h\x1b[?1049l\r\n"


def host_key_path(data_dir: Path | None = None) -> Path:
    return (data_dir or default_data_dir()) / HOST_KEY_FILE


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's host key from ``path``; made (Ed25519, readable by the owner only) the first time."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    log.info("made a new SSH host key %s (%s)", path, key.get_fingerprint())
    return key


def desk_command(user_name: str | None) -> list[str]:
    """The child process that runs one desk's app (``oms_tui.desks.child``)."""
    command = [sys.executable, "-m", "oms_tui.desks.child"]
    return command + ["--user", user_name] if user_name else command


def desk_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The server's environment for a desk, with the database it serves spelt out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL_")}
    env["OMS_DATABASE_URL"] = settings.database_url
    env.update(extra)
    return env


def _set_size(fd: int, columns: int, rows: int) -> None:
    if columns > 0 and rows > 0:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_terminal() -> None:  # runs in the child between fork and exec
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty becomes its controlling terminal: SIGWINCH on resize


@dataclass
class DeskServerOptions:
    host: str = "127.0.0.1"
    port: int = 2222
    idle_seconds: float = DEFAULT_IDLE_MINUTES * 60
    host_key: Path | None = None


class _DeskAuth(asyncssh.SSHServer):
    """One connection's sign-in: the SSH user name is ours; a key of theirs, or their PIN as password."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        return True  # every desk signs in

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        line = key.export_public_key("openssh").decode()

        def known() -> bool:
            with read_session(self._engine) as session:
                return users.user_for_key(session, username, line) is not None

        ok = await asyncio.to_thread(known)
        if ok and self._conn is not None:
            self._conn.set_extra_info(oms_auth="key")
        return ok

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        def check() -> bool:
            try:
                return retrying_transaction(self._engine,
                                            lambda s: users.authenticate(s, username, password) is not None)
            except AccountLocked:
                return False

        ok = await asyncio.to_thread(check)
        if ok and self._conn is not None:
            self._conn.set_extra_info(oms_auth="pin")
        return ok


class SshDeskServer:
    """Listens for SSH clients and runs a desk for each session."""

    def __init__(self, engine: Engine, settings: Settings, options: DeskServerOptions) -> None:
        self.engine = engine
        self.settings = settings
        self.options = options
        self.open_desks = 0
        self._acceptor: asyncssh.SSHAcceptor | None = None

    async def start(self) -> int:
        """Start listening; the port (useful when the options asked for port 0)."""
        key = load_or_create_host_key(self.options.host_key or host_key_path())
        self._acceptor = await asyncssh.create_server(
            lambda: _DeskAuth(self.engine), self.options.host, self.options.port, server_host_keys=[key],
            process_factory=self._desk, encoding=None, line_editor=False, login_timeout=LOGIN_SECONDS,
            keepalive_interval=60, allow_scp=False, agent_forwarding=False, x11_forwarding=False)
        return self._acceptor.get_port()

    def close(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()

    async def wait_closed(self) -> None:
        if self._acceptor is not None:
            await self._acceptor.wait_closed()

    async def _desk(self, process: asyncssh.SSHServerProcess) -> None:
        # The name the client authenticated as: only our key or PIN check lets a connection that far
        # (a key merely offered for another name earlier in the same connection counts for nothing).
        user = process.get_extra_info("username")
        if not user or process.term_type is None:
            process.stderr.write(_("oms: a desk needs a terminal: connect with ssh -t").encode() + b"\r\n")
            process.exit(1)
            return
        self.open_desks += 1
        log.info("desk opened for %s (%s)", user, process.get_extra_info("oms_auth"))
        try:
            code = await self._run_desk(process, user)
        except Exception:  # noqa: BLE001 - logged for the operator; the client sees its connection end
            log.exception("desk for %s failed", user)
            code = 1
        finally:
            self.open_desks -= 1
            log.info("desk closed for %s", user)
        process.exit(code)

    async def _run_desk(self, process: asyncssh.SSHServerProcess, user: str) -> int:
        loop = asyncio.get_running_loop()
        columns, rows, *_pixels = process.term_size
        master, slave = pty.openpty()
        _set_size(master, columns or 80, rows or 24)
        try:
            child = await asyncio.create_subprocess_exec(
                *desk_command(user), stdin=slave, stdout=slave, stderr=slave, preexec_fn=_take_terminal,
                env=desk_environment(self.settings, TERM=process.term_type or "xterm-256color"))
        finally:
            os.close(slave)
        child_done = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                data = b""
            if not data:
                loop.remove_reader(master)
                if not child_done.done():
                    child_done.set_result(None)
                return
            if not drawn.is_set():  # the idle time counts from when the desk is there to use
                nonlocal last_input
                last_input = time.monotonic()
                drawn.set()
            process.stdout.write(data)

        last_input = time.monotonic()
        drawn = asyncio.Event()
        loop.add_reader(master, readable)

        async def pump_input() -> None:
            nonlocal last_input
            while True:
                try:
                    data = await process.stdin.read(4096)
                except asyncssh.TerminalSizeChanged as change:
                    _set_size(master, change.width, change.height)
                    continue
                except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                    continue
                if not data:
                    return  # the client went away
                last_input = time.monotonic()
                os.write(master, data)

        async def watch_idle() -> None:
            await drawn.wait()
            while (left := self.options.idle_seconds - (time.monotonic() - last_input)) > 0:
                await asyncio.sleep(left)

        helpers = [asyncio.create_task(pump_input()), asyncio.create_task(watch_idle())]
        try:
            await asyncio.wait([child_done, *helpers], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in helpers:
                task.cancel()
        cut_off = not child_done.done()  # the client left, or sat idle too long: the desk is ended here
        if cut_off:
            await _stop_child(child)
            loop.remove_reader(master)
            idle = (time.monotonic() - last_input) >= self.options.idle_seconds
            message = _("The desk was idle too long and closed. Connect again to go on.") if idle else ""
            try:
                process.stdout.write(TERMINAL_RESET + message.encode() + (b"\r\n" if message else b""))
            except (asyncssh.Error, OSError):  # the client is gone already
                pass
        os.close(master)
        code = await child.wait()
        return 0 if cut_off else (code if code >= 0 else 1)


async def _stop_child(child: asyncio.subprocess.Process) -> None:
    if child.returncode is not None:
        return
    child.send_signal(signal.SIGHUP)  # the terminal hung up
    try:
        await asyncio.wait_for(child.wait(), CHILD_STOP_SECONDS)
    except asyncio.TimeoutError:
        child.kill()
        await child.wait()


def serve_ssh(engine: Engine, settings: Settings, options: DeskServerOptions,
              announce=print) -> None:  # noqa: ANN001 - a print-like callable
    """Serve desks until SIGINT or SIGTERM."""

    async def main() -> None:
        server = SshDeskServer(engine, settings, options)
        port = await server.start()
        announce(f"serving SSH desks on {options.host}:{port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
