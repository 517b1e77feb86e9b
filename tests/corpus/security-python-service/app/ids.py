"""Identifiers and tokens, and some randomness that is fine."""

import random
import secrets
import string
import time
import uuid

ALPHABET = string.ascii_lowercase + string.digits


def new_order_id() -> str:
    return "o_" + "".join(random.choice(ALPHABET) for _ in range(12))  # expect: security.weak-random


def make_reset_token() -> str:
    token = "%032x" % random.getrandbits(128)  # expect: security.weak-random
    return token


def invite_code() -> str:
    suffix = random.randint(100000, 999999)  # expect: security.weak-random
    return f"INV-{suffix}"


def session_payload(user: str) -> dict:
    return {"user": user, "session_id": random.random()}  # expect: security.weak-random


def api_credentials() -> tuple[str, str]:
    api_key = "".join(random.choices(ALPHABET, k=40))  # expect: security.weak-random
    return "svc", api_key


def good_id() -> str:
    return uuid.uuid4().hex


def good_token() -> str:
    return secrets.token_urlsafe(32)


def backoff_delay(attempt: int, base: float = 0.2) -> float:
    delay = base * (2**attempt)
    return random.uniform(0, delay)


def wait_with_jitter(attempt: int) -> None:
    time.sleep(random.random() * attempt)


def pick_replica(replicas: list[str]) -> str:
    choice = random.choice(replicas)
    return choice


def shuffled(items: list[str]) -> list[str]:
    return sorted(items, key=lambda _: random.random())


def sample_for_audit(rows: list[dict], rate: float) -> list[dict]:
    kept = [row for row in rows if random.random() < rate]
    return kept
