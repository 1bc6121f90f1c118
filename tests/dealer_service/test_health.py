"""/healthz: 200 with the state of database and broker; 503 when the database is down."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dealer_service import views


@pytest.mark.django_db
def test_health_reports_database_and_broker(client, monkeypatch):
    monkeypatch.setattr(views, "_broker_ok", lambda: True)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_broker_outage_degrades_but_does_not_fail(client, monkeypatch):
    monkeypatch.setattr(views, "_broker_ok", lambda: False)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == "unreachable"


def test_a_database_outage_answers_503(client, monkeypatch):
    monkeypatch.setattr(views, "_database_ok", lambda: False)
    monkeypatch.setattr(views, "_broker_ok", lambda: True)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.django_db
def test_the_database_probe_really_queries(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert views._database_ok()


def test_an_unreachable_broker_is_detected(settings):
    from dealer_service.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        assert views._broker_ok() is False
    finally:
        app.conf.broker_url = previous


@pytest.mark.django_db
def test_ping_answers_without_the_database(client, django_assert_num_queries):
    """The liveness probe (and the benchmark's anchor) touches nothing."""
    with django_assert_num_queries(0):
        response = client.get(reverse("ping"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]
