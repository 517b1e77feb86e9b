"""The payments part of the shop."""


def list_payments(db):
    return db.all("payments")
