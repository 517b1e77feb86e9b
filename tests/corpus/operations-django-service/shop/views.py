"""Views, including the probes the load balancer calls."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})  # expect: health.shallow-check


def readiness(request):
    with connection.cursor() as cursor:  # expect: health.deep-check
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ready"})


def ready_orders(request):
    return JsonResponse({"orders": []})
