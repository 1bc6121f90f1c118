"""Online self-booking page: plate and phone, registration of an unknown car,
the signed link, and every refusal writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from appointments import public, services
from appointments.models import Appointment, AppointmentEvent, Source, Status
from customers.models import Customer, Vehicle
from dealers.models import JobType
from tests.appointments.public_fixtures import (  # noqa: F401
    PHONE,
    _fresh_rate_limits,
    at,
    iso,
    next_open_day,
    old_stamp,
)
from tests.factories import VehicleFactory

DAY = next_open_day(2)


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def start_url(station) -> str:
    return reverse("public_booking:start", kwargs={"code": station.code})


def choose_url(station) -> str:
    return reverse("public_booking:choose", kwargs={"code": station.code})


def identify(client: Client, station, plate: str = "京A12345", phone: str = PHONE, **extra):
    return client.post(start_url(station), {"plate": plate, "phone": phone, "stamp": old_stamp(), **extra})


def book(client: Client, station, when: dt.datetime, codes=("M001",), **extra):
    data = {"operations": list(codes), "arrives_at": iso(when), "book": "1", "stamp": old_stamp(), **extra}
    return client.post(choose_url(station), data)


def test_a_customer_books_online_and_cancels_through_the_link(client, open_workshop, oil_change, known_car, advisor):
    assert client.get(start_url(open_workshop)).status_code == 200
    response = identify(client, open_workshop, plate="京a 12345", phone="+86 139 1234 5678")
    assert response.status_code == 302 and response.url == choose_url(open_workshop)

    shown = client.post(
        choose_url(open_workshop), {"operations": ["M001"], "wished_day": DAY, "show": "1", "stamp": old_stamp()}
    )
    assert iso(at(DAY, 8, 30)) in shown.content.decode(), "the wished day's first free time is proposed"

    response = book(client, open_workshop, at(DAY, 9))
    appointment = Appointment.objects.get()
    assert (appointment.vehicle, appointment.source, appointment.advisor) == (known_car, Source.ONLINE, advisor)
    assert appointment.status == Status.BOOKED and appointment.ready_at == at(DAY, 11)
    assert response.status_code == 302 and response.url.startswith("/book/link/")

    page = client.get(response.url)
    assert appointment.number in page.content.decode()
    assert zh("Your appointment is booked.") in page.content.decode()

    response = client.post(response.url, {"action": "cancel"})
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert AppointmentEvent.objects.filter(appointment=appointment, to_status=Status.CANCELLED).count() == 1
    assert zh("Your appointment is cancelled.") in client.get(response.url).content.decode()


def test_the_link_moves_an_appointment_to_a_proposed_time(client, open_workshop, oil_change, known_car, advisor):
    identify(client, open_workshop)
    link = book(client, open_workshop, at(DAY, 9)).url
    response = client.post(link, {"action": "move", "arrives_at": iso(at(DAY, 14))})
    old, new = Appointment.objects.order_by("pk")
    assert (old.status, new.status, new.arrives_at) == (Status.RESCHEDULED, Status.BOOKED, at(DAY, 14))
    assert new.source == Source.ONLINE
    assert new.number in client.get(response.url).content.decode()
    assert new.number in client.get(link).content.decode(), "the first link follows the move"


def test_an_unknown_plate_registers_the_car_together_with_the_booking(client, open_workshop, oil_change, advisor):
    response = identify(client, open_workshop, plate="粤B2C3D4", phone="13800001111")
    register_url = reverse("public_booking:register", kwargs={"code": open_workshop.code})
    assert response.url == register_url
    page = client.get(register_url).content.decode()
    assert "粤B2C3D4" in page

    response = client.post(
        register_url,
        {
            "name": "李娜",
            "phone": "13800001111",
            "plate": "粤B2C3D4",
            "make": "丰田",
            "model": "凯美瑞",
            "vin": "",
            "stamp": old_stamp(),
        },
    )
    assert response.url == choose_url(open_workshop)
    assert not Customer.objects.exists(), "nothing is written before the booking"

    book(client, open_workshop, at(DAY, 9))
    vehicle = Vehicle.objects.get(plate="粤B2C3D4")
    assert (vehicle.owner.name, vehicle.owner.phone, vehicle.vin, vehicle.model) == (
        "李娜",
        "13800001111",
        "",
        "凯美瑞",
    )
    assert vehicle.appointments.get().source == Source.ONLINE


def test_a_refused_booking_leaves_no_registered_files_behind(client, open_workshop, oil_change, advisor):
    identify(client, open_workshop, plate="粤B2C3D4", phone="13800001111")
    client.post(
        reverse("public_booking:register", kwargs={"code": open_workshop.code}),
        {
            "name": "李娜",
            "phone": "13800001111",
            "plate": "粤B2C3D4",
            "make": "丰田",
            "model": "凯美瑞",
            "stamp": old_stamp(),
        },
    )
    sunday = DAY + dt.timedelta(days=6 - DAY.weekday())
    response = book(client, open_workshop, at(sunday, 9))
    assert (
        zh("The station does not take arrivals at that time (closed, or not a slot start).")
        in response.content.decode()
    )
    assert not Customer.objects.exists() and not Vehicle.objects.exists() and not Appointment.objects.exists()


def test_a_known_plate_with_another_phone_is_refused_without_registration(client, open_workshop, known_car):
    response = identify(client, open_workshop, phone="13700000000")
    assert response.status_code == 200
    content = response.content.decode()
    assert zh("This plate and phone number do not match our records.") in content
    assert known_car.owner.name not in content
    assert client.get(reverse("public_booking:register", kwargs={"code": open_workshop.code})).status_code == 302


def test_registration_never_attaches_a_car_to_a_known_phone(client, open_workshop, known_car):
    identify(client, open_workshop, plate="粤B2C3D4", phone=PHONE)
    response = client.post(
        reverse("public_booking:register", kwargs={"code": open_workshop.code}),
        {"name": "冒名", "phone": PHONE, "plate": "粤B2C3D4", "make": "丰田", "model": "凯美瑞", "stamp": old_stamp()},
    )
    assert response.status_code == 200
    assert "010-88886666" in response.content.decode(), "the customer is told to call the station"
    assert Vehicle.objects.count() == 1


@pytest.mark.parametrize(
    ("plate", "phone", "message"),
    [
        ("A12345", PHONE, "A plate starts with the province character, e.g. 京 or 粤."),
        (
            "京A12345",
            "12345",
            "Enter a mainland mobile number (11 digits starting 13–19) or a landline with its area code, e.g. 010-12345678.",
        ),
    ],
)
def test_bad_input_is_explained_in_chinese(client, open_workshop, plate, phone, message):
    response = identify(client, open_workshop, plate=plate, phone=phone)
    assert response.status_code == 200
    assert zh(message) in response.content.decode()
    assert "public_booking" not in client.session


def test_the_honeypot_rejects_spam_and_writes_nothing(client, open_workshop, known_car):
    response = identify(client, open_workshop, website="http://spam.example")
    assert response.status_code == 200
    assert (
        zh("Your request looks automated and was not accepted. Please fill the form again.")
        in response.content.decode()
    )
    assert "public_booking" not in client.session


def test_a_form_sent_faster_than_a_person_types_is_rejected(client, open_workshop, known_car):
    response = client.post(start_url(open_workshop), {"plate": "京A12345", "phone": PHONE, "stamp": public_stamp_now()})
    assert (
        zh("The form was sent too quickly. Please check your entries and send it again.") in response.content.decode()
    )
    response = client.post(start_url(open_workshop), {"plate": "京A12345", "phone": PHONE})
    assert zh("The form has expired. Please check your entries and send it again.") in response.content.decode()
    assert "public_booking" not in client.session


def public_stamp_now() -> str:
    from appointments.public_forms import make_stamp

    return make_stamp()


def test_too_many_attempts_from_one_address_get_a_429_page(client, open_workshop):
    for n in range(public.IP_LIMIT[0]):
        assert identify(client, open_workshop, plate="京A00000", phone=f"1381234{n:04d}").status_code != 429
    response = identify(client, open_workshop, plate="京A00000", phone="13699990000")
    assert response.status_code == 429
    assert zh("Too many attempts") in response.content.decode()


def test_too_many_attempts_for_one_phone_get_a_429_page_from_any_address(open_workshop):
    for n in range(public.PHONE_LIMIT[0]):
        client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert identify(client, open_workshop, plate="京A00000").status_code != 429
    assert identify(Client(REMOTE_ADDR="10.0.1.1"), open_workshop, plate="京A00000").status_code == 429


def test_a_full_slot_is_refused_with_alternatives(client, open_workshop, oil_change, known_car, advisor):
    for _ in range(2):  # both technicians busy 9–11
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
    identify(client, open_workshop)
    response = book(client, open_workshop, at(DAY, 9))
    content = response.content.decode()
    assert response.status_code == 200
    assert zh("That time is fully booked.") in content
    assert 'type="radio" name="arrives_at"' in content, "free times are offered instead"
    assert Appointment.objects.filter(vehicle=known_car).count() == 0


def test_past_times_and_a_second_appointment_the_same_day_are_refused(
    client, open_workshop, oil_change, known_car, advisor
):
    identify(client, open_workshop)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert zh("This time has already passed.") in book(client, open_workshop, at(yesterday, 9)).content.decode()
    book(client, open_workshop, at(DAY, 9))
    identify(client, open_workshop)
    response = book(client, open_workshop, at(DAY, 15))
    number = Appointment.objects.get().number
    assert (
        zh("This vehicle already has appointment %(number)s that day.") % {"number": number}
        in response.content.decode()
    )
    assert Appointment.objects.count() == 1


def test_a_tampered_link_is_refused_and_changes_nothing(client, open_workshop, oil_change, known_car, advisor):
    identify(client, open_workshop)
    link = book(client, open_workshop, at(DAY, 9)).url
    token = link.split("/")[-2]
    tampered = reverse("public_booking:manage", kwargs={"token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")})
    response = client.post(tampered, {"action": "cancel"})
    assert response.status_code == 400
    assert zh("This link is not valid. Please use the link exactly as you received it.") in response.content.decode()
    assert Appointment.objects.get().status == Status.BOOKED


def test_an_expired_link_is_refused_and_changes_nothing(client, open_workshop, oil_change, known_car, advisor):
    identify(client, open_workshop)
    book(client, open_workshop, at(DAY, 9))
    appointment = Appointment.objects.get()
    token = public.link_token(appointment, expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.post(reverse("public_booking:manage", kwargs={"token": token}), {"action": "cancel"})
    assert response.status_code == 410
    assert zh("This link has expired: it was valid until one day after the appointment.") in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_the_link_expires_a_day_after_the_arrival(open_workshop, oil_change, known_car, advisor):
    appointment = public.appointment_book_online(
        station=open_workshop,
        plate="京A12345",
        phone=PHONE,
        operations=[oil_change],
        packages=[],
        arrives_at=at(DAY, 9),
    )
    token = public.link_token(appointment)
    assert public.appointment_from_link(token, now=at(DAY, 9) + dt.timedelta(hours=23)) == appointment
    with pytest.raises(public.LinkError) as refused:
        public.appointment_from_link(token, now=at(DAY, 9) + dt.timedelta(hours=25))
    assert refused.value.expired


def test_forms_need_the_csrf_token(open_workshop, known_car):
    client = Client(enforce_csrf_checks=True)
    assert identify(client, open_workshop).status_code == 403


def test_an_unknown_station_is_not_found(client, db):
    assert client.get(reverse("public_booking:start", kwargs={"code": "nowhere"})).status_code == 404
