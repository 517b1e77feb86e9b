from django.db import models


class Invoice(models.Model):
    total = models.IntegerField(default=0)


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE)
    amount = models.IntegerField()


class Ledger(models.Model):
    note = models.CharField(max_length=200)
