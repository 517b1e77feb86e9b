"""Recipes API: built by create_app, served by gunicorn."""

import logging

from flask import Flask, jsonify

log = logging.getLogger(__name__)


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/recipes")
    def recipes():
        log.info("listing recipes")
        return jsonify([])

    @app.get("/recipes/<name>/status")
    def recipe_status(name: str):
        return jsonify(name=name, status="ready")

    return app
