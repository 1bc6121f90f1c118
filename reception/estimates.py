"""The estimate (估价) and the customer's consent.

Lines are priced by reception.pricing only: each line's amount is rounded
once, when it is written, and totals are sums of rounded lines. An estimate
can change while the repair order is draft or open; once the customer has
agreed, `consent_covers` says whether the current estimate is still within
what they signed (price and time tolerance), or needs a new consent.

Parts "in stock" means stock on hand minus what live appointments reserved
(step 2 preparation) and what other repair orders' issue notices still wait
for; everything else is ordered, with a deposit, when the customer agrees.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.capacity import Job, Refused, load_calendar
from appointments.preparation import held_quantities
from customers.services import vehicle_update
from dealers.audit import records_actor
from dealers.models import LabourOperation, Part, Role, ServicePackage, StaffMember
from reception import pricing
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    EstimateLine,
    IssueNoticeStatus,
    LineKind,
    PartsIssueLine,
    PartsIssueNotice,
    PartsOrder,
    PartsOrderLine,
    PartsOrderStatus,
    PayType,
    RepairOrder,
    ROStatus,
)
from reception.services import repair_order_transition
from reception.walkaround import stored_name

EDITABLE = (ROStatus.DRAFT, ROStatus.OPEN)
# A consent can also be recorded on a car that is ready: the invoice differs
# from the agreed price beyond the tolerance and the customer agrees the new
# amount before it is invoiced (SPEC.md step 6). The lines cannot change then.
CONSENTABLE = (*EDITABLE, ROStatus.READY)
VEHICLE_FIELDS = ("model", "vin", "engine_number", "model_year", "variant")
PROMISE_HORIZON_DAYS = 7
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MIN_SIZE = (200, 80)  # pixels: a signature box, not a stamp
SIGNATURE_MIN_INK = 150  # dark pixels: a blank or a dot is not a signature


# --- reads -------------------------------------------------------------------


def lines_of(repair_order: RepairOrder) -> list[EstimateLine]:
    return list(repair_order.lines.select_related("part", "operation", "package"))


def estimate_totals(repair_order: RepairOrder, lines=None, *, customer_only: bool = False) -> pricing.Totals:
    lines = lines_of(repair_order) if lines is None else lines
    return pricing.totals(lines, repair_order.dealer.vat_rate, customer_only=customer_only)


def available_stock(parts, *, repair_order: RepairOrder) -> dict[int, Decimal]:
    """Stock on hand of each part, less what live appointments reserved and
    what other repair orders' open issue notices wait for. The repair order's
    own appointment and notices do not count against it."""
    parts = list(parts)
    own_preparation = getattr(repair_order.appointment, "preparation", None) if repair_order.appointment_id else None
    held = held_quantities(parts, exclude_preparation=own_preparation)
    waiting = (
        PartsIssueLine.objects.filter(part__in=parts, notice__status=IssueNoticeStatus.OPEN)
        .exclude(notice__repair_order=repair_order)
        .values("part")
        .annotate(q=Sum(F("quantity") - F("issued_quantity")))
        .values_list("part", "q")
    )
    waiting_by_part = dict(waiting)
    return {p.pk: p.stock_on_hand - held.get(p.pk, Decimal(0)) - waiting_by_part.get(p.pk, Decimal(0)) for p in parts}


def latest_consent(repair_order: RepairOrder) -> ConsentRecord | None:
    return repair_order.consents.order_by("-recorded_at", "-pk").first()


def consent_covers(repair_order: RepairOrder, *, consent: ConsentRecord | None = None) -> bool:
    """True when the latest consent still covers the estimate: the customer's
    total differs from the agreed one by at most the agreed price tolerance,
    and the promised time by at most the agreed time tolerance."""
    consent = consent or latest_consent(repair_order)
    if consent is None:
        return False
    total = estimate_totals(repair_order, customer_only=True).total
    if abs(total - consent.total) > consent.tolerance_amount:
        return False
    if (repair_order.promised_at is None) != (consent.promised_at is None):
        return False
    if repair_order.promised_at is not None:
        minutes = abs((repair_order.promised_at - consent.promised_at).total_seconds()) / 60
        if minutes > consent.tolerance_minutes:
            return False
    return True


def promise_proposal(repair_order: RepairOrder, *, now: dt.datetime, lines=None) -> dt.datetime | None:
    """When the job could be done if it started in the first slot from now
    where today's (and the next days') workshop load leaves room for it:
    the labour lines' flat-rate hours, at the highest skill grade they need."""
    lines = lines_of(repair_order) if lines is None else lines
    labour = [line for line in lines if line.kind == LineKind.LABOUR]
    hours = sum((line.quantity for line in labour), Decimal(0))
    if hours <= 0:
        return None
    grade = max((line.operation.required_skill_grade for line in labour if line.operation), default=1)
    dealer = repair_order.dealer
    today = timezone.localtime(now, ZoneInfo(dealer.time_zone)).date()
    calendar = load_calendar(
        dealer, today, today + dt.timedelta(days=PROMISE_HORIZON_DAYS), exclude_pk=repair_order.appointment_id
    )
    job = Job.of(repair_order.job_type, hours, grade)
    for slot in calendar.slots:
        if slot.start < now:
            continue
        try:
            return calendar.check(slot.start, job)
        except Refused:
            continue
    return None


