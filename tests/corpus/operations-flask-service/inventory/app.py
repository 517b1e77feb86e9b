"""HTTP API of the inventory service."""

import logging

from flask import Flask, jsonify, request

from inventory.db import connect

log = logging.getLogger(__name__)
app = Flask(__name__)
VERSION = "0.1.0"


@app.get("/health")
def health():
    return jsonify(status="ok", version=VERSION)  # expect: health.shallow-check


@app.route("/ready", methods=["GET"])
def ready():
    conn = connect("inventory.db")  # expect: health.deep-check
    conn.execute("SELECT 1")
    return jsonify(status="ready")


@app.get("/items/<item_id>")
def item(item_id: str):
    status = request.args.get("status", "")
    if status == "ready":  # a task state, not a route
        return jsonify(id=item_id, ready=True)
    return jsonify(id=item_id)


def main() -> None:
    logging.basicConfig(level="INFO")
    print(f"inventory {VERSION} starting")  # expect: observability.print-logging
    log.info("starting")
    app.run(port=8000)  # expect: shutdown.no-signal-handler


if __name__ == "__main__":
    main()
