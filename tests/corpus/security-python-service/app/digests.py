"""Hashes and expressions."""

import ast
import hashlib


def password_hash(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # expect: security.weak-hash


def signature(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()  # expect: security.weak-hash


def legacy_digest(body: bytes) -> str:
    return hashlib.new("md5", body).hexdigest()  # a checksum: nothing says it guards anything


def session_digest(session_id: str) -> str:
    return hashlib.sha1(session_id.encode()).hexdigest()  # expect: security.weak-hash


def avatar_colour(email: str) -> str:
    return "#" + hashlib.md5(email.encode()).hexdigest()[:6]


def etag(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def strong(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def calculate(expression: str) -> float:
    return eval(expression)  # expect: security.eval


def run_plugin(source: str, env: dict) -> None:
    exec(source, env)  # expect: security.eval


def parse_filter(text: str, names: dict):
    return eval(text, {"__builtins__": {}}, names)  # expect: security.eval


def parse_literal(text: str):
    return ast.literal_eval(text)


def evaluate(model) -> None:
    model.eval()
