"""Repair orders on the workshop floor, built directly (bulk for the big board)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dealers.models import Dealer, JobType, LabourOperation, StaffMember
from reception.models import EstimateLine, LineKind, RepairOrder, ROStatus, WaitingMode
from reception.pricing import line_amount
from tests.factories import LabourOperationFactory, customers_with_vehicles_bulk
from workshop.models import Job, JobStatus


def floor_orders(
    station: Dealer,
    advisor: StaffMember,
    count: int,
    *,
    status: str = ROStatus.OPEN,
    jobs: tuple[tuple[str, str], ...] = ((JobStatus.WAITING, "1.5"),),
    promised_in: dt.timedelta | None = dt.timedelta(hours=6),
    job_type: str = JobType.REPAIR,
    technician: StaffMember | None = None,
    waiting: str = WaitingMode.LEAVES,
    operation: LabourOperation | None = None,
    now: dt.datetime | None = None,
) -> list[RepairOrder]:
    """`count` ROs in `status`, each with one labour line and job per
    (job status, flat-rate hours) in `jobs`, written with bulk_create."""
    now = now or timezone.now()
    operation = operation or LabourOperationFactory(dealer=station)
    customers = customers_with_vehicles_bulk(station, count)
    start = RepairOrder.objects.filter(dealer=station).count()
    orders = RepairOrder.objects.bulk_create(
        RepairOrder(
            dealer=station,
            number=f"R2026-{start + i + 1:05d}",
            customer=customer,
            vehicle=customer.vehicles.first(),
            advisor=advisor,
            job_type=job_type,
            status=status,
            waiting=waiting,
            promised_at=now + promised_in if promised_in is not None else None,
        )
        for i, customer in enumerate(customers)
    )
    lines = EstimateLine.objects.bulk_create(
        EstimateLine(
            repair_order=order,
            kind=LineKind.LABOUR,
            operation=operation,
            description=f"{operation.name} {n}",
            quantity=Decimal(hours),
            unit_price=Decimal("180"),
            amount=line_amount(Decimal(hours), Decimal("180"), Decimal("0")),
            position=n,
        )
        for order in orders
        for n, (_status, hours) in enumerate(jobs)
    )
    specs = [spec for _order in orders for spec in jobs]
    Job.objects.bulk_create(
        Job(
            dealer=station,
            repair_order=line.repair_order,
            estimate_line=line,
            status=job_status,
            flat_rate_hours=line.quantity,
            technician=technician if job_status != JobStatus.WAITING else None,
        )
        for line, (job_status, _hours) in zip(lines, specs, strict=True)
    )
    return orders
