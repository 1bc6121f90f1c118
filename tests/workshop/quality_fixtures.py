"""An order whose jobs are all done: ready for the quality check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from reception.models import ConsentMethod, ConsentRecord, LineKind, ROStatus
from reception.services import repair_order_transition
from tests.reception import conftest as reception_fixtures
from workshop.jobs import jobs_sync
from workshop.models import Job, JobStatus


def consent_all(order, advisor) -> ConsentRecord:
    return ConsentRecord.objects.create(
        repair_order=order,
        method=ConsentMethod.PRINTED,
        agreed={"lines": [{"id": pk} for pk in order.lines.values_list("pk", flat=True)]},
        total=Decimal("1"),
        recorded_by=advisor.user,
        recorded_at=timezone.now(),
    )


def add_labour(order, description: str, hours: str = "1") -> None:
    reception_fixtures.add_line(order, LineKind.LABOUR, quantity=hours, unit_price="180", description=description)


def work_done(order, advisor, technician, *, extra_jobs: int = 1):
    """The order consented, in progress, every job finished by `technician`."""
    for n in range(extra_jobs):
        add_labour(order, f"检查制动系统 {n + 1}")
    consent_all(order, advisor)
    repair_order_transition(repair_order=order, to=ROStatus.OPEN, by=advisor.user)
    repair_order_transition(repair_order=order, to=ROStatus.IN_PROGRESS, by=advisor.user)
    jobs_sync(order)
    finish_jobs(order, technician)
    order.refresh_from_db()
    return order


def finish_jobs(order, technician) -> None:
    Job.objects.filter(repair_order=order).exclude(status=JobStatus.DONE).update(
        status=JobStatus.DONE, technician=technician, finished_at=timezone.now()
    )


@pytest.fixture
def worked_order(priced_order, advisor, technician):
    return work_done(priced_order, advisor, technician)
