def test_gate():
    assert 1 + 1 == 2
