"""SQLite persistence for tasks and their audit trail."""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import string
import time
from contextlib import closing
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from .errors import NotFoundError, StorageError, TaskStoreError, ValidationError

log = logging.getLogger(__name__)
T = TypeVar("T")

VALID_STATUSES = ("todo", "doing", "done")
MAX_TITLE = 200
_ID_ALPHABET = string.ascii_lowercase + string.digits

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'todo',
    payload    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    action  TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_task ON audit (task_id);
"""


def new_task_id() -> str:
    return "t_" + "".join(random.choice(_ID_ALPHABET) for _ in range(10))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def validate_task(data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Check a request body and return only the fields we store."""
    if not isinstance(data, dict):
        raise ValidationError("request body must be a JSON object")
    clean: dict[str, Any] = {}
    if "title" in data or not partial:
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("title must be a non-empty string")
        if len(title) > MAX_TITLE:
            raise ValidationError(f"title must be at most {MAX_TITLE} characters")
        clean["title"] = title.strip()
    if "status" in data:
        if data["status"] not in VALID_STATUSES:
            raise ValidationError("status must be one of " + ", ".join(VALID_STATUSES))
        clean["status"] = data["status"]
    if "payload" in data:
        if not isinstance(data["payload"], dict):
            raise ValidationError("payload must be a JSON object")
        clean["payload"] = data["payload"]
    if partial and not clean:
        raise ValidationError("nothing to update")
    return clean


def _row_to_task(row: sqlite3.Row) -> dict[str, Any]:
    try:
        payload = json.loads(row["payload"])
    except json.JSONDecodeError:
        raise TaskStoreError(f"task {row['id']} has a corrupt payload")
    return {
        "id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "payload": payload,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


class TaskStore:
    def __init__(self, path: str):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5.0)
        conn.row_factory = sqlite3.Row
        return conn

    def init_schema(self) -> None:
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def ping(self) -> int:
        """Run a real query so readiness reflects whether the database works."""
        try:
            with closing(self._connect()) as conn:
                return conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
        except sqlite3.Error as err:
            raise StorageError(f"database check failed: {err}") from err

    def _retry_locked(self, operation: Callable[[], T]) -> T:
        # Another writer holding the lock is transient: wait a moment and retry.
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as err:
                if "locked" not in str(err):
                    raise StorageError(str(err)) from err
                log.warning("database is locked, retrying")
                time.sleep(0.05)

    def create_task(self, data: Any) -> dict[str, Any]:
        clean = validate_task(data)
        now = _now()
        task = {
            "id": new_task_id(),
            "title": clean["title"],
            "status": clean.get("status", "todo"),
            "payload": clean.get("payload", {}),
            "created_at": now,
            "updated_at": now,
        }

        def insert() -> None:
            with closing(self._connect()) as conn:
                with conn:  # task row and audit row commit together
                    conn.execute(
                        "INSERT INTO tasks (id, title, status, payload, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (task["id"], task["title"], task["status"],
                         json.dumps(task["payload"]), now, now),
                    )
                    conn.execute("INSERT INTO audit (task_id, action, at) VALUES (?, 'create', ?)",
                                 (task["id"], now))

        self._retry_locked(insert)
        return task

    def get_task(self, task_id: str) -> dict[str, Any]:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"task {task_id} not found")
        return _row_to_task(row)

    def list_tasks(self, status: str | None = None) -> list[dict[str, Any]]:
        query, params = "SELECT * FROM tasks", ()
        if status:
            query, params = query + " WHERE status = ?", (status,)
        with closing(self._connect()) as conn:
            rows = conn.execute(query + " ORDER BY created_at", params).fetchall()
        return [_row_to_task(row) for row in rows]

    def update_task(self, task_id: str, data: Any) -> dict[str, Any]:
        clean = validate_task(data, partial=True)
        task = self.get_task(task_id)
        task.update(clean)
        task["updated_at"] = _now()
        with closing(self._connect()) as conn:
            conn.execute(
                "UPDATE tasks SET title = ?, status = ?, payload = ?, updated_at = ? WHERE id = ?",
                (task["title"], task["status"], json.dumps(task["payload"]),
                 task["updated_at"], task_id),
            )
            conn.commit()
            self._audit(conn, task_id, "update")
        return task

    def _audit(self, conn: sqlite3.Connection, task_id: str, action: str) -> None:
        conn.execute("INSERT INTO audit (task_id, action, at) VALUES (?, ?, ?)",
                     (task_id, action, _now()))
        conn.commit()

    def delete_task(self, task_id: str) -> None:
        def delete() -> None:
            with closing(self._connect()) as conn:
                with conn:
                    cur = conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
                    if cur.rowcount == 0:
                        raise NotFoundError(f"task {task_id} not found")
                    conn.execute("INSERT INTO audit (task_id, action, at) VALUES (?, 'delete', ?)",
                                 (task_id, _now()))

        self._retry_locked(delete)

    def audit_trail(self, task_id: str) -> list[str]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT action FROM audit WHERE task_id = ? ORDER BY id",
                                (task_id,)).fetchall()
        return [row["action"] for row in rows]

    def export_json(self, path: str) -> int:
        """Write every task to `path` as a JSON document; returns the task count."""
        tasks = self.list_tasks()
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"exported_at": _now(), "tasks": tasks}, fh, indent=2)
        return len(tasks)
