"""`manage.py bench` keeps working: it measures, fills capacity inside a
rolled-back transaction and leaves the database as it found it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from appointments.models import Appointment
from dealer_service import loadbench
from dealer_service.management.commands import bench
from dealers.models import BayType, JobType, RosterEntry
from reception.models import RepairOrder
from tests.factories import (
    BayFactory,
    LabourOperationFactory,
    PartFactory,
    StaffFactory,
    VehicleFactory,
    customers_with_vehicles_bulk,
)


@pytest.mark.django_db
def test_bench_prints_the_figures_and_rolls_back_its_bookings(station, advisor, dispatcher, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "latest.md")
    BayFactory(dealer=station, bay_type=BayType.QUICK)
    tech = StaffFactory(skill_grade=2, dealers=[station])
    today = timezone.localdate()
    for offset in range(15):
        RosterEntry.objects.create(
            dealer=station,
            technician=tech,
            date=today + dt.timedelta(days=offset),
            starts=dt.time(8, 30),
            ends=dt.time(18, 0),
            break_minutes=0,
        )
    LabourOperationFactory(dealer=station, job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("1.5"))
    for _ in range(40):
        VehicleFactory(owner__dealer=station)
    for _ in range(3):
        PartFactory(dealer=station)
    customers_with_vehicles_bulk(station, bench.BOARD_ORDERS)  # cars for the board's open ROs

    out = StringIO()
    call_command("bench", "--repeat", "2", "--fill", "0.5", "--station", station.code, "--no-load", stdout=out)

    report = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "proposals, 14 days (in-process)" in report
    assert "proposal panel (HTTP, whole stack)" in report
    booked = int(report.split("runs each (")[1].split(" appointments")[0])
    assert booked > 0
    panel_queries = int(report.split("proposal panel (HTTP, whole stack) |")[1].split("|")[2])
    assert panel_queries > 0  # the whole stack was measured, session and user included
    assert Appointment.objects.count() == 0  # the fill was rolled back
    pdf_row = report.split("five-part repair order PDF |")[1].split("|")
    assert float(pdf_row[0]) > 0  # median ms of the five-part PDF
    assert RepairOrder.objects.count() == 0  # so was the repair order it printed, and the board's
    board_row = report.split("dispatch board with 200 open ROs |")[1].split("|")
    assert float(board_row[0]) > 0 and int(board_row[2]) > 0  # timed, with its query count


@pytest.fixture
def pages_data(station, advisor, dispatcher, specialist, manager):
    """A station with someone in each role the measured pages need, a
    maintenance operation, and cars for the board's 200 open ROs."""
    LabourOperationFactory(dealer=station, job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("1.5"))
    customers_with_vehicles_bulk(station, bench.BOARD_ORDERS)
    return station


@pytest.mark.django_db
def test_every_page_under_load_answers_its_role_and_counts_its_queries(pages_data):
    """The load targets are real pages that answer 200 to the role that uses
    them (a redirect to sign-in would be measured as a fast page); the
    anchor makes no query."""
    counts = bench.Command.page_queries(pages_data)

    names = [t.name for t in loadbench.targets(pages_data)]
    assert list(counts) == names
    assert names[0].startswith("anchor")
    assert counts[names[0]] == 0
    assert all(counts[name] > 0 for name in names[1:])
    assert RepairOrder.objects.count() == 0  # the board's ROs were rolled back


@pytest.mark.django_db
def test_the_lookup_target_rotates_over_plates_phones_and_vin_tails(pages_data):
    vehicle = VehicleFactory(owner__dealer=pages_data, plate="京A12345", vin="LSVAB2BM1JN123456")
    lookup = next(t for t in loadbench.targets(pages_data, samples=10_000) if t.name.startswith("front-desk"))
    assert any("%E4%BA%ACA12345" in path for path in lookup.paths)
    assert any(path.endswith("q=123456") for path in lookup.paths)
    assert any(vehicle.owner.phone in path for path in lookup.paths)


def test_bench_load_refuses_a_target_that_does_not_answer_200(live_server):
    target = loadbench.Target("a page that needs sign-in", None, ["/customers/"])
    with pytest.raises(CommandError, match="answered 302"):
        loadbench.check_answers(live_server.url, target, cookie=None)
