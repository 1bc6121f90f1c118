"""With Redis away, the cache answers as if empty instead of failing pages:
rate limits fail open, throttles and cached figures are recomputed."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from appointments import ratelimit
from dealer_service.loadbench import free_port

# A port nobody listens on: every connection is refused at once.
UNREACHABLE = {
    "default": {
        "BACKEND": "dealer_service.cache.ForgivingRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def unreachable_cache():
    with override_settings(CACHES=UNREACHABLE):  # Django's test signals rebuild the cache handler
        yield caches["default"]


def test_every_call_answers_as_a_miss_and_logs(unreachable_cache, caplog):
    cache = unreachable_cache
    with caplog.at_level(logging.WARNING, logger="dealer_service.cache"):
        started = time.monotonic()
        assert cache.get("k", "absent") == "absent"
        cache.set("k", 1)
        assert cache.add("k", 1) is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.has_key("k") is False
        assert cache.incr("k", 3) == 3
        cache.delete("k")
        assert time.monotonic() - started < 5
    assert "cache unreachable" in caplog.text


def test_rate_limits_fail_open_while_the_cache_is_away(unreachable_cache):
    assert all(ratelimit.allow("bookings", "13800001111", limit=1, window=60) for _ in range(3))


@pytest.mark.django_db
def test_the_public_booking_page_answers_while_the_cache_is_away(unreachable_cache, client, station):
    response = client.get(f"/book/{station.code}/")
    assert response.status_code == 200
