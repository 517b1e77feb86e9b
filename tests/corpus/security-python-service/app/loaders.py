"""Reading documents people send us."""

import marshal
import pickle

import yaml


def load_manifest(text: str) -> dict:
    return yaml.load(text)  # expect: security.unsafe-yaml


def load_job(text: str) -> dict:
    return yaml.load(text, Loader=yaml.Loader)  # expect: security.unsafe-yaml


def load_full(text: str) -> dict:
    return yaml.load(text, Loader=yaml.FullLoader)  # expect: security.unsafe-yaml


def load_settings(text: str) -> dict:
    return yaml.safe_load(text)


def load_settings_explicit(text: str) -> dict:
    return yaml.load(text, Loader=yaml.SafeLoader)


def restore_session(blob: bytes) -> dict:
    return pickle.loads(blob)  # expect: security.unsafe-deserialization


def restore_file(path: str) -> dict:
    with open(path, "rb") as fh:
        return pickle.load(fh)  # expect: security.unsafe-deserialization


def restore_code(blob: bytes):
    return marshal.loads(blob)  # expect: security.unsafe-deserialization


def save_session(session: dict) -> bytes:
    return pickle.dumps(session)
