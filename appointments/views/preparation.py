"""Step 2 preparation pages: one appointment's checklist, worked by the parts
clerk and the advisor, and the manager's readiness view of a day."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appointments import preparation as prep_services
from appointments import selectors
from appointments.forms import DraftForm, LoanerForm, ReadinessFilterForm, ShortageForm, TechnicianForm, ToolsForm
from appointments.models import (
    ACTIVE,
    ITEM_SETTLED,
    Appointment,
    ItemKind,
    LoanerCar,
    LoanerReservation,
    Preparation,
    Status,
)
from dealers.access import role_required, roles_of
from dealers.models import Role

PARTS_ROLES = (Role.PARTS_CLERK, Role.SERVICE_MANAGER)
ADVISOR_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
READERS = (*PARTS_ROLES, *ADVISOR_ROLES, Role.SPECIALIST, Role.DISPATCHER)
READINESS_ROLES = (Role.SERVICE_MANAGER, Role.SERVICE_ADVISOR, Role.SPECIALIST)

# action -> (who may do it, the item it belongs to, for the page anchor)
ACTIONS = {
    "reserve": (PARTS_ROLES, ItemKind.PARTS),
    "reserve-all": (PARTS_ROLES, ItemKind.PARTS),
    "place": (PARTS_ROLES, ItemKind.PARTS),
    "shortage": (PARTS_ROLES, ItemKind.PARTS),
    "information": (ADVISOR_ROLES, ItemKind.INFORMATION),
    "technician": (ADVISOR_ROLES, ItemKind.TECHNICIAN),
    "tools": (ADVISOR_ROLES, ItemKind.TOOLS),
    "tools-not-needed": (ADVISOR_ROLES, ItemKind.TOOLS),
    "loaner": (ADVISOR_ROLES, ItemKind.LOANER),
    "loaner-release": (ADVISOR_ROLES, ItemKind.LOANER),
    "draft": (ADVISOR_ROLES, ItemKind.DRAFT),
    "ready": (ADVISOR_ROLES, None),
}


def _appointment_for(request: HttpRequest, pk: int) -> Appointment:
    try:
        return Appointment.objects.select_related("customer", "vehicle", "advisor", "dealer").get(
            pk=pk, dealer__in=[s.pk for s in request.stations]
        )
    except Appointment.DoesNotExist:
        raise Http404 from None


def _page_context(request: HttpRequest, appointment: Appointment, preparation: Preparation, **forms) -> dict:
    items = {item.kind: item for item in preparation.items.select_related("updated_by__staff")}
    reservations = list(preparation.reservations.select_related("part", "updated_by__staff"))
    held = prep_services.held_quantities([r.part_id for r in reservations], exclude_preparation=preparation)
    for reservation in reservations:
        reservation.available = reservation.part.stock_on_hand - held.get(reservation.part_id, 0)
    roles = roles_of(request.user)
    earlier = (
        Appointment.objects.filter(vehicle=appointment.vehicle_id, arrives_at__lt=appointment.arrives_at)
        .exclude(pk=appointment.pk)
        .filter(status__in=[Status.ARRIVED, Status.CONVERTED])
        .order_by("-arrives_at")
        .first()
    )
    loan_from, loan_to = prep_services.loan_days(appointment)
    context = {
        "appointment": appointment,
        "preparation": preparation,
        "items": [items[kind] for kind in ItemKind if kind in items],
        "item": items,
        "reservations": reservations,
        "earlier": earlier,
        "loan": LoanerReservation.objects.filter(appointment=appointment).select_related("loaner").first(),
        "loan_from": loan_from,
        "loan_to": loan_to,
        "fleet_size": LoanerCar.objects.filter(dealer=appointment.dealer_id, is_active=True).count(),
        "can_parts": bool(roles.intersection(PARTS_ROLES)),
        "can_advise": bool(roles.intersection(ADVISOR_ROLES)),
        "is_open": appointment.status in ACTIVE,
        "unsettled": [i for i in items.values() if i.state not in ITEM_SETTLED],
        "technician_form": TechnicianForm(appointment=appointment, initial={"technician": preparation.technician_id}),
        "tools_form": ToolsForm(initial={"note": preparation.tools_note}),
        "loaner_form": LoanerForm(appointment=appointment),
        "draft_form": DraftForm(initial={"request": preparation.draft_request}),
        "shortage_form": ShortageForm(),
        "Kind": ItemKind,
    }
    context.update(forms)
    return context


@role_required(*READERS)
def preparation(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_for(request, pk)
    preparation_ = prep_services.preparation_for(appointment)
    return render(request, "appointments/preparation.html", _page_context(request, appointment, preparation_))


def _run(request: HttpRequest, appointment: Appointment, prep: Preparation, action: str):
    """Do the action; returns a success message, or the bound form with its
    errors (the page is shown again), and raises ValidationError on refusal."""
    post, by = request.POST, request.user
    if action == "reserve":
        ok = prep_services.part_reserve(preparation=prep, reservation_id=post.get("reservation"), by=by)
        return _("Part reserved.") if ok else _("Not enough stock: the part is flagged as a shortage.")
    if action == "reserve-all":
        short = prep_services.parts_reserve_all(preparation=prep, by=by)
        if short:
            return _("Reserved what the stock allows; short: %(parts)s.") % {
                "parts": ", ".join(r.part.number for r in short)
            }
        return _("All parts reserved.")
    if action == "place":
        prep_services.part_place(preparation=prep, reservation_id=post.get("reservation"), by=by)
        return _("Part placed and labelled with the plate.")
    if action == "shortage":
        form = ShortageForm(post)
        if not form.is_valid():
            raise ValidationError(_("Say what is wrong with the part."))
        prep_services.part_shortage_flag(
            preparation=prep, reservation_id=post.get("reservation"), note=form.cleaned_data["note"], by=by
        )
        return _("Shortage flagged: the customer will be told before arrival.")
    if action == "information":
        prep_services.information_confirm(preparation=prep, by=by)
        return _("Information reviewed.")
    if action == "technician":
        form = TechnicianForm(post, appointment=appointment)
        if not form.is_valid():
            return {"technician_form": form}
        prep_services.technician_assign(preparation=prep, technician=form.cleaned_data["technician"], by=by)
        return _("%(name)s is assigned.") % {"name": form.cleaned_data["technician"].display_name}
    if action in ("tools", "tools-not-needed"):
        form = ToolsForm(post)
        if not form.is_valid():
            return {"tools_form": form}
        needed = action == "tools"
        try:
            prep_services.tools_record(preparation=prep, note=form.cleaned_data["note"], needed=needed, by=by)
        except ValidationError as error:
            form.add_error("note", error.message_dict.get("note", error.messages))
            return {"tools_form": form}
        return _("Tools and documents recorded.") if needed else _("No special tools or documents needed.")
    if action == "loaner":
        form = LoanerForm(post, appointment=appointment)
        if not form.is_valid():
            return {"loaner_form": form}
        loan = prep_services.loaner_reserve(preparation=prep, loaner=form.cleaned_data["loaner"], by=by)
        if loan is None:
            raise ValidationError(_("No substitute car is free for these days: the customer must be told."))
        return _("Substitute car %(plate)s reserved.") % {"plate": loan.loaner.plate}
    if action == "loaner-release":
        prep_services.loaner_release(preparation=prep, by=by)
        return _("Substitute car released.")
    if action == "draft":
        form = DraftForm(post)
        if not form.is_valid():
            return {"draft_form": form}
        prep_services.draft_confirm(preparation=prep, request=form.cleaned_data["request"], by=by)
        return _("Work order draft confirmed.")
    prep_services.preparation_ready(preparation=prep, by=by)
    return _("Appointment %(number)s reported ready.") % {"number": appointment.number}


@role_required(*READERS)
@require_POST
def preparation_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    roles, kind = ACTIONS[action]
    if not roles_of(request.user).intersection(roles):
        raise PermissionDenied
    appointment = _appointment_for(request, pk)
    prep = prep_services.preparation_for(appointment)
    anchor = f"#item-{kind}" if kind else ""
    try:
        outcome = _run(request, appointment, prep, action)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("appointments:preparation", args=[pk]) + anchor)
    if isinstance(outcome, dict):  # a form with errors: show the page again
        prep.refresh_from_db()
        context = _page_context(request, appointment, prep, **outcome)
        return render(request, "appointments/preparation.html", context, status=422)
    messages.success(request, outcome)
    return redirect(reverse("appointments:preparation", args=[pk]) + anchor)


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@role_required(*READINESS_ROLES)
def readiness(request: HttpRequest) -> HttpResponse:
    """The service manager's view of a day's appointments (tomorrow by default):
    ready, open items or problems, as the advisors reported them."""
    query = request.GET.copy()
    if not query.get("day"):
        query["day"] = _tomorrow().isoformat()  # shown in the filter, so the day is never a guess
    form = ReadinessFilterForm(query)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("day") or _tomorrow()
    day_qs = selectors.appointments_on(request.station, day).filter(status__in=[Status.BOOKED, Status.CONFIRMED])
    counts = day_qs.aggregate(
        total=Count("pk"),
        ready=Count("pk", filter=Q(preparation__ready_at__isnull=False)),
        problem=Count("pk", filter=Q(preparation__problem_since__isnull=False)),
    )
    counts["open"] = counts["total"] - counts["ready"] - counts["problem"]
    qs = day_qs
    state = data.get("state")
    if state == "ready":
        qs = qs.filter(preparation__ready_at__isnull=False)
    elif state == "problem":
        qs = qs.filter(preparation__problem_since__isnull=False)
    elif state == "open":
        qs = qs.filter(Q(preparation__isnull=True) | Q(preparation__ready_at__isnull=True)).exclude(
            preparation__problem_since__isnull=False
        )
    qs = selectors.appointment_search(qs, data.get("q", ""))
    page = Paginator(prep_services.readiness(qs), settings.PAGE_SIZE * 2).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "day": day,
        "is_tomorrow": day == _tomorrow(),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "counts": counts,
        "page": page,
        "filtered": bool(state or data.get("q")),
    }
    return render(request, "appointments/preparation_readiness.html", context)
