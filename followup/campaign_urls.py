"""Pages of the service campaigns (under /followup/campaigns/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
