import pytest

from taskstore.store import TaskStore


@pytest.fixture
def store(tmp_path):
    s = TaskStore(str(tmp_path / "tasks.db"))
    s.init_schema()
    return s
