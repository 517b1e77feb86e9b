"""Settings, some of them committed by mistake."""

import os

ADMIN_TOKEN = "s3cr3t-admin-token"  # expect: security.hardcoded-secret
SMTP_PASSWORD = "Winter2024!"  # expect: security.hardcoded-secret
LEGACY_SECRET = "hunter2"  # nosec B105  (reviewed: a test double's password)

TOKEN_TYPE = "bearer"
TOKEN_URL = "https://auth.example.com/oauth/token"
PASSWORD_HEADER = "X-Password"
TOKEN_FIELD = "access_token"
PASSWORD_PROMPT = "Enter your password: "
API_TOKEN = os.environ.get("API_TOKEN", "")
SECRET_PATH = "/run/secrets/api_token"
empty_password = ""


class Settings:
    def __init__(self, user: str, password: str = "admin1234") -> None:  # expect: security.hardcoded-secret
        self.user = user
        self.password = password


def connect_default(connect):
    return connect(user="svc", password="letmein-42")  # expect: security.hardcoded-secret


def connect_from_env(connect):
    return connect(user="svc", password=os.environ["DB_PASSWORD"])
