"""Call rules (SPEC.md "Outbound contact rules"): calls only inside the
customer's preferred time and the station's call hours, outside its blocked
hours; an unreachable customer is tried three times within three to five
days at different times of day, then gets an SMS or a letter."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from customers.models import ContactChannel, ContactTime, OdometerReading, OdometerSource
from dealers.models import Role
from followup import calling
from followup.models import Channel, ContactAttempt, ContactTask, Kind, Outcome, TaskStatus
from followup.services import contact_attempt_record
from tests.factories import CustomerFactory, OdometerReadingFactory, VehicleFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 30)
SATURDAY = dt.date(2026, 12, 5)
_keys = itertools.count(1)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


def make_task(station, *, kind=Kind.DORMANT, customer=None, due_from=None, days=30, **fields) -> ContactTask:
    """An open phone task of `station` (a reminder unless told otherwise)."""
    customer = customer or CustomerFactory(dealer=station)
    vehicle = fields.pop("vehicle", None) or VehicleFactory(owner=customer, dealer=station)
    due_from = due_from or at(MONDAY, 9)
    fields.setdefault("role", Role.SPECIALIST)
    return ContactTask.objects.create(
        kind=kind,
        dealer=station,
        customer=customer,
        vehicle=vehicle,
        due_from=due_from,
        due_until=due_from + dt.timedelta(days=days),
        dedupe_key=f"test:{kind}:{next(_keys)}",
        **fields,
    )


def unreachable(task, by, now) -> ContactTask:
    contact_attempt_record(task=task, by=by, outcome=Outcome.UNREACHABLE, now=now)
    task.refresh_from_db()
    return task


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TZ)


def try_until_fallback(task, by, first: dt.datetime) -> list[dt.datetime]:
    """Call at `first`, then each time at the proposed next attempt, until the task falls back."""
    tried, now = [], first
    for _ in range(10):
        task = unreachable(task, by, now)
        tried.append(now)
        if task.next_attempt_at is None:
            return tried
        assert task.next_attempt_at > now
        now = task.next_attempt_at
    raise AssertionError("never fell back")


# --- proposing the next try ----------------------------------------------------------------


def test_any_time_customer_is_tried_three_times_within_three_to_five_days_at_different_parts_of_the_day(
    station, specialist
):
    task = make_task(station)
    tried = try_until_fallback(task, specialist.user, at(MONDAY, 10))
    assert [local(t) for t in tried] == [
        at(MONDAY, 10),
        at(MONDAY + dt.timedelta(2), 14),
        at(MONDAY + dt.timedelta(4), 18),
    ]
    assert {calling.part_of_day(local(t).time()) for t in tried} == {"morning", "afternoon", "evening"}
    span = tried[-1] - tried[0]
    assert dt.timedelta(days=3) <= span <= dt.timedelta(days=5)


def test_the_first_unreachable_proposes_the_next_try_two_days_later_in_another_part_of_the_day(station, specialist):
    task = unreachable(make_task(station), specialist.user, at(MONDAY, 15, 20))
    assert local(task.next_attempt_at) == at(MONDAY + dt.timedelta(2), 9)  # afternoon tried: a morning next
    assert task.status == TaskStatus.OPEN and task.channel == Channel.PHONE and task.fell_back_at is None


def test_a_morning_customer_is_only_called_in_the_morning_at_another_hour_each_time(station, specialist):
    customer = CustomerFactory(dealer=station, preferred_time=ContactTime.MORNING)
    tried = try_until_fallback(make_task(station, customer=customer), specialist.user, at(MONDAY, 9, 30))
    assert len(tried) == 3
    assert all(dt.time(9) <= local(t).time() < dt.time(12) for t in tried)
    assert len({local(t).hour for t in tried}) == 3
    assert dt.timedelta(days=3) <= tried[-1] - tried[0] <= dt.timedelta(days=5)


def test_an_afternoon_customer_is_called_within_the_stations_call_hours(station, specialist):
    station.calls_until = dt.time(16)
    station.save()
    customer = CustomerFactory(dealer=station, preferred_time=ContactTime.AFTERNOON)
    tried = try_until_fallback(make_task(station, customer=customer), specialist.user, at(MONDAY, 14, 5))
    assert all(dt.time(14) <= local(t).time() < dt.time(16) for t in tried)


def test_the_stations_blocked_hours_are_never_proposed(station, specialist):
    station.calls_blocked_from, station.calls_blocked_until = dt.time(18), dt.time(19)
    station.save()
    customer = CustomerFactory(dealer=station, preferred_time=ContactTime.EVENING)
    tried = try_until_fallback(make_task(station, customer=customer), specialist.user, at(MONDAY, 19, 10))
    assert len(tried) == 3
    assert all(dt.time(19) <= local(t).time() < dt.time(20) for t in tried[1:])


def test_a_weekend_customer_is_tried_on_the_weekend_only(station, specialist):
    customer = CustomerFactory(dealer=station, preferred_time=ContactTime.WEEKEND)
    tried = try_until_fallback(make_task(station, customer=customer), specialist.user, at(SATURDAY, 10))
    assert [local(t) for t in tried] == [
        at(SATURDAY, 10),
        at(SATURDAY + dt.timedelta(1), 14),
        at(SATURDAY + dt.timedelta(1), 18),
    ]


@pytest.mark.parametrize(
    ("preferred", "now", "expected"),
    [
        (ContactTime.ANY, at(MONDAY, 10, 15), at(MONDAY, 10, 15)),  # may be called now
        (ContactTime.ANY, at(MONDAY, 12, 30), at(MONDAY, 14)),  # the station's lunch break
        (ContactTime.ANY, at(MONDAY, 21), at(MONDAY + dt.timedelta(1), 9)),  # after call hours
        (ContactTime.MORNING, at(MONDAY, 15), at(MONDAY + dt.timedelta(1), 9)),
        (ContactTime.EVENING, at(MONDAY, 10), at(MONDAY, 18)),
        (ContactTime.WEEKEND, at(MONDAY, 10), at(SATURDAY, 9)),
    ],
)
def test_the_first_call_is_proposed_in_the_customers_time_as_the_clock_moves(station, preferred, now, expected):
    assert calling.first_call_time(station, preferred, now) == expected


def test_times_are_the_stations_local_time(station, specialist):
    station.time_zone = "Asia/Urumqi"  # two hours behind Beijing
    station.save()
    customer = CustomerFactory(dealer=station, preferred_time=ContactTime.MORNING)
    urumqi = ZoneInfo("Asia/Urumqi")
    now = dt.datetime.combine(MONDAY, dt.time(9, 30), tzinfo=urumqi)
    task = unreachable(make_task(station, customer=customer), specialist.user, now)
    assert task.next_attempt_at.astimezone(urumqi).time() == dt.time(10)
    assert not calling.can_call_at(station, ContactTime.MORNING, at(MONDAY, 10))  # 08:00 in Urumqi


# --- falling back --------------------------------------------------------------------------


def test_after_the_third_failed_call_the_task_falls_back_to_sms_and_stays_open(station, specialist):
    task = make_task(station)
    tried = try_until_fallback(task, specialist.user, at(MONDAY, 10))
    task.refresh_from_db()
    assert len(tried) == 3 == task.attempts.count()
    assert (task.channel, task.fell_back_at, task.next_attempt_at) == (Channel.SMS, tried[-1], None)
    assert task.status == TaskStatus.OPEN and task.outcome == ""


@pytest.mark.parametrize(
    ("fields", "channel"),
    [
        ({"preferred_channel": ContactChannel.LETTER}, Channel.LETTER),
        ({"phone": "010-62345678"}, Channel.LETTER),  # a landline cannot take an SMS
        ({"phone": "010-62345678", "phone2": "13912345678"}, Channel.SMS),
        ({"preferred_channel": ContactChannel.EMAIL}, Channel.SMS),
    ],
)
def test_the_fallback_is_a_letter_for_customers_who_prefer_letters_or_have_no_mobile(
    station, specialist, fields, channel
):
    task = make_task(station, customer=CustomerFactory(dealer=station, **fields))
    try_until_fallback(task, specialist.user, at(MONDAY, 10))
    task.refresh_from_db()
    assert task.channel == channel and task.status == TaskStatus.OPEN


def test_the_number_of_attempts_is_the_stations_setting(station, specialist):
    station.call_attempts = 2
    station.save()
    assert len(try_until_fallback(make_task(station), specialist.user, at(MONDAY, 10))) == 2


def test_a_task_that_lapses_before_the_next_call_time_falls_back_at_once(station, specialist):
    task = make_task(station, due_from=at(MONDAY, 9), days=0)
    ContactTask.objects.filter(pk=task.pk).update(due_until=at(MONDAY, 10, 30))
    task = unreachable(task, specialist.user, at(MONDAY, 10))
    assert task.channel == Channel.SMS and task.fell_back_at == at(MONDAY, 10)


def test_after_the_fallback_no_more_calls_are_recorded_and_the_messaging_step_closes_it_as_sent(station, specialist):
    task = make_task(station)
    try_until_fallback(task, specialist.user, at(MONDAY, 10))
    with translation.override("en"), pytest.raises(ValidationError, match="contacted by “SMS” instead"):
        contact_attempt_record(task=task, by=specialist.user, outcome=Outcome.UNREACHABLE, now=at(MONDAY, 20))
    assert task.attempts.count() == 3
    contact_attempt_record(task=task, by=specialist.user, outcome=Outcome.SENT, now=at(MONDAY + dt.timedelta(5), 9))
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.DONE, Outcome.SENT)
    assert task.attempts.last().channel == Channel.SMS


def test_sent_is_not_an_outcome_of_a_phone_call(station, specialist):
    with pytest.raises(ValidationError):
        contact_attempt_record(task=make_task(station), by=specialist.user, outcome=Outcome.SENT, now=at(MONDAY, 10))


# --- other outcomes ------------------------------------------------------------------------


def test_a_wrong_number_closes_the_task(station, specialist):
    task = unreachable(make_task(station), specialist.user, at(MONDAY, 10))
    contact_attempt_record(
        task=task, by=specialist.user, outcome=Outcome.WRONG_NUMBER, now=at(MONDAY + dt.timedelta(2), 14)
    )
    task.refresh_from_db()
    assert (task.status, task.outcome, task.next_attempt_at) == (TaskStatus.DONE, Outcome.WRONG_NUMBER, None)
    assert task.channel == Channel.PHONE and task.fell_back_at is None


def test_has_left_us_requires_the_reason_and_keeps_it(station, specialist):
    task = make_task(station, kind=Kind.LOST)
    with translation.override("en"), pytest.raises(ValidationError, match="why the customer has left"):
        contact_attempt_record(task=task, by=specialist.user, outcome=Outcome.LEFT, reason="  ", now=at(MONDAY, 10))
    assert not ContactAttempt.objects.exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    contact_attempt_record(task=task, by=specialist.user, outcome=Outcome.LEFT, reason="搬去外地了", now=at(MONDAY, 10))
    task.refresh_from_db()
    assert (task.status, task.outcome, task.reason) == (TaskStatus.DONE, Outcome.LEFT, "搬去外地了")


def test_the_odometer_the_customer_gives_on_a_call_is_recorded(station, specialist):
    now = timezone.now()
    task = make_task(station, due_from=now - dt.timedelta(hours=1))
    OdometerReadingFactory(vehicle=task.vehicle, km=20_000, read_on=now.date() - dt.timedelta(days=90))
    contact_attempt_record(task=task, by=specialist.user, outcome=Outcome.BOOKED, odometer_km=23_456, now=now)
    reading = OdometerReading.objects.filter(vehicle=task.vehicle).order_by("-read_on", "-pk").first()
    assert (reading.km, reading.source, reading.read_on) == (23_456, OdometerSource.CONTACT, local(now).date())
    assert reading.recorded_by == specialist.user


def test_a_lower_odometer_or_one_without_anybody_reached_writes_nothing(station, specialist):
    now = timezone.now()
    task = make_task(station, due_from=now - dt.timedelta(hours=1))
    OdometerReadingFactory(vehicle=task.vehicle, km=20_000, read_on=now.date() - dt.timedelta(days=90))
    for outcome, km in ((Outcome.BOOKED, 15_000), (Outcome.UNREACHABLE, 25_000)):
        with pytest.raises(ValidationError):
            contact_attempt_record(task=task, by=specialist.user, outcome=outcome, odometer_km=km, now=now)
    assert OdometerReading.objects.filter(vehicle=task.vehicle).count() == 1
    assert not ContactAttempt.objects.exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
