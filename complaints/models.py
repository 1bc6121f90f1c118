"""Call-center intake and complaint tickets (SPEC.md "Complaints and the call
center"; seeds: 呼叫中心业务流程).

Every inbound contact is a `Contact`: a consultation answered in the call, a
coordination that another department answers by a deadline, or a complaint,
which opens one `Complaint` ticket. A ticket carries its three deadlines
(first answer, callback, resolution) as rows the sweep reads; each missed
deadline escalates once per stage (handler → service manager → group/OEM),
guarded by a unique key so two sweeps at once escalate once. Every change of
a ticket writes a `ComplaintEvent`: deadlines never move silently.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Vehicle
from dealers.audit import Audited
from dealers.models import Dealer, LabourOperation, StaffMember
from dealers.stations import StationScopedQuerySet

# --- station settings ---------------------------------------------------------------


def _hours(default: int, label, maximum: int = 24 * 14) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(1), MaxValueValidator(maximum)]
    )


def _days(default: int, label) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )


class ComplaintSettings(models.Model):
    """A station's complaint deadlines and escalation contacts. A station
    without a row uses the defaults of SPEC.md: first answer within 24 h
    (hotline questions 4 h), callback within 7 days, resolution within 30
    days; urgent (2) and major (3) complaints are tighter."""

    dealer = models.OneToOneField(Dealer, on_delete=models.CASCADE, primary_key=True, related_name="complaint_settings")
    hotline_answer_hours = _hours(4, _("hotline question answered within (hours)"))
    answer_hours_1 = _hours(24, _("level 1: first answer within (hours)"))
    answer_hours_2 = _hours(12, _("level 2: first answer within (hours)"))
    answer_hours_3 = _hours(4, _("level 3: first answer within (hours)"))
    callback_days_1 = _days(7, _("level 1: callback within (days)"))
    callback_days_2 = _days(3, _("level 2: callback within (days)"))
    callback_days_3 = _days(1, _("level 3: callback within (days)"))
    resolution_days_1 = _days(30, _("level 1: resolved within (days)"))
    resolution_days_2 = _days(15, _("level 2: resolved within (days)"))
    resolution_days_3 = _days(7, _("level 3: resolved within (days)"))
    manager_after_hours = models.PositiveSmallIntegerField(
        _("service manager notified (hours after a missed deadline)"),
        default=4,
        validators=[MaxValueValidator(24 * 14)],
    )
    group_after_hours = models.PositiveSmallIntegerField(
        _("group/OEM notified (hours after a missed deadline)"),
        default=24,
        validators=[MaxValueValidator(24 * 30)],
    )
    group_contact = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group/OEM contact"),
        help_text=_("Gets the last escalation; empty: the call center's list only."),
    )
    repeat_failure_count = models.PositiveSmallIntegerField(
        _("repeated failure from (repairs of the same problem)"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
        help_text=_("From this many repairs of the same problem at the station a complaint is major (level 3)."),
    )

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(group_after_hours__gte=models.F("manager_after_hours")),
                name="complaint_settings_group_after_manager",
            )
        ]

    def __str__(self) -> str:
        return str(self.dealer)

    @classmethod
    def for_station(cls, dealer: Dealer) -> ComplaintSettings:
        """The station's row, or the defaults unsaved: reading never writes."""
        return cls.objects.filter(dealer=dealer).select_related("group_contact").first() or cls(dealer=dealer)

    def deadlines(self, level: int, start: dt.datetime) -> dict[str, dt.datetime]:
        return {
            "answer_due": start + dt.timedelta(hours=getattr(self, f"answer_hours_{level}")),
            "callback_due": start + dt.timedelta(days=getattr(self, f"callback_days_{level}")),
            "resolution_due": start + dt.timedelta(days=getattr(self, f"resolution_days_{level}")),
        }


# --- inbound contacts ---------------------------------------------------------------


class ContactType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation (answered in the call)")
    COORDINATION = "coordination", _("Coordination (another department answers)")
    COMPLAINT = "complaint", pgettext_lazy("contact type", "Complaint")


class InboundChannel(models.TextChoices):
    HOTLINE = "hotline", _("Service hotline")
    STATION_PHONE = "station_phone", _("Station phone")
    WALK_IN = "walk_in", _("At the station")
    ONLINE = "online", _("Online / club website")
    SURVEY = "survey", _("Satisfaction callback")


