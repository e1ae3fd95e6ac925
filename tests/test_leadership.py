"""However many schedulers start, one leads; when it stops another takes over."""

from oms_tui.leadership import Leadership


def test_one_leader_and_take_over(engine):
    first, second = Leadership(engine, lease_seconds=30), Leadership(engine, lease_seconds=30)
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        assert first.try_acquire() is True  # renewing keeps it
        first.release()
        assert second.try_acquire() is True
        assert first.try_acquire() is False
    finally:
        first.release()
        second.release()


def test_expired_sqlite_lease_is_taken_over(sqlite_engine):
    dead = Leadership(sqlite_engine, lease_seconds=-1)  # its lease is already over: a crashed holder
    alive = Leadership(sqlite_engine, lease_seconds=30)
    assert dead.try_acquire() is True
    assert alive.try_acquire() is True
    assert dead.try_acquire() is False  # the crashed holder came back: it does not take over again
    dead.release()  # and cannot release someone else's lease
    assert Leadership(sqlite_engine, lease_seconds=30).try_acquire() is False
    alive.release()
