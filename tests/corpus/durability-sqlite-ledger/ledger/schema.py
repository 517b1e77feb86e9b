"""The schema, upgraded by numbered steps recorded in a schema_migrations table."""

import sqlite3

LEDGER = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)"  # expect: durability.migrations
STEPS = {
    1: "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)",
    2: "ALTER TABLE entries ADD COLUMN memo TEXT",
}


def upgrade(conn: sqlite3.Connection) -> None:
    conn.execute(LEDGER)
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, statement in sorted(STEPS.items()):
        if version not in done:
            with conn:  # expect: durability.transaction
                conn.execute(statement)  # expect: durability.transaction
                conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))  # expect: durability.transaction, security.parameterized-sql
