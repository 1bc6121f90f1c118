"""The front desk's arrival queue: today's expected appointment customers
(with their preparation's readiness) and the customers at the desk, served
in arrival order. The page refreshes itself every 30 seconds."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from appointments.models import ACTIVE, Appointment
from appointments.models import Status as AppointmentStatus
from appointments.selectors import appointment_search, day_bounds
from customers.validators import normalize_plate
from dealers.access import role_required, roles_of
from dealers.models import JobType, Role
from reception import services
from reception.models import Arrival

DESK_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
READERS = (*DESK_ROLES, Role.SPECIALIST)
SERVED_SHOWN = 10


class WalkInForm(forms.Form):
    plate = forms.CharField(label=gettext_lazy("Plate"), max_length=12, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60, required=False)


class ServeForm(forms.Form):
    job_type = forms.ChoiceField(label=gettext_lazy("Job type"), choices=JobType.choices, required=False)
    plate = forms.CharField(label=gettext_lazy("Plate"), max_length=12, required=False)


def _expected(request: HttpRequest, q: str):
    """Today's appointments still to come, and those the sweep marked no-show:
    a late customer who turns up is still greeted by name (no-show → arrived)."""
    start, end = day_bounds(request.station, timezone.localdate())
    qs = (
        Appointment.objects.for_station(request.station)
        .filter(arrives_at__gte=start, arrives_at__lt=end, status__in=[*ACTIVE, AppointmentStatus.NO_SHOW])
        .select_related("customer", "vehicle", "advisor", "preparation")
        .order_by("arrives_at", "pk")
    )
    return appointment_search(qs, q)


def _queue(request: HttpRequest, q: str):
    qs = Arrival.objects.for_station(request.station).waiting().select_related("appointment__advisor", "vehicle")
    q = q.strip()
    if q:
        plate = normalize_plate(q)
        qs = qs.filter(Q(name__icontains=q) | Q(plate__icontains=plate))
    return qs


def _served_today(request: HttpRequest):
    start, _end = day_bounds(request.station, timezone.localdate())
    return (
        Arrival.objects.for_station(request.station)
        .filter(arrived_at__gte=start)
        .exclude(served_at__isnull=True, left_at__isnull=True)
        .select_related("repair_order", "served_by")
        .order_by("-arrived_at", "-pk")[:SERVED_SHOWN]
    )


@role_required(*READERS)
def arrivals(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    now = timezone.now()
    queue = list(_queue(request, q))
    for position, arrival in enumerate(queue, start=1):
        arrival.position = position
        arrival.waiting_minutes = max(0, int((now - arrival.arrived_at).total_seconds() // 60))
    context = {
        "q": q,
        "now": now,
        "expected": list(_expected(request, q)),
        "queue": queue,
        "served": list(_served_today(request)),
        "walk_in_form": WalkInForm(),
        "job_types": JobType.choices,
        "can_act": bool(roles_of(request.user).intersection(DESK_ROLES)),
    }
    template = "reception/arrivals.html"
    if request.htmx and request.GET.get("part") == "board":
        template += "#board"
    return render(request, template, context)


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("reception:arrivals"))


def _refuse(request: HttpRequest, error: ValidationError) -> None:
    existing = getattr(error, "repair_order", None)
    if existing is not None:
        messages.error(
            request,
            format_html(
                '{} <a class="alert-link" href="{}">{}</a>',
                " ".join(error.messages),
                reverse("reception:order", args=[existing.pk]),
                _("Open %(number)s") % {"number": existing.number},
            ),
        )
    else:
        messages.error(request, " ".join(error.messages))


def _staff(request: HttpRequest):
    staff = getattr(request.user, "staff", None)
    if staff is None:
        raise Http404
    return staff


@role_required(*DESK_ROLES)
@require_POST
def appointment_arrived(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.for_station(request.station).select_related("customer"), pk=pk)
    try:
        services.arrival_record_appointment(appointment=appointment, by=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, _("%(name)s is at the desk.") % {"name": appointment.customer.name})
    return _back(request)


@role_required(*DESK_ROLES)
@require_POST
def walk_in(request: HttpRequest) -> HttpResponse:
    form = WalkInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the plate and name."))
        return _back(request)
    try:
        arrival = services.arrival_record_walk_in(dealer=request.station, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        _refuse(request, error)
        return _back(request)
    if arrival.vehicle_id:
        messages.success(request, _("%(who)s joined the queue (customer on file).") % {"who": arrival.name})
    else:
        create = reverse("customers:create") + (f"?{urlencode({'name': arrival.name})}" if arrival.name else "")
        messages.warning(
            request,
            format_html(
                '{} <a class="alert-link" href="{}">{}</a>',
                _("%(who)s joined the queue; no file for this plate yet.") % {"who": arrival.name or arrival.plate},
                create,
                _("Create the customer file"),
            ),
        )
    return _back(request)


@role_required(*DESK_ROLES)
@require_POST
def serve(request: HttpRequest, pk: int) -> HttpResponse:
    arrival = get_object_or_404(Arrival.objects.for_station(request.station), pk=pk)
    form = ServeForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        repair_order = services.arrival_serve(
            arrival=arrival,
            advisor=_staff(request),
            by=request.user,
            job_type=data.get("job_type") or "",
            plate=data.get("plate") or "",
        )
    except ValidationError as error:
        _refuse(request, error)
        return _back(request)
    messages.success(request, _("Repair order %(number)s opened.") % {"number": repair_order.number})
    return redirect("reception:order", pk=repair_order.pk)


@role_required(*DESK_ROLES)
@require_POST
def left(request: HttpRequest, pk: int) -> HttpResponse:
    arrival = get_object_or_404(Arrival.objects.for_station(request.station), pk=pk)
    try:
        services.arrival_leave(arrival=arrival, by=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.info(request, _("Recorded as left without service."))
    return _back(request)


urlpatterns = [
    path("arrivals/", arrivals, name="arrivals"),
    path("arrivals/walk-in/", walk_in, name="arrival_walk_in"),
    path("arrivals/appointment/<int:pk>/", appointment_arrived, name="arrival_appointment"),
    path("arrivals/<int:pk>/serve/", serve, name="arrival_serve"),
    path("arrivals/<int:pk>/left/", left, name="arrival_left"),
]
