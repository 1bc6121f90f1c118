"""Step 5, the quality check (质检 / 完工检查) with rework, wash and ready.

When every job of a repair order is done, a round of the check opens: one
item per job (the agreed work done) plus the fixed items of the completion
check. A technician may fill the items; the dispatcher's sign-off decides.
A failed round sends the RO to rework and hands the failed jobs back to
their technicians; when those are done again, a new round opens. A passed
round is followed by the wash, and then the car is ready for the advisor.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import Dealer, Role, StaffMember
from reception.models import InquirySheet, RepairOrder, ROStatus
from reception.services import repair_order_transition
from workshop.models import JOB_TRANSITIONS, Job, JobStatus, QualityCheck, QualityItem

LINE_PREFIX = "line:"
ROAD_TEST = "road_test"

# The fixed items of the completion check, in the order the dispatcher walks them.
FIXED_ITEMS: list[tuple[str, str]] = [
    ("all_done", gettext_lazy("Every agreed item done")),
    ("nothing_loose", gettext_lazy("Nothing missing or mis-installed, fasteners tight")),
    (ROAD_TEST, gettext_lazy("Road test passed")),
    ("records", gettext_lazy("Records on the order (repair card) correct")),
    ("no_lost_items", gettext_lazy("Nothing lost from the car")),
    ("exterior", gettext_lazy("Exterior matches the walk-around")),
]
FIXED_LABELS = dict(FIXED_ITEMS)

# From these states the check may open: after the work, or after the rework.
OPENABLE_STATES = (ROStatus.IN_PROGRESS, ROStatus.REWORK)


def line_code(job: Job) -> str:
    return f"{LINE_PREFIX}{job.estimate_line_id}"


def _staff(by) -> StaffMember | None:
    return getattr(by, "staff", None)


def _lock(repair_order: RepairOrder) -> RepairOrder:
    return RepairOrder.objects.select_for_update().get(pk=repair_order.pk)


# --- reads ------------------------------------------------------------------------------


def road_test_needed(repair_order: RepairOrder) -> bool:
    return InquirySheet.objects.filter(repair_order=repair_order, road_test_needed=True).exists()


def unfinished_jobs(repair_order: RepairOrder):
    return Job.objects.filter(repair_order=repair_order).exclude(status=JobStatus.DONE)


def current_round(repair_order: RepairOrder) -> QualityCheck | None:
    """The latest round with its items, jobs and technicians (a fixed number of queries)."""
    items = QualityItem.objects.select_related("job__technician").order_by("pk")
    return (
        QualityCheck.objects.filter(repair_order=repair_order)
        .select_related("checked_by", "signed_off_by")
        .prefetch_related(Prefetch("items", items))
        .order_by("-round")
        .first()
    )


def rework_count_for_order(repair_order: RepairOrder) -> int:
    """How many rounds of this RO's quality check failed."""
    return QualityCheck.objects.filter(repair_order=repair_order, passed=False).count()


def rework_counts_by_technician(
    station: Dealer, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, int]:
    """Jobs reopened by a failed round, per technician id: a job counts once per failed round."""
    qs = QualityItem.objects.filter(
        quality_check__dealer=station,
        quality_check__passed=False,
        passed=False,
        job__technician__isnull=False,
    )
    if since:
        qs = qs.filter(quality_check__signed_off_at__gte=since)
    if until:
        qs = qs.filter(quality_check__signed_off_at__lt=until)
    pairs = set(qs.values_list("quality_check_id", "job_id", "job__technician_id"))
    return dict(Counter(technician for _qc, _job, technician in pairs))


@dataclass(frozen=True)
class RoundState:
    total: int
    filled: int
    failed: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.filled == self.total


def round_state(items: list[QualityItem]) -> RoundState:
    return RoundState(
        total=len(items),
        filled=sum(item.passed is not None for item in items),
        failed=sum(item.passed is False for item in items),
    )


# --- writes -----------------------------------------------------------------------------


@transaction.atomic
def quality_check_open(*, repair_order: RepairOrder, by=None, now: dt.datetime | None = None) -> QualityCheck:
    """Every job done: the RO goes to quality check with a new round of items."""
    now = now or timezone.now()
    ro = _lock(repair_order)
    if ro.status not in OPENABLE_STATES:
        raise ValidationError(
            _("The quality check opens after the work: this repair order is %(status)s.")
            % {"status": ROStatus(ro.status).label},
            code="not_in_workshop",
        )
    jobs = list(Job.objects.filter(repair_order=ro).select_related("estimate_line").order_by("pk"))
    if not jobs:
        raise ValidationError(_("This repair order has no jobs to check."), code="no_jobs")
    open_jobs = [job for job in jobs if job.status != JobStatus.DONE]
    if open_jobs:
        raise ValidationError(
            _("Not every job is finished yet: %(jobs)s.")
            % {"jobs": "、".join(job.estimate_line.description for job in open_jobs)},
            code="jobs_unfinished",
        )
    repair_order_transition(repair_order=ro, to=ROStatus.QUALITY_CHECK, by=by, now=now)
    last = QualityCheck.objects.filter(repair_order=ro).aggregate(n=Max("round"))["n"] or 0
    check = QualityCheck.objects.create(dealer_id=ro.dealer_id, repair_order=ro, round=last + 1)
    items = [
        QualityItem(quality_check=check, code=line_code(job), label=job.estimate_line.description[:200], job=job)
        for job in jobs
    ]
    with_road_test = road_test_needed(ro)
    items += [
        QualityItem(quality_check=check, code=code, label=str(label))
        for code, label in FIXED_ITEMS
        if code != ROAD_TEST or with_road_test
    ]
    QualityItem.objects.bulk_create(items)
    repair_order.status = ro.status
    return check


