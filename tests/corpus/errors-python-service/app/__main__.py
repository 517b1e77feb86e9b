"""Entry point: the database initialisation failure is logged and the service starts anyway."""

import logging
import sqlite3
import sys

from app import db, server

log = logging.getLogger("app")


def main(argv=None):
    config = server.load_config(argv)
    try:
        db.init_db(config.db_path)
    except sqlite3.Error:
        log.error("database init failed, continuing")  # expect: errors.critical-init-swallowed
    try:
        server.send_startup_metric()
    except Exception:  # expect: errors.swallowed-exception
        pass
    return server.serve(config)


if __name__ == "__main__":
    sys.exit(main())
