"""`manage.py bench` keeps working: it measures, fills capacity inside a
rolled-back transaction and leaves the database as it found it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from appointments.models import Appointment
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
    call_command("bench", "--repeat", "2", "--fill", "0.5", "--station", station.code, stdout=out)

    report = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "proposals, 14 days (in-process)" in report
    assert "proposal panel (HTTP, whole stack)" in report
    booked = int(report.split("; ")[1].split(" appointments")[0])
    assert booked > 0
    panel_queries = int(report.split("proposal panel (HTTP, whole stack) |")[1].split("|")[2])
    assert panel_queries > 0  # the whole stack was measured, session and user included
    assert Appointment.objects.count() == 0  # the fill was rolled back
    pdf_row = report.split("five-part repair order PDF |")[1].split("|")
    assert float(pdf_row[0]) > 0  # median ms of the five-part PDF
    assert RepairOrder.objects.count() == 0  # so was the repair order it printed, and the board's
    board_row = report.split("dispatch board with 200 open ROs |")[1].split("|")
    assert float(board_row[0]) > 0 and int(board_row[2]) > 0  # timed, with its query count
