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
    """Create the missing job of every consented labour line; returns the new ones.

    Two people opening the card at once (two dispatchers; a dispatcher and an
    approval) both found the line without its job, and the second insert broke
    the one-job-per-line key: a server error. Only when a job is missing, the
    order's row lock makes the second wait and find the job already made."""
    consented = consented_line_ids(repair_order)
    missing = EstimateLine.objects.filter(
        repair_order=repair_order, kind=LineKind.LABOUR, pk__in=consented, job__isnull=True
    )
    if not missing.exists():
        return []
    RepairOrder.objects.select_for_update().filter(pk=repair_order.pk).values_list("pk").first()
    lines = missing.select_related("operation").order_by("position", "pk")
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
