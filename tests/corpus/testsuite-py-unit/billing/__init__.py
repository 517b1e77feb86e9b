"""Invoices and rates."""


def total(lines):
    return sum(q * p for q, p in lines)


def rate(currency):
    return {"EUR": 1.0, "USD": 1.1}[currency]
