import urllib.request

import pytest

pytestmark = pytest.mark.integration  # expect: tests.integration-suite


def test_home_page(live_server):
    host, port = live_server.server_address[:2]
    with urllib.request.urlopen(f"http://{host}:{port}/", timeout=5) as resp:
        assert resp.status == 200


def test_database_url(database):
    assert database.startswith("postgresql")
