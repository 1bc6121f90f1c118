"""Step 3 reception and work order (接车/制单): the arrival queue, the repair
order with its inquiry sheet, walk-around, estimate lines, consent records,
parts orders and parts issue notices.

The repair order (RO) is the spine of every later step. Its states and the
one table of allowed transitions live here; every change goes through
`reception.services.repair_order_transition`, which writes the event log.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from appointments.models import Appointment
from customers.models import Customer, OdometerReading, Vehicle
from dealers.audit import Audited, KeepSigned, KeepSignedQuerySet
from dealers.models import Dealer, JobType, LabourOperation, Part, ServicePackage, StaffMember
from dealers.stations import StationScopedQuerySet

# --- the repair order ------------------------------------------------------------


class ROStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (estimate not agreed)")
    OPEN = "open", _("Open (estimate agreed)")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_APPROVAL = "waiting_approval", _("Waiting for approval")
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")
    QUALITY_CHECK = "quality_check", _("Quality check")
    REWORK = "rework", _("Rework")
    READY = "ready", _("Ready (washed)")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# An RO in one of these states holds its vehicle: at most one per vehicle.
RO_OPEN_STATES = (
    ROStatus.DRAFT,
    ROStatus.OPEN,
    ROStatus.IN_PROGRESS,
    ROStatus.WAITING_APPROVAL,
    ROStatus.WAITING_PARTS,
    ROStatus.QUALITY_CHECK,
    ROStatus.REWORK,
    ROStatus.READY,
)

# The one table of allowed transitions (STYLE.md 4; ARCHITECTURE.md "State and history").
RO_TRANSITIONS: dict[str, set[str]] = {
    ROStatus.DRAFT: {ROStatus.OPEN, ROStatus.CANCELLED},
    ROStatus.OPEN: {ROStatus.IN_PROGRESS, ROStatus.WAITING_PARTS, ROStatus.CANCELLED},
    ROStatus.IN_PROGRESS: {ROStatus.WAITING_APPROVAL, ROStatus.WAITING_PARTS, ROStatus.QUALITY_CHECK},
    ROStatus.WAITING_APPROVAL: {ROStatus.IN_PROGRESS},
    ROStatus.WAITING_PARTS: {ROStatus.IN_PROGRESS},
    ROStatus.QUALITY_CHECK: {ROStatus.READY, ROStatus.REWORK},
    ROStatus.REWORK: {ROStatus.QUALITY_CHECK},
    ROStatus.READY: {ROStatus.DELIVERED},
    ROStatus.DELIVERED: {ROStatus.CLOSED},
    ROStatus.CLOSED: set(),
    ROStatus.CANCELLED: set(),
}


class WaitingMode(models.TextChoices):
    LOUNGE = "lounge", _("Waits in the lounge")
    LEAVES = "leaves", _("Leaves the car")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    TRANSFER = "transfer", _("Bank transfer")
    INSURANCE = "insurance", _("Insurance claim")
    WARRANTY = "warranty", _("Warranty (no charge)")


class ComebackCause(models.TextChoices):
    WORKMANSHIP = "workmanship", _("Workmanship")
    PARTS = "parts", _("Parts")
    CUSTOMER = "customer", _("Customer responsibility")


class RepairOrderQuerySet(StationScopedQuerySet):
    def open(self):
        return self.filter(status__in=RO_OPEN_STATES)


class RepairOrder(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="repair_orders")
    number = models.CharField(_("number"), max_length=20)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="repair_orders")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="repair_orders")
    advisor = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="repair_orders", verbose_name=_("service advisor")
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="repair_order"
    )
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices)
    purpose = models.TextField(_("purpose of the visit"), blank=True)
    special_needs = models.CharField(_("special needs"), max_length=300, blank=True)
    waiting = models.CharField(_("customer"), max_length=10, choices=WaitingMode.choices, default=WaitingMode.LEAVES)
    transport_note = models.CharField(_("transport arranged"), max_length=200, blank=True)
    payment_method = models.CharField(
        _("payment method told"), max_length=12, choices=PaymentMethod.choices, blank=True
    )
    keys_received_at = models.DateTimeField(_("keys received"), null=True, blank=True)
    keys_returned_at = models.DateTimeField(_("keys returned"), null=True, blank=True)
    registration_received_at = models.DateTimeField(_("registration certificate received"), null=True, blank=True)
    registration_returned_at = models.DateTimeField(_("registration certificate returned"), null=True, blank=True)
    comeback_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comebacks",
        verbose_name=_("comeback of"),
    )
    comeback_cause = models.CharField(_("comeback cause"), max_length=12, choices=ComebackCause.choices, blank=True)
    # Agreed with the estimate (the consent record keeps its own copy).
    promised_at = models.DateTimeField(_("promised completion"), null=True, blank=True)
    wished_pickup_at = models.DateTimeField(_("customer's wished pickup"), null=True, blank=True)
    tolerance_amount = models.DecimalField(
        _("price tolerance (¥)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Later changes within this amount need no new consent."),
    )
    tolerance_minutes = models.PositiveIntegerField(
        _("time tolerance (minutes)"), default=0, help_text=_("Later delays within this need no new consent.")
    )
    discount_reason = models.CharField(_("discount reason"), max_length=200, blank=True)
    discount_approved_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("discount approved by"),
    )
    status = models.CharField(_("status"), max_length=20, choices=ROStatus.choices, default=ROStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    objects = RepairOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "number"], name="repair_order_number_per_station"),
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(status__in=[s.value for s in RO_OPEN_STATES]),
                name="one_open_repair_order_per_vehicle",
            ),
            models.CheckConstraint(
                condition=Q(comeback_of__isnull=True, comeback_cause="")
                | Q(comeback_of__isnull=False) & ~Q(comeback_cause=""),
                name="repair_order_comeback_has_cause",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "status"]),
            models.Index(fields=["vehicle", "-created_at"]),
            # Last visits (dormant, lost) and the figures read a station's orders by date.
            models.Index(fields=["dealer", "created_at"], name="ro_dealer_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.vehicle}"

    @property
    def is_open(self) -> bool:
        return self.status in RO_OPEN_STATES


class RepairOrderEvent(models.Model):
    """Every state change of an RO, for the log and for figures."""

    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ROStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ROStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["repair_order", "at", "pk"]
        verbose_name = _("repair order event")
        verbose_name_plural = _("repair order events")
        # The callback rule and the figures read deliveries (and other moves) by time.
        indexes = [models.Index(fields=["to_status", "at"], name="ro_event_to_status_at_idx")]

    def __str__(self) -> str:
        return f"{self.repair_order_id}: {self.from_status} → {self.to_status}"


# --- the arrival queue ----------------------------------------------------------------


class ArrivalQuerySet(StationScopedQuerySet):
    def waiting(self):
        return self.filter(served_at__isnull=True, left_at__isnull=True).order_by("arrived_at", "pk")


class Arrival(models.Model):
    """A customer at the desk, served in arrival order. An appointment
    customer is known by name; a walk-in may be known only by plate."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="arrivals")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="arrival"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=60, blank=True)
    plate = models.CharField(_("plate"), max_length=12, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"))
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    served_by = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    left_at = models.DateTimeField(_("left without service at"), null=True, blank=True)
    repair_order = models.OneToOneField(
        RepairOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="arrival"
    )

    objects = ArrivalQuerySet.as_manager()

    class Meta:
        ordering = ["arrived_at", "pk"]
        verbose_name = _("arrival")
        verbose_name_plural = _("arrivals")
        indexes = [models.Index(fields=["dealer", "served_at", "arrived_at"])]

    def __str__(self) -> str:
        return f"{self.plate or self.name} {self.arrived_at:%H:%M}"


# --- inquiry sheet (问诊表) -----------------------------------------------------------


class Frequency(models.TextChoices):
    ALWAYS = "always", _("Always")
    OFTEN = "often", _("Often")
    SOMETIMES = "sometimes", _("Sometimes")
    ONCE = "once", _("Once so far")


class InquirySheet(models.Model):
    """询问故障现象 → 故障再次确认 → 推测故障原因. `conditions` holds the codes
    of the closed questions answered yes (reception.inquiry.CONDITIONS)."""

    repair_order = models.OneToOneField(RepairOrder, on_delete=models.CASCADE, related_name="inquiry")
    symptom = models.TextField(_("symptom in the customer's words"), blank=True)
    first_noticed = models.CharField(_("since when"), max_length=100, blank=True)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices, blank=True)
    where_when = models.CharField(_("where and when it occurs"), max_length=300, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    warning_lights = models.CharField(_("warning lights on"), max_length=200, blank=True)
    reconfirmed = models.BooleanField(_("fault re-confirmed with the customer"), default=False)
    reconfirmation_note = models.CharField(_("re-confirmation"), max_length=300, blank=True)
    presumed_cause = models.TextField(_("presumed cause"), blank=True)
    road_test_needed = models.BooleanField(_("road test needed"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("inquiry sheet")
        verbose_name_plural = _("inquiry sheets")

    def __str__(self) -> str:
        return f"{self.repair_order.number}: {self.symptom[:40]}"


# --- walk-around (环车检查) -------------------------------------------------------------


class WalkAround(models.Model):
    """Done with the customer at the car. `checks` maps a check code
    (reception.walkaround.CHECKS) to "ok" or "fault"."""

    repair_order = models.OneToOneField(RepairOrder, on_delete=models.CASCADE, related_name="walk_around")
    odometer = models.ForeignKey(
        OdometerReading, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("odometer")
    )
    fuel_eighths = models.PositiveSmallIntegerField(
        _("fuel level (eighths)"), null=True, blank=True, validators=[MaxValueValidator(8)]
    )
    checks = models.JSONField(_("function checks"), default=dict, blank=True)
    valuables = models.CharField(_("valuables left in the car"), max_length=300, blank=True)
    valuables_reminded = models.BooleanField(_("customer reminded to take valuables"), default=False)
    protective_kit = models.BooleanField(_("protective kit applied (三件套)"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("walk-around")
        verbose_name_plural = _("walk-arounds")

    def __str__(self) -> str:
        return f"{self.repair_order.number}"


class DamageView(models.TextChoices):
    TOP = "top", _("Top")
    LEFT = "left", _("Left side")
    RIGHT = "right", _("Right side")
    FRONT = "front", _("Front")
    REAR = "rear", _("Rear")


class DamageKind(models.TextChoices):
    SCRATCH = "scratch", _("Scratch")
    DENT = "dent", _("Dent")
    CRACK = "crack", _("Crack")
    CHIP = "chip", _("Stone chip")


class DamageMark(models.Model):
    """A mark on the car diagram; x and y in per cent of the view's width and height."""

    walk_around = models.ForeignKey(WalkAround, on_delete=models.CASCADE, related_name="marks")
    view = models.CharField(_("view"), max_length=6, choices=DamageView.choices)
    x = models.DecimalField(max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)])
    y = models.DecimalField(max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)])
    kind = models.CharField(_("kind"), max_length=8, choices=DamageKind.choices)
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        ordering = ["walk_around", "pk"]
        verbose_name = _("damage mark")
        verbose_name_plural = _("damage marks")
        constraints = [
            models.CheckConstraint(condition=Q(x__gte=0, x__lte=100, y__gte=0, y__lte=100), name="damage_mark_on_view")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_view_display()})"


