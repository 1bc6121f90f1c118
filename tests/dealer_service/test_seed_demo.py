"""`manage.py seed_demo`: what one run loads, that re-runs add nothing (or only
the difference of a larger scale), and that the generated values are valid
and the same on every run."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from customers.models import (
    ContactChannel,
    ContactTime,
    Customer,
    Lifecycle,
    OdometerReading,
    OdometerSource,
    Ownership,
    Vehicle,
)
from customers.validators import validate_phone, validate_plate, validate_vin, vin_check_digit
from dealer_service import demo
from dealer_service.management.commands.seed_demo import seed_roster
from dealers.models import (
    Bay,
    BayType,
    Dealer,
    Holiday,
    JobType,
    LabourOperation,
    OpeningHours,
    PackagePart,
    Part,
    Role,
    RosterEntry,
    ServicePackage,
    StaffMember,
    StaffRole,
)

SEEDED_MODELS = (
    Dealer,
    OpeningHours,
    Holiday,
    Bay,
    StaffMember,
    StaffRole,
    RosterEntry,
    LabourOperation,
    Part,
    ServicePackage,
    PackagePart,
    Customer,
    Vehicle,
    Ownership,
    OdometerReading,
)


def seed(scale: int = 1, *, appointments: bool = False) -> str:
    out = StringIO()
    call_command("seed_demo", scale=scale, without_appointments=not appointments, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*SEEDED_MODELS, get_user_model())}


@pytest.fixture
def small(monkeypatch):
    """A hundred customers per scale step: enough to show re-runs and
    scaling, and quick to load."""
    monkeypatch.setattr(demo, "CUSTOMERS_PER_SCALE", 100)


@pytest.fixture(scope="module")
def generated() -> list[demo.CustomerRow]:
    """The scale-1 customers, generated without a database."""
    return list(demo.DemoData().customers(demo.CUSTOMERS_PER_SCALE))


# -- one run --------------------------------------------------------------------


@pytest.mark.django_db
def test_one_run_loads_two_stations_their_staff_catalogues_and_customers():
    output = seed()

    stations = {d.code: d for d in Dealer.objects.all()}
    assert set(stations) == {"bj01", "sh01"}
    assert stations["bj01"].name == "北京朝阳服务站"
    assert (stations["bj01"].labour_rate, stations["sh01"].labour_rate) == (Decimal("180"), Decimal("200"))
    for station in stations.values():
        assert (station.time_zone, station.currency, station.vat_rate) == ("Asia/Shanghai", "CNY", Decimal("0.13"))
        assert station.opening_hours_on(dt.date(2026, 11, 23)) == (dt.time(8, 30), dt.time(18, 0))  # a Monday
        assert station.opening_hours_on(dt.date(2026, 11, 29)) == (dt.time(9, 0), dt.time(17, 0))  # a Sunday
        assert station.opening_hours_on(dt.date(2026, 10, 1)) is None  # 国庆节
        assert Counter(station.bays.values_list("bay_type", flat=True)) == {
            "general": 4,
            "quick": 2,
            "body_paint": 1,
            "alignment": 1,
        }
        assert 35 <= station.labour_operations.count() <= 45
        assert 280 <= station.parts.count() <= 320
        assert station.service_packages.count() == 8
        for package in station.service_packages.all():
            assert package.operations.exists() and package.package_parts.exists()
        assert 450 <= station.customers.count() <= 550
    assert 900 <= Customer.objects.count() <= 1_100
    assert 1_100 <= Vehicle.objects.count() <= 1_300
    assert "advisor.bj01" in output and "customers" in output


@pytest.mark.django_db
def test_every_role_has_one_login_per_station_and_the_passwords_are_the_demo_ones():
    seed()
    User = get_user_model()

    for code in ("bj01", "sh01"):
        for role in Role.values:
            user = User.objects.get(username=f"{role}.{code}")
            assert user.check_password("demo1234")
            assert user.staff.has_role(role)
            assert list(user.staff.dealers.values_list("code", flat=True)) == [code]
        technicians = StaffMember.objects.filter(roles__role=Role.TECHNICIAN, dealers__code=code)
        assert technicians.count() == 6
        assert {t.skill_grade for t in technicians} == {1, 2, 3, 4}
    group = User.objects.get(username="manager.group")
    assert set(group.staff.dealers.values_list("code", flat=True)) == {"bj01", "sh01"}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin1234")
    assert {login.username for login in demo.DEMO_LOGINS} == set(User.objects.values_list("username", flat=True))


@pytest.mark.django_db
def test_service_managers_may_edit_master_data_in_the_admin(small):
    seed()

    for username in ("manager.bj01", "manager.sh01", "manager.group"):
        manager = get_user_model().objects.get(username=username)
        assert manager.is_staff
        assert manager.has_perms(["dealers.change_part", "dealers.add_rosterentry", "customers.change_customer"])
    advisor = get_user_model().objects.get(username="advisor.bj01")
    assert not advisor.is_staff and not advisor.has_perm("dealers.change_part")


@pytest.mark.django_db
def test_roster_covers_opening_days_except_holidays_sundays_off_and_leave(small):
    seed()
    RosterEntry.objects.all().delete()

    # Around 国庆节 (closed on 1 and 2 October 2026).
    added = seed_roster(today=dt.date(2026, 10, 5))

    entries = RosterEntry.objects.select_related("technician__user")
    assert added == entries.count() > 0
    dates = {e.date for e in entries}
    assert min(dates) >= dt.date(2026, 9, 21) and max(dates) <= dt.date(2026, 11, 2)
    assert not dates & {dt.date(2026, 10, 1), dt.date(2026, 10, 2)}
    assert dt.date(2026, 10, 3) in dates  # Saturday: open
    for entry in entries:
        opens, closes = entry.dealer.opening_hours_on(entry.date)
        assert opens <= entry.starts < entry.ends <= closes
    on_sunday = {e.technician.user.username for e in entries if e.date.weekday() == 6}
    assert "technician.bj01" in on_sunday and "technician2.bj01" not in on_sunday
    days_of = Counter(e.technician.user.username for e in entries)
    leave_taker = demo.technician_username("bj01", demo.LEAVE_TAKER)
    assert days_of[leave_taker] < days_of["technician6.bj01"]  # same Sundays off, plus leave


# -- re-runs --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_run_creates_nothing_new(small):
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert all(line.endswith("(+0)") for line in output.splitlines() if "(+" in line)


@pytest.mark.django_db
def test_a_larger_scale_adds_only_the_missing_customers_and_vehicles(small):
    seed(scale=1)
    first_ids = set(Customer.objects.values_list("pk", flat=True))

    seed(scale=2)

    rows = list(demo.DemoData().customers(200))
    assert Customer.objects.count() == len(rows)
    assert first_ids <= set(Customer.objects.values_list("pk", flat=True))
    assert Vehicle.objects.count() == sum(len(r.vehicles) for r in rows)
    assert set(Vehicle.objects.values_list("vin", flat=True)) == {v.vin for r in rows for v in r.vehicles}


@pytest.mark.django_db
def test_every_vehicle_has_one_current_owner_and_a_history_for_used_cars(small):
    seed(scale=3)

    current = Ownership.objects.filter(until__isnull=True)
    assert current.count() == Vehicle.objects.count()
    assert all(o.customer_id == o.vehicle.owner_id for o in current.select_related("vehicle"))
    for ended in Ownership.objects.filter(until__isnull=False).select_related("vehicle"):
        assert ended.customer_id != ended.vehicle.owner_id
        assert ended.customer.dealer_id == ended.vehicle.dealer_id
        assert ended.vehicle.sale_date == ended.since < ended.until


# -- the generated values -------------------------------------------------------


def test_every_generated_vin_plate_and_phone_passes_the_validators(generated):
    vehicles = [v for row in generated for v in row.vehicles]
    for vehicle in vehicles:
        validate_vin(vehicle.vin)
        validate_plate(vehicle.plate)
    for row in generated:
        validate_phone(row.phone)
        if row.phone2:
            validate_phone(row.phone2)
    assert len({v.vin for v in vehicles}) == len(vehicles)
    assert len({v.plate for v in vehicles}) == len(vehicles)
    assert len({r.phone for r in generated}) == len(generated)
    new_energy = sum(len(v.plate) == 8 for v in vehicles) / len(vehicles)
    assert 0.10 <= new_energy <= 0.20


def test_generated_choices_are_the_models_choices(generated):
    assert list(demo.ROLE_LABELS) == Role.values
    assert {kind for _, _, kind in demo.BAYS} <= set(BayType.values)
    assert {op[2] for op in demo.LABOUR_OPERATIONS} | {p[3] for p in demo.SERVICE_PACKAGES} <= set(JobType.values)
    assert {r.lifecycle for r in generated} == set(Lifecycle.values)
    assert {r.preferred_channel for r in generated} <= set(ContactChannel.values)
    assert {r.preferred_time for r in generated} <= set(ContactTime.values)
    sources = {reading.source for r in generated for v in r.vehicles for reading in v.readings}
    assert sources <= set(OdometerSource.values)


def test_vehicle_dates_and_readings_hang_together(generated):
    for vehicle in (v for row in generated for v in row.vehicles):
        assert vehicle.vin[9] == demo.YEAR_CODES[vehicle.model_year]
        assert vehicle.vin[8] == vin_check_digit(vehicle.vin)
        assert vehicle.model_year - 1 <= vehicle.sale_date.year <= vehicle.model_year
        assert vehicle.warranty_end == demo.add_years(vehicle.sale_date, 3)
        readings = vehicle.readings
        assert 1 <= len(readings) <= 6 and readings[0].source == "sale" and readings[0].read_on == vehicle.sale_date
        assert all(a.read_on < b.read_on and a.km < b.km for a, b in pairwise(readings))
        assert readings[-1].read_on <= demo.CONTENT_ANCHOR
        if vehicle.transfer_date:
            assert vehicle.sale_date < vehicle.transfer_date < demo.CONTENT_ANCHOR


def test_lifecycle_classes_respect_the_time_in_the_club(generated):
    for row in generated:
        if row.lifecycle in ("loyal", "core"):
            tenure = (demo.CONTENT_ANCHOR - row.club_since).days
            assert tenure >= demo.CLUB_TENURE_DAYS[row.lifecycle]
        assert (row.club_since is not None) == (row.lifecycle in demo.CLUB_TENURE_DAYS)
        assert bool(row.vehicles) == (row.lifecycle != "potential")


def test_generation_is_the_same_on_every_run_and_at_every_scale(generated):
    def first_20(rows):
        return [(r.name, r.phone, [v.vin for v in r.vehicles]) for r in rows[:20]]

    again = list(demo.DemoData().customers(20))

    assert first_20(again) == first_20(generated)
    assert [p.number for p in demo.DemoData().parts] == [p.number for p in demo.DemoData().parts]


@pytest.mark.django_db
def test_the_database_holds_the_generated_rows(small):
    seed()

    rows = list(demo.DemoData().customers(100))
    stored = {c.phone: c for c in Customer.objects.prefetch_related("vehicles")}
    for row in rows[:20]:
        customer = stored[row.phone]
        assert (customer.name, customer.dealer.code, customer.lifecycle) == (row.name, row.station, row.lifecycle)
        assert sorted(v.vin for v in customer.vehicles.all()) == sorted(v.vin for v in row.vehicles)


@pytest.mark.django_db
def test_a_week_of_appointments_and_cars_in_the_workshop_are_made_once(small):
    from appointments import capacity
    from appointments.models import Appointment

    seed(appointments=True)
    upcoming = Appointment.objects.filter(arrives_at__gte=timezone.now())
    assert upcoming.count() >= 40
    for dealer in Dealer.objects.all():
        days = {timezone.localtime(a.arrives_at).date() for a in upcoming.filter(dealer=dealer)}
        assert len(days) >= 5  # spread over the week, not piled on one day
        calendar = capacity.load_calendar(dealer, min(days), max(days))
        assert all(day.booked_hours <= day.capacity_hours + 1e-6 for day in calendar.days())
    assert all(a.preparation for a in upcoming.select_related("preparation"))

    from reception.models import RepairOrder, ROStatus

    on_the_board = set(RepairOrder.objects.values_list("status", flat=True))
    stages = {ROStatus.DRAFT, ROStatus.OPEN, ROStatus.IN_PROGRESS, ROStatus.QUALITY_CHECK, ROStatus.READY}
    assert stages <= on_the_board  # cars at every stage, one ready for delivery
    orders = RepairOrder.objects.count()
    appointments = Appointment.objects.count()  # the week ahead and the history's

    seed(appointments=True)
    assert Appointment.objects.count() == appointments
    assert RepairOrder.objects.count() == orders
