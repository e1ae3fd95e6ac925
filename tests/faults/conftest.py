"""The fault suite's fixture: two workers that start together (see tests/helpers/faults.py)."""

from __future__ import annotations

import pytest

from tests.helpers.faults import Racer


@pytest.fixture
def racer():
    r = Racer()
    yield r
    r.close()
