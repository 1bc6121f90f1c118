"""The public JSON API: schema, slots, bookings and their signed tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from appointments import api, public, services
from appointments.models import Appointment, Source, Status
from customers.models import Vehicle
from dealers.models import JobType
from tests.appointments.public_fixtures import (  # noqa: F401
    PHONE,
    _fresh_rate_limits,
    at,
    iso,
    next_open_day,
)
from tests.factories import VehicleFactory

DAY = next_open_day(2)


def slots_url(station) -> str:
    return reverse("api:slots", kwargs={"code": station.code})


def bookings_url(station) -> str:
    return reverse("api:bookings", kwargs={"code": station.code})


def post_booking(client, station, when, **extra):
    body = {"plate": "京A12345", "phone": PHONE, "operations": ["M001"], "arrives_at": iso(when), **extra}
    return client.post(bookings_url(station), body, content_type="application/json")


def test_the_schema_is_served_and_valid(client, db, tmp_path):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/stations/{code}/slots/" in response.content
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_services_list_what_the_station_offers_online(client, open_workshop, oil_change):
    data = client.get(reverse("api:services", kwargs={"code": open_workshop.code})).json()
    assert data["operations"] == [{"code": "M001", "name": "更换机油机滤", "job_type": "maintenance"}]


def test_slots_are_proposed_for_the_chosen_services(client, open_workshop, oil_change, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get(
            slots_url(open_workshop), {"operations": "M001", "wished_day": DAY, "part_of_day": "afternoon"}
        )
    assert response.status_code == 200
    data = response.json()
    assert data["job_type"] == "maintenance" and data["hours"] == "2.00"
    assert data["slots"][0]["arrives_at"] == iso(at(DAY, 12)) and data["slots"][0]["matches_wish"]


def test_slots_refuse_unknown_services(client, open_workshop):
    response = client.get(slots_url(open_workshop), {"operations": "NOPE"})
    assert response.status_code == 400
    assert "NOPE" in response.json()["packages" if "packages" in response.json() else "operations"][0]


def test_a_booking_is_made_seen_and_cancelled_through_its_token(client, open_workshop, oil_change, known_car, advisor):
    response = post_booking(client, open_workshop, at(DAY, 9))
    assert response.status_code == 201, response.content
    data = response.json()
    appointment = Appointment.objects.get()
    assert (appointment.source, appointment.vehicle, data["number"]) == (Source.ONLINE, known_car, appointment.number)
    assert data["manage_url"].endswith(reverse("public_booking:manage", kwargs={"token": data["token"]}))

    seen = client.get(reverse("api:booking", kwargs={"token": data["token"]}))
    assert seen.status_code == 200 and seen.json()["status"] == Status.BOOKED

    cancelled = client.post(reverse("api:booking_cancel", kwargs={"token": data["token"]}))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == Status.CANCELLED
    again = client.post(reverse("api:booking_cancel", kwargs={"token": data["token"]}))
    assert again.status_code == 400 and again.json()["code"] == "not_active"


def test_a_booking_moves_through_its_token(client, open_workshop, oil_change, known_car, advisor):
    token = post_booking(client, open_workshop, at(DAY, 9)).json()["token"]
    response = client.post(
        reverse("api:booking_move", kwargs={"token": token}),
        {"arrives_at": iso(at(DAY, 14))},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["arrives_at"] == iso(at(DAY, 14))
    assert Appointment.objects.get(status=Status.RESCHEDULED).arrives_at == at(DAY, 9)


def test_a_full_slot_is_refused_with_alternatives_and_nothing_written(
    client, open_workshop, oil_change, known_car, advisor
):
    for _ in range(2):
        other = VehicleFactory(owner__dealer=open_workshop)
        services.appointment_book(
            dealer=open_workshop,
            customer=other.owner,
            vehicle=other,
            advisor=advisor,
            job_type=JobType.MAINTENANCE,
            arrives_at=at(DAY, 9),
            request="保养",
            operations=[oil_change],
        )
    response = post_booking(client, open_workshop, at(DAY, 9))
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "full" and data["alternatives"]
    assert "该时段已约满。" in data["detail"]
    assert not Appointment.objects.filter(vehicle=known_car).exists()


@pytest.mark.parametrize(
    ("when", "message", "code"),
    [
        (lambda: at(timezone.localdate() - dt.timedelta(days=1), 9), "This time has already passed.", "past"),
        (
            lambda: at(DAY + dt.timedelta(days=6 - DAY.weekday()), 9),
            "The station does not take arrivals at that time (closed, or not a slot start).",
            "closed",
        ),
    ],
)
def test_past_and_closed_times_are_refused(client, open_workshop, oil_change, known_car, advisor, when, message, code):
    response = post_booking(client, open_workshop, when())
    assert response.status_code == 400
    assert response.json()["code"] == code  # for programs: the reason, not just "invalid"
    with translation.override("zh-hans"):
        assert response.json()["errors"]["arrives_at"][0].startswith(gettext(message))
    assert not Appointment.objects.exists()


def test_an_unknown_plate_is_refused_unless_the_car_is_registered(client, open_workshop, oil_change, advisor):
    response = post_booking(client, open_workshop, at(DAY, 9), plate="粤B2C3D4", phone="13800001111")
    assert response.status_code == 400 and response.json()["code"] == "unknown_plate"
    response = post_booking(
        client,
        open_workshop,
        at(DAY, 9),
        plate="粤B2C3D4",
        phone="13800001111",
        name="李娜",
        make="丰田",
        model="凯美瑞",
    )
    assert response.status_code == 201
    assert Vehicle.objects.get(plate="粤B2C3D4").owner.name == "李娜"


def test_a_plate_with_another_phone_is_refused(client, open_workshop, oil_change, known_car, advisor):
    response = post_booking(client, open_workshop, at(DAY, 9), phone="13700000000")
    assert response.status_code == 400 and response.json()["code"] == "mismatch"
    assert known_car.owner.name not in response.content.decode()


def test_the_honeypot_is_refused(client, open_workshop, oil_change, known_car, advisor):
    response = post_booking(client, open_workshop, at(DAY, 9), website="x")
    assert response.status_code == 400 and "website" in response.json()
    assert not Appointment.objects.exists()


def test_tampered_and_expired_tokens_are_refused(client, open_workshop, oil_change, known_car, advisor):
    token = post_booking(client, open_workshop, at(DAY, 9)).json()["token"]
    tampered = client.post(reverse("api:booking_cancel", kwargs={"token": token + "x"}))
    assert tampered.status_code == 400 and tampered.json()["code"] == "invalid_link"
    old = public.link_token(Appointment.objects.get(), expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = client.post(reverse("api:booking_cancel", kwargs={"token": old}))
    assert expired.status_code == 410 and expired.json()["code"] == "expired"
    assert Appointment.objects.get().status == Status.BOOKED


def test_slot_requests_are_throttled(client, open_workshop, oil_change, monkeypatch):
    monkeypatch.setattr(api.SlotsThrottle, "THROTTLE_RATES", {"public_slots": "2/min"})
    for _ in range(2):
        assert client.get(slots_url(open_workshop), {"operations": "M001"}).status_code == 200
    assert client.get(slots_url(open_workshop), {"operations": "M001"}).status_code == 429
