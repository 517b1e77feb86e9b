"""SQLite storage for notes: transactions done right and wrong."""

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT, archived INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, note_id INTEGER, what TEXT);
"""
INSERT_HISTORY = "INSERT INTO history (note_id, what) VALUES (?, ?)"


def connect(path):
    conn = sqlite3.connect(path, timeout=5.0)
    conn.execute("PRAGMA journal_mode=WAL")  # expect: durability.sqlite-wal
    conn.executescript(SCHEMA)
    return conn


def add_note(conn, title, body):
    with conn:  # expect: durability.transaction
        cur = conn.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (title, body))  # expect: durability.transaction, security.parameterized-sql
        conn.execute(INSERT_HISTORY, (cur.lastrowid, "create"))  # expect: durability.transaction
    return cur.lastrowid


def move_money(conn, a, b, amount):
    conn.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, a))  # expect: durability.transaction, security.parameterized-sql
    conn.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, b))  # expect: durability.transaction
    conn.commit()  # expect: durability.transaction


def rename(conn, note_id, title):
    conn.execute("UPDATE notes SET title = ? WHERE id = ?", (title, note_id))  # expect: security.parameterized-sql
    conn.commit()
    conn.execute(INSERT_HISTORY, (note_id, "rename"))  # expect: durability.multi-step-write-outside-transaction
    conn.commit()


class NoteRepo:
    def __init__(self, conn):
        self.conn = conn

    def _log(self, note_id, what):
        self.conn.execute(INSERT_HISTORY, (note_id, what))
        self.conn.commit()

    def delete(self, note_id):
        self.conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))  # expect: security.parameterized-sql
        self.conn.commit()
        self._log(note_id, "delete")  # expect: durability.multi-step-write-outside-transaction

    def archive(self, note_id):
        # one commit (inside _log) covers both writes
        self.conn.execute("UPDATE notes SET archived = 1 WHERE id = ?", (note_id,))  # expect: security.parameterized-sql
        self._log(note_id, "archive")

    def touch(self, note_id):
        self.conn.execute("UPDATE notes SET body = body WHERE id = ?", (note_id,))  # expect: security.parameterized-sql
        self.conn.commit()

    def purge(self):
        # no commit here: the caller commits both deletes together
        self.conn.execute("DELETE FROM notes WHERE archived = 1")
        self.conn.execute("DELETE FROM history WHERE note_id NOT IN (SELECT id FROM notes)")

    def count_then_touch(self, note_id):
        total = self.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
        self.conn.commit()
        self.conn.execute("UPDATE notes SET body = body WHERE id = ?", (note_id,))  # expect: security.parameterized-sql
        return total

    def unrelated_with(self, lock):
        with lock:
            self.conn.execute("UPDATE notes SET archived = 0")
