"""Not a secret: code that describes where secrets come from."""

SECRET_NAMES = ("DB_PASSWORD", "API_KEY")
