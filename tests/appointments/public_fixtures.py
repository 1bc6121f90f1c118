"""Shared set-up of the online self-booking tests: a workshop staffed around
the real today (the public pages read the real clock), a customer and the
spam guard's timing relaxed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from appointments.public_forms import make_stamp
from dealers.models import BayType, RosterEntry
from tests.factories import BayFactory, StaffFactory, VehicleFactory

TZ = ZoneInfo("Asia/Shanghai")
PHONE = "13912345678"


def next_open_day(after: int = 1) -> dt.date:
    """The first Monday–Saturday at least `after` days from today."""
    day = timezone.localdate() + dt.timedelta(days=after)
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(TZ).isoformat()


def old_stamp() -> str:
    """A form shown a minute ago: neither too fast nor too old."""
    return make_stamp(timezone.now().timestamp() - 60)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def staff_the_workshop(station) -> None:
    """One general and one quick bay, two grade-2 technicians on duty for the
    next 20 days 08:30–18:00, productive share 100 %: two jobs fit at once."""
    station.productive_share = Decimal("1.00")
    station.save()
    BayFactory(dealer=station, bay_type=BayType.GENERAL)
    BayFactory(dealer=station, bay_type=BayType.QUICK)
    today = timezone.localdate()
    for _ in range(2):
        tech = StaffFactory(skill_grade=2, dealers=[station])
        RosterEntry.objects.bulk_create(
            RosterEntry(
                dealer=station,
                technician=tech,
                date=today + dt.timedelta(days=offset),
                starts=dt.time(8, 30),
                ends=dt.time(18, 0),
                break_minutes=0,
            )
            for offset in range(20)
        )


@pytest.fixture
def open_workshop(station, advisor):
    staff_the_workshop(station)
    return station


@pytest.fixture
def known_car(station):
    return VehicleFactory(owner__dealer=station, owner__name="张伟", owner__phone=PHONE, plate="京A12345")
