"""Reminder rules (SPEC.md "Reminders" and the step-7 callback): each reminder
appears when its window opens (the clock is moved by passing `now`), once
however often the sweep runs, never for a trigger long past, with the
station's settings; it expires once the car is booked or has been in, and
records the booking or visit it led to."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from customers.models import Lifecycle, OdometerReading, OdometerSource
from dealers.models import JobType, Role
from followup import reminders, rules
from followup.models import Channel, ContactTask, Kind, Outcome, TaskStatus
from followup.reminders import Reading, add_months, km_reached_on, maintenance_due
from reception.models import LineKind, RepairOrder, RepairOrderEvent, ROStatus
from tests.factories import VehicleFactory
from workshop.models import Decision, Finding, FindingLine, Urgency

TZ = ZoneInfo("Asia/Shanghai")
MINUTE = dt.timedelta(minutes=1)
_numbers = itertools.count(1)


def local(day: dt.date, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


def tasks(kind: str | None = None, status: str | None = None) -> list[ContactTask]:
    qs = ContactTask.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return list(qs)


def run(rule, now: dt.datetime, times: int = 2) -> int:
    """Run a rule `times` at the same moment; returns what the first run did."""
    first = rule(now)
    for _ in range(times - 1):
        assert rule(now) == 0, "a second run at the same moment must do nothing"
    return first


def car(station, *, sale: dt.date | None = dt.date(2026, 1, 1), warranty_end: dt.date | None = None, **owner):
    owner.setdefault("marketing_consent", True)
    return VehicleFactory(
        owner__dealer=station,
        sale_date=sale,
        warranty_end=warranty_end,
        **{f"owner__{name}": value for name, value in owner.items()},
    )


def read(vehicle, day: dt.date, km: int, source: str = OdometerSource.CUSTOMER) -> OdometerReading:
    return OdometerReading.objects.create(vehicle=vehicle, read_on=day, km=km, source=source)


def visit(vehicle, advisor, when: dt.datetime, *, job_type=JobType.MAINTENANCE, status=ROStatus.CLOSED):
    """A repair order of `vehicle` opened at `when` (created_at is set after the insert)."""
    order = RepairOrder.objects.create(
        dealer=vehicle.dealer,
        number=f"RO{next(_numbers):06d}",
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=job_type,
        status=status,
    )
    RepairOrder.objects.filter(pk=order.pk).update(created_at=when)
    order.created_at = when
    return order


def booking(vehicle, advisor, when: dt.datetime, *, status=AppointmentStatus.BOOKED, arrives_in_days: int = 3):
    arrives = when + dt.timedelta(days=arrives_in_days)
    appointment = Appointment.objects.create(
        dealer=vehicle.dealer,
        number=f"AP{next(_numbers):06d}",
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=arrives,
        hours=Decimal("1.00"),
        ready_at=arrives + dt.timedelta(hours=2),
        request="保养",
        status=status,
    )
    Appointment.objects.filter(pk=appointment.pk).update(created_at=when)
    appointment.created_at = when
    return appointment


# --- arithmetic -----------------------------------------------------------------------------


def test_adding_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 3) == dt.date(2026, 4, 30)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


def test_the_odometer_is_projected_at_the_rate_between_the_first_and_the_last_reading():
    # 1 Jan 10 km, 1 Mar (59 days later) 3,550 km: 3,540 km / 59 days = 60 km a day.
    readings = [Reading(dt.date(2026, 1, 1), 10), Reading(dt.date(2026, 3, 1), 3_550)]
    # 10,010 km is 6,460 km after the last reading: 6,460 / 60 = 107.7, so day 108 after 1 March.
    assert km_reached_on(readings, 10_010) == dt.date(2026, 6, 17)
    # Due: the earlier of 1 Jul (six months after the sale) and 17 Jun (10,000 km after the sale's 10 km).
    assert maintenance_due(dt.date(2026, 1, 1), 10, readings, interval_km=10_000, interval_months=6) == dt.date(
        2026, 6, 17
    )
    # A light user reaches the km after the months: the months decide.
    slow = [Reading(dt.date(2026, 1, 1), 10), Reading(dt.date(2026, 3, 1), 600)]
    assert maintenance_due(dt.date(2026, 1, 1), 10, slow, interval_km=10_000, interval_months=6) == dt.date(2026, 7, 1)


def test_no_km_projection_from_one_reading_or_readings_too_close_together():
    assert km_reached_on([Reading(dt.date(2026, 1, 1), 10)], 10_010) is None
    close = [Reading(dt.date(2026, 1, 1), 10), Reading(dt.date(2026, 1, 20), 2_000)]
    assert km_reached_on(close, 10_010) is None
    assert maintenance_due(dt.date(2026, 1, 1), 10, close, interval_km=10_000, interval_months=6) == dt.date(2026, 7, 1)
    assert maintenance_due(dt.date(2026, 1, 1), None, [], interval_km=10_000, interval_months=6) == dt.date(2026, 7, 1)


# --- after-sales callback -----------------------------------------------------------------


def delivered(vehicle, advisor, at: dt.datetime) -> RepairOrder:
    order = visit(vehicle, advisor, at - dt.timedelta(hours=5), job_type=JobType.REPAIR, status=ROStatus.DELIVERED)
    RepairOrderEvent.objects.create(repair_order=order, from_status=ROStatus.READY, to_status=ROStatus.DELIVERED, at=at)
    return order


def test_the_callback_is_owed_from_the_day_after_delivery_for_the_stations_days(station, advisor):
    handed_over = local(dt.date(2026, 5, 4), 17)
    order = delivered(car(station), advisor, handed_over)
    assert run(reminders.after_sales_callback, handed_over + dt.timedelta(days=1) - MINUTE) == 0
    assert run(reminders.after_sales_callback, handed_over + dt.timedelta(days=1)) == 1
    task = ContactTask.objects.get()
    assert task.kind == Kind.CALLBACK and task.source == order and task.vehicle == order.vehicle
    assert (task.due_from, task.due_until) == (handed_over + dt.timedelta(days=1), handed_over + dt.timedelta(days=7))
    assert task.role == Role.SPECIALIST and task.channel == Channel.PHONE


def test_a_delivery_older_than_the_callback_window_gets_no_callback(station, advisor):
    handed_over = local(dt.date(2026, 5, 4), 17)
    delivered(car(station), advisor, handed_over)
    assert run(reminders.after_sales_callback, handed_over + dt.timedelta(days=7)) == 0
    station.callback_days = 10
    station.save()
    assert run(reminders.after_sales_callback, handed_over + dt.timedelta(days=7)) == 1
    assert ContactTask.objects.get().due_until == handed_over + dt.timedelta(days=10)


# --- new owner, first maintenance --------------------------------------------------------------


def test_the_new_owner_is_called_the_stations_days_after_the_sale(station):
    vehicle = car(station, sale=dt.date(2026, 5, 10), preferred_channel="sms")
    assert run(reminders.new_owner_callback, local(dt.date(2026, 5, 15)) - MINUTE) == 0
    assert run(reminders.new_owner_callback, local(dt.date(2026, 5, 15))) == 1
    task = ContactTask.objects.get()
    assert task.kind == Kind.NEW_OWNER and task.source == vehicle and task.customer == vehicle.owner
    assert task.channel == Channel.SMS  # the customer prefers SMS
    assert task.due_until == local(dt.date(2026, 5, 29))  # owed for the reminder lead days


def test_new_owner_days_is_a_station_setting_and_an_old_sale_gets_no_call(station):
    station.new_owner_days = 2
    station.save()
    car(station, sale=dt.date(2026, 5, 10))
    assert run(reminders.new_owner_callback, local(dt.date(2026, 5, 12), 8)) == 1
    ContactTask.objects.all().delete()
    assert run(reminders.new_owner_callback, local(dt.date(2026, 5, 26))) == 0  # 16 days: past its window


def test_first_maintenance_three_months_after_the_sale_month_end_included(station):
    vehicle = car(station, sale=dt.date(2026, 1, 31), preferred_channel="letter")
    assert run(reminders.first_maintenance, local(dt.date(2026, 4, 30)) - MINUTE) == 0
    assert run(reminders.first_maintenance, local(dt.date(2026, 4, 30))) == 1  # 31 Jan + 3 months
    task = ContactTask.objects.get()
    assert task.kind == Kind.FIRST_MAINTENANCE and task.vehicle == vehicle
    assert task.channel == Channel.PHONE  # letters are a fall-back, not a first contact
    assert run(reminders.first_maintenance, local(dt.date(2026, 5, 10))) == 0  # later sweeps: still once


def test_no_first_maintenance_reminder_after_a_maintenance_visit_or_long_after_it_fell_due(station, advisor):
    maintained = car(station, sale=dt.date(2026, 1, 31))
    visit(maintained, advisor, local(dt.date(2026, 4, 2), 10))
    car(station, sale=dt.date(2025, 12, 1))  # fell due 1 March: long past on 30 April
    assert run(reminders.first_maintenance, local(dt.date(2026, 4, 30), 9)) == 0


def test_first_maintenance_months_is_a_station_setting(station):
    station.first_maintenance_months = 2
    station.save()
    car(station, sale=dt.date(2026, 1, 31))
    assert run(reminders.first_maintenance, local(dt.date(2026, 3, 31))) == 1


# --- scheduled maintenance ------------------------------------------------------------------


@pytest.fixture
def driven(station):
    """Sold 1 Jan with 10 km; 3,550 km on 1 Mar: 60 km a day (see the arithmetic test)."""
    vehicle = car(station, sale=dt.date(2026, 1, 1))
    read(vehicle, dt.date(2026, 1, 1), 10, OdometerSource.SALE)
    read(vehicle, dt.date(2026, 3, 1), 3_550)
    return vehicle


def test_scheduled_maintenance_reminder_comes_lead_days_before_the_projected_km(driven):
    # Due 17 June (10,010 km at 60 km a day), not 1 July (six months): reminder from 3 June.
    assert run(reminders.scheduled_maintenance, local(dt.date(2026, 6, 3)) - MINUTE) == 0
    assert run(reminders.scheduled_maintenance, local(dt.date(2026, 6, 3))) == 1
    task = ContactTask.objects.get()
    assert task.kind == Kind.SCHEDULED_MAINTENANCE and task.vehicle == driven
    assert (task.due_from, task.due_until) == (local(dt.date(2026, 6, 3)), local(dt.date(2026, 6, 17)))


def test_a_new_reading_moves_the_due_date_but_the_cycle_gets_one_reminder(driven):
    rules.run_all(local(dt.date(2026, 6, 3), 9))
    assert len(tasks(Kind.SCHEDULED_MAINTENANCE)) == 1
    # Told on 4 June: 9,000 km. 8,990 km in 154 days is 58.4 a day: 10,010 km on 22 June,
    # so the recomputed window (8–22 June) opens again after the first one closed.
    read(driven, dt.date(2026, 6, 4), 9_000)
    for day in (10, 18, 21):
        rules.run_all(local(dt.date(2026, 6, day), 9))
    assert len(tasks(Kind.SCHEDULED_MAINTENANCE)) == 1


def test_a_maintenance_visit_settles_the_reminder_and_starts_the_next_cycle(driven, advisor):
    rules.run_all(local(dt.date(2026, 6, 3), 9))
    visit(driven, advisor, local(dt.date(2026, 6, 10), 10))
    read(driven, dt.date(2026, 6, 10), 9_600, OdometerSource.RECEPTION)
    assert reminders.reminders_settled(local(dt.date(2026, 6, 10), 12)) == 1
    assert [t.status for t in tasks(Kind.SCHEDULED_MAINTENANCE)] == [TaskStatus.EXPIRED]
    # Next cycle from 10 June at 9,600 km: 9,590 km in 160 days is 59.94 a day; 19,600 km is
    # 10,000 / 59.94 = 166.8, so day 167: 24 November (before 10 December). Reminder from 10 November.
    rules.run_all(local(dt.date(2026, 11, 10)) - MINUTE)
    assert len(tasks(Kind.SCHEDULED_MAINTENANCE)) == 1
    rules.run_all(local(dt.date(2026, 11, 10)))
    second = ContactTask.objects.get(kind=Kind.SCHEDULED_MAINTENANCE, status=TaskStatus.OPEN)
    assert second.due_until == local(dt.date(2026, 11, 24))
    assert second.dedupe_key != tasks(Kind.SCHEDULED_MAINTENANCE, TaskStatus.EXPIRED)[0].dedupe_key


def test_scheduled_maintenance_interval_settings_are_the_stations(station):
    station.maintenance_interval_months = 4
    station.reminder_lead_days = 7
    station.save()
    car(station, sale=dt.date(2026, 1, 1))  # no readings: the months decide, 1 May
    assert run(reminders.scheduled_maintenance, local(dt.date(2026, 4, 24)) - MINUTE) == 0
    assert run(reminders.scheduled_maintenance, local(dt.date(2026, 4, 24))) == 1
    assert ContactTask.objects.get().due_until == local(dt.date(2026, 5, 1))


def test_a_booked_car_gets_no_maintenance_reminder(driven, advisor):
    booking(driven, advisor, local(dt.date(2026, 6, 1), 10))
    assert run(reminders.scheduled_maintenance, local(dt.date(2026, 6, 3))) == 0


# --- warranty ---------------------------------------------------------------------------------

WARRANTY_END = dt.date(2026, 9, 30)
FIRST_DUE = local(dt.date(2026, 8, 31))  # 30 days before
SECOND_DUE = local(dt.date(2026, 9, 16))  # 14 days before


@pytest.fixture
def warranty_car(station):
    return car(station, warranty_end=WARRANTY_END)


def test_the_first_warranty_reminder_comes_30_days_before_and_lasts_until_the_second(warranty_car):
    assert run(reminders.warranty_first, FIRST_DUE - MINUTE) == 0
    assert run(reminders.warranty_first, FIRST_DUE) == 1
    task = ContactTask.objects.get()
    assert task.kind == Kind.WARRANTY_FIRST and task.vehicle == warranty_car
    assert (task.due_from, task.due_until) == (FIRST_DUE, SECOND_DUE)


def first_warranty_call(outcome: str | None = None, **fields) -> ContactTask:
    rules.run_all(FIRST_DUE + dt.timedelta(hours=9))
    task = ContactTask.objects.get(kind=Kind.WARRANTY_FIRST)
    if outcome:
        fields.update(status=TaskStatus.DONE, outcome=outcome)
    ContactTask.objects.filter(pk=task.pk).update(**fields)
    return task


@pytest.mark.parametrize("outcome", [None, Outcome.INFORMED, Outcome.NOT_INTERESTED, Outcome.WRONG_NUMBER])
def test_the_second_warranty_reminder_when_the_first_did_not_reach_or_book(warranty_car, outcome):
    first = first_warranty_call(outcome)
    assert run(reminders.warranty_second, SECOND_DUE - MINUTE) == 0
    rules.run_all(SECOND_DUE)
    second = ContactTask.objects.get(kind=Kind.WARRANTY_SECOND)
    assert (second.due_from, second.due_until) == (SECOND_DUE, local(WARRANTY_END))
    first.refresh_from_db()
    assert first.status == (TaskStatus.EXPIRED if outcome is None else TaskStatus.DONE)


def test_no_second_warranty_reminder_when_the_first_led_to_a_booking(warranty_car, advisor):
    first_warranty_call(Outcome.BOOKED)
    assert run(reminders.warranty_second, SECOND_DUE) == 0


def test_no_second_warranty_reminder_when_the_first_converted(warranty_car, advisor):
    # Booked after the first call (the outcome was not recorded), and did not come.
    missed = booking(warranty_car, advisor, FIRST_DUE + dt.timedelta(days=2), status=AppointmentStatus.NO_SHOW)
    first_warranty_call(led_to_appointment=missed)
    assert run(reminders.warranty_second, SECOND_DUE) == 0


def test_a_car_in_since_the_reminder_fell_due_gets_none_on_a_late_first_sweep(warranty_car, advisor):
    visit(warranty_car, advisor, FIRST_DUE + dt.timedelta(days=2, hours=10), job_type=JobType.REPAIR)
    assert run(rules.run_all, FIRST_DUE + dt.timedelta(days=5)) == 0  # nothing made, nothing to expire
    assert not ContactTask.objects.exists()


def test_warranty_days_are_the_stations(station, warranty_car):
    station.warranty_first_days, station.warranty_second_days = 60, 20
    station.save()
    assert run(reminders.warranty_first, local(dt.date(2026, 8, 1))) == 1  # 60 days before
    assert ContactTask.objects.get().due_until == local(dt.date(2026, 9, 10))  # 20 days before
    assert run(reminders.warranty_first, FIRST_DUE) == 0


# --- dormant and lost ---------------------------------------------------------------------------


@pytest.fixture
def regular(station, advisor):
    """A customer whose one car was last in on 10 March 2026."""
    vehicle = car(station, sale=dt.date(2024, 3, 1))
    visit(vehicle, advisor, local(dt.date(2026, 3, 10), 10))
    return vehicle


def test_a_customer_without_a_visit_for_six_months_is_contacted_once(regular):
    assert run(reminders.dormant_customer, local(dt.date(2026, 9, 10)) - MINUTE) == 0
    assert run(reminders.dormant_customer, local(dt.date(2026, 9, 10))) == 1
    task = ContactTask.objects.get()
    assert task.kind == Kind.DORMANT and task.customer == regular.owner and task.vehicle is None
    assert task.source == regular.owner
    assert run(reminders.dormant_customer, local(dt.date(2026, 9, 20))) == 0


def test_a_customer_lost_after_twelve_months_and_not_long_after(regular):
    assert run(reminders.lost_customer, local(dt.date(2027, 3, 10))) == 1
    assert ContactTask.objects.get().kind == Kind.LOST
    ContactTask.objects.all().delete()
    # A first sweep a month after the anniversary: the trigger is past its window.
    assert run(reminders.lost_customer, local(dt.date(2027, 4, 10))) == 0


def test_dormant_and_lost_are_marketing_and_need_the_customers_consent(regular):
    regular.owner.marketing_consent = False
    regular.owner.save()
    assert run(reminders.dormant_customer, local(dt.date(2026, 9, 10))) == 0
    assert run(reminders.lost_customer, local(dt.date(2027, 3, 10))) == 0


def test_a_reception_reading_from_before_this_system_counts_as_a_visit(station):
    vehicle = car(station, sale=dt.date(2024, 3, 1))
    read(vehicle, dt.date(2024, 3, 1), 15, OdometerSource.SALE)
    read(vehicle, dt.date(2026, 3, 10), 30_000, OdometerSource.RECEPTION)
    read(vehicle, dt.date(2026, 5, 1), 32_000, OdometerSource.CUSTOMER)  # a phone call is not a visit
    assert run(reminders.dormant_customer, local(dt.date(2026, 9, 10))) == 1


def test_dormant_months_is_a_station_setting(station, regular):
    station.dormant_months = 4
    station.save()
    assert run(reminders.dormant_customer, local(dt.date(2026, 7, 10))) == 1


def test_a_visit_settles_the_dormant_contact_and_a_booking_prevents_it(regular, advisor):
    rules.run_all(local(dt.date(2026, 9, 10), 9))
    visit(regular, advisor, local(dt.date(2026, 9, 12), 10))
    rules.run_all(local(dt.date(2026, 9, 12), 11))
    assert ContactTask.objects.get().status == TaskStatus.EXPIRED
    other = car(regular.dealer, sale=dt.date(2024, 3, 1))
    visit(other, advisor, local(dt.date(2026, 3, 11), 10))
    booking(other, advisor, local(dt.date(2026, 9, 1), 10))
    assert run(reminders.dormant_customer, local(dt.date(2026, 9, 11))) == 0


# --- declined work -------------------------------------------------------------------------------


def declined(vehicle, advisor, *, by_date: dt.date | None = None, by_km: int | None = None) -> FindingLine:
    order = visit(vehicle, advisor, local(dt.date(2026, 3, 2), 9), job_type=JobType.REPAIR)
    finding = Finding.objects.create(
        dealer=vehicle.dealer,
        repair_order=order,
        description="前刹车片磨损",
        urgency=Urgency.YELLOW,
        found_by=advisor,
        found_at=local(dt.date(2026, 3, 2), 11),
    )
    return FindingLine.objects.create(
        finding=finding,
        kind=LineKind.PART,
        description="更换前刹车片",
        quantity=Decimal("1"),
        unit_price=Decimal("600"),
        amount=Decimal("600"),
        decision=Decision.DECLINED,
        decided_at=local(dt.date(2026, 3, 2), 12),
        recommend_by_date=by_date,
        recommend_by_km=by_km,
    )


def test_declined_work_is_reminded_lead_days_before_its_date(station, advisor):
    line = declined(car(station), advisor, by_date=dt.date(2026, 6, 1))
    assert run(reminders.declined_work, local(dt.date(2026, 5, 18)) - MINUTE) == 0
    assert run(reminders.declined_work, local(dt.date(2026, 5, 18))) == 1
    task = ContactTask.objects.get()
    assert task.kind == Kind.DECLINED_WORK and task.source == line.finding
    assert task.vehicle == line.finding.repair_order.vehicle and task.due_until == local(dt.date(2026, 6, 1))


def test_the_declined_part_and_labour_of_one_finding_are_one_reminder_at_the_first_date(station, advisor):
    line = declined(car(station), advisor, by_date=dt.date(2026, 6, 1))
    labour = FindingLine.objects.get(pk=line.pk)
    labour.pk, labour.kind, labour.recommend_by_date = None, LineKind.LABOUR, dt.date(2026, 5, 25)
    labour.save()
    assert run(reminders.declined_work, local(dt.date(2026, 5, 11))) == 1  # 14 days before 25 May
    assert run(reminders.declined_work, local(dt.date(2026, 5, 18))) == 0  # the part's date: same call
    assert ContactTask.objects.get().due_until == local(dt.date(2026, 5, 25))


def test_declined_work_by_mileage_is_projected_to_a_day(station, advisor):
    vehicle = car(station)
    read(vehicle, dt.date(2026, 1, 1), 20_000)
    read(vehicle, dt.date(2026, 3, 2), 23_000)  # 3,000 km in 60 days: 50 km a day
    # 26,000 km is 3,000 km after 2 March: 60 days, 1 May; the reminder from 17 April.
    declined(vehicle, advisor, by_km=26_000)
    assert run(reminders.declined_work, local(dt.date(2026, 4, 17)) - MINUTE) == 0
    assert run(reminders.declined_work, local(dt.date(2026, 4, 17))) == 1
    assert ContactTask.objects.get().due_until == local(dt.date(2026, 5, 1))


def test_declined_work_with_date_and_mileage_comes_at_the_earlier(station, advisor):
    vehicle = car(station)
    read(vehicle, dt.date(2026, 1, 1), 20_000)
    read(vehicle, dt.date(2026, 3, 2), 23_000)
    declined(vehicle, advisor, by_date=dt.date(2026, 8, 1), by_km=26_000)  # km first: 1 May
    assert run(reminders.declined_work, local(dt.date(2026, 4, 17))) == 1


def test_no_declined_work_reminder_while_the_car_is_in_the_workshop(station, advisor):
    vehicle = car(station)
    declined(vehicle, advisor, by_date=dt.date(2026, 6, 1))
    visit(vehicle, advisor, local(dt.date(2026, 5, 17), 9), status=ROStatus.IN_PROGRESS)
    assert run(reminders.declined_work, local(dt.date(2026, 5, 18))) == 0


# --- birthday --------------------------------------------------------------------------------------


def test_club_members_get_a_birthday_sms_once_on_the_day_in_calling_hours(station):
    member = car(station, birthday=dt.date(1985, 3, 15), lifecycle=Lifecycle.CLUB_VIP).owner
    car(station, birthday=dt.date(1985, 3, 15), lifecycle=Lifecycle.OWNER)  # not in the club
    car(station, birthday=dt.date(1985, 3, 15), lifecycle=Lifecycle.CLUB, marketing_consent=False)
    assert run(reminders.birthday_greeting, local(dt.date(2027, 3, 15), 9) - MINUTE) == 0
    assert run(reminders.birthday_greeting, local(dt.date(2027, 3, 15), 9)) == 1
    assert run(reminders.birthday_greeting, local(dt.date(2027, 3, 15), 15)) == 0
    task = ContactTask.objects.get()
    assert task.kind == Kind.BIRTHDAY and task.customer == member and task.channel == Channel.SMS
    assert task.due_until == local(dt.date(2027, 3, 15), 20)
    assert run(reminders.birthday_greeting, local(dt.date(2027, 3, 16), 9)) == 0


def test_a_member_by_club_date_born_on_29_february_is_greeted_on_the_28th(station):
    car(station, birthday=dt.date(1988, 2, 29), lifecycle=Lifecycle.OWNER, club_since=dt.date(2025, 1, 1))
    assert run(reminders.birthday_greeting, local(dt.date(2027, 2, 28), 10)) == 1


# --- settled reminders and conversions -------------------------------------------------------


def test_a_booking_expires_the_open_reminder(station, advisor):
    vehicle = car(station, sale=dt.date(2026, 1, 31))
    rules.run_all(local(dt.date(2026, 4, 30), 9))
    booking(vehicle, advisor, local(dt.date(2026, 5, 2), 10))
    assert reminders.reminders_settled(local(dt.date(2026, 5, 2), 11)) == 1
    assert ContactTask.objects.get(kind=Kind.FIRST_MAINTENANCE).status == TaskStatus.EXPIRED


def test_a_reminder_links_the_first_booking_and_visit_within_the_window(station, advisor, clock):
    made = clock(local(dt.date(2026, 4, 30), 9))
    vehicle = car(station, sale=dt.date(2026, 1, 31))
    reminders.first_maintenance(made)
    booking(vehicle, advisor, made - dt.timedelta(days=1), status=AppointmentStatus.NO_SHOW)  # before: not it
    booked = booking(vehicle, advisor, made + dt.timedelta(days=10), status=AppointmentStatus.CONVERTED)
    booking(vehicle, advisor, made + dt.timedelta(days=12), status=AppointmentStatus.CONVERTED)  # not the first
    assert reminders.link_conversions(made + dt.timedelta(days=11)) == 1
    task = ContactTask.objects.get()
    assert task.led_to_appointment == booked and task.converted_at == booked.created_at
    assert task.led_to_repair_order is None
    opened = visit(vehicle, advisor, made + dt.timedelta(days=13))
    assert reminders.link_conversions(made + dt.timedelta(days=13, hours=1)) == 0  # converted already
    task.refresh_from_db()
    assert task.led_to_repair_order == opened and task.converted_at == booked.created_at


def test_a_booking_after_the_conversion_window_is_not_the_reminders_effect(station, advisor, clock):
    made = clock(local(dt.date(2026, 4, 30), 9))
    vehicle = car(station, sale=dt.date(2026, 1, 31))
    reminders.first_maintenance(made)
    booking(vehicle, advisor, made + dt.timedelta(days=31))
    assert reminders.link_conversions(made + dt.timedelta(days=29)) == 0
    station.conversion_window_days = 40
    station.save()
    assert reminders.link_conversions(made + dt.timedelta(days=32)) == 1


def test_a_customer_level_reminder_links_the_customers_booking(regular, advisor, clock):
    made = clock(local(dt.date(2026, 9, 10), 9))
    reminders.dormant_customer(made)
    other = car(regular.dealer, sale=dt.date(2024, 3, 1))
    other.owner = regular.owner
    other.save()
    booked = booking(other, advisor, made + dt.timedelta(days=2))
    assert reminders.link_conversions(made + dt.timedelta(days=3)) == 1
    assert ContactTask.objects.get(kind=Kind.DORMANT).led_to_appointment == booked


def test_the_callback_is_not_a_reminder_to_convert(station, advisor, clock):
    handed_over = clock(local(dt.date(2026, 5, 4), 17))
    vehicle = car(station)
    delivered(vehicle, advisor, handed_over)
    clock(handed_over + dt.timedelta(days=1))
    reminders.after_sales_callback(handed_over + dt.timedelta(days=1))
    booking(vehicle, advisor, handed_over + dt.timedelta(days=2))
    assert reminders.link_conversions(handed_over + dt.timedelta(days=3)) == 0


# --- a second sweep does nearly nothing -------------------------------------------------------------


def second_sweep_queries(now: dt.datetime) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert sum(rule(now) for rule in reminders.RULES) == 0
    assert not [q for q in queries.captured_queries if q["sql"].startswith("INSERT")], "a second sweep inserts"
    return len(queries.captured_queries)


def test_the_second_sweep_writes_nothing_in_as_many_queries_for_3_or_12_due_cars(station, advisor):
    now = local(dt.date(2026, 9, 16), 10)

    def due_cars(count: int) -> None:
        for _ in range(count):
            vehicle = car(station, sale=dt.date(2026, 6, 16), warranty_end=WARRANTY_END)
            read(vehicle, dt.date(2026, 6, 16), 10)
            read(vehicle, dt.date(2026, 8, 15), 6_010)  # 100 km a day: due 24 September
            visit(vehicle, advisor, local(dt.date(2026, 3, 16), 10), job_type=JobType.REPAIR)

    due_cars(3)
    # First maintenance, scheduled maintenance, the second warranty reminder (no first), dormant.
    assert sum(rule(now) for rule in reminders.RULES) == 3 * 4
    few = second_sweep_queries(now)
    due_cars(9)
    assert sum(rule(now) for rule in reminders.RULES) == 9 * 4
    assert second_sweep_queries(now) == few <= 35
