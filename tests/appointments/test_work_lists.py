"""The work lists a booking lands on (the advisor's, the parts department's and
the workshop's copies of the registration form) and their station scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from appointments import preparation as prep
from appointments import services
from appointments.models import Appointment, Preparation, Status
from dealers.models import JobType, PackagePart, Role, RosterEntry
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import (
    BayFactory,
    LabourOperationFactory,
    PartFactory,
    ServicePackageFactory,
    StaffFactory,
    VehicleFactory,
)

LISTS = {"advisor": "advisor", "parts": "parts_clerk", "workshop": "dispatcher"}


@pytest.fixture
def frozen_now(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: NOW.date())
    return NOW


@pytest.fixture
def oil(station):
    return PartFactory(dealer=station, number="06L115562", name="机油 5W-30", unit="L", stock_on_hand=Decimal("6"))


@pytest.fixture
def service_10k(station, oil_change, oil):
    package = ServicePackageFactory(dealer=station, name="10000公里保养", job_type=JobType.MAINTENANCE)
    package.operations.add(oil_change)
    PackagePart.objects.create(package=package, part=oil, quantity=Decimal("4"))
    return package


def book(station, advisor, when, *, packages=(), operations=(), vehicle=None):
    vehicle = vehicle or VehicleFactory(owner__dealer=station)
    return services.appointment_book(
        dealer=station,
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=when,
        request="做保养",
        operations=list(operations),
        packages=list(packages),
        now=NOW,
    )


def other_station_appointment(other_station, other_advisor):
    """A booking at another station on the same Monday, with its own work."""
    other_station.productive_share = Decimal("1.00")
    other_station.save()
    BayFactory(dealer=other_station)
    tech = StaffFactory(skill_grade=2, roles=[Role.TECHNICIAN], dealers=[other_station])
    RosterEntry.objects.create(
        dealer=other_station, technician=tech, date=MONDAY, starts=dt.time(8, 30), ends=dt.time(18), break_minutes=0
    )
    operation = LabourOperationFactory(dealer=other_station, job_type=JobType.MAINTENANCE)
    return book(other_station, other_advisor, at(MONDAY, 10), operations=[operation])


def crowd(first: Appointment, total: int) -> None:
    """More appointments like `first` on the same day, past the page size.

    Written directly: the workshop fixture's capacity holds fewer, and what is
    measured here is the list, not the booking."""
    for n in range(Appointment.objects.filter(dealer=first.dealer).count(), total):
        vehicle = VehicleFactory(owner__dealer=first.dealer)
        twin = Appointment.objects.create(
            dealer=first.dealer,
            number=f"{first.number}-{n}",
            customer=vehicle.owner,
            vehicle=vehicle,
            advisor=first.advisor,
            job_type=first.job_type,
            arrives_at=first.arrives_at + dt.timedelta(minutes=n),
            ready_at=first.ready_at + dt.timedelta(minutes=n),
            hours=first.hours,
            request=first.request,
        )
        for line in first.lines.all():
            line.pk, line.appointment = None, twin
            line.save()
        prep.preparation_open(appointment=twin, now=NOW)


def open_list(client, kind, **params):
    return client.get(reverse("appointments:work_list", args=[kind]), {"day": MONDAY.isoformat(), **params})


def test_a_new_booking_shows_on_all_three_work_lists_and_not_at_another_station(
    workshop, other_station, advisor, other_advisor, parts_clerk, dispatcher, service_10k, login, frozen_now, request
):
    appointment = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    elsewhere = other_station_appointment(other_station, other_advisor)
    for kind, actor in LISTS.items():
        client = login(request.getfixturevalue(actor))
        body = open_list(client, kind).content.decode()
        assert appointment.number in body, kind
        assert appointment.vehicle.plate in body, kind
        assert elsewhere.vehicle.plate not in body, kind
        client.logout()
    # and the other station's advisor sees only their own
    body = open_list(login(other_advisor), "advisor").content.decode()
    assert elsewhere.vehicle.plate in body and appointment.vehicle.plate not in body


def test_the_advisor_sees_their_own_appointments_by_default(workshop, advisor, staff_of, oil_change, login, frozen_now):
    colleague = staff_of(Role.SERVICE_ADVISOR, workshop)
    mine = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    theirs = book(workshop, colleague, at(MONDAY, 10), operations=[oil_change])
    client = login(advisor)
    response = open_list(client, "advisor")
    assert [a.number for a in response.context["rows"]] == [mine.number]
    everyone = open_list(client, "advisor", advisor="all")
    assert [a.number for a in everyone.context["rows"]] == [mine.number, theirs.number]


def test_the_parts_list_shows_reservations_and_shortages(
    workshop, advisor, parts_clerk, service_10k, oil, oil_change, login, frozen_now
):
    first = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    second = book(workshop, advisor, at(MONDAY, 11), packages=[service_10k])
    labour_only = book(workshop, advisor, at(MONDAY, 13), operations=[oil_change])
    for appointment in (first, second):
        prep.parts_reserve_all(preparation=Preparation.objects.get(appointment=appointment), by=parts_clerk.user)
    client = login(parts_clerk)
    response = open_list(client, "parts")
    rows = {a.number: a for a in response.context["rows"]}
    assert [r.state for r in rows[first.number].parts] == ["reserved"]
    assert rows[second.number].short  # 6 L in stock, 4 L held by the first
    assert rows[labour_only.number].parts == []
    assert oil.number in response.content.decode()
    open_only = open_list(client, "parts", open_only="on")
    assert [a.number for a in open_only.context["rows"]] == [second.number]


def test_the_workshop_list_shows_job_hours_grade_technician_and_bay_type(
    workshop, advisor, dispatcher, technician, oil_change, login, frozen_now
):
    RosterEntry.objects.create(
        dealer=workshop, technician=technician, date=MONDAY, starts=dt.time(8, 30), ends=dt.time(18)
    )
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    prep.technician_assign(
        preparation=Preparation.objects.get(appointment=appointment), technician=technician, by=advisor.user
    )
    response = open_list(login(dispatcher), "workshop")
    body = response.content.decode()
    row = response.context["rows"][0]
    assert row.preparation.technician == technician and technician.display_name in body
    assert "2.00 h" in body
    assert len(row.bay_types) == 2  # maintenance fits a quick or a general bay


def test_cancelled_appointments_are_not_work(workshop, advisor, dispatcher, oil_change, login, frozen_now):
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    services.appointment_transition(appointment=appointment, to=Status.CANCELLED, by=advisor.user, note="客户有事")
    response = open_list(login(dispatcher), "workshop")
    assert response.context["rows"] == []
    assert 'class="card-body empty-state"' in response.content.decode()


def test_search_finds_by_plate_and_says_so_when_nothing_matches(workshop, advisor, oil_change, login, frozen_now):
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    client = login(advisor)
    found = open_list(client, "advisor", q=appointment.vehicle.plate)
    assert [a.number for a in found.context["rows"]] == [appointment.number]
    nothing = open_list(client, "advisor", q="沪Z99999")
    assert nothing.context["rows"] == [] and nothing.context["filtered"]


def test_each_list_is_for_its_department(workshop, advisor, parts_clerk, technician, login, frozen_now):
    assert login(parts_clerk).get(reverse("appointments:work_list", args=["workshop"])).status_code == 403
    assert login(technician).get(reverse("appointments:work_list", args=["parts"])).status_code == 403
    assert login(advisor).get(reverse("appointments:work_list", args=["nonsense"])).status_code == 404


@pytest.mark.parametrize("kind", LISTS)
def test_the_query_count_does_not_grow_with_the_day(
    kind, workshop, advisor, manager, service_10k, login, frozen_now, django_assert_max_num_queries
):
    """3 or 30 appointments: the same queries (the page shows 20)."""
    first = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    client = login(manager)
    counts = []
    for total in (3, 30):
        crowd(first, total)
        with django_assert_max_num_queries(12) as captured:
            response = open_list(client, kind, advisor="all")
        assert len(response.context["rows"]) == min(total, 20)
        counts.append(len(captured))
    assert counts[0] == counts[1]
