"""Step 6 delivery and billing (交车/结账): the delivery talk in front of the
car, the invoice (结算单), its payments, credit notes and the send-off.

The rules, from SPEC.md step 6 and the front-desk training ("双方认可的价格与
发票一致"):

- The invoice is made from the *consented* estimate lines only: a line that no
  consent record covers is left off and listed with a warning. Its customer
  total must equal the latest consent's total within the repair order's price
  tolerance; beyond it, invoicing is refused until the advisor records a new
  consent.
- Each line keeps who pays it (customer, warranty, internal, goodwill); the
  customer is charged the customer-paid lines, less the deposits taken on the
  RO's parts orders (and what was paid on invoices since credited).
- Invoices are numbered per station and year without gaps ("I", credit notes
  "C"; dealers.numbering) under the station row lock. An issued invoice never
  changes: a credit note (negative amounts, `credit_of`) cancels it, after
  which a new invoice may be issued.
- Payments may be split; a payment above what is still open is refused. The
  invoice is paid when the payments reach the amount due (at once when
  nothing is due).
- The car is handed over (READY → DELIVERED) only with the invoice paid and
  the delivery sheet recorded; keys and registration certificate go back.

Reception sits below the workshop in the import flow (ARCHITECTURE.md), so the
work done and the declined findings are read through the RO's reverse
relations (`jobs`, `findings`), never by importing workshop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from customers.validators import normalize_plate
from dealers.audit import records_actor
from dealers.models import Dealer
from dealers.numbering import next_number
from reception import estimates, pricing
from reception.models import (
    ConsentRecord,
    Delivery,
    EstimateLine,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    OldParts,
    PartsOrder,
    PartsOrderStatus,
    Payment,
    PaymentMethod,
    PayType,
    RepairOrder,
    ROStatus,
)
from reception.services import repair_order_transition

# The invoice is made when the car is ready; after the handover only to
# replace a credited one.
INVOICE_STATES = (ROStatus.READY, ROStatus.DELIVERED)
INVOICE_LETTER = "I"
CREDIT_LETTER = "C"
# A warranty line is a pay type, not a way to pay.
PAYMENT_METHODS = [(value, label) for value, label in PaymentMethod.choices if value != PaymentMethod.WARRANTY]
# workshop.models.Decision values, read through the reverse relation.
DECLINED, APPROVED = "declined", "approved"
ZERO = Decimal("0")


# --- reads -----------------------------------------------------------------------------


def deposit_of(repair_order: RepairOrder) -> Decimal:
    """Money the customer already paid for this RO: deposits on the parts
    orders that are not cancelled, and payments on invoices since credited."""
    deposits = (
        PartsOrder.objects.filter(repair_order=repair_order)
        .exclude(status=PartsOrderStatus.CANCELLED)
        .aggregate(s=Sum("deposit"))["s"]
    )
    carried = Payment.objects.filter(
        invoice__repair_order=repair_order, invoice__status=InvoiceStatus.CREDITED
    ).aggregate(s=Sum("amount"))["s"]
    # Rounded: SQLite sums decimals as floats.
    return pricing.round_money((deposits or ZERO) + (carried or ZERO))


def invoice_in_force(repair_order: RepairOrder) -> Invoice | None:
    """The RO's invoice that is not credited (at most one: a constraint)."""
    return (
        Invoice.objects.filter(repair_order=repair_order, kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.CREDITED)
        .first()
    )


@dataclass
class InvoiceDraft:
    """What an invoice issued now would say, and whether it may be issued."""

    repair_order: RepairOrder
    consent: ConsentRecord | None
    lines: list[EstimateLine]
    left_out: list[EstimateLine]  # not covered by any consent: never invoiced
    totals: pricing.Totals  # every invoiced line
    customer: pricing.Totals  # the customer-paid lines
    deposit: Decimal
    amount_due: Decimal
    difference: Decimal  # customer total − consented total
    problems: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.problems)


