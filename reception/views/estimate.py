"""Reception views: the estimate (估价), the customer's consent with the
signature, and the deposit for parts to order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealers.access import role_required, roles_of
from dealers.forms import add_service_errors
from dealers.http import stored_file_response
from dealers.models import LabourOperation, Part, Role, ServicePackage, StaffMember
from reception import estimates
from reception.estimate_forms import (
    ConsentForm,
    DepositForm,
    LabourAddForm,
    LineForm,
    PackageAddForm,
    PartAddForm,
    TermsForm,
    VehicleConfirmForm,
)
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    EstimateLine,
    PartsOrder,
    PartsOrderStatus,
    RepairOrder,
    ROStatus,
)
from reception.parts import parts_order_deposit

ESTIMATE_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
SEARCH_LIMIT = 8
ACTIONS = ("vehicle", "terms", "labour", "part", "package", "line", "remove")


def _order_for(request: HttpRequest, pk: int) -> RepairOrder:
    qs = RepairOrder.objects.for_station(request.station).select_related("customer", "vehicle", "advisor", "dealer")
    return get_object_or_404(qs, pk=pk)


def _catalogue(ro: RepairOrder, q: str) -> dict | None:
    q = q.strip()
    if not q:
        return None
    return {
        "operations": list(
            LabourOperation.objects.for_dealer(ro.dealer)
            .active()
            .filter(Q(code__icontains=q) | Q(name__icontains=q))
            .order_by("code")[:SEARCH_LIMIT]
        ),
        "parts": list(
            Part.objects.for_dealer(ro.dealer)
            .active()
            .filter(Q(number__icontains=q) | Q(name__icontains=q))
            .order_by("number")[:SEARCH_LIMIT]
        ),
        "packages": list(
            ServicePackage.objects.for_dealer(ro.dealer)
            .active()
            .filter(Q(code__icontains=q) | Q(name__icontains=q))
            .order_by("code")[:SEARCH_LIMIT]
        ),
    }


def _page_context(request: HttpRequest, ro: RepairOrder, **forms) -> dict:
    lines = estimates.lines_of(ro)
    vehicle = ro.vehicle
    consent = estimates.latest_consent(ro)
    q = request.GET.get("q", "")
    now = timezone.now()
    context = {
        "ro": ro,
        "lines": lines,
        "totals": estimates.estimate_totals(ro, lines),
        "customer_totals": estimates.estimate_totals(ro, lines, customer_only=True),
        "consent": consent,
        "covered": estimates.consent_covers(ro, consent=consent) if consent else False,
        "proposal": estimates.promise_proposal(ro, now=now, lines=lines),
        "editable": ro.status in estimates.EDITABLE,
        "limit": ro.dealer.max_discount_percent,
        "is_manager": Role.SERVICE_MANAGER in roles_of(request.user),
        "q": q,
        "catalogue": _catalogue(ro, q),
        "vehicle_form": VehicleConfirmForm(initial={f: getattr(vehicle, f) for f in estimates.VEHICLE_FIELDS}),
        "terms_form": TermsForm(
            initial={
                "promised_at": ro.promised_at and timezone.localtime(ro.promised_at),
                "wished_pickup_at": ro.wished_pickup_at and timezone.localtime(ro.wished_pickup_at),
                "tolerance_amount": ro.tolerance_amount,
                "tolerance_minutes": ro.tolerance_minutes,
                "discount_reason": ro.discount_reason,
            }
        ),
        "labour_form": LabourAddForm(station=ro.dealer),
        "part_form": PartAddForm(),
        "package_form": PackageAddForm(station=ro.dealer),
        "pay_types": EstimateLine._meta.get_field("pay_type").choices,
        "failed_line": None,
        "line_form": None,
    }
    context.update(forms)
    return context


@role_required(*ESTIMATE_ROLES)
def estimate(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    template = "reception/estimate.html"
    if request.htmx and request.htmx.target == "catalogue-results":
        q = request.GET.get("q", "")
        context = {"ro": ro, "q": q, "catalogue": _catalogue(ro, q), "editable": ro.status in estimates.EDITABLE}
        return render(request, template + "#catalogue", context)
    return render(request, template, _page_context(request, ro))


def _approver(request: HttpRequest, form: LineForm) -> StaffMember | None:
    """Who approves a discount above the station's limit: the signed-in user
    when they are a service manager, otherwise a manager who types their own
    user name and password on the advisor's screen (checked, never stored)."""
    if Role.SERVICE_MANAGER in roles_of(request.user):
        return getattr(request.user, "staff", None)
    username = form.cleaned_data.get("manager_username", "").strip()
    password = form.cleaned_data.get("manager_password", "")
    if not username:
        return None
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise ValidationError({"manager_password": _("The manager's user name or password is wrong.")})
    return getattr(user, "staff", None)


