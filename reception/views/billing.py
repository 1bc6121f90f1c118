"""Step 6 delivery and billing (交车/结账) at the front desk: the cashier's
queue, the advisor's delivery sheet with the send-off, the invoice with its
payments and credit notes, and the receipt as a PDF.

Who does what: the advisor explains and hands the car over; the cashier
takes the money and corrects an invoice with a credit note; the service
manager may do both. Everything is scoped to the current station."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.access import role_required, roles_of
from dealers.forms import add_service_errors
from dealers.http import pdf_response
from dealers.models import Role
from reception import billing, documents
from reception.models import Invoice, InvoiceKind, InvoiceStatus, OldParts, RepairOrder, ROStatus
from reception.pricing import round_money

CASHIER_ROLES = (Role.CASHIER, Role.SERVICE_MANAGER, Role.SERVICE_ADVISOR)
DELIVERY_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
PAYMENT_ROLES = (Role.CASHIER, Role.SERVICE_MANAGER)
BILLING_STATES = (ROStatus.READY, ROStatus.DELIVERED, ROStatus.CLOSED)


class DeliveryForm(forms.Form):
    work_explained = forms.BooleanField(label=gettext_lazy("Work done explained, in front of the car"), required=False)
    invoice_explained = forms.BooleanField(label=gettext_lazy("Invoice composition explained"), required=False)
    recommendations_explained = forms.BooleanField(
        label=gettext_lazy("Faults found but not fixed explained"), required=False
    )
    beyond_order_note = forms.CharField(
        label=gettext_lazy("Done beyond the order"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Anything done that was not on the order, e.g. a free check."),
    )
    old_parts = forms.ChoiceField(label=gettext_lazy("Old parts"), choices=[("", "—"), *OldParts.choices])
    old_parts_note = forms.CharField(label=gettext_lazy("Old parts note"), max_length=200, required=False)
    parking_spot = forms.CharField(label=gettext_lazy("Parking spot"), max_length=20)
    customer_remarks = forms.CharField(label=gettext_lazy("Customer's remarks"), max_length=300, required=False)


class DeliverForm(forms.Form):
    keys_returned = forms.BooleanField(label=gettext_lazy("Keys returned"), required=False)
    registration_returned = forms.BooleanField(
        label=gettext_lazy("Registration certificate (行驶证) returned"), required=False
    )


class PaymentForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=billing.PAYMENT_METHODS)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (¥)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Card slip, transaction or transfer number."),
    )


class CreditForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for the credit note"), max_length=300)


def _order_for(request: HttpRequest, pk: int) -> RepairOrder:
    """An RO of the current station, 404 otherwise."""
    qs = RepairOrder.objects.for_station(request.station).select_related("dealer", "customer", "vehicle", "advisor")
    try:
        return qs.get(pk=pk)
    except RepairOrder.DoesNotExist:
        raise Http404 from None


def _invoice_for(request: HttpRequest, pk: int) -> Invoice:
    qs = Invoice.objects.for_station(request.station).select_related("repair_order")
    try:
        return qs.get(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None


def _may(request: HttpRequest, roles) -> bool:
    return bool(roles_of(request.user).intersection(roles))


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- the cashier's queue --------------------------------------------------------------------


@role_required(*CASHIER_ROLES)
def cashier(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    page = Paginator(billing.cashier_queue(request.station, q=q), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for ro in page.object_list:
        invoice = ro.invoices_in_force[0] if ro.invoices_in_force else None
        paid = billing.paid_sum(invoice) if invoice else None
        rows.append(
            {"ro": ro, "invoice": invoice, "paid": paid, "open": invoice.amount_due - paid if invoice else None}
        )
    today = timezone.localdate()
    payments = billing.payments_on(request.station, today)
    payments_page = Paginator(payments, settings.PAGE_SIZE).get_page(request.GET.get("payments_page"))
    by_method = payments.order_by().values("method").annotate(total=Sum("amount"), count=Count("pk"))
    labels = dict(billing.PAYMENT_METHODS)
    context = {
        "q": q,
        "page": page,
        "rows": rows,
        "today": today,
        "payments_page": payments_page,
        "by_method": [(labels.get(x["method"], x["method"]), round_money(x["total"]), x["count"]) for x in by_method],
        "today_total": round_money(sum((x["total"] for x in by_method), Decimal(0))),
    }
    return render(request, "reception/billing/cashier.html", context)


# --- the delivery sheet (交车) -------------------------------------------------------------------


def _delivery_context(request: HttpRequest, ro: RepairOrder, **forms_) -> dict:
    sheet = billing.delivery_sheet(ro)
    delivery = sheet.delivery
    initial = {}
    if delivery is not None:
        initial = {
            name: getattr(delivery, name)
            for name in (
                "work_explained",
                "invoice_explained",
                "recommendations_explained",
                "beyond_order_note",
                "old_parts",
                "old_parts_note",
                "parking_spot",
                "customer_remarks",
            )
        }
    can_act = _may(request, DELIVERY_ROLES) and ro.status == ROStatus.READY
    context = {
        "ro": ro,
        "tab": "delivery",
        "sheet": sheet,
        "can_act": can_act,
        "form": DeliveryForm(initial=initial),
        "deliver_form": DeliverForm(
            initial={
                "keys_returned": bool(ro.keys_returned_at),
                "registration_returned": bool(ro.registration_returned_at),
            }
        ),
        "paid": sheet.invoice is not None and sheet.invoice.status == InvoiceStatus.PAID,
    }
    context.update(forms_)
    return context


@role_required(*CASHIER_ROLES)
def delivery(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    if ro.status not in BILLING_STATES:
        messages.info(request, _("Delivery and billing open when the car is ready."))
        return redirect("reception:order", pk=pk)
    if request.method != "POST":
        return render(request, "reception/billing/delivery.html", _delivery_context(request, ro))
    if not _may(request, DELIVERY_ROLES):
        raise PermissionDenied
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            billing.delivery_record(repair_order=ro, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Delivery sheet recorded."))
            return redirect("reception:delivery", pk=pk)
    return render(request, "reception/billing/delivery.html", _delivery_context(request, ro, form=form), status=400)


@role_required(*DELIVERY_ROLES)
@require_POST
def deliver(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    form = DeliverForm(request.POST)
    form.is_valid()
    try:
        billing.repair_order_deliver(repair_order=ro, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        context = _delivery_context(request, ro, deliver_form=form)
        return render(request, "reception/billing/delivery.html", context, status=400)
    messages.success(request, _("%(number)s handed over. Thank the customer and see them off.") % {"number": ro.number})
    return redirect("reception:delivery", pk=pk)


# --- the invoice (结算单) and its payments -----------------------------------------------------------


def _invoice_context(request: HttpRequest, ro: RepairOrder, **forms_) -> dict:
    invoices = billing.invoices_of(ro)
    current = next((x for x in invoices if x.kind == InvoiceKind.INVOICE and x.status != InvoiceStatus.CREDITED), None)
    paid = billing.paid_sum(current) if current else None
    context = {
        "ro": ro,
        "tab": "invoice",
        "current": current,
        "history": [x for x in invoices if x is not current],
        "draft": billing.invoice_draft(ro) if current is None else None,
        "paid": paid,
        "open": current.amount_due - paid if current else None,
        "can_issue": ro.status in billing.INVOICE_STATES,
        "can_pay": _may(request, PAYMENT_ROLES),
        "payment_form": PaymentForm(initial={"amount": current.amount_due - paid} if current else None),
        "credit_form": CreditForm(),
    }
    context.update(forms_)
    return context


@role_required(*CASHIER_ROLES)
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    if ro.status not in BILLING_STATES:
        messages.info(request, _("Delivery and billing open when the car is ready."))
        return redirect("reception:order", pk=pk)
    return render(request, "reception/billing/invoice.html", _invoice_context(request, ro))


@role_required(*CASHIER_ROLES)
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        issued = billing.invoice_issue(repair_order=ro, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Invoice %(number)s issued.") % {"number": issued.number})
    return redirect("reception:invoice", pk=pk)


@role_required(*PAYMENT_ROLES)
@require_POST
def invoice_pay(request: HttpRequest, pk: int) -> HttpResponse:
    inv = _invoice_for(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            billing.payment_record(invoice=inv, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if inv.status == InvoiceStatus.PAID:
                messages.success(request, _("Invoice %(number)s is paid.") % {"number": inv.number})
            else:
                messages.success(request, _("Payment recorded."))
            return redirect("reception:invoice", pk=inv.repair_order_id)
    ro = _order_for(request, inv.repair_order_id)
    return render(
        request, "reception/billing/invoice.html", _invoice_context(request, ro, payment_form=form), status=400
    )


@role_required(*PAYMENT_ROLES)
@require_POST
def invoice_credit(request: HttpRequest, pk: int) -> HttpResponse:
    inv = _invoice_for(request, pk)
    form = CreditForm(request.POST)
    if form.is_valid():
        try:
            credit = billing.invoice_credit(invoice=inv, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Credit note %(credit)s cancels invoice %(number)s: a new invoice may be issued.")
                % {"credit": credit.number, "number": inv.number},
            )
            return redirect("reception:invoice", pk=inv.repair_order_id)
    ro = _order_for(request, inv.repair_order_id)
    return render(
        request, "reception/billing/invoice.html", _invoice_context(request, ro, credit_form=form), status=400
    )


@role_required(*CASHIER_ROLES)
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        inv = documents.for_receipt(Invoice.objects.for_station(request.station)).get(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None
    pdf = documents.receipt_pdf(inv, base_url=request.build_absolute_uri("/"))
    return pdf_response(pdf, f"receipt-{inv.number}.pdf")


urlpatterns = [
    path("cashier/", cashier, name="cashier"),
    path("orders/<int:pk>/delivery/", delivery, name="delivery"),
    path("orders/<int:pk>/delivery/hand-over/", deliver, name="deliver"),
    path("orders/<int:pk>/invoice/", invoice, name="invoice"),
    path("orders/<int:pk>/invoice/issue/", invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/pay/", invoice_pay, name="invoice_pay"),
    path("invoices/<int:pk>/credit/", invoice_credit, name="invoice_credit"),
    path("invoices/<int:pk>/receipt.pdf", receipt_pdf, name="invoice_receipt"),
]
