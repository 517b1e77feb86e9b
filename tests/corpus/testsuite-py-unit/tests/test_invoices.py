import time
import unittest
from unittest import mock

import pytest

from billing import rate, total


def assert_money(value):
    assert round(value, 2) == value


def test_total_of_empty_invoice():
    assert total([]) == 0


def test_total_runs():  # expect: tests.no-assertion
    total([(1, 2.0), (3, 4.0)])


def test_total_is_money():
    assert_money(total([(1, 2.5)]))


def test_rate_unknown_currency():
    with pytest.raises(KeyError):
        rate("XXX")


def test_notifier_called():
    notifier = mock.Mock()
    notifier("sent")
    notifier.assert_called_once_with("sent")


@pytest.mark.parametrize(  # the finding names the def line below
    "currency, expected",
    [("EUR", 1.0), ("USD", 1.1)],
)
def test_rates(currency, expected):  # expect: tests.parametrized
    assert rate(currency) == expected


@pytest.mark.parametrize("lines", [[], [(1, 1.0)]])
def test_totals_are_non_negative(lines):
    assert total(lines) >= 0


def test_rate_is_cached_for_a_while():
    first = rate("EUR")
    time.sleep(0.5)  # expect: tests.sleep-in-test
    assert rate("EUR") == first


def test_quick_yield():
    time.sleep(0)
    time.sleep(0.01)
    assert True


@pytest.mark.skip  # expect: tests.skipped-tests
def test_refunds():
    assert total([(-1, 2.0)]) == -2.0


@pytest.mark.skip(reason="rounding rules under review, see BILL-42")
def test_rounding():
    assert total([(1, 0.005)]) == 0.01


@pytest.mark.skipif(True, reason="needs network")
def test_live_rates():
    assert rate("USD")


def test_todo():  # expect: tests.no-assertion
    pass


class InvoiceTests(unittest.TestCase):
    def test_total(self):
        self.assertEqual(total([(2, 2.0)]), 4.0)

    def test_smoke(self):  # a smoke test: its name says the point is that nothing raises
        total([(2, 2.0)])

    def test_raises(self):
        with self.assertRaises(KeyError):
            rate("GBP")
