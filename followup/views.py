"""The call list: the specialist's and the advisor's work queue of contacts
owed to customers, with one-click outcomes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

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
from followup import calling, selectors, surveys
from followup.forms import SECTIONS, CallFilterForm, OutcomeForm, SurveyForm
from followup.models import SURVEY_QUESTIONS, ContactTask, Kind, Outcome, Survey
from followup.services import contact_attempt_record
from followup.surveys import survey_record

CALLERS = (Role.SPECIALIST, Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)


def _annotate_rows(tasks, station, now) -> None:
    """Section and proposed call time of each row, computed without queries."""
    for task in tasks:
        task.section = selectors.section_of(task, station, now)
        # A callback closes satisfied or dissatisfied through its survey only.
        survey_only = (Outcome.SATISFIED, Outcome.DISSATISFIED) if task.kind == Kind.CALLBACK else ()
        task.buttons = [(value, label) for value, label in task.outcome_choices if value not in survey_only]
        if task.next_attempt_at:
            task.proposed_at = task.next_attempt_at
        else:
            task.proposed_at = calling.first_call_time(
                station, task.customer.preferred_time, max(now, task.due_from), until=task.due_until
            )
        task.call_now = task.proposed_at is not None and task.proposed_at <= now
        if task.proposed_at:
            local = task.proposed_at.astimezone(ZoneInfo(station.time_zone))
            task.proposed_part = calling.DAY_PART_LABELS[calling.part_of_day(local.time())]


@role_required(*CALLERS)
def calls(request: HttpRequest) -> HttpResponse:
    """The work queue: overdue, due now, later today and scheduled later;
    counted by kind, filtered to mine, searched by name, phone or plate."""
    now = timezone.now()
    form = CallFilterForm(request.GET or None)
    base = selectors.queue(request, now)
    data = form.cleaned_data if form.is_valid() else {"kind": "", "when": "", "q": "", "mine": False}
    if data["mine"]:
        base = base.filter(selectors.mine_filter(request))
    base = selectors.task_search(base, data["q"])
    counts = selectors.section_counts(base, request.station, now, data["when"])
    kinds = counts.pop("kinds")
    in_view = selectors.in_section(base, data["when"], request.station, now)
    qs = in_view.filter(kind=data["kind"]) if data["kind"] else in_view
    paginator = Paginator(selectors.with_details(qs), settings.PAGE_SIZE)
    # The kind counts of the shown section already say how many rows there are.
    paginator.count = kinds.get(data["kind"], 0) if data["kind"] else sum(kinds.values())
    page = paginator.get_page(request.GET.get("page"))
    _annotate_rows(page.object_list, request.station, now)
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "kind_counts": [(kind, Kind(kind).label, kinds[kind]) for kind in Kind.values if kinds.get(kind)],
        "sections": SECTIONS,
        "filtered": any(data.values()),
        "now": now,
    }
    return render(request, "followup/calls.html", context)


@role_required(*CALLERS)
def customer_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer file beside a call, loaded when the row is opened."""
    task = get_object_or_404(selectors.tasks_for(request).for_station(request.station), pk=pk)
    customer = selectors.customer_file(task.customer_id, request.station)
    return render(request, "followup/_customer_file.html", {"customer": customer, "task": task})


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
    _annotate_rows([task], request.station, timezone.now())
    return render(request, "followup/calls.html#row", {"task": task, **extra})


@role_required(*CALLERS)
@require_POST
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on an outcome button of a call."""
    task = get_object_or_404(selectors.tasks_for(request), pk=pk)
    form = OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            if "odometer_km" in form.errors:
                raise ValidationError(_("The odometer is a whole number of kilometres."))
            raise ValidationError(_("Choose one of the outcomes of this call."))
        data = form.cleaned_data
        contact_attempt_record(
            task=task,
            by=request.user,
            outcome=data["outcome"],
            note=data["note"],
            reason=data["reason"],
            odometer_km=data["odometer_km"],
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


@role_required(*CALLERS)
def survey(request: HttpRequest, pk: int) -> HttpResponse:
    """The callback's satisfaction survey: 1–5 per question, the dissatisfied
    box and the customer's words; once recorded, what follows from it."""
    task = get_object_or_404(
        selectors.tasks_for(request).for_station(request.station).filter(kind=Kind.CALLBACK).select_related("customer"),
        pk=pk,
    )
    recorded = Survey.objects.filter(task=task).first()
    form = SurveyForm(request.POST or None) if recorded is None else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey_record(
                task=task,
                scores={name: data[name] for name in SURVEY_QUESTIONS},
                dissatisfied=data["dissatisfied"],
                comment=data["comment"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Survey recorded."))
            return redirect("followup:survey", pk=task.pk)
    context = {
        "task": task,
        "form": form,
        "survey": recorded,
        "escalation": surveys.escalation_of(recorded) if recorded and recorded.is_dissatisfied else None,
        "customer": selectors.customer_file(task.customer_id, request.station),
        "questions": [form[name] for name in SURVEY_QUESTIONS] if form is not None else [],
    }
    return render(request, "followup/survey.html", context, status=400 if form is not None and form.errors else 200)
