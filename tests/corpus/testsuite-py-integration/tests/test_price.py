import pytest

from shop import price


@pytest.mark.slow
def test_price():
    assert price("apple") == 1.0


def test_config_port():
    settings = {"port": 8080}
    assert dict(settings, port=8080)["port"] == 8080
