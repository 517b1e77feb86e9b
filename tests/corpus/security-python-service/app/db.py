"""Queries."""

import sqlite3


def find_user(conn: sqlite3.Connection, name: str):
    return conn.execute(f"SELECT * FROM users WHERE name = '{name}'").fetchone()  # expect: security.sql-injection


def delete_user(conn: sqlite3.Connection, user_id: str) -> None:
    conn.execute("DELETE FROM users WHERE id = '%s'" % user_id)  # expect: security.sql-injection


def rename(conn: sqlite3.Connection, user_id: str, name: str) -> None:
    conn.execute("UPDATE users SET name = '" + name + "' WHERE id = " + user_id)  # expect: security.sql-injection


def get_user(conn: sqlite3.Connection, user_id: str):
    return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()  # expect: security.parameterized-sql


def add_user(conn: sqlite3.Connection, user_id: str, name: str) -> None:
    conn.execute(  # expect: security.parameterized-sql
        "INSERT INTO users (id, name) VALUES (?, ?)",
        (user_id, name),
    )


def by_email(cur, email: str):
    cur.execute("SELECT id FROM users WHERE email = %(email)s", {"email": email})  # expect: security.parameterized-sql
    return cur.fetchone()


async def by_team(pool, team: str):
    return await pool.fetch("SELECT id FROM users WHERE team = $1 LIMIT 100", team)  # expect: security.parameterized-sql


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def run(conn: sqlite3.Connection, sql: str, params: tuple) -> None:
    conn.execute(sql, params)
