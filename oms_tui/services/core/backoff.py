"""One back-off policy for every persisted queue: the outbox, the print queue and webhook fetches.

A queue row that failed is tried again after ``base · 2^(attempts-1)`` seconds, at most ``cap``;
after ``max_attempts`` failed attempts it gives up (None: it never does — a printer that is off
for a weekend still prints Monday's slips). ``jitter`` draws that share of each wait at random so
rows that failed together (a platform rate-limiting us) do not all come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class BackoffPolicy:
    base_seconds: float
    cap_seconds: float
    max_attempts: int | None = None
    jitter: float = 0.0  # 0: exact waits; 0.2: each wait is 80–100 % of the exact one

    def __post_init__(self) -> None:
        if not 0 < self.base_seconds <= self.cap_seconds:
            raise ValueError("back-off needs 0 < base_seconds <= cap_seconds")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None: never give up)")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter is a share between 0 and 1")

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        exact = min(self.base_seconds * 2 ** max(0, attempts - 1), self.cap_seconds)
        if self.jitter:
            exact *= 1.0 - self.jitter * (rng or random).random()
        return timedelta(seconds=exact)

    def gives_up(self, attempts: int) -> bool:
        """Whether a row that has failed ``attempts`` times is not tried again."""
        return self.max_attempts is not None and attempts >= self.max_attempts

    def next_attempt(self, attempts: int, now: datetime, rng: random.Random | None = None) -> datetime:
        return now + self.delay(attempts, rng)
