"""Jobs from consented labour lines, and the consent guard on starting work.

A labour line becomes a job once a consent record covers it (its id is in
some ConsentRecord.agreed["lines"] of the RO). Only such lines may be started
or invoiced: `consented_line_ids` is the one place that decides.
"""

from __future__ import annotations

from django.db import transaction

from reception.estimates import consented_line_ids
from reception.models import EstimateLine, LineKind, RepairOrder
from workshop.models import Job


def line_is_consented(line: EstimateLine) -> bool:
    return line.pk in consented_line_ids(line.repair_order)


@transaction.atomic
def jobs_sync(repair_order: RepairOrder) -> list[Job]:
    """Create the missing job of every consented labour line; returns the new ones."""
    consented = consented_line_ids(repair_order)
    lines = (
        EstimateLine.objects.filter(repair_order=repair_order, kind=LineKind.LABOUR, pk__in=consented, job__isnull=True)
        .select_related("operation")
        .order_by("position", "pk")
    )
    jobs = [
        Job(
            dealer_id=repair_order.dealer_id,
            repair_order=repair_order,
            estimate_line=line,
            flat_rate_hours=line.quantity,
            required_grade=line.operation.required_skill_grade if line.operation else 1,
        )
        for line in lines
    ]
    return Job.objects.bulk_create(jobs)
