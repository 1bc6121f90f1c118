"""The customer & vehicle file (用户档案): contact data, lifecycle, vehicles,
ownership history and odometer readings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.validators import (
    normalize_phone,
    normalize_plate,
    normalize_vin,
    validate_phone,
    validate_plate,
    validate_vin,
)
from dealers.models import Dealer
from dealers.stations import StationScopedQuerySet


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class ContactTime(models.TextChoices):
    ANY = "any", _("Any time")
    MORNING = "morning", _("Morning (9–12)")
    AFTERNOON = "afternoon", _("Afternoon (14–17)")
    EVENING = "evening", _("Evening (18–20)")
    WEEKEND = "weekend", _("Weekends only")


class Lifecycle(models.TextChoices):
    """Lifecycle classes of the seeds (客户生命周期)."""

    POTENTIAL = "potential", _("Potential customer")
    OWNER = "owner", pgettext_lazy("lifecycle class", "Owner")
    CLUB = "club", _("Club member (normal card)")
    CLUB_VIP = "club_vip", _("Club member (VIP card)")
    LOYAL = "loyal", _("Loyal customer")
    CORE = "core", _("Core member")


class Customer(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="customers")
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, validators=[validate_phone])
    phone2 = models.CharField(_("second phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_channel = models.CharField(
        _("preferred contact channel"), max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    preferred_time = models.CharField(
        _("preferred contact time"), max_length=10, choices=ContactTime.choices, default=ContactTime.ANY
    )
    marketing_consent = models.BooleanField(_("agrees to marketing contact"), default=False)
    lifecycle = models.CharField(
        _("lifecycle class"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.OWNER
    )
    club_since = models.DateField(_("club member since"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["dealer", "phone"]),
            models.Index(fields=["dealer", "name"]),
            models.Index(fields=["dealer", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def previous_ownerships(self) -> list[Ownership]:
        """Vehicles this customer no longer owns; reads prefetched ownerships."""
        return [o for o in self.ownerships.all() if o.until]

    def clean(self) -> None:
        self.phone = normalize_phone(self.phone)
        self.phone2 = normalize_phone(self.phone2) if self.phone2 else ""


class VehicleQuerySet(StationScopedQuerySet):
    pass


class Vehicle(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="vehicles")
    owner = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("owner"))
    # Blank only for a car a customer registered on the public booking page
    # without it: the advisor completes it from the 行驶证 at reception.
    vin = models.CharField(
        _("VIN"), max_length=17, blank=True, validators=[validate_vin], help_text=_("17 characters (车架号).")
    )
    plate = models.CharField(_("plate"), max_length=10, blank=True, validators=[validate_plate])
    engine_number = models.CharField(_("engine number"), max_length=30, blank=True)
    make = models.CharField(_("make"), max_length=30)
    model = models.CharField(_("model"), max_length=50)
    model_year = models.PositiveSmallIntegerField(
        _("model year"), null=True, blank=True, validators=[MinValueValidator(1980), MaxValueValidator(2100)]
    )
    variant = models.CharField(_("variant"), max_length=80, blank=True)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    sale_date = models.DateField(_("sale date"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = VehicleQuerySet.as_manager()

    class Meta:
        ordering = ["plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "vin"], condition=~Q(vin=""), name="vehicle_vin_once_per_station"
            ),
            models.UniqueConstraint(
                fields=["dealer", "plate"], condition=~Q(plate=""), name="vehicle_plate_once_per_station"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "plate"])]

    def __str__(self) -> str:
        return self.plate or self.vin

    def clean(self) -> None:
        self.vin = normalize_vin(self.vin)
        self.plate = normalize_plate(self.plate)
        if self.sale_date and self.warranty_end and self.warranty_end < self.sale_date:
            raise ValidationError({"warranty_end": _("The warranty cannot end before the sale date.")})

    @property
    def last_reading(self) -> OdometerReading | None:
        readings = self.odometer_readings.all()
        return max(readings, key=lambda r: (r.read_on, r.pk), default=None)


class Ownership(models.Model):
    """Who owned a vehicle when; the row with no end is the current owner."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="ownerships")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="ownerships")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vehicle", "-since", "-pk"]
        verbose_name = _("ownership")
        verbose_name_plural = _("ownership history")
        constraints = [
            models.UniqueConstraint(fields=["vehicle"], condition=Q(until__isnull=True), name="ownership_one_current"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="ownership_until_after_since"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} — {self.customer}"


class OdometerSource(models.TextChoices):
    SALE = "sale", _("Vehicle sale")
    RECEPTION = "reception", _("Reception walk-around")
    CUSTOMER = "customer", _("Told by the customer")
    CONTACT = "contact", _("Follow-up contact")
    CORRECTION = "correction", _("Correction")
    IMPORT = "import", _("Data import")


class OdometerReading(models.Model):
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="odometer_readings")
    km = models.PositiveIntegerField(_("odometer (km)"), validators=[MaxValueValidator(2_000_000)])
    read_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=12, choices=OdometerSource.choices)
    correction_reason = models.CharField(
        _("correction reason"),
        max_length=200,
        blank=True,
        help_text=_("Required when the reading is lower than the last one (e.g. instrument cluster replaced)."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vehicle", "-read_on", "-pk"]
        verbose_name = _("odometer reading")
        verbose_name_plural = _("odometer readings")
        indexes = [models.Index(fields=["vehicle", "-read_on"])]

    def __str__(self) -> str:
        return f"{self.km} km ({self.read_on:%Y-%m-%d})"
