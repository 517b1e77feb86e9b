"""Billing: writes with and without transaction.atomic."""

from django.db import transaction

from billing.models import Invoice, Ledger, Payment


@transaction.atomic  # expect: durability.transaction
def pay(invoice: Invoice, amount: int):
    invoice.total -= amount
    invoice.save()  # expect: durability.transaction
    Payment.objects.create(invoice=invoice, amount=amount)  # expect: durability.transaction


def pay_unsafely(invoice: Invoice, amount: int):
    invoice.total -= amount
    invoice.save()
    Payment.objects.create(invoice=invoice, amount=amount)  # expect: durability.multi-step-write-outside-transaction


def refund(payment: Payment):
    with transaction.atomic():  # expect: durability.transaction
        Ledger.objects.create(note=f"refund {payment.pk}")  # expect: durability.transaction
        payment.delete()  # expect: durability.transaction


def close(invoice: Invoice):
    invoice.save()


def cleanup():
    Ledger.objects.filter(note="").delete()
    Invoice.objects.filter(total=0).update(total=None)  # expect: durability.multi-step-write-outside-transaction
