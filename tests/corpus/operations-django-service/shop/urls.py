from django.urls import path

from shop import views

urlpatterns = [
    path("healthz/", views.healthz),
    path("readiness/", views.readiness),
    path("orders/ready/", views.ready_orders),
]