class ContactQuerySet(StationScopedQuerySet):
    def open_coordination(self):
        return self.filter(contact_type=ContactType.COORDINATION, closed_at__isnull=True)


class Contact(models.Model):
    """One inbound contact, in the caller's own words. The customer and vehicle
    come from the front-desk lookup; an unidentified caller keeps the name
    and phone they gave."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="inbound_contacts")
    contact_type = models.CharField(_("type"), max_length=12, choices=ContactType.choices)
    channel = models.CharField(
        _("channel"), max_length=14, choices=InboundChannel.choices, default=InboundChannel.HOTLINE
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vehicle")
    )
    caller_name = models.CharField(_("caller's name"), max_length=50, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=30, blank=True)
    words = models.TextField(_("in the customer's words"))
    answer = models.TextField(_("answer given"), blank=True)
    department = models.CharField(_("department asked"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("assigned to")
    )
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("inbound contact")
        verbose_name_plural = _("inbound contacts")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(caller_name="") | ~Q(caller_phone=""),
                name="contact_identified_or_caller_given",
            ),
            models.CheckConstraint(
                condition=~Q(contact_type="consultation") | Q(closed_at__isnull=False),
                name="contact_consultation_closed_at_once",
            ),
            models.CheckConstraint(
                condition=~Q(contact_type="coordination") | Q(due_at__isnull=False),
                name="contact_coordination_has_deadline",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "-received_at"]),
            models.Index(
                fields=["dealer", "due_at"],
                name="contact_coordination_open_idx",
                condition=Q(contact_type="coordination", closed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_contact_type_display()} {self.received_at:%Y-%m-%d %H:%M}"

    @property
    def caller(self) -> str:
        return self.customer.name if self.customer_id else self.caller_name or self.caller_phone


class PreReport(models.Model):
    """A station's pre-report (报备) of a likely complaint. The call center
    shows it to the agent; it is never a reason to refuse a complaint."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="complaint_pre_reports")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vehicle")
    )
    note = models.TextField(_("what happened"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"))

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("pre-report")
        verbose_name_plural = _("pre-reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(vehicle__isnull=False), name="pre_report_names_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer} {self.reported_at:%Y-%m-%d}"


# --- complaint tickets --------------------------------------------------------------


class Subject(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    REPAIR_QUALITY = "repair_quality", _("Repair quality")
    PARTS = "parts", _("Parts (supply or price)")
    CHARGES = "charges", _("Unreasonable charges")
    ATTITUDE = "attitude", _("Staff attitude")
    POLICY = "policy", _("Company policy")
    CALL_CENTER = "call_center", _("The call center")


class Level(models.IntegerChoices):
    GENERAL = 1, _("1 · general")
    URGENT = 2, _("2 · urgent")
    MAJOR = 3, _("3 · major")


class Status(models.TextChoices):
    GUIDED = "guided", _("Not dispatched: customer guided to the station")
    CHARGE_REVIEW = "charge_review", _("Charge review")
    EXPLAINING = "explaining", _("Charge reasonable: explain to the customer")
    DISPATCHED = "dispatched", _("Dispatched to the station")
    HANDLING = "handling", _("Being handled")
    CLOSED = "closed", pgettext_lazy("complaint", "Closed")


# The one table of allowed transitions (STYLE.md 4).
TRANSITIONS: dict[str, set[str]] = {
    Status.GUIDED: {Status.DISPATCHED, Status.CHARGE_REVIEW, Status.CLOSED},
    Status.CHARGE_REVIEW: {Status.EXPLAINING, Status.DISPATCHED},
    Status.EXPLAINING: {Status.CLOSED},
    Status.DISPATCHED: {Status.HANDLING},
    Status.HANDLING: {Status.CLOSED},
    Status.CLOSED: set(),
}
OPEN_STATES = (Status.CHARGE_REVIEW, Status.EXPLAINING, Status.DISPATCHED, Status.HANDLING)
# A ticket the call center keeps (guided, or about the call center itself) is not escalated to a station.
ESCALATING_STATES = OPEN_STATES


class Fault(models.TextChoices):
    CUSTOMER = "customer", _("The customer")
    US = "us", _("Us (station or company)")
    UNCLEAR = "unclear", _("Unclear")


class ComplainerType(models.TextChoices):
    NEEDS = "needs", _("Needs-driven")
    CONFUSED = "confused", _("Confused")
    AGITATED = "agitated", _("Agitated")


class CustomerType(models.TextChoices):
    HABITUAL = "habitual", _("Habitual complainer")
    VENTING = "venting", _("Venting")
    PERSISTENT = "persistent", _("Persistent")
    REALISTIC = "realistic", _("Realistic")


class ComplaintQuerySet(StationScopedQuerySet):
    def open(self):
        return self.exclude(status=Status.CLOSED)

    def overdue(self, now: dt.datetime):
        return self.filter(next_due_at__lte=now)


class Complaint(models.Model):
    """A complaint ticket (投诉单). `next_due_at` is the earliest deadline not
    met yet, kept by the services, so lists sort overdue first and the sweep
    finds due tickets through one partial index."""

    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="complaint")
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("station concerned")
    )
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.GENERAL)
    criteria = models.JSONField(_("level criteria"), default=list, blank=True)
    expected_outcome = models.TextField(_("customer's expected outcome"))
    answers = models.JSONField(_("intake questions"), default=dict, blank=True)
    related_orders = models.ManyToManyField(
        "reception.RepairOrder", blank=True, related_name="complaints", verbose_name=_("related repair orders")
    )
    problem_operation = models.ForeignKey(
        LabourOperation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("problem: labour operation"),
    )
    problem_symptom = models.CharField(_("problem: symptom"), max_length=100, blank=True)
    repeat_count = models.PositiveSmallIntegerField(_("repairs of the same problem at the station"), default=0)
    # Dispatch rule (投诉单派送原则): dispatched only after a visit to the station about it.
    visit_confirmed = models.BooleanField(_("agent confirms the customer visited the station about it"), default=False)
    dispatched = models.BooleanField(_("dispatched to the station"), default=False)
    guidance = models.TextField(_("guidance given to the customer"), blank=True)
    pre_report = models.ForeignKey(
        PreReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("pre-report"),
    )
    source_task = models.ForeignKey(
        "followup.ContactTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from the satisfaction escalation"),
    )
    handler = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("handler")
    )
    complainer_type = models.CharField(_("complainer type"), max_length=10, choices=ComplainerType.choices, blank=True)
    customer_type = models.CharField(_("customer type"), max_length=10, choices=CustomerType.choices, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    # Handling results (each step is also an event with its time).
    fault = models.CharField(_("at fault"), max_length=10, choices=Fault.choices, blank=True)
    demand_reasonable = models.BooleanField(_("demand reasonable"), null=True, blank=True)
    solution = models.TextField(_("agreed solution"), blank=True)
    satisfied = models.BooleanField(_("customer satisfied"), null=True, blank=True)
    # Deadlines and when they were met.
    answer_due = models.DateTimeField(_("first answer due"))
    callback_due = models.DateTimeField(_("callback due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    answered_at = models.DateTimeField(_("first answer at"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("follow-up call at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    escalation_stage = models.PositiveSmallIntegerField(_("escalated to"), default=0)
    created_at = models.DateTimeField(_("received at"))

    objects = ComplaintQuerySet.as_manager()
    # The level only: deadlines and steps are the ticket's own events (ComplaintEvent).
    history = Audited(only=("dealer", "level"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("complaint ticket")
        verbose_name_plural = _("complaint tickets")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="complaint_level_1_to_3"),
            models.CheckConstraint(
                condition=Q(dispatched=True) | Q(status__in=["guided", "handling", "closed"]),
                name="complaint_station_states_need_dispatch",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & Q(satisfied__isnull=False)),
                name="complaint_closed_has_time_and_satisfaction",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "-created_at"]),
            # The sweep and the "overdue first" lists read open tickets by their next deadline.
            models.Index(fields=["next_due_at"], name="complaint_next_due_idx", condition=Q(next_due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"TS{self.pk:06d}" if self.pk else "TS——"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def open_deadlines(self) -> list[tuple[str, dt.datetime]]:
        """The deadlines not met yet, earliest first: (name, when)."""
        pending = []
        if self.status == Status.CLOSED:
            return pending
        if self.answered_at is None:
            pending.append(("answer", self.answer_due))
        if self.called_back_at is None:
            pending.append(("callback", self.callback_due))
        pending.append(("resolution", self.resolution_due))
        return sorted(pending, key=lambda item: item[1])

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.next_due_at is not None and self.next_due_at <= now


class Deadline(models.TextChoices):
    ANSWER = "answer", _("First answer")
    CALLBACK = "callback", _("Callback")
    RESOLUTION = "resolution", _("Resolution")


class Stage(models.IntegerChoices):
    HANDLER = 1, _("Handler")
    MANAGER = 2, _("Service manager")
    GROUP = 3, _("Group / OEM")


class Escalation(models.Model):
    """One stage of escalation of one missed deadline. Unique per (ticket,
    deadline, stage): the sweep inserts it to claim the work, so a second
    sweep at the same moment escalates nothing twice."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    deadline = models.CharField(_("deadline"), max_length=10, choices=Deadline.choices)
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    due_was = models.DateTimeField(_("deadline was"))
    to_staff = models.ManyToManyField(StaffMember, blank=True, related_name="+", verbose_name=_("notified"))
    at = models.DateTimeField(_("escalated at"))

    class Meta:
        ordering = ["complaint", "at", "stage", "pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "deadline", "stage"], name="escalation_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.complaint} {self.get_deadline_display()} → {self.get_stage_display()}"


class EventKind(models.TextChoices):
    OPENED = "opened", _("Complaint accepted")
    DISPATCHED = "dispatched", _("Dispatched to the station")
    NOT_DISPATCHED = "not_dispatched", _("Not dispatched: customer guided to the station")
    PRE_REPORT = "pre_report", _("Pre-report on file (complaint accepted all the same)")
    TAKEN = "taken", _("Handler assigned")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged and calmed")
    FACTS = "facts", _("Facts clarified")
    FAULT = "fault", _("Fault assessed")
    DEMAND = "demand", _("Demand assessed")
    OPTIONS = "options", _("Options considered")
    SOLUTION = "solution", _("Solution agreed")
    ACTION = "action", _("Action taken")
    FOLLOWUP_CALL = "followup_call", _("Follow-up call")
    BILL = "bill", _("Itemised bill provided")
    CHARGE_REVIEWED = "charge_reviewed", _("Charge reviewed by an engineer")
    LEVEL = "level", _("Level changed")
    EXTENDED = "extended", _("Deadline extended")
    ESCALATED = "escalated", _("Escalated")
    STATUS = "status", _("Status changed")
    NOTE = "note", _("Note")
    CLOSED = "closed", pgettext_lazy("complaint event", "Closed")


# The handling steps of SPEC.md, in their order, as the ticket page offers them.
HANDLING_STEPS = (
    EventKind.ACKNOWLEDGED,
    EventKind.FACTS,
    EventKind.FAULT,
    EventKind.DEMAND,
    EventKind.OPTIONS,
    EventKind.SOLUTION,
    EventKind.ACTION,
    EventKind.FOLLOWUP_CALL,
)


class ComplaintEvent(models.Model):
    """Everything that happened to a ticket, time-stamped: who, when, what,
    and for a status change or a moved deadline the old and new value."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=16, choices=EventKind.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["complaint", "at", "pk"]
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        indexes = [models.Index(fields=["complaint", "kind"])]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.get_kind_display()}"


class ChargeResult(models.TextChoices):
    REASONABLE = "reasonable", _("Charge reasonable")
    UNREASONABLE = "unreasonable", _("Charge unreasonable")


class ChargeReview(models.Model):
    """The unreasonable-charge flow (不合理收费): the station's itemised bill
    (uploaded, or the RO's invoice linked) and the engineer's verdict."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="charge_review")
    bill = models.FileField(_("itemised bill"), upload_to="complaints/bills/%Y/%m/", blank=True)
    invoice = models.ForeignKey(
        "reception.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provided_at = models.DateTimeField(_("bill provided at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=ChargeResult.choices, blank=True)
    note = models.TextField(_("engineer's note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    callback_task = models.ForeignKey(
        "followup.ContactTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("charge review")
        verbose_name_plural = _("charge reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(result="") | Q(reviewed_at__isnull=False), name="charge_review_result_has_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint}: {self.get_result_display() or '…'}"

    @property
    def has_bill(self) -> bool:
        return bool(self.bill) or self.invoice_id is not None
