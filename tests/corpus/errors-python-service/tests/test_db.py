import sqlite3


def test_schema():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER)")
    try:
        conn.execute("INSERT INTO t VALUES (1)")
    except Exception:
        pass
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1
