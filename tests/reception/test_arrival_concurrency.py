"""Two desks at the same moment: one open repair order per vehicle, and
distinct numbers under the station lock.

Runs on PostgreSQL (the production database), where each thread holds its own
connection and the locks are real; skipped on SQLite, which serialises every
writer anyway."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from dealers.models import JobType
from reception import services
from reception.models import RepairOrder
from tests.factories import VehicleFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


def _race(jobs: list[Callable[[], object]]) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def run(job):
        try:
            barrier.wait()
            job()
            outcomes.append("opened")
        except services.OpenRepairOrderExists:
            outcomes.append("refused")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_two_desks_opening_an_order_for_the_same_car_get_exactly_one(station, advisor, manager):
    car = VehicleFactory(owner__dealer=station)

    def open_by(staff):
        return lambda: services.repair_order_open_walk_in(vehicle=car, advisor=staff, job_type=JobType.REPAIR)

    assert _race([open_by(advisor), open_by(manager)]) == ["opened", "refused"]
    assert RepairOrder.objects.filter(vehicle=car).count() == 1


def test_eight_desks_opening_orders_at_once_get_distinct_numbers(station, advisor):
    cars = [VehicleFactory(owner__dealer=station) for _ in range(8)]

    def open_for(car):
        return lambda: services.repair_order_open_walk_in(vehicle=car, advisor=advisor, job_type=JobType.REPAIR)

    assert _race([open_for(car) for car in cars]) == ["opened"] * 8
    numbers = list(RepairOrder.objects.values_list("number", flat=True))
    assert len(numbers) == 8 and len(set(numbers)) == 8
