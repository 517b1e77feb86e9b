"""Database access: readers cannot write."""

import sqlite3

from flask import request


def reader(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # expect: security.read-only-connection


def writer(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path)


def sorted_items(conn: sqlite3.Connection):
    column = request.args.get("sort", "id")
    return conn.execute(f"SELECT * FROM items ORDER BY {column} LIMIT 50").fetchall()  # expect: security.sql-injection


def first_table_size(conn: sqlite3.Connection) -> int:
    (table,) = conn.execute("select name from sqlite_master where type = 'table' limit 1").fetchone()
    return conn.execute(f"select count(*) from [{table}]").fetchone()[0]
