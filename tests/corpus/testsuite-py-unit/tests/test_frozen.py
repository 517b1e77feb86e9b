from freezegun import freeze_time

from billing import total


def check_positive(x):
    assert x > 0


@freeze_time("2024-01-01")  # expect: tests.fake-clock
def test_new_year():
    check_positive(total([(1, 1.0)]))


def test_subtests():
    import unittest

    case = unittest.TestCase()
    for n in (1, 2):
        with case.subTest(n=n):  # expect: tests.parametrized
            case.assertTrue(n)
