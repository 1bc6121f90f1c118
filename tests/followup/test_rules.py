"""Contact rules: each call appears exactly when it falls due (the clock is
moved by passing `now`), once however often the sweep runs, and disappears
from the list when its appointment moves on."""

import datetime as dt

from appointments import preparation as prep
from appointments import services
from appointments.models import Appointment, Status
from dealer_service.sweep import sweep
from dealers.models import Role
from followup import rules
from followup.models import ContactTask, Kind, TaskStatus
from tests.appointments.conftest import MONDAY, at
from tests.followup.conftest import ARRIVAL, book

H = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def kinds(status=TaskStatus.OPEN) -> list[str]:
    return sorted(ContactTask.objects.filter(status=status).values_list("kind", flat=True))


def test_no_call_is_owed_before_72_hours_before_arrival(appointment):
    assert rules.run_all(ARRIVAL - 72 * H - MINUTE) == 0
    assert ContactTask.objects.count() == 0


def test_the_specialist_owes_the_first_confirmation_from_72_hours_before(appointment):
    rules.run_all(ARRIVAL - 72 * H)
    task = ContactTask.objects.get()
    assert task.kind == Kind.CONFIRMATION_72H
    assert task.role == Role.SPECIALIST and task.assignee is None
    assert (task.due_from, task.due_until) == (ARRIVAL - 72 * H, ARRIVAL - 24 * H)
    assert task.customer == appointment.customer and task.vehicle == appointment.vehicle
    assert task.source == appointment and task.dealer == appointment.dealer


def test_the_second_confirmation_comes_at_24_hours_and_replaces_an_unmade_first(appointment):
    rules.run_all(ARRIVAL - 72 * H)
    rules.run_all(ARRIVAL - 24 * H - MINUTE)
    assert kinds() == [Kind.CONFIRMATION_72H]
    rules.run_all(ARRIVAL - 24 * H + MINUTE)
    assert kinds() == [Kind.CONFIRMATION_24H]
    assert kinds(TaskStatus.EXPIRED) == [Kind.CONFIRMATION_72H]


def test_the_named_advisor_confirms_one_hour_before_and_the_call_ends_at_arrival(appointment, advisor):
    rules.run_all(ARRIVAL - H - MINUTE)
    assert not ContactTask.objects.filter(kind=Kind.CONFIRMATION_1H).exists()
    rules.run_all(ARRIVAL - H)
    task = ContactTask.objects.get(kind=Kind.CONFIRMATION_1H)
    assert task.assignee == advisor and task.role == Role.SERVICE_ADVISOR
    rules.run_all(ARRIVAL + MINUTE)
    task.refresh_from_db()
    assert task.status == TaskStatus.EXPIRED


def test_a_late_booking_gets_only_the_calls_still_meaningful(workshop, advisor, oil_change, car):
    appointment = book(workshop, advisor, oil_change, car, now=ARRIVAL - 10 * H)
    rules.run_all(ARRIVAL - 10 * H)
    assert kinds() == [Kind.CONFIRMATION_24H]
    assert ContactTask.objects.get().source == appointment


def test_the_hours_are_the_stations_settings(workshop, advisor, oil_change, car):
    workshop.confirm_first_hours, workshop.confirm_second_hours, workshop.confirm_advisor_hours = 48, 12, 2
    workshop.save()
    book(workshop, advisor, oil_change, car)
    rules.run_all(ARRIVAL - 49 * H)
    assert kinds() == []
    rules.run_all(ARRIVAL - 48 * H)
    assert kinds() == [Kind.CONFIRMATION_72H]
    rules.run_all(ARRIVAL - 12 * H)
    assert kinds() == [Kind.CONFIRMATION_24H]
    rules.run_all(ARRIVAL - 2 * H)
    assert kinds() == [Kind.CONFIRMATION_1H]


def test_each_confirmation_is_created_exactly_once_when_the_sweep_runs_twice(appointment):
    for moment in (ARRIVAL - 72 * H, ARRIVAL - 24 * H, ARRIVAL - H):
        first, second = sweep(moment), sweep(moment)
        assert first.ok and second.ok
        assert second.acted["followup.contact_rules"] == 0
    assert sorted(ContactTask.objects.values_list("kind", flat=True)) == [
        Kind.CONFIRMATION_1H,
        Kind.CONFIRMATION_24H,
        Kind.CONFIRMATION_72H,
    ]
    assert ContactTask.objects.values("dedupe_key").distinct().count() == 3


