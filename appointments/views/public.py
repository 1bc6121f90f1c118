"""The public self-booking page (no sign-in): plate and phone, services and
a proposed time, then a confirmation with a signed link to view, cancel or
move the appointment. The rules live in `appointments.public`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments import public, ratelimit
from appointments.public_forms import ChooseForm, IdentifyForm, MoveForm, RegisterForm
from dealers.forms import add_service_errors
from dealers.models import Dealer

SESSION_KEY = "public_booking"
# Showing times again without JavaScript is cheap for people, so it gets a
# looser limit than sending identities and bookings.
SHOW_LIMIT = (60, 600)


def _station(code: str) -> Dealer:
    return get_object_or_404(Dealer, code=code, is_active=True)


def _too_many(request: HttpRequest, station: Dealer | None) -> HttpResponse:
    return render(request, "appointments/public/too_many.html", {"station": station}, status=429)


def _ip_ok(request: HttpRequest, *, scope: str = "public-ip", limit: tuple[int, int] = public.IP_LIMIT) -> bool:
    return ratelimit.allow(scope, ratelimit.client_ip(request), limit=limit[0], window=limit[1])


def _phone_ok(phone: str) -> bool:
    return ratelimit.allow("public-phone", phone, limit=public.PHONE_LIMIT[0], window=public.PHONE_LIMIT[1])


def _visit(request: HttpRequest, station: Dealer) -> dict[str, Any] | None:
    visit = request.session.get(SESSION_KEY)
    return visit if visit and visit.get("station") == station.pk else None


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: who are you — plate and phone."""
    station = _station(code)
    form = IdentifyForm(request.POST or None)
    if request.method == "POST":
        if not _ip_ok(request):
            return _too_many(request, station)
        if form.is_valid():
            plate, phone = form.cleaned_data["plate"], form.cleaned_data["phone"]
            if not _phone_ok(phone):
                return _too_many(request, station)
            visit = {"station": station.pk, "plate": plate, "phone": phone, "vehicle": None, "registration": None}
            try:
                vehicle = public.identify(station=station, plate=plate, phone=phone)
            except public.UnknownPlate:
                request.session[SESSION_KEY] = visit
                return redirect("public_booking:register", code=station.code)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                request.session[SESSION_KEY] = {**visit, "vehicle": vehicle.pk}
                return redirect("public_booking:choose", code=station.code)
    return render(request, "appointments/public/start.html", {"station": station, "form": form})


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1b: an unknown plate — the short form of a new customer."""
    station = _station(code)
    visit = _visit(request, station)
    if visit is None or visit.get("vehicle"):
        return redirect("public_booking:start", code=station.code)
    form = RegisterForm(request.POST or None, initial={"plate": visit["plate"], "phone": visit["phone"]})
    if request.method == "POST":
        if not _ip_ok(request):
            return _too_many(request, station)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in ("name", "phone", "plate", "make", "model", "vin")}
            if not _phone_ok(data["phone"]):
                return _too_many(request, station)
            try:
                data = public.registration_check(station=station, **data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                request.session[SESSION_KEY] = {**visit, **{"plate": data["plate"], "phone": data["phone"]}}
                request.session[SESSION_KEY]["registration"] = data
                return redirect("public_booking:choose", code=station.code)
    return render(request, "appointments/public/register.html", {"station": station, "form": form, "visit": visit})


@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest, code: str) -> HttpResponse:
    """Step 2: services, wished day, a proposed time; booking on submit."""
    station = _station(code)
    visit = _visit(request, station)
    if visit is None or not (visit.get("vehicle") or visit.get("registration")):
        return redirect("public_booking:start", code=station.code)
    form = ChooseForm(request.POST or None, station=station)
    wished = bool(request.POST.get("wished_day") or request.POST.get("part_of_day"))
    context: dict[str, Any] = {"station": station, "form": form, "visit": visit, "offer": None, "has_wish": wished}
    if request.method == "POST":
        showing = "show" in request.POST or not request.POST.get("arrives_at")
        if not (_ip_ok(request, scope="public-show", limit=SHOW_LIMIT) if showing else _ip_ok(request)):
            return _too_many(request, station)
        if form.is_valid():
            data = form.cleaned_data
            if not showing and not _phone_ok(visit["phone"]):
                return _too_many(request, station)
            if "book" in request.POST and not data["arrives_at"]:
                form.add_error("arrives_at", _("Choose one of the proposed times."))
            try:
                if showing or not data.get("arrives_at"):
                    context["offer"] = _offer(station, data)
                else:
                    appointment = public.appointment_book_online(
                        station=station,
                        plate=visit["plate"],
                        phone=visit["phone"],
                        operations=list(data["operations"]),
                        packages=list(data["packages"]),
                        arrives_at=data["arrives_at"],
                        request=data["request"],
                        registration=visit.get("registration"),
                    )
            except ValidationError as error:
                add_service_errors(form, error)
                context["alternatives"] = getattr(error, "alternatives", None)
                context["offer"] = _offer(station, data)
            else:
                if not showing:
                    del request.session[SESSION_KEY]
                    messages.success(request, _("Your appointment is booked."))
                    return redirect("public_booking:manage", token=public.link_token(appointment))
    return render(request, "appointments/public/choose.html", context)


def _offer(station: Dealer, data: dict[str, Any]) -> public.Offer | None:
    try:
        return public.slots_offer(
            station=station,
            operations=list(data["operations"]),
            packages=list(data["packages"]),
            wished_day=data.get("wished_day"),
            part_of_day=data.get("part_of_day"),
        )
    except ValidationError:
        return None


def _link_error(request: HttpRequest, error: public.LinkError) -> HttpResponse:
    return render(
        request, "appointments/public/link_error.html", {"error": error}, status=410 if error.expired else 400
    )


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link: the appointment, and buttons to cancel or move it."""
    try:
        appointment = public.appointment_from_link(token, client_ip=ratelimit.client_ip(request))
    except public.LinkError as error:
        return _link_error(request, error)
    current_token = public.link_token(appointment)
    move_form = MoveForm(request.POST if request.POST.get("action") == "move" else None)
    if request.method == "POST":
        if not _ip_ok(request):
            return _too_many(request, appointment.dealer)
        try:
            if request.POST.get("action") == "cancel":
                public.appointment_cancel_online(
                    appointment=appointment, token=token, client_ip=ratelimit.client_ip(request)
                )
                messages.success(request, _("Your appointment is cancelled."))
                return redirect("public_booking:manage", token=current_token)
            if request.POST.get("action") == "move" and move_form.is_valid():
                moved = public.appointment_reschedule_online(
                    appointment=appointment, arrives_at=move_form.cleaned_data["arrives_at"]
                )
                messages.success(request, _("Your appointment is moved."))
                return redirect("public_booking:manage", token=public.link_token(moved))
        except ValidationError as error:
            if not move_form.is_bound:
                messages.error(request, " ".join(error.messages))
                return redirect("public_booking:manage", token=current_token)
            add_service_errors(move_form, error)
    context = {
        "appointment": appointment,
        "station": appointment.dealer,
        "lines": appointment.lines.all(),
        "move_form": move_form,
        "proposals": public.reschedule_proposals(appointment) if appointment.is_active else [],
        "link": request.build_absolute_uri(reverse("public_booking:manage", kwargs={"token": current_token})),
    }
    return render(request, "appointments/public/manage.html", context)
