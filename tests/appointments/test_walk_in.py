"""Walk-in conversion: an appointment card for a walk-in who would rather not
queue, recorded on the appointment and counted per period."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from appointments import selectors
from appointments.models import Appointment, Source
from tests.appointments.public_fixtures import (  # noqa: F401
    _fresh_rate_limits,
    at,
    iso,
    next_open_day,
)
from tests.factories import VehicleFactory

DAY = next_open_day(2)


def booking_form(vehicle, advisor, when, **extra) -> dict:
    return {
        "vehicle": vehicle.pk,
        "job_type": "maintenance",
        "operations": [op.pk for op in vehicle.dealer.labour_operations.all()],
        "arrives_at": when.strftime("%Y-%m-%dT%H:%M"),
        "advisor": advisor.pk,
        "request": "等太久了，改约",
        "arrival_mode": "drive_in",
        "contact_channel": "phone",
        **extra,
    }


def test_an_advisor_gives_a_waiting_walk_in_an_appointment_card(login, advisor, open_workshop, oil_change, known_car):
    client = login(advisor)
    response = client.post(reverse("appointments:book"), booking_form(known_car, advisor, at(DAY, 9), card="1"))
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response.url == reverse("appointments:detail", kwargs={"pk": appointment.pk})
    assert appointment.source == Source.WALK_IN_CARD


def test_the_booking_page_offers_the_card_and_records_the_channel(login, advisor, open_workshop, oil_change, known_car):
    client = login(advisor)
    page = client.get(reverse("appointments:book"), {"vehicle": known_car.pk}).content.decode()
    assert 'data-testid="give-card"' in page
    client.post(reverse("appointments:book"), booking_form(known_car, advisor, at(DAY, 9), source="walk_in"))
    assert Appointment.objects.get().source == Source.WALK_IN


def test_cards_are_counted_per_period_for_this_station_only(
    login, advisor, open_workshop, oil_change, known_car, other_station, django_assert_max_num_queries
):
    client = login(advisor)
    client.post(reverse("appointments:book"), booking_form(known_car, advisor, at(DAY, 9), card="1"))
    second = VehicleFactory(owner__dealer=open_workshop)
    client.post(reverse("appointments:book"), booking_form(second, advisor, at(DAY, 14), card="1"))
    third = VehicleFactory(owner__dealer=open_workshop)
    client.post(reverse("appointments:book"), booking_form(third, advisor, at(DAY, 9)))  # a phone booking
    assert Appointment.objects.count() == 3
    given_on = Appointment.objects.first().created_at.astimezone(at(DAY, 0).tzinfo).date()
    first, last = given_on - dt.timedelta(days=40), given_on + dt.timedelta(days=1)
    with django_assert_max_num_queries(1):
        per_day = selectors.walk_in_cards_per_period(open_workshop, first, last)
    assert per_day == {given_on: 2}
    per_week = selectors.walk_in_cards_per_period(open_workshop, first, last, period="week")
    assert per_week == {given_on - dt.timedelta(days=given_on.weekday()): 2}
    per_month = selectors.walk_in_cards_per_period(open_workshop, first, last, period="month")
    assert per_month == {given_on.replace(day=1): 2}
    assert selectors.walk_in_cards_per_period(other_station, first, last) == {}
