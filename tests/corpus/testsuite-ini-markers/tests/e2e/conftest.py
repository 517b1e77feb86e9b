import pytest


@pytest.fixture(scope="session")
def api_url(docker_services):  # expect: tests.integration-suite
    docker_services.wait_until_responsive(timeout=30.0, pause=0.5, check=lambda: True)
    return "http://127.0.0.1:8000"
