"""Step 7 and every outbound contact: the contact tasks owed to customers and
the attempts made on them (ARCHITECTURE.md "Time")."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Vehicle
from dealers.models import Dealer, Role, StaffMember
from dealers.stations import StationScopedQuerySet


class Kind(models.TextChoices):
    """Why the customer is contacted: one kind per rule in followup/rules.py."""

    CONFIRMATION_72H = "confirmation_72h", _("First confirmation (72 h before)")
    CONFIRMATION_24H = "confirmation_24h", _("Second confirmation (24 h before)")
    CONFIRMATION_1H = "confirmation_1h", _("Advisor's confirmation (1 h before)")
    NO_SHOW = "no_show", _("No-show call")
    PREPARATION_PROBLEM = "preparation_problem", _("Preparation problem: tell the customer")
    PARTS_ARRIVED = "parts_arrived", _("Ordered parts arrived: tell the customer")
    DELAY = "delay", _("Forecast late: agree a new time with the customer")
    CALLBACK = "callback", _("After-sales callback")
    SURVEY_ESCALATION = "survey_escalation", _("Dissatisfied customer: answer within 24 h")
    FIRST_MAINTENANCE = "first_maintenance", _("First maintenance reminder")
    SCHEDULED_MAINTENANCE = "scheduled_maintenance", _("Scheduled maintenance reminder")
    WARRANTY_FIRST = "warranty_first", _("Warranty expiry (first reminder)")
    WARRANTY_SECOND = "warranty_second", _("Warranty expiry (second reminder)")
    DORMANT = "dormant", _("Dormant customer")
    LOST = "lost", _("Lost customer")
    DECLINED_WORK = "declined_work", _("Declined work falls due")
    NEW_OWNER = "new_owner", _("New-car owner callback")
    BIRTHDAY = "birthday", _("Birthday greeting")
    CAMPAIGN = "campaign", _("Service campaign")


# Reminders of SPEC.md "Reminders" (主动预约): their effect is measured by
# linking the task to the booking or visit it led to.
REMINDERS = (
    Kind.FIRST_MAINTENANCE,
    Kind.SCHEDULED_MAINTENANCE,
    Kind.WARRANTY_FIRST,
    Kind.WARRANTY_SECOND,
    Kind.DORMANT,
    Kind.LOST,
    Kind.DECLINED_WORK,
    Kind.NEW_OWNER,
    Kind.CAMPAIGN,
)

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
    AGREED = "agreed", pgettext_lazy("contact outcome", "Agreed to the new time")
    SATISFIED = "satisfied", pgettext_lazy("contact outcome", "Satisfied")
    DISSATISFIED = "dissatisfied", pgettext_lazy("contact outcome", "Dissatisfied")
    BOOKED = "booked", pgettext_lazy("contact outcome", "Booked an appointment")
    NOT_INTERESTED = "not_interested", pgettext_lazy("contact outcome", "Not interested")
    LEFT = "left", pgettext_lazy("contact outcome", "Has left us (reason recorded)")
    ANSWERED = "answered", pgettext_lazy("contact outcome", "Answered")
    SENT = "sent", pgettext_lazy("contact outcome", "Message sent")
    WRONG_NUMBER = "wrong_number", pgettext_lazy("contact outcome", "Wrong number")


_REMINDER_OUTCOMES = (
    Outcome.BOOKED,
    Outcome.INFORMED,
    Outcome.NOT_INTERESTED,
    Outcome.UNREACHABLE,
    Outcome.WRONG_NUMBER,
)

# The outcomes each kind of call can have; UNREACHABLE keeps the task open.
OUTCOMES: dict[str, tuple[str, ...]] = {
    **{
        kind: (Outcome.CONFIRMED, Outcome.RESCHEDULED, Outcome.CANCELLED, Outcome.UNREACHABLE) for kind in CONFIRMATIONS
    },
    Kind.NO_SHOW: (Outcome.RESCHEDULED, Outcome.INFORMED, Outcome.UNREACHABLE),
    Kind.PREPARATION_PROBLEM: (Outcome.INFORMED, Outcome.RESCHEDULED, Outcome.CANCELLED, Outcome.UNREACHABLE),
    Kind.PARTS_ARRIVED: (Outcome.INFORMED, Outcome.UNREACHABLE),
    # Agreed is recorded as the delay's consent (workshop.delays.delay_agree), which closes the call.
    Kind.DELAY: (Outcome.INFORMED, Outcome.UNREACHABLE),
    Kind.CALLBACK: (Outcome.SATISFIED, Outcome.DISSATISFIED, Outcome.UNREACHABLE, Outcome.WRONG_NUMBER),
    Kind.SURVEY_ESCALATION: (Outcome.ANSWERED, Outcome.UNREACHABLE),
    **{kind: _REMINDER_OUTCOMES for kind in REMINDERS},
    Kind.LOST: (*_REMINDER_OUTCOMES, Outcome.LEFT),
    Kind.BIRTHDAY: (Outcome.SENT,),
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
    # Call rules: when the next try is proposed (a different part of the day),
    # and the automatic fall-back to SMS or letter after the last failed call.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    fell_back_at = models.DateTimeField(_("fell back to SMS or letter"), null=True, blank=True)
    campaign = models.ForeignKey(
        "Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("campaign")
    )
    # The effect of a reminder: the booking or visit it led to (within the station's window).
    led_to_appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    led_to_repair_order = models.ForeignKey(
        "reception.RepairOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    reason = models.CharField(_("reason given"), max_length=300, blank=True)
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
            models.Index(fields=["customer", "kind"], name="contact_task_customer_kind_idx"),
            models.Index(fields=["dealer", "kind", "-closed_at"], name="contact_task_closed_idx"),
            # Conversion linking reads a station's reminders by kind and creation time.
            models.Index(fields=["dealer", "kind", "created_at"], name="contact_task_created_idx"),
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


# --- surveys (step 7) ---------------------------------------------------------------------


class Score(models.IntegerChoices):
    VERY_BAD = 1, _("1 · very dissatisfied")
    BAD = 2, _("2 · dissatisfied")
    FAIR = 3, _("3 · fair")
    GOOD = 4, _("4 · satisfied")
    VERY_GOOD = 5, _("5 · very satisfied")


# A score at or below this makes the answer an escalation.
DISSATISFIED_SCORE = 2
SURVEY_QUESTIONS = ("reception", "repair_quality", "on_time", "price_explained", "overall")


class Survey(models.Model):
    """What the customer said on the after-sales callback: 1–5 per question
    and their own words. Dissatisfied (a score ≤ 2 or said so) opens an
    escalation for the advisor and the service manager."""

    task = models.OneToOneField(ContactTask, on_delete=models.PROTECT, related_name="survey")
    repair_order = models.ForeignKey(
        "reception.RepairOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="surveys"
    )
    reception = models.PositiveSmallIntegerField(_("reception"), choices=Score.choices, null=True, blank=True)
    repair_quality = models.PositiveSmallIntegerField(_("repair quality"), choices=Score.choices, null=True, blank=True)
    on_time = models.PositiveSmallIntegerField(_("ready on time"), choices=Score.choices, null=True, blank=True)
    price_explained = models.PositiveSmallIntegerField(
        _("price explained"), choices=Score.choices, null=True, blank=True
    )
    overall = models.PositiveSmallIntegerField(_("overall"), choices=Score.choices, null=True, blank=True)
    dissatisfied = models.BooleanField(_("customer says they are dissatisfied"), default=False)
    comment = models.TextField(_("in the customer's words"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__isnull=True) | Q(overall__gte=1, overall__lte=5), name="survey_overall_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.overall or '–'}"

    @property
    def scores(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in SURVEY_QUESTIONS}

    @property
    def is_dissatisfied(self) -> bool:
        return self.dissatisfied or any(v is not None and v <= DISSATISFIED_SCORE for v in self.scores.values())


# --- campaigns -----------------------------------------------------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign", "Draft")
    RUNNING = "running", pgettext_lazy("campaign", "Running")
    PAUSED = "paused", pgettext_lazy("campaign", "Paused")
    FINISHED = "finished", pgettext_lazy("campaign", "Finished")


class Campaign(models.Model):
    """An OEM or dealer service campaign: a target segment notified in batches
    (batch size and spacing), so phones and capacity are not flooded."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="campaigns")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    description = models.TextField(_("what it offers"), blank=True)
    is_oem = models.BooleanField(_("OEM campaign"), default=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    # Segment: empty means "any".
    models_text = models.CharField(
        _("models"), max_length=300, blank=True, help_text=_("Comma-separated model names; empty for all.")
    )
    model_year_from = models.PositiveSmallIntegerField(_("model year from"), null=True, blank=True)
    model_year_to = models.PositiveSmallIntegerField(_("model year to"), null=True, blank=True)
    vin_from = models.CharField(_("VIN from"), max_length=17, blank=True)
    vin_to = models.CharField(_("VIN to"), max_length=17, blank=True)
    last_visit_before = models.DateField(_("last visit before"), null=True, blank=True)
    last_visit_after = models.DateField(_("last visit after"), null=True, blank=True)
    lifecycles = models.JSONField(_("lifecycle classes"), default=list, blank=True)
    km_from = models.PositiveIntegerField(_("odometer from (km)"), null=True, blank=True)
    km_to = models.PositiveIntegerField(_("odometer to (km)"), null=True, blank=True)
    # Batches.
    batch_size = models.PositiveSmallIntegerField(
        _("customers per batch"), default=50, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    batch_interval_hours = models.PositiveSmallIntegerField(
        _("hours between batches"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)]
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    last_batch_at = models.DateTimeField(_("last batch sent"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("service campaign")
        verbose_name_plural = _("service campaigns")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "code"], name="campaign_code_per_station"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- messages ------------------------------------------------------------------------------


class MessageStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("message", "Queued")
    SENT = "sent", pgettext_lazy("message", "Sent")
    FAILED = "failed", pgettext_lazy("message", "Failed")


class MessageTemplate(models.Model):
    """Wording of an automated message per kind, channel and language; a
    station's own template wins over the default (dealer empty). The body is a
    Django template with customer, vehicle, dealer, due_date, appointment."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=150, blank=True)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["kind", "channel", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "kind", "channel", "language"],
                condition=Q(dealer__isnull=False),
                name="message_template_unique_per_station",
            ),
            models.UniqueConstraint(
                fields=["kind", "channel", "language"],
                condition=Q(dealer__isnull=True),
                name="message_template_unique_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.language}"


class Message(models.Model):
    """One SMS, e-mail or letter to a customer. The unique occurrence key
    (task and what the message is for) makes sending twice impossible, also
    when the worker retries; letters are sent by printing them in a batch."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="messages")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="messages")
    task = models.ForeignKey(ContactTask, on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=200)
    subject = models.CharField(_("subject"), max_length=150, blank=True)
    body = models.TextField(_("text"))
    occurrence_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["created_at"], name="message_queued_idx", condition=Q(status="queued")),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}"
