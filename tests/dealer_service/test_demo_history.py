"""The demo's year of history (dealer_service.demo_history): every delivered
repair order hangs together the way the live flow would have left it, the
numbering continues into live use, a re-run adds nothing; about half the
visits come from an appointment and some appointments were missed; the duty
roster covers the year; and the bench's sweep section runs."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Max, Min, Sum
from django.utils import timezone

from appointments.models import Appointment, AppointmentEvent, AppointmentLine
from appointments.models import Status as AppointmentStatus
from customers.models import Customer, OdometerReading
from dashboard.periods import Period
from dashboard.selectors import dashboard_context
from dealer_service import demo, demo_history
from dealer_service.management.commands import bench
from dealers.models import Dealer, RosterEntry
from followup.models import ContactAttempt, ContactTask, Kind, Survey, TaskStatus
from followup.rules import dedupe_key
from reception import pricing
from reception.models import (
    RO_OPEN_STATES,
    ConsentRecord,
    Delivery,
    EstimateLine,
    Invoice,
    InvoiceLine,
    LineKind,
    Payment,
    RepairOrder,
    RepairOrderEvent,
    ROStatus,
)
from workshop.models import ClockEvent, ClockKind, Decision, FindingLine, Job

HISTORY = (ROStatus.DELIVERED, ROStatus.CLOSED)
HISTORY_MODELS = (
    RepairOrder,
    RepairOrderEvent,
    EstimateLine,
    ConsentRecord,
    Job,
    ClockEvent,
    Delivery,
    Invoice,
    InvoiceLine,
    Payment,
    OdometerReading,
    FindingLine,
    ContactTask,
    ContactAttempt,
    Survey,
    Appointment,
    AppointmentEvent,
    AppointmentLine,
    RosterEntry,
)


def seed(scale: int = 1, *, appointments: bool = False, history: bool = True) -> str:
    out = StringIO()
    call_command(
        "seed_demo",
        scale=scale,
        without_appointments=not appointments,
        without_history=not history,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def small(monkeypatch):
    """A hundred customers per scale step: a couple of hundred repair orders."""
    monkeypatch.setattr(demo, "CUSTOMERS_PER_SCALE", 100)


@pytest.mark.django_db
def test_every_history_order_has_priced_lines_a_matching_consent_invoice_and_payments(small):
    seed()

    orders = RepairOrder.objects.filter(status__in=HISTORY).select_related("dealer")
    assert orders.count() > 100
    lines = defaultdict(list)
    for line in EstimateLine.objects.all():
        lines[line.repair_order_id].append(line)
    consents = defaultdict(list)
    for consent in ConsentRecord.objects.all():
        consents[consent.repair_order_id].append(consent)
    invoices = {i.repair_order_id: i for i in Invoice.objects.prefetch_related("lines", "payments")}
    for order in orders:
        mine = lines[order.pk]
        assert mine, order.number
        assert any(x.kind == LineKind.LABOUR for x in mine)
        for x in mine:
            assert x.amount == pricing.line_amount(x.quantity, x.unit_price, x.discount_percent)
            if x.kind == LineKind.LABOUR:
                assert x.unit_price == order.dealer.labour_rate
                assert x.quantity == x.operation.flat_rate_hours
            else:
                assert x.unit_price == x.part.unit_price and x.part.dealer_id == order.dealer_id
        [consent] = consents[order.pk]
        customer_total = pricing.totals(mine, order.dealer.vat_rate, customer_only=True).total
        assert consent.total == customer_total
        assert sorted(line["id"] for line in consent.agreed["lines"]) == sorted(x.pk for x in mine)
        assert consent.recorded_at >= order.created_at
        invoice = invoices[order.pk]
        assert invoice.consent_id == consent.pk
        assert invoice.customer_total == consent.total == invoice.amount_due
        every = pricing.totals(mine, order.dealer.vat_rate)
        assert (invoice.net, invoice.vat, invoice.total) == (every.net, every.vat, every.total)
        assert sum(x.amount for x in invoice.lines.all()) == invoice.net
        assert sum((p.amount for p in invoice.payments.all()), Decimal(0)) == invoice.amount_due
        assert invoice.status == "paid" and invoice.paid_at >= invoice.issued_at


@pytest.mark.django_db
def test_jobs_are_clocked_near_their_flat_rate_and_the_log_ends_with_the_delivery(small):
    seed()

    clock = defaultdict(dict)
    for event in ClockEvent.objects.all():
        clock[event.job_id][event.kind] = event.at
    jobs = Job.objects.select_related("estimate_line", "technician")
    assert jobs.count() == EstimateLine.objects.filter(kind=LineKind.LABOUR).count()
    for job in jobs:
        assert job.status == "done" and job.technician.skill_grade >= job.required_grade
        minutes = (clock[job.pk][ClockKind.FINISH] - clock[job.pk][ClockKind.START]).total_seconds() / 60
        flat = float(job.flat_rate_hours) * 60
        assert 0.8 * flat - 1 <= minutes <= 1.2 * flat + 1 or minutes == 3
    deliveries = {d.repair_order_id: d for d in Delivery.objects.all()}
    delivered = {e.repair_order_id: e.at for e in RepairOrderEvent.objects.filter(to_status=ROStatus.DELIVERED)}
    for order in RepairOrder.objects.filter(status__in=HISTORY):
        assert delivered[order.pk] == deliveries[order.pk].delivered_at
        assert order.created_at < delivered[order.pk] < timezone.now()
        closed = RepairOrderEvent.objects.filter(repair_order=order, to_status=ROStatus.CLOSED).exists()
        assert closed == (order.status == ROStatus.CLOSED)


@pytest.mark.django_db
def test_times_are_in_the_stations_zone_and_within_the_last_year(small):
    seed()

    shanghai = ZoneInfo("Asia/Shanghai")
    now = timezone.now()
    for order in RepairOrder.objects.filter(status__in=HISTORY):
        local = timezone.localtime(order.created_at, shanghai)
        assert dt.time(8, 30) <= local.time() <= dt.time(11, 0)
        assert now - dt.timedelta(days=401) < order.created_at < now


@pytest.mark.django_db
def test_odometer_grows_per_vehicle_and_each_visit_has_its_reading(small):
    seed()

    by_vehicle = defaultdict(list)
    for vehicle_id, km in OdometerReading.objects.order_by("read_on", "km").values_list("vehicle", "km"):
        by_vehicle[vehicle_id].append(km)
    for kms in by_vehicle.values():
        assert all(a <= b for a, b in pairwise(kms))
    for order in RepairOrder.objects.filter(status__in=HISTORY).select_related("walk_around__odometer"):
        reading = order.walk_around.odometer
        assert reading.vehicle_id == order.vehicle_id
        assert reading.read_on == timezone.localtime(order.created_at).date()


@pytest.mark.django_db
def test_numbers_are_gapless_per_station_and_year_in_time_order_and_the_workshop_continues_them(small):
    seed(appointments=True)

    for letter, rows, moment in (
        ("R", RepairOrder.objects.filter(status__in=HISTORY), "created_at"),
        ("I", Invoice.objects.all(), "issued_at"),
    ):
        numbers = defaultdict(list)
        for dealer_id, number, at in rows.order_by(moment, "number").values_list("dealer", "number", moment):
            year = timezone.localtime(at).year
            assert number.startswith(f"{letter}{year}-")
            numbers[dealer_id, year].append(int(number.split("-")[1]))
        assert numbers
        for sequence in numbers.values():
            assert sequence == list(range(1, len(sequence) + 1))
    # The workshop's open orders take the next numbers of the current year.
    year = timezone.localtime().year
    for dealer_id in RepairOrder.objects.values_list("dealer", flat=True).distinct():
        history = RepairOrder.objects.filter(dealer=dealer_id, status__in=HISTORY, number__startswith=f"R{year}-")
        last = history.aggregate(Max("number"))["number__max"]
        open_numbers = RepairOrder.objects.filter(dealer=dealer_id, status__in=RO_OPEN_STATES).values_list(
            "number", flat=True
        )
        assert open_numbers and all(number > last for number in open_numbers)


@pytest.mark.django_db
def test_callbacks_are_done_with_the_rules_key_attempts_and_a_survey(small):
    seed()

    callbacks = ContactTask.objects.filter(kind=Kind.CALLBACK).prefetch_related("attempts")
    surveys = {s.task_id: s for s in Survey.objects.all()}
    deliveries = {d.repair_order_id: d.delivered_at for d in Delivery.objects.all()}
    closed = set(RepairOrder.objects.filter(status=ROStatus.CLOSED).values_list("pk", flat=True))
    assert {task.source_id for task in callbacks} == closed
    for task in callbacks:
        assert task.status == TaskStatus.DONE
        assert task.dedupe_key == dedupe_key(Kind.CALLBACK, task.source_id, deliveries[task.source_id])
        attempts = list(task.attempts.all())
        assert attempts and attempts[-1].outcome == task.outcome
        assert all(a.outcome == "unreachable" for a in attempts[:-1])
        survey = surveys[task.pk]
        assert survey.repair_order_id == task.source_id
        assert (task.outcome == "dissatisfied") == survey.is_dissatisfied
    unhappy = sum(s.is_dissatisfied for s in surveys.values()) / len(surveys)
    assert 0.01 <= unhappy <= 0.12
    # Delivered in the last days: the sweep's callback rule makes theirs.
    assert not ContactTask.objects.filter(
        kind=Kind.CALLBACK, source_id__in=RepairOrder.objects.filter(status=ROStatus.DELIVERED).values("pk")
    ).exists()


@pytest.mark.django_db
def test_comebacks_declined_work_and_dormant_customers_are_there(small):
    seed(scale=3)

    comebacks = RepairOrder.objects.filter(comeback_of__isnull=False).select_related("comeback_of")
    assert comebacks.exists()
    for order in comebacks:
        assert order.comeback_cause and order.vehicle_id == order.comeback_of.vehicle_id
        assert order.comeback_of.created_at < order.created_at
    declined = FindingLine.objects.filter(decision=Decision.DECLINED)
    assert declined.exists()
    assert all(x.recommend_by_date and x.recommend_by_km for x in declined)
    last_visit = dict(
        Customer.objects.filter(repair_orders__status__in=HISTORY)
        .annotate(last=Max("repair_orders__created_at"))
        .values_list("pk", "last")
    )
    now = timezone.now()
    months = Counter(
        "recent" if (now - at).days < 183 else "dormant" if (now - at).days < 365 else "lost"
        for at in last_visit.values()
    )
    assert months["recent"] > months["dormant"] > 0 and months["lost"] > 0
    maintenance = RepairOrder.objects.filter(status__in=HISTORY, job_type="maintenance")
    assert maintenance.count() > RepairOrder.objects.filter(status__in=HISTORY).count() / 2


@pytest.mark.django_db
def test_a_second_run_adds_no_history_and_the_flag_leaves_it_out(small):
    seed()
    before = {model.__name__: model.objects.count() for model in HISTORY_MODELS}

    output = seed()

    assert {model.__name__: model.objects.count() for model in HISTORY_MODELS} == before
    assert all(line.endswith("(+0)") for line in output.splitlines() if "(+" in line)


@pytest.mark.django_db
def test_without_history_there_are_no_repair_orders(small):
    seed(history=False)

    assert not RepairOrder.objects.exists() and not Invoice.objects.exists()
    assert not ContactTask.objects.filter(kind=Kind.CALLBACK).exists()
    assert not Appointment.objects.exists()
    # No history, no need for last year's roster: two weeks back as before.
    first = timezone.localdate() - dt.timedelta(days=demo.ROSTER_DAYS_BACK)
    assert RosterEntry.objects.aggregate(first=Min("date"))["first"] >= first


@pytest.mark.django_db
def test_payments_sum_to_what_is_due_per_station(small):
    seed()

    for dealer_id, due in Invoice.objects.values_list("dealer").annotate(Sum("amount_due")):
        paid = Payment.objects.filter(invoice__dealer=dealer_id).aggregate(Sum("amount"))["amount__sum"]
        assert paid == due


@pytest.mark.django_db
def test_the_bench_reports_the_first_and_second_sweep_and_rolls_them_back(small, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "latest.md")
    seed(history=True)
    tasks = ContactTask.objects.count()

    figures = bench.Command.sweeps()

    (first_name, first), (second_name, second), (idle_name, idle) = figures["rows"]
    assert first_name == "first sweep" and second_name.startswith("second sweep")
    assert idle_name == "a tick with nothing due"
    assert first["seconds"] > 0 and first["queries"] > 0 and first["failed"] == 0
    assert second["acted"] == 0  # everything due was made by the first (no message backlog at this size)
    assert figures["drained"] == 0 and idle["acted"] == 0 and idle["queries"] > 0
    assert figures["contacts"] == tasks and figures["callbacks"] > 0
    assert ContactTask.objects.count() == tasks  # rolled back


@pytest.mark.django_db
def test_about_half_the_history_orders_come_from_an_appointment_of_the_same_car_booked_before(small):
    seed(scale=2)

    orders = list(RepairOrder.objects.filter(status__in=HISTORY).select_related("appointment"))
    booked = [o for o in orders if o.appointment_id]
    assert 0.45 <= len(booked) / len(orders) <= 0.65
    lines = set(AppointmentLine.objects.values_list("appointment", flat=True))
    chains = defaultdict(list)
    for appointment_id, to_status, at in AppointmentEvent.objects.order_by("at", "pk").values_list(
        "appointment", "to_status", "at"
    ):
        chains[appointment_id].append((to_status, at))
    for order in booked:
        a = order.appointment
        assert (a.dealer_id, a.vehicle_id, a.customer_id) == (order.dealer_id, order.vehicle_id, order.customer_id)
        assert a.status == AppointmentStatus.CONVERTED and a.job_type == order.job_type
        assert a.created_at < a.arrives_at <= order.created_at < a.ready_at
        assert a.hours > 0 and a.pk in lines
        states = [state for state, _ in chains[a.pk]]
        assert states[0] == AppointmentStatus.BOOKED and states[-2:] == ["arrived", "converted"]
        assert chains[a.pk][0][1] == a.created_at and chains[a.pk][-1][1] <= order.created_at


@pytest.mark.django_db
def test_some_appointments_were_no_shows_or_cancelled_and_have_no_repair_order(small):
    seed(scale=2)

    now = timezone.now()
    history = Appointment.objects.filter(arrives_at__lt=now)
    missed = history.filter(status__in=(AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED))
    assert missed.filter(status=AppointmentStatus.NO_SHOW).exists()
    assert missed.filter(status=AppointmentStatus.CANCELLED).exists()
    assert not RepairOrder.objects.filter(appointment__in=missed).exists()
    for a in missed.prefetch_related("events"):
        assert [e.to_status for e in a.events.all()][-1] == a.status
        assert a.created_at < a.arrives_at
        assert not RepairOrder.objects.filter(vehicle=a.vehicle, created_at__date=a.arrives_at.date()).exists()
    # Nothing of the past is left booked or confirmed: the sweeps would chase it.
    assert not history.filter(status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)).exists()
    due = history.exclude(status=AppointmentStatus.CANCELLED)
    shown = due.filter(status=AppointmentStatus.CONVERTED).count()
    assert 0.85 <= shown / due.count() <= 0.93
    confirmed = due.filter(events__to_status=AppointmentStatus.CONFIRMED).distinct().count()
    assert 0.75 <= confirmed / due.count() <= 0.95


@pytest.mark.django_db
def test_appointment_numbers_are_unique_gapless_and_the_live_bookings_continue_them(small):
    seed(appointments=True)

    now = timezone.now()
    numbers = defaultdict(list)
    for dealer_id, number, at in (
        Appointment.objects.filter(arrives_at__lt=now)
        .order_by("arrives_at", "number")
        .values_list("dealer", "number", "arrives_at")
    ):
        year = timezone.localtime(at).year
        assert number.startswith(f"Y{year}-")
        numbers[dealer_id, year].append(int(number.split("-")[1]))
    assert numbers
    for sequence in numbers.values():
        assert sequence == list(range(1, len(sequence) + 1))
    all_numbers = list(Appointment.objects.values_list("dealer", "number"))
    assert len(all_numbers) == len(set(all_numbers))
    year = timezone.localtime(now).year
    for dealer in Dealer.objects.all():
        past = Appointment.objects.filter(dealer=dealer, arrives_at__lt=now, number__startswith=f"Y{year}-")
        last = past.aggregate(Max("number"))["number__max"]
        live = Appointment.objects.filter(dealer=dealer, arrives_at__gte=now).values_list("number", flat=True)
        assert live and last and all(number > last for number in live)


@pytest.mark.django_db
def test_the_roster_covers_every_opening_day_of_the_history(small):
    seed()

    today = timezone.localdate()
    first = today - dt.timedelta(days=demo_history.LOST_DAYS)
    for dealer in Dealer.objects.all():
        open_weekdays = set(dealer.opening_hours.values_list("weekday", flat=True))
        closed = set(dealer.holidays.values_list("date", flat=True))
        expected = {
            first + dt.timedelta(days=n)
            for n in range((today - first).days + 1)
            if (first + dt.timedelta(days=n)).weekday() in open_weekdays and first + dt.timedelta(days=n) not in closed
        }
        on_roster = set(dealer.roster.filter(date__range=(first, today)).values_list("date", flat=True))
        assert on_roster == expected
        shapes = set(dealer.roster.values_list("starts", "ends", "break_minutes"))
        assert shapes <= {(*demo.SHIFTS[d], demo.BREAK_MINUTES) for d in demo.SHIFTS}
    # History jobs go to a technician on duty that day (all of them when nobody able is).
    duty = set(RosterEntry.objects.values_list("technician", "date"))
    finishes = ClockEvent.objects.filter(kind=ClockKind.FINISH).values_list("technician", "at")
    on_duty = [(tech, timezone.localtime(at).date()) in duty for tech, at in finishes]
    assert sum(on_duty) / len(on_duty) > 0.95


@pytest.mark.django_db
def test_the_dashboard_has_appointment_and_workshop_figures_for_both_periods(small):
    seed()

    station = Dealer.objects.order_by("pk").first()
    tz = ZoneInfo(station.time_zone)
    period = Period.of("month", timezone.localtime(timezone.now(), tz).date(), tz)
    results = {r.figure.key: r for r in dashboard_context(station, period)["results"]}
    for key in ("appointment_share", "confirmation_rate", "show_rate", "productivity", "proficiency"):
        assert results[key].current.value is not None, key
        assert results[key].previous is not None and results[key].previous.value is not None, key
    assert results["appointment_share"].previous.value > 0
