"""No overbooking when several people book the last hours at the same moment.

Runs on PostgreSQL (the production database), where each thread holds its own
connection and the station-row lock is real; skipped on SQLite, which
serialises every writer anyway."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from appointments import services
from appointments.models import Appointment
from dealers.models import JobType
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import VehicleFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

ATTEMPTS = 8


def test_parallel_bookings_of_the_last_hours_never_overfill_a_slot(workshop, advisor, oil_change):
    # Two technicians: exactly two 2-hour jobs fit at 09:00.
    cars = [VehicleFactory(owner__dealer=workshop) for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []

    def attempt(car):
        try:
            barrier.wait()
            services.appointment_book(
                dealer=workshop,
                customer=car.owner,
                vehicle=car,
                advisor=advisor,
                job_type=JobType.MAINTENANCE,
                arrives_at=at(MONDAY, 9),
                request="保养",
                operations=[oil_change],
                now=NOW,
            )
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(getattr(error, "reason", "invalid"))
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(car,)) for car in cars]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked", "booked"] + ["full"] * (ATTEMPTS - 2)
    assert Appointment.objects.filter(arrives_at=at(MONDAY, 9)).count() == 2
    numbers = list(Appointment.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 2
