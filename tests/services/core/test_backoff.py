"""The one back-off policy the outbox, the print queue and webhook fetches share."""

import random
from datetime import timedelta

import pytest

from oms_tui.models import utcnow
from oms_tui.services.core.backoff import BackoffPolicy
from oms_tui.services.floor import printing
from oms_tui.services.intake import webhook


def test_waits_double_up_to_the_cap_and_the_policy_says_when_to_give_up():
    policy = BackoffPolicy(base_seconds=30, cap_seconds=3600, max_attempts=10)
    assert [policy.delay(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert [policy.gives_up(n) for n in (1, 9, 10, 11)] == [False, False, True, True]
    never = BackoffPolicy(base_seconds=10, cap_seconds=300)
    assert not never.gives_up(10_000)
    now = utcnow()
    assert never.next_attempt(2, now) == now + timedelta(seconds=20)


def test_jitter_shortens_each_wait_by_at_most_its_share_and_spreads_them():
    policy = BackoffPolicy(base_seconds=100, cap_seconds=100, jitter=0.2)
    rng = random.Random(7)
    waits = [policy.delay(1, rng).total_seconds() for _ in range(200)]
    assert all(80 <= w <= 100 for w in waits)
    assert len(set(waits)) > 150 and min(waits) < 85 and max(waits) > 95


@pytest.mark.parametrize("kwargs", [dict(base_seconds=0, cap_seconds=10), dict(base_seconds=20, cap_seconds=10),
                                    dict(base_seconds=1, cap_seconds=10, max_attempts=0),
                                    dict(base_seconds=1, cap_seconds=10, jitter=1.5)])
def test_nonsense_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        BackoffPolicy(**kwargs)


def test_the_queues_share_the_type_not_the_numbers():
    from oms_tui.services.core import outbox

    assert {type(outbox.BACKOFF), type(printing.BACKOFF), type(webhook.BACKOFF)} == {BackoffPolicy}
    assert printing.BACKOFF.max_attempts is None  # slips are never dropped
    with pytest.raises(AttributeError):
        outbox.BACKOFF.base_seconds = 1  # frozen: one module cannot change another's policy
