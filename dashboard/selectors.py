"""Reads behind the dashboard: the rows behind each figure (datasets, for the
drill-down and the exports), the manager's overdue lists, the per-person
tables, the trends for the charts and the 14-day forecast.

Every read is one aggregated or paged query; tables per technician, advisor,
month or level have as many rows as there are people, months or levels,
never as many as there are repair orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import capacity
from appointments.models import Appointment, AppointmentEvent
from appointments.models import Status as AppointmentStatus
from complaints.models import Complaint, Level
from complaints.models import Status as ComplaintStatus
from dashboard import figures as f
from dashboard.periods import Period, Window
from dealers.models import Dealer, RosterEntry, StaffMember
from followup.models import REMINDERS, Campaign, ContactTask, Kind, Survey, TaskStatus
from reception.models import RO_OPEN_STATES, Invoice, InvoiceLine, LineKind, RepairOrder, RepairOrderEvent, ROStatus
from workshop.models import Decision, Delay, FindingLine, Job, JobStatus, QualityCheck

FORECAST_DAYS = 14
TODO_PREVIEW = 5

# --- capacity and opening hours -------------------------------------------------------------------


def load_forecast(station: Dealer, now: dt.datetime) -> list[capacity.DayLoad]:
    """Booked hours against productive capacity for the next 14 days, from
    appointments.capacity (a fixed handful of queries)."""
    today = timezone.localtime(now, ZoneInfo(station.time_zone)).date()
    last = today + dt.timedelta(days=FORECAST_DAYS - 1)
    loads = {d.day: d for d in capacity.load_calendar(station, today, last).days()}
    days = [today + dt.timedelta(days=n) for n in range(FORECAST_DAYS)]
    return [loads.get(day) or capacity.DayLoad(day=day, capacity_hours=0.0, booked_hours=0.0) for day in days]


def opening_hours_between(station: Dealer, first: dt.date, last: dt.date, *, split: dt.date) -> tuple[Decimal, Decimal]:
    """Opening hours of the days from `split` to `last`, and of the days from
    `first` to the day before `split` (holidays closed). Two queries; the
    loop is over the days of the period, not over data."""
    weekly = {h.weekday: (h.opens, h.closes) for h in station.opening_hours.all()}
    holidays = set(station.holidays.filter(date__range=(first, last)).values_list("date", flat=True))
    before = after = Decimal(0)
    day = first
    while day <= last:
        if day.weekday() in weekly and day not in holidays:
            opens, closes = weekly[day.weekday()]
            minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
            if day >= split:
                after += Decimal(minutes) / 60
            else:
                before += Decimal(minutes) / 60
        day += dt.timedelta(days=1)
    return after, before


# --- datasets: the rows behind the figures ----------------------------------------------------------


def _local(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value: bool | None) -> str:
    if value is None:
        return ""
    return str(_("yes") if value else _("no"))


@dataclass(frozen=True)
class Column:
    label: str
    get: Callable[[Any, ZoneInfo], Any]
    numeric: bool = False


@dataclass(frozen=True)
class Dataset:
    """The rows behind one or more figures: a queryset for the station and
    the period, its columns, where a row links to, what the search looks in,
    the subsets a figure counts and the filters the list offers."""

    key: str
    title: str
    rows: Callable[[Dealer, Window | None, dt.datetime], QuerySet]
    columns: tuple[Column, ...]
    link: Callable[[Any], str | None]
    search: tuple[str, ...] = ()
    subsets: dict[str, tuple[str, Q]] = field(default_factory=dict)
    person: str = ""  # the field holding the advisor or technician, for the person filter
    person_label: str = ""
    windowed: bool = True  # False: a to-do list or the forecast, whatever the period
    order: tuple[str, ...] = ("-pk",)


def _order_link(pk: int | None) -> str | None:
    return reverse("reception:order", args=[pk]) if pk else None


def rows_orders(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return (
        RepairOrder.objects.filter(dealer=station, **window.q("created_at"))
        .exclude(status=ROStatus.CANCELLED)
        .select_related("customer", "vehicle", "advisor", "comeback_of")
    )


def rows_appointments(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    confirmed = Exists(
        AppointmentEvent.objects.filter(appointment=OuterRef("pk"), to_status=AppointmentStatus.CONFIRMED)
    )
    return (
        Appointment.objects.filter(dealer=station, status__in=f.DUE_STATES, **window.q("arrives_at"))
        .filter(arrives_at__lt=now)
        .annotate(was_confirmed=confirmed)
        .select_related("customer", "vehicle", "advisor")
    )


def _clocked_per_job() -> Subquery:
    spans = (
        f.closing_events_any()
        .filter(job=OuterRef("pk"))
        .order_by()
        .values("job")
        .annotate(total=Sum(f.duration("at", "opened")))
        .values("total")
    )
    return Subquery(spans)


def rows_jobs(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return (
        Job.objects.filter(dealer=station, status=JobStatus.DONE, **window.q("finished_at"))
        .annotate(clocked=_clocked_per_job())
        .select_related("repair_order", "technician", "estimate_line", "bay")
    )


def rows_invoices(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    labour_hours = (
        InvoiceLine.objects.filter(invoice=OuterRef("pk"), kind=LineKind.LABOUR)
        .order_by()
        .values("invoice")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return (
        Invoice.objects.filter(f._in_force(), dealer=station, **window.q("issued_at"))
        .annotate(hours=Subquery(labour_hours))
        .select_related("repair_order__vehicle", "repair_order__advisor")
    )


def rows_deliveries(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    on_time = ExpressionWrapper(Q(at__lte=F("repair_order__promised_at")), output_field=BooleanField())
    return (
        RepairOrderEvent.objects.filter(repair_order__dealer=station, to_status=ROStatus.DELIVERED, **window.q("at"))
        .annotate(on_time=on_time)
        .select_related("repair_order__vehicle", "repair_order__advisor")
    )


def rows_quality(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return QualityCheck.objects.filter(
        dealer=station, round=1, passed__isnull=False, **window.q("signed_off_at")
    ).select_related("repair_order__vehicle", "signed_off_by")


def rows_findings(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return FindingLine.objects.filter(
        finding__dealer=station, decision__in=(Decision.APPROVED, Decision.DECLINED), **window.q("decided_at")
    ).select_related("finding__repair_order__vehicle", "finding__found_by")


def rows_callbacks(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    in_time = ExpressionWrapper(f.callback_in_time(), output_field=BooleanField())
    return (
        f.callbacks_due(station, now)
        .filter(**window.q("due_from"))
        .annotate(in_time=in_time)
        .select_related("customer", "vehicle")
    )


def rows_surveys(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    unhappy = ExpressionWrapper(f.dissatisfied(), output_field=BooleanField())
    return (
        Survey.objects.filter(task__dealer=station, **window.q("recorded_at"))
        .annotate(unhappy=unhappy)
        .select_related("repair_order__vehicle", "repair_order__advisor", "task__customer")
    )


def rows_complaints(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return Complaint.objects.filter(dealer=station, **window.q("created_at")).select_related("contact", "handler")


def rows_reminders(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return (
        ContactTask.objects.filter(dealer=station, kind__in=REMINDERS, **window.q("created_at"))
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("customer", "vehicle", "campaign", "led_to_appointment", "led_to_repair_order")
    )


def rows_forecast(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    tz = ZoneInfo(station.time_zone)
    today = timezone.localtime(now, tz).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return (
        Appointment.objects.filter(
            dealer=station, arrives_at__gte=start, arrives_at__lt=start + dt.timedelta(days=FORECAST_DAYS)
        )
        .holding_capacity()
        .select_related("customer", "vehicle", "advisor")
    )


# The manager's to-do: overdue whatever the period.


def todo_unconfirmed(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    """Booked, not confirmed, and arriving before the second confirmation
    call's deadline (24 h ahead by default) — from the start of today."""
    tz = ZoneInfo(station.time_zone)
    today = dt.datetime.combine(timezone.localtime(now, tz).date(), dt.time.min, tzinfo=tz)
    return Appointment.objects.filter(
        dealer=station,
        status=AppointmentStatus.BOOKED,
        arrives_at__gte=today,
        arrives_at__lt=now + dt.timedelta(hours=station.confirm_second_hours),
    ).select_related("customer", "vehicle", "advisor")


