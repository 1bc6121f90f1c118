"""The job clock (step 4): start, pause with a reason, resume, finish.

Each action writes a ClockEvent, which is the truth for clocked hours, and
moves the Job through JOB_TRANSITIONS, bumping `version` so a page acting on
an old view of the job is told so.

Decisions:
- Who clocks: the technician the job is assigned to, or a dispatcher of the
  job's station on their behalf (a technician without a phone at hand asks
  the dispatcher). The event always belongs to the assigned technician: it
  is their time that is clocked.
- Starting (and resuming) needs the line's consent (workshop.jobs, the one
  consent guard) and the RO in a workshop state: open, in progress or rework.
  While the RO waits for approval or for parts, or is not yet (draft) or no
  longer (quality check, ready, delivered...) in the workshop, nothing starts.
- The first start of any job of an open RO moves it to in progress through
  reception's transition service.
- Pausing for parts or for approval does not move the RO: other jobs of the
  same car may still be running, and the dispatcher moves the card on the
  board. Pausing and finishing are always allowed: stopping the clock is
  never wrong.
- A done job is started again only during rework (JOB_TRANSITIONS: done →
  in progress).
- A technician runs one job at a time unless the job's station allows
  parallel jobs (Dealer.parallel_jobs).

Locks are taken RO first, then the job, then the technician, so two starts
never deadlock and two starts for the same technician are serialised.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Role, StaffMember
from reception.models import RepairOrder, ROStatus
from reception.services import repair_order_transition
from workshop.jobs import line_is_consented
from workshop.models import JOB_TRANSITIONS, ClockEvent, ClockKind, Finding, Job, JobStatus, PauseReason
from workshop.quality import OPENABLE_STATES, quality_check_open

# RO states in which a job may be started or resumed.
WORKSHOP_STATES = frozenset({ROStatus.OPEN, ROStatus.IN_PROGRESS, ROStatus.REWORK})
OPENS = frozenset({ClockKind.START, ClockKind.RESUME})
CLOSES = frozenset({ClockKind.PAUSE, ClockKind.FINISH})
HUNDREDTH = Decimal("0.01")


# --- reads: clocked hours -----------------------------------------------------------------


def _hours(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / Decimal(3600)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def intervals(events: Iterable[ClockEvent], now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Worked intervals of one job's events: start/resume opens, pause/finish
    closes; an interval still open runs until `now`."""
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    opened: dt.datetime | None = None
    for event in sorted(events, key=lambda e: (e.at, e.pk or 0)):
        if event.kind in OPENS and opened is None:
            opened = event.at
        elif event.kind in CLOSES and opened is not None:
            spans.append((opened, event.at))
            opened = None
    if opened is not None and now > opened:
        spans.append((opened, now))
    return spans


