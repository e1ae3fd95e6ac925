import pytest

from oms_tui.carriers.kuaidi100 import Kuaidi100Client
from oms_tui.platforms.simulator import Kuaidi100State, SimulatorState, run_simulator
from tests.helpers.kuaidi100 import MovableClock, kd_settings


@pytest.fixture
def kd_clock():
    return MovableClock()


@pytest.fixture
def kd(kd_clock):
    """The simulated Kuaidi100 on loopback (the platforms idle), its clock movable."""
    handle = run_simulator("127.0.0.1", 0, SimulatorState(), kuaidi100=Kuaidi100State(clock=kd_clock))
    yield handle
    handle.stop(timeout=5)


@pytest.fixture
def kd_config(kd):
    return kd_settings(kd)


@pytest.fixture
def carrier(kd_config):
    client = Kuaidi100Client(kd_config.kuaidi100)
    yield client
    client.close()


@pytest.fixture
def shop(sqlite_engine):
    from tests.helpers.shop import seed_catalogue

    seed_catalogue(sqlite_engine)
    return sqlite_engine
