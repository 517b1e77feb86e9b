import os
import secrets
import uuid

SECRET_KEY = os.environ.get("APP_SECRET_KEY") or secrets.token_hex(32)  # expect: security.ephemeral-signing-secret
COOKIE_SECRET = os.getenv("COOKIE_SECRET", secrets.token_urlsafe(32))  # expect: security.ephemeral-signing-secret
DATABASE_URL = os.environ.get("DATABASE_URL") or "sqlite:///app.db"


def instance_name() -> str:
    return os.environ.get("INSTANCE_NAME") or uuid.uuid4().hex


def nonce(headers: dict) -> str:
    return headers.get("x-nonce") or secrets.token_hex(16)


def csrf_token(cookies: dict) -> str:
    return cookies.get("csrftoken") or secrets.token_hex(16)


def api_secret() -> str:
    secret = os.environ.get("API_SECRET")
    if not secret:
        raise RuntimeError("API_SECRET must be set")
    return secret or secrets.token_hex(32)
