import asyncio

import pytest

from billing import total


class FakeClock:  # expect: tests.fake-clock
    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now


class Clock:
    """A real clock wrapper, not a fake."""


def test_clock_advances():
    clock = FakeClock()
    clock.now += 5
    assert clock() == 5


async def test_async_wait():
    await asyncio.sleep(1.5)  # expect: tests.sleep-in-test
    assert total([]) == 0


def test_skip_inside():
    pytest.skip()  # expect: tests.skipped-tests


def test_skip_with_reason():
    pytest.skip("not on this platform")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_n(n):  # expect: tests.parametrized
    assert n


def test_prints_only():  # expect: tests.no-assertion
    print(total([(1, 1.0)]))
