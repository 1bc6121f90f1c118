"""Each figure on the hand-made month of conftest.py: the right answers are
worked out here from the rows, not by calling the dashboard's code twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dashboard import figures as f
from dashboard import selectors
from dashboard.periods import Period
from tests.dashboard.conftest import BEIJING, NOW, at
from tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db

MARCH = Period.of("month", dt.date(2026, 3, 1), BEIJING)


def figures(station, period=MARCH, now=NOW) -> dict[str, f.Result]:
    return {r.figure.key: r for r in selectors.dashboard_context(station, period, now)["results"]}


def value(results, key) -> Decimal | None:
    return results[key].current.value


def test_appointment_share_and_comeback_rate_count_march_orders_in_beijing_time(station, march):
    r = figures(station)
    # RO1 (from A1), RO2, RO3 (comeback), RO4 (23:30 on 31 March): 4; the
    # 1 April 00:10 order and the cancelled one are out.
    assert r["appointment_share"].current.denominator == 4
    assert value(r, "appointment_share") == Decimal("25.0")
    assert value(r, "comeback_rate") == Decimal("25.0")
    # February: RO0 only, from A0.
    assert r["appointment_share"].previous.value == Decimal("100.0")
    assert r["comeback_rate"].previous.value == Decimal("0.0")


def test_confirmation_show_rate_and_no_shows(station, march):
    r = figures(station)
    # Due: A1, A2 (no-show), A3, A6 — cancelled, rescheduled and the April one out.
    assert value(r, "confirmation_rate") == Decimal("75.0")  # A1, A3, A6
    assert value(r, "show_rate") == Decimal("50.0")  # A1 converted, A3 arrived
    assert value(r, "no_shows") == 1
    assert r["confirmation_rate"].previous.value == Decimal("0.0")
    assert r["show_rate"].previous.value == Decimal("100.0")


def test_technician_productivity_efficiency_and_proficiency(station, march):
    r = figures(station)
    # On duty 8 h + 4 h; clocked on duty days 2.5 h (J1) + 1 h (J3); J2's 2 h were off the roster.
    assert value(r, "productivity") == Decimal("29.2")  # 3.5 / 12
    # Sold 2 + 3 + 1 = 6 h on jobs clocked 2.5 + 2 + 1 = 5.5 h.
    assert value(r, "efficiency") == Decimal("109.1")
    # Sold on duty days: 2 + 1 = 3 h of 12.
    assert value(r, "proficiency") == Decimal("25.0")


def test_a_running_month_counts_the_roster_only_up_to_today(station, march, world):
    # The month still runs on 2 March at 18:00: 3 March's 4 h shift lies ahead
    # and nothing is clocked on it yet; on duty so far: the 8 h of 2 March.
    world.roster(dt.date(2026, 3, 20), dt.time(8), dt.time(17), 60)  # later in the month
    r = figures(station, now=dt.datetime(2026, 3, 2, 18, 0, tzinfo=BEIJING))
    assert r["productivity"].current.denominator == Decimal("8")


def test_bay_utilisation_counts_open_hours_of_active_bays(station, march):
    r = figures(station)
    # March 2026: 31 days less 5 Sundays less the 10 March holiday = 25 days of 9.5 h; one active bay.
    # In a bay: J1 2.5 h + J3 1 h.
    assert r["bay_utilisation"].current.denominator == Decimal("237.5")
    assert value(r, "bay_utilisation") == Decimal("1.5")  # 3.5 / 237.5 = 1.47 %


def test_revenue_hours_per_ro_and_labour_rate_from_invoices_in_force(station, march):
    r = figures(station)
    # The credited invoice and its credit note are left out; the reissue counts.
    assert value(r, "labour_revenue") == Decimal("1080.00")
    assert value(r, "parts_revenue") == Decimal("150.00")
    assert value(r, "hours_per_ro") == Decimal("2.00")  # 6 h / 3 invoices
    assert value(r, "effective_labour_rate") == Decimal("180.00")  # 1080 / 6
    assert r["labour_revenue"].previous.value == Decimal("720.00")


def test_on_time_delivery_and_cycle_time(station, march):
    r = figures(station)
    assert value(r, "on_time_delivery") == Decimal("50.0")  # RO1 on time, RO2 late; RO3 had no promise
    assert value(r, "cycle_time") == Decimal("6.00")  # (8 + 6 + 4) / 3 h
    assert r["cycle_time"].previous.value == Decimal("8.00")  # RO0 10:00 → 18:00


def test_first_time_quality_pass_rate_counts_first_rounds(station, march):
    assert value(figures(station), "first_time_qc_pass") == Decimal("66.7")  # 2 of 3


def test_additional_work_acceptance_and_declined_value(station, march):
    r = figures(station)
    assert value(r, "additional_work_acceptance") == Decimal("33.3")  # 1 of 3 decided
    assert value(r, "declined_work_value") == Decimal("450.50")


def test_callback_within_seven_days(station, march):
    # Counted: CB1 (in time), CB2 (closed after its window), CB3 (wrong number), CB5 (open, late).
    r = figures(station)
    assert r["callback_in_time"].current.denominator == 4
    assert value(r, "callback_in_time") == Decimal("25.0")


def test_satisfaction_average_and_dissatisfied_customers(station, march):
    r = figures(station)
    assert value(r, "satisfaction") == Decimal("4.00")
    assert value(r, "dissatisfied") == 2
    assert r["satisfaction"].previous.value == Decimal("1.00")
    assert r["dissatisfied"].previous.value == 1


def test_complaints_by_level_received_open_and_overdue(station, march):
    context = selectors.dashboard_context(station, MARCH, NOW)
    r = {x.figure.key: x for x in context["results"]}
    assert value(r, "complaints") == 3
    levels = {row["level"]: row for row in context["complaint_levels"]}
    assert (levels[1]["received"], levels[1]["open"], levels[1]["overdue"]) == (2, 1, 1)
    assert (levels[2]["received"], levels[2]["open"], levels[2]["overdue"]) == (0, 1, 1)
    assert (levels[3]["received"], levels[3]["open"], levels[3]["overdue"]) == (1, 1, 0)


def test_reminder_conversion_per_rule_and_campaign(station, march):
    context = selectors.dashboard_context(station, MARCH, NOW)
    r = {x.figure.key: x for x in context["results"]}
    assert value(r, "reminder_conversion") == Decimal("50.0")  # 2 of 4, the cancelled one out
    kinds = {row["key"]: (row["sent"], row["converted"]) for row in context["reminders"]["kinds"]}
    assert kinds == {"first_maintenance": (2, 1), "dormant": (1, 1), "campaign": (1, 0)}
    assert [(c["label"], c["sent"], c["converted"]) for c in context["reminders"]["campaigns"]] == [
        ("空调免费检测", 1, 0)
    ]


def test_technician_table(station, march, technician):
    rows = selectors.dashboard_context(station, MARCH, NOW)["technicians"]
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == technician.display_name
    assert row["on_duty"] == Decimal("12")
    assert (row["productivity"], row["efficiency"], row["proficiency"]) == (
        Decimal("29.2"),
        Decimal("109.1"),
        Decimal("25.0"),
    )


def test_comebacks_are_put_on_the_first_repairs_technician(station, world, march, technician):
    first = world.order(at(2, 25))
    world.job(first, 1, at(2, 25, 12), [])
    world.order(at(3, 26), comeback_of=first)
    context = selectors.dashboard_context(station, MARCH, NOW)
    assert [(c["technician__display_name"], c["n"]) for c in context["top_comebacks"]] == [(technician.display_name, 1)]
    assert context["technicians"][0]["comebacks"] == 1


def test_load_for_the_next_14_days_is_booked_over_productive_capacity(station, world):
    # Tomorrow (Friday 3 April) one technician 08:30–17:30 less 60 min: 8 h × 0.85 = 6.8 h; 2 h booked.
    world.roster(dt.date(2026, 4, 3), dt.time(8, 30), dt.time(17, 30), 60)
    Bay = __import__("dealers.models", fromlist=["Bay"]).Bay
    Bay.objects.create(dealer=station, code="K01", name="快修", bay_type="quick")
    appointment = world.appointment(at(4, 3, 9), "booked")
    appointment.hours = Decimal("2")
    appointment.save()
    r = figures(station)
    assert r["load_14_days"].current.denominator == Decimal("6.8")
    assert value(r, "load_14_days") == Decimal("29.4")
    assert r["load_14_days"].previous is None


def test_another_stations_rows_never_count(station, other_station, march, other_advisor):
    car = VehicleFactory(owner__dealer=other_station)
    other = type(march["ro1"]).objects.create(
        dealer=other_station, number="SH1", customer=car.owner, vehicle=car, advisor=other_advisor, job_type="repair"
    )
    type(other).objects.filter(pk=other.pk).update(created_at=at(3, 10))
    r = figures(station)
    assert r["appointment_share"].current.denominator == 4
    assert figures(other_station)["appointment_share"].current.denominator == 1


def test_a_day_period_starts_at_local_midnight(station, march):
    # 31 March in Beijing holds RO4 (23:30); 1 April holds RO5 (00:10), which is still 31 March in UTC.
    last_day = figures(station, Period.of("day", dt.date(2026, 3, 31), BEIJING))
    assert last_day["appointment_share"].current.denominator == 1
    first_day = figures(station, Period.of("day", dt.date(2026, 4, 1), BEIJING))
    assert first_day["appointment_share"].current.denominator == 1


def test_periods_and_the_period_before():
    week = Period.of("week", dt.date(2026, 3, 4), BEIJING)
    assert (week.first, week.last) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert week.previous().first == dt.date(2026, 2, 23)
    assert MARCH.previous().last == dt.date(2026, 2, 28)
    custom = Period.of("custom", dt.date(2026, 3, 10), BEIJING, dt.date(2026, 3, 19))
    assert (custom.previous().first, custom.previous().last) == (dt.date(2026, 2, 28), dt.date(2026, 3, 9))
    assert MARCH.window.start == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)