# --- lines -------------------------------------------------------------------


def _locked(repair_order: RepairOrder, states: tuple[str, ...] = EDITABLE) -> RepairOrder:
    """Lock the RO row (one writer of its estimate at a time) and refuse when
    its estimate can no longer change."""
    locked = RepairOrder.objects.select_for_update().select_related("dealer").get(pk=repair_order.pk)
    if locked.status not in states:
        raise ValidationError(
            _("The estimate of a repair order that is %(status)s cannot change.")
            % {"status": ROStatus(locked.status).label}
        )
    return locked


def _decimal(value: Any, field: str, label: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValidationError({field: _("%(label)s must be a number.") % {"label": label}}) from None
    if not number.is_finite():
        raise ValidationError({field: _("%(label)s must be a number.") % {"label": label}})
    return number


def _check_numbers(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> None:
    errors: dict[str, str] = {}
    if quantity <= 0:
        errors["quantity"] = _("The quantity must be more than zero.")
    if unit_price <= 0:
        errors["unit_price"] = _("The price must be more than zero.")
    if not Decimal(0) <= discount_percent <= Decimal(100):
        errors["discount_percent"] = _("The discount must be between 0 and 100 %.")
    if errors:
        raise ValidationError(errors)


def _check_discount(
    repair_order: RepairOrder, discount_percent: Decimal, *, approver: StaffMember | None, reason: str | None
) -> None:
    """A discount needs a reason; above the station's limit it needs a service
    manager of the station, who is recorded on the RO."""
    if reason is not None:
        repair_order.discount_reason = reason.strip()[:200]
    if discount_percent <= 0:
        return
    if not repair_order.discount_reason:
        raise ValidationError({"discount_reason": _("Give the reason for the discount.")})
    limit = repair_order.dealer.max_discount_percent
    if discount_percent > limit:
        if (
            approver is None
            or not approver.has_role(Role.SERVICE_MANAGER)
            or not approver.dealers.filter(pk=repair_order.dealer_id).exists()
        ):
            raise ValidationError(
                {
                    "discount_percent": _(
                        "A discount above %(limit)s %% needs a service manager of the station to approve it."
                    )
                    % {"limit": limit.normalize()}
                }
            )
        repair_order.discount_approved_by = approver


def save_line(line: EstimateLine) -> EstimateLine:
    line.amount = pricing.line_amount(line.quantity, line.unit_price, line.discount_percent)
    line.full_clean()
    line.save()
    return line


def next_position(repair_order: RepairOrder) -> int:
    last = repair_order.lines.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def part_in_stock(repair_order: RepairOrder, part: Part, quantity: Decimal, *, more: Decimal = Decimal(0)) -> bool:
    """Enough for this line, after what the estimate's other lines of the part take."""
    available = available_stock([part], repair_order=repair_order)[part.pk]
    return available - more >= quantity


def other_lines_quantity(repair_order: RepairOrder, part: Part, exclude_pk: int | None = None) -> Decimal:
    qs = repair_order.lines.filter(part=part, in_stock=True)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(q=Sum("quantity"))["q"] or Decimal(0)


@records_actor
@transaction.atomic
def labour_line_add(
    *,
    repair_order: RepairOrder,
    operation: LabourOperation,
    hours: Decimal | str | None = None,
    rate: Decimal | str | None = None,
    pay_type: str = PayType.CUSTOMER,
    by=None,
) -> EstimateLine:
    """A labour line from the station's catalogue: hours default to the
    operation's flat-rate time, the rate to the station's labour rate."""
    ro = _locked(repair_order)
    if operation.dealer_id != ro.dealer_id or not operation.is_active:
        raise ValidationError({"operation": _("This labour operation is not in the station's catalogue.")})
    quantity = operation.flat_rate_hours if hours in (None, "") else _decimal(hours, "quantity", _("Hours"))
    price = ro.dealer.labour_rate if rate in (None, "") else _decimal(rate, "unit_price", _("Rate"))
    _check_numbers(quantity, price, Decimal(0))
    return save_line(
        EstimateLine(
            repair_order=ro,
            kind=LineKind.LABOUR,
            operation=operation,
            description=operation.name[:160],
            quantity=quantity,
            unit_price=price,
            pay_type=pay_type,
            position=next_position(ro),
        )
    )


@records_actor
@transaction.atomic
def part_line_add(
    *,
    repair_order: RepairOrder,
    part: Part,
    quantity: Decimal | str = Decimal(1),
    unit_price: Decimal | str | None = None,
    pay_type: str = PayType.CUSTOMER,
    package: ServicePackage | None = None,
    by=None,
) -> EstimateLine:
    """A part line from the catalogue at its catalogue price; in stock when
    what is free of the part covers it, to order otherwise."""
    ro = _locked(repair_order)
    if part.dealer_id != ro.dealer_id or not part.is_active:
        raise ValidationError({"part": _("This part is not in the station's catalogue.")})
    quantity = _decimal(quantity, "quantity", _("Quantity"))
    price = part.unit_price if unit_price in (None, "") else _decimal(unit_price, "unit_price", _("Unit price"))
    _check_numbers(quantity, price, Decimal(0))
    in_stock = part_in_stock(ro, part, quantity, more=other_lines_quantity(ro, part))
    return save_line(
        EstimateLine(
            repair_order=ro,
            kind=LineKind.PART,
            part=part,
            package=package,
            description=part.name[:160],
            part_number=part.number,
            quantity=quantity,
            unit_price=price,
            in_stock=in_stock,
            pay_type=pay_type,
            position=next_position(ro),
        )
    )


@records_actor
@transaction.atomic
def free_part_line_add(
    *,
    repair_order: RepairOrder,
    part_number: str,
    description: str,
    quantity: Decimal | str,
    unit_price: Decimal | str,
    pay_type: str = PayType.CUSTOMER,
    by=None,
) -> EstimateLine:
    """A part number not in the catalogue, typed in by hand: flagged for the
    parts clerk to check, and always ordered."""
    ro = _locked(repair_order)
    number = part_number.strip().upper()
    if not number or not description.strip():
        raise ValidationError(_("Give the part number and a description of the part."))
    if Part.objects.filter(dealer=ro.dealer_id, number__iexact=number).exists():
        raise ValidationError({"part_number": _("This part is in the catalogue: add it from there.")})
    quantity = _decimal(quantity, "quantity", _("Quantity"))
    price = _decimal(unit_price, "unit_price", _("Unit price"))
    _check_numbers(quantity, price, Decimal(0))
    return save_line(
        EstimateLine(
            repair_order=ro,
            kind=LineKind.PART,
            free_text=True,
            description=description.strip()[:160],
            part_number=number[:40],
            quantity=quantity,
            unit_price=price,
            in_stock=False,
            pay_type=pay_type,
            position=next_position(ro),
        )
    )


@records_actor
@transaction.atomic
def package_add(*, repair_order: RepairOrder, package: ServicePackage, by=None) -> list[EstimateLine]:
    """A whole service package: its operations and its parts, one line each."""
    ro = _locked(repair_order)
    if package.dealer_id != ro.dealer_id or not package.is_active:
        raise ValidationError({"package": _("This service package is not in the station's catalogue.")})
    added = []
    for operation in package.operations.filter(is_active=True).order_by("code"):
        line = labour_line_add(repair_order=ro, operation=operation, by=by)
        line.package = package
        line.save(update_fields=["package"])
        added.append(line)
    for item in package.package_parts.select_related("part").order_by("part__number"):
        added.append(part_line_add(repair_order=ro, part=item.part, quantity=item.quantity, package=package, by=by))
    if not added:
        raise ValidationError({"package": _("This service package has no operations or parts.")})
    return added


@records_actor
@transaction.atomic
def line_update(
    *,
    line: EstimateLine,
    quantity: Decimal | str,
    unit_price: Decimal | str,
    discount_percent: Decimal | str = Decimal(0),
    pay_type: str = PayType.CUSTOMER,
    discount_reason: str | None = None,
    approver: StaffMember | None = None,
    by=None,
) -> EstimateLine:
    ro = _locked(line.repair_order)
    line = EstimateLine.objects.select_for_update().get(pk=line.pk, repair_order=ro)
    quantity = _decimal(quantity, "quantity", _("Quantity"))
    price = _decimal(unit_price, "unit_price", _("Unit price"))
    discount = _decimal(discount_percent or 0, "discount_percent", _("Discount"))
    _check_numbers(quantity, price, discount)
    if pay_type not in PayType.values:
        raise ValidationError({"pay_type": _("Choose who pays for the line.")})
    _check_discount(ro, discount, approver=approver, reason=discount_reason)
    ro.save(update_fields=["discount_reason", "discount_approved_by"])
    line.quantity, line.unit_price, line.discount_percent, line.pay_type = quantity, price, discount, pay_type
    if line.part_id and not line.free_text:
        line.in_stock = part_in_stock(ro, line.part, quantity, more=other_lines_quantity(ro, line.part, line.pk))
    return save_line(line)


@records_actor
@transaction.atomic
def line_remove(*, line: EstimateLine, by=None) -> None:
    ro = _locked(line.repair_order)
    line = EstimateLine.objects.select_for_update().get(pk=line.pk, repair_order=ro)
    if (
        PartsIssueLine.objects.filter(estimate_line=line).exists()
        or PartsOrderLine.objects.filter(estimate_line=line).exists()
    ):
        raise ValidationError(
            _("This part is already with the parts clerk (issue notice or parts order): change the quantity instead.")
        )
    line.delete()


@transaction.atomic
def estimate_terms_set(
    *,
    repair_order: RepairOrder,
    promised_at: dt.datetime | None,
    wished_pickup_at: dt.datetime | None,
    tolerance_amount: Decimal,
    tolerance_minutes: int,
    discount_reason: str = "",
    by=None,
    now: dt.datetime | None = None,
) -> RepairOrder:
    ro = _locked(repair_order)
    now = now or timezone.now()
    errors = {}
    if promised_at is not None and promised_at < now - dt.timedelta(minutes=5):
        errors["promised_at"] = _("The promised completion cannot be in the past.")
    if tolerance_amount is None or tolerance_amount < 0:
        errors["tolerance_amount"] = _("The price tolerance cannot be negative.")
    if tolerance_minutes is None or tolerance_minutes < 0:
        errors["tolerance_minutes"] = _("The time tolerance cannot be negative.")
    if not discount_reason.strip() and ro.lines.filter(discount_percent__gt=0).exists():
        errors["discount_reason"] = _("Some lines have a discount: give its reason.")
    if errors:
        raise ValidationError(errors)
    ro.promised_at, ro.wished_pickup_at = promised_at, wished_pickup_at
    ro.tolerance_amount, ro.tolerance_minutes = tolerance_amount, tolerance_minutes
    ro.discount_reason = discount_reason.strip()[:200]
    ro.full_clean()
    ro.save(
        update_fields=["promised_at", "wished_pickup_at", "tolerance_amount", "tolerance_minutes", "discount_reason"]
    )
    return ro


@transaction.atomic
def estimate_vehicle_confirm(*, repair_order: RepairOrder, by=None, **fields: Any) -> None:
    """The advisor confirms model, VIN, engine number, model year and variant
    from the registration certificate; the vehicle file is updated."""
    ro = _locked(repair_order)
    unknown = set(fields) - set(VEHICLE_FIELDS)
    if unknown:
        raise ValueError(f"not vehicle data of the estimate: {sorted(unknown)}")
    if not (fields.get("vin") or "").strip():
        raise ValidationError({"vin": _("The VIN is needed for the repair order: copy it from the 行驶证.")})
    vehicle_update(vehicle=ro.vehicle, by=by, **fields)


# --- consent -----------------------------------------------------------------


def decode_signature(data_url: str) -> bytes:
    """The PNG of a signature drawn on screen, from the canvas's data URL.
    Refuses anything that is not a PNG, too small, or blank."""
    from PIL import Image, ImageChops, UnidentifiedImageError

    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise ValidationError({"signature": _("The signature must be drawn on the pad (a PNG image).")})
    if len(data_url) > SIGNATURE_MAX_BYTES * 4 // 3 + len(prefix) + 4:
        raise ValidationError({"signature": _("The signature image is too large.")})
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("The signature must be drawn on the pad (a PNG image).")}) from None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError({"signature": _("The signature must be drawn on the pad (a PNG image).")})
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG":
                raise ValidationError({"signature": _("The signature must be drawn on the pad (a PNG image).")})
            width, height = image.size
            if width < SIGNATURE_MIN_SIZE[0] or height < SIGNATURE_MIN_SIZE[1]:
                raise ValidationError({"signature": _("The signature image is too small.")})
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError({"signature": _("The signature must be drawn on the pad (a PNG image).")}) from None
    # Ink: opaque and dark. A transparent or white canvas has none.
    opaque = rgba.getchannel("A").point(lambda a: 255 if a > 128 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    ink = ImageChops.multiply(opaque, dark).histogram()[255]
    if ink < SIGNATURE_MIN_INK:
        raise ValidationError({"signature": _("The signature pad is empty: ask the customer to sign.")})
    return raw


def agreed_snapshot(repair_order: RepairOrder, lines: list[EstimateLine]) -> dict[str, Any]:
    """What the customer agrees to, as plain JSON: every line, the totals,
    the promised time and the tolerance."""
    vat = repair_order.dealer.vat_rate
    return {
        "number": repair_order.number,
        "lines": [
            {
                "id": line.pk,
                "kind": line.kind,
                "description": line.description,
                "part_number": line.part_number,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount": str(line.discount_percent),
                "amount": str(line.amount),
                "pay_type": line.pay_type,
                "in_stock": line.in_stock,
                "free_text": line.free_text,
            }
            for line in lines
        ],
        "totals": pricing.totals(lines, vat).as_dict(),
        "customer_totals": pricing.totals(lines, vat, customer_only=True).as_dict(),
        "vat_rate": str(vat),
        "discount_reason": repair_order.discount_reason,
        "promised_at": repair_order.promised_at.isoformat() if repair_order.promised_at else None,
        "wished_pickup_at": repair_order.wished_pickup_at.isoformat() if repair_order.wished_pickup_at else None,
        "tolerance": {"amount": str(repair_order.tolerance_amount), "minutes": repair_order.tolerance_minutes},
    }


def _refresh_stock_flags(ro: RepairOrder, lines: list[EstimateLine]) -> None:
    """Stock may have moved since a line was added: decide in stock / to order
    again for the catalogue parts not yet with the parts clerk."""
    handled = _lines_with_parts_clerk(ro)
    pending = [x for x in lines if x.kind == LineKind.PART and x.part_id and not x.free_text and x.pk not in handled]
    if not pending:
        return
    available = available_stock({x.part for x in pending}, repair_order=ro)
    for line in pending:
        in_stock = available[line.part_id] >= line.quantity
        if in_stock:
            available[line.part_id] -= line.quantity
        if in_stock != line.in_stock:
            line.in_stock = in_stock
            line.save(update_fields=["in_stock"])


def _lines_with_parts_clerk(ro: RepairOrder) -> set[int]:
    issued = PartsIssueLine.objects.filter(notice__repair_order=ro).exclude(notice__status=IssueNoticeStatus.CANCELLED)
    ordered = PartsOrderLine.objects.filter(order__repair_order=ro).exclude(order__status=PartsOrderStatus.CANCELLED)
    return set(issued.values_list("estimate_line", flat=True)) | set(ordered.values_list("estimate_line", flat=True))


def lines_agreed(snapshots: Iterable[dict | None]) -> set[int]:
    """Ids of the estimate lines the frozen consents list. Each consent lists
    the lines it agreed (an additional-work consent only its new ones), so the
    union over a repair order's consents is what the customer agreed."""
    ids: set[int] = set()
    for agreed in snapshots:
        ids.update(line["id"] for line in (agreed or {}).get("lines", []) if "id" in line)
    return ids


def consented_line_ids(repair_order: RepairOrder) -> set[int]:
    """The one rule for "did the customer agree this line": the workshop's
    start and the invoice both ask it."""
    return lines_agreed(ConsentRecord.objects.filter(repair_order=repair_order).values_list("agreed", flat=True))


@dataclass
class ConsentOutcome:
    consent: ConsentRecord
    notice: PartsIssueNotice | None
    parts_order: PartsOrder | None


@records_actor
@transaction.atomic
def consent_record(
    *,
    repair_order: RepairOrder,
    method: str,
    signature_png: bytes | None = None,
    signed_by_name: str,
    by,
    now: dt.datetime | None = None,
    note: str = "",
) -> ConsentOutcome:
    """The customer agrees the estimate. Freezes what was agreed, opens a
    draft RO, and hands the parts to the parts clerk: in-stock parts on an
    issue notice (备件出库通知), the others on a parts order awaiting a deposit.
    Parts already with the clerk from an earlier consent are not handed over twice."""
    now = now or timezone.now()
    ro = _locked(repair_order, CONSENTABLE)
    lines = lines_of(ro)
    if not lines:
        raise ValidationError(_("The estimate has no lines: there is nothing to agree to."))
    if method not in ConsentMethod.values:
        raise ValidationError({"method": _("Choose how the customer agreed.")})
    name = signed_by_name.strip()
    if not name:
        raise ValidationError({"signed_by_name": _("Give the name of the person who signs.")})
    if method == ConsentMethod.SIGNATURE_PAD and not signature_png:
        raise ValidationError({"signature": _("The signature pad is empty: ask the customer to sign.")})
    if ro.lines.filter(discount_percent__gt=ro.dealer.max_discount_percent).exists() and not ro.discount_approved_by_id:
        raise ValidationError(_("A discount above the station's limit has no manager's approval."))
    _refresh_stock_flags(ro, lines)
    totals_ = pricing.totals(lines, ro.dealer.vat_rate, customer_only=True)
    consent = ConsentRecord(
        repair_order=ro,
        method=method,
        signed_by_name=name[:60],
        agreed=agreed_snapshot(ro, lines),
        total=totals_.total,
        promised_at=ro.promised_at,
        tolerance_amount=ro.tolerance_amount,
        tolerance_minutes=ro.tolerance_minutes,
        note=note[:300],
        recorded_by=by,
        recorded_at=now,
    )
    if method == ConsentMethod.SIGNATURE_PAD:
        # A random name like a photo's: the RO number would let one signature's URL lead to the next.
        consent.signature.save(stored_name("PNG"), ContentFile(signature_png), save=False)
    consent.full_clean()
    consent.save()
    notice, order = hand_parts_over(ro, consent, lines, by=by)
    if ro.status == ROStatus.DRAFT:
        repair_order_transition(repair_order=ro, to=ROStatus.OPEN, by=by, now=now, note=_("Estimate agreed"))
    repair_order.status = ro.status
    return ConsentOutcome(consent=consent, notice=notice, parts_order=order)


def hand_parts_over(ro: RepairOrder, consent: ConsentRecord, lines: list[EstimateLine], *, by):
    handled = _lines_with_parts_clerk(ro)
    parts = [x for x in lines if x.kind == LineKind.PART and x.pk not in handled]
    in_stock = [x for x in parts if x.in_stock and x.part_id and not x.free_text]
    to_order = [x for x in parts if x not in in_stock]
    notice = order = None
    if in_stock:
        notice = PartsIssueNotice.objects.create(dealer=ro.dealer, repair_order=ro, consent=consent)
        PartsIssueLine.objects.bulk_create(
            PartsIssueLine(notice=notice, estimate_line=x, part=x.part, quantity=x.quantity) for x in in_stock
        )
    if to_order:
        order = PartsOrder.objects.create(dealer=ro.dealer, repair_order=ro, created_by=by)
        PartsOrderLine.objects.bulk_create(
            PartsOrderLine(order=order, estimate_line=x, quantity=x.quantity) for x in to_order
        )
    return notice, order