def invoice_draft(repair_order: RepairOrder) -> InvoiceDraft:
    """The invoice as the consented lines make it, with the agreed-price guard."""
    ro = repair_order
    consents = list(ro.consents.order_by("recorded_at", "pk"))
    consent = consents[-1] if consents else None
    covered = estimates.lines_agreed(consent.agreed for consent in consents)
    all_lines = list(ro.lines.select_related("operation", "part").order_by("position", "pk"))
    lines = [x for x in all_lines if x.pk in covered]
    rate = ro.dealer.vat_rate
    customer = pricing.totals(lines, rate, customer_only=True)
    deposit = deposit_of(ro)
    draft = InvoiceDraft(
        repair_order=ro,
        consent=consent,
        lines=lines,
        left_out=[x for x in all_lines if x.pk not in covered],
        totals=pricing.totals(lines, rate),
        customer=customer,
        deposit=deposit,
        amount_due=max(customer.total - deposit, ZERO),
        difference=customer.total - consent.total if consent else customer.total,
    )
    if consent is None:
        draft.problems.append(_("The customer has not agreed any estimate: there is no agreed price to invoice."))
    elif not lines:
        draft.problems.append(_("No estimate line is covered by the customer's consent: there is nothing to invoice."))
    elif abs(draft.difference) > ro.tolerance_amount:
        draft.problems.append(
            _(
                "The invoice total ¥%(total)s differs from the agreed ¥%(agreed)s by ¥%(diff)s, more than the "
                "agreed tolerance of ¥%(tolerance)s. Record the customer's consent to the new amount first."
            )
            % {
                "total": customer.total,
                "agreed": consent.total,
                "diff": abs(draft.difference),
                "tolerance": ro.tolerance_amount,
            }
        )
    return draft


def invoice_totals(invoice: Invoice) -> pricing.Totals:
    """The customer-paid lines of an issued invoice, from its own stored
    figures (the station's VAT rate may have changed since)."""
    labour = parts = gross = vat = hours = ZERO
    for line in invoice.lines.all():
        if line.pay_type != PayType.CUSTOMER:
            continue
        gross += pricing.line_gross(line.quantity, line.unit_price)
        vat += line.vat
        if line.kind == LineKind.LABOUR:
            labour += line.amount
            hours += line.quantity
        else:
            parts += line.amount
    net = labour + parts
    if invoice.kind == InvoiceKind.CREDIT:
        gross = -gross  # quantities stay positive; amounts are negative
    return pricing.Totals(
        labour=labour, parts=parts, discount=gross - net, net=net, vat=vat, total=net + vat, hours=hours
    )


def paid_sum(invoice: Invoice) -> Decimal:
    """What was paid; uses prefetched payments when there are."""
    return sum((p.amount for p in invoice.payments.all()), ZERO)


def invoices_of(repair_order: RepairOrder) -> list[Invoice]:
    """Every invoice and credit note of the RO, newest first, with lines and payments."""
    return list(
        Invoice.objects.filter(repair_order=repair_order)
        .select_related("issued_by__staff", "credit_of")
        .prefetch_related("lines", Prefetch("payments", queryset=Payment.objects.select_related("received_by__staff")))
        .order_by("-issued_at", "-pk")
    )


@dataclass
class DeliverySheet:
    """Everything the advisor explains in front of the car."""

    repair_order: RepairOrder
    jobs: list[Any]  # workshop.Job: work done, cause, result
    recommendations: list[Any]  # declined FindingLine: faults found but not fixed
    additional: list[Any]  # approved FindingLine: done beyond the original order
    parts_replaced: list[EstimateLine]
    delivery: Delivery | None
    invoice: Invoice | None
    draft: InvoiceDraft


def delivery_sheet(repair_order: RepairOrder) -> DeliverySheet:
    ro = repair_order
    jobs = list(ro.jobs.select_related("estimate_line", "technician").order_by("estimate_line__position", "pk"))
    findings = list(ro.findings.prefetch_related("lines").order_by("found_at", "pk"))
    finding_lines = [line for finding in findings for line in finding.lines.all()]
    draft = invoice_draft(ro)
    invoice = invoice_in_force(ro)
    return DeliverySheet(
        repair_order=ro,
        jobs=jobs,
        recommendations=[x for x in finding_lines if x.decision == DECLINED],
        additional=[x for x in finding_lines if x.decision == APPROVED],
        parts_replaced=[x for x in draft.lines if x.kind == LineKind.PART],
        delivery=Delivery.objects.select_related("explained_by").filter(repair_order=ro).first(),
        invoice=invoice,
        draft=draft,
    )


