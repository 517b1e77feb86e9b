import json
import os
import sqlite3
import tempfile
import unittest

import pytest

from taskstore.errors import NotFoundError, ValidationError
from taskstore.store import TaskStore, new_task_id, validate_task


def test_create_and_get_roundtrip(store):
    created = store.create_task({"title": "write docs", "payload": {"prio": 2}})
    fetched = store.get_task(created["id"])
    assert fetched == created
    assert fetched["status"] == "todo"


def test_create_writes_audit_row(store):
    task = store.create_task({"title": "audited"})
    assert store.audit_trail(task["id"]) == ["create"]


def test_list_filters_by_status(store):
    store.create_task({"title": "a"})
    store.create_task({"title": "b", "status": "done"})
    assert [t["title"] for t in store.list_tasks()] == ["a", "b"]
    assert [t["title"] for t in store.list_tasks(status="done")] == ["b"]


def test_update_changes_fields_and_audits(store):
    task = store.create_task({"title": "old"})
    updated = store.update_task(task["id"], {"title": "new", "status": "doing"})
    assert updated["title"] == "new"
    assert store.get_task(task["id"])["status"] == "doing"
    assert store.audit_trail(task["id"]) == ["create", "update"]


def test_delete_removes_task(store):
    task = store.create_task({"title": "temp"})
    store.delete_task(task["id"])
    with pytest.raises(NotFoundError):
        store.get_task(task["id"])
    assert store.audit_trail(task["id"]) == ["create", "delete"]


def test_delete_missing_task_raises(store):
    with pytest.raises(NotFoundError):
        store.delete_task("t_missing")


def test_journal_mode_is_wal(store):
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_ping_counts_tasks(store):
    store.create_task({"title": "one"})
    assert store.ping() == 1


def test_export_writes_all_tasks(store, tmp_path):
    store.create_task({"title": "one"})
    store.create_task({"title": "two"})
    out = tmp_path / "export.json"
    assert store.export_json(str(out)) == 2
    assert len(json.loads(out.read_text())["tasks"]) == 2


def test_export_empty_store(store, tmp_path):
    assert store.export_json(str(tmp_path / "empty.json")) == 0


def test_task_ids_have_prefix():
    assert new_task_id().startswith("t_")
    assert len(new_task_id()) == 12


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": 42},
        {"title": "x" * 201},
        {"title": "ok", "status": "blocked"},
        {"title": "ok", "payload": [1, 2]},
        ["not", "an", "object"],
    ],
)
def test_create_rejects_invalid_bodies(store, body):
    with pytest.raises(ValidationError):
        store.create_task(body)


@pytest.mark.parametrize("status", ["todo", "doing", "done"])
def test_every_status_is_accepted(store, status):
    assert store.create_task({"title": "t", "status": status})["status"] == status


class ValidateTaskTests(unittest.TestCase):
    def test_title_is_stripped(self):
        self.assertEqual(validate_task({"title": "  hi  "}), {"title": "hi"})

    def test_unknown_fields_are_dropped(self):
        self.assertEqual(validate_task({"title": "a", "owner": "bob"}), {"title": "a"})

    def test_partial_update_needs_a_field(self):
        with self.assertRaises(ValidationError):
            validate_task({}, partial=True)

    def test_partial_update_without_title(self):
        self.assertEqual(validate_task({"status": "done"}, partial=True), {"status": "done"})


class MissingDatabaseTests(unittest.TestCase):
    def test_get_before_schema_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            store = TaskStore(os.path.join(tmp, "fresh.db"))
            with self.assertRaises(sqlite3.OperationalError):
                store.get_task("t_anything")
