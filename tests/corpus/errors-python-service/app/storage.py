"""Storage errors subclass a base declared in another module."""

import json

from app.storage_errors import StorageError


class ReadError(StorageError):
    pass


class WriteError(StorageError):
    pass


class CorruptRecord(ReadError):
    pass


def load(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as err:
        raise ReadError(f"cannot read {path}") from err  # expect: errors.exception-chaining
    except ValueError as err:
        raise CorruptRecord(f"bad JSON in {path}: {err}")


def port(value):
    try:
        return int(value)
    except ValueError:
        raise StorageError("port must be an integer")


def key(record, name):
    try:
        return record[name]
    except KeyError:
        raise StorageError(f"missing {name}") from None


def reraise(record):
    try:
        return record["id"]
    except KeyError as err:
        raise err


def reraise_bare(record):
    try:
        return record["id"]
    except KeyError:
        raise


def outside():
    raise StorageError("not in a handler")


def wrap(fn):
    try:
        return fn()
    except TypeError as err:
        raise WriteError(  # expect: errors.exception-chaining
            "call failed"
        ) from err
