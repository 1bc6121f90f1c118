"""Step 7 and every outbound contact: the contact tasks owed to customers and
the attempts made on them (ARCHITECTURE.md "Time")."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Vehicle
from dealers.models import Dealer, Role, StaffMember
from dealers.stations import StationScopedQuerySet


class Kind(models.TextChoices):
    """Why the customer is contacted: one kind per rule in followup/rules.py.

    Later rules (callback within 7 days, maintenance reminders, campaigns…)
    add their kinds here."""

    CONFIRMATION_72H = "confirmation_72h", _("First confirmation (72 h before)")
    CONFIRMATION_24H = "confirmation_24h", _("Second confirmation (24 h before)")
    CONFIRMATION_1H = "confirmation_1h", _("Advisor's confirmation (1 h before)")
    NO_SHOW = "no_show", _("No-show call")
    PREPARATION_PROBLEM = "preparation_problem", _("Preparation problem: tell the customer")
    PARTS_ARRIVED = "parts_arrived", _("Ordered parts arrived: tell the customer")


CONFIRMATIONS = (Kind.CONFIRMATION_72H, Kind.CONFIRMATION_24H, Kind.CONFIRMATION_1H)


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("contact task", "Open")
    DONE = "done", pgettext_lazy("contact task", "Done")
    CANCELLED = "cancelled", pgettext_lazy("contact task", "Cancelled")
    EXPIRED = "expired", pgettext_lazy("contact task", "Expired")


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", pgettext_lazy("contact outcome", "Confirmed")
    RESCHEDULED = "rescheduled", pgettext_lazy("contact outcome", "Rescheduled")
    CANCELLED = "cancelled", pgettext_lazy("contact outcome", "Cancelled")
    UNREACHABLE = "unreachable", pgettext_lazy("contact outcome", "Unreachable")
    INFORMED = "informed", pgettext_lazy("contact outcome", "Customer informed")


# The outcomes each kind of call can have; UNREACHABLE keeps the task open.
OUTCOMES: dict[str, tuple[str, ...]] = {
    **{
        kind: (Outcome.CONFIRMED, Outcome.RESCHEDULED, Outcome.CANCELLED, Outcome.UNREACHABLE) for kind in CONFIRMATIONS
    },
    Kind.NO_SHOW: (Outcome.RESCHEDULED, Outcome.INFORMED, Outcome.UNREACHABLE),
    Kind.PREPARATION_PROBLEM: (Outcome.INFORMED, Outcome.RESCHEDULED, Outcome.CANCELLED, Outcome.UNREACHABLE),
    Kind.PARTS_ARRIVED: (Outcome.INFORMED, Outcome.UNREACHABLE),
}


class ContactTaskQuerySet(StationScopedQuerySet):
    def open(self):
        return self.filter(status=TaskStatus.OPEN)

    def for_source(self, source: models.Model):
        return self.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)


class ContactTask(models.Model):
    """One outbound contact owed to a customer. The unique dedupe key (rule,
    source object, occurrence) makes creating it twice impossible, also when
    two sweeps run at once."""

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="contact_tasks")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contact_tasks", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_tasks",
        verbose_name=_("vehicle"),
    )
    # What the contact is about: an appointment, later a repair order, a campaign…
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    due_from = models.DateTimeField(_("due from"))
    due_until = models.DateTimeField(_("due until"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    assignee = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_tasks",
        verbose_name=_("assignee"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ContactTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_from", "pk"]
        verbose_name = _("contact task")
        verbose_name_plural = _("contact tasks")
        constraints = [
            models.CheckConstraint(condition=Q(due_until__gte=models.F("due_from")), name="contact_task_due_order"),
            models.CheckConstraint(
                condition=~Q(role="") | Q(assignee__isnull=False), name="contact_task_role_or_assignee"
            ),
        ]
        indexes = [
            # The call list and the sweep read open tasks by station and due time.
            models.Index(fields=["dealer", "due_from"], name="contact_task_open_idx", condition=Q(status="open")),
            models.Index(fields=["source_type", "source_id"], name="contact_task_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def outcomes(self) -> tuple[str, ...]:
        return OUTCOMES.get(self.kind, ())

    @property
    def outcome_choices(self) -> list[tuple[str, str]]:
        return [(value, Outcome(value).label) for value in self.outcomes]


class ContactAttempt(models.Model):
    """One try at a contact task: who, when, how and what came of it."""

    task = models.ForeignKey(ContactTask, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["task", "at", "pk"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.get_outcome_display()}"
