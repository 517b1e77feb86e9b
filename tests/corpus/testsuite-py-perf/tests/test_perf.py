import pytest

from api import parse


def test_parse():
    assert parse("a") == ["a"]


def test_parse_speed(benchmark):  # expect: tests.performance-suite
    result = benchmark(parse, "a,b,c")
    assert result == ["a", "b", "c"]


def test_parse_speed_again(benchmark):
    benchmark(parse, "x")


@pytest.mark.parametrize("raw", ["a", "b"])
def test_many(raw):  # expect: tests.parametrized
    assert parse(raw)