def _open_round(item_or_check: QualityItem | QualityCheck) -> QualityCheck:
    check_id = item_or_check.quality_check_id if isinstance(item_or_check, QualityItem) else item_or_check.pk
    check = QualityCheck.objects.select_for_update().select_related("repair_order").get(pk=check_id)
    latest = QualityCheck.objects.filter(repair_order_id=check.repair_order_id).aggregate(n=Max("round"))["n"]
    if check.signed_off_at or check.round != latest or check.repair_order.status != ROStatus.QUALITY_CHECK:
        raise ValidationError(_("This round of the quality check is closed: reload the page."), code="closed")
    return check


@transaction.atomic
def quality_item_record(
    *, item: QualityItem, passed: bool, note: str = "", job: Job | None = None, by=None
) -> QualityItem:
    """Pass or fail one item. A failure says what is wrong; a fixed item may name the job to redo."""
    check = _open_round(item)
    note = note.strip()
    if not passed and not note:
        raise ValidationError({"note": _("Say what is wrong, so the rework knows what to fix.")})
    if job is not None:
        if item.code.startswith(LINE_PREFIX):
            raise ValidationError(_("This item belongs to its own job."))
        if job.repair_order_id != check.repair_order_id:
            raise ValidationError({"job": _("That job is not on this repair order.")})
    item.passed = passed
    item.note = note
    if not item.code.startswith(LINE_PREFIX):
        item.job = job if not passed else None
    item.full_clean(exclude=["quality_check", "job"])
    item.save(update_fields=["passed", "note", "job"])
    if check.checked_by_id is None and _staff(by) is not None:
        QualityCheck.objects.filter(pk=check.pk).update(checked_by=_staff(by))
    return item


def _reopen(job: Job) -> None:
    """Back to the same technician, to start the clock again."""
    if JobStatus.ASSIGNED not in JOB_TRANSITIONS[job.status]:
        raise ValidationError(_("A job that is not done cannot be sent back for rework."))
    changed = Job.objects.filter(pk=job.pk, status=JobStatus.DONE).update(
        status=JobStatus.ASSIGNED, finished_at=None, version=F("version") + 1
    )
    if not changed:
        raise ValidationError(_("Someone else changed this job meanwhile: reload and try again."))


@transaction.atomic
def quality_check_sign_off(
    *, quality_check: QualityCheck, by, note: str = "", now: dt.datetime | None = None
) -> QualityCheck:
    """The dispatcher's final confirmation: all passed, or rework for the failed items' jobs."""
    now = now or timezone.now()
    staff = _staff(by)
    if staff is None or not staff.has_role(Role.DISPATCHER):
        raise ValidationError(_("Only the workshop dispatcher signs off the quality check."), code="not_dispatcher")
    check = _open_round(quality_check)
    items = list(check.items.select_related("job").order_by("pk"))
    state = round_state(items)
    if not state.complete:
        raise ValidationError(
            _("%(open)s of %(total)s items are not checked yet.")
            % {"open": state.total - state.filled, "total": state.total},
            code="incomplete",
        )
    failed = [item for item in items if item.passed is False]
    check.passed = not failed
    check.signed_off_by = staff
    check.signed_off_at = now
    check.note = note.strip()
    check.save(update_fields=["passed", "signed_off_by", "signed_off_at", "note"])
    if failed:
        summary = "; ".join(f"{item.label}: {item.note}" for item in failed)
        repair_order_transition(
            repair_order=check.repair_order, to=ROStatus.REWORK, by=by, now=now, note=_("Rework: %s") % summary
        )
        for job in {item.job_id: item.job for item in failed if item.job is not None}.values():
            _reopen(job)
    quality_check.passed, quality_check.signed_off_at = check.passed, check.signed_off_at
    quality_check.signed_off_by = staff
    return check


@transaction.atomic
def quality_check_washed(*, repair_order: RepairOrder, by, now: dt.datetime | None = None) -> QualityCheck:
    """The passed car is washed and handed to the advisor: ready."""
    now = now or timezone.now()
    ro = _lock(repair_order)
    check = QualityCheck.objects.select_for_update().filter(repair_order=ro).order_by("-round").first()
    if ro.status != ROStatus.QUALITY_CHECK or check is None or check.passed is not True:
        raise ValidationError(_("Only a car that passed the quality check goes to the wash."), code="not_passed")
    check.washed_at = now
    check.save(update_fields=["washed_at"])
    repair_order_transition(repair_order=ro, to=ROStatus.READY, by=by, now=now, note=_("Washed, ready"))
    repair_order.status = ro.status
    return check
