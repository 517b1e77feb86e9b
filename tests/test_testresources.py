"""Tests that use real resources are integration tests (issue 15: a suite that talks to a real Redis or starts a
real server was counted as unit tests, and Integration Tests got F)."""

from __future__ import annotations

import pytest

from assess.collectors.inventory import inventory_data
from assess.model import TestKind
from assess.static.run import analyse_in_memory
from tests.conftest import write_files

CASES: list[tuple[str, dict[str, str], dict[str, TestKind]]] = [
    ("direct-redis", {"tests/test_a.py": "import redis\n\ndef test_a():\n    r = redis.Redis()\n    assert r\n"},
     {"test_a": TestKind.INTEGRATION}),
    ("fakeredis-is-a-double", {"tests/test_a.py": "import fakeredis\n\ndef test_a():\n"
                                                  "    assert fakeredis.FakeRedis()\n"},
     {"test_a": TestKind.UNIT}),
    ("base-class-in-another-file",
     {"tests/__init__.py": "import unittest\nfrom redis import Redis\n\ndef fresh():\n    return Redis(db=9)\n\n"
                           "class RedisCase(unittest.TestCase):\n    def setUp(self):\n        self.r = fresh()\n",
      "tests/test_q.py": "from tests import RedisCase\n\nclass Middle(RedisCase):\n    pass\n\n"
                         "class TestQueue(Middle):\n    def test_push(self):\n        assert self.r\n",
      "tests/test_pure.py": "def test_add():\n    assert 1 + 1 == 2\n"},
     {"TestQueue::test_push": TestKind.INTEGRATION, "test_add": TestKind.UNIT}),
    ("helper-in-tests-utils",
     {"tests/__init__.py": "",
      "tests/utils.py": "import contextlib\nimport uvicorn\n\n@contextlib.asynccontextmanager\n"
                        "async def run_server(config):\n    server = uvicorn.Server(config)\n    yield server\n",
      "tests/test_srv.py": "from tests.utils import run_server\n\nasync def test_live():\n"
                           "    async with run_server(None):\n        pass\n\ndef test_unit():\n    assert True\n"},
     {"test_live": TestKind.INTEGRATION, "test_unit": TestKind.UNIT}),
    ("fixture-in-conftest",
     {"tests/conftest.py": "import pytest\nimport psycopg\n\n@pytest.fixture\ndef db():\n"
                           "    return psycopg.connect('dbname=t')\n",
      "tests/test_db.py": "def test_rows(db):\n    assert db\n\ndef test_none(tmp_path):\n    assert tmp_path\n"},
     {"test_rows": TestKind.INTEGRATION, "test_none": TestKind.UNIT}),
    ("browser-is-e2e", {"tests/test_ui.py": "from playwright.sync_api import sync_playwright\n\ndef test_page():\n"
                                            "    with sync_playwright() as p:\n        assert p\n"},
     {"test_page": TestKind.E2E}),
    ("marker-wins", {"tests/test_m.py": "import pytest\nimport redis\n\n@pytest.mark.benchmark\ndef test_m():\n"
                                        "    redis.Redis()\n"},
     {"test_m": TestKind.PERFORMANCE}),
]  # fmt: skip


@pytest.mark.parametrize(("files", "kinds"), [(f, k) for _, f, k in CASES], ids=[c[0] for c in CASES])
def test_a_test_that_uses_a_real_resource_is_an_integration_test(tmp_path, files, kinds) -> None:
    write_files(tmp_path, files)
    records, summary = analyse_in_memory(tmp_path)
    tests = {t.name: t for t in inventory_data(records, summary).tests}
    assert {name: tests[name].kind for name in kinds} == kinds
    for name, kind in kinds.items():
        assert (tests[name].kind_reason != "default") is (kind is not TestKind.UNIT)
