"""Every figure of the service manager's dashboard, defined once.

A figure is a small function over the aggregates of one *source* (one SQL
query), registered with its label, the formula shown in its tooltip, its
unit and the rows behind it (dashboard.selectors.DATASETS). Each source
reads the current period and the one before in the same query, with
conditional aggregates, so the whole page costs a fixed number of queries
whatever the size of the history: no figure loops over rows in Python.

The data each figure reads is the event record the steps leave behind:
appointment events, repair order events, the job clock, the duty roster,
invoices, quality checks, the customer's decisions on additional work,
callbacks, surveys, complaints and reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, AppointmentEvent
from appointments.models import Status as AppointmentStatus
from complaints.models import Complaint, Level
from dashboard.periods import Period, Window
from dealers.models import Dealer, RosterEntry
from followup.models import DISSATISFIED_SCORE, REMINDERS, ContactTask, Kind, Outcome, Survey, TaskStatus
from reception.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind, RepairOrder, RepairOrderEvent
from reception.models import ROStatus as RO
from workshop.models import ClockEvent, ClockKind, Decision, FindingLine, Job, JobStatus, QualityCheck

PERCENT, COUNT, HOURS, MONEY, SCORE, RATE = "percent", "count", "hours", "money", "score", "rate"
HUNDREDTH = Decimal("0.01")
OPENS = (ClockKind.START, ClockKind.RESUME)
CLOSES = (ClockKind.PAUSE, ClockKind.FINISH)
DUE_STATES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CONVERTED,
    AppointmentStatus.NO_SHOW,
)
SHOWED = (AppointmentStatus.ARRIVED, AppointmentStatus.CONVERTED)
REACHED = (Outcome.SATISFIED, Outcome.DISSATISFIED)


@dataclass(frozen=True)
class Value:
    """A figure's value with the numbers it was computed from (for the tooltip and the tests)."""

    value: Decimal | None
    numerator: Decimal | int | None = None
    denominator: Decimal | int | None = None


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    formula: str
    unit: str
    source: str
    rows: str  # dataset key in dashboard.selectors.DATASETS
    subset: str = ""  # the dataset's subset the figure counts, if any
    better: str = "up"  # "up", "down" or "" (neither): colours the comparison
    group: str = ""
    compute: Callable[[dict], Value] = field(default=lambda agg: Value(None), repr=False)


FIGURES: dict[str, Figure] = {}


def figure(key: str, label, formula, unit: str, source: str, rows: str, **kwargs):
    """Register `compute(aggregates) -> Value` as the figure `key`."""

    def register(compute: Callable[[dict], Value]) -> Callable[[dict], Value]:
        FIGURES[key] = Figure(key, label, formula, unit, source, rows, compute=compute, **kwargs)
        return compute

    return register


# --- arithmetic ---------------------------------------------------------------------------


def dec(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, dt.timedelta):
        return Decimal(value.total_seconds()) / Decimal(3600)
    return Decimal(str(value))


def ratio(numerator, denominator, *, percent: bool = True) -> Value:
    """numerator ÷ denominator (as a percentage), None when nothing to divide by."""
    num, den = dec(numerator), dec(denominator)
    shown = (num.quantize(HUNDREDTH, ROUND_HALF_UP), den.quantize(HUNDREDTH, ROUND_HALF_UP))
    if den == 0:
        return Value(None, *shown)
    scale = Decimal(100) if percent else Decimal(1)
    return Value((num * scale / den).quantize(Decimal("0.1") if percent else HUNDREDTH, ROUND_HALF_UP), *shown)


def amount(value) -> Value:
    return Value(dec(value).quantize(HUNDREDTH, ROUND_HALF_UP))


def hours(value) -> Decimal:
    return dec(value).quantize(HUNDREDTH, ROUND_HALF_UP)


