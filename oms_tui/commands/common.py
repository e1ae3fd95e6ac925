"""What the `oms` commands share: output formats, the engine and sessions, who a change is attributed to.

The database layer (sqlalchemy, sqlmodel, alembic) and the settings (pydantic) are imported only
when a command first needs them, so that building the CLI for ``oms --help`` stays quick.
"""

from __future__ import annotations

import getpass
import json
import sys
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from oms_tui.errors import StorageError, ValidationError
from oms_tui.i18n import N_, _
from oms_tui.limits import EARLIEST_DAY, INT64_MAX, require_day

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from oms_tui.config import Settings
    from oms_tui.services.core.actor import Actor

console = Console()


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts")]
LimitOption = Annotated[int, typer.Option(help="rows per page", min=1, max=10_000)]
OffsetOption = Annotated[int, typer.Option(help="rows to skip", min=0, max=INT64_MAX)]
PageOption = Annotated[Optional[int], typer.Option(help="page number, --limit rows a page (instead of --offset)",
                                                   min=1, max=INT64_MAX // 10_000)]


def page_offset(page: int | None, limit: int, offset: int) -> int:
    """The rows to skip for ``--page`` (counted from 1), else ``--offset``."""
    return (page - 1) * limit if page else offset


def cli_user() -> str:
    """Who a CLI change is attributed to in the ledger and audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


def cli_actor(settings: Settings | None = None) -> Actor:
    """Who the services act for from the command line.

    ``OMS_CLI_USER`` (or ``cli_user`` in the config) names a user of ours: the command then has exactly that
    user's roles, so a script run for the CS team cannot adjust stock. Without it the command acts for the
    machine's operator, with the administrator's rights: whoever has a shell on the database's machine can
    change the database anyway, and the audit trail records their login name.
    """
    from oms_tui.services.core.actor import Actor

    settings = settings or get_settings()
    if not settings.cli_user:
        return Actor(cli_user(), frozenset({"admin"}))
    from oms_tui.db import read_session
    from oms_tui.services.core import users

    with read_session(open_engine(settings)) as session:
        user = users.get_user(session, settings.cli_user)
        return Actor(user.name, frozenset(user.role_list))


# `oms --demo COMMAND`: every command works on the demo's database (set by the top-level option, per run).
_demo_database = False


def use_demo_database(on: bool) -> None:
    global _demo_database
    _demo_database = on


def get_settings() -> Settings:
    """``oms_tui.config.get_settings``, imported on first use (pydantic-settings takes a while to load)."""
    from oms_tui import config
    from oms_tui.i18n import setup_language

    settings = config.get_settings()
    if _demo_database:
        settings = settings.model_copy(update={"database_url": f"sqlite:///{config.demo_database_path()}"})
    if settings.language:  # the configured language wins over the locale for everything the command prints
        setup_language(settings.language)
    return settings


def open_engine(settings: Settings | None = None, *, migrate: bool = False) -> Engine:
    from oms_tui.db import make_engine
    from oms_tui.schema import ensure_current, upgrade_to_head

    settings = settings or get_settings()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    if migrate:
        upgrade_to_head(engine)
        return engine
    try:
        ensure_current(engine)
    except StorageError:
        _point_at_the_demo(settings)
        raise
    return engine


def _point_at_the_demo(settings: Settings) -> None:
    """The default database is empty but the demo has data: say how to read that instead (not `oms init`,
    which would make an empty database)."""
    from oms_tui.config import default_database_url, demo_database_path

    demo = demo_database_path()
    if settings.database_url == default_database_url() and demo.exists() and not _demo_database:
        raise StorageError(N_("{database} is not initialised (`oms init` makes an empty one); the demo's data is in "
                              "{demo}: add --demo to read it, e.g. `oms --demo orders list`"),
                           database=settings.database_url.removeprefix("sqlite:///"), demo=str(demo))


def read_session(engine: Engine) -> AbstractContextManager[Session]:
    """``oms_tui.db.read_session``, imported when a command first uses it."""
    from oms_tui import db

    return db.read_session(engine)


def session_scope(engine: Engine) -> AbstractContextManager[Session]:
    """``oms_tui.db.session_scope`` (one transaction), imported when a command first uses it."""
    from oms_tui import db

    return db.session_scope(engine)


def page_line(offset: int, shown: int, total: int) -> str:
    """Which rows of how many a page shows: "1–50 of 138"."""
    return _("{first}–{last} of {total}").format(first=offset + 1 if shown else 0, last=offset + shown, total=total)


def print_json(rows: list[dict] | dict) -> None:
    sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")


def local_time(value: datetime | None, settings: Settings) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")


def parse_day(text: str, settings: Settings) -> datetime:
    """A YYYY-MM-DD day (or an 'Nd' age such as 7d) in the shop's time zone, as an aware datetime;
    a day outside ``limits.EARLIEST_DAY``…``LATEST_DAY`` is refused (it would overflow on the way to UTC)."""
    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    days = text[:-1]
    if text.endswith("d") and days.isascii() and days.isdigit():  # not '²d' or full-width '７d'
        most = (now.date() - EARLIEST_DAY).days
        if int(days) > most:
            raise ValidationError(N_("--since {value}: at most {most}d, back to {earliest}"), value=text, most=most,
                                  earliest=EARLIEST_DAY.isoformat())
        return now - timedelta(days=int(days))
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date() if text.isascii() else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(f"--since wants YYYY-MM-DD or a number of days like 7d, got {text!r}")
    require_day(day, "--since")
    return datetime(day.year, day.month, day.day, tzinfo=tz)
