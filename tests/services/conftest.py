"""Fixtures for service tests that talk to the platform simulator on loopback."""

import pytest

from oms_tui.platforms.simulator import SimulatorState, run_simulator

SIM_SKUS = {"HG-001": ("竹纤维毛巾", 1990), "MB-001": ("婴儿湿巾", 2990)}


@pytest.fixture
def sim():
    """All three simulated platforms on a free loopback port, stopped after the test."""
    handle = run_simulator("127.0.0.1", 0, SimulatorState.with_demo_shops(SIM_SKUS, seed=5))
    yield handle
    handle.stop(timeout=5)
