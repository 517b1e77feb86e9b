import time

import pytest

from taskstore.ratelimit import RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_burst_then_reject():
    clock = FakeClock()
    limiter = RateLimiter(rate=1, burst=3, clock=clock)
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]


def test_clients_are_independent():
    limiter = RateLimiter(rate=1, burst=1, clock=FakeClock())
    assert limiter.allow("a")
    assert limiter.allow("b")
    assert not limiter.allow("a")
    assert limiter.tracked_clients() == 2


@pytest.mark.parametrize("elapsed, expected", [(0.0, False), (0.5, False), (1.0, True), (5.0, True)])
def test_tokens_refill_over_time(elapsed, expected):
    clock = FakeClock()
    limiter = RateLimiter(rate=1, burst=1, clock=clock)
    assert limiter.allow("c")
    clock.now += elapsed
    assert limiter.allow("c") is expected


def test_zero_rate_disables_limiting():
    limiter = RateLimiter(rate=0, burst=0)
    assert all(limiter.allow("x") for _ in range(100))


def test_refill_with_real_clock():
    limiter = RateLimiter(rate=5, burst=1)
    assert limiter.allow("d")
    assert not limiter.allow("d")
    time.sleep(0.3)
    assert limiter.allow("d")
