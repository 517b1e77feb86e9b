from app import sub


def test_sub():
    assert sub(3, 2) == 1
