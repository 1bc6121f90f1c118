from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appointments import capacity, selectors, services
from appointments.forms import BookingForm, CancelForm, DayFilterForm, JobForm, RescheduleForm
from appointments.models import Appointment, Source, Status
from customers.models import Vehicle
from dealers.access import role_required
from dealers.forms import add_service_errors
from dealers.models import Role

BOOKERS = (Role.SPECIALIST, Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
# The appointment reaches these work lists (the four-copy registration).
READERS = (*BOOKERS, Role.PARTS_CLERK, Role.DISPATCHER, Role.CALL_CENTER, Role.CASHIER)

# Buttons on the appointment page: action -> (target state, who may press it).
ACTIONS = {
    "confirm": (Status.CONFIRMED, BOOKERS),
    "arrive": (Status.ARRIVED, (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)),
}


def _appointment_for(request: HttpRequest, pk: int) -> Appointment:
    try:
        return selectors.appointment_detail([s.pk for s in request.stations], pk)
    except Appointment.DoesNotExist:
        raise Http404 from None


def _proposals_context(station, form: JobForm) -> dict:
    today = timezone.localdate()
    forecast = selectors.load_forecast(station, first_day=today)
    context = {"forecast": forecast, "proposals": None}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        est = services.estimate(dealer=station, operations=data["operations"], packages=data["packages"])
        calendar = capacity.load_calendar(station, today, today + dt.timedelta(days=13))
        job = capacity.Job.of(data["job_type"], est.hours, est.grade)
        context.update(
            estimate=est,
            proposals=capacity.propose(
                calendar,
                job,
                now=timezone.now(),
                first_day=today,
                wished_day=data["wished_day"],
                part_of_day=data["part_of_day"] or None,
            ),
        )
    return context


@role_required(*BOOKERS)
def book(request: HttpRequest) -> HttpResponse:
    """Passive booking (phone or walk-in) for a vehicle found at the front desk."""
    vehicle_id = request.GET.get("vehicle") or request.POST.get("vehicle")
    if not vehicle_id or not str(vehicle_id).isdigit():
        messages.info(request, _("Find the customer's vehicle first, then book from its page."))
        return redirect("customers:lookup")
    vehicle = get_object_or_404(Vehicle.objects.for_station(request.station).select_related("owner"), pk=vehicle_id)
    form = BookingForm(
        request.POST or None,
        station=request.station,
        initial={
            "contact_channel": vehicle.owner.preferred_channel,
            "job_type": request.GET.get("job_type", "maintenance"),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # "Give appointment card": a walk-in who complained about the queue
        # leaves with a booked time instead (counted for the dashboard).
        card = "card" in request.POST
        try:
            appointment = services.appointment_book(
                dealer=request.station,
                customer=vehicle.owner,
                vehicle=vehicle,
                advisor=data["advisor"],
                job_type=data["job_type"],
                arrives_at=data["arrives_at"],
                request=data["request"],
                operations=list(data["operations"]),
                packages=list(data["packages"]),
                substitute_car=data["substitute_car"],
                arrival_mode=data["arrival_mode"],
                contact_channel=data["contact_channel"],
                offers=data["offers"],
                offers_accepted=data["offers_accepted"],
                source=Source.WALK_IN_CARD if card else data["source"] or Source.PHONE,
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if card:
                messages.success(
                    request,
                    _("Appointment card %(number)s given: tell the customer the time and what to bring.")
                    % {"number": appointment.number},
                )
                return redirect("appointments:detail", pk=appointment.pk)
            messages.success(request, _("Appointment %(number)s booked.") % {"number": appointment.number})
            return redirect("appointments:detail", pk=appointment.pk)
    context = {"form": form, "vehicle": vehicle, "customer": vehicle.owner}
    context.update(
        _proposals_context(
            request.station, JobForm(request.POST, station=request.station) if request.method == "POST" else form
        )
    )
    return render(request, "appointments/book.html", context)


@role_required(*BOOKERS)
def proposals(request: HttpRequest) -> HttpResponse:
    """The proposal panel, refreshed by htmx while the booker fills the form."""
    form = JobForm(request.GET, station=request.station)
    return render(
        request, "appointments/book.html#proposals", {"form": form, **_proposals_context(request.station, form)}
    )


@role_required(*READERS)
def day_list(request: HttpRequest) -> HttpResponse:
    """The appointments of one day: the booking desk's and the work lists' view."""
    form = DayFilterForm(request.GET or None)
    day = form.day_or_today()
    qs = selectors.appointments_on(request.station, day)
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        qs = selectors.appointment_search(qs, form.cleaned_data["q"])
    page = Paginator(qs, settings.PAGE_SIZE * 2).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "day": day,
        "page": page,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "forecast": selectors.load_forecast(request.station),
        "can_book": request.user.is_superuser or request.user.staff.has_role(*BOOKERS),
    }
    return render(request, "appointments/list.html", context)


@role_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_for(request, pk)
    return render(
        request,
        "appointments/detail.html",
        {"appointment": appointment, "cancel_form": CancelForm(), "Status": Status},
    )


@role_required(*BOOKERS)
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    appointment = _appointment_for(request, pk)
    if action == "cancel":
        form = CancelForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for cancelling."))
            return redirect("appointments:detail", pk=pk)
        target, note = Status.CANCELLED, form.cleaned_data["note"]
    elif action in ACTIONS:
        target, roles = ACTIONS[action]
        if not (request.user.is_superuser or request.user.staff.has_role(*roles)):
            raise Http404
        note = ""
    else:
        raise Http404
    try:
        services.appointment_transition(appointment=appointment, to=target, by=request.user, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Appointment %(number)s is now %(status)s.")
            % {"number": appointment.number, "status": Status(target).label},
        )
    return redirect("appointments:detail", pk=pk)


@role_required(*BOOKERS)
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_for(request, pk)
    form = RescheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                arrives_at=form.cleaned_data["arrives_at"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Moved: the new appointment is %(number)s.") % {"number": moved.number})
            return redirect("appointments:detail", pk=moved.pk)
    today = timezone.localdate()
    calendar = capacity.load_calendar(request.station, today, today + dt.timedelta(days=13), exclude_pk=appointment.pk)
    job = capacity.Job.of(appointment.job_type, appointment.hours, appointment.skill_grade)
    proposals_ = capacity.propose(calendar, job, now=timezone.now(), first_day=today)
    return render(
        request, "appointments/reschedule.html", {"appointment": appointment, "form": form, "proposals": proposals_}
    )
