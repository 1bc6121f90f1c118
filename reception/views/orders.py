"""Repair orders at the front desk: the list, the RO page (the hub of
reception: header, links to inquiry, walk-around, estimate and print, the
event log, the vehicle's earlier visits), reception details, keys and
registration certificate, comeback, and the inquiry sheet."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from appointments.selectors import day_bounds
from customers.validators import normalize_plate
from dealers.access import role_required, roles_of
from dealers.forms import add_service_errors
from dealers.models import Role
from reception import services
from reception.inquiry import InquiryForm, condition_labels
from reception.models import RO_OPEN_STATES, ComebackCause, InquirySheet, RepairOrder, RepairOrderEvent, ROStatus
from reception.pricing import totals

DESK_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
READERS = (*DESK_ROLES, Role.SPECIALIST)


class OrderFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", gettext_lazy("Today's and open")), *ROStatus.choices])


class ReceptionForm(forms.ModelForm):
    class Meta:
        model = RepairOrder
        fields = list(services.RECEPTION_FIELDS)
        widgets = {"purpose": forms.Textarea(attrs={"rows": 2})}


class ComebackForm(forms.Form):
    original = forms.ModelChoiceField(
        label=gettext_lazy("Original repair order"), queryset=RepairOrder.objects.none(), empty_label=None
    )
    cause = forms.ChoiceField(label=gettext_lazy("Cause"), choices=ComebackCause.choices)

    def __init__(self, *args, candidates: QuerySet[RepairOrder], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["original"].queryset = candidates
        self.fields["original"].label_from_instance = lambda ro: (
            _("%(number)s, delivered %(day)s")
            % {
                "number": ro.number,
                "day": timezone.localtime(ro.delivered_at).strftime("%Y-%m-%d"),
            }
        )


def _order_for(request: HttpRequest, pk: int, *, for_page: bool = False) -> RepairOrder:
    """An RO of the user's stations, 404 otherwise."""
    qs = RepairOrder.objects.visible_to(request).select_related("dealer", "customer", "vehicle", "advisor")
    if for_page:
        qs = qs.select_related("appointment", "comeback_of", "created_by__staff", "walk_around")
    try:
        return qs.get(pk=pk)
    except RepairOrder.DoesNotExist:
        raise Http404 from None


def _can_act(request: HttpRequest) -> bool:
    return bool(roles_of(request.user).intersection(DESK_ROLES))


def _search(qs: QuerySet[RepairOrder], q: str) -> QuerySet[RepairOrder]:
    q = q.strip()
    if not q:
        return qs
    return qs.filter(
        Q(number__icontains=q)
        | Q(vehicle__plate__icontains=normalize_plate(q))
        | Q(customer__name__icontains=q)
        | Q(customer__phone__contains=q)
    )


@role_required(*READERS)
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    form.is_valid()
    q, status = form.cleaned_data.get("q", ""), form.cleaned_data.get("status", "")
    qs = RepairOrder.objects.for_station(request.station).select_related("customer", "vehicle", "advisor")
    if status:
        qs = qs.filter(status=status)
    elif not q:
        start, _end = day_bounds(request.station, timezone.localdate())
        qs = qs.filter(Q(status__in=RO_OPEN_STATES) | Q(created_at__gte=start))
    qs = _search(qs, q).order_by("-created_at", "-pk")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "q": q, "status": status, "page": page, "query": query.urlencode()}
    return render(request, "reception/order_list.html", context)


