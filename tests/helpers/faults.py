"""The fault suite's shared pieces: orders on the floor, two workers that start together, and what
"the books are clean" means after a fault (``run_checks`` empty)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, queries, upsert
from oms_tui.services.stock.check import run_checks
from tests.helpers.shop import normalized, stock_up

LINES = {"HG-001": 2, "MB-001": 1}


def violations(engine) -> list[str]:
    with read_session(engine) as s:
        return [str(v) for v in run_checks(s)]


def floor_orders(engine, prefix: str, count: int, *, to: str = "packed") -> list[str]:
    """``count`` orders of LINES taken in, stock locked, moved on to ``to`` (ready, picking or packed).

    Plenty of stock and other orders' locks on the same SKUs, so a double deduction is not stopped by
    a bucket running out: only the order's own status can stop it."""
    stock_up(engine, "HG-001", 4 * count)
    stock_up(engine, "MB-001", 4 * count)
    refs = [f"{prefix}-{i:03d}" for i in range(count)]
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        for i, ref in enumerate(refs):
            # A receiver of its own each: no duplicate or merge rule holds these orders back.
            order = upsert.upsert_order(s, normalized(ref, LINES, receiver_phone=f"139{i:08d}",
                                                      receiver_name=f"买家{i}"), warehouse=wh).order
            assert order.status == "ready", (ref, order.status)
            if to in ("picking", "packed"):
                actions.start_picking(s, order, user="floor")
            if to == "packed":
                actions.mark_packed(s, order, user="floor")
    return refs


@dataclass(frozen=True)
class Outcome:
    """What one worker's call came to: ``won`` (it changed the order), ``refused`` (a domain error a
    person can read) or ``crashed`` (anything else: a deadlock, a traceback)."""

    kind: str
    message: str = ""


WON = Outcome("won")


def refused(message: str) -> Outcome:
    return Outcome("refused", message)


def attempt(call: Callable[[], Outcome | None]) -> Outcome:
    """Run one worker's call and classify how it ended."""
    try:
        return call() or WON
    except OmsError as exc:
        return refused(str(exc))
    except SQLAlchemyError as exc:
        return Outcome("crashed", f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc)).splitlines()[0]}")
    except Exception as exc:  # noqa: BLE001 — a bug is an outcome the test reports, not a crash of the harness
        return Outcome("crashed", f"{type(exc).__name__}: {exc}")


class Racer:
    """Two threads, each with its own session and connection, released together by a barrier."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=2)

    def race(self, first: Callable[[], Outcome | None],
             second: Callable[[], Outcome | None]) -> tuple[Outcome, Outcome]:
        barrier = threading.Barrier(2)

        def run(call):
            barrier.wait(timeout=10)
            return attempt(call)

        a, b = self.pool.submit(run, first), self.pool.submit(run, second)
        return a.result(timeout=60), b.result(timeout=60)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class Rounds:
    """Rounds run until ``count`` or ``seconds`` is reached, whichever comes first; every round's
    problems are kept so a failure shows how often and how, not only the first time."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count, self.deadline = count, time.monotonic() + seconds
        self.done = 0
        self.problems: list[str] = []

    def __iter__(self):
        for i in range(self.count):
            if time.monotonic() > self.deadline:
                return
            yield i
            self.done += 1

    def fail(self, round_no: int, what: str) -> None:
        self.problems.append(f"round {round_no}: {what}")

    def report(self) -> str:
        bad = len({p.split(":")[0] for p in self.problems})
        return f"{bad} of {self.done} rounds went wrong:\n" + "\n".join(self.problems[:20])


def cli_cancel(engine, ref: str, reason: str = "buyer asked") -> Callable[[], None]:
    """What `oms orders cancel REF --reason …` does."""

    def call():
        with session_scope(engine) as s:
            actions.cancel(s, queries.find_by_reference(s, ref), actor=Actor.system("cs1"), reason=reason)

    return call


def ship_by_hand(engine, ref: str, waybill: str) -> Callable[[], None]:
    """A packed order shipped through the service (as the demo and bulk tools do)."""

    def call():
        with session_scope(engine) as s:
            actions.ship(s, queries.find_by_reference(s, ref), waybill=waybill, courier="yuantong", user="wh1")

    return call
