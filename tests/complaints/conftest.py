"""Complaint fixtures: a call-center agent serving both stations from one
staff record, the station's handler and manager, a car with its repair
history, and a clock moved by passing `now`."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from complaints import services
from complaints.models import Subject
from dealers.models import JobType, Role
from reception.models import EstimateLine, InquirySheet, LineKind, RepairOrder, ROStatus
from tests.factories import LabourOperationFactory, StaffFactory, VehicleFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Complaints of the tests come in on Monday 2 March 2026 at 09:00, Beijing time.
RECEIVED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

_numbers = itertools.count(1)


@pytest.fixture
def agent(station):
    """A call-center agent. Their staff record names one station; the role
    serves every station of the group."""
    return StaffFactory(user__username="agent", display_name="吴婷", roles=[Role.CALL_CENTER], dealers=[station])


@pytest.fixture
def handler(advisor):
    """The station's advisor: handles the tickets dispatched to the station."""
    return advisor


@pytest.fixture
def group_manager(station, other_station):
    return StaffFactory(
        user__username="group", display_name="高明远", roles=[Role.SERVICE_MANAGER], dealers=[station, other_station]
    )


@pytest.fixture
def car(station):
    return VehicleFactory(owner__dealer=station, owner__name="王建国", owner__phone="13911112222", plate="京A12345")


@pytest.fixture
def brake_job(station):
    return LabourOperationFactory(dealer=station, code="B100", name="更换前刹车片", flat_rate_hours=Decimal("1.2"))


def repair_order(station, vehicle, advisor, *, operation=None, symptom="", status=ROStatus.CLOSED, days_ago=30):
    """A repair order of the vehicle's history, with one labour line and its inquiry sheet."""
    order = RepairOrder.objects.create(
        dealer=station,
        number=f"T{next(_numbers):06d}",
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.REPAIR,
        purpose="维修",
        status=status,
    )
    RepairOrder.objects.filter(pk=order.pk).update(created_at=RECEIVED - dt.timedelta(days=days_ago))
    order.refresh_from_db()
    if operation is not None:
        EstimateLine.objects.create(
            repair_order=order,
            kind=LineKind.LABOUR,
            operation=operation,
            description=operation.name,
            quantity=Decimal("1"),
            unit_price=Decimal("180"),
            amount=Decimal("180"),
        )
    if symptom:
        InquirySheet.objects.create(repair_order=order, symptom=symptom)
    return order


def open_complaint(station, by, vehicle=None, *, now=RECEIVED, **fields):
    """A repair-quality complaint; by default the customer has been to the station (one RO)."""
    values = {
        "subject": Subject.REPAIR_QUALITY,
        "level": 1,
        "words": "刹车还是有异响,上个月刚修过。",
        "expected_outcome": "免费重新检修",
        "customer": vehicle.owner if vehicle else None,
        "vehicle": vehicle,
    }
    values.update(fields)
    if vehicle is None and "caller_name" not in values:
        values["caller_name"] = "匿名来电"
    return services.complaint_open(station=station, by=by, now=now, **values)


@pytest.fixture
def visit(station, car, handler, brake_job):
    return repair_order(station, car, handler, operation=brake_job, symptom="刹车异响")


@pytest.fixture
def ticket(station, agent, car, visit):
    """A level 1 repair-quality complaint dispatched to the station on Monday 09:00."""
    return open_complaint(station, agent.user, car, related_orders=[visit])
