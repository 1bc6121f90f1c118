"""A broker outage: the desk keeps working, the beat's tick fails fast and
is logged, and when the broker returns the sweep sends every due message
exactly once.

No request of the staff publishes to the broker (deadlines are rows, the
sweep finds them), so booking, receiving a car and taking payment must not
notice the outage at all. The one publisher is beat's tick: with the
broker gone it must fail within the settings' timeouts and log, not hang.

The test runs its own redis-server on a spare port, so it can stop and
restart the broker; skipped only where redis-server is not installed
(`.ci/run` sets REQUIRE_REDIS, which turns a skip into a failure)."""

from __future__ import annotations

import io
import logging
import shutil
import socket
import subprocess
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal

import pytest
import redis
from celery import Celery
from celery.beat import Scheduler
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.urls import reverse

from appointments.models import Appointment
from dealer_service import views
from dealer_service.tasks import sweep_task
from dealers.models import JobType
from followup.messaging.backends import locmem
from followup.models import Channel, ContactTask, Kind, Message, MessageStatus
from reception.models import Arrival, Invoice, InvoiceStatus, RepairOrder
from tests.appointments import conftest as appointment_fixtures
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import LabourOperationFactory, VehicleFactory
from tests.reception.test_billing import ready_order_at

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
workshop = appointment_fixtures.workshop
PROMPT = 5.0  # seconds: a guard against blocking, not a benchmark

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which(REDIS_SERVER) is None, reason=f"redis-server is not installed ({REDIS_SERVER})"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throw-away redis-server without persistence, stopped and started at will."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def broker(request):
    server = RedisServer()
    request.addfinalizer(server.stop)  # whatever happens, no redis-server is left behind
    server.start()
    return server


@pytest.fixture
def celery_app(broker, settings, monkeypatch):
    """An app set up like dealer_service.celery's, from the settings, with the
    broker and result store pointed at the test's redis-server and the Redis
    transport options production uses; /healthz probes it. Its own queue, so
    no other worker takes its messages."""
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = broker.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    settings.CELERY_TASK_DEFAULT_QUEUE = f"outage-{uuid.uuid4().hex[:12]}"
    app = Celery("dealer_service", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.finalize()
    monkeypatch.setattr(views, "celery_app", app)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def frozen_now(monkeypatch):
    """Friday 10:00: the pages, the sweep and the worker's sweep read this clock."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: NOW.date())
    return NOW


@contextmanager
def prompt(what: str):
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < PROMPT, f"{what} took {took:.1f} s with the broker down"


def _book(client, car, advisor, operation, when, channel: str):
    return client.post(
        reverse("appointments:book") + f"?vehicle={car.pk}",
        {
            "vehicle": car.pk,
            "job_type": "maintenance",
            "operations": [operation.pk],
            "arrives_at": when.strftime("%Y-%m-%dT%H:%M"),
            "advisor": advisor.pk,
            "request": "保养",
            "arrival_mode": "drive_in",
            "contact_channel": channel,
        },
    )


def test_the_desk_works_through_a_broker_outage_and_the_sweep_catches_up_once(
    broker, celery_app, workshop, station, specialist, advisor, cashier, login, frozen_now, caplog
):
    locmem.outbox.clear()
    # Beat runs before the outage: its producer is connected, as in production.
    beat = Scheduler(app=celery_app)
    tick = beat.schedule["sweep-every-minute"]
    assert tick.task == sweep_task.name
    producer = beat.producer
    check = LabourOperationFactory(dealer=station, job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("0.5"))
    by_sms = [VehicleFactory(owner__dealer=station) for _ in range(2)]
    by_phone = VehicleFactory(owner__dealer=station)
    walk_in = VehicleFactory(owner__dealer=station, plate="京A12345")
    to_pay = ready_order_at(station, advisor, name="付款客户")

    broker.stop()

    # Beat's tick: fails fast and says so, naming the entry and its task.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="celery.beat"), prompt("beat's tick"):
        beat.apply_entry(tick, producer=producer)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("Couldn't apply scheduled task sweep-every-minute" in text for text in errors), errors
    assert any(sweep_task.name in r.getMessage() for r in caplog.records)

    with prompt("/healthz"):
        health = login(advisor).get(reverse("healthz"))
    assert (health.status_code, health.json()["status"], health.json()["broker"]) == (200, "degraded", "unreachable")

    # Booking for Monday, all within 72 h: two customers reminded by SMS, one by phone.
    client = login(specialist)
    for (hour, minute), (car, channel) in zip(
        ((8, 30), (9, 0), (10, 0)), [(c, "sms") for c in by_sms] + [(by_phone, "phone")], strict=True
    ):
        with prompt("booking"):
            response = _book(client, car, advisor, check, at(MONDAY, hour, minute), channel)
        assert response.status_code == 302, response.context["form"].errors
    assert Appointment.objects.filter(dealer=station).count() == 3

    # Reception: the car joins the queue and the advisor opens its repair order.
    client = login(advisor)
    with prompt("walk-in"):
        assert client.post(reverse("reception:arrival_walk_in"), {"plate": "京A12345"}).status_code == 302
    arrival = Arrival.objects.get(vehicle=walk_in)
    with prompt("serve"):
        response = client.post(reverse("reception:arrival_serve", args=[arrival.pk]), {"job_type": "repair"})
    order = RepairOrder.objects.get(vehicle=walk_in)
    assert response.status_code == 302 and response["Location"] == reverse("reception:order", args=[order.pk])

    # Billing: the cashier issues the invoice and takes the payment.
    client = login(cashier)
    with prompt("invoice"):
        assert client.post(reverse("reception:invoice_issue", args=[to_pay.pk])).status_code == 302
    invoice = Invoice.objects.get(repair_order=to_pay)
    with prompt("payment"):
        response = client.post(reverse("reception:invoice_pay", args=[invoice.pk]), {"method": "cash", "amount": "226"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.number, invoice.status) == ("I2026-00001", InvoiceStatus.PAID)
    assert sum(p.amount for p in invoice.payments.all()) == Decimal("226.00")
    assert not Message.objects.exists() and not locmem.outbox  # nothing went out during the outage

    # The broker returns on the same port: the next tick reaches a worker, whose sweep sends what is due.
    broker.start()
    queue = celery_app.conf.task_default_queue
    with start_worker(celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10):
        result = celery_app.tasks[sweep_task.name].apply_async(queue=queue)
        body = result.get(timeout=30)
    assert body["failed"] == {}
    sent = Message.objects.filter(status=MessageStatus.SENT)
    assert sorted(sent.values_list("to", flat=True)) == sorted(car.owner.phone for car in by_sms)
    assert set(sent.values_list("task__kind", flat=True)) == {Kind.CONFIRMATION_72H}
    keys = sorted(sent.values_list("occurrence_key", flat=True))
    went_out = Counter(m.occurrence_key for m in locmem.outbox)
    assert sorted(went_out) == keys and set(went_out.values()) == {1}  # each occurrence once
    # The customer reminded by phone has a call on the specialist's list instead.
    assert ContactTask.objects.get(customer=by_phone.owner).channel == Channel.PHONE

    # A second sweep, by hand this time, finds nothing more to send.
    call_command("sweep", stdout=io.StringIO())
    assert len(locmem.outbox) == 2 and Message.objects.count() == 2
