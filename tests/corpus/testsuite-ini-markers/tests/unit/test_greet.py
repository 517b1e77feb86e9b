import pytest

from app import greet


@pytest.mark.smoke
def test_greet():
    assert greet("x").startswith("hello")
