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


# ---------------------------------------------------------------------------
# Step 2 preparation (准备工作): a checklist per appointment, parts reserved
# against stock, a small loaner fleet per station.
# ---------------------------------------------------------------------------


class ItemKind(models.TextChoices):
    INFORMATION = "information", _("Information collected")
    PARTS = "parts", _("Parts reserved and placed")
    TECHNICIAN = "technician", _("Technician assigned")
    TOOLS = "tools", _("Special tools and technical documents")
    LOANER = "loaner", _("Substitute car reserved")
    DRAFT = "draft", _("Work order draft ready")


class ItemState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    PROBLEM = "problem", _("Problem")
    NOT_NEEDED = "not_needed", _("Not needed")


# States that let the advisor report the appointment ready.
ITEM_SETTLED = (ItemState.DONE, ItemState.NOT_NEEDED)


class PreparationQuerySet(StationScopedQuerySet):
    def with_problem(self):
        return self.filter(problem_since__isnull=False)


class Preparation(models.Model):
    """The preparation checklist of one appointment, opened when it is booked."""

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="preparation")
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="preparations")
    technician = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prepared_jobs",
        verbose_name=_("technician"),
    )
    tools_note = models.TextField(_("special tools and technical documents"), blank=True)
    draft_request = models.TextField(_("work order draft: the customer's request"), blank=True)
    # Set while at least one item is a problem: the follow-up rule owes the
    # customer a call for each such period (dedupe key: appointment + this time).
    problem_since = models.DateTimeField(_("problem since"), null=True, blank=True)
    ready_at = models.DateTimeField(_("reported ready at"), null=True, blank=True)
    ready_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PreparationQuerySet.as_manager()

    class Meta:
        verbose_name = _("preparation")
        verbose_name_plural = _("preparations")
        indexes = [
            models.Index(
                fields=["problem_since"], name="preparation_problem_idx", condition=Q(problem_since__isnull=False)
            )
        ]

    def __str__(self) -> str:
        return str(self.appointment)

    @property
    def is_ready(self) -> bool:
        return self.ready_at is not None


class PreparationItem(models.Model):
    """One line of the checklist: what, whose job, its state, who and when."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("item"), max_length=15, choices=ItemKind.choices)
    owner_role = models.CharField(_("owner"), max_length=20)
    state = models.CharField(_("state"), max_length=12, choices=ItemState.choices, default=ItemState.OPEN)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["preparation", "pk"]
        verbose_name = _("preparation item")
        verbose_name_plural = _("preparation items")
        constraints = [models.UniqueConstraint(fields=["preparation", "kind"], name="preparation_item_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_state_display()}"

    @property
    def owner_label(self) -> str:
        from dealers.models import Role

        return Role(self.owner_role).label


class ReservationState(models.TextChoices):
    NEEDED = "needed", _("To reserve")
    RESERVED = "reserved", _("Reserved")
    PLACED = "placed", _("Placed, labelled with the plate")
    SHORTAGE = "shortage", _("Shortage")


# Reservations in these states hold stock away from other appointments.
RESERVATION_HOLDS = (ReservationState.RESERVED, ReservationState.PLACED)


class PartReservation(models.Model):
    """A part an appointment needs, reserved against the station's stock.

    Stock on hand is not changed here: the workshop issues the part later.
    Available = stock on hand − what other live appointments hold."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="reservations")
    part = models.ForeignKey("dealers.Part", on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(
        _("quantity"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ReservationState.choices, default=ReservationState.NEEDED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["preparation", "part__number"]
        verbose_name = _("part reservation")
        verbose_name_plural = _("part reservations")
        constraints = [
            models.UniqueConstraint(fields=["preparation", "part"], name="part_reservation_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="part_reservation_quantity_positive"),
        ]
        indexes = [models.Index(fields=["part", "state"])]

    def __str__(self) -> str:
        return f"{self.part} × {self.quantity}"


class LoanerCar(models.Model):
    """A substitute car (替代车) of the station's small loaner fleet."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="loaner_cars")
    plate = models.CharField(_("plate"), max_length=12)
    model = models.CharField(_("model"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["dealer", "plate"]
        verbose_name = _("substitute car")
        verbose_name_plural = _("substitute cars")
        constraints = [models.UniqueConstraint(fields=["dealer", "plate"], name="loaner_plate_per_station")]

    def __str__(self) -> str:
        return f"{self.plate} {self.model}"


class LoanerReservation(models.Model):
    """A substitute car lent for an appointment, from the arrival day to the
    delivery day inclusive. Overlaps are refused under a lock on the car."""

    loaner = models.ForeignKey(LoanerCar, on_delete=models.PROTECT, related_name="reservations")
    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="loaner_reservation")
    from_day = models.DateField(_("from"))
    to_day = models.DateField(_("to"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["loaner", "from_day"]
        verbose_name = _("substitute car reservation")
        verbose_name_plural = _("substitute car reservations")
        constraints = [
            models.CheckConstraint(condition=Q(to_day__gte=models.F("from_day")), name="loaner_days_in_order"),
        ]
        indexes = [models.Index(fields=["loaner", "from_day", "to_day"])]

    def __str__(self) -> str:
        return f"{self.loaner} {self.from_day:%m-%d}–{self.to_day:%m-%d}"
