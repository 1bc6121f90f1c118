"""Booking, no overbooking, states and their log, reschedule and cancel."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from appointments import services
from appointments.models import Appointment, AppointmentEvent, Status
from dealers.models import JobType
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import VehicleFactory


def book(station, vehicle, advisor, operations, when, **extra):
    return services.appointment_book(
        dealer=station,
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=when,
        request="保养，顺便检查刹车异响",
        operations=operations,
        now=NOW,
        **extra,
    )


def test_booking_records_estimate_tentative_delivery_and_the_first_event(workshop, advisor, oil_change, car):
    appointment = book(workshop, car, advisor, [oil_change], at(MONDAY, 9))
    assert appointment.status == Status.BOOKED
    assert appointment.hours == 2
    assert appointment.labour_price == 2 * workshop.labour_rate
    assert appointment.ready_at == at(MONDAY, 11)
    assert appointment.number == "Y2026-00001"
    assert list(appointment.events.values_list("from_status", "to_status")) == [("", Status.BOOKED)]


def test_a_full_slot_is_refused_with_alternatives_and_nothing_is_written(workshop, advisor, oil_change):
    cars = [VehicleFactory(owner__dealer=workshop) for _ in range(3)]
    book(workshop, cars[0], advisor, [oil_change], at(MONDAY, 9))
    book(workshop, cars[1], advisor, [oil_change], at(MONDAY, 9))  # both technicians now busy 9–11
    with pytest.raises(ValidationError) as refused:
        book(workshop, cars[2], advisor, [oil_change], at(MONDAY, 9))
    assert refused.value.reason == "full"
    assert "arrives_at" in refused.value.message_dict
    assert refused.value.alternatives, "a refusal offers other times"
    assert all(p.arrives_at != at(MONDAY, 9) for p in refused.value.alternatives)
    assert Appointment.objects.count() == 2


def test_cancelling_frees_the_capacity(workshop, advisor, oil_change):
    cars = [VehicleFactory(owner__dealer=workshop) for _ in range(3)]
    first = book(workshop, cars[0], advisor, [oil_change], at(MONDAY, 9))
    book(workshop, cars[1], advisor, [oil_change], at(MONDAY, 9))
    services.appointment_cancel(appointment=first, note="客户出差", now=NOW)
    assert book(workshop, cars[2], advisor, [oil_change], at(MONDAY, 9)).status == Status.BOOKED


def test_rescheduling_moves_the_booking_and_keeps_the_old_one_as_rescheduled(workshop, advisor, oil_change, car):
    original = book(workshop, car, advisor, [oil_change], at(MONDAY, 9))
    moved = services.appointment_reschedule(appointment=original, arrives_at=at(MONDAY, 14), now=NOW)
    original.refresh_from_db()
    assert original.status == Status.RESCHEDULED
    assert moved.rescheduled_from == original
    assert moved.arrives_at == at(MONDAY, 14) and moved.status == Status.BOOKED
    assert moved.lines.count() == original.lines.count() == 1


@pytest.mark.parametrize(
    "when",
    [
        at(MONDAY - dt.timedelta(days=10), 9),  # passed
        at(MONDAY - dt.timedelta(days=1), 9),  # Sunday: closed
        at(MONDAY, 9, 10),  # not a slot start
        at(MONDAY + dt.timedelta(days=90), 9),  # beyond the bookable horizon
    ],
)
def test_past_times_closed_days_odd_times_and_far_future_are_refused(workshop, advisor, oil_change, car, when):
    with pytest.raises(ValidationError) as refused:
        book(workshop, car, advisor, [oil_change], when)
    assert "arrives_at" in refused.value.message_dict
    assert not Appointment.objects.exists()


def test_the_same_vehicle_cannot_have_two_active_appointments_on_one_day(workshop, advisor, oil_change, car):
    book(workshop, car, advisor, [oil_change], at(MONDAY, 9))
    with pytest.raises(ValidationError) as refused:
        book(workshop, car, advisor, [oil_change], at(MONDAY, 15))
    assert "arrives_at" in refused.value.message_dict
    assert Appointment.objects.count() == 1


def test_a_job_type_the_station_has_no_bay_for_is_refused(workshop, advisor, oil_change, car):
    with pytest.raises(ValidationError):
        services.appointment_book(
            dealer=workshop,
            customer=car.owner,
            vehicle=car,
            advisor=advisor,
            job_type=JobType.BODY_PAINT,
            arrives_at=at(MONDAY, 9),
            request="喷漆",
            operations=[oil_change],
            now=NOW,
        )
    assert not Appointment.objects.exists()


def test_only_an_advisor_of_the_station_can_be_named(workshop, oil_change, car, other_advisor, dispatcher):
    for person in (other_advisor, dispatcher):
        with pytest.raises(ValidationError) as refused:
            book(workshop, car, person, [oil_change], at(MONDAY, 9))
        assert "advisor" in refused.value.message_dict


def test_transitions_follow_the_table_and_are_logged(workshop, advisor, oil_change, car):
    appointment = book(workshop, car, advisor, [oil_change], at(MONDAY, 9))
    services.appointment_transition(appointment=appointment, to=Status.CONFIRMED, by=advisor.user, now=NOW)
    services.appointment_transition(appointment=appointment, to=Status.ARRIVED, now=NOW)
    with pytest.raises(ValidationError):
        services.appointment_transition(appointment=appointment, to=Status.BOOKED, now=NOW)
    assert list(AppointmentEvent.objects.filter(appointment=appointment).values_list("to_status", flat=True)) == [
        Status.BOOKED,
        Status.CONFIRMED,
        Status.ARRIVED,
    ]


def test_a_stale_transition_is_refused_when_someone_else_changed_the_appointment(workshop, advisor, oil_change, car):
    appointment = book(workshop, car, advisor, [oil_change], at(MONDAY, 9))
    stale = Appointment.objects.get(pk=appointment.pk)
    services.appointment_cancel(appointment=appointment, now=NOW)
    with pytest.raises(ValidationError):
        services.appointment_transition(appointment=stale, to=Status.CONFIRMED, now=NOW)


def test_the_sweep_marks_no_shows_after_the_grace_period_once(workshop, advisor, oil_change, car):
    appointment = book(workshop, car, advisor, [oil_change], at(MONDAY, 9))
    assert services.mark_no_shows(at(MONDAY, 9, 29)) == 0
    assert services.mark_no_shows(at(MONDAY, 9, 31)) == 1
    assert services.mark_no_shows(at(MONDAY, 9, 32)) == 0
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW
