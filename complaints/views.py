"""Pages of the call center and the station's complaint handling: intake,
the ticket with its handling steps, the lists, pre-reports. Thin: parse,
call a service, render."""

from __future__ import annotations

import csv
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import intake, selectors, services
from complaints.forms import (
    BillForm,
    CloseForm,
    CoordinationCloseForm,
    DispatchForm,
    ExtendForm,
    IntakeForm,
    LevelForm,
    PreReportForm,
    ReviewForm,
    StepForm,
    TicketFilterForm,
)
from complaints.models import (
    HANDLING_STEPS,
    ChargeReview,
    Complaint,
    ComplaintSettings,
    Contact,
    ContactType,
    EventKind,
    Fault,
    Level,
    PreReport,
    Status,
    Subject,
)
from customers.models import Customer, Vehicle
from customers.validators import normalize_phone, normalize_plate
from dealers.access import role_required
from dealers.forms import add_service_errors
from dealers.http import stored_file_response
from dealers.models import LabourOperation, Role
from followup.models import ContactTask, Kind
from reception.models import Invoice

READERS = selectors.READER_ROLES
# A deadline this close shows in amber on the lists.
DUE_SOON = dt.timedelta(hours=4)
INTAKE_ROLES = READERS


def _stations(request: HttpRequest):
    return selectors.complaint_stations(request.user)


def _pick(model, pk: str | None, **scope):
    if not pk or not str(pk).isdigit():
        return None
    rows = model.objects.all() if isinstance(model, type) else model
    return rows.filter(pk=int(pk), **scope).first()


def _survey_escalation(request: HttpRequest, stations, customer: Customer | None) -> ContactTask | None:
    """The dissatisfied-survey call this complaint comes from (the call list's
    "Open a complaint" link passes the customer, or the task itself)."""
    tasks = ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION, dealer__in=stations).select_related("source_type")
    task = _pick(tasks, request.GET.get("escalation") or request.POST.get("escalation"))
    if task is None and customer is not None:
        task = tasks.filter(customer=customer).order_by("-due_from", "-pk").first()
    return task


