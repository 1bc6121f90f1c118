"""Two sweeps at the same moment queue each message once and send it once.

Runs on PostgreSQL, where each thread holds its own connection: the unique
occurrence key stops a second message, select_for_update(skip_locked=True)
stops a second send. Skipped on SQLite, which serialises every writer."""

from __future__ import annotations

import pytest

from followup.messaging import send_due
from followup.messaging.backends import locmem as locmem_backend
from followup.messaging.sending import queue_due
from followup.models import Channel, ContactTask, Message, MessageStatus, Outcome, TaskStatus
from tests import concurrency
from tests.factories import customers_with_vehicles_bulk
from tests.followup.test_messaging import NOW, make_task

pytestmark = concurrency.POSTGRES_ONLY

SWEEPS = 6


@pytest.fixture(autouse=True)
def sms_to_locmem(settings):
    settings.SMS_BACKEND = "locmem"
    locmem_backend.outbox.clear()
    yield
    locmem_backend.outbox.clear()


def run_at_once(target, moment) -> list:
    return concurrency.run_at_once(target, moment, times=SWEEPS)


def test_parallel_sweeps_queue_and_send_each_message_once(station):
    customers = customers_with_vehicles_bulk(station, 12, name="寿星")
    for customer in customers:
        make_task(customer)
    outcomes = run_at_once(send_due, NOW)
    assert all(isinstance(n, int) for n in outcomes), outcomes
    assert sum(outcomes) == 2 * len(customers)  # each queued once and tried once, by whichever sweep got it
    assert Message.objects.count() == len(customers)
    assert set(Message.objects.values_list("status", "tries")) == {(MessageStatus.SENT, 1)}
    assert sorted(m.to for m in locmem_backend.outbox) == sorted(c.phone for c in customers)
    assert set(ContactTask.objects.values_list("status", "outcome")) == {(TaskStatus.DONE, Outcome.SENT)}


def test_parallel_sweeps_send_already_queued_messages_once(station):
    customers = customers_with_vehicles_bulk(station, 20, name="客户")
    for customer in customers:
        make_task(customer, channel=Channel.SMS)
    # Queued by an earlier sweep whose sending step did not get to them.
    assert queue_due(NOW) == 20
    outcomes = run_at_once(send_due, NOW)
    assert sum(outcomes) == 20
    assert len(locmem_backend.outbox) == 20
    assert len({m.occurrence_key for m in locmem_backend.outbox}) == 20