def clocked_hours(job: Job, now: dt.datetime | None = None) -> Decimal:
    """Hours clocked on the job so far, to 0.01. Uses prefetched `job.clock`
    when the page prefetched it, so a list costs no query per job."""
    now = now or timezone.now()
    seconds = sum((end - start).total_seconds() for start, end in intervals(job.clock.all(), now))
    return _hours(seconds)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def technician_intervals(
    technician: StaffMember, day: dt.date, now: dt.datetime | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The technician's worked intervals on a local day, clipped to the day;
    a job left running over midnight counts from 00:00."""
    now = now or timezone.now()
    start, end = _day_bounds(day)
    if now <= start:
        return []
    last_before = ClockEvent.objects.filter(job=OuterRef("pk"), technician=technician, at__lt=start).order_by(
        "-at", "-pk"
    )
    running_at_start = set(
        Job.objects.filter(clock__technician=technician)
        .annotate(last_kind=Subquery(last_before.values("kind")[:1]))
        .filter(last_kind__in=OPENS)
        .order_by()
        .values_list("pk", flat=True)
        .distinct()
    )
    by_job: dict[int, list[ClockEvent]] = defaultdict(list)
    for job_id in running_at_start:
        by_job[job_id].append(ClockEvent(job_id=job_id, kind=ClockKind.START, at=start, pk=0))
    for event in ClockEvent.objects.filter(technician=technician, at__gte=start, at__lt=end).order_by("at", "pk"):
        by_job[event.job_id].append(event)
    spans = [span for events in by_job.values() for span in intervals(events, min(now, end))]
    return sorted(spans)


def clocked_hours_of(technician: StaffMember, day: dt.date, now: dt.datetime | None = None) -> Decimal:
    """Hours the technician clocked on a local day, to 0.01."""
    spans = technician_intervals(technician, day, now)
    return _hours(sum((b - a).total_seconds() for a, b in spans))


# --- writes -------------------------------------------------------------------------------


def _locked(job: Job, expected_version: int | None) -> tuple[Job, RepairOrder]:
    ro = RepairOrder.objects.select_for_update().get(pk=job.repair_order_id)
    locked = (
        Job.objects.select_for_update(of=("self",))
        .select_related("estimate_line", "dealer", "technician")
        .get(pk=job.pk)
    )
    locked.repair_order = ro
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            _("Someone else changed this job meanwhile: the page now shows it as it is."), code="stale"
        )
    return locked, ro


def _check_actor(job: Job, by: StaffMember) -> None:
    if job.technician_id is None:
        raise ValidationError(_("This job has no technician yet: the dispatcher assigns it first."), code="unassigned")
    if by.pk == job.technician_id:
        return
    if by.has_role(Role.DISPATCHER) and by.dealers.filter(pk=job.dealer_id).exists():
        return
    raise ValidationError(
        _("Only the technician the job is assigned to, or a dispatcher on their behalf, may clock it."),
        code="not_yours",
    )


def _check_may_work(job: Job, ro: RepairOrder) -> None:
    """The guards shared by start and resume."""
    if not line_is_consented(job.estimate_line):
        raise ValidationError(_("The customer has not agreed this line: it cannot be started."), code="no_consent")
    if ro.status not in WORKSHOP_STATES:
        raise ValidationError(
            _("Repair order %(number)s is %(status)s: work on it cannot start now.")
            % {"number": ro.number, "status": ROStatus(ro.status).label},
            code="ro_state",
        )
    if job.dealer.parallel_jobs:
        return
    # The technician's row is the lock: two starts for one technician run one after the other.
    list(StaffMember.objects.select_for_update().filter(pk=job.technician_id))
    running = (
        Job.objects.filter(technician_id=job.technician_id, status=JobStatus.IN_PROGRESS)
        .exclude(pk=job.pk)
        .select_related("repair_order", "estimate_line")
        .first()
    )
    if running:
        raise ValidationError(
            _("%(name)s is already working on %(number)s (%(job)s): pause or finish that job first.")
            % {
                "name": job.technician.display_name,
                "number": running.repair_order.number,
                "job": running.estimate_line.description,
            },
            code="busy",
        )


def _move(job: Job, to: str, kind: str, now: dt.datetime, *, by: StaffMember, reason: str = "", **fields) -> Job:
    if to not in JOB_TRANSITIONS[job.status]:  # callers check first; kept as the last word
        raise ValidationError(_("This job cannot change that way."), code="transition")
    ClockEvent.objects.create(job=job, technician_id=job.technician_id, kind=kind, reason=reason, at=now, pressed_by=by)
    job.status = to
    job.version += 1
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "version", *fields])
    return job


@transaction.atomic
def job_start(*, job: Job, by: StaffMember, now: dt.datetime | None = None, expected_version: int | None = None) -> Job:
    """Start an assigned job (or, during rework, a done one)."""
    now = now or timezone.now()
    job, ro = _locked(job, expected_version)
    _check_actor(job, by)
    rework = job.status == JobStatus.DONE and ro.status == ROStatus.REWORK
    if job.status != JobStatus.ASSIGNED and not rework:
        raise ValidationError(
            _("Only an assigned job can be started; this one is %(status)s.") % {"status": JobStatus(job.status).label},
            code="job_state",
        )
    _check_may_work(job, ro)
    if ro.status == ROStatus.OPEN:
        repair_order_transition(
            repair_order=ro, to=ROStatus.IN_PROGRESS, by=by.user, now=now, note=_("First job started")
        )
    return _move(job, JobStatus.IN_PROGRESS, ClockKind.START, now, by=by, finished_at=None)


@transaction.atomic
def job_pause(
    *, job: Job, by: StaffMember, reason: str, now: dt.datetime | None = None, expected_version: int | None = None
) -> Job:
    """Stop the clock on a running job, saying why. The RO's state is left to the dispatcher."""
    now = now or timezone.now()
    job, _ro = _locked(job, expected_version)
    _check_actor(job, by)
    if job.status != JobStatus.IN_PROGRESS:
        raise ValidationError(_("Only a job in progress can be paused."), code="job_state")
    if reason not in PauseReason.values:
        raise ValidationError({"reason": _("Choose why the job is paused.")}, code="reason")
    return _move(job, JobStatus.PAUSED, ClockKind.PAUSE, now, by=by, reason=reason)


@transaction.atomic
def job_resume(
    *, job: Job, by: StaffMember, now: dt.datetime | None = None, expected_version: int | None = None
) -> Job:
    now = now or timezone.now()
    job, ro = _locked(job, expected_version)
    _check_actor(job, by)
    if job.status != JobStatus.PAUSED:
        raise ValidationError(_("Only a paused job can be resumed."), code="job_state")
    _check_may_work(job, ro)
    return _move(job, JobStatus.IN_PROGRESS, ClockKind.RESUME, now, by=by)


@transaction.atomic
def job_finish(
    *,
    job: Job,
    by: StaffMember,
    cause_found: str,
    work_done: str,
    result: str,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Job:
    """Finish a running job with the cause as found, the work done and the result."""
    now = now or timezone.now()
    job, _ro = _locked(job, expected_version)
    _check_actor(job, by)
    if job.status != JobStatus.IN_PROGRESS:
        if job.status in (JobStatus.ASSIGNED, JobStatus.WAITING):
            raise ValidationError(_("This job was never started: start it before finishing."), code="not_started")
        raise ValidationError(
            _("Only a job in progress can be finished; this one is %(status)s.")
            % {"status": JobStatus(job.status).label},
            code="job_state",
        )
    texts = {"cause_found": cause_found.strip(), "work_done": work_done.strip(), "result": result.strip()}
    missing = {
        "cause_found": _("Record the cause as found."),
        "work_done": _("Record the work done."),
        "result": _("Record the result."),
    }
    errors = {name: message for name, message in missing.items() if not texts[name]}
    if errors:
        raise ValidationError(errors)
    job = _move(job, JobStatus.DONE, ClockKind.FINISH, now, by=by, finished_at=now, **texts)
    _open_quality_check_when_all_done(job.repair_order_id, by=by, now=now)
    return job


def _open_quality_check_when_all_done(repair_order_id: int, *, by: StaffMember, now: dt.datetime) -> None:
    """The last job finished (SPEC.md step 5): the car goes to the quality
    check by itself, unless additional work still waits for the customer's
    decision (its approved lines become jobs of their own)."""
    ro = RepairOrder.objects.select_for_update().get(pk=repair_order_id)
    if ro.status not in OPENABLE_STATES:
        return
    if Job.objects.filter(repair_order=ro).exclude(status=JobStatus.DONE).exists():
        return
    if Finding.objects.filter(repair_order=ro).undecided().exists():
        return
    quality_check_open(repair_order=ro, by=by.user, now=now)
