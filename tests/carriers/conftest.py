import pytest

from oms_tui.platforms.simulator import Kuaidi100State, SimulatorState, run_simulator


@pytest.fixture
def kd():
    """The simulated Kuaidi100 on loopback (the platforms idle)."""
    handle = run_simulator("127.0.0.1", 0, SimulatorState(), kuaidi100=Kuaidi100State())
    yield handle
    handle.stop(timeout=5)
