"""Additional work (追加维修) and delays: recording a finding, the advisor's
findings page with the customer's decision per line and the approval link,
the customer's public approval page, and the delay agreement."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments import ratelimit
from dealers.access import role_required, roles_of
from dealers.forms import add_service_errors
from dealers.http import stored_file_response
from dealers.models import LabourOperation, Part, Role
from reception import pricing
from reception.estimates import decode_signature
from reception.models import ConsentMethod, RepairOrder
from workshop import delays, findings
from workshop.finding_forms import DecisionForm, DelayAgreeForm, DelayReportForm, FindingForm
from workshop.models import Decision, DecisionVia, Delay, Finding, FindingPhoto

FINDING_ROLES = (Role.TECHNICIAN, Role.DISPATCHER, Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
DECIDE_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
DELAY_ROLES = (Role.DISPATCHER, Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
CATALOGUE_LIMIT = 400
# The public page: opening is cheap, deciding is not.
SHOW_LIMIT = (60, 600)
DECIDE_LIMIT = (10, 600)


def _order_for(request: HttpRequest, pk: int) -> RepairOrder:
    qs = RepairOrder.objects.for_station(request.station).select_related("customer", "vehicle", "advisor", "dealer")
    return get_object_or_404(qs, pk=pk)


def _finding_for(ro: RepairOrder, finding_pk: int) -> Finding:
    return get_object_or_404(Finding.objects.for_station(ro.dealer), pk=finding_pk, repair_order=ro)


# --- recording a finding ---------------------------------------------------------------


def _catalogue(ro: RepairOrder) -> dict:
    return {
        "operations": LabourOperation.objects.for_dealer(ro.dealer).active().order_by("code")[:CATALOGUE_LIMIT],
        "parts": Part.objects.for_dealer(ro.dealer).active().order_by("number")[:CATALOGUE_LIMIT],
    }


@role_required(*FINDING_ROLES)
@require_http_methods(["GET", "POST"])
def finding_new(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    form = FindingForm(request.POST or None, request.FILES or None, repair_order=ro)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            findings.finding_record(
                repair_order=ro,
                description=data["description"],
                urgency=data["urgency"],
                lines=data["lines"],
                photos=data["photos"],
                job=data["job"],
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The finding is recorded: the advisor asks the customer."))
            return redirect("workshop:findings", pk=ro.pk)
    context = {"ro": ro, "form": form, **_catalogue(ro)}
    return render(request, "workshop/finding_form.html", context, status=422 if form.errors else 200)


# --- the advisor's findings page -----------------------------------------------------------


def _link_url(request: HttpRequest, finding: Finding, now) -> str | None:
    if finding.link_expires_at is None or finding.link_expires_at < now:
        return None
    return request.build_absolute_uri(reverse("workshop:approve", args=[findings.link_token(finding)]))


def _findings_context(request: HttpRequest, ro: RepairOrder, forms: dict[int, DecisionForm] | None = None) -> dict:
    now = timezone.now()
    vat = ro.dealer.vat_rate
    can_decide = bool(roles_of(request.user).intersection(DECIDE_ROLES))
    items = findings.findings_of(ro)
    for finding in items:
        finding.pending = findings.pending_lines(finding)
        finding.customer_total = sum(
            (x.amount + pricing.line_vat(x.amount, vat) for x in finding.pending), pricing.ZERO
        )
        finding.extra_hours = sum((x.extra_hours for x in finding.pending), pricing.ZERO)
        finding.link = _link_url(request, finding, now) if finding.pending else None
        if can_decide and finding.pending:
            finding.form = (forms or {}).get(finding.pk) or DecisionForm(lines=finding.pending)
    return {
        "ro": ro,
        "findings": items,
        "can_decide": can_decide,
        "can_record": bool(roles_of(request.user).intersection(FINDING_ROLES)),
        "delay": delays.unagreed_delay(ro),
        "repair_order": delays.with_delay_flag(RepairOrder.objects.filter(pk=ro.pk)).get(),
    }


@role_required(*FINDING_ROLES)
def findings_page(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    return render(request, "workshop/findings.html", _findings_context(request, ro))


@role_required(*FINDING_ROLES)
def finding_photo(request: HttpRequest, pk: int, finding_pk: int, photo_pk: int) -> HttpResponse:
    """A finding's photo, shown on the findings page: to the station's staff of that page only."""
    ro = _order_for(request, pk)
    photo = get_object_or_404(FindingPhoto, finding=_finding_for(ro, finding_pk), pk=photo_pk)
    return stored_file_response(photo.image, f"finding-{ro.number}-{photo.pk}")


@role_required(*DECIDE_ROLES)
@require_POST
def finding_decide(request: HttpRequest, pk: int, finding_pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    finding = _finding_for(ro, finding_pk)
    form = DecisionForm(request.POST, lines=list(finding.lines.filter(decision=Decision.PENDING)))
    if form.is_valid():
        data = form.cleaned_data
        try:
            png = None
            if data["via"] == DecisionVia.IN_PERSON and Decision.APPROVED in form.decisions().values():
                png = decode_signature(data["signature"])
            outcome = findings.finding_decide(
                finding=finding,
                decisions=form.decisions(),
                via=data["via"],
                by=request.user,
                note=data["note"],
                signature_png=png,
                contact=data["contact"],
                contacted_at=data["contacted_at"],
                recommend=form.recommend(),
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = _("Recorded: %(approved)s approved, %(declined)s declined.") % {
                "approved": len(outcome.approved),
                "declined": len(outcome.declined),
            }
            if data["via"] == DecisionVia.TOLERANCE:
                text += " " + _("Consented automatically: within the tolerance the customer agreed.")
            if outcome.resumed:
                text += " " + _("Nothing is waiting for the customer: the work goes on.")
            messages.success(request, text)
            return redirect(reverse("workshop:findings", args=[ro.pk]) + f"#finding-{finding.pk}")
    context = _findings_context(request, ro, {finding.pk: form})
    return render(request, "workshop/findings.html", context, status=422)


@role_required(*DECIDE_ROLES)
@require_POST
def finding_link(request: HttpRequest, pk: int, finding_pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    finding = _finding_for(ro, finding_pk)
    try:
        findings.finding_link_send(finding=finding, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new link is ready: send it to the customer. Older links no longer work."))
    return redirect(reverse("workshop:findings", args=[ro.pk]) + f"#finding-{finding.pk}")


# --- the customer's approval page (public) ---------------------------------------------------


def _allowed(request: HttpRequest, scope: str, limit: tuple[int, int]) -> bool:
    return ratelimit.allow(scope, ratelimit.client_ip(request), limit=limit[0], window=limit[1])


def _refused(request: HttpRequest, error: findings.LinkRefused) -> HttpResponse:
    station = error.finding.repair_order.dealer if error.finding else None
    status = {"expired": 410, findings.USED: 200}.get(error.reason, 400)
    return render(request, "workshop/approve_refused.html", {"error": error, "station": station}, status=status)


def _approval_context(finding: Finding, token: str, error: str = "", chosen: dict | None = None) -> dict:
    ro = finding.repair_order
    vat = ro.dealer.vat_rate
    lines = list(finding.lines.filter(decision=Decision.PENDING).select_related("operation", "part"))
    for line in lines:
        line.price = line.amount + pricing.line_vat(line.amount, vat)
        line.chosen = (chosen or {}).get(line.pk, "")
    return {
        "finding": finding,
        "ro": ro,
        "station": ro.dealer,
        "lines": lines,
        "token": token,
        "error": error,
    }


@require_http_methods(["GET", "POST"])
def approve(request: HttpRequest, token: str) -> HttpResponse:
    """The customer approves or declines each line on their phone, once."""
    if not _allowed(request, "approve-show", SHOW_LIMIT):
        return render(request, "appointments/public/too_many.html", {"station": None}, status=429)
    try:
        finding = findings.finding_from_link(token, client_ip=ratelimit.client_ip(request))
    except findings.LinkRefused as error:
        return _refused(request, error)
    if request.method == "GET":
        return render(request, "workshop/approve.html", _approval_context(finding, token))
    if not _allowed(request, "approve-decide", DECIDE_LIMIT):
        return render(
            request, "appointments/public/too_many.html", {"station": finding.repair_order.dealer}, status=429
        )
    decisions = {
        line.pk: request.POST.get(f"line_{line.pk}", "")
        for line in finding.lines.filter(decision=Decision.PENDING).only("pk")
    }
    if any(v not in (Decision.APPROVED, Decision.DECLINED) for v in decisions.values()):
        context = _approval_context(finding, token, _("Please approve or decline every line."), decisions)
        return render(request, "workshop/approve.html", context, status=422)
    try:
        outcome = findings.finding_decide_by_link(
            token=token, decisions=decisions, client_ip=ratelimit.client_ip(request)
        )
    except findings.LinkRefused as error:
        return _refused(request, error)
    except ValidationError as error:
        context = _approval_context(finding, token, " ".join(error.messages), decisions)
        return render(request, "workshop/approve.html", context, status=422)
    context = {
        "ro": finding.repair_order,
        "station": finding.repair_order.dealer,
        "approved": outcome.approved,
        "declined": outcome.declined,
    }
    return render(request, "workshop/approve_done.html", context)


# --- delays ----------------------------------------------------------------------------


def _delay_context(request: HttpRequest, ro: RepairOrder, **forms) -> dict:
    delay = delays.unagreed_delay(ro)
    initial = {"new_promised_at": delay.forecast_ready_at} if delay else {}
    return {
        "ro": ro,
        "delay": delay,
        "delays": Delay.objects.filter(repair_order=ro).select_related("consent", "reported_by"),
        "report_form": forms.get("report_form") or DelayReportForm(),
        "agree_form": forms.get("agree_form") or DelayAgreeForm(initial=initial),
        "can_agree": bool(roles_of(request.user).intersection(DECIDE_ROLES)),
        "repair_order": delays.with_delay_flag(RepairOrder.objects.filter(pk=ro.pk)).get(),
    }


@role_required(*DELAY_ROLES)
@require_http_methods(["GET", "POST"])
def delay_page(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    if request.method == "GET":
        return render(request, "workshop/delay.html", _delay_context(request, ro))
    if request.POST.get("action") == "agree":
        return _delay_agree(request, ro)
    form = DelayReportForm(request.POST)
    if form.is_valid():
        try:
            delays.delay_report(
                repair_order=ro,
                forecast_ready_at=form.cleaned_data["forecast_ready_at"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Delay recorded: the advisor asks the customer to agree the new time."))
            return redirect("workshop:delay", pk=ro.pk)
    return render(request, "workshop/delay.html", _delay_context(request, ro, report_form=form), status=422)


def _delay_agree(request: HttpRequest, ro: RepairOrder) -> HttpResponse:
    if not roles_of(request.user).intersection(DECIDE_ROLES):
        raise PermissionDenied
    delay = delays.unagreed_delay(ro)
    form = DelayAgreeForm(request.POST)
    if delay is None:
        messages.info(request, _("There is no delay waiting for the customer's agreement."))
        return redirect("workshop:delay", pk=ro.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            png = decode_signature(data["signature"]) if data["method"] == ConsentMethod.SIGNATURE_PAD else None
            delays.delay_agree(
                delay=delay,
                new_promised_at=data["new_promised_at"],
                method=data["method"],
                signed_by_name=data["signed_by_name"],
                note=data["note"],
                signature_png=png,
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The customer agreed the new promised time."))
            return redirect("workshop:delay", pk=ro.pk)
    return render(request, "workshop/delay.html", _delay_context(request, ro, agree_form=form), status=422)


urlpatterns = [
    path("orders/<int:pk>/findings/", findings_page, name="findings"),
    path("orders/<int:pk>/findings/new/", finding_new, name="finding_new"),
    path("orders/<int:pk>/findings/<int:finding_pk>/photos/<int:photo_pk>/", finding_photo, name="finding_photo"),
    path("orders/<int:pk>/findings/<int:finding_pk>/decide/", finding_decide, name="finding_decide"),
    path("orders/<int:pk>/findings/<int:finding_pk>/link/", finding_link, name="finding_link"),
    path("orders/<int:pk>/delay/", delay_page, name="delay"),
    path("approve/<str:token>/", approve, name="approve"),
]
