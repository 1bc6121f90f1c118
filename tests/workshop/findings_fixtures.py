"""Additional-work fixtures: an order in progress with its estimate agreed,
and catalogue entries to propose."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from reception.estimates import consent_record
from reception.models import ConsentMethod, ROStatus
from reception.services import repair_order_transition
from tests.factories import LabourOperationFactory, PartFactory
from workshop.findings import ProposedLine, finding_record
from workshop.jobs import jobs_sync
from workshop.models import Urgency


@pytest.fixture
def working_order(priced_order, advisor):
    """The priced order agreed (¥5 / 30 min tolerance), promised in four hours, in progress."""
    ro = priced_order
    ro.promised_at = timezone.now() + dt.timedelta(hours=4)
    ro.tolerance_amount, ro.tolerance_minutes = Decimal("5"), 30
    ro.save()
    consent_record(repair_order=ro, method=ConsentMethod.PRINTED, signed_by_name="王建国", by=advisor.user)
    jobs_sync(ro)
    repair_order_transition(repair_order=ro, to=ROStatus.IN_PROGRESS, by=advisor.user)
    ro.refresh_from_db()
    return ro


@pytest.fixture
def brake_operation(station):
    return LabourOperationFactory(dealer=station, code="B020", name="更换前刹车片", flat_rate_hours=Decimal("1.0"))


@pytest.fixture
def brake_pads(station):
    return PartFactory(
        dealer=station, number="8K0698151", name="前刹车片", unit_price=Decimal("420.00"), stock_on_hand=Decimal("5")
    )


@pytest.fixture
def wiper(station):
    return PartFactory(dealer=station, number="8K1955425", name="雨刮片", unit_price=Decimal("3.00"))


@pytest.fixture
def finding(working_order, technician, brake_operation, brake_pads):
    """Worn front brake pads: one labour line (1 h) and one part line, the RO now waiting for approval."""
    return finding_record(
        repair_order=working_order,
        description="前刹车片磨损至2毫米",
        urgency=Urgency.YELLOW,
        lines=[ProposedLine(operation=brake_operation), ProposedLine(part=brake_pads, quantity=Decimal(1))],
        by=technician.user,
    )
