"""The five-part repair order (接车单一式五联), rendered by WeasyPrint.

One A4 page per part, each titled and numbered. Money on the printout comes
from `reception.pricing.totals` only, formatted here once, so the template
does no arithmetic. The CJK font is named on the template's `html` element:
the page-margin boxes do not inherit from `body`.

A draft without a consent record prints with a diagonal "not agreed"
watermark on every page: the customer has not agreed the price yet.

Once an invoice is issued (reception.billing), the request and the
settlement print the invoice: its number, its lines and figures, and the
payments received. The receipt is a one-page document of its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from dealers.pdf import render_pdf
from reception import billing, pricing
from reception.models import (
    ConsentRecord,
    DamageKind,
    EstimateLine,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PayType,
    RepairOrder,
    ROStatus,
)


@dataclass(frozen=True)
class Part:
    number: int
    kind: str
    title: str
    keeper: str


# SPEC.md 3: 第一联 用户取车单 … 第五联 结算单. `keeper` says who holds the page.
REPAIR_ORDER_PARTS = (
    Part(1, "pickup", pgettext_lazy("repair order part", "Customer pickup slip"), pgettext_lazy("keeper", "Customer")),
    Part(2, "estimate", pgettext_lazy("repair order part", "Estimate"), pgettext_lazy("keeper", "Service advisor")),
    Part(3, "repair_card", pgettext_lazy("repair order part", "Repair card"), pgettext_lazy("keeper", "Workshop")),
    Part(4, "request", pgettext_lazy("repair order part", "Request"), pgettext_lazy("keeper", "Cashier")),
    Part(5, "settlement", pgettext_lazy("repair order part", "Settlement"), pgettext_lazy("keeper", "Accounts")),
)

SETTLED_STATES = (ROStatus.DELIVERED, ROStatus.CLOSED)


def money(value: Decimal) -> str:
    """¥1,234.50: how every amount is printed."""
    return f"¥{value:,.2f}"


def plain_number(value: Decimal) -> str:
    """1.50 → 1.5, 4.00 → 4: quantities and hours without trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class PrintedLine:
    kind: str
    code: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    discount: str
    amount: str
    paid_by: str  # blank when the customer pays
    in_stock: bool
    free_text: bool


def _printed_line(line: EstimateLine | InvoiceLine) -> PrintedLine:
    """An estimate line, or an invoice line (which carries its own code and
    keeps the estimate line only for the part's unit)."""
    source = line.estimate_line if isinstance(line, InvoiceLine) else line
    part = source.part if source is not None else None
    if line.kind == LineKind.LABOUR:
        operation = getattr(line, "operation", None)  # an invoice line copied the code instead
        code = line.part_number if isinstance(line, InvoiceLine) else (operation.code if operation else "")
        unit = _("h")
    else:
        code = line.part_number or (part.number if part else "")
        unit = part.unit if part else ""
    return PrintedLine(
        kind=line.kind,
        code=code,
        description=line.description,
        quantity=plain_number(line.quantity),
        unit=unit,
        unit_price=money(line.unit_price),
        discount=f"{plain_number(line.discount_percent)}%" if line.discount_percent else "",
        amount=money(line.amount),
        paid_by="" if line.pay_type == PayType.CUSTOMER else line.get_pay_type_display(),
        in_stock=getattr(line, "in_stock", True),
        free_text=getattr(line, "free_text", False),
    )


def _check_labels() -> dict[str, str]:
    """Labels of the walk-around's function checks, where that module names them;
    the printout falls back to the check's code."""
    try:
        from reception.walkaround import CHECKS  # type: ignore[attr-defined]
    except ImportError:
        return {}
    try:
        if isinstance(CHECKS, dict):
            return {str(k): str(v) for k, v in CHECKS.items()}
        return {str(code): str(label) for code, label, *_rest in CHECKS}
    except (TypeError, ValueError):
        return {}


@dataclass(frozen=True)
class WalkAroundSummary:
    odometer_km: int | None
    fuel: str
    damage: list[tuple[str, int]]  # (kind label, count)
    damage_total: int
    failed_checks: list[str]
    checks_done: int
    valuables: str
    valuables_reminded: bool
    protective_kit: bool
    notes: str
    done_at: object


def _walk_around_summary(order: RepairOrder) -> WalkAroundSummary | None:
    walk = _one_to_one(order, "walk_around")
    if walk is None:
        return None
    kinds = Counter(mark.kind for mark in walk.marks.all())
    labels = _check_labels()
    checks = walk.checks or {}
    return WalkAroundSummary(
        odometer_km=walk.odometer.km if walk.odometer else None,
        fuel=f"{walk.fuel_eighths}/8" if walk.fuel_eighths is not None else "",
        damage=[(DamageKind(kind).label, kinds[kind]) for kind in DamageKind.values if kinds[kind]],
        damage_total=sum(kinds.values()),
        failed_checks=[labels.get(code, code) for code, result in checks.items() if result == "fault"],
        checks_done=len(checks),
        valuables=walk.valuables,
        valuables_reminded=walk.valuables_reminded,
        protective_kit=walk.protective_kit,
        notes=walk.notes,
        done_at=walk.done_at,
    )


def _one_to_one(order: RepairOrder, name: str):
    try:
        return getattr(order, name)
    except ObjectDoesNotExist:
        return None


