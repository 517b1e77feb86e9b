"""Request handling: size limits and validation."""

from typing import Any

MAX_BODY = 64 * 1024
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_TAGS = 20


class ValidationError(ValueError):
    pass


class Handler:
    headers: dict
    rfile: Any

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:  # expect: security.request-size-limit
            raise ValidationError("body too large")
        return self.rfile.read(length)

    def read_upload(self, stream: Any, declared: int) -> bytes:
        if MAX_UPLOAD_BYTES < declared:  # expect: security.request-size-limit
            return b""
        return stream.read(declared)

    def tags(self, tags: list[str]) -> list[str]:
        if len(tags) > MAX_TAGS:
            raise ValidationError("too many tags")
        return tags


def configure(app: Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024  # expect: security.request-size-limit


def validate_order(data: Any) -> dict:  # expect: security.input-validation
    if not isinstance(data, dict):
        raise ValidationError("order must be an object")
    if data.get("quantity", 0) <= 0:
        raise ValidationError("quantity must be positive")
    if len(data.get("note", "")) > 500:
        raise ValidationError("note too long")
    return {"quantity": data["quantity"], "note": data.get("note", "")}


def _validate_status(status: str) -> str:  # expect: security.input-validation
    if not isinstance(status, str):
        raise ValidationError("status must be a string")
    if status not in ("open", "closed"):
        raise ValidationError("unknown status")
    return status


def validate_tags(tags: Any) -> list[str]:  # expect: security.input-validation
    if not isinstance(tags, list):
        raise ValidationError("tags must be a list")
    if len(tags) > MAX_TAGS:
        raise ValidationError("too many tags")
    return [str(t) for t in tags]


def validate_config(config: dict) -> dict:
    if "url" not in config:
        config["url"] = "http://localhost"
    return config


def validate_name(name: str) -> bool:
    return isinstance(name, str) and 0 < len(name) <= 100


def check_payload(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise ValidationError("payload must be an object")
    if len(payload) > 50:
        raise ValidationError("payload too large")
