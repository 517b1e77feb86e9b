import pickle

import yaml

TEST_PASSWORD = "test-password-123"


def test_roundtrip():
    assert pickle.loads(pickle.dumps({"a": 1})) == {"a": 1}
    assert yaml.load("a: 1") == {"a": 1}
    assert eval("1 + 1") == 2
