"""The pricing part of the shop."""


def list_pricing(db):
    return db.all("pricing")
