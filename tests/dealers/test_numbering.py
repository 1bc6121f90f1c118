"""Document numbers keep running past the width they are padded to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from appointments.models import Appointment
from dealers.models import JobType
from dealers.numbering import next_number
from tests.factories import VehicleFactory


@pytest.mark.django_db
def test_numbers_run_on_past_99999_in_a_year(station, advisor):
    car = VehicleFactory(owner__dealer=station)
    at = timezone.now() + dt.timedelta(days=1)
    for number in ("Y2026-99998", "Y2026-99999", "Y2026-100000"):
        Appointment.objects.create(
            dealer=station,
            number=number,
            customer=car.owner,
            vehicle=car,
            advisor=advisor,
            job_type=JobType.MAINTENANCE,
            arrives_at=at,
            hours=Decimal("1.0"),
            ready_at=at + dt.timedelta(hours=1),
            request="保养",
        )

    assert next_number(Appointment.objects.filter(dealer=station), "Y", 2026) == "Y2026-100001"


@pytest.mark.django_db
def test_the_first_number_of_a_year_is_one(station):
    assert next_number(Appointment.objects.filter(dealer=station), "Y", 2027) == "Y2027-00001"
