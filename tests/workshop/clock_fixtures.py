"""Repair orders in the workshop with jobs assigned to a technician, built
through reception's real consent so the jobs, the consent and the parts issue
notice are what production makes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from dealers.models import JobType
from reception.estimates import consent_record
from reception.models import ConsentMethod, InquirySheet, LineKind, RepairOrder, WalkAround
from reception.services import next_repair_order_number
from tests.factories import LabourOperationFactory, PartFactory, VehicleFactory
from tests.reception.conftest import add_line
from workshop.jobs import jobs_sync
from workshop.models import Job, JobStatus


def order_in_workshop(station, advisor, *, labour: int = 1, symptom: str = "冷车启动有异响") -> RepairOrder:
    """An open RO (estimate agreed) with `labour` labour lines and one part line, and its jobs."""
    vehicle = VehicleFactory(owner__dealer=station)
    ro = RepairOrder.objects.create(
        dealer=station,
        number=next_repair_order_number(station, timezone.now()),
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.REPAIR,
    )
    for n in range(labour):
        operation = LabourOperationFactory(dealer=station, flat_rate_hours=Decimal("1.5"))
        add_line(
            ro, LineKind.LABOUR, quantity="1.5", unit_price="180", operation=operation, description=f"检查发动机{n}"
        )
    part = PartFactory(dealer=station, name="机油滤清器", stock_on_hand=Decimal("50"))
    add_line(
        ro, LineKind.PART, quantity="1", unit_price="50", part=part, description=part.name, part_number=part.number
    )
    InquirySheet.objects.create(repair_order=ro, symptom=symptom)
    WalkAround.objects.create(repair_order=ro, notes="左前门有划痕")
    consent_record(repair_order=ro, method=ConsentMethod.PRINTED, signed_by_name="王建国", by=advisor.user)
    jobs_sync(ro)
    ro.refresh_from_db()
    return ro


def assign(job: Job, technician) -> Job:
    Job.objects.filter(pk=job.pk).update(technician=technician, status=JobStatus.ASSIGNED, assigned_at=timezone.now())
    job.refresh_from_db()
    return job


def assigned_jobs(station, advisor, technician, *, labour: int = 1) -> list[Job]:
    ro = order_in_workshop(station, advisor, labour=labour)
    return [assign(job, technician) for job in ro.jobs.order_by("pk")]


@pytest.fixture
def job(station, advisor, technician) -> Job:
    """One job of an open RO, assigned to `technician`."""
    [job] = assigned_jobs(station, advisor, technician)
    return job
