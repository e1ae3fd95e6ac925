"""Two hands on one order at the same moment: exactly one wins, the other is told why, the books balance.

Each pair runs many rounds with real concurrent workers (threads, each with its own session and
connection) on SQLite and PostgreSQL. A round is one fresh order and one race; the test reports how
many rounds went wrong and how, so a rare interleaving shows up as "3 of 30", not as a flake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.models import MoveKind, Order, Outbox, ReturnRecord, ScanOutcome, StockMove
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing
from oms_tui.services.intake import sync
from tests.helpers.faults import (
    LINES,
    WON,
    Outcome,
    Rounds,
    cli_cancel,
    floor_orders,
    refused,
    ship_by_hand,
    violations,
)
from tests.helpers.shop import normalized

ROUNDS = 30
SECONDS_PER_PAIR = 90  # a bound on wall time for a loaded machine; the rounds run are reported and must reach MIN_ROUNDS
MIN_ROUNDS = 10
TOWEL, WIPES = "6901234567892", "6920000000012"  # HG-001 and MB-001's barcodes


def waybill(i: int, worker: int) -> str:
    return f"YT{worker}{i:012d}"


def pack_station_ready(engine, ref: str) -> packing.PackSession:
    """A station with the order scanned and every item verified: the next scan is the waybill."""
    pack = packing.PackSession(station="P1", actor=Actor("wh1", {"warehouse"}))
    for code in (ref, TOWEL, TOWEL, WIPES):
        pack.scan(engine, code)
    assert pack.phase == packing.WAYBILL, ref
    return pack


def pack_ship(engine, pack: packing.PackSession, code: str) -> Callable[[], Outcome]:
    def call():
        result = pack.scan(engine, code)
        if result.result == ScanOutcome.SHIPPED:
            return WON
        assert result.is_error, result
        return refused(result.message)

    return call


def platform_cancel(engine, ref: str, i: int) -> Callable[[], Outcome]:
    """The buyer cancels on Taobao; the change arrives through a sync batch."""

    def call():
        summary = sync.SyncSummary(shop="tb-main", platform="taobao")
        record = normalized(ref, LINES, state="cancelled", platform_status="TRADE_CLOSED_BY_TAOBAO",
                            receiver_phone=f"139{i:08d}", receiver_name=f"买家{i}")
        sync.ingest_batch(engine, "tb-main", "taobao", [record], summary, warehouse_code=None, user="sync")
        if summary.problems:
            return refused("; ".join(summary.problems))
        return WON

    return call


@dataclass(frozen=True)
class Pair:
    """Two actions on one order; ``effects`` says what each one leaves behind when it wins."""

    first: str
    second: str
    start: str  # the status the order is in when they race

    @property
    def name(self) -> str:
        return f"{self.first}-vs-{self.second}"


PAIRS = [
    Pair("cancel", "ship", "packed"),
    Pair("ship", "ship", "packed"),
    Pair("cancel", "cancel", "packed"),
    Pair("pack_station_ship", "cli_cancel", "picking"),
    Pair("platform_cancel", "pack_station_ship", "picking"),
]


def calls(pair: Pair, engine, ref: str, i: int):
    def make(action: str, worker: int):
        if action in ("cancel", "cli_cancel"):
            return cli_cancel(engine, ref, reason=f"worker {worker}")
        if action == "ship":
            return ship_by_hand(engine, ref, waybill(i, worker))
        if action == "pack_station_ship":
            return pack_ship(engine, pack_station_ready(engine, ref), waybill(i, worker))
        if action == "platform_cancel":
            return platform_cancel(engine, ref, i)
        raise AssertionError(action)

    return make(pair.first, 1), make(pair.second, 2)


def order_state(engine, ref: str) -> dict:
    with read_session(engine) as s:
        order = s.exec(select(Order).where(Order.platform_order_id == ref)).one()
        moves = s.exec(select(StockMove.kind).where(StockMove.order_id == order.id)).all()
        notices = s.exec(select(Outbox.id).where(Outbox.order_id == order.id, Outbox.kind == "platform_ship",
                                                 Outbox.status == "pending")).all()
        refunds = s.exec(select(ReturnRecord.id).where(ReturnRecord.order_id == order.id)).all()
        return {"status": order.status, "waybill": order.waybill, "ship_moves": moves.count(MoveKind.SHIP),
                "unlock_moves": moves.count(MoveKind.UNLOCK), "notices": len(notices), "refunds": len(refunds)}


def judge(pair: Pair, ref: str, i: int, outcomes: tuple[Outcome, Outcome], state: dict) -> list[str]:
    """Everything wrong with one round's end (empty when exactly one won and the other was told)."""
    wrong = []
    crashed = [o.message for o in outcomes if o.kind == "crashed"]
    if crashed:
        wrong.append(f"crashed: {crashed}")
    winners = [action for action, o in zip((pair.first, pair.second), outcomes) if o.kind == "won"]
    losers = [o for o in outcomes if o.kind == "refused"]
    # A platform cancel that finds the parcel gone is not an error: it becomes an after-sale record.
    if pair.first == "platform_cancel" and state["status"] == "shipped" and len(winners) == 2:
        winners = [pair.second]
        if state["refunds"] != 1:
            wrong.append(f"platform cancel after shipping left {state['refunds']} refund records")
    elif len(winners) != 1 or len(losers) != 1:
        wrong.append(f"{len(winners)} winners: {[o.kind + ' ' + o.message for o in outcomes]}")
    for loser in losers:
        if not loser.message.strip() or "\n" in loser.message:
            wrong.append(f"loser's message is not one line: {loser.message!r}")
    shipped = state["status"] == "shipped"
    if winners and ("ship" in winners[0]) != shipped:
        wrong.append(f"{winners[0]} won but the order is {state['status']}")
    if shipped:
        if state["ship_moves"] != len(LINES) or state["unlock_moves"] or not state["waybill"]:
            wrong.append(f"shipped order: {state}")
        if "pack_station_ship" in (pair.first, pair.second) and state["notices"] != 1:
            wrong.append(f"shipped at the station with {state['notices']} platform ship notices")
    elif state["status"] == "cancelled":
        if state["ship_moves"] or state["waybill"] or state["notices"] or state["unlock_moves"] != len(LINES):
            wrong.append(f"cancelled order: {state}")
    else:
        wrong.append(f"order ended {state['status']}")
    return wrong


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_one_winner_per_round_and_the_books_balance(pair, seeded, racer, no_duplicate_check):
    refs = floor_orders(seeded, pair.name[:12], ROUNDS, to=pair.start)
    rounds = Rounds(ROUNDS, SECONDS_PER_PAIR)
    seen = set(violations(seeded))
    assert not seen
    for i in rounds:
        first, second = calls(pair, seeded, refs[i], i)
        outcomes = racer.race(first, second)
        for problem in judge(pair, refs[i], i, outcomes, order_state(seeded, refs[i])):
            rounds.fail(i, problem)
        now = set(violations(seeded))
        for v in sorted(now - seen):
            rounds.fail(i, f"oms check: {v}")
        seen = now
    print(f"{pair.name} on {seeded.dialect.name}: {rounds.report()}")
    assert rounds.done >= MIN_ROUNDS, f"only {rounds.done} rounds in {SECONDS_PER_PAIR}s"
    assert not rounds.problems, f"{pair.name} on {seeded.dialect.name}: {rounds.report()}"
