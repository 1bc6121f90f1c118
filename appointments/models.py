"""Step 1 appointment (预约) and step 2 preparation (准备工作)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import ContactChannel, Customer, Vehicle
from dealers.models import Dealer, JobType, LabourOperation, ServicePackage, StaffMember
from dealers.stations import StationScopedQuerySet


class Status(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    ARRIVED = "arrived", _("Arrived")
    CONVERTED = "converted", _("Converted to repair order")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    NO_SHOW = "no_show", _("No-show")


# Appointments that hold workshop capacity and are expected at the desk.
ACTIVE = (Status.BOOKED, Status.CONFIRMED)
HOLDS_CAPACITY = (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED)

# The one table of allowed transitions (STYLE.md 4).
TRANSITIONS: dict[str, set[str]] = {
    Status.BOOKED: {Status.CONFIRMED, Status.ARRIVED, Status.CANCELLED, Status.RESCHEDULED, Status.NO_SHOW},
    Status.CONFIRMED: {Status.ARRIVED, Status.CANCELLED, Status.RESCHEDULED, Status.NO_SHOW},
    Status.ARRIVED: {Status.CONVERTED},
    Status.NO_SHOW: {Status.ARRIVED},  # a late customer still turns up
    Status.CONVERTED: set(),
    Status.CANCELLED: set(),
    Status.RESCHEDULED: set(),
}


class Source(models.TextChoices):
    PHONE = "phone", _("Phone call (passive)")
    WALK_IN = "walk_in", _("Walk-in")
    ONLINE = "online", _("Online self-booking")
    ACTIVE = "active", _("Our invitation (active)")
    WALK_IN_CARD = "walk_in_card", _("Appointment card given to a waiting walk-in")


class ArrivalMode(models.TextChoices):
    DRIVE_IN = "drive_in", _("Customer drives in")
    PICK_UP = "pick_up", _("We pick the car up")


class AppointmentQuerySet(StationScopedQuerySet):
    def holding_capacity(self):
        return self.filter(status__in=HOLDS_CAPACITY)

    def active(self):
        return self.filter(status__in=ACTIVE)

    def on_day(self, day):
        return self.filter(arrives_at__date=day)


class Appointment(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="appointments")
    number = models.CharField(_("number"), max_length=20)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="appointments")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="appointments")
    advisor = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("service advisor")
    )
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices)
    arrives_at = models.DateTimeField(_("arrival"))
    hours = models.DecimalField(
        _("estimated labour hours"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.1"))]
    )
    skill_grade = models.PositiveSmallIntegerField(_("required skill grade"), default=1)
    ready_at = models.DateTimeField(_("tentative delivery"))
    labour_price = models.DecimalField(_("estimated labour price"), max_digits=10, decimal_places=2, default=0)
    parts_price = models.DecimalField(_("estimated parts price"), max_digits=10, decimal_places=2, default=0)
    request = models.TextField(_("request in the customer's words"))
    substitute_car = models.BooleanField(_("substitute car needed"), default=False)
    arrival_mode = models.CharField(
        _("arrival"), max_length=10, choices=ArrivalMode.choices, default=ArrivalMode.DRIVE_IN
    )
    contact_channel = models.CharField(
        _("channel for reminders"), max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    offers = models.CharField(_("special offers proposed"), max_length=200, blank=True)
    offers_accepted = models.BooleanField(_("offers accepted"), default=False)
    source = models.CharField(_("source"), max_length=15, choices=Source.choices, default=Source.PHONE)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["arrives_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "number"], name="appointment_number_per_station"),
            models.CheckConstraint(
                condition=Q(ready_at__gt=models.F("arrives_at")), name="appointment_ready_after_arrival"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="appointment_hours_positive"),
        ]
        indexes = [
            models.Index(fields=["dealer", "arrives_at"]),
            models.Index(
                fields=["dealer", "status", "arrives_at"],
                name="appointment_active_idx",
                condition=Q(status__in=["booked", "confirmed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.vehicle}"

    @property
    def price(self) -> Decimal:
        return self.labour_price + self.parts_price

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class AppointmentLine(models.Model):
    """A labour operation or a service package the customer asked for."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="lines")
    operation = models.ForeignKey(LabourOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    package = models.ForeignKey(ServicePackage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=120)
    hours = models.DecimalField(_("flat-rate hours"), max_digits=5, decimal_places=2)
    labour_price = models.DecimalField(_("labour price"), max_digits=10, decimal_places=2)
    parts_price = models.DecimalField(_("parts price"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("appointment line")
        verbose_name_plural = _("appointment lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(operation__isnull=False, package__isnull=True)
                | Q(operation__isnull=True, package__isnull=False),
                name="appointment_line_operation_or_package",
            )
        ]

    def __str__(self) -> str:
        return self.description


class AppointmentEvent(models.Model):
    """Every state change, for the log and for figures (show rate, no-shows)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["appointment", "at", "pk"]
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status} → {self.to_status}"