def _page_context(request: HttpRequest, repair_order: RepairOrder, **forms_) -> dict:
    events = RepairOrderEvent.objects.filter(repair_order=repair_order).select_related("by__staff")
    history = (
        RepairOrder.objects.filter(vehicle=repair_order.vehicle_id)
        .exclude(pk=repair_order.pk)
        .select_related("advisor", "dealer")
        .order_by("-created_at")[:20]
    )
    lines = list(repair_order.lines.all())
    inquiry = InquirySheet.objects.filter(repair_order=repair_order).first()
    candidates = services.comeback_candidates(repair_order)
    context = {
        "ro": repair_order,
        "tab": "order",
        "inquiry": inquiry,
        "inquiry_conditions": condition_labels(inquiry.conditions) if inquiry else [],
        "events": events,
        "history": history,
        "estimate": totals(lines, repair_order.dealer.vat_rate, customer_only=True),
        "lines_count": len(lines),
        "can_act": _can_act(request) and repair_order.is_open,
        "reception_form": ReceptionForm(instance=repair_order),
        "comeback_form": ComebackForm(candidates=candidates),
        "has_candidates": candidates.exists(),
        "window_days": repair_order.dealer.comeback_window_days,
    }
    context.update(forms_)
    return context


@role_required(*READERS)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    repair_order = _order_for(request, pk, for_page=True)
    return render(request, "reception/order_detail.html", _page_context(request, repair_order))


@role_required(*DESK_ROLES)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    repair_order = _order_for(request, pk, for_page=True)
    form = ReceptionForm(request.POST or None, instance=repair_order)
    if request.method == "POST" and form.is_valid():
        fresh = _order_for(request, pk)
        try:
            services.repair_order_update(repair_order=fresh, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("reception:order", pk=pk)
    repair_order.refresh_from_db()
    return render(
        request,
        "reception/order_detail.html",
        _page_context(request, repair_order, reception_form=form, edit_open=True),
        status=400 if request.method == "POST" else 200,
    )


@role_required(*DESK_ROLES)
@require_POST
def order_receive(request: HttpRequest, pk: int, item: str) -> HttpResponse:
    if item not in services.HANDOVER_FIELDS:
        raise Http404
    repair_order = _order_for(request, pk)
    try:
        services.repair_order_receive(repair_order=repair_order, item=item, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        labels = {"keys": _("Keys received."), "registration": _("Registration certificate received.")}
        messages.success(request, labels[item])
    return redirect("reception:order", pk=pk)


@role_required(*DESK_ROLES)
@require_POST
def order_comeback(request: HttpRequest, pk: int) -> HttpResponse:
    repair_order = _order_for(request, pk, for_page=True)
    # Any RO of the station may be posted: the service says why it does not qualify.
    form = ComebackForm(request.POST, candidates=RepairOrder.objects.for_station(repair_order.dealer))
    if form.is_valid():
        try:
            services.repair_order_mark_comeback(
                repair_order=repair_order,
                original=form.cleaned_data["original"],
                cause=form.cleaned_data["cause"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Marked as comeback of %(number)s.") % {"number": repair_order.comeback_of})
            return redirect("reception:order", pk=pk)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("reception:order", pk=pk)


@role_required(*READERS)
def inquiry(request: HttpRequest, pk: int) -> HttpResponse:
    repair_order = _order_for(request, pk, for_page=True)
    sheet = InquirySheet.objects.filter(repair_order=repair_order).first() or InquirySheet(repair_order=repair_order)
    can_edit = _can_act(request) and repair_order.is_open
    form = InquiryForm(request.POST or None, instance=sheet)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.inquiry_update(repair_order=repair_order, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Inquiry sheet saved."))
                return redirect("reception:inquiry", pk=pk)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    context = {"ro": repair_order, "tab": "inquiry", "form": form, "can_edit": can_edit, "sheet": sheet}
    return render(request, "reception/inquiry.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("orders/", order_list, name="orders"),
    path("orders/<int:pk>/", order_detail, name="order"),
    path("orders/<int:pk>/edit/", order_edit, name="order_edit"),
    path("orders/<int:pk>/receive/<str:item>/", order_receive, name="order_receive"),
    path("orders/<int:pk>/comeback/", order_comeback, name="order_comeback"),
    path("orders/<int:pk>/inquiry/", inquiry, name="inquiry"),
]
