"""Fixtures for the platform adapters: a live simulator on a free loopback port, stopped after each test,
and a watchdog so no test here can hang."""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.simulator import SimulatorHandle, SimulatorState, run_simulator
from tests.helpers.platforms import SKUS

TEST_TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def _watchdog() -> Iterator[None]:
    """Fail a test that runs longer than TEST_TIMEOUT_S (SIGALRM; main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def _expired(signum, frame):  # noqa: ANN001
        raise TimeoutError(f"platform test took longer than {TEST_TIMEOUT_S}s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(TEST_TIMEOUT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def state() -> SimulatorState:
    return SimulatorState.with_demo_shops(SKUS, seed=7)


@pytest.fixture
def sim(state: SimulatorState) -> Iterator[SimulatorHandle]:
    handle = run_simulator("127.0.0.1", 0, state)
    try:
        yield handle
    finally:
        handle.stop(timeout=5)
        assert not handle.running


class Sleeps(list):
    """A sleep function that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.5, multiplier=2.0, max_delay=5.0, jitter=0.0, sleep=sleeps)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(42)


@pytest.fixture
def now() -> datetime:
    """Generated orders carry this modified time (real time: the simulator checks timestamps
    against the wall clock, not against this)."""
    return datetime.now(timezone.utc).replace(microsecond=0)
