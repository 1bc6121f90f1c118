"""Appointments expected today, with lines and a preparation, for the arrival
queue and for opening repair orders from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from appointments.models import Appointment, AppointmentLine, Preparation, Status
from dealers.models import JobType, PackagePart
from reception.models import RepairOrder, RepairOrderEvent, ROStatus
from reception.services import next_repair_order_number
from tests.factories import LabourOperationFactory, PartFactory, ServicePackageFactory, VehicleFactory

_numbers = count(1)


def make_appointment(station, advisor, *, vehicle=None, arrives_at=None, request="发动机冷车启动困难", **extra):
    vehicle = vehicle or VehicleFactory(owner__dealer=station)
    # Noon today at the station: expected today whatever the hour of the run.
    arrives_at = arrives_at or timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return Appointment.objects.create(
        dealer=station,
        number=f"A{next(_numbers):06d}",
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=extra.pop("job_type", JobType.REPAIR),
        arrives_at=arrives_at,
        hours=Decimal("2"),
        ready_at=arrives_at + dt.timedelta(hours=3),
        request=request,
        status=extra.pop("status", Status.CONFIRMED),
        **extra,
    )


@pytest.fixture
def booked(station, advisor):
    """An appointment expected today at noon with one operation and one package
    (two operations, two parts: one in stock, one to order) and a
    preparation whose work order draft words the symptom."""
    station.labour_rate = Decimal("200.00")
    station.save()
    vehicle = VehicleFactory(owner__dealer=station, owner__name="李娜", plate="京B54321")
    appointment = make_appointment(station, advisor, vehicle=vehicle)
    diagnose = LabourOperationFactory(
        dealer=station, code="D100", name="发动机故障诊断", flat_rate_hours=Decimal("1.2")
    )
    oil = LabourOperationFactory(dealer=station, code="M010", name="更换机油机滤", flat_rate_hours=Decimal("0.5"))
    check = LabourOperationFactory(dealer=station, code="M020", name="常规检查", flat_rate_hours=Decimal("0.3"))
    package = ServicePackageFactory(dealer=station, name="10000公里保养")
    package.operations.set([oil, check])
    oil_part = PartFactory(dealer=station, number="06L115562", name="机油 5W-30", unit_price=Decimal("65.50"))
    filter_part = PartFactory(
        dealer=station, number="06L115466", name="机油滤清器", unit_price=Decimal("48.00"), stock_on_hand=0
    )
    PackagePart.objects.create(package=package, part=oil_part, quantity=Decimal("4"))
    PackagePart.objects.create(package=package, part=filter_part, quantity=Decimal("1"))
    AppointmentLine.objects.create(
        appointment=appointment, operation=diagnose, description=diagnose.name, hours=1, labour_price=200
    )
    AppointmentLine.objects.create(
        appointment=appointment, package=package, description=package.name, hours=1, labour_price=160
    )
    Preparation.objects.create(
        appointment=appointment,
        dealer=station,
        draft_request="冷车启动时发动机抖动，故障灯偶尔亮",
        ready_at=timezone.now(),
    )
    return appointment


def delivered_order(station, advisor, vehicle, *, delivered_at, number=None):
    """A delivered RO of `vehicle`, with its delivery in the event log."""
    ro = RepairOrder.objects.create(
        dealer=station,
        number=number or next_repair_order_number(station, delivered_at),
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.REPAIR,
        status=ROStatus.DELIVERED,
    )
    RepairOrderEvent.objects.create(
        repair_order=ro, from_status=ROStatus.READY, to_status=ROStatus.DELIVERED, at=delivered_at
    )
    return ro
