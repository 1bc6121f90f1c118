"""Appointments to call about: the workshop of tests/appointments, a clock
moved by passing `now`, and bulk appointments for query-count tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from appointments import services
from appointments.models import Appointment, Status
from dealers.models import JobType
from tests.appointments.conftest import MONDAY, at, car, oil_change, workshop  # noqa: F401 - shared fixtures
from tests.factories import customers_with_vehicles_bulk

# The appointment every confirmation test calls about: Monday 09:00.
ARRIVAL = at(MONDAY, 9)
BOOKED_AT = ARRIVAL - dt.timedelta(days=6)  # booked the Tuesday before


def book(station, advisor, operation, vehicle, when=ARRIVAL, now=BOOKED_AT, **extra) -> Appointment:
    return services.appointment_book(
        dealer=station,
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=when,
        request="做保养",
        operations=[operation],
        now=now,
        **extra,
    )


@pytest.fixture
def appointment(workshop, advisor, oil_change, car):  # noqa: F811 - the shared fixtures
    return book(workshop, advisor, oil_change, car)


_serial = itertools.count(1)


def appointments_bulk(station, advisor, count: int, arrives_at: dt.datetime, status: str = Status.BOOKED):
    """`count` appointments written directly (capacity is not the point here)."""
    batch = next(_serial)
    customers = customers_with_vehicles_bulk(station, count, name=f"客户{batch}-")
    return Appointment.objects.bulk_create(
        Appointment(
            dealer=station,
            number=f"B{batch:03d}-{i:05d}",
            customer=customer,
            vehicle=customer.vehicles.first(),
            advisor=advisor,
            job_type=JobType.MAINTENANCE,
            arrives_at=arrives_at,
            hours=Decimal("1.00"),
            ready_at=arrives_at + dt.timedelta(hours=2),
            request="保养",
            status=status,
        )
        for i, customer in enumerate(customers)
    )


@pytest.fixture
def clock(monkeypatch):
    """Pages read the clock through django.utils.timezone: `clock(when)` moves it."""
    from django.utils import timezone

    def _set(when: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: when)
        return when

    return _set