@role_required(*INTAKE_ROLES)
def intake_page(request: HttpRequest) -> HttpResponse:
    """Every inbound contact: find the caller (the front desk's lookup over
    the agent's stations) or record an unidentified caller, classify, write
    the words as said. A complaint shows the level criteria, the subject's
    questions, the station's visits (the dispatch rule) and any pre-report."""
    stations = _stations(request)
    station_ids = [s.pk for s in stations]
    data = request.POST if request.method == "POST" else request.GET
    q = request.GET.get("q", "").strip()
    customer = _pick(Customer.objects.select_related("dealer"), data.get("customer"), dealer__in=station_ids)
    vehicle = _pick(Vehicle.objects, data.get("vehicle"), dealer__in=station_ids)
    if vehicle is not None and customer is None:
        customer = Customer.objects.select_related("dealer").get(pk=vehicle.owner_id)
    if vehicle is not None and customer is not None and vehicle.owner_id != customer.pk:
        vehicle = None
    escalation = _survey_escalation(request, stations, customer)
    if escalation is not None and customer is None:
        customer = Customer.objects.select_related("dealer").get(pk=escalation.customer_id)
        vehicle = vehicle or (
            Vehicle.objects.filter(pk=escalation.vehicle_id).first() if escalation.vehicle_id else None
        )
    default_station = customer.dealer if customer else request.station
    chosen = _pick(type(default_station).objects, data.get("station"), pk__in=station_ids) or default_station
    orders = list(selectors.station_visits(station=chosen, vehicle=vehicle, customer=customer)[:20])
    operations = LabourOperation.objects.filter(dealer=chosen, is_active=True).order_by("code")
    initial = {"station": chosen.pk}
    if escalation is not None:
        initial.update(channel="survey", contact_type=ContactType.COMPLAINT)
        source = escalation.source
        survey_order = getattr(source, "repair_order_id", None)
        if survey_order:
            initial["related_orders"] = [survey_order]
        if getattr(source, "comment", ""):
            initial["words"] = source.comment
    form = IntakeForm(
        request.POST if request.method == "POST" else None,
        stations=stations,
        orders=orders,
        operations=operations,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        result = _take_contact(request, form, chosen, customer, vehicle, orders, escalation)
        if result is not None:
            return result
    results = selectors.caller_lookup(stations=stations, q=q) if q and customer is None else None
    context = {
        "form": form,
        "q": q,
        "results": results[:10] if results is not None else None,
        "customer": customer,
        "vehicle": vehicle,
        "chosen_station": chosen,
        "orders": orders,
        "pre_reports": list(selectors.pre_reports_for(station=chosen, customer=customer, vehicle=vehicle)[:5]),
        "repeat_hint": _repeat_hint(orders),
        "escalation": escalation,
        "criteria": intake.CRITERIA,
        "level_descriptions": [(level, Level(level).label, text) for level, text in intake.LEVEL_DESCRIPTIONS.items()],
        "settings_row": ComplaintSettings.for_station(chosen),
        "coordination": selectors.open_coordination(stations)[:8],
        "now": timezone.now(),
    }
    return render(request, "complaints/intake.html", context, status=400 if form.errors else 200)


def _repeat_hint(orders) -> list[tuple[str, int]]:
    """Operations that occur on more than one of the vehicle's visits, most
    repeated first: what the agent asks about for a repair-quality complaint."""
    seen: dict[str, int] = {}
    for order in orders:
        for name in {line.operation.name for line in order.lines.all() if line.operation_id}:
            seen[name] = seen.get(name, 0) + 1
    return sorted(((n, c) for n, c in seen.items() if c > 1), key=lambda item: -item[1])


def _take_contact(request, form, station, customer, vehicle, orders, escalation) -> HttpResponse | None:
    data = form.cleaned_data
    common = {
        "station": station,
        "words": data["words"],
        "by": request.user,
        "channel": data["channel"],
        "customer": customer,
        "vehicle": vehicle,
        "caller_name": data["caller_name"],
        "caller_phone": data["caller_phone"],
    }
    try:
        if data["contact_type"] != ContactType.COMPLAINT:
            services.contact_record(
                contact_type=data["contact_type"], answer=data["answer"], department=data["department"], **common
            )
            messages.success(
                request, _("Contact recorded: %(type)s.") % {"type": ContactType(data["contact_type"]).label}
            )
            return redirect("complaints:intake")
        by_pk = {o.pk: o for o in orders}
        complaint = services.complaint_open(
            subject=data["subject"],
            level=data["level"],
            expected_outcome=data["expected_outcome"],
            criteria=data["criteria"],
            answers=form.answers(),
            related_orders=[by_pk[pk] for pk in data["related_orders"] if pk in by_pk],
            visit_confirmed=data["visit_confirmed"],
            guidance=data["guidance"],
            problem_operation=data["problem_operation"],
            problem_symptom=data["problem_symptom"],
            complainer_type=data["complainer_type"],
            customer_type=data["customer_type"],
            source_task=escalation,
            **common,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    if complaint.dispatched:
        messages.success(
            request,
            _("Complaint %(number)s accepted and dispatched to %(station)s.")
            % {"number": complaint.number, "station": station.name},
        )
    else:
        messages.info(request, _("Complaint %(number)s accepted.") % {"number": complaint.number})
    return redirect("complaints:detail", pk=complaint.pk)


@role_required(*INTAKE_ROLES)
@require_POST
def coordination_close(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.filter(dealer__in=[s.pk for s in _stations(request)]), pk=pk)
    form = CoordinationCloseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Write down the answer the customer was given."))
        services.coordination_close(contact=contact, answer=form.cleaned_data["answer"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Coordination closed."))
    return redirect("complaints:intake")


# --- lists ---------------------------------------------------------------------------------

EXPORT_FIELDS = (
    (_("Number"), lambda c, tz: c.number),
    (_("Received"), lambda c, tz: c.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")),
    (_("Station"), lambda c, tz: c.dealer.name),
    (_("Customer"), lambda c, tz: c.contact.caller),
    (_("Plate"), lambda c, tz: c.contact.vehicle.plate if c.contact.vehicle_id else ""),
    (_("Subject"), lambda c, tz: c.get_subject_display()),
    (_("Level"), lambda c, tz: c.level),
    (_("Status"), lambda c, tz: c.get_status_display()),
    (
        _("Next deadline"),
        lambda c, tz: c.next_due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if c.next_due_at else "",
    ),
    (_("Handler"), lambda c, tz: c.handler.display_name if c.handler_id else ""),
    (_("Escalated to"), lambda c, tz: c.escalation_stage),
    (_("Satisfied"), lambda c, tz: "" if c.satisfied is None else (_("Yes") if c.satisfied else _("No"))),
)


def _filtered(request: HttpRequest, form: TicketFilterForm, now: dt.datetime):
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.list_scope(request, data.get("station"))
    if data.get("mine"):
        qs = qs.filter(selectors.my_filter(request.user)).distinct()
    qs = selectors.ticket_search(qs, data.get("q", ""))
    if data.get("level"):
        qs = qs.filter(level=data["level"])
    if data.get("subject"):
        qs = qs.filter(subject=data["subject"])
    status = data.get("status") or ""
    if status == "":
        qs = qs.exclude(status=Status.CLOSED)
    elif status != "all":
        qs = qs.filter(status=status)
    tz = ZoneInfo(request.station.time_zone)
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz))
    if data.get("date_to"):
        qs = qs.filter(
            created_at__lt=dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if data.get("overdue"):
        qs = qs.overdue(now)
    return qs, data


@role_required(*READERS)
def ticket_list(request: HttpRequest) -> HttpResponse:
    """My tickets, the station's tickets (overdue first), and for the call
    center every station's; filters, paging and an export Excel opens."""
    now = timezone.now()
    call_center = selectors.is_call_center(request.user) or request.user.is_superuser
    form = TicketFilterForm(request.GET or None, stations=_stations(request) if call_center else ())
    qs, data = _filtered(request, form, now)
    if request.GET.get("export") == "csv":
        return _export(request, qs)
    page = Paginator(selectors.with_list_details(selectors.overdue_first(qs)), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    soon = now + DUE_SOON
    for ticket in page.object_list:
        ticket.overdue = ticket.is_overdue(now)
        ticket.due_soon = not ticket.overdue and ticket.next_due_at is not None and ticket.next_due_at <= soon
    context = {
        "form": form,
        "page": page,
        "call_center": call_center,
        "counts": selectors.counts(selectors.list_scope(request, data.get("station")), now),
        "filtered": any(v for k, v in data.items()),
        "now": now,
    }
    return render(request, "complaints/list.html", context)


def _export(request: HttpRequest, qs) -> HttpResponse:
    """CSV with a byte-order mark, which Excel opens with the Chinese intact."""
    tz = ZoneInfo(request.station.time_zone)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="complaints-{timezone.now():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(label) for label, _get in EXPORT_FIELDS])
    for ticket in selectors.with_list_details(selectors.overdue_first(qs))[:5000]:
        writer.writerow([get(ticket, tz) for _label, get in EXPORT_FIELDS])
    return response


# --- the ticket ---------------------------------------------------------------------------


def _ticket(request: HttpRequest, pk: int) -> Complaint:
    try:
        return selectors.ticket_detail(selectors.visible_tickets(request), pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


@role_required(*READERS)
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _ticket(request, pk)
    return _render_ticket(request, complaint)


def _render_ticket(request: HttpRequest, complaint: Complaint, status: int = 200, **forms) -> HttpResponse:
    now = timezone.now()
    contact = complaint.contact
    station_orders = []
    invoices = []
    if complaint.status == Status.GUIDED:
        station_orders = list(services.orders_for_dispatch(complaint)[:20])
    if complaint.status == Status.CHARGE_REVIEW:
        ro_ids = [o.pk for o in complaint.related_orders.all()]
        invoices = Invoice.objects.filter(repair_order_id__in=ro_ids, kind="invoice")
    events = list(complaint.events.all())
    done_steps = {e.kind for e in events}
    settings_row = ComplaintSettings.for_station(complaint.dealer)
    repeat_now = selectors.repeat_repairs(
        station=complaint.dealer,
        vehicle=contact.vehicle,
        operation=complaint.problem_operation,
        symptom=complaint.problem_symptom,
    )
    deadlines = [
        (_("First answer"), complaint.answer_due, complaint.answered_at),
        (_("Callback"), complaint.callback_due, complaint.called_back_at),
        (_("Resolution"), complaint.resolution_due, complaint.closed_at),
    ]
    context = {
        "complaint": complaint,
        "contact": contact,
        "events": events,
        "steps": [(kind, kind.label, kind in done_steps) for kind in HANDLING_STEPS],
        "deadlines": [(label, due, met, met is None and due <= now) for label, due, met in deadlines],
        "criteria": [intake.CRITERIA_BY_CODE[c] for c in complaint.criteria if c in intake.CRITERIA_BY_CODE],
        "questions": [
            (label, complaint.answers.get(key, "")) for key, label in intake.QUESTIONS.get(complaint.subject, ())
        ],
        "escalations": list(complaint.escalations.all()),
        "can_handle": services.can_handle(request.user, complaint),
        "is_call_center": selectors.is_call_center(request.user) or request.user.is_superuser,
        "repeat_now": repeat_now,
        "settings_row": settings_row,
        "faults": Fault.choices,
        "step_form": forms.get("step_form") or StepForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "level_form": forms.get("level_form") or LevelForm(initial={"level": complaint.level}),
        "extend_form": forms.get("extend_form") or ExtendForm(),
        "dispatch_form": forms.get("dispatch_form") or DispatchForm(orders=station_orders),
        "bill_form": forms.get("bill_form") or BillForm(invoices=invoices),
        "review_form": forms.get("review_form") or ReviewForm(),
        "review": getattr(complaint, "charge_review", None),
        "overdue": complaint.is_overdue(now),
        "now": now,
        "Status": Status,
        "Subject": Subject,
        "EventKind": EventKind,
    }
    return render(request, "complaints/detail.html", context, status=status)


def _act(request: HttpRequest, pk: int, form_name: str, form, action) -> HttpResponse:
    """Validate the form, call the service; on a refusal show the ticket again
    with the message, nothing written."""
    complaint = _ticket(request, pk)
    if form.is_valid():
        try:
            message = action(complaint, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, message)
            return redirect("complaints:detail", pk=pk)
    errors = form.non_field_errors() or [e for errs in form.errors.values() for e in errs]
    for error in errors:
        messages.error(request, error)
    complaint = _ticket(request, pk)
    return _render_ticket(request, complaint, status=400, **{form_name: form})


@role_required(*READERS)
@require_POST
def ticket_step(request: HttpRequest, pk: int) -> HttpResponse:
    def act(complaint, data):
        services.complaint_step(
            complaint=complaint, step=data["step"], note=data["note"], value=data["value"], by=request.user
        )
        return _("Recorded: %(step)s.") % {"step": EventKind(data["step"]).label}

    return _act(request, pk, "step_form", StepForm(request.POST), act)


@role_required(*READERS)
@require_POST
def ticket_take(request: HttpRequest, pk: int) -> HttpResponse:
    def act(complaint, data):
        services.complaint_take(complaint=complaint, by=request.user)
        return _("You handle this ticket now.")

    return _act(request, pk, "step_form", StepForm({"step": "note"}), act)


@role_required(*READERS)
@require_POST
def ticket_close(request: HttpRequest, pk: int) -> HttpResponse:
    def act(complaint, data):
        services.complaint_close(complaint=complaint, satisfied=data["satisfied"], note=data["note"], by=request.user)
        return _("Ticket closed.")

    return _act(request, pk, "close_form", CloseForm(request.POST), act)


@role_required(*READERS)
@require_POST
def ticket_level(request: HttpRequest, pk: int) -> HttpResponse:
    def act(complaint, data):
        services.complaint_set_level(complaint=complaint, level=data["level"], reason=data["reason"], by=request.user)
        return _("Level changed; the open deadlines follow the new level.")

    return _act(request, pk, "level_form", LevelForm(request.POST), act)


@role_required(*READERS)
@require_POST
def ticket_extend(request: HttpRequest, pk: int) -> HttpResponse:
    def act(complaint, data):
        services.complaint_extend(
            complaint=complaint, deadline=data["deadline"], until=data["until"], reason=data["reason"], by=request.user
        )
        return _("Deadline extended; the extension is logged.")

    return _act(request, pk, "extend_form", ExtendForm(request.POST), act)


@role_required(*READERS)
@require_POST
def ticket_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _ticket(request, pk)
    orders = {o.pk: o for o in services.orders_for_dispatch(complaint)[:50]}

    def act(complaint, data):
        services.complaint_dispatch(
            complaint=complaint,
            related_orders=[orders[i] for i in data["related_orders"] if i in orders],
            note=data["note"],
            by=request.user,
        )
        return _("Dispatched to the station.")

    return _act(request, pk, "dispatch_form", DispatchForm(request.POST, orders=orders.values()), act)


@role_required(*READERS)
@require_POST
def ticket_bill(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _ticket(request, pk)
    invoices = Invoice.objects.filter(repair_order__in=complaint.related_orders.all(), kind="invoice")

    def act(complaint, data):
        invoice = invoices.filter(pk=data["invoice"]).first() if data["invoice"] else None
        services.charge_bill_provide(complaint=complaint, bill=data["bill"], invoice=invoice, by=request.user)
        return _("The itemised bill is on the ticket for the engineer's review.")

    return _act(request, pk, "bill_form", BillForm(request.POST, request.FILES, invoices=invoices), act)


@role_required(*READERS)
def ticket_bill_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The station's uploaded bill, shown on the ticket: to whoever may open the
    ticket (its station's staff, the call center's engineers)."""
    review = get_object_or_404(ChargeReview, complaint__in=selectors.visible_tickets(request), complaint_id=pk)
    return stored_file_response(review.bill, f"bill-{pk}")


@role_required(Role.CALL_CENTER)
@require_POST
def ticket_review(request: HttpRequest, pk: int) -> HttpResponse:
    def act(complaint, data):
        review = services.charge_review_record(
            complaint=complaint, reasonable=data["result"] == "reasonable", note=data["note"], by=request.user
        )
        if review.callback_task_id:
            return _("Charge reasonable: a call to explain it is on the station's call list.")
        return _("Charge unreasonable: the ticket goes on as a complaint against the station.")

    return _act(request, pk, "review_form", ReviewForm(request.POST), act)


# --- pre-reports ----------------------------------------------------------------------------


@role_required(Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER, Role.SPECIALIST)
def pre_report(request: HttpRequest) -> HttpResponse:
    """The station tells the call center about a likely complaint (报备)."""
    form = PreReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        needle = form.cleaned_data["plate_or_phone"].strip()
        plate, phone = normalize_plate(needle), normalize_phone(needle)
        vehicle = Vehicle.objects.for_station(request.station).filter(plate=plate).first() if plate else None
        customer = vehicle.owner if vehicle else None
        if customer is None:
            customer = Customer.objects.for_station(request.station).filter(Q(phone=phone) | Q(phone2=phone)).first()
        try:
            if customer is None:
                raise ValidationError({"plate_or_phone": _("No customer of this station has this plate or phone.")})
            services.pre_report_record(
                station=request.station,
                customer=customer,
                vehicle=vehicle,
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pre-report recorded: the call center sees it when the customer calls."))
            return redirect(reverse("complaints:list"))
    recent = PreReport.objects.for_station(request.station).select_related("customer", "vehicle", "reported_by")[:20]
    return render(
        request, "complaints/pre_report.html", {"form": form, "recent": recent}, status=400 if form.errors else 200
    )