def _line_for(ro: RepairOrder, request: HttpRequest) -> EstimateLine:
    try:
        return ro.lines.get(pk=int(request.POST.get("line", "")))
    except (ValueError, EstimateLine.DoesNotExist):
        raise Http404 from None


def _add_part(request: HttpRequest, ro: RepairOrder, form: PartAddForm) -> str:
    data = form.cleaned_data
    number = data["part_number"].strip()
    part = Part.objects.for_dealer(ro.dealer).active().filter(number__iexact=number).first()
    if part is not None:
        line = estimates.part_line_add(repair_order=ro, part=part, quantity=data["quantity"], by=request.user)
        return (_("%(part)s added: in stock.") if line.in_stock else _("%(part)s added: to order.")) % {"part": part}
    if not data.get("free_text"):
        form.add_error(
            "part_number",
            _(
                "%(number)s is not in the catalogue. Add it as a part not in the catalogue: give a description and a price."
            )
            % {"number": number},
        )
        form.offer_free_text = True
        raise ValidationError("free text offered")
    estimates.free_part_line_add(
        repair_order=ro,
        part_number=number,
        description=data.get("description") or "",
        quantity=data["quantity"],
        unit_price=data.get("unit_price") or 0,
        by=request.user,
    )
    return _("%(number)s added as a part not in the catalogue: the parts clerk checks it.") % {"number": number}


