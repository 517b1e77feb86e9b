"""Reports are computed in a scratch in-memory database, rebuilt for each report."""

import sqlite3


def totals(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE scratch (account INTEGER, amount INTEGER)")
    conn.executemany("INSERT INTO scratch VALUES (?, ?)", rows)  # expect: security.parameterized-sql
    return conn.execute("SELECT account, SUM(amount) FROM scratch GROUP BY account").fetchall()
