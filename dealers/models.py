"""The dealership's master data: stations, staff and roles, bays, duty roster
and the catalogues of labour operations, parts and service packages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealers.audit import Audited

SKILL_GRADES = [(1, _("Grade 1 (apprentice)")), (2, _("Grade 2")), (3, _("Grade 3")), (4, _("Grade 4 (master)"))]
skill_grade_validators = [MinValueValidator(1), MaxValueValidator(4)]


class DealerQuerySet(models.QuerySet):
    def for_user(self, user) -> DealerQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.filter(is_active=True)
        return self.filter(is_active=True, staff__user=user)


class Dealer(models.Model):
    """A service station (服务站). Every business row carries its dealer."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    vat_rate = models.DecimalField(
        _("VAT rate"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.1300"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("As a fraction: 0.13 is 13 %."),
    )
    labour_rate = models.DecimalField(
        _("labour rate per hour"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("180.00"),
        validators=[MinValueValidator(0)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Appointment and capacity settings (SPEC.md: every number a per-station rule).
    slot_minutes = models.PositiveSmallIntegerField(
        _("appointment slot (minutes)"), default=30, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    productive_share = models.DecimalField(
        _("productive share of duty hours"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.85"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(1)],
        help_text=_("The part of a technician's duty hours that can be booked: 0.85 is 85 %."),
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        _("no-show after (minutes late)"), default=30, validators=[MaxValueValidator(24 * 60)]
    )
    confirm_first_hours = models.PositiveSmallIntegerField(
        _("first confirmation call (hours before)"), default=72, validators=[MaxValueValidator(24 * 14)]
    )
    confirm_second_hours = models.PositiveSmallIntegerField(
        _("second confirmation call (hours before)"), default=24, validators=[MaxValueValidator(24 * 14)]
    )
    confirm_advisor_hours = models.PositiveSmallIntegerField(
        _("advisor's confirmation (hours before)"), default=1, validators=[MaxValueValidator(48)]
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        _("bookable days ahead"), default=60, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    # Reception (step 3).
    comeback_window_days = models.PositiveSmallIntegerField(
        _("comeback window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A repair order can be marked as comeback of one delivered within this many days."),
    )
    parallel_jobs = models.BooleanField(
        _("a technician may run two jobs at once"),
        default=False,
        help_text=_("Off: a technician pauses or finishes one job before starting another."),
    )
    max_discount_percent = models.DecimalField(
        _("largest discount without a manager (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    # Follow-up (step 7, SPEC.md "Outbound contact rules" and "Reminders").
    callback_days = models.PositiveSmallIntegerField(
        _("after-sales callback within (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    survey_answer_hours = models.PositiveSmallIntegerField(
        _("answer a dissatisfied customer within (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )
    first_maintenance_months = models.PositiveSmallIntegerField(
        _("first maintenance (months after sale)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    maintenance_interval_km = models.PositiveIntegerField(
        _("maintenance interval (km)"),
        default=10_000,
        validators=[MinValueValidator(1_000), MaxValueValidator(100_000)],
    )
    maintenance_interval_months = models.PositiveSmallIntegerField(
        _("maintenance interval (months)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    reminder_lead_days = models.PositiveSmallIntegerField(
        _("remind before a due date (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Scheduled maintenance and declined work: the reminder comes this many days before."),
    )
    warranty_first_days = models.PositiveSmallIntegerField(
        _("first warranty-expiry reminder (days before)"), default=30, validators=[MaxValueValidator(365)]
    )
    warranty_second_days = models.PositiveSmallIntegerField(
        _("second warranty-expiry reminder (days before)"), default=14, validators=[MaxValueValidator(365)]
    )
    dormant_months = models.PositiveSmallIntegerField(
        _("dormant after (months without a visit)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    lost_months = models.PositiveSmallIntegerField(
        _("lost after (months without a visit)"), default=12, validators=[MinValueValidator(2), MaxValueValidator(120)]
    )
    new_owner_days = models.PositiveSmallIntegerField(
        _("new-owner callback (days after sale)"), default=5, validators=[MaxValueValidator(60)]
    )
    call_attempts = models.PositiveSmallIntegerField(
        _("call attempts before SMS or letter"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    call_retry_days = models.PositiveSmallIntegerField(
        _("spread the attempts over (days)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    calls_from = models.TimeField(_("calls from"), default=dt.time(9, 0))
    calls_until = models.TimeField(_("calls until"), default=dt.time(20, 0))
    calls_blocked_from = models.TimeField(
        _("no calls from"), null=True, blank=True, default=dt.time(12, 0), help_text=_("Rest time or peak hours.")
    )
    calls_blocked_until = models.TimeField(_("no calls until"), null=True, blank=True, default=dt.time(14, 0))
    conversion_window_days = models.PositiveSmallIntegerField(
        _("a reminder counts as converted within (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )

    objects = DealerQuerySet.as_manager()
    # The station's prices only: the labour rate, VAT and the discount limit.
    history = Audited(only=("code", "name", "labour_rate", "vat_rate", "max_discount_percent"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("service station")
        verbose_name_plural = _("service stations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.warranty_second_days >= self.warranty_first_days:
            errors["warranty_second_days"] = _("The second reminder comes after the first: fewer days before.")
        if self.lost_months <= self.dormant_months:
            errors["lost_months"] = _("A customer is lost later than dormant: more months.")
        if self.calls_from >= self.calls_until:
            errors["calls_until"] = _("Calls end after they start.")
        if (self.calls_blocked_from is None) != (self.calls_blocked_until is None):
            errors["calls_blocked_until"] = _("Give both ends of the blocked time, or neither.")
        elif self.calls_blocked_from and self.calls_blocked_from >= self.calls_blocked_until:
            errors["calls_blocked_until"] = _("The blocked time ends after it starts.")
        if errors:
            raise ValidationError(errors)

    def opening_hours_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """Opening and closing time on a day, or None when closed."""
        if self.holidays.filter(date=day).exists():
            return None
        hours = self.opening_hours.filter(weekday=day.weekday()).first()
        return (hours.opens, hours.closes) if hours else None


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """Opening hours on one weekday; a weekday without a row is closed."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["dealer", "weekday"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "weekday"], name="opening_hours_one_per_weekday"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="opening_hours_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100, blank=True)

    class Meta:
        ordering = ["dealer", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["dealer", "date"], name="holiday_one_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Role(models.TextChoices):
    SERVICE_ADVISOR = "advisor", _("Service advisor")
    DISPATCHER = "dispatcher", _("Workshop dispatcher")
    TECHNICIAN = "technician", _("Technician")
    SPECIALIST = "specialist", _("Customer-service specialist")
    PARTS_CLERK = "parts_clerk", _("Parts clerk")
    CASHIER = "cashier", _("Cashier")
    SERVICE_MANAGER = "manager", _("Service manager")
    CALL_CENTER = "call_center", _("Call-center agent")


class StaffMember(models.Model):
    """A person of the service department, linked to a login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    dealers = models.ManyToManyField(Dealer, related_name="staff", verbose_name=_("stations"))
    display_name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    skill_grade = models.PositiveSmallIntegerField(
        _("skill grade"),
        choices=SKILL_GRADES,
        null=True,
        blank=True,
        validators=skill_grade_validators,
        help_text=_("Technicians only: the highest operation grade they may do."),
    )

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return self.display_name

    @property
    def role_set(self) -> frozenset[str]:
        # Roles are prefetched where staff are listed; one query otherwise.
        return frozenset(r.role for r in self.roles.all())

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))


class StaffRole(models.Model):
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["staff", "role"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["staff", "role"], name="staff_role_once")]

    def __str__(self) -> str:
        return self.get_role_display()


class BayType(models.TextChoices):
    GENERAL = "general", _("General repair")
    QUICK = "quick", _("Quick service")
    BODY_PAINT = "body_paint", _("Body & paint")
    ALIGNMENT = "alignment", _("Alignment")


class Bay(models.Model):
    """A workshop bay (工位)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="bays")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=50)
    bay_type = models.CharField(_("type"), max_length=20, choices=BayType.choices, default=BayType.GENERAL)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["dealer", "code"]
        verbose_name = _("bay")
        verbose_name_plural = _("bays")
        constraints = [models.UniqueConstraint(fields=["dealer", "code"], name="bay_code_per_dealer")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RosterEntry(models.Model):
    """A technician on duty on one day (排班), the base of workshop capacity."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="roster")
    technician = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="roster")
    date = models.DateField(_("date"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    break_minutes = models.PositiveSmallIntegerField(_("break (minutes)"), default=60)

    class Meta:
        ordering = ["dealer", "date", "technician"]
        verbose_name = _("duty roster entry")
        verbose_name_plural = _("duty roster")
        constraints = [
            models.UniqueConstraint(fields=["technician", "date"], name="roster_one_shift_per_day"),
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="roster_ends_after_starts"),
        ]
        indexes = [models.Index(fields=["dealer", "date"])]

    def __str__(self) -> str:
        return f"{self.technician} {self.date:%Y-%m-%d}"

    def clean(self) -> None:
        if self.technician_id and self.dealer_id and not self.technician.dealers.filter(pk=self.dealer_id).exists():
            raise ValidationError({"technician": _("This person does not work at this station.")})

    @property
    def hours(self) -> Decimal:
        start = dt.datetime.combine(self.date, self.starts)
        end = dt.datetime.combine(self.date, self.ends)
        minutes = max(0, (end - start).seconds // 60 - self.break_minutes)
        return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


class JobType(models.TextChoices):
    """The purpose of a visit, as the seeds name it."""

    MAINTENANCE = "maintenance", _("Scheduled maintenance")
    REPAIR = "repair", _("General repair")
    BODY_PAINT = "body_paint", _("Body & paint")


class CatalogueQuerySet(models.QuerySet):
    def for_dealer(self, dealer: Dealer):
        return self.filter(dealer=dealer)

    def active(self):
        return self.filter(is_active=True)


class LabourOperation(models.Model):
    """A labour operation with its flat-rate time (工时)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="labour_operations")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices, default=JobType.REPAIR)
    flat_rate_hours = models.DecimalField(
        _("flat-rate hours"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.05"))]
    )
    required_skill_grade = models.PositiveSmallIntegerField(
        _("required skill grade"), choices=SKILL_GRADES, default=1, validators=skill_grade_validators
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = CatalogueQuerySet.as_manager()
    # Flat-rate time × the station's labour rate is the operation's price.
    history = Audited()

    class Meta:
        ordering = ["dealer", "code"]
        verbose_name = _("labour operation")
        verbose_name_plural = _("labour operations")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "code"], name="labour_operation_code_per_dealer"),
            models.CheckConstraint(condition=Q(flat_rate_hours__gt=0), name="labour_operation_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Part(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="parts")
    number = models.CharField(_("part number"), max_length=40)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=10, default="件")
    unit_price = models.DecimalField(
        _("unit price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    stock_on_hand = models.DecimalField(
        _("stock on hand"), max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = CatalogueQuerySet.as_manager()
    # The price, not the stock: issuing parts moves stock on every order.
    history = Audited(excluded_fields=["stock_on_hand"])

    class Meta:
        ordering = ["dealer", "number"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "number"], name="part_number_per_dealer"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="part_price_not_negative"),
            models.CheckConstraint(condition=Q(stock_on_hand__gte=0), name="part_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ServicePackage(models.Model):
    """A named bundle of operations and parts, e.g. the 10,000 km maintenance."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="service_packages")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices, default=JobType.MAINTENANCE)
    operations = models.ManyToManyField(LabourOperation, related_name="packages", verbose_name=_("labour operations"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["dealer", "code"]
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        constraints = [models.UniqueConstraint(fields=["dealer", "code"], name="service_package_code_per_dealer")]

    def __str__(self) -> str:
        return self.name


class PackagePart(models.Model):
    package = models.ForeignKey(ServicePackage, on_delete=models.CASCADE, related_name="package_parts")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(
        _("quantity"), max_digits=8, decimal_places=2, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        verbose_name = _("package part")
        verbose_name_plural = _("package parts")
        constraints = [
            models.UniqueConstraint(fields=["package", "part"], name="package_part_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="package_part_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.part} × {self.quantity}"

    def clean(self) -> None:
        if self.part_id and self.package_id and self.part.dealer_id != self.package.dealer_id:
            raise ValidationError({"part": _("A package can only contain parts of its own station.")})
