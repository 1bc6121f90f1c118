"""The booking desk's pages: book, proposals, day list, detail, actions."""

import datetime as dt

import pytest
from django.urls import reverse

from appointments import services
from appointments.models import Appointment, Status
from dealers.models import JobType
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import VehicleFactory


@pytest.fixture
def frozen_now(monkeypatch):
    """Pages read the clock through django.utils.timezone: move it to NOW."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: NOW.date())
    return NOW


def post_booking(client, car, advisor, operation, when, **extra):
    data = {
        "vehicle": car.pk,
        "job_type": JobType.MAINTENANCE,
        "operations": [operation.pk],
        "arrives_at": when.strftime("%Y-%m-%dT%H:%M"),
        "advisor": advisor.pk,
        "request": "发动机有异响，冷车明显",
        "arrival_mode": "drive_in",
        "contact_channel": "phone",
        **extra,
    }
    return client.post(reverse("appointments:book") + f"?vehicle={car.pk}", data)


def test_a_specialist_books_from_the_vehicle_and_sees_the_confirmation(
    workshop, specialist, advisor, oil_change, car, login, frozen_now
):
    client = login(specialist)
    page = client.get(reverse("appointments:book"), {"vehicle": car.pk})
    assert page.status_code == 200
    response = post_booking(client, car, advisor, oil_change, at(MONDAY, 9))
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response.url == reverse("appointments:detail", args=[appointment.pk])
    confirmation = client.get(response.url).content.decode()
    assert "行驶证" in confirmation  # what to bring
    assert "2026-11-30" in confirmation and "09:00" in confirmation  # the agreed time, repeated


def test_booking_a_full_slot_shows_the_refusal_and_writes_nothing(
    workshop, specialist, advisor, oil_change, login, frozen_now
):
    client = login(specialist)
    cars = [VehicleFactory(owner__dealer=workshop) for _ in range(3)]
    for car in cars[:2]:
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
    response = post_booking(client, cars[2], advisor, oil_change, at(MONDAY, 9))
    assert response.status_code == 200
    assert "已约满" in response.content.decode()
    assert Appointment.objects.count() == 2


def test_bad_booking_input_is_refused_in_chinese(workshop, specialist, advisor, oil_change, car, login, frozen_now):
    client = login(specialist)
    response = post_booking(client, car, advisor, oil_change, at(MONDAY, 9), operations=[], request="")
    body = response.content.decode()
    assert response.status_code == 200
    assert "请至少选择一项维修工序或保养套餐" in body
    assert not Appointment.objects.exists()


def test_proposals_rank_free_times_and_show_the_forecast(
    workshop, specialist, oil_change, login, frozen_now, django_assert_max_num_queries
):
    client = login(specialist)
    with django_assert_max_num_queries(20):
        response = client.get(
            reverse("appointments:proposals"),
            {
                "job_type": JobType.MAINTENANCE,
                "operations": [oil_change.pk],
                "wished_day": MONDAY.isoformat(),
                "part_of_day": "afternoon",
            },
            HTTP_HX_REQUEST="true",
        )
    body = response.content.decode()
    assert 'data-testid="proposals"' in body
    assert "11-30" in body  # the wished Monday comes first


def test_the_day_list_shows_the_station_appointments_only(
    workshop, specialist, advisor, oil_change, car, other_station, login, frozen_now, django_assert_max_num_queries
):
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
    client = login(specialist)
    with django_assert_max_num_queries(20):
        body = client.get(reverse("appointments:list"), {"day": MONDAY.isoformat()}).content.decode()
    assert car.plate in body
    empty = client.get(reverse("appointments:list"), {"day": (MONDAY + dt.timedelta(days=1)).isoformat()})
    assert "没有预约" in empty.content.decode()


def test_cancel_needs_a_reason_and_confirm_changes_the_state(
    workshop, specialist, advisor, oil_change, car, login, frozen_now
):
    appointment = services.appointment_book(
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
    client = login(specialist)
    client.post(reverse("appointments:act", args=[appointment.pk, "cancel"]), {"note": ""})
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    client.post(reverse("appointments:act", args=[appointment.pk, "confirm"]))
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_another_stations_staff_cannot_open_the_appointment(
    workshop, advisor, oil_change, car, other_advisor, login, frozen_now
):
    appointment = services.appointment_book(
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
    client = login(other_advisor)
    assert client.get(reverse("appointments:detail", args=[appointment.pk])).status_code == 404
    assert client.post(reverse("appointments:act", args=[appointment.pk, "confirm"])).status_code == 404
    assert client.get(reverse("appointments:book"), {"vehicle": car.pk}).status_code == 404


def test_the_day_list_shows_the_listed_day_in_its_date_picker(workshop, advisor, login, frozen_now):
    response = login(advisor).get(reverse("appointments:list"))
    assert f'name="day" value="{frozen_now.date():%Y-%m-%d}"' in response.content.decode()
