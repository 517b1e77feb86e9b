from app import greet


def test_greeting_flow():  # expect: tests.integration-suite
    assert greet("a") == "hello a"


def test_second_flow():
    assert greet("b")
