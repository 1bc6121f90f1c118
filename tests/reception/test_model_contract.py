"""The repair order's guards that live in the database and the model."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments.services import TransitionError
from reception.models import ConsentMethod, ConsentRecord, RepairOrder, ROStatus
from reception.pricing import totals
from reception.services import next_repair_order_number, repair_order_transition

pytestmark = pytest.mark.django_db


def test_numbers_run_per_station_and_year(repair_order, station):
    year = timezone.localtime().year
    assert repair_order.number == f"R{year}-00001"
    assert next_repair_order_number(station, timezone.now()) == f"R{year}-00002"


def test_a_vehicle_has_at_most_one_open_repair_order(repair_order, station, advisor):
    with pytest.raises(IntegrityError), transaction.atomic():
        RepairOrder.objects.create(
            dealer=station,
            number="R2026-09999",
            customer=repair_order.customer,
            vehicle=repair_order.vehicle,
            advisor=advisor,
            job_type=repair_order.job_type,
        )


def test_no_repair_order_leaves_draft_without_consent(priced_order, advisor):
    with pytest.raises(ValidationError, match=r"consent|同意"):
        repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN, by=advisor.user)
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.DRAFT and not priced_order.events.exists()

    ConsentRecord.objects.create(
        repair_order=priced_order,
        method=ConsentMethod.PRINTED,
        agreed={"lines": []},
        total=Decimal("565.03"),
        recorded_by=advisor.user,
        recorded_at=timezone.now(),
    )
    repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN, by=advisor.user)
    assert priced_order.events.get().to_status == ROStatus.OPEN


def test_transitions_follow_the_table(repair_order):
    with pytest.raises(TransitionError):
        repair_order_transition(repair_order=repair_order, to=ROStatus.DELIVERED)


def test_a_consent_record_never_changes(priced_order, advisor):
    consent = ConsentRecord.objects.create(
        repair_order=priced_order,
        method=ConsentMethod.PRINTED,
        agreed={},
        total=Decimal("1"),
        recorded_by=advisor.user,
        recorded_at=timezone.now(),
    )
    consent.total = Decimal("2")
    with pytest.raises(ValueError):
        consent.save()
    with pytest.raises(ValueError):
        consent.delete()


def test_totals_add_up_the_rounded_lines(priced_order, station):
    result = totals(priced_order.lines.all(), Decimal("0.13"))
    assert result.labour == Decimal("270.00")
    assert result.parts == Decimal("262.00")
    assert result.vat == Decimal("35.10") + Decimal("34.06")
    assert result.total == Decimal("601.16")
    assert result.hours == Decimal("1.5")
