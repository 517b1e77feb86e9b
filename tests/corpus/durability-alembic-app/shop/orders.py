"""Order service on SQLAlchemy sessions."""

from sqlalchemy import delete, insert, text

from shop.db import Session, engine
from shop.models import AuditEntry, Order, Payment


def place(order: Order, payment: Payment):
    with Session.begin() as session:  # expect: durability.transaction
        session.add(order)  # expect: durability.transaction
        session.add(payment)  # expect: durability.transaction


def place_in_two_steps(session, order: Order, payment: Payment):
    session.add(order)
    session.commit()
    session.add(payment)  # expect: durability.multi-step-write-outside-transaction
    session.commit()


def place_and_commit_once(session, order: Order, payment: Payment):
    session.add(order)  # expect: durability.transaction
    session.add(payment)  # expect: durability.transaction
    session.commit()  # expect: durability.transaction


def purge(order_id: int):
    with engine.begin() as conn:  # expect: durability.transaction
        conn.execute(delete(Payment).where(Payment.order_id == order_id))  # expect: durability.transaction
        conn.execute(text("DELETE FROM orders WHERE id = :id"), {"id": order_id})  # expect: durability.transaction, security.parameterized-sql


def audit(session, entry: AuditEntry):
    session.execute(insert(AuditEntry).values(what=entry.what))
    session.commit()


def audit_twice(session, first: AuditEntry, second: AuditEntry):
    session.execute(insert(AuditEntry).values(what=first.what))
    session.commit()
    session.execute(insert(AuditEntry).values(what=second.what))  # expect: durability.multi-step-write-outside-transaction
    session.commit()


def read_only(session):
    rows = session.execute(text("SELECT id FROM orders")).all()
    session.commit()
    return [r.id for r in rows]


class OrderCache:
    """Write-through: the dict is a cache of what the database holds."""

    def __init__(self, session):
        self.session = session
        self.orders = {}

    def put(self, order: Order):
        self.orders[order.id] = order
        self.session.add(order)
        self.session.commit()

    def get(self, order_id):
        return self.orders.get(order_id)

    def forget(self, order_id):
        self.orders.pop(order_id, None)