def _run(request: HttpRequest, ro: RepairOrder, action: str):
    """Do one change; returns a success message or a dict of bound forms with errors."""
    post, by = request.POST, request.user
    if action == "vehicle":
        form = VehicleConfirmForm(post)
        if not form.is_valid():
            return {"vehicle_form": form}
        try:
            estimates.estimate_vehicle_confirm(repair_order=ro, by=by, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            return {"vehicle_form": form}
        return _("Vehicle data confirmed.")
    if action == "terms":
        form = TermsForm(post)
        if not form.is_valid():
            return {"terms_form": form}
        try:
            estimates.estimate_terms_set(repair_order=ro, by=by, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            return {"terms_form": form}
        return _("Promised time and tolerance saved.")
    if action == "labour":
        form = LabourAddForm(post, station=ro.dealer)
        if not form.is_valid():
            return {"labour_form": form}
        data = form.cleaned_data
        try:
            line = estimates.labour_line_add(
                repair_order=ro, operation=data["operation"], hours=data["hours"], rate=data["rate"], by=by
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return {"labour_form": form}
        return _("%(operation)s added.") % {"operation": line.description}
    if action == "part":
        form = PartAddForm(post)
        if not form.is_valid():
            return {"part_form": form}
        try:
            return _add_part(request, ro, form)
        except ValidationError as error:
            if not getattr(form, "offer_free_text", False):
                add_service_errors(form, error)
            return {"part_form": form}
    if action == "package":
        form = PackageAddForm(post, station=ro.dealer)
        if not form.is_valid():
            return {"package_form": form}
        try:
            added = estimates.package_add(repair_order=ro, package=form.cleaned_data["package"], by=by)
        except ValidationError as error:
            add_service_errors(form, error)
            return {"package_form": form}
        return _("%(package)s added: %(n)s lines.") % {"package": form.cleaned_data["package"], "n": len(added)}
    line = _line_for(ro, request)
    if action == "remove":
        estimates.line_remove(line=line, by=by)
        return _("Line removed: %(line)s.") % {"line": line.description}
    form = LineForm(post)
    if not form.is_valid():
        return {"line_form": form, "failed_line": line.pk}
    data = form.cleaned_data
    try:
        estimates.line_update(
            line=line,
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            discount_percent=data.get("discount_percent") or 0,
            pay_type=data["pay_type"],
            discount_reason=data.get("discount_reason", ""),
            approver=_approver(request, form),
            by=by,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return {"line_form": form, "failed_line": line.pk}
    return _("Line changed: %(line)s.") % {"line": line.description}


@role_required(*ESTIMATE_ROLES)
@require_POST
def estimate_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    ro = _order_for(request, pk)
    url = reverse("reception:estimate", args=[pk])
    try:
        outcome = _run(request, ro, action)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(url)
    if isinstance(outcome, dict):
        ro.refresh_from_db()
        return render(request, "reception/estimate.html", _page_context(request, ro, **outcome), status=422)
    messages.success(request, outcome)
    return redirect(url + ("#lines" if action in ("labour", "part", "package", "line", "remove") else ""))


# --- consent -----------------------------------------------------------------


def _consent_context(request: HttpRequest, ro: RepairOrder, **extra) -> dict:
    lines = estimates.lines_of(ro)
    orders = list(
        PartsOrder.objects.filter(
            repair_order=ro, status__in=[PartsOrderStatus.REQUESTED, PartsOrderStatus.ORDERED]
        ).prefetch_related("lines__estimate_line")
    )
    consent = estimates.latest_consent(ro)
    context = {
        "ro": ro,
        "lines": lines,
        "totals": estimates.estimate_totals(ro, lines),
        "customer_totals": estimates.estimate_totals(ro, lines, customer_only=True),
        "consent": consent,
        "covered": estimates.consent_covers(ro, consent=consent) if consent else False,
        "editable": ro.status in estimates.EDITABLE,
        "can_consent": ro.status in estimates.CONSENTABLE,
        "form": ConsentForm(initial={"signed_by_name": ro.customer.name}),
        "parts_orders": orders,
        "deposit_forms": {o.pk: DepositForm(initial={"amount": o.deposit, "method": o.deposit_method}) for o in orders},
        "Method": ConsentMethod,
    }
    context.update(extra)
    for order in orders:
        order.deposit_form = context["deposit_forms"].get(order.pk)
    return context


@role_required(*ESTIMATE_ROLES)
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    if request.method != "POST":
        return render(request, "reception/consent.html", _consent_context(request, ro))
    form = ConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            png = (
                estimates.decode_signature(data["signature"]) if data["method"] == ConsentMethod.SIGNATURE_PAD else None
            )
            outcome = estimates.consent_record(
                repair_order=ro,
                method=data["method"],
                signature_png=png,
                signed_by_name=data["signed_by_name"],
                note=data.get("note", ""),
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if ro.status == ROStatus.READY:
                text = _("The customer agreed the new amount: the invoice can be issued.")
            else:
                text = _("The customer agreed the estimate: repair order %(number)s is open.") % {"number": ro.number}
            if outcome.notice:
                text += " " + _("The parts clerk has the issue notice.")
            if outcome.parts_order:
                text += " " + _("Parts to order: take the deposit below.")
            messages.success(request, text)
            return redirect(reverse("reception:consent", args=[pk]) + ("#deposit" if outcome.parts_order else ""))
    return render(request, "reception/consent.html", _consent_context(request, ro, form=form), status=422)


@role_required(*ESTIMATE_ROLES)
def consent_signature(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    """The customer's signature, shown on the consent page: to the station's desk only."""
    ro = _order_for(request, pk)
    record = get_object_or_404(ConsentRecord, repair_order=ro, pk=consent_pk)
    return stored_file_response(record.signature, f"signature-{ro.number}")


@role_required(*ESTIMATE_ROLES)
@require_POST
def deposit(request: HttpRequest, pk: int, order_pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    order = get_object_or_404(PartsOrder.objects.for_station(request.station), pk=order_pk, repair_order=ro)
    form = DepositForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            parts_order_deposit(
                order=order, amount=data["amount"], method=data["method"], receipt=data["receipt"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Deposit of ¥%(amount)s recorded.") % {"amount": data["amount"]})
            return redirect(reverse("reception:consent", args=[pk]) + "#deposit")
    context = _consent_context(request, ro)
    context["deposit_forms"][order.pk] = form
    for o in context["parts_orders"]:
        o.deposit_form = context["deposit_forms"][o.pk]
    return render(request, "reception/consent.html", context, status=422)


urlpatterns = [
    path("orders/<int:pk>/estimate/", estimate, name="estimate"),
    path("orders/<int:pk>/estimate/<slug:action>/", estimate_act, name="estimate_act"),
    path("orders/<int:pk>/consent/", consent, name="consent"),
    path("orders/<int:pk>/consent/<int:consent_pk>/signature/", consent_signature, name="consent_signature"),
    path("orders/<int:pk>/parts-orders/<int:order_pk>/deposit/", deposit, name="deposit"),
]