class WalkAroundPhoto(models.Model):
    walk_around = models.ForeignKey(WalkAround, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="walkaround/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["walk_around", "pk"]
        verbose_name = _("walk-around photo")
        verbose_name_plural = _("walk-around photos")

    def __str__(self) -> str:
        return self.caption or self.image.name


# --- estimate (估价) --------------------------------------------------------------------


class LineKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    PART = "part", pgettext_lazy("estimate line", "Part")


class PayType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    WARRANTY = "warranty", _("Warranty")
    INTERNAL = "internal", _("Internal")
    GOODWILL = "goodwill", _("Goodwill")


class EstimateLine(models.Model):
    """One priced line of the estimate. Labour: quantity is the flat-rate
    hours and unit_price the labour rate. `amount` is the net amount after the
    line's discount, rounded to 0.01 once, here (reception.pricing)."""

    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=6, choices=LineKind.choices)
    operation = models.ForeignKey(
        LabourOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("operation")
    )
    part = models.ForeignKey(
        Part,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("estimate line", "Part"),
    )
    package = models.ForeignKey(
        ServicePackage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from package"),
    )
    free_text = models.BooleanField(
        _("part not in the catalogue"), default=False, help_text=_("Typed in by hand: the parts clerk checks it.")
    )
    description = models.CharField(_("description"), max_length=160)
    part_number = models.CharField(_("part number"), max_length=40, blank=True)
    quantity = models.DecimalField(
        _("quantity / hours"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit_price = models.DecimalField(
        _("unit price / rate"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    in_stock = models.BooleanField(_("in stock"), default=True)
    pay_type = models.CharField(_("paid by"), max_length=10, choices=PayType.choices, default=PayType.CUSTOMER)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    # Prices and discounts as quoted, changed and removed (the audit list).
    history = Audited(excluded_fields=["in_stock", "position", "created_at"])

    class Meta:
        ordering = ["repair_order", "position", "pk"]
        verbose_name = _("estimate line")
        verbose_name_plural = _("estimate lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="estimate_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="estimate_line_price_positive"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="estimate_line_discount_range"
            ),
            models.CheckConstraint(
                condition=Q(kind="labour", part__isnull=True) | Q(kind="part", operation__isnull=True),
                name="estimate_line_kind_matches",
            ),
        ]

    def __str__(self) -> str:
        return self.description


# --- consent ---------------------------------------------------------------------------


class ConsentMethod(models.TextChoices):
    SIGNATURE_PAD = "signature_pad", _("Signed on screen")
    PRINTED = "printed", _("Signed on the printed estimate")
    PHONE = "phone", _("Agreed by phone")
    LINK = "link", _("Approved through the link")


class ConsentRecord(KeepSigned):
    """What the customer agreed to, frozen: lines, totals, promised time,
    tolerance. Never changed; a later change adds a new record. No RO leaves
    draft without one (reception.services)."""

    repair_order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="consents")
    method = models.CharField(_("how"), max_length=14, choices=ConsentMethod.choices)
    signature = models.ImageField(_("signature"), upload_to="signatures/%Y/%m/", blank=True)
    signed_by_name = models.CharField(_("signed by"), max_length=60, blank=True)
    agreed = models.JSONField(_("what was agreed"))
    total = models.DecimalField(_("total agreed"), max_digits=12, decimal_places=2)
    promised_at = models.DateTimeField(_("promised completion"), null=True, blank=True)
    tolerance_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    tolerance_minutes = models.PositiveIntegerField(default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = KeepSignedQuerySet.as_manager()
    history = Audited()

    class Meta:
        ordering = ["repair_order", "recorded_at", "pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.repair_order.number} ¥{self.total} {self.recorded_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("A consent record never changes: record a new one.")
        super().save(*args, **kwargs)


# --- parts: orders with deposit, issue notices ---------------------------------------------


class PartsOrderStatus(models.TextChoices):
    REQUESTED = "requested", _("To order")
    ORDERED = "ordered", _("Ordered")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")


class PartsOrder(models.Model):
    """Parts not in stock, ordered with the customer's consent and a deposit (订金)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="parts_orders")
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="parts_orders")
    status = models.CharField(
        _("status"), max_length=10, choices=PartsOrderStatus.choices, default=PartsOrderStatus.REQUESTED
    )
    deposit = models.DecimalField(
        _("deposit"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    deposit_method = models.CharField(_("deposit paid by"), max_length=12, choices=PaymentMethod.choices, blank=True)
    deposit_receipt = models.CharField(_("deposit receipt number"), max_length=30, blank=True)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("parts order")
        verbose_name_plural = _("parts orders")
        constraints = [models.CheckConstraint(condition=Q(deposit__gte=0), name="parts_order_deposit_not_negative")]

    def __str__(self) -> str:
        return f"{self.repair_order.number} {self.get_status_display()}"


class PartsOrderLine(models.Model):
    order = models.ForeignKey(PartsOrder, on_delete=models.CASCADE, related_name="lines")
    estimate_line = models.ForeignKey(EstimateLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        verbose_name = _("parts order line")
        verbose_name_plural = _("parts order lines")

    def __str__(self) -> str:
        return f"{self.estimate_line} × {self.quantity}"


class IssueNoticeStatus(models.TextChoices):
    OPEN = "open", _("To issue")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class PartsIssueNotice(models.Model):
    """备件出库通知: made on consent; the parts clerk issues the parts, which
    reduces stock on hand."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="issue_notices")
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="issue_notices")
    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=IssueNoticeStatus.choices, default=IssueNoticeStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("parts issue notice")
        verbose_name_plural = _("parts issue notices")

    def __str__(self) -> str:
        return f"{self.repair_order.number} {self.get_status_display()}"


class PartsIssueLine(models.Model):
    notice = models.ForeignKey(PartsIssueNotice, on_delete=models.CASCADE, related_name="lines")
    estimate_line = models.ForeignKey(EstimateLine, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    issued_quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("parts issue line")
        verbose_name_plural = _("parts issue lines")

    def __str__(self) -> str:
        return f"{self.estimate_line} × {self.quantity}"


# --- step 6: delivery and billing ------------------------------------------------------------


class OldParts(models.TextChoices):
    RETURNED = "returned", _("Shown and returned to the customer")
    DISPOSED = "disposed", _("Shown and disposed of by us (customer agreed)")
    WARRANTY = "warranty", _("Kept for the warranty claim")
    NONE = "none", _("No parts replaced")


class Delivery(models.Model):
    """The delivery talk in front of the car (交车): what was explained, what
    happened to the old parts, where the car is parked."""

    repair_order = models.OneToOneField(RepairOrder, on_delete=models.PROTECT, related_name="delivery")
    work_explained = models.BooleanField(_("work done explained"), default=False)
    invoice_explained = models.BooleanField(_("invoice composition explained"), default=False)
    recommendations_explained = models.BooleanField(_("faults found but not fixed explained"), default=False)
    beyond_order_note = models.CharField(_("done beyond the order"), max_length=300, blank=True)
    old_parts = models.CharField(_("old parts"), max_length=10, choices=OldParts.choices)
    old_parts_note = models.CharField(_("old parts note"), max_length=200, blank=True)
    parking_spot = models.CharField(_("parking spot"), max_length=20)
    customer_remarks = models.CharField(_("customer's remarks"), max_length=300, blank=True)
    explained_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    explained_at = models.DateTimeField(_("explained at"))
    delivered_at = models.DateTimeField(_("handed over at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.repair_order.number} {self.parking_spot}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", pgettext_lazy("document", "Invoice")
    CREDIT = "credit", _("Credit note")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", pgettext_lazy("invoice", "Issued, not paid")
    PAID = "paid", pgettext_lazy("invoice", "Paid")
    CREDITED = "credited", pgettext_lazy("invoice", "Credited")


class InvoiceQuerySet(KeepSignedQuerySet, StationScopedQuerySet):
    def invoices(self):
        return self.filter(kind=InvoiceKind.INVOICE)


class Invoice(KeepSigned):
    """结算单: made from the consented lines only, numbered per station and
    year without gaps, never edited after payment (a credit note, an invoice
    of kind CREDIT with negative amounts, corrects it)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=8, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    repair_order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="invoices")
    credit_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    consent = models.ForeignKey(
        ConsentRecord, on_delete=models.PROTECT, related_name="+", verbose_name=_("covered by consent")
    )
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    labour = models.DecimalField(_("labour"), max_digits=12, decimal_places=2)
    parts = models.DecimalField(_("parts"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    customer_total = models.DecimalField(_("charged to the customer"), max_digits=12, decimal_places=2)
    deposit = models.DecimalField(_("deposit deducted"), max_digits=12, decimal_places=2, default=Decimal("0"))
    amount_due = models.DecimalField(_("to pay"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()
    history = Audited()

    class Meta:
        ordering = ["-issued_at", "pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "number"], name="invoice_number_per_station"),
            # One invoice in force per repair order: a new one only after a credit note.
            models.UniqueConstraint(
                fields=["repair_order"],
                condition=Q(kind="invoice") & ~Q(status="credited"),
                name="one_invoice_in_force_per_repair_order",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credit_of__isnull=True) | Q(kind="credit", credit_of__isnull=False),
                name="invoice_credit_note_points_back",
            ),
        ]
        indexes = [models.Index(fields=["dealer", "-issued_at"])]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(KeepSigned):
    """A copy of one consented estimate line as invoiced: later edits of the
    estimate never change an issued invoice."""

    # PROTECT: an invoice's lines never go with it (nor does it go at all).
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    estimate_line = models.ForeignKey(EstimateLine, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=160)
    part_number = models.CharField(_("part number"), max_length=40, blank=True)
    quantity = models.DecimalField(_("quantity / hours"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(_("unit price / rate"), max_digits=10, decimal_places=2)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    pay_type = models.CharField(_("paid by"), max_length=10, choices=PayType.choices)
    position = models.PositiveSmallIntegerField(default=0)

    objects = KeepSignedQuerySet.as_manager()
    history = Audited()

    class Meta:
        ordering = ["invoice", "position", "pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description


class Payment(KeepSigned):
    """One payment against an invoice (several make a split payment)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"))

    objects = KeepSignedQuerySet.as_manager()
    history = Audited()

    class Meta:
        ordering = ["invoice", "received_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.invoice.number} {self.get_method_display()} ¥{self.amount}"
