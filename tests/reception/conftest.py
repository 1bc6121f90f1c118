"""Reception fixtures: a draft repair order with a labour and a part line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from dealers.models import JobType
from reception.models import EstimateLine, LineKind, RepairOrder
from reception.pricing import line_amount
from reception.services import next_repair_order_number
from tests.factories import LabourOperationFactory, PartFactory, VehicleFactory


@pytest.fixture
def ro_vehicle(station):
    return VehicleFactory(owner__dealer=station, owner__name="王建国", plate="京A12345")


@pytest.fixture
def repair_order(station, advisor, ro_vehicle):
    """A draft RO at `station`, no lines yet."""
    return RepairOrder.objects.create(
        dealer=station,
        number=next_repair_order_number(station, timezone.now()),
        customer=ro_vehicle.owner,
        vehicle=ro_vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        purpose="10000公里保养",
    )


def add_line(repair_order, kind: str, *, quantity: str, unit_price: str, discount: str = "0", **extra) -> EstimateLine:
    q, p, d = Decimal(quantity), Decimal(unit_price), Decimal(discount)
    return EstimateLine.objects.create(
        repair_order=repair_order,
        kind=kind,
        quantity=q,
        unit_price=p,
        discount_percent=d,
        amount=line_amount(q, p, d),
        **extra,
    )


@pytest.fixture
def priced_order(repair_order, station):
    """The draft RO with one labour line (1.5 h × ¥180) and one part (4 L oil × ¥65.50)."""
    operation = LabourOperationFactory(dealer=station, code="M010", name="更换机油机滤", flat_rate_hours=Decimal("1.5"))
    oil = PartFactory(dealer=station, number="06L115562", name="机油 5W-30", unit_price=Decimal("65.50"))
    add_line(
        repair_order, LineKind.LABOUR, quantity="1.5", unit_price="180", operation=operation, description=operation.name
    )
    add_line(
        repair_order,
        LineKind.PART,
        quantity="4",
        unit_price="65.50",
        part=oil,
        description=oil.name,
        part_number=oil.number,
    )
    return repair_order
