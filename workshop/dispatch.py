"""Dispatch (派工): each job of a repair order to a technician and a bay, and
moving an order between workshop states from the board.

Suggested technicians for a job: on the station's duty roster today, skill
grade at least the job's required grade, least remaining load first. The
remaining load is the sum of the flat-rate hours of every unfinished job
(waiting for the clock, in progress or paused) assigned to them at the
station — the work they still have in hand, not reduced by time already
clocked on a job in progress.

Two dispatchers acting on the same job: the form carries the job's
`version`; the assignment is an update conditional on that version, so the
second one is refused as changed by someone else and sees the fresh page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.capacity import BAYS_FOR_JOB
from dealers.models import Bay, Dealer, Role, RosterEntry, StaffMember
from reception.models import RepairOrder, ROStatus
from reception.services import TransitionError, repair_order_transition
from workshop.board import board_moves
from workshop.models import JOB_TRANSITIONS, Job, JobStatus

# Orders whose jobs may be (re)assigned.
DISPATCH_STATES = (
    ROStatus.OPEN,
    ROStatus.IN_PROGRESS,
    ROStatus.WAITING_APPROVAL,
    ROStatus.WAITING_PARTS,
    ROStatus.REWORK,
)


def changed_meanwhile() -> ValidationError:
    return ValidationError(_("Changed by someone else meanwhile: here is the fresh state."), code="stale")


@dataclass
class Suggestion:
    technician: StaffMember
    load_hours: Decimal


def technician_loads(station: Dealer) -> dict[int, Decimal]:
    """Technician id → flat-rate hours of their unfinished jobs at the station."""
    rows = (
        Job.objects.for_station(station)
        .open()
        .filter(technician__isnull=False)
        .values("technician")
        .annotate(hours=Sum("flat_rate_hours"))
    )
    return {row["technician"]: row["hours"] for row in rows}


def on_duty(station: Dealer, day: dt.date) -> list[StaffMember]:
    entries = RosterEntry.objects.filter(dealer=station, date=day).select_related("technician")
    return [entry.technician for entry in entries]


def suggest_technicians(
    required_grade: int, technicians: list[StaffMember], loads: dict[int, Decimal]
) -> list[Suggestion]:
    """Those on duty whose grade is enough, least remaining load first."""
    fit = [tech for tech in technicians if (tech.skill_grade or 0) >= required_grade]
    suggestions = [Suggestion(tech, loads.get(tech.pk, Decimal("0"))) for tech in fit]
    return sorted(suggestions, key=lambda s: (s.load_hours, s.technician.display_name, s.technician.pk))


def bays_for(station: Dealer, job_type: str) -> list[Bay]:
    """Active bays of the types the job type needs, least busy first."""
    bays = (
        Bay.objects.filter(dealer=station, is_active=True, bay_type__in=BAYS_FOR_JOB.get(job_type, ()))
        .annotate(busy=Count("jobs", filter=~Q(jobs__status=JobStatus.DONE)))
        .order_by("busy", "code")
    )
    return list(bays)


@transaction.atomic
def job_assign(
    *,
    job: Job,
    technician: StaffMember,
    bay: Bay | None,
    version: int,
    by=None,
    now: dt.datetime | None = None,
) -> Job:
    """Assign (or reassign) a job to a technician and a bay."""
    now = now or timezone.now()
    order = job.repair_order
    if job.version != version:
        raise changed_meanwhile()
    if order.status not in DISPATCH_STATES:
        raise ValidationError(
            _("Jobs of a repair order that is %(status)s cannot be dispatched.")
            % {"status": ROStatus(order.status).label}
        )
    # DONE → ASSIGNED exists only for the quality check's rework, not for dispatching.
    if job.status == JobStatus.DONE or JobStatus.ASSIGNED not in JOB_TRANSITIONS[job.status]:
        raise ValidationError(_("This job is being worked on or finished: it cannot be reassigned now."))
    if not technician.dealers.filter(pk=job.dealer_id).exists() or not technician.has_role(Role.TECHNICIAN):
        raise ValidationError(_("Choose a technician of this station."))
    if (technician.skill_grade or 0) < job.required_grade:
        raise ValidationError(
            _("%(name)s's skill grade is below the grade %(grade)s this job needs.")
            % {"name": technician.display_name, "grade": job.required_grade}
        )
    if bay is not None:
        if bay.dealer_id != job.dealer_id or not bay.is_active:
            raise ValidationError(_("Choose an active bay of this station."))
        if bay.bay_type not in BAYS_FOR_JOB.get(order.job_type, ()):
            raise ValidationError(
                _("Bay %(bay)s is not fit for %(job_type)s.") % {"bay": bay, "job_type": order.get_job_type_display()}
            )
    changed = Job.objects.filter(pk=job.pk, version=version).update(
        technician=technician,
        bay=bay,
        status=JobStatus.ASSIGNED,
        assigned_at=now,
        assigned_by=by,
        version=F("version") + 1,
    )
    if not changed:
        raise changed_meanwhile()
    job.refresh_from_db()
    return job


@transaction.atomic
def repair_order_move(
    *, repair_order: RepairOrder, to: str, seen_status: str, by=None, now: dt.datetime | None = None
) -> RepairOrder:
    """Move a card on the board. `seen_status` is what the board showed:
    if the order changed since, the move is refused."""
    if repair_order.status != seen_status:
        raise changed_meanwhile()
    done = all(status == JobStatus.DONE for status in repair_order.jobs.values_list("status", flat=True))
    if to not in board_moves(repair_order.status, all_jobs_done=done):
        if to == ROStatus.QUALITY_CHECK and not done:
            raise ValidationError(_("Every job must be finished before the quality check."))
        raise ValidationError(
            _("This move is not possible on the board: %(old)s → %(new)s.")
            % {"old": repair_order.get_status_display(), "new": ROStatus(to).label if to in ROStatus else to}
        )
    try:
        return repair_order_transition(repair_order=repair_order, to=to, by=by, note=_("moved on the board"), now=now)
    except TransitionError as error:
        # Allowed by the table from the status we saw: only a change meanwhile refuses it.
        raise changed_meanwhile() from error
