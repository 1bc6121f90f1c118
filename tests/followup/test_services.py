"""Recording what came of a call: the appointment follows through its own
services, an unreachable customer keeps the call open, bad input writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from appointments.models import Appointment, Status
from followup import rules
from followup.models import ContactAttempt, ContactTask, Kind, Outcome, TaskStatus
from followup.services import contact_attempt_record
from tests.followup.conftest import ARRIVAL

H = dt.timedelta(hours=1)
CALLED_AT = ARRIVAL - 70 * H


@pytest.fixture
def first_call(appointment):
    rules.run_all(ARRIVAL - 72 * H)
    return ContactTask.objects.get(kind=Kind.CONFIRMATION_72H)


def test_confirmed_confirms_the_appointment_and_closes_the_call(first_call, appointment, specialist):
    attempt = contact_attempt_record(
        task=first_call, by=specialist.user, outcome=Outcome.CONFIRMED, note="客户确认准时到", now=CALLED_AT
    )
    first_call.refresh_from_db()
    assert (first_call.status, first_call.outcome, first_call.closed_at) == (TaskStatus.DONE, "confirmed", CALLED_AT)
    assert (attempt.by, attempt.at, attempt.note) == (specialist.user, CALLED_AT, "客户确认准时到")
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    event = appointment.events.last()
    assert (event.to_status, event.by) == (Status.CONFIRMED, specialist.user)


def test_the_second_confirmation_of_a_confirmed_appointment_just_closes_the_call(first_call, appointment, specialist):
    contact_attempt_record(task=first_call, by=specialist.user, outcome=Outcome.CONFIRMED, now=CALLED_AT)
    rules.run_all(ARRIVAL - 24 * H)
    second = ContactTask.objects.get(kind=Kind.CONFIRMATION_24H)
    contact_attempt_record(task=second, by=specialist.user, outcome=Outcome.CONFIRMED, now=ARRIVAL - 23 * H)
    assert Appointment.objects.get().status == Status.CONFIRMED
    assert ContactTask.objects.filter(status=TaskStatus.DONE).count() == 2


def test_cancelled_cancels_the_appointment_and_its_other_open_calls(workshop, first_call, appointment, specialist):
    other = ContactTask.objects.create(
        kind=Kind.PREPARATION_PROBLEM,
        dealer=workshop,
        customer=appointment.customer,
        vehicle=appointment.vehicle,
        source=appointment,
        due_from=CALLED_AT,
        due_until=ARRIVAL,
        role="specialist",
        dedupe_key="preparation_problem:test",
    )
    contact_attempt_record(task=first_call, by=specialist.user, outcome=Outcome.CANCELLED, note="车卖了", now=CALLED_AT)
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.events.last().note == "车卖了"
    first_call.refresh_from_db()
    other.refresh_from_db()
    assert (first_call.status, first_call.outcome) == (TaskStatus.DONE, Outcome.CANCELLED)
    assert other.status == TaskStatus.CANCELLED


def test_unreachable_keeps_the_call_open_and_counts_the_attempts(first_call, appointment, specialist):
    for hour in (70, 66, 50):
        contact_attempt_record(task=first_call, by=specialist.user, outcome=Outcome.UNREACHABLE, now=ARRIVAL - hour * H)
    first_call.refresh_from_db()
    assert first_call.status == TaskStatus.OPEN and first_call.outcome == ""
    assert first_call.attempts.count() == 3
    assert Appointment.objects.get().status == Status.BOOKED


def test_rescheduled_settles_the_call_and_leaves_the_move_to_the_booker(first_call, appointment, specialist):
    contact_attempt_record(task=first_call, by=specialist.user, outcome=Outcome.RESCHEDULED, now=CALLED_AT)
    first_call.refresh_from_db()
    assert (first_call.status, first_call.outcome) == (TaskStatus.DONE, Outcome.RESCHEDULED)
    assert Appointment.objects.get().status == Status.BOOKED


def refused(task, by, outcome, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        contact_attempt_record(task=task, by=by, outcome=outcome, now=CALLED_AT)
    assert message in " ".join(caught.value.messages)


def test_an_outcome_on_a_closed_call_is_refused_and_nothing_is_written(first_call, specialist):
    contact_attempt_record(task=first_call, by=specialist.user, outcome=Outcome.CONFIRMED, now=CALLED_AT)
    refused(first_call, specialist.user, Outcome.CANCELLED, "already closed")
    assert ContactAttempt.objects.count() == 1
    assert Appointment.objects.get().status == Status.CONFIRMED


def test_another_stations_call_is_refused_and_nothing_is_written(first_call, other_advisor):
    refused(first_call, other_advisor.user, Outcome.CONFIRMED, "a station you do not work at")
    assert ContactAttempt.objects.count() == 0
    first_call.refresh_from_db()
    assert first_call.status == TaskStatus.OPEN
    assert Appointment.objects.get().status == Status.BOOKED


def test_an_outcome_that_does_not_fit_the_call_is_refused(first_call, specialist):
    refused(first_call, specialist.user, Outcome.INFORMED, "is not an outcome of this call")
    refused(first_call, specialist.user, "whatever", "is not an outcome of this call")
    assert ContactAttempt.objects.count() == 0


def test_confirming_an_appointment_cancelled_meanwhile_writes_nothing(first_call, appointment, specialist):
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.CANCELLED)
    refused(first_call, specialist.user, Outcome.CONFIRMED, "already Cancelled")
    assert ContactAttempt.objects.count() == 0
    first_call.refresh_from_db()
    assert first_call.status == TaskStatus.OPEN
