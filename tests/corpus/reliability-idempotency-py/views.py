"""POST handlers with and without idempotency keys (Flask, FastAPI)."""

from fastapi import APIRouter, Header
from flask import Flask, jsonify, request

from .store import db

app = Flask(__name__)
router = APIRouter()


@app.post("/orders")
def create_order():
    order = db.create_order(request.get_json())  # expect: reliability.post-without-idempotency
    return jsonify(order), 201


@app.route("/payments", methods=["POST"])
def pay():
    key = request.headers.get("Idempotency-Key")  # expect: reliability.idempotency-key
    if not key:
        return jsonify(error="Idempotency-Key required"), 400
    return jsonify(db.charge(request.get_json(), idempotency_key=key)), 201


@app.route("/refunds", methods=["POST"])
def refund():
    key = request.headers.get("Idempotency-Key")
    refund = db.create_refund(request.get_json())  # expect: reliability.post-without-idempotency
    return jsonify(refund), 201


@app.post("/webhooks/stripe")
def stripe_webhook():  # expect: reliability.post-without-idempotency
    event = request.get_json()
    db.apply_event(event)
    return "", 204


@app.post("/search")
def search():
    return jsonify(db.search(request.get_json()))


@app.route("/users", methods=["GET"])
def list_users():
    return jsonify(db.list_users())


@router.post("/subscriptions")
async def subscribe(body: dict, idempotency_key: str = Header(...)):  # expect: reliability.idempotency-key
    return await db.subscribe(body, key=idempotency_key)


@router.post("/invites")
async def invite(body: dict):
    return await db.add_invite(body)  # expect: reliability.post-without-idempotency