def cashier_queue(station: Dealer, *, q: str = "") -> QuerySet[RepairOrder]:
    """The cashier's queue: cars ready to pay and invoices not yet paid.
    A search looks through every RO of the station that is ready or invoiced,
    so a paid receipt can be found again."""
    unpaid = Q(invoices__kind=InvoiceKind.INVOICE, invoices__status=InvoiceStatus.ISSUED)
    qs = RepairOrder.objects.for_station(station)
    q = q.strip()
    if q:
        qs = qs.filter(Q(status=ROStatus.READY) | Q(invoices__isnull=False)).filter(
            Q(number__icontains=q)
            | Q(vehicle__plate__icontains=normalize_plate(q))
            | Q(customer__name__icontains=q)
            | Q(invoices__number__icontains=q)
        )
    else:
        qs = qs.filter(Q(status=ROStatus.READY) | unpaid)
    in_force = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.CREDITED)
        .prefetch_related("payments")
    )
    return (
        qs.distinct()
        .select_related("customer", "vehicle", "advisor", "delivery")
        .prefetch_related(Prefetch("invoices", queryset=in_force, to_attr="invoices_in_force"))
        .order_by("-status", "created_at", "pk")  # ready before delivered, oldest first
    )


def payments_on(station: Dealer, day: dt.date) -> QuerySet[Payment]:
    tz = ZoneInfo(station.time_zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return (
        Payment.objects.filter(
            invoice__dealer=station, received_at__gte=start, received_at__lt=start + dt.timedelta(days=1)
        )
        .select_related("invoice__repair_order__vehicle", "received_by__staff")
        .order_by("-received_at", "-pk")
    )


# --- writes ------------------------------------------------------------------------------


def _locked_order(repair_order: RepairOrder) -> RepairOrder:
    return RepairOrder.objects.select_for_update().select_related("dealer").get(pk=repair_order.pk)


def _year(dealer: Dealer, now: dt.datetime) -> int:
    return timezone.localtime(now, ZoneInfo(dealer.time_zone)).year


def _staff_of(by):
    staff = getattr(by, "staff", None)
    if staff is None:
        raise ValidationError(_("Only staff of the station can record this."))
    return staff


@transaction.atomic
def delivery_record(
    *,
    repair_order: RepairOrder,
    old_parts: str,
    parking_spot: str,
    work_explained: bool,
    invoice_explained: bool,
    recommendations_explained: bool = False,
    beyond_order_note: str = "",
    old_parts_note: str = "",
    customer_remarks: str = "",
    by,
    now: dt.datetime | None = None,
) -> Delivery:
    """The delivery talk in front of the car (交车): what was done, the
    invoice's composition, the faults found but not fixed, anything beyond
    the order, the old parts shown, where the car is parked. Recorded again
    until the car is handed over."""
    now = now or timezone.now()
    ro = _locked_order(repair_order)
    if ro.status != ROStatus.READY:
        raise ValidationError(
            _("The delivery sheet is recorded when the car is ready; this repair order is %(status)s.")
            % {"status": ROStatus(ro.status).label}
        )
    staff = _staff_of(by)
    delivery = Delivery.objects.select_for_update().filter(repair_order=ro).first() or Delivery(repair_order=ro)
    if delivery.delivered_at:
        raise ValidationError(_("The car is handed over: the delivery sheet no longer changes."))
    errors: dict[str, str] = {}
    if not work_explained:
        errors["work_explained"] = _("Explain the work done, in front of the car.")
    if not invoice_explained:
        errors["invoice_explained"] = _("Explain the invoice's composition.")
    has_recommendations = ro.findings.filter(lines__decision=DECLINED).exists()
    if has_recommendations and not recommendations_explained:
        errors["recommendations_explained"] = _("Explain the faults found but not fixed: the customer declined them.")
    if old_parts not in OldParts.values:
        errors["old_parts"] = _("Say what happened to the old parts.")
    if not (parking_spot or "").strip():
        errors["parking_spot"] = _("Tell the customer where the car is parked.")
    if errors:
        raise ValidationError(errors)
    delivery.work_explained, delivery.invoice_explained = True, True
    delivery.recommendations_explained = bool(recommendations_explained)
    delivery.beyond_order_note = beyond_order_note.strip()[:300]
    delivery.old_parts, delivery.old_parts_note = old_parts, old_parts_note.strip()[:200]
    delivery.parking_spot = parking_spot.strip()[:20]
    delivery.customer_remarks = customer_remarks.strip()[:300]
    delivery.explained_by, delivery.explained_at = staff, now
    delivery.full_clean()
    delivery.save()
    return delivery


def _invoice_line(line: EstimateLine, vat_rate: Decimal) -> InvoiceLine:
    code = line.part_number if line.kind == LineKind.PART else (line.operation.code if line.operation else "")
    return InvoiceLine(
        estimate_line=line,
        kind=line.kind,
        description=line.description,
        part_number=code[:40],
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        amount=line.amount,
        vat=pricing.line_vat(line.amount, vat_rate),
        pay_type=line.pay_type,
        position=line.position,
    )


@records_actor
@transaction.atomic
def invoice_issue(*, repair_order: RepairOrder, by, now: dt.datetime | None = None) -> Invoice:
    """The invoice (结算单) from the consented lines, if its customer total is
    the agreed price within the tolerance. Nothing due: paid at once."""
    now = now or timezone.now()
    ro = _locked_order(repair_order)
    if ro.status not in INVOICE_STATES:
        raise ValidationError(
            _("An invoice is issued when the car is ready; this repair order is %(status)s.")
            % {"status": ROStatus(ro.status).label}
        )
    existing = invoice_in_force(ro)
    if existing is not None:
        raise ValidationError(
            _("Invoice %(number)s is in force for this repair order: credit it before issuing another.")
            % {"number": existing.number},
            code="invoice_exists",
        )
    draft = invoice_draft(ro)
    if draft.blocked:
        raise ValidationError(draft.problems, code="not_agreed")
    # The station row lock makes the number gap-free; taken last and briefly.
    dealer = Dealer.objects.select_for_update().get(pk=ro.dealer_id)
    number = next_number(Invoice.objects.filter(dealer=dealer), INVOICE_LETTER, _year(dealer, now))
    invoice = Invoice(
        dealer=dealer,
        number=number,
        kind=InvoiceKind.INVOICE,
        repair_order=ro,
        consent=draft.consent,
        labour=draft.totals.labour,
        parts=draft.totals.parts,
        net=draft.totals.net,
        vat=draft.totals.vat,
        total=draft.totals.total,
        customer_total=draft.customer.total,
        deposit=draft.deposit,
        amount_due=draft.amount_due,
        issued_by=by,
        issued_at=now,
    )
    if invoice.amount_due == 0:
        invoice.status, invoice.paid_at = InvoiceStatus.PAID, now
    invoice.full_clean()
    invoice.save()
    lines = [_invoice_line(line, dealer.vat_rate) for line in draft.lines]
    for line in lines:
        line.invoice = invoice
    bulk_create_with_history(lines, InvoiceLine)
    return invoice


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ArithmeticError):
        raise ValidationError({"amount": _("The amount must be a number.")}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if amount != pricing.round_money(amount):
        raise ValidationError({"amount": _("The amount has at most two decimal places.")})
    return amount


@records_actor
@transaction.atomic
def payment_record(
    *, invoice: Invoice, method: str, amount: Decimal | str, reference: str = "", by, now: dt.datetime | None = None
) -> Payment:
    """One payment (several make a split payment). More than is still open is
    refused; the invoice is paid when the payments reach the amount due."""
    now = now or timezone.now()
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if inv.kind != InvoiceKind.INVOICE:
        raise ValidationError(_("A credit note is not paid."))
    if inv.status == InvoiceStatus.PAID:
        raise ValidationError(_("Invoice %(number)s is paid already.") % {"number": inv.number}, code="paid")
    if inv.status == InvoiceStatus.CREDITED:
        raise ValidationError(_("Invoice %(number)s is credited: it is not paid.") % {"number": inv.number})
    if method not in dict(PAYMENT_METHODS):
        raise ValidationError({"method": _("Choose how the customer pays.")})
    amount = _amount(amount)
    paid = pricing.round_money(inv.payments.aggregate(s=Sum("amount"))["s"] or ZERO)
    open_ = inv.amount_due - paid
    if amount > open_:
        raise ValidationError(
            {
                "amount": _("¥%(amount)s is more than the ¥%(open)s still to pay: nothing was recorded.")
                % {"amount": amount, "open": open_}
            },
            code="overpaid",
        )
    payment = Payment(
        invoice=inv, method=method, amount=amount, reference=reference.strip()[:60], received_by=by, received_at=now
    )
    payment.full_clean()
    payment.save()
    if paid + amount == inv.amount_due:
        inv.status, inv.paid_at = InvoiceStatus.PAID, now
        inv.save(update_fields=["status", "paid_at"])
    invoice.status, invoice.paid_at = inv.status, inv.paid_at
    return payment


@records_actor
@transaction.atomic
def invoice_credit(*, invoice: Invoice, reason: str, by, now: dt.datetime | None = None) -> Invoice:
    """A credit note (negative amounts, `credit_of`) cancels an issued or paid
    invoice, which is marked credited; a new invoice may then be issued, and
    what was paid on this one is deducted there."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the credit note.")})
    ro = _locked_order(invoice.repair_order)
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.kind != InvoiceKind.INVOICE:
        raise ValidationError(_("A credit note cannot be credited."))
    if original.status == InvoiceStatus.CREDITED:
        raise ValidationError(_("Invoice %(number)s is credited already.") % {"number": original.number})
    if ro.status not in INVOICE_STATES:
        raise ValidationError(
            _("Invoices of a repair order that is %(status)s are not credited here.")
            % {"status": ROStatus(ro.status).label}
        )
    original.status = InvoiceStatus.CREDITED
    original.save(update_fields=["status"])
    dealer = Dealer.objects.select_for_update().get(pk=ro.dealer_id)
    number = next_number(Invoice.objects.filter(dealer=dealer), CREDIT_LETTER, _year(dealer, now))
    credit = Invoice(
        dealer=dealer,
        number=number,
        kind=InvoiceKind.CREDIT,
        repair_order=ro,
        credit_of=original,
        consent_id=original.consent_id,
        **{name: -getattr(original, name) for name in ("labour", "parts", "net", "vat", "total", "customer_total")},
        deposit=-original.deposit,
        amount_due=-original.amount_due,
        reason=reason[:300],
        issued_by=by,
        issued_at=now,
    )
    credit.full_clean()
    credit.save()
    bulk_create_with_history(
        [
            InvoiceLine(
                invoice=credit,
                estimate_line_id=line.estimate_line_id,
                kind=line.kind,
                description=line.description,
                part_number=line.part_number,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                amount=-line.amount,
                vat=-line.vat,
                pay_type=line.pay_type,
                position=line.position,
            )
            for line in original.lines.all()
        ],
        InvoiceLine,
    )
    invoice.status = original.status
    return credit


@transaction.atomic
def repair_order_deliver(
    *,
    repair_order: RepairOrder,
    keys_returned: bool,
    registration_returned: bool,
    by,
    now: dt.datetime | None = None,
) -> RepairOrder:
    """The send-off: with the invoice paid and the delivery sheet recorded,
    keys and registration certificate go back and the RO is delivered."""
    now = now or timezone.now()
    ro = _locked_order(repair_order)
    if ro.status != ROStatus.READY:
        raise ValidationError(
            _("Only a car that is ready is handed over; this repair order is %(status)s.")
            % {"status": ROStatus(ro.status).label}
        )
    delivery = Delivery.objects.select_for_update().filter(repair_order=ro).first()
    invoice = invoice_in_force(ro)
    errors: list[str] = []
    if delivery is None:
        errors.append(_("Record the delivery sheet first: explain the work, the invoice and the old parts."))
    if invoice is None:
        errors.append(_("No invoice is issued yet: the customer pays before the car is handed over."))
    elif invoice.status != InvoiceStatus.PAID:
        errors.append(_("Invoice %(number)s is not paid yet.") % {"number": invoice.number})
    if ro.keys_received_at and not ro.keys_returned_at and not keys_returned:
        errors.append(_("Give the keys back to the customer."))
    if ro.registration_received_at and not ro.registration_returned_at and not registration_returned:
        errors.append(_("Give the registration certificate back to the customer."))
    if errors:
        raise ValidationError(errors, code="not_deliverable")
    fields = []
    if keys_returned and not ro.keys_returned_at:
        ro.keys_returned_at = now
        fields.append("keys_returned_at")
    if registration_returned and not ro.registration_returned_at:
        ro.registration_returned_at = now
        fields.append("registration_returned_at")
    if fields:
        ro.save(update_fields=fields)
    delivery.delivered_at = now
    delivery.save(update_fields=["delivered_at"])
    repair_order_transition(
        repair_order=ro,
        to=ROStatus.DELIVERED,
        by=by,
        now=now,
        note=_("Invoice %(number)s paid; parked at %(spot)s")
        % {"number": invoice.number, "spot": delivery.parking_spot},
    )
    for name in ("status", "keys_returned_at", "registration_returned_at"):
        setattr(repair_order, name, getattr(ro, name))
    return ro
