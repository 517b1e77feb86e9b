"""More startup code: module-level and constructor initialisation of the database."""

import logging
import os
import sqlite3
import sys

log = logging.getLogger(__name__)
DB_PATH = os.environ.get("DB_PATH", "app.db")

try:
    CONN = sqlite3.connect(DB_PATH)
except sqlite3.Error:
    pass  # expect: errors.critical-init-swallowed


class Repository:
    def __init__(self, engine):
        self.engine = engine
        try:
            self.engine.migrate()
        except Exception as err:
            log.error(f"migrations failed: {err}")  # expect: errors.critical-init-swallowed


def setup(store):
    try:
        store.initialize()
    except Exception:
        log.exception("store initialisation failed")
        sys.exit(1)


def startup_checked(store):
    try:
        store.init_schema()
    except sqlite3.Error as err:
        raise SystemExit(f"cannot initialise the database: {err}") from err  # expect: errors.exception-chaining
