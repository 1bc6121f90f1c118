"""The dashboard's reads kept in the cache (dashboard.cache): a reload costs
no aggregate; a change made through the models is in the live reads at the
next load and in the period's figures once they expire (a minute for a
running or recent period, an hour for a settled one), as does a change that
bypasses the models."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reception.models import RepairOrder
from tests.dashboard.conftest import NOW, at

pytestmark = pytest.mark.django_db
MARCH = {"period": "month", "day": "2026-03-01"}  # ended a day before NOW: kept a minute
JANUARY = {"period": "month", "day": "2026-01-01"}  # settled: kept an hour
# The request's own reads: session, user, staff, roles, stations.
REQUEST_QUERIES = 5


@pytest.fixture(autouse=True)
def local_cache(settings):
    """A cache of this process whose clock the tests move (CI may point the default at Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def later(monkeypatch):
    """Move the cache's clock forward by some seconds."""

    def move(seconds: int) -> None:
        class Clock:
            @staticmethod
            def time() -> float:
                return time.time() + seconds

        monkeypatch.setattr("django.core.cache.backends.locmem.time", Clock)

    return move


def _load(client, params) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard:index"), params)
    assert response.status_code == 200
    figures = {r.figure.key: (r.current, r.previous) for r in response.context["results"]}
    return figures, len(queries)


def test_a_reload_reads_the_kept_figures(client, manager, march, clock):
    client.force_login(manager.user)
    first, cold = _load(client, MARCH)
    again, warm = _load(client, MARCH)
    assert again == first
    assert warm == REQUEST_QUERIES < cold


def test_a_change_through_the_models_is_read_live_at_once_and_in_the_figures_within_a_minute(
    client, manager, march, world, clock, later
):
    client.force_login(manager.user)
    before, _cold = _load(client, MARCH)
    world.order(at(3, 20, 9))
    kept, queries = _load(client, MARCH)
    assert queries > REQUEST_QUERIES  # the live reads (to-do lists, load) were read again
    # A busy station saves every few seconds: the month's figures are not
    # re-read for each save, but within the minute the page admits to.
    assert kept["comeback_rate"][0].denominator == before["comeback_rate"][0].denominator
    later(61)
    fresh, _queries = _load(client, MARCH)
    assert fresh["comeback_rate"][0].denominator == before["comeback_rate"][0].denominator + 1


def test_a_recent_period_bypassing_the_models_shows_after_a_minute(client, manager, march, world, clock, later):
    client.force_login(manager.user)
    before, _cold = _load(client, MARCH)
    ro = world.order(at(2, 20, 9))  # saved in February: the generation moves now
    _load(client, MARCH)
    RepairOrder.objects.filter(pk=ro.pk).update(created_at=at(3, 20, 9))  # no signal
    kept, _queries = _load(client, MARCH)
    assert kept["comeback_rate"][0].denominator == before["comeback_rate"][0].denominator
    later(61)
    fresh, _queries = _load(client, MARCH)
    assert fresh["comeback_rate"][0].denominator == before["comeback_rate"][0].denominator + 1


def test_a_settled_period_is_kept_an_hour_and_says_so(client, manager, world, clock, later):
    client.force_login(manager.user)
    ro = world.order(at(3, 20, 9))
    before, _cold = _load(client, JANUARY)
    RepairOrder.objects.filter(pk=ro.pk).update(created_at=at(1, 20, 9))  # no signal
    later(61)
    response = client.get(reverse("dashboard:index"), JANUARY)
    assert {r.figure.key: r.current for r in response.context["results"]}["comeback_rate"] == before["comeback_rate"][0]
    assert response.context["settled"] and 'data-testid="as-of"' in response.content.decode()
    later(3601)
    fresh, _queries = _load(client, JANUARY)
    assert fresh["comeback_rate"][0].denominator == (before["comeback_rate"][0].denominator or 0) + 1


def test_a_cache_that_is_down_fails_neither_a_write_nor_the_page(client, manager, march, world, clock, settings):
    # Nothing listens on port 1: every cache call is refused at once.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    world.order(at(3, 20, 9))  # a save: the generation cannot be replaced
    client.force_login(manager.user)
    figures, queries = _load(client, MARCH)
    assert figures["comeback_rate"][0].denominator and queries > REQUEST_QUERIES
