"""The catalog part of the shop."""


def list_catalog(db):
    return db.all("catalog")