def todo_callbacks(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return ContactTask.objects.filter(
        dealer=station, kind=Kind.CALLBACK, status=TaskStatus.OPEN, due_until__lt=now
    ).select_related("customer", "vehicle", "assignee")


def todo_escalations(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    order = Survey.objects.filter(pk=OuterRef("source_id")).values("repair_order")[:1]
    return (
        ContactTask.objects.filter(
            dealer=station, kind=Kind.SURVEY_ESCALATION, status=TaskStatus.OPEN, due_until__lt=now
        )
        .annotate(order_id=Subquery(order))
        .select_related("customer", "vehicle", "assignee")
    )


def todo_complaints(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    return (
        Complaint.objects.filter(dealer=station, next_due_at__lte=now)
        .exclude(status=ComplaintStatus.CLOSED)
        .select_related("contact", "handler")
    )


def todo_orders(station: Dealer, window: Window | None, now: dt.datetime) -> QuerySet:
    """Open repair orders past their promised time (a ready car is not late)
    or with a forecast delay the customer has not agreed yet."""
    unagreed = Delay.objects.filter(repair_order=OuterRef("pk"), consent__isnull=True)
    forecast = unagreed.order_by("-detected_at").values("forecast_ready_at")[:1]
    return (
        RepairOrder.objects.filter(dealer=station, status__in=RO_OPEN_STATES)
        .annotate(delay_not_agreed=Exists(unagreed), forecast_at=Subquery(forecast))
        .filter(Q(delay_not_agreed=True) | Q(promised_at__lt=now) & ~Q(status=ROStatus.READY))
        .select_related("customer", "vehicle", "advisor")
    )


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(f.HUNDREDTH)


def _hours(value) -> Decimal | None:
    return None if value is None else f.hours(value)


ORDER_COLUMNS = (
    Column(_("RO no."), lambda o, tz: o.number),
    Column(_("Opened"), lambda o, tz: _local(o.created_at, tz)),
    Column(_("Plate"), lambda o, tz: o.vehicle.plate),
    Column(_("Customer"), lambda o, tz: o.customer.name),
    Column(_("Service advisor"), lambda o, tz: o.advisor.display_name),
    Column(_("Status"), lambda o, tz: o.get_status_display()),
)
APPOINTMENT_COLUMNS = (
    Column(_("Appointment no."), lambda a, tz: a.number),
    Column(_("Arrival"), lambda a, tz: _local(a.arrives_at, tz)),
    Column(_("Plate"), lambda a, tz: a.vehicle.plate),
    Column(_("Customer"), lambda a, tz: a.customer.name),
    Column(_("Service advisor"), lambda a, tz: a.advisor.display_name),
    Column(_("Status"), lambda a, tz: a.get_status_display()),
)
TASK_COLUMNS = (
    Column(_("Customer"), lambda t, tz: t.customer.name),
    Column(_("Plate"), lambda t, tz: t.vehicle.plate if t.vehicle_id else ""),
    Column(_("Due from"), lambda t, tz: _local(t.due_from, tz)),
    Column(_("Due until"), lambda t, tz: _local(t.due_until, tz)),
    Column(_("Status"), lambda t, tz: t.get_status_display()),
    Column(_("Outcome"), lambda t, tz: t.get_outcome_display()),
)
# The manager's to-do lists of calls also say who owes the call.
ASSIGNED_TASK_COLUMNS = (
    *TASK_COLUMNS,
    Column(_("Assignee"), lambda t, tz: t.assignee.display_name if t.assignee_id else ""),
)
COMPLAINT_COLUMNS = (
    Column(_("Ticket"), lambda c, tz: c.number),
    Column(_("Received"), lambda c, tz: _local(c.created_at, tz)),
    Column(_("Level"), lambda c, tz: c.get_level_display()),
    Column(_("Subject"), lambda c, tz: c.get_subject_display()),
    Column(_("Status"), lambda c, tz: c.get_status_display()),
    Column(_("Next deadline"), lambda c, tz: _local(c.next_due_at, tz)),
    Column(_("Handler"), lambda c, tz: c.handler.display_name if c.handler_id else ""),
)

DATASETS: dict[str, Dataset] = {}


def _register(*datasets: Dataset) -> None:
    for dataset in datasets:
        DATASETS[dataset.key] = dataset


_register(
    Dataset(
        "orders",
        _("Repair orders opened"),
        rows_orders,
        (
            *ORDER_COLUMNS,
            Column(_("From an appointment"), lambda o, tz: _yes(o.appointment_id is not None)),
            Column(_("Comeback of"), lambda o, tz: o.comeback_of.number if o.comeback_of_id else ""),
        ),
        lambda o: _order_link(o.pk),
        search=("number", "vehicle__plate", "customer__name"),
        subsets={
            "appointment": (_("from an appointment"), Q(appointment__isnull=False)),
            "comeback": (_("comebacks"), Q(comeback_of__isnull=False)),
        },
        person="advisor",
        person_label=_("Service advisor"),
        order=("-created_at", "-pk"),
    ),
    Dataset(
        "appointments",
        _("Appointments due"),
        rows_appointments,
        (*APPOINTMENT_COLUMNS, Column(_("Confirmed"), lambda a, tz: _yes(a.was_confirmed))),
        lambda a: reverse("appointments:detail", args=[a.pk]),
        search=("number", "vehicle__plate", "customer__name"),
        subsets={
            "confirmed": (_("confirmed"), Q(was_confirmed=True) | Q(status=AppointmentStatus.CONFIRMED)),
            "arrived": (_("arrived"), Q(status__in=f.SHOWED)),
            "no_show": (_("no-shows"), Q(status=AppointmentStatus.NO_SHOW)),
        },
        person="advisor",
        person_label=_("Service advisor"),
        order=("-arrives_at", "-pk"),
    ),
    Dataset(
        "jobs",
        _("Jobs finished"),
        rows_jobs,
        (
            Column(_("RO no."), lambda j, tz: j.repair_order.number),
            Column(_("Finished"), lambda j, tz: _local(j.finished_at, tz)),
            Column(_("Technician"), lambda j, tz: j.technician.display_name if j.technician_id else ""),
            Column(_("Job"), lambda j, tz: j.estimate_line.description),
            Column(_("Bay"), lambda j, tz: j.bay.code if j.bay_id else ""),
            Column(_("Flat-rate hours"), lambda j, tz: j.flat_rate_hours, numeric=True),
            Column(_("Hours clocked"), lambda j, tz: _hours(j.clocked), numeric=True),
        ),
        lambda j: _order_link(j.repair_order_id),
        search=("repair_order__number", "estimate_line__description"),
        person="technician",
        person_label=_("Technician"),
        order=("-finished_at", "-pk"),
    ),
    Dataset(
        "invoices",
        _("Invoices issued"),
        rows_invoices,
        (
            Column(_("Invoice"), lambda i, tz: i.number),
            Column(_("Issued"), lambda i, tz: _local(i.issued_at, tz)),
            Column(_("RO no."), lambda i, tz: i.repair_order.number),
            Column(_("Plate"), lambda i, tz: i.repair_order.vehicle.plate),
            Column(_("Labour"), lambda i, tz: i.labour, numeric=True),
            Column(_("Parts"), lambda i, tz: i.parts, numeric=True),
            Column(_("Net"), lambda i, tz: i.net, numeric=True),
            Column(_("Labour hours"), lambda i, tz: i.hours, numeric=True),
        ),
        lambda i: _order_link(i.repair_order_id),
        search=("number", "repair_order__number", "repair_order__vehicle__plate"),
        person="repair_order__advisor",
        person_label=_("Service advisor"),
        order=("-issued_at", "-pk"),
    ),
    Dataset(
        "deliveries",
        _("Cars delivered"),
        rows_deliveries,
        (
            Column(_("RO no."), lambda e, tz: e.repair_order.number),
            Column(_("Plate"), lambda e, tz: e.repair_order.vehicle.plate),
            Column(_("Service advisor"), lambda e, tz: e.repair_order.advisor.display_name),
            Column(_("Opened"), lambda e, tz: _local(e.repair_order.created_at, tz)),
            Column(_("Promised"), lambda e, tz: _local(e.repair_order.promised_at, tz)),
            Column(_("Handed over"), lambda e, tz: _local(e.at, tz)),
            Column(_("On time"), lambda e, tz: _yes(e.on_time)),
            Column(_("Cycle time (h)"), lambda e, tz: f.hours(e.at - e.repair_order.created_at), numeric=True),
        ),
        lambda e: _order_link(e.repair_order_id),
        search=("repair_order__number", "repair_order__vehicle__plate"),
        subsets={
            "on_time": (_("on time"), Q(on_time=True)),
            "late": (_("late"), Q(on_time=False)),
        },
        person="repair_order__advisor",
        person_label=_("Service advisor"),
        order=("-at", "-pk"),
    ),
    Dataset(
        "quality",
        _("First quality checks"),
        rows_quality,
        (
            Column(_("RO no."), lambda q, tz: q.repair_order.number),
            Column(_("Plate"), lambda q, tz: q.repair_order.vehicle.plate),
            Column(_("Signed off"), lambda q, tz: _local(q.signed_off_at, tz)),
            Column(_("Signed off by"), lambda q, tz: q.signed_off_by.display_name if q.signed_off_by_id else ""),
            Column(_("Passed"), lambda q, tz: _yes(q.passed)),
        ),
        lambda q: _order_link(q.repair_order_id),
        search=("repair_order__number", "repair_order__vehicle__plate"),
        subsets={"failed": (_("failed"), Q(passed=False)), "passed": (_("passed"), Q(passed=True))},
        order=("-signed_off_at", "-pk"),
    ),
    Dataset(
        "findings",
        _("Additional work decided"),
        rows_findings,
        (
            Column(_("RO no."), lambda x, tz: x.finding.repair_order.number),
            Column(_("Plate"), lambda x, tz: x.finding.repair_order.vehicle.plate),
            Column(_("Line"), lambda x, tz: x.description),
            Column(_("Amount"), lambda x, tz: x.amount, numeric=True),
            Column(_("Decision"), lambda x, tz: x.get_decision_display()),
            Column(_("Decided"), lambda x, tz: _local(x.decided_at, tz)),
            Column(_("Found by"), lambda x, tz: x.finding.found_by.display_name),
        ),
        lambda x: _order_link(x.finding.repair_order_id),
        search=("finding__repair_order__number", "description"),
        subsets={
            "approved": (_("approved"), Q(decision=Decision.APPROVED)),
            "declined": (_("declined"), Q(decision=Decision.DECLINED)),
        },
        person="finding__found_by",
        person_label=_("Technician"),
        order=("-decided_at", "-pk"),
    ),
    Dataset(
        "callbacks",
        _("After-sales callbacks due"),
        rows_callbacks,
        (
            *TASK_COLUMNS,
            Column(_("Closed"), lambda t, tz: _local(t.closed_at, tz)),
            Column(_("In time"), lambda t, tz: _yes(t.in_time)),
        ),
        lambda t: _order_link(t.source_id),
        search=("customer__name", "vehicle__plate"),
        subsets={"in_time": (_("in time"), Q(in_time=True)), "missed": (_("missed"), Q(in_time=False))},
        order=("-due_from", "-pk"),
    ),
    Dataset(
        "surveys",
        _("Satisfaction surveys"),
        rows_surveys,
        (
            Column(_("RO no."), lambda s, tz: s.repair_order.number if s.repair_order_id else ""),
            Column(_("Customer"), lambda s, tz: s.task.customer.name),
            Column(_("Recorded"), lambda s, tz: _local(s.recorded_at, tz)),
            Column(_("Overall"), lambda s, tz: s.overall, numeric=True),
            Column(_("Dissatisfied"), lambda s, tz: _yes(s.unhappy)),
            Column(_("In the customer's words"), lambda s, tz: s.comment),
        ),
        lambda s: _order_link(s.repair_order_id),
        search=("repair_order__number", "task__customer__name", "comment"),
        subsets={"dissatisfied": (_("dissatisfied"), Q(unhappy=True))},
        person="repair_order__advisor",
        person_label=_("Service advisor"),
        order=("-recorded_at", "-pk"),
    ),
    Dataset(
        "complaints",
        _("Complaints received"),
        rows_complaints,
        COMPLAINT_COLUMNS,
        lambda c: reverse("complaints:detail", args=[c.pk]),
        search=("contact__caller_name", "contact__words"),
        subsets={
            **{f"level{lv}": (label, Q(level=lv)) for lv, label in Level.choices},
            "open": (_("open"), ~Q(status=ComplaintStatus.CLOSED)),
        },
        order=("-created_at", "-pk"),
    ),
    Dataset(
        "reminders",
        _("Reminders"),
        rows_reminders,
        (
            Column(_("Kind"), lambda t, tz: t.get_kind_display()),
            Column(_("Campaign"), lambda t, tz: t.campaign.name if t.campaign_id else ""),
            *TASK_COLUMNS,
            Column(
                _("Led to"),
                lambda t, tz: (
                    (t.led_to_appointment.number if t.led_to_appointment_id else "")
                    or (t.led_to_repair_order.number if t.led_to_repair_order_id else "")
                ),
            ),
        ),
        lambda t: (
            _order_link(t.led_to_repair_order_id)
            or (reverse("appointments:detail", args=[t.led_to_appointment_id]) if t.led_to_appointment_id else None)
        ),
        search=("customer__name", "vehicle__plate"),
        subsets={
            "converted": (
                _("converted"),
                Q(led_to_appointment__isnull=False) | Q(led_to_repair_order__isnull=False),
            ),
            **{f"kind_{k}": (label, Q(kind=k)) for k, label in Kind.choices if k in REMINDERS},
        },
        order=("-created_at", "-pk"),
    ),
    Dataset(
        "forecast",
        _("Appointments in the next 14 days"),
        rows_forecast,
        (*APPOINTMENT_COLUMNS, Column(_("Labour hours"), lambda a, tz: a.hours, numeric=True)),
        lambda a: reverse("appointments:detail", args=[a.pk]),
        search=("number", "vehicle__plate", "customer__name"),
        person="advisor",
        person_label=_("Service advisor"),
        windowed=False,
        order=("arrives_at", "pk"),
    ),
    # The manager's to-do.
    Dataset(
        "todo_unconfirmed",
        _("Unconfirmed appointments"),
        todo_unconfirmed,
        APPOINTMENT_COLUMNS,
        lambda a: reverse("appointments:detail", args=[a.pk]),
        search=("number", "vehicle__plate", "customer__name"),
        person="advisor",
        person_label=_("Service advisor"),
        windowed=False,
        order=("arrives_at", "pk"),
    ),
    Dataset(
        "todo_callbacks",
        _("Callbacks past 7 days"),
        todo_callbacks,
        ASSIGNED_TASK_COLUMNS,
        lambda t: _order_link(t.source_id),
        search=("customer__name", "vehicle__plate"),
        windowed=False,
        order=("due_until", "pk"),
    ),
    Dataset(
        "todo_escalations",
        _("Dissatisfied customers without an answer"),
        todo_escalations,
        ASSIGNED_TASK_COLUMNS,
        lambda t: _order_link(t.order_id),
        search=("customer__name", "vehicle__plate"),
        windowed=False,
        order=("due_until", "pk"),
    ),
    Dataset(
        "todo_complaints",
        _("Complaints past deadline"),
        todo_complaints,
        COMPLAINT_COLUMNS,
        lambda c: reverse("complaints:detail", args=[c.pk]),
        search=("contact__caller_name", "contact__words"),
        windowed=False,
        order=("next_due_at", "pk"),
    ),
    Dataset(
        "todo_orders",
        _("Repair orders late or delay not agreed"),
        todo_orders,
        (
            *ORDER_COLUMNS,
            Column(_("Promised"), lambda o, tz: _local(o.promised_at, tz)),
            Column(_("Forecast"), lambda o, tz: _local(o.forecast_at, tz)),
            Column(_("Delay not agreed"), lambda o, tz: _yes(o.delay_not_agreed)),
        ),
        lambda o: _order_link(o.pk),
        search=("number", "vehicle__plate", "customer__name"),
        person="advisor",
        person_label=_("Service advisor"),
        windowed=False,
        order=("promised_at", "pk"),
    ),
)

TODO_KEYS = ("todo_unconfirmed", "todo_callbacks", "todo_escalations", "todo_complaints", "todo_orders")


def dataset_rows(
    dataset: Dataset,
    station: Dealer,
    period: Period,
    now: dt.datetime,
    *,
    subset: str = "",
    q: str = "",
    person: int | None = None,
) -> QuerySet:
    """The dataset's rows for the station and period, narrowed by the subset,
    the search text and the person; ordered for the list."""
    qs = dataset.rows(station, period.window if dataset.windowed else None, now)
    if subset in dataset.subsets:
        qs = qs.filter(dataset.subsets[subset][1])
    if q and dataset.search:
        match = Q()
        for name in dataset.search:
            match |= Q(**{f"{name}__icontains": q})
        qs = qs.filter(match)
    if person and dataset.person:
        qs = qs.filter(**{f"{dataset.person}_id": person})
    return qs.order_by(*dataset.order)


def people(dataset: Dataset, station: Dealer) -> list[StaffMember]:
    """Who the person filter offers: the station's staff (one query)."""
    if not dataset.person:
        return []
    return list(StaffMember.objects.filter(dealers=station).order_by("display_name"))


def todo(station: Dealer, now: dt.datetime) -> list[dict]:
    """The overdue lists: the count and the first rows of each (two queries a list)."""
    tz = ZoneInfo(station.time_zone)
    lists = []
    for key in TODO_KEYS:
        dataset = DATASETS[key]
        qs = dataset.rows(station, None, now).order_by(*dataset.order)
        rows = list(qs[:TODO_PREVIEW])
        count = qs.count()
        lists.append(
            {
                "dataset": dataset,
                "count": count,
                "rows": [{"cells": [c.get(r, tz) for c in dataset.columns[:4]], "link": dataset.link(r)} for r in rows],
                "headers": [c.label for c in dataset.columns[:4]],
            }
        )
    return lists


# --- tables per person, level, kind ---------------------------------------------------------------


def technician_table(station: Dealer, period: Period) -> list[dict]:
    """Per technician: hours on duty, clocked, sold; productivity,
    efficiency, proficiency; comebacks on their earlier work. Six grouped queries."""
    window, tz = period.window, period.tz
    rows: dict[int, dict] = {}

    def row(pk: int | None) -> dict:
        return rows.setdefault(
            pk,
            {
                "on_duty": Decimal(0),
                "clocked": Decimal(0),
                "sold": Decimal(0),
                "sold_on_duty": Decimal(0),
                "clocked_done": Decimal(0),
                "comebacks": 0,
            },
        )

    for r in (
        RosterEntry.objects.filter(dealer=station, date__gte=period.first, date__lte=period.last)
        .values("technician")
        .annotate(shift=Sum(f.duration("ends", "starts")), breaks=Sum("break_minutes"))
    ):
        row(r["technician"])["on_duty"] = f.dec(r["shift"]) - f.dec(r["breaks"]) / 60
    from django.db.models.functions import TruncDate

    spent = f.duration("at", "opened")
    for r in (
        f.closing_events(station)
        .filter(**window.q("at"))
        .annotate(day=TruncDate("at", tzinfo=tz))
        .annotate(duty=f.on_duty(station, "day"))
        .order_by()
        .values("technician")
        .annotate(clocked=Sum(spent, filter=Q(duty=True)))
    ):
        row(r["technician"])["clocked"] = f.hours(r["clocked"])
    for r in (
        Job.objects.filter(dealer=station, status=JobStatus.DONE, **window.q("finished_at"))
        .annotate(day=TruncDate("finished_at", tzinfo=tz))
        .annotate(duty=f.on_duty(station, "day"))
        .order_by()
        .values("technician")
        .annotate(sold=Sum("flat_rate_hours"), sold_on_duty=Sum("flat_rate_hours", filter=Q(duty=True)))
    ):
        row(r["technician"]).update(sold=f.dec(r["sold"]), sold_on_duty=f.dec(r["sold_on_duty"]))
    for r in (
        f.closing_events(station)
        .filter(job__status=JobStatus.DONE, **window.q("job__finished_at"))
        .order_by()
        .values("job__technician")
        .annotate(clocked=Sum(spent))
    ):
        row(r["job__technician"])["clocked_done"] = f.hours(r["clocked"])
    for r in (
        Job.objects.filter(repair_order__comebacks__dealer=station, **window.q("repair_order__comebacks__created_at"))
        .order_by()
        .values("technician")
        .annotate(n=Count("repair_order__comebacks", distinct=True))
    ):
        row(r["technician"])["comebacks"] = r["n"]
    rows.pop(None, None)
    names = dict(StaffMember.objects.filter(pk__in=rows).values_list("pk", "display_name"))
    table = []
    for pk, r in rows.items():
        table.append(
            {
                "pk": pk,
                "name": names.get(pk, "?"),
                **r,
                "productivity": f.ratio(r["clocked"], r["on_duty"]).value,
                "efficiency": f.ratio(r["sold"], r["clocked_done"]).value,
                "proficiency": f.ratio(r["sold_on_duty"], r["on_duty"]).value,
            }
        )
    return sorted(table, key=lambda r: r["name"])


def advisor_table(station: Dealer, period: Period) -> list[dict]:
    """Per service advisor: ROs opened, appointment share, on-time delivery,
    satisfaction. Three grouped queries and the names."""
    window = period.window
    rows: dict[int, dict] = {}

    def row(pk: int) -> dict:
        return rows.setdefault(
            pk,
            {
                "opened": 0,
                "from_appointment": 0,
                "delivered": 0,
                "on_time": 0,
                "promised": 0,
                "average": None,
                "dissatisfied": 0,
            },
        )

    for r in (
        RepairOrder.objects.filter(dealer=station, **window.q("created_at"))
        .exclude(status=ROStatus.CANCELLED)
        .order_by()
        .values("advisor")
        .annotate(opened=Count("pk"), from_appointment=Count("pk", filter=Q(appointment__isnull=False)))
    ):
        row(r["advisor"]).update(opened=r["opened"], from_appointment=r["from_appointment"])
    for r in (
        RepairOrderEvent.objects.filter(repair_order__dealer=station, to_status=ROStatus.DELIVERED, **window.q("at"))
        .order_by()
        .values("repair_order__advisor")
        .annotate(
            delivered=Count("pk"),
            promised=Count("pk", filter=Q(repair_order__promised_at__isnull=False)),
            on_time=Count("pk", filter=Q(at__lte=F("repair_order__promised_at"))),
        )
    ):
        row(r["repair_order__advisor"]).update(delivered=r["delivered"], promised=r["promised"], on_time=r["on_time"])
    for r in (
        Survey.objects.filter(task__dealer=station, repair_order__isnull=False, **window.q("recorded_at"))
        .order_by()
        .values("repair_order__advisor")
        .annotate(average=Avg("overall"), dissatisfied=Count("pk", filter=f.dissatisfied()))
    ):
        row(r["repair_order__advisor"]).update(average=r["average"], dissatisfied=r["dissatisfied"])
    names = dict(StaffMember.objects.filter(pk__in=rows).values_list("pk", "display_name"))
    table = []
    for pk, r in rows.items():
        table.append(
            {
                "pk": pk,
                "name": names.get(pk, "?"),
                **r,
                "appointment_share": f.ratio(r["from_appointment"], r["opened"]).value,
                "on_time_rate": f.ratio(r["on_time"], r["promised"]).value,
                "average": None if r["average"] is None else f.dec(r["average"]).quantize(f.HUNDREDTH),
            }
        )
    return sorted(table, key=lambda r: r["name"])


def complaint_levels(station: Dealer, aggregates: dict) -> list[dict]:
    """Complaints by level: received in the period, open and overdue now
    (from the complaints source's aggregates: no query)."""
    return [
        {
            "level": lv,
            "label": label,
            "received": aggregates.get(f"level{lv}") or 0,
            "open": aggregates.get(f"open{lv}") or 0,
            "overdue": aggregates.get(f"overdue{lv}") or 0,
        }
        for lv, label in Level.choices
    ]


def reminder_table(station: Dealer, period: Period) -> dict[str, list[dict]]:
    """Reminder conversion per kind (rule) and per campaign: two grouped queries."""
    qs = rows_reminders(station, period.window, timezone.now()).order_by()
    converted = Q(led_to_appointment__isnull=False) | Q(led_to_repair_order__isnull=False)
    labels = dict(Kind.choices)
    by_kind = [
        {
            "key": r["kind"],
            "label": labels.get(r["kind"], r["kind"]),
            "sent": r["sent"],
            "converted": r["converted"],
            "rate": f.ratio(r["converted"], r["sent"]).value,
        }
        for r in qs.values("kind").annotate(sent=Count("pk"), converted=Count("pk", filter=converted)).order_by("kind")
    ]
    by_campaign = [
        {
            "key": r["campaign"],
            "label": r["campaign__name"],
            "sent": r["sent"],
            "converted": r["converted"],
            "rate": f.ratio(r["converted"], r["sent"]).value,
        }
        for r in qs.filter(campaign__isnull=False)
        .values("campaign", "campaign__name")
        .annotate(sent=Count("pk"), converted=Count("pk", filter=converted))
        .order_by("campaign__name")
    ]
    return {"kinds": by_kind, "campaigns": by_campaign}


def top_comebacks(station: Dealer, period: Period, limit: int = 10) -> list[dict]:
    """The operations most often come back for, with the technician of the
    first repair: one grouped query."""
    window = period.window
    return list(
        Job.objects.filter(repair_order__comebacks__dealer=station, **window.q("repair_order__comebacks__created_at"))
        .order_by()
        .values("estimate_line__description", "technician__display_name")
        .annotate(n=Count("repair_order__comebacks", distinct=True))
        .order_by("-n", "estimate_line__description")[:limit]
    )


# --- trends (the charts) ----------------------------------------------------------------------------


def trend_months(period: Period, months: int = 12) -> list[dt.date]:
    """The first days of the `months` months ending with the period's last month."""
    first = period.last.replace(day=1)
    out = [first]
    for _n in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def trends(station: Dealer, period: Period) -> dict[str, Any]:
    """Monthly revenue, hours, satisfaction and complaints by level for the
    twelve months up to the period: four grouped queries."""
    tz = period.tz
    months = trend_months(period)
    start = dt.datetime.combine(months[0], dt.time.min, tzinfo=tz)
    end = period.window.end

    def month_key(value) -> dt.date:
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value, tz) if timezone.is_aware(value) else value
            return value.date().replace(day=1)
        return value.replace(day=1)

    revenue = {
        month_key(r["month"]): r
        for r in Invoice.objects.filter(f._in_force(), dealer=station, issued_at__gte=start, issued_at__lt=end)
        .annotate(month=TruncMonth("issued_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(labour=Sum("labour"), parts=Sum("parts"))
    }
    hours = {
        month_key(r["month"]): r["hours"]
        for r in InvoiceLine.objects.filter(
            invoice__dealer=station,
            invoice__kind="invoice",
            kind=LineKind.LABOUR,
            invoice__issued_at__gte=start,
            invoice__issued_at__lt=end,
        )
        .exclude(invoice__status="credited")
        .annotate(month=TruncMonth("invoice__issued_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(hours=Sum("quantity"))
    }
    satisfaction = {
        month_key(r["month"]): r
        for r in Survey.objects.filter(task__dealer=station, recorded_at__gte=start, recorded_at__lt=end)
        .annotate(month=TruncMonth("recorded_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(average=Avg("overall"), dissatisfied=Count("pk", filter=f.dissatisfied()))
    }
    complaints: dict[tuple[dt.date, int], int] = {
        (month_key(r["month"]), r["level"]): r["n"]
        for r in Complaint.objects.filter(dealer=station, created_at__gte=start, created_at__lt=end)
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .order_by()
        .values("month", "level")
        .annotate(n=Count("pk"))
    }

    def money(value) -> float:
        return float(value or 0)

    return {
        "labels": [f"{m:%Y-%m}" for m in months],
        "labour": [money(revenue.get(m, {}).get("labour")) for m in months],
        "parts": [money(revenue.get(m, {}).get("parts")) for m in months],
        "hours": [float(hours.get(m) or 0) for m in months],
        "satisfaction": [
            round(float(satisfaction[m]["average"]), 2) if m in satisfaction and satisfaction[m]["average"] else None
            for m in months
        ],
        "dissatisfied": [satisfaction.get(m, {}).get("dissatisfied", 0) for m in months],
        "complaints": {lv: [complaints.get((m, lv), 0) for m in months] for lv in Level.values},
    }


def campaigns_of(station: Dealer) -> QuerySet:
    return Campaign.objects.filter(dealer=station)


# --- the whole page ----------------------------------------------------------------------------------


# Figures that read the next days from now, not the period: computed with the
# to-do lists, apart from the period's figures, so that a period's reads can
# be kept (dashboard.cache) while these stay current.
LIVE_FIGURES = ("load_14_days",)


def period_reads(station: Dealer, period: Period, now: dt.datetime) -> dict[str, Any]:
    """What the page shows about the period and the one before: plain data
    (values, dicts, lists), so that it can be pickled into the cache."""
    scope = f.Scope(station=station, period=period, previous=period.previous(), now=now)
    results, by_source = f.compute(scope, [key for key in f.FIGURES if key not in LIVE_FIGURES])
    return {
        "figures": {r.figure.key: (r.current, r.previous) for r in results},
        "complaints_received": by_source["complaints"][0],
        "reminders": reminder_table(station, period),
        "technicians": technician_table(station, period),
        "advisors": advisor_table(station, period),
        "top_comebacks": top_comebacks(station, period),
        "trends": trends(station, period),
    }


def live_reads(station: Dealer, now: dt.datetime) -> dict[str, Any]:
    """What the page shows about now whatever the period: the 14-day load,
    the overdue lists, the complaints open and overdue. Plain data too."""
    today = timezone.localtime(now, ZoneInfo(station.time_zone)).date()
    month = Period.of("month", today, ZoneInfo(station.time_zone))
    scope = f.Scope(station=station, period=month, previous=month.previous(), now=now)
    results, by_source = f.compute(scope, list(LIVE_FIGURES))
    return {
        "figures": {r.figure.key: (r.current, r.previous) for r in results},
        "forecast": by_source["capacity"][0]["days"],
        "complaints_now": complaint_snapshot(station, now),
        "todo": [
            {k: v for k, v in t.items() if k != "dataset"} | {"key": t["dataset"].key} for t in todo(station, now)
        ],
    }


def complaint_snapshot(station: Dealer, now: dt.datetime) -> dict[str, int]:
    """Complaints open and overdue now, in all and by level: one query."""
    return (
        Complaint.objects.filter(dealer=station)
        .exclude(status=ComplaintStatus.CLOSED)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(next_due_at__lte=now)),
            **{f"open{lv}": Count("pk", filter=Q(level=lv)) for lv in Level.values},
            **{f"overdue{lv}": Count("pk", filter=Q(level=lv, next_due_at__lte=now)) for lv in Level.values},
        )
    )


def assemble(station: Dealer, period: Period, now: dt.datetime, reads: dict, live: dict) -> dict[str, Any]:
    """The page's context from the period's reads and the live ones."""
    values = {**reads["figures"], **live["figures"]}
    results = [f.Result(fig, *values[key]) for key, fig in f.FIGURES.items() if key in values]
    groups: dict[str, list[f.Result]] = {}
    for result in results:
        groups.setdefault(str(result.figure.group), []).append(result)
    return {
        "station": station,
        "period": period,
        "previous": period.previous(),
        "now": now,
        "results": results,
        "groups": groups,
        "forecast": live["forecast"],
        "complaint_levels": complaint_levels(station, {**reads["complaints_received"], **live["complaints_now"]}),
        "reminders": reads["reminders"],
        "technicians": reads["technicians"],
        "advisors": reads["advisors"],
        "top_comebacks": reads["top_comebacks"],
        "todo": [{**t, "dataset": DATASETS[t["key"]]} for t in live["todo"]],
        "trends": reads["trends"],
    }


def dashboard_context(station: Dealer, period: Period, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard page shows for a station and a period, in a
    bounded number of queries whatever the size of the history, read now
    (dashboard.cache.dashboard_context keeps them). A benchmark can call it
    directly to time the page's reads without HTTP."""
    now = now or timezone.now()
    return assemble(station, period, now, period_reads(station, period, now), live_reads(station, now))
