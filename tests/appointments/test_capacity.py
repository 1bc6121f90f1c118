"""Capacity arithmetic: roster × productive share, bounded by bays of the job's
type and by opening hours; jobs walk along the station's calendar."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from appointments.capacity import Job, Refused, load_calendar, propose
from dealers.models import BayType, Holiday, JobType, RosterEntry
from tests.factories import BayFactory, StaffFactory

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 30)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


@pytest.fixture
def workshop(station):
    """Two general bays, one quick bay, two technicians (grades 2 and 4) on
    duty 08:30–18:00 with no break: 9.5 h each."""
    station.productive_share = Decimal("1.00")
    station.save()
    BayFactory(dealer=station, bay_type=BayType.GENERAL)
    BayFactory(dealer=station, bay_type=BayType.GENERAL)
    BayFactory(dealer=station, bay_type=BayType.QUICK)
    techs = [StaffFactory(skill_grade=g, dealers=[station]) for g in (2, 4)]
    for tech in techs:
        RosterEntry.objects.create(
            dealer=station, technician=tech, date=MONDAY, starts=dt.time(8, 30), ends=dt.time(18, 0), break_minutes=0
        )
    return station


def test_day_capacity_is_technicians_on_duty_times_productive_share(workshop):
    workshop.productive_share = Decimal("0.85")
    workshop.save()
    day = load_calendar(workshop, MONDAY, MONDAY).days()
    monday = next(d for d in day if d.day == MONDAY)
    assert monday.capacity_hours == pytest.approx(2 * 9.5 * 0.85)


def test_breaks_reduce_capacity(workshop):
    RosterEntry.objects.filter(dealer=workshop).update(break_minutes=60)
    monday = next(d for d in load_calendar(workshop, MONDAY, MONDAY).days() if d.day == MONDAY)
    assert monday.capacity_hours == pytest.approx(2 * 8.5)


def test_no_capacity_without_roster_and_no_slots_on_closed_days_and_holidays(workshop):
    sunday = MONDAY - dt.timedelta(days=1)  # the station factory opens Monday to Saturday
    Holiday.objects.create(dealer=workshop, date=MONDAY + dt.timedelta(days=1), name="节日")
    calendar = load_calendar(workshop, sunday, MONDAY + dt.timedelta(days=2))
    assert calendar.slots_on(sunday) == []
    assert calendar.slots_on(MONDAY + dt.timedelta(days=1)) == []
    wednesday = MONDAY + dt.timedelta(days=2)
    assert calendar.slots_on(wednesday) and all(s.capacity_minutes == 0 for s in calendar.slots_on(wednesday))
    with pytest.raises(Refused) as refused:
        calendar.check(at(sunday, 9), Job.of(JobType.REPAIR, 1))
    assert refused.value.reason == "closed"


def test_a_job_fits_until_technicians_are_used_up(workshop):
    calendar = load_calendar(workshop, MONDAY, MONDAY)
    job = Job.of(JobType.MAINTENANCE, 2)
    assert calendar.check(at(MONDAY, 9), job) == at(MONDAY, 11)
    calendar.book(at(MONDAY, 9), job)
    calendar.book(at(MONDAY, 9), job)
    with pytest.raises(Refused) as refused:
        calendar.check(at(MONDAY, 9), job)  # two technicians, both busy 9–11
    assert refused.value.reason == "full"
    assert calendar.check(at(MONDAY, 11), job) == at(MONDAY, 13)


def test_bays_of_the_needed_type_bound_capacity(workshop):
    # Three more technicians: now bays are the limit for general repair (2 bays).
    for _ in range(3):
        tech = StaffFactory(skill_grade=2, dealers=[workshop])
        RosterEntry.objects.create(
            dealer=workshop, technician=tech, date=MONDAY, starts=dt.time(8, 30), ends=dt.time(18, 0), break_minutes=0
        )
    calendar = load_calendar(workshop, MONDAY, MONDAY)
    repair = Job.of(JobType.REPAIR, 1)
    calendar.book(at(MONDAY, 9), repair)
    calendar.book(at(MONDAY, 9), repair)
    with pytest.raises(Refused):
        calendar.check(at(MONDAY, 9), repair)
    # Maintenance may still use the quick bay.
    calendar.check(at(MONDAY, 9), Job.of(JobType.MAINTENANCE, 1))


def test_a_station_without_the_needed_bay_type_refuses_the_job(workshop):
    calendar = load_calendar(workshop, MONDAY, MONDAY)
    with pytest.raises(Refused) as refused:
        calendar.check(at(MONDAY, 9), Job.of(JobType.BODY_PAINT, 1))
    assert refused.value.reason == "no_bay"


def test_a_job_needing_a_higher_grade_uses_only_qualified_technicians(workshop):
    calendar = load_calendar(workshop, MONDAY, MONDAY)
    hard = Job.of(JobType.REPAIR, 1, grade=3)
    calendar.book(at(MONDAY, 9), hard)  # takes the grade-4 technician
    with pytest.raises(Refused):
        calendar.check(at(MONDAY, 9), hard)
    calendar.check(at(MONDAY, 9), Job.of(JobType.REPAIR, 1, grade=2))  # the grade-2 one is free


def test_a_job_that_does_not_finish_by_closing_continues_the_next_opening_day(workshop):
    tuesday = MONDAY + dt.timedelta(days=1)
    for tech in {e.technician for e in RosterEntry.objects.filter(dealer=workshop)}:
        RosterEntry.objects.create(
            dealer=workshop, technician=tech, date=tuesday, starts=dt.time(8, 30), ends=dt.time(18, 0), break_minutes=0
        )
    calendar = load_calendar(workshop, MONDAY, tuesday)
    assert calendar.check(at(MONDAY, 17), Job.of(JobType.REPAIR, 2)) == at(tuesday, 9, 30)


def test_more_hours_than_a_day_holds_are_refused(workshop):
    with pytest.raises(Refused) as refused:
        load_calendar(workshop, MONDAY, MONDAY).check(at(MONDAY, 8, 30), Job.of(JobType.REPAIR, 10))
    assert refused.value.reason == "too_long"


def test_proposals_put_the_least_loaded_day_first(workshop):
    tuesday = MONDAY + dt.timedelta(days=1)
    for tech in {e.technician for e in RosterEntry.objects.filter(dealer=workshop)}:
        RosterEntry.objects.create(
            dealer=workshop, technician=tech, date=tuesday, starts=dt.time(8, 30), ends=dt.time(18, 0), break_minutes=0
        )
    calendar = load_calendar(workshop, MONDAY, tuesday)
    calendar.book(at(MONDAY, 9), Job.of(JobType.REPAIR, 4))
    job = Job.of(JobType.MAINTENANCE, 1)
    proposals = propose(calendar, job, now=at(MONDAY, 7), first_day=MONDAY, days=2)
    assert proposals[0].arrives_at.date() == tuesday
    wished = propose(
        calendar, job, now=at(MONDAY, 7), first_day=MONDAY, days=2, wished_day=MONDAY, part_of_day="afternoon"
    )
    assert wished[0].arrives_at.date() == MONDAY and wished[0].arrives_at.hour >= 12 and wished[0].matches_wish


def test_a_lone_technician_at_85_percent_takes_jobs_until_the_days_productive_hours_are_used(station):
    """The slot needs a technician on duty; the day holds 9.5 h × 85 % = 8.075 h of work."""
    station.productive_share = Decimal("0.85")
    station.save()
    BayFactory(dealer=station, bay_type=BayType.QUICK)
    tech = StaffFactory(skill_grade=2, dealers=[station])
    RosterEntry.objects.create(
        dealer=station, technician=tech, date=MONDAY, starts=dt.time(8, 30), ends=dt.time(18, 0), break_minutes=0
    )
    calendar = load_calendar(station, MONDAY, MONDAY)
    job = Job.of(JobType.MAINTENANCE, Decimal("2"))
    assert calendar.check(at(MONDAY, 9), job) == at(MONDAY, 11)
    calendar.book(at(MONDAY, 9), job)
    with pytest.raises(Refused):
        calendar.check(at(MONDAY, 10), job)  # the one technician is busy until 11:00
    for hour in (11, 13, 15):
        calendar.book(at(MONDAY, hour), job)  # 8 h booked of 8.075
    assert calendar.slots_on(MONDAY)[-1].booked_minutes == 0  # 17:30 is free on the clock...
    with pytest.raises(Refused) as refused:
        calendar.check(at(MONDAY, 17), Job.of(JobType.MAINTENANCE, Decimal("0.5")))
    assert refused.value.reason == "full"  # ...but the day's productive hours are used up
    assert calendar.check(at(MONDAY, 17, 30), Job.of(JobType.MAINTENANCE, Decimal("0.05"))) == at(MONDAY, 17, 33)


def test_two_technicians_at_85_percent_work_two_jobs_side_by_side(workshop):
    workshop.productive_share = Decimal("0.85")
    workshop.save()
    calendar = load_calendar(workshop, MONDAY, MONDAY)
    job = Job.of(JobType.MAINTENANCE, Decimal("1"))
    calendar.book(at(MONDAY, 9), job)
    assert calendar.check(at(MONDAY, 9), job) == at(MONDAY, 10)
    calendar.book(at(MONDAY, 9), job)
    with pytest.raises(Refused):
        calendar.check(at(MONDAY, 9), job)


def test_a_booking_that_runs_past_the_loaded_range_counts_its_part_inside(workshop):
    """Loading one day pulls in arrivals up to three days later; a long job
    arriving late on the last of them runs past the range and must not break
    the calendar (it did: every page showing proposals failed)."""
    last = MONDAY + dt.timedelta(days=3)
    RosterEntry.objects.create(
        dealer=workshop,
        technician=RosterEntry.objects.filter(dealer=workshop).first().technician,
        date=last,
        starts=dt.time(8, 30),
        ends=dt.time(18, 0),
        break_minutes=0,
    )
    calendar = load_calendar(workshop, MONDAY, MONDAY)
    job = Job.of(JobType.REPAIR, 6)
    calendar.book(at(last, 17), job)  # 1 h on Thursday, the rest beyond the range
    thursday = next(d for d in calendar.days() if d.day == last)
    assert thursday.booked_hours == pytest.approx(1.0)
    assert calendar.check(at(MONDAY, 9), Job.of(JobType.REPAIR, 1)) == at(MONDAY, 10)
