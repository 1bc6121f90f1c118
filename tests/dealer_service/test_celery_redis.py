"""A real Celery round trip through a real Redis: a worker started inside the
test consumes the sweep task that the caller sends through the broker.

Skipped only where no Redis is reachable; `.ci/run` sets REQUIRE_REDIS, which
turns a skip into a failure."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker

from dealer_service import sweep as sweep_module
from dealer_service.tasks import sweep_task

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis reachable at {REDIS_URL}"),
]


@pytest.fixture
def redis_app():
    """An app configured like the project's (same settings, same registered
    tasks) but pointed at Redis, on a queue of its own so parallel test runs
    never take each other's messages."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    redis_app = Celery("dealer_service", set_as_current=False)
    redis_app.config_from_object("django.conf:settings", namespace="CELERY")
    redis_app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_default_queue=queue)
    redis_app.finalize()
    try:
        yield redis_app, queue
    finally:
        redis_app.close()


@pytest.mark.django_db(transaction=True)
def test_the_sweep_task_round_trips_through_redis(redis_app, monkeypatch):
    celery_app, queue = redis_app
    calls: list = []
    monkeypatch.setattr(sweep_module, "STEPS", [*sweep_module.STEPS, ("probe", lambda now: calls.append(now) or 7)])
    task = celery_app.tasks[sweep_task.name]  # the project's task, bound to this app
    with start_worker(celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10):
        result = task.apply_async(queue=queue)
        body = result.get(timeout=30)
    assert result.successful()
    assert body["acted"]["probe"] == 7
    assert body["failed"] == {}
    assert len(calls) == 1  # run by the worker, exactly once
