import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dealers.models import BayType, JobType, RosterEntry
from tests.appointments.public_fixtures import known_car, open_workshop  # noqa: F401  (online self-booking)
from tests.factories import BayFactory, LabourOperationFactory, StaffFactory, VehicleFactory

TZ = ZoneInfo("Asia/Shanghai")
# A Monday in the future of the frozen "now" used by these tests.
MONDAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)  # the Friday before


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


@pytest.fixture
def workshop(station):
    """One general and one quick bay; two technicians (grade 2) on duty all week
    08:30–18:00 without break; productive share 100 %: 19 h a day."""
    station.productive_share = Decimal("1.00")
    station.save()
    BayFactory(dealer=station, bay_type=BayType.GENERAL)
    BayFactory(dealer=station, bay_type=BayType.QUICK)
    for _ in range(2):
        tech = StaffFactory(skill_grade=2, dealers=[station])
        for offset in range(-3, 14):
            RosterEntry.objects.create(
                dealer=station,
                technician=tech,
                date=MONDAY + dt.timedelta(days=offset),
                starts=dt.time(8, 30),
                ends=dt.time(18, 0),
                break_minutes=0,
            )
    return station


@pytest.fixture
def oil_change(station):
    return LabourOperationFactory(
        dealer=station, code="M001", name="更换机油机滤", job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("2.00")
    )


@pytest.fixture
def car(station):
    return VehicleFactory(owner__dealer=station, owner__name="张伟")
