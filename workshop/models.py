"""Steps 4–5, repair and quality check: jobs dispatched to technicians, the job
clock, additional work found on the car and the customer's decision per line,
delays, quality checks with rework, and the fault case library.

The repair order's own state lives in reception (reception.models.RO_TRANSITIONS,
changed only through reception.services.repair_order_transition); these models
hang off it. A job is one labour line of the estimate.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealers.audit import Audited, KeepSigned, KeepSignedQuerySet
from dealers.models import Bay, Dealer, LabourOperation, Part, StaffMember
from dealers.stations import StationScopedQuerySet
from reception.models import ConsentRecord, EstimateLine, LineKind, RepairOrder

# --- jobs and the clock -----------------------------------------------------------------


class JobStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for dispatch")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")


JOB_TRANSITIONS: dict[str, set[str]] = {
    JobStatus.WAITING: {JobStatus.ASSIGNED},
    JobStatus.ASSIGNED: {JobStatus.ASSIGNED, JobStatus.IN_PROGRESS, JobStatus.WAITING},
    JobStatus.IN_PROGRESS: {JobStatus.PAUSED, JobStatus.DONE},
    JobStatus.PAUSED: {JobStatus.IN_PROGRESS, JobStatus.ASSIGNED},
    # Rework reopens a job; the quality check hands it back to the same technician (ASSIGNED).
    JobStatus.DONE: {JobStatus.IN_PROGRESS, JobStatus.ASSIGNED},
}


class JobQuerySet(StationScopedQuerySet):
    def open(self):
        return self.exclude(status=JobStatus.DONE)


class Job(models.Model):
    """One labour line of a repair order, dispatched to a technician and a bay."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="jobs")
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="jobs")
    estimate_line = models.OneToOneField(EstimateLine, on_delete=models.PROTECT, related_name="job")
    technician = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs", verbose_name=_("technician")
    )
    bay = models.ForeignKey(Bay, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs")
    status = models.CharField(_("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.WAITING)
    flat_rate_hours = models.DecimalField(_("flat-rate hours"), max_digits=6, decimal_places=2)
    required_grade = models.PositiveSmallIntegerField(_("required skill grade"), default=1)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cause_found = models.TextField(_("cause as found"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    result = models.TextField(_("result"), blank=True)
    # Bumped on every change: a dispatcher acting on a stale board is told so.
    version = models.PositiveIntegerField(default=0)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["repair_order", "pk"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["dealer", "status"]), models.Index(fields=["technician", "status"])]

    def __str__(self) -> str:
        return f"{self.repair_order.number}: {self.estimate_line.description}"


class ClockKind(models.TextChoices):
    START = "start", _("Start")
    PAUSE = "pause", _("Pause")
    RESUME = "resume", _("Resume")
    FINISH = "finish", _("Finish")


class PauseReason(models.TextChoices):
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")
    WAITING_APPROVAL = "waiting_approval", _("Waiting for approval")
    BREAK = "break", _("Break")
    OTHER = "other", _("Other")


class ClockEvent(models.Model):
    """The truth for clocked hours: start, pause, resume, finish per job."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="clock")
    technician = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="clock_events")
    kind = models.CharField(_("event"), max_length=8, choices=ClockKind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=PauseReason.choices, blank=True)
    at = models.DateTimeField(_("at"))
    # Who pressed the button: the technician, or the dispatcher for them.
    pressed_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("pressed by")
    )

    class Meta:
        ordering = ["job", "at", "pk"]
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")
        indexes = [models.Index(fields=["technician", "at"])]

    def __str__(self) -> str:
        return f"{self.job_id} {self.kind} {self.at:%H:%M}"


# --- additional work (追加维修) ---------------------------------------------------------


class Urgency(models.TextChoices):
    RED = "red", _("Red: safety, fix now")
    YELLOW = "yellow", _("Yellow: fix soon")
    GREEN = "green", _("Green: can wait")


class FindingQuerySet(StationScopedQuerySet):
    def undecided(self):
        return self.filter(lines__decision=Decision.PENDING).distinct()


class Finding(models.Model):
    """Something found on the car beyond the agreed work, with proposed lines."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="findings")
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="findings")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings")
    description = models.TextField(_("what was found"))
    urgency = models.CharField(_("urgency"), max_length=6, choices=Urgency.choices)
    found_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+", verbose_name=_("found by"))
    found_at = models.DateTimeField(_("found at"))
    # The customer's approval link: signed token, expiry; sent once, re-sending makes a new one.
    link_sent_at = models.DateTimeField(_("link sent at"), null=True, blank=True)
    link_expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["repair_order", "found_at", "pk"]
        verbose_name = _("additional work finding")
        verbose_name_plural = _("additional work findings")

    def __str__(self) -> str:
        return f"{self.repair_order.number}: {self.description[:40]}"


class FindingPhoto(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="findings/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["finding", "pk"]
        verbose_name = _("finding photo")
        verbose_name_plural = _("finding photos")

    def __str__(self) -> str:
        return self.image.name


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting for the customer")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class DecisionVia(models.TextChoices):
    IN_PERSON = "in_person", _("In person (signed)")
    PHONE = "phone", _("By phone")
    LINK = "link", _("Through the link")
    TOLERANCE = "tolerance", _("Within the agreed tolerance")


class FindingLineQuerySet(KeepSignedQuerySet):
    def signed(self):
        return self.exclude(decision=Decision.PENDING)


class FindingLine(KeepSigned):
    """A proposed operation or part. Approved: it joins the RO as an estimate
    line covered by a consent record. Declined: kept as a recommendation with
    a due date or mileage for the reminder engine."""

    # PROTECT: the customer's decision on a line never goes with its finding.
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(_("kind"), max_length=6, choices=LineKind.choices)
    operation = models.ForeignKey(LabourOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=160)
    quantity = models.DecimalField(
        _("quantity / hours"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit_price = models.DecimalField(
        _("unit price / rate"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    extra_hours = models.DecimalField(_("extra time (hours)"), max_digits=5, decimal_places=2, default=Decimal("0"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_via = models.CharField(_("decided"), max_length=10, choices=DecisionVia.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("call note"), max_length=300, blank=True)
    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    estimate_line = models.OneToOneField(
        EstimateLine, on_delete=models.PROTECT, null=True, blank=True, related_name="finding_line"
    )
    recommend_by_date = models.DateField(_("recommended by (date)"), null=True, blank=True)
    recommend_by_km = models.PositiveIntegerField(_("recommended by (km)"), null=True, blank=True)

    objects = FindingLineQuerySet.as_manager()
    # The proposed price and the customer's decision on it.
    history = Audited(excluded_fields=["recommend_by_date", "recommend_by_km"])

    class Meta:
        ordering = ["finding", "pk"]
        verbose_name = _("additional work line")
        verbose_name_plural = _("additional work lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="approved", estimate_line__isnull=False) | ~Q(decision="approved"),
                name="approved_finding_line_joins_the_order",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0, unit_price__gt=0), name="finding_line_positive"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_signed(self) -> bool:
        """Decided: approved (with its consent) or declined by the customer."""
        return self.decision != Decision.PENDING


class FindingEvent(models.Model):
    """Every contact and decision about a finding, refused link attempts included."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    note = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["finding", "at", "pk"]
        verbose_name = _("finding event")
        verbose_name_plural = _("finding events")

    def __str__(self) -> str:
        return f"{self.finding_id} {self.kind}"


# --- delays ----------------------------------------------------------------------------


class Delay(models.Model):
    """A forecast or reported delay past the promised time. Until `consent`
    is set the RO shows "delay not agreed"."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="delays")
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="delays")
    detected_at = models.DateTimeField(_("detected at"))
    forecast_ready_at = models.DateTimeField(_("forecast completion"))
    promised_at = models.DateTimeField(_("promised completion"))
    reported_by = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    new_promised_at = models.DateTimeField(_("new promised time"), null=True, blank=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["repair_order", "detected_at"]
        verbose_name = _("delay")
        verbose_name_plural = _("delays")
        constraints = [
            models.UniqueConstraint(
                fields=["repair_order"], condition=Q(consent__isnull=True), name="one_unagreed_delay_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.repair_order.number} → {self.forecast_ready_at:%m-%d %H:%M}"


# --- quality check (质检) ------------------------------------------------------------------


class QualityCheck(models.Model):
    """One round of the quality check. Items from the RO's lines plus the
    fixed items of SPEC.md step 5; the dispatcher's sign-off decides."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="quality_checks")
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="quality_checks")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    checked_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("checked by")
    )
    signed_off_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("signed off by")
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True)
    note = models.TextField(_("note"), blank=True)
    # After a passed round the car is washed, then handed to the advisor (READY).
    washed_at = models.DateTimeField(_("washed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["repair_order", "round"]
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")
        constraints = [models.UniqueConstraint(fields=["repair_order", "round"], name="one_qc_round_per_number")]

    def __str__(self) -> str:
        return f"{self.repair_order.number} QC {self.round}"


class QualityItem(models.Model):
    quality_check = models.ForeignKey(QualityCheck, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=40)  # "line:<pk>" or a fixed item code (workshop.quality.FIXED_ITEMS)
    label = models.CharField(_("item"), max_length=200)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    passed = models.BooleanField(_("passed"), null=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["quality_check", "pk"]
        verbose_name = _("quality check item")
        verbose_name_plural = _("quality check items")
        constraints = [models.UniqueConstraint(fields=["quality_check", "code"], name="qc_item_once_per_round")]

    def __str__(self) -> str:
        return self.label


# --- fault case library (故障实例集) ------------------------------------------------------


class FaultCase(models.Model):
    """A finished job written up: also the quality information report
    (质量信息报告) for the warranty assessor."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="fault_cases")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="fault_cases")
    make = models.CharField(_("make"), max_length=40, blank=True)
    model = models.CharField(_("model"), max_length=60)
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    symptom = models.TextField(_("symptom"))
    cause = models.TextField(_("cause"))
    fix = models.TextField(_("fix"))
    parts = models.CharField(_("parts"), max_length=300, blank=True)
    for_warranty = models.BooleanField(_("quality information report for warranty"), default=False)
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("fault case")
        verbose_name_plural = _("fault cases")
        indexes = [models.Index(fields=["dealer", "model"])]

    def __str__(self) -> str:
        return f"{self.model}: {self.symptom[:40]}"


class FaultCasePhoto(models.Model):
    case = models.ForeignKey(FaultCase, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="cases/%Y/%m/")

    class Meta:
        verbose_name = _("fault case photo")
        verbose_name_plural = _("fault case photos")

    def __str__(self) -> str:
        return self.image.name