def for_print(queryset: QuerySet[RepairOrder]) -> QuerySet[RepairOrder]:
    """Everything the five parts show, in a fixed number of queries."""
    return queryset.select_related(
        "dealer",
        "customer",
        "vehicle",
        "advisor",
        "comeback_of",
        "inquiry",
        "walk_around__odometer",
    ).prefetch_related(
        Prefetch("lines", queryset=EstimateLine.objects.select_related("operation", "part")),
        "walk_around__marks",
        Prefetch("consents", queryset=ConsentRecord.objects.select_related("recorded_by__staff")),
        "events",
        "parts_orders",
        Prefetch("invoices", queryset=_invoices_for_print(), to_attr="printed_invoices"),
    )


def _invoices_for_print() -> QuerySet[Invoice]:
    """The invoice in force (not credited), with its lines and payments."""
    return (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.CREDITED)
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.select_related("estimate_line__part")),
            Prefetch("payments", queryset=Payment.objects.order_by("received_at", "pk")),
        )
    )


def invoice_figures(invoice: Invoice) -> dict:
    """An issued invoice as the printouts show it: lines, customer totals,
    deposit, amount due, payments and what is still open."""
    printed = [_printed_line(line) for line in invoice.lines.all()]
    totals = billing.invoice_totals(invoice)
    payments = list(invoice.payments.all())
    paid = sum((p.amount for p in payments), Decimal(0))
    return {
        "invoice": invoice,
        "labour_lines": [line for line in printed if line.kind == LineKind.LABOUR],
        "part_lines": [line for line in printed if line.kind == LineKind.PART],
        "lines": printed,
        "totals": {
            name: money(getattr(totals, name)) for name in ("labour", "parts", "discount", "net", "vat", "total")
        },
        "has_discount": totals.discount != 0,
        "hours": plain_number(totals.hours),
        "all_total": money(invoice.total),
        "others_pay": invoice.total != invoice.customer_total,
        "customer_total": money(invoice.customer_total),
        "deposit": money(invoice.deposit),
        "amount_due": money(invoice.amount_due),
        "payments": [(p.received_at, p.get_method_display(), money(p.amount), p.reference) for p in payments],
        "paid": money(paid),
        "outstanding": money(invoice.amount_due - paid),
    }


def _signature_uri(consent: ConsentRecord | None) -> str:
    """A file URI of the drawn signature, when it is on local storage."""
    if consent is None or not consent.signature:
        return ""
    try:
        path = Path(consent.signature.path)
    except NotImplementedError:
        return ""
    return path.as_uri() if path.is_file() else ""


def repair_order_context(order: RepairOrder) -> dict:
    station = order.dealer
    lines = list(order.lines.all())
    totals = pricing.totals(lines, station.vat_rate, customer_only=True)
    consents = list(order.consents.all())
    consent = consents[-1] if consents else None
    delivered = next((e.at for e in order.events.all() if e.to_status == ROStatus.DELIVERED), None)
    printed = [_printed_line(line) for line in lines]
    return {
        "order": order,
        "station": station,
        "vehicle": order.vehicle,
        "customer": order.customer,
        "parts": REPAIR_ORDER_PARTS,
        "part_count": len(REPAIR_ORDER_PARTS),
        "inquiry": _one_to_one(order, "inquiry"),
        "walk": _walk_around_summary(order),
        "labour_lines": [line for line in printed if line.kind == LineKind.LABOUR],
        "part_lines": [line for line in printed if line.kind == LineKind.PART],
        "lines": printed,
        "totals": {
            name: money(getattr(totals, name)) for name in ("labour", "parts", "discount", "net", "vat", "total")
        },
        "has_discount": totals.discount != 0,
        "hours": plain_number(totals.hours),
        "vat_percent": plain_number(station.vat_rate * 100),
        "consent": consent,
        "consent_total": money(consent.total) if consent else "",
        "signature_uri": _signature_uri(consent),
        "deposits": [
            (money(po.deposit), po.get_deposit_method_display(), po.deposit_receipt)
            for po in order.parts_orders.all()
            if po.deposit
        ],
        "bill": invoice_figures(order.printed_invoices[0]) if getattr(order, "printed_invoices", None) else None,
        "settled": order.status in SETTLED_STATES,
        "delivered_at": delivered,
        "not_agreed": order.status == ROStatus.DRAFT and consent is None,
        "cancelled": order.status == ROStatus.CANCELLED,
    }


def repair_order_pdf(order: RepairOrder, *, base_url: str | None = None) -> bytes:
    """The five parts, one A4 page each. Expects `order` loaded through `for_print`."""
    html = render_to_string("reception/print/repair_order.html", repair_order_context(order))
    return render_pdf(html, base_url=base_url)


def for_receipt(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Everything the receipt shows, in a fixed number of queries."""
    return queryset.select_related(
        "dealer", "repair_order__customer", "repair_order__vehicle", "repair_order__advisor", "credit_of", "consent"
    ).prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.select_related("estimate_line__part")),
        Prefetch(
            "payments", queryset=Payment.objects.select_related("received_by__staff").order_by("received_at", "pk")
        ),
    )


def receipt_pdf(invoice: Invoice, *, base_url: str | None = None) -> bytes:
    """The receipt (收据) of an invoice or a credit note, one A4 page.
    Expects `invoice` loaded through `for_receipt`."""
    order = invoice.repair_order
    context = {
        **invoice_figures(invoice),
        "order": order,
        "station": invoice.dealer,
        "customer": order.customer,
        "vehicle": order.vehicle,
        "vat_percent": plain_number(invoice.dealer.vat_rate * 100),
        "consent_total": money(invoice.consent.total),
        "credit": invoice.kind == InvoiceKind.CREDIT,
    }
    html = render_to_string("reception/print/receipt.html", context)
    return render_pdf(html, base_url=base_url)
