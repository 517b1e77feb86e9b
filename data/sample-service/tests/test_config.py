import pytest

from taskstore.config import Config, load_config
from taskstore.errors import ConfigError, NotFoundError, StorageError, TaskStoreError, ValidationError


def test_defaults():
    config = load_config([], env={})
    assert config == Config()


def test_flags_override_env():
    config = load_config(["--port", "9000", "--db", "/tmp/other.db"],
                         env={"TASKSTORE_PORT": "8000", "TASKSTORE_SLOW_MS": "150"})
    assert config.port == 9000
    assert config.db_path == "/tmp/other.db"
    assert config.slow_ms == 150


@pytest.mark.parametrize(
    "db_path, export_path",
    [("tasks.db", "tasks-export.json"), ("/var/lib/ts/data.sqlite", "/var/lib/ts/data-export.json")],
)
def test_export_path_sits_next_to_db(db_path, export_path):
    assert Config(db_path=db_path).export_path == export_path


def test_bad_env_integer():
    with pytest.raises(ConfigError):
        load_config([], env={"TASKSTORE_SLOW_MS": "fast"})


def test_log_level_is_normalised():
    load_config(["--log-level", "debug"], env={})


@pytest.mark.parametrize(
    "error_cls, status",
    [(ValidationError, 400), (NotFoundError, 404), (StorageError, 503), (TaskStoreError, 500)],
)
def test_error_status_codes(error_cls, status):
    assert error_cls.status == status
    assert issubclass(error_cls, TaskStoreError)
