"""The call list: the specialist's and the advisor's work queue of contacts
owed to customers, with one-click outcomes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from appointments.models import ACTIVE, Appointment
from dealers.access import role_required
from dealers.models import Role
from followup import selectors
from followup.forms import SECTIONS, CallFilterForm, OutcomeForm
from followup.models import ContactTask, Outcome
from followup.services import contact_attempt_record

CALLERS = (Role.SPECIALIST, Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)


@role_required(*CALLERS)
def calls(request: HttpRequest) -> HttpResponse:
    """Overdue, due now and later today; filtered by kind, searched by name,
    phone or plate."""
    now = timezone.now()
    form = CallFilterForm(request.GET or None)
    base = selectors.call_list(request, now)
    counts = selectors.section_counts(base, request.station, now)
    qs = base
    filtered = False
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        qs = selectors.in_section(qs, data["when"], request.station, now)
        qs = selectors.task_search(qs, data["q"])
        filtered = any(data.values())
    page = Paginator(selectors.with_details(qs), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for task in page.object_list:
        task.section = selectors.section_of(task, request.station, now)
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "sections": SECTIONS,
        "filtered": filtered,
        "now": now,
    }
    return render(request, "followup/calls.html", context)


def _next_step(task: ContactTask) -> str | None:
    """Where a 'rescheduled' outcome leads: the appointment's reschedule page
    while it can be moved, otherwise a new booking for the vehicle."""
    appointment = task.source
    if not isinstance(appointment, Appointment):
        return None
    if appointment.status in ACTIVE:
        return reverse("appointments:reschedule", args=[appointment.pk])
    if task.vehicle_id:
        return reverse("appointments:book") + f"?vehicle={task.vehicle_id}"
    return None


def _row(request: HttpRequest, pk: int, **extra) -> HttpResponse:
    task = selectors.with_details(selectors.tasks_for(request).filter(pk=pk)).get()
    task.section = selectors.section_of(task, request.station, timezone.now())
    return render(request, "followup/calls.html#row", {"task": task, **extra})


@role_required(*CALLERS)
@require_POST
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on an outcome button of a call."""
    task = get_object_or_404(selectors.tasks_for(request), pk=pk)
    form = OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose one of the outcomes of this call."))
        contact_attempt_record(
            task=task, by=request.user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            return _row(request, pk, error=message)
        messages.error(request, message)
        return redirect("followup:calls")
    done = Outcome(form.cleaned_data["outcome"])
    next_step = _next_step(task) if done == Outcome.RESCHEDULED else None
    if next_step:
        messages.info(request, _("Call recorded: now choose the new time with the customer."))
        return HttpResponseClientRedirect(next_step) if request.htmx else redirect(next_step)
    if request.htmx:
        return _row(request, pk)
    messages.success(request, _("Call recorded: %(outcome)s.") % {"outcome": done.label})
    return redirect("followup:calls")