def duration(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


# --- sources: one query each, both periods at once ----------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What every source needs: the station, the period and the one before, the clock."""

    station: Dealer
    period: Period
    previous: Period
    now: dt.datetime

    @property
    def cur(self) -> Window:
        return self.period.window

    @property
    def prev(self) -> Window:
        return self.previous.window


def _both(qs: QuerySet, at: str, scope: Scope, **specs) -> tuple[dict, dict]:
    """Aggregate `specs` (name -> (Aggregate, expression, condition Q or None))
    over the current and the previous window of `at`, in one query."""
    qs = qs.filter(**{f"{at}__gte": scope.prev.start, f"{at}__lt": scope.cur.end})
    exprs = {}
    for tag, window in (("c", scope.cur), ("p", scope.prev)):
        inside = Q(**window.q(at))
        for name, (aggregate, expression, condition) in specs.items():
            extra = {"distinct": True} if aggregate is Count and name.endswith("_distinct") else {}
            exprs[f"{tag}_{name}"] = aggregate(
                expression, filter=inside & condition if condition is not None else inside, **extra
            )
    row = qs.aggregate(**exprs)
    split = ({}, {})
    for alias, value in row.items():
        tag, name = alias.split("_", 1)
        split[0 if tag == "c" else 1][name] = value
    return split


def _split_sums(qs: QuerySet, at: str, scope: Scope, spent, total: str, **flags: Q) -> tuple[dict, dict]:
    """Σ `spent` over the current and the previous window of `at` (as
    `total`), and where each flag holds (as the flag's name), in one grouped
    query. `_both` writes one FILTER clause a sum, and PostgreSQL evaluates a
    correlated subquery in `spent` (the clock's opening event) again in each:
    grouped by window and flags, it is evaluated once a row. A row whose
    `spent` is null adds nothing, as in the sums of `_both`."""
    qs = qs.filter(**{f"{at}__gte": scope.prev.start, f"{at}__lt": scope.cur.end}).annotate(
        in_current=ExpressionWrapper(Q(**{f"{at}__gte": scope.cur.start}), output_field=BooleanField()),
        **{f"flag_{name}": ExpressionWrapper(q, output_field=BooleanField()) for name, q in flags.items()},
    )
    split: tuple[dict, dict] = ({}, {})
    for sums in split:
        sums.update(dict.fromkeys([total, *flags]))
    groups = qs.order_by().values("in_current", *(f"flag_{name}" for name in flags)).annotate(spent_sum=Sum(spent))
    for row in groups:
        if row["spent_sum"] is None:
            continue
        sums = split[0 if row["in_current"] else 1]
        for name in (total, *(name for name in flags if row[f"flag_{name}"])):
            sums[name] = row["spent_sum"] if sums[name] is None else sums[name] + row["spent_sum"]
    return split


def clocked_intervals(station: Dealer) -> QuerySet:
    """The station's closing events with the start or resume each closes
    (null for none: such an event adds nothing to a sum)."""
    opened = (
        ClockEvent.objects.filter(job=OuterRef("job"), kind__in=OPENS, at__lte=OuterRef("at"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return ClockEvent.objects.filter(kind__in=CLOSES, job__dealer=station).annotate(opened=Subquery(opened))


def closing_events_any() -> QuerySet:
    """Every pause or finish, with the start or resume it closes: one row per
    clocked interval (an interval still running is not counted until it ends)."""
    opened = (
        ClockEvent.objects.filter(job=OuterRef("job"), kind__in=OPENS, at__lte=OuterRef("at"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return ClockEvent.objects.filter(kind__in=CLOSES).annotate(opened=Subquery(opened)).filter(opened__isnull=False)


def closing_events(station: Dealer) -> QuerySet:
    """The clocked intervals of the station's jobs."""
    return closing_events_any().filter(job__dealer=station)


def on_duty(station: Dealer, at: str) -> Exists:
    """The technician was on the roster the (local) day of `at`."""
    return Exists(RosterEntry.objects.filter(dealer=station, technician=OuterRef("technician"), date=OuterRef(at)))


def source_orders(scope: Scope) -> tuple[dict, dict]:
    qs = RepairOrder.objects.filter(dealer=scope.station).exclude(status=RO.CANCELLED)
    return _both(
        qs,
        "created_at",
        scope,
        opened=(Count, "pk", None),
        from_appointment=(Count, "pk", Q(appointment__isnull=False)),
        comebacks=(Count, "pk", Q(comeback_of__isnull=False)),
    )


def source_appointments(scope: Scope) -> tuple[dict, dict]:
    confirmed = Exists(
        AppointmentEvent.objects.filter(appointment=OuterRef("pk"), to_status=AppointmentStatus.CONFIRMED)
    )
    qs = Appointment.objects.filter(dealer=scope.station, status__in=DUE_STATES, arrives_at__lt=scope.now).annotate(
        was_confirmed=confirmed
    )
    return _both(
        qs,
        "arrives_at",
        scope,
        due=(Count, "pk", None),
        confirmed=(Count, "pk", Q(was_confirmed=True) | Q(status=AppointmentStatus.CONFIRMED)),
        arrived=(Count, "pk", Q(status__in=SHOWED)),
        no_show=(Count, "pk", Q(status=AppointmentStatus.NO_SHOW)),
    )


def source_clock(scope: Scope) -> tuple[dict, dict]:
    tz = scope.period.tz
    qs = (
        clocked_intervals(scope.station)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .annotate(duty=on_duty(scope.station, "day"))
    )
    return _split_sums(
        qs,
        "at",
        scope,
        duration("at", "opened"),
        "clocked",
        clocked_on_duty=Q(duty=True),
        bay_clocked=Q(job__bay__isnull=False),
    )


def source_roster(scope: Scope) -> tuple[dict, dict]:
    """Hours on duty: the roster's shifts less their breaks (a date field:
    windows by day). A period still running counts its shifts up to today:
    the days ahead have nothing clocked yet."""
    cur, prev = scope.period, scope.previous
    last = min(cur.last, scope.now.astimezone(cur.tz).date())
    qs = RosterEntry.objects.filter(dealer=scope.station, date__gte=prev.first, date__lte=last)
    shift = duration("ends", "starts")
    row = qs.aggregate(
        c_shift=Sum(shift, filter=Q(date__gte=cur.first)),
        c_breaks=Sum("break_minutes", filter=Q(date__gte=cur.first)),
        p_shift=Sum(shift, filter=Q(date__lte=prev.last)),
        p_breaks=Sum("break_minutes", filter=Q(date__lte=prev.last)),
    )
    return tuple({"on_duty": dec(row[f"{tag}_shift"]) - dec(row[f"{tag}_breaks"]) / 60} for tag in ("c", "p"))  # type: ignore[return-value]


def source_jobs(scope: Scope) -> tuple[dict, dict]:
    tz = scope.period.tz
    qs = (
        Job.objects.filter(dealer=scope.station, status=JobStatus.DONE)
        .annotate(day=TruncDate("finished_at", tzinfo=tz))
        .annotate(duty=on_duty(scope.station, "day"))
    )
    return _both(
        qs,
        "finished_at",
        scope,
        sold=(Sum, "flat_rate_hours", None),
        sold_on_duty=(Sum, "flat_rate_hours", Q(duty=True)),
        jobs=(Count, "pk", None),
    )


def source_jobs_clock(scope: Scope) -> tuple[dict, dict]:
    """Hours clocked on the jobs finished in the period (all their intervals)."""
    qs = clocked_intervals(scope.station).filter(job__status=JobStatus.DONE)
    return _split_sums(qs, "job__finished_at", scope, duration("at", "opened"), "clocked")


def _in_force() -> Q:
    return Q(kind=InvoiceKind.INVOICE) & ~Q(status=InvoiceStatus.CREDITED)


def source_invoices(scope: Scope) -> tuple[dict, dict]:
    qs = Invoice.objects.filter(_in_force(), dealer=scope.station)
    return _both(
        qs,
        "issued_at",
        scope,
        labour=(Sum, "labour", None),
        parts=(Sum, "parts", None),
        invoices=(Count, "pk", None),
    )


def source_invoice_lines(scope: Scope) -> tuple[dict, dict]:
    qs = InvoiceLine.objects.filter(
        invoice__dealer=scope.station,
        invoice__kind=InvoiceKind.INVOICE,
        kind=LineKind.LABOUR,
    ).exclude(invoice__status=InvoiceStatus.CREDITED)
    return _both(qs, "invoice__issued_at", scope, hours=(Sum, "quantity", None), line_labour=(Sum, "amount", None))


def source_deliveries(scope: Scope) -> tuple[dict, dict]:
    qs = RepairOrderEvent.objects.filter(repair_order__dealer=scope.station, to_status=RO.DELIVERED)
    return _both(
        qs,
        "at",
        scope,
        delivered=(Count, "pk", None),
        promised=(Count, "pk", Q(repair_order__promised_at__isnull=False)),
        on_time=(Count, "pk", Q(at__lte=F("repair_order__promised_at"))),
        cycle=(Sum, duration("at", "repair_order__created_at"), None),
    )


def source_quality(scope: Scope) -> tuple[dict, dict]:
    qs = QualityCheck.objects.filter(dealer=scope.station, round=1, passed__isnull=False)
    return _both(qs, "signed_off_at", scope, checked=(Count, "pk", None), passed=(Count, "pk", Q(passed=True)))


def source_findings(scope: Scope) -> tuple[dict, dict]:
    qs = FindingLine.objects.filter(finding__dealer=scope.station, decision__in=(Decision.APPROVED, Decision.DECLINED))
    return _both(
        qs,
        "decided_at",
        scope,
        decided=(Count, "pk", None),
        approved=(Count, "pk", Q(decision=Decision.APPROVED)),
        declined_value=(Sum, "amount", Q(decision=Decision.DECLINED)),
    )


def callbacks_due(station: Dealer, now: dt.datetime) -> QuerySet:
    """Callbacks whose window is over or that are done: the open ones still in
    their window are not late yet and are left out."""
    return (
        ContactTask.objects.filter(dealer=station, kind=Kind.CALLBACK)
        .exclude(status=TaskStatus.CANCELLED)
        .exclude(status=TaskStatus.OPEN, due_until__gt=now)
    )


def callback_in_time() -> Q:
    return Q(status=TaskStatus.DONE, outcome__in=REACHED, closed_at__lte=F("due_until"))


def source_callbacks(scope: Scope) -> tuple[dict, dict]:
    return _both(
        callbacks_due(scope.station, scope.now),
        "due_from",
        scope,
        due=(Count, "pk", None),
        in_time=(Count, "pk", callback_in_time()),
    )


def dissatisfied() -> Q:
    """The survey's own rule (followup.models.Survey.is_dissatisfied), as a filter."""
    q = Q(dissatisfied=True)
    for name in ("reception", "repair_quality", "on_time", "price_explained", "overall"):
        q |= Q(**{f"{name}__lte": DISSATISFIED_SCORE})
    return q


def source_surveys(scope: Scope) -> tuple[dict, dict]:
    qs = Survey.objects.filter(task__dealer=scope.station)
    return _both(
        qs,
        "recorded_at",
        scope,
        answered=(Count, "pk", None),
        scored=(Count, "overall", None),
        average=(Avg, "overall", None),
        dissatisfied=(Count, "pk", dissatisfied()),
    )


def source_complaints(scope: Scope) -> tuple[dict, dict]:
    qs = Complaint.objects.filter(dealer=scope.station)
    specs = {f"level{level}": (Count, "pk", Q(level=level)) for level in Level.values}
    # Open and overdue are now, not in a period: dashboard.selectors.complaint_snapshot.
    return _both(qs, "created_at", scope, received=(Count, "pk", None), **specs)


def source_reminders(scope: Scope) -> tuple[dict, dict]:
    qs = ContactTask.objects.filter(dealer=scope.station, kind__in=REMINDERS).exclude(status=TaskStatus.CANCELLED)
    converted = Q(led_to_appointment__isnull=False) | Q(led_to_repair_order__isnull=False)
    return _both(qs, "created_at", scope, sent=(Count, "pk", None), converted=(Count, "pk", converted))


def source_capacity(scope: Scope) -> tuple[dict, dict]:
    """The next 14 days from today (not the period): appointments.capacity's forecast."""
    from dashboard.selectors import load_forecast

    days = load_forecast(scope.station, scope.now)
    booked = sum(Decimal(str(d.booked_hours)) for d in days)
    capacity = sum(Decimal(str(d.capacity_hours)) for d in days)
    return {"booked": booked, "capacity": capacity, "days": days}, {}


def source_bays(scope: Scope) -> tuple[dict, dict]:
    """Bay hours open: active bays × opening hours of each day (holidays closed)."""
    from dashboard.selectors import opening_hours_between

    bays = scope.station.bays.filter(is_active=True).count()
    cur_hours, prev_hours = opening_hours_between(
        scope.station, scope.previous.first, scope.period.last, split=scope.period.first
    )
    return {"bay_hours": cur_hours * bays}, {"bay_hours": prev_hours * bays}


SOURCES: dict[str, Callable[[Scope], tuple[dict, dict]]] = {
    "orders": source_orders,
    "appointments": source_appointments,
    "clock": source_clock,
    "roster": source_roster,
    "jobs": source_jobs,
    "jobs_clock": source_jobs_clock,
    "invoices": source_invoices,
    "invoice_lines": source_invoice_lines,
    "deliveries": source_deliveries,
    "quality": source_quality,
    "findings": source_findings,
    "callbacks": source_callbacks,
    "surveys": source_surveys,
    "complaints": source_complaints,
    "reminders": source_reminders,
    "capacity": source_capacity,
    "bays": source_bays,
}


# --- the figures ---------------------------------------------------------------------------------

APPOINTMENTS, WORKSHOP, MONEY_GROUP, QUALITY, CUSTOMERS = (
    _("Appointments"),
    _("Workshop"),
    _("Revenue"),
    _("Delivery and quality"),
    _("Customers"),
)


@figure(
    "appointment_share",
    _("Appointment share of ROs"),
    _("Repair orders opened from an appointment ÷ repair orders opened in the period (cancelled left out)"),
    PERCENT,
    "orders",
    rows="orders",
    subset="appointment",
    group=APPOINTMENTS,
)
def appointment_share(a: dict) -> Value:
    return ratio(a["from_appointment"], a["opened"])


@figure(
    "confirmation_rate",
    _("Confirmation rate"),
    _(
        "Appointments due in the period (up to now) that were confirmed ÷ appointments due "
        "(cancelled and rescheduled left out)"
    ),
    PERCENT,
    "appointments",
    rows="appointments",
    subset="confirmed",
    group=APPOINTMENTS,
)
def confirmation_rate(a: dict) -> Value:
    return ratio(a["confirmed"], a["due"])


@figure(
    "show_rate",
    _("Show rate"),
    _("Appointments that arrived ÷ appointments due in the period up to now (cancelled and rescheduled left out)"),
    PERCENT,
    "appointments",
    rows="appointments",
    subset="arrived",
    group=APPOINTMENTS,
)
def show_rate(a: dict) -> Value:
    return ratio(a["arrived"], a["due"])


@figure(
    "no_shows",
    _("No-shows"),
    _("Appointments due in the period that are no-shows (a late arrival is not one)"),
    COUNT,
    "appointments",
    rows="appointments",
    subset="no_show",
    better="down",
    group=APPOINTMENTS,
)
def no_shows(a: dict) -> Value:
    return Value(Decimal(a["no_show"] or 0))


@figure(
    "load_14_days",
    _("Workshop load, next 14 days"),
    _("Hours booked ÷ productive capacity (technicians on duty × productive share) over the next 14 days"),
    PERCENT,
    "capacity",
    rows="forecast",
    better="",
    group=APPOINTMENTS,
)
def load_14_days(a: dict) -> Value:
    return ratio(a.get("booked"), a.get("capacity")) if a else Value(None)


@figure(
    "productivity",
    _("Technician productivity"),
    _("Hours clocked on jobs on duty days ÷ hours on duty (roster shifts less breaks)"),
    PERCENT,
    "clock+roster",
    rows="jobs",
    group=WORKSHOP,
)
def productivity(a: dict) -> Value:
    return ratio(hours(a["clocked_on_duty"]), hours(a["on_duty"]))


@figure(
    "efficiency",
    _("Technician efficiency"),
    _("Flat-rate hours of the jobs finished in the period ÷ hours clocked on those jobs"),
    PERCENT,
    "jobs+jobs_clock",
    rows="jobs",
    group=WORKSHOP,
)
def efficiency(a: dict) -> Value:
    return ratio(hours(a["sold"]), hours(a["clocked"]))


@figure(
    "proficiency",
    _("Technician proficiency"),
    _("Flat-rate hours of the jobs finished on duty days ÷ hours on duty"),
    PERCENT,
    "jobs+roster",
    rows="jobs",
    group=WORKSHOP,
)
def proficiency(a: dict) -> Value:
    return ratio(hours(a["sold_on_duty"]), hours(a["on_duty"]))


@figure(
    "bay_utilisation",
    _("Bay utilisation"),
    _("Hours clocked on jobs in a bay ÷ (active bays × opening hours of the period)"),
    PERCENT,
    "clock+bays",
    rows="jobs",
    group=WORKSHOP,
)
def bay_utilisation(a: dict) -> Value:
    return ratio(hours(a["bay_clocked"]), a["bay_hours"])


@figure(
    "hours_per_ro",
    _("Hours per RO"),
    _("Labour hours invoiced ÷ invoices issued in the period (credited invoices left out)"),
    HOURS,
    "invoice_lines+invoices",
    rows="invoices",
    group=WORKSHOP,
)
def hours_per_ro(a: dict) -> Value:
    return ratio(a["hours"], a["invoices"], percent=False)


@figure(
    "effective_labour_rate",
    _("Effective labour rate"),
    _("Labour sales ÷ labour hours sold, on the invoices issued in the period (credited left out)"),
    RATE,
    "invoice_lines",
    rows="invoices",
    group=MONEY_GROUP,
)
def effective_labour_rate(a: dict) -> Value:
    return ratio(a["line_labour"], a["hours"], percent=False)


@figure(
    "labour_revenue",
    _("Labour revenue"),
    _("Σ labour (net of VAT) of the invoices issued in the period (credited left out)"),
    MONEY,
    "invoices",
    rows="invoices",
    group=MONEY_GROUP,
)
def labour_revenue(a: dict) -> Value:
    return amount(a["labour"])


@figure(
    "parts_revenue",
    _("Parts revenue"),
    _("Σ parts (net of VAT) of the invoices issued in the period (credited left out)"),
    MONEY,
    "invoices",
    rows="invoices",
    group=MONEY_GROUP,
)
def parts_revenue(a: dict) -> Value:
    return amount(a["parts"])


@figure(
    "on_time_delivery",
    _("On-time delivery rate"),
    _("Cars handed over by the promised time (the last one agreed) ÷ cars delivered in the period with a promise"),
    PERCENT,
    "deliveries",
    rows="deliveries",
    subset="on_time",
    group=QUALITY,
)
def on_time_delivery(a: dict) -> Value:
    return ratio(a["on_time"], a["promised"])


@figure(
    "cycle_time",
    _("Average cycle time"),
    _("Σ (handover − repair order opened on arrival) ÷ cars delivered in the period, in hours"),
    HOURS,
    "deliveries",
    rows="deliveries",
    better="down",
    group=QUALITY,
)
def cycle_time(a: dict) -> Value:
    return ratio(hours(a["cycle"]), a["delivered"], percent=False)


@figure(
    "comeback_rate",
    _("Comeback rate"),
    _("Repair orders opened as a comeback of an earlier one ÷ repair orders opened in the period"),
    PERCENT,
    "orders",
    rows="orders",
    subset="comeback",
    better="down",
    group=QUALITY,
)
def comeback_rate(a: dict) -> Value:
    return ratio(a["comebacks"], a["opened"])


@figure(
    "first_time_qc_pass",
    _("First-time QC pass rate"),
    _("First quality-check rounds passed ÷ first rounds signed off in the period"),
    PERCENT,
    "quality",
    rows="quality",
    group=QUALITY,
)
def first_time_qc_pass(a: dict) -> Value:
    return ratio(a["passed"], a["checked"])


@figure(
    "additional_work_acceptance",
    _("Additional-work acceptance rate"),
    _("Additional-work lines approved ÷ lines the customer decided in the period"),
    PERCENT,
    "findings",
    rows="findings",
    subset="approved",
    group=QUALITY,
)
def additional_work_acceptance(a: dict) -> Value:
    return ratio(a["approved"], a["decided"])


@figure(
    "declined_work_value",
    _("Declined-work value"),
    _("Σ amount of the additional-work lines declined in the period"),
    MONEY,
    "findings",
    rows="findings",
    subset="declined",
    better="down",
    group=QUALITY,
)
def declined_work_value(a: dict) -> Value:
    return amount(a["declined_value"])


@figure(
    "callback_in_time",
    _("Callback within 7 days"),
    _(
        "Callbacks that reached the customer within the station's callback window (7 days) ÷ callbacks due "
        "from deliveries in the period (open ones still in their window left out)"
    ),
    PERCENT,
    "callbacks",
    rows="callbacks",
    subset="in_time",
    group=CUSTOMERS,
)
def callback_in_time_rate(a: dict) -> Value:
    return ratio(a["in_time"], a["due"])


@figure(
    "satisfaction",
    _("Satisfaction average"),
    _("Average overall score (1–5) of the surveys recorded in the period"),
    SCORE,
    "surveys",
    rows="surveys",
    group=CUSTOMERS,
)
def satisfaction(a: dict) -> Value:
    average = a["average"]
    return Value(None if average is None else dec(average).quantize(HUNDREDTH, ROUND_HALF_UP), None, a["scored"])


@figure(
    "dissatisfied",
    _("Dissatisfied customers"),
    _("Surveys in the period with a score of 2 or less, or where the customer said they are dissatisfied"),
    COUNT,
    "surveys",
    rows="surveys",
    subset="dissatisfied",
    better="down",
    group=CUSTOMERS,
)
def dissatisfied_count(a: dict) -> Value:
    return Value(Decimal(a["dissatisfied"] or 0))


@figure(
    "complaints",
    _("Complaints received"),
    _("Complaint tickets about the station received in the period (level 1 · 2 · 3 in the table below)"),
    COUNT,
    "complaints",
    rows="complaints",
    better="down",
    group=CUSTOMERS,
)
def complaints_received(a: dict) -> Value:
    return Value(Decimal(a["received"] or 0))


@figure(
    "reminder_conversion",
    _("Reminder conversion"),
    _("Reminders made in the period that led to a booking or a visit ÷ reminders made (cancelled left out)"),
    PERCENT,
    "reminders",
    rows="reminders",
    subset="converted",
    group=CUSTOMERS,
)
def reminder_conversion(a: dict) -> Value:
    return ratio(a["converted"], a["sent"])


# --- computing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    figure: Figure
    current: Value
    previous: Value | None

    @property
    def change(self) -> Decimal | None:
        if self.previous is None or self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value

    @property
    def trend(self) -> str:
        """good, bad or flat: the colour of the comparison."""
        change = self.change
        if not change or not self.figure.better:
            return "flat"
        return "good" if (change > 0) == (self.figure.better == "up") else "bad"


def aggregates(scope: Scope, names: set[str]) -> dict[str, tuple[dict, dict]]:
    """Run the named sources once each: source -> (current, previous) aggregates."""
    return {name: SOURCES[name](scope) for name in sorted(names)}


def inputs(fig: Figure, by_source: dict[str, tuple[dict, dict]], index: int) -> dict:
    """The aggregates a figure reads: those of its sources, merged."""
    merged: dict = {}
    for name in fig.source.split("+"):
        merged.update(by_source[name][index])
    return merged


def compute(scope: Scope, keys: list[str] | None = None) -> tuple[list[Result], dict[str, tuple[dict, dict]]]:
    """The figures (all, or `keys`) for the scope's period and the one before,
    and the sources' aggregates (the complaint table and the forecast read them)."""
    chosen = [FIGURES[k] for k in (keys or FIGURES)]
    by_source = aggregates(scope, {part for fig in chosen for part in fig.source.split("+")})
    results = [
        Result(
            fig,
            fig.compute(inputs(fig, by_source, 0)),
            None if fig.source == "capacity" else fig.compute(inputs(fig, by_source, 1)),
        )
        for fig in chosen
    ]
    return results, by_source


def display(value: Decimal | None, unit: str) -> str:
    """How a value reads on the page and in the exports."""
    if value is None:
        return "—"
    if unit == PERCENT:
        return f"{value:.1f} %"
    if unit == MONEY:
        return f"¥{value:,.2f}"
    if unit == RATE:
        return f"¥{value:,.2f}/h"
    if unit == HOURS:
        return f"{value:.2f} h"
    if unit == SCORE:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def display_change(result: Result) -> str:
    change = result.change
    if change is None:
        return ""
    sign = "+" if change > 0 else "−" if change < 0 else ""
    if result.figure.unit == PERCENT:
        return f"{sign}{abs(change):.1f} pp"
    return sign + display(abs(change), result.figure.unit)
