import threading
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest
from testcontainers.postgres import PostgresContainer


@pytest.fixture(scope="session")
def database():
    with PostgresContainer("postgres:16") as pg:  # expect: tests.integration-suite
        yield pg.get_connection_url()


@pytest.fixture
def live_server():
    server = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