def test_a_cancelled_appointment_closes_its_open_calls(appointment):
    rules.run_all(ARRIVAL - 72 * H)
    services.appointment_cancel(appointment=appointment, note="客户出差", now=ARRIVAL - 70 * H)
    rules.run_all(ARRIVAL - 70 * H)
    assert kinds() == [] and kinds(TaskStatus.CANCELLED) == [Kind.CONFIRMATION_72H]
    rules.run_all(ARRIVAL - 24 * H)
    assert ContactTask.objects.count() == 1  # and no new call for it


def test_a_rescheduled_appointment_hands_the_calls_to_the_new_one(appointment):
    rules.run_all(ARRIVAL - 72 * H)
    moved = services.appointment_reschedule(
        appointment=appointment, arrives_at=at(MONDAY, 14), note="客户改下午", now=ARRIVAL - 71 * H
    )
    rules.run_all(ARRIVAL - 71 * H)
    old = ContactTask.objects.get(source_id=appointment.pk)
    assert old.status == TaskStatus.CANCELLED
    rules.run_all(moved.arrives_at - 72 * H)
    new = ContactTask.objects.get(source_id=moved.pk)
    assert old.status == TaskStatus.CANCELLED
    assert new.status == TaskStatus.OPEN and new.kind == Kind.CONFIRMATION_72H


def test_an_arrival_makes_the_open_confirmations_moot(appointment):
    rules.run_all(ARRIVAL - H)
    services.appointment_transition(appointment=appointment, to=Status.ARRIVED, now=ARRIVAL - 30 * MINUTE)
    rules.run_all(ARRIVAL - 29 * MINUTE)
    assert kinds() == []


def test_a_no_show_after_the_grace_period_queues_a_call(appointment):
    rules.run_all(ARRIVAL - H)
    sweep(ARRIVAL + 30 * MINUTE)  # exactly the grace period: not yet
    assert Appointment.objects.get().status == Status.BOOKED
    assert not ContactTask.objects.filter(kind=Kind.NO_SHOW).exists()
    result = sweep(ARRIVAL + 31 * MINUTE)
    assert result.acted["appointments.no_shows"] == 1
    call = ContactTask.objects.get(kind=Kind.NO_SHOW)
    assert call.status == TaskStatus.OPEN and call.role == Role.SPECIALIST
    assert call.due_from == ARRIVAL + 30 * MINUTE
    assert kinds() == [Kind.NO_SHOW]  # the advisor's confirmation is moot now
    sweep(ARRIVAL + 32 * MINUTE)
    assert ContactTask.objects.filter(kind=Kind.NO_SHOW).count() == 1


def test_a_late_customer_makes_the_no_show_call_moot(appointment):
    sweep(ARRIVAL + H)
    appointment.refresh_from_db()
    services.appointment_transition(appointment=appointment, to=Status.ARRIVED, now=ARRIVAL + 2 * H)
    rules.run_all(ARRIVAL + 2 * H)
    assert kinds() == [] and kinds(TaskStatus.EXPIRED) == [Kind.NO_SHOW]


def test_a_preparation_problem_is_told_to_the_customer_once_per_problem(workshop, advisor, oil_change, car):
    appointment = book(workshop, advisor, oil_change, car, substitute_car=True)
    preparation = appointment.preparation
    now = ARRIVAL - 100 * H
    prep.loaner_reserve(preparation=preparation, now=now)  # the station has no substitute car
    preparation.refresh_from_db()
    assert preparation.problem_since == now
    rules.run_all(now)
    rules.run_all(now + MINUTE)
    task = ContactTask.objects.get()
    assert task.kind == Kind.PREPARATION_PROBLEM and task.role == Role.SPECIALIST
    assert task.dedupe_key == rules.dedupe_key("preparation_problem", appointment.pk, now)
    assert task.due_until == ARRIVAL

    prep.loaner_release(preparation=preparation, now=now + H)  # solved before anyone called
    rules.run_all(now + H)
    task.refresh_from_db()
    assert task.status == TaskStatus.EXPIRED
