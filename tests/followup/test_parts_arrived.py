"""Ordered parts arrived: the repair order's advisor calls the customer, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followup.models import ContactTask, Kind, TaskStatus
from followup.rules import PARTS_ARRIVED_CALL_DAYS, parts_arrived, past_due
from reception.models import PartsOrder, PartsOrderStatus, ROStatus
from tests.reception import conftest as reception_fixtures

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(repair_order):
    return PartsOrder.objects.create(dealer=repair_order.dealer, repair_order=repair_order)


def _arrive(order, at):
    PartsOrder.objects.filter(pk=order.pk).update(status=PartsOrderStatus.ARRIVED, arrived_at=at)


def test_arrival_makes_one_call_for_the_advisor(order, repair_order, advisor):
    now = timezone.now()
    assert parts_arrived(now) == 0  # not arrived yet
    _arrive(order, now - dt.timedelta(minutes=5))
    assert parts_arrived(now) == 1
    assert parts_arrived(now + dt.timedelta(minutes=1)) == 0  # the sweep runs again: still one
    task = ContactTask.objects.get(kind=Kind.PARTS_ARRIVED)
    assert task.assignee == advisor and task.customer == repair_order.customer and task.source == order
    assert task.status == TaskStatus.OPEN


def test_no_call_for_a_closed_order_or_an_old_arrival(order, repair_order):
    now = timezone.now()
    _arrive(order, now - dt.timedelta(days=PARTS_ARRIVED_CALL_DAYS, minutes=1))
    assert parts_arrived(now) == 0
    _arrive(order, now - dt.timedelta(minutes=5))
    type(repair_order).objects.filter(pk=repair_order.pk).update(status=ROStatus.CANCELLED)
    assert parts_arrived(now) == 0


def test_the_call_expires_after_its_days(order):
    now = timezone.now()
    _arrive(order, now)
    parts_arrived(now)
    past_due(now + dt.timedelta(days=PARTS_ARRIVED_CALL_DAYS))
    assert ContactTask.objects.get().status == TaskStatus.EXPIRED


def test_the_call_shows_on_the_advisors_call_list(order, repair_order, advisor, login):
    from django.urls import reverse

    _arrive(order, timezone.now() - dt.timedelta(minutes=5))
    parts_arrived(timezone.now())
    page = login(advisor).get(reverse("followup:calls"))
    assert page.status_code == 200
    assert repair_order.vehicle.plate in page.content.decode()
