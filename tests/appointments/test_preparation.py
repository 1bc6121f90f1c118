"""Step 2 preparation: the checklist opened at booking, parts reserved against
stock, substitute cars by day, technician, ready, the manager's readiness view
and the state the follow-up rule reads to tell the customer about a problem."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from appointments import preparation as prep
from appointments import selectors, services
from appointments.models import (
    ItemKind,
    ItemState,
    LoanerCar,
    LoanerReservation,
    PartReservation,
    Preparation,
    ReservationState,
)
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

SATURDAY = NOW.date() + dt.timedelta(days=1)  # "tomorrow" for the pages


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
def oil_filter(station):
    return PartFactory(dealer=station, number="06L115466", name="机油滤清器", stock_on_hand=Decimal("10"))


@pytest.fixture
def service_10k(station, oil_change, oil, oil_filter):
    """The 10,000 km maintenance: one oil change, 4 L of oil and a filter."""
    package = ServicePackageFactory(dealer=station, name="10000公里保养", job_type=JobType.MAINTENANCE)
    package.operations.add(oil_change)
    PackagePart.objects.create(package=package, part=oil, quantity=Decimal("4"))
    PackagePart.objects.create(package=package, part=oil_filter, quantity=Decimal("1"))
    return package


def book(station, advisor, when, *, packages=(), operations=(), vehicle=None, **extra):
    vehicle = vehicle or VehicleFactory(owner__dealer=station)
    return services.appointment_book(
        dealer=station,
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=when,
        request="做10000公里保养，空调有异味",
        operations=list(operations),
        packages=list(packages),
        now=NOW,
        **extra,
    )


def checklist(appointment) -> Preparation:
    return Preparation.objects.get(appointment=appointment)


def states(preparation: Preparation) -> dict[str, str]:
    return dict(preparation.items.values_list("kind", "state"))


def settle_advisor_items(preparation, advisor_user, technician):
    prep.information_confirm(preparation=preparation, by=advisor_user, now=NOW)
    prep.technician_assign(preparation=preparation, technician=technician, by=advisor_user, now=NOW)
    prep.tools_record(preparation=preparation, note="", needed=False, by=advisor_user, now=NOW)
    prep.draft_confirm(preparation=preparation, request="10000公里保养；检查空调异味", by=advisor_user, now=NOW)


@pytest.fixture
def on_duty(technician):
    """The `technician` (grade 2) is on the roster on Monday and Saturday."""
    for day in (MONDAY, SATURDAY):
        RosterEntry.objects.create(
            dealer=technician.dealers.first(), technician=technician, date=day, starts=dt.time(8, 30), ends=dt.time(18)
        )
    return technician


# --- the checklist -----------------------------------------------------------


def test_booking_opens_a_checklist_with_the_parts_of_the_package(workshop, advisor, service_10k, oil, oil_filter):
    appointment = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    preparation = checklist(appointment)
    owners = dict(preparation.items.values_list("kind", "owner_role"))
    assert set(owners) == set(ItemKind.values)
    assert owners[ItemKind.PARTS] == Role.PARTS_CLERK and owners[ItemKind.DRAFT] == Role.SERVICE_ADVISOR
    assert states(preparation)[ItemKind.PARTS] == ItemState.OPEN
    assert states(preparation)[ItemKind.LOANER] == ItemState.NOT_NEEDED  # no substitute car asked for
    reserved = {r.part: (r.quantity, r.state) for r in preparation.reservations.all()}
    assert reserved == {oil: (4, ReservationState.NEEDED), oil_filter: (1, ReservationState.NEEDED)}
    assert preparation.draft_request == appointment.request  # the inquiry pre-fill starts from the request
    assert not preparation.is_ready


def test_labour_only_needs_no_parts_and_a_wished_substitute_car_is_an_open_item(workshop, advisor, oil_change):
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change], substitute_car=True)
    preparation = checklist(appointment)
    assert not preparation.reservations.exists()
    assert states(preparation)[ItemKind.PARTS] == ItemState.NOT_NEEDED
    assert states(preparation)[ItemKind.LOANER] == ItemState.OPEN


# --- parts ---------------------------------------------------------------------


def test_reserving_holds_stock_and_the_second_appointment_runs_short_of_the_last_litres(
    workshop, advisor, parts_clerk, service_10k, oil
):
    first = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    second = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    assert prep.available_stock(oil) == 6  # nothing held before the clerk reserves

    assert prep.parts_reserve_all(preparation=first, by=parts_clerk.user, now=NOW) == []
    assert prep.available_stock(oil) == 2
    short = prep.parts_reserve_all(preparation=second, by=parts_clerk.user, now=NOW)

    assert [r.part for r in short] == [oil]
    oil_row = second.reservations.get(part=oil)
    assert oil_row.state == ReservationState.SHORTAGE and "2" in oil_row.note
    assert second.reservations.exclude(part=oil).get().state == ReservationState.RESERVED  # the filter is there
    second.refresh_from_db()
    assert states(second)[ItemKind.PARTS] == ItemState.PROBLEM and second.problem_since == NOW
    oil.refresh_from_db()
    assert oil.stock_on_hand == 6  # reserving never issues: the workshop does that later


def test_a_cancelled_appointment_gives_its_parts_back(workshop, advisor, parts_clerk, service_10k, oil):
    first_appointment = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    second = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    prep.parts_reserve_all(preparation=checklist(first_appointment), by=parts_clerk.user, now=NOW)
    prep.parts_reserve_all(preparation=second, by=parts_clerk.user, now=NOW)
    assert second.reservations.get(part=oil).state == ReservationState.SHORTAGE

    services.appointment_cancel(appointment=first_appointment, note="客户出差", now=NOW)
    assert prep.available_stock(oil) == 6
    assert prep.parts_reserve_all(preparation=second, by=parts_clerk.user, now=NOW) == []
    second.refresh_from_db()
    assert states(second)[ItemKind.PARTS] == ItemState.OPEN and second.problem_since is None


def test_only_reserved_parts_are_placed_and_all_placed_settles_the_parts(workshop, advisor, parts_clerk, service_10k):
    preparation = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    row = preparation.reservations.first()
    with pytest.raises(ValidationError):
        prep.part_place(preparation=preparation, reservation_id=row.pk, by=parts_clerk.user, now=NOW)
    prep.parts_reserve_all(preparation=preparation, by=parts_clerk.user, now=NOW)
    for reservation in preparation.reservations.all():
        prep.part_place(preparation=preparation, reservation_id=reservation.pk, by=parts_clerk.user, now=NOW)
    item = preparation.items.get(kind=ItemKind.PARTS)
    assert item.state == ItemState.DONE and item.updated_by == parts_clerk.user


def test_the_clerk_flags_a_shortage_with_a_reason_and_the_part_stops_holding_stock(
    workshop, advisor, parts_clerk, service_10k, oil
):
    preparation = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    prep.parts_reserve_all(preparation=preparation, by=parts_clerk.user, now=NOW)
    row = preparation.reservations.get(part=oil)
    with pytest.raises(ValidationError):
        prep.part_shortage_flag(preparation=preparation, reservation_id=row.pk, note="  ", by=parts_clerk.user)
    prep.part_shortage_flag(preparation=preparation, reservation_id=row.pk, note="桶破损", by=parts_clerk.user, now=NOW)
    assert prep.available_stock(oil) == 6
    assert states(preparation)[ItemKind.PARTS] == ItemState.PROBLEM


# --- substitute cars -------------------------------------------------------------


@pytest.fixture
def loaner(station):
    return LoanerCar.objects.create(dealer=station, plate="京A9L001", model="朗逸")


def test_a_substitute_car_is_never_lent_twice_on_overlapping_days(workshop, advisor, oil_change, loaner):
    monday = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change], substitute_car=True)
    # A long job: the car stays with us until Tuesday.
    type(monday).objects.filter(pk=monday.pk).update(ready_at=at(MONDAY + dt.timedelta(days=1), 12))
    tuesday = book(
        workshop, advisor, at(MONDAY + dt.timedelta(days=1), 14), operations=[oil_change], substitute_car=True
    )
    wednesday = book(
        workshop, advisor, at(MONDAY + dt.timedelta(days=2), 9), operations=[oil_change], substitute_car=True
    )

    lent = prep.loaner_reserve(preparation=checklist(monday), loaner=loaner, by=advisor.user, now=NOW)
    assert (lent.from_day, lent.to_day) == (MONDAY, MONDAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="京A9L001"):
        prep.loaner_reserve(preparation=checklist(tuesday), loaner=loaner, by=advisor.user, now=NOW)
    # Without a choice, no free car is a problem the customer must hear about.
    assert prep.loaner_reserve(preparation=checklist(tuesday), by=advisor.user, now=NOW) is None
    assert states(checklist(tuesday))[ItemKind.LOANER] == ItemState.PROBLEM
    assert checklist(tuesday).problem_since == NOW
    # The next day the car is back.
    assert prep.loaner_reserve(preparation=checklist(wednesday), by=advisor.user, now=NOW).loaner == loaner
    assert LoanerReservation.objects.count() == 2


def test_a_cancelled_appointment_frees_its_substitute_car(workshop, advisor, oil_change, loaner):
    first = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change], substitute_car=True)
    second = book(workshop, advisor, at(MONDAY, 11), operations=[oil_change], substitute_car=True)
    prep.loaner_reserve(preparation=checklist(first), by=advisor.user, now=NOW)
    services.appointment_cancel(appointment=first, note="客户取消", now=NOW)
    assert prep.loaner_reserve(preparation=checklist(second), loaner=loaner, by=advisor.user, now=NOW)


# --- technician, ready ------------------------------------------------------------


def test_the_technician_must_be_skilled_enough_and_on_the_roster_that_day(workshop, advisor, technician, oil_change):
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    preparation = checklist(appointment)
    with pytest.raises(ValidationError, match="当班"):
        prep.technician_assign(preparation=preparation, technician=technician, by=advisor.user, now=NOW)
    RosterEntry.objects.create(
        dealer=workshop, technician=technician, date=MONDAY, starts=dt.time(8, 30), ends=dt.time(18)
    )
    type(appointment).objects.filter(pk=appointment.pk).update(skill_grade=3)
    with pytest.raises(ValidationError):
        prep.technician_assign(preparation=preparation, technician=technician, by=advisor.user, now=NOW)
    type(appointment).objects.filter(pk=appointment.pk).update(skill_grade=2)
    prep.technician_assign(preparation=preparation, technician=technician, by=advisor.user, now=NOW)
    preparation.refresh_from_db()
    assert preparation.technician == technician and states(preparation)[ItemKind.TECHNICIAN] == ItemState.DONE


def test_ready_is_refused_while_items_are_open_and_accepted_when_all_are_settled(
    workshop, advisor, parts_clerk, on_duty, service_10k
):
    preparation = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    settle_advisor_items(preparation, advisor.user, on_duty)
    with pytest.raises(ValidationError) as refused:
        prep.preparation_ready(preparation=preparation, by=advisor.user, now=NOW)
    assert "Parts reserved and placed" in refused.value.messages[0] or "备件" in refused.value.messages[0]
    assert not checklist(preparation.appointment).is_ready

    prep.parts_reserve_all(preparation=preparation, by=parts_clerk.user, now=NOW)
    for reservation in preparation.reservations.all():
        prep.part_place(preparation=preparation, reservation_id=reservation.pk, by=parts_clerk.user, now=NOW)
    prep.preparation_ready(preparation=preparation, by=advisor.user, now=NOW)
    preparation.refresh_from_db()
    assert preparation.ready_at == NOW and preparation.ready_by == advisor.user


def test_a_problem_after_ready_withdraws_the_readiness(workshop, advisor, parts_clerk, on_duty, service_10k, oil):
    preparation = checklist(book(workshop, advisor, at(MONDAY, 9), packages=[service_10k]))
    settle_advisor_items(preparation, advisor.user, on_duty)
    prep.parts_reserve_all(preparation=preparation, by=parts_clerk.user, now=NOW)
    for reservation in preparation.reservations.all():
        prep.part_place(preparation=preparation, reservation_id=reservation.pk, by=parts_clerk.user, now=NOW)
    prep.preparation_ready(preparation=preparation, by=advisor.user, now=NOW)
    row = preparation.reservations.get(part=oil)
    prep.part_shortage_flag(preparation=preparation, reservation_id=row.pk, note="漏油", by=parts_clerk.user, now=NOW)
    preparation.refresh_from_db()
    assert not preparation.is_ready and preparation.problem_since == NOW


def test_a_rescheduled_appointment_keeps_its_placed_parts(workshop, advisor, parts_clerk, service_10k, oil):
    appointment = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    preparation = checklist(appointment)
    prep.parts_reserve_all(preparation=preparation, by=parts_clerk.user, now=NOW)
    moved = services.appointment_reschedule(appointment=appointment, arrives_at=at(MONDAY, 14), now=NOW)
    assert set(checklist(moved).reservations.values_list("state", flat=True)) == {ReservationState.RESERVED}
    assert prep.available_stock(oil) == 2  # held once, by the new appointment only


# --- the state the follow-up rule reads ---------------------------------------------


def test_the_problem_selector_lists_coming_appointments_with_a_problem_only(
    workshop, other_station, advisor, parts_clerk, service_10k, oil
):
    first = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    short = book(workshop, advisor, at(MONDAY, 11), packages=[service_10k])
    cancelled_short = book(workshop, advisor, at(MONDAY, 13), packages=[service_10k])
    book(workshop, advisor, at(MONDAY, 15), packages=[service_10k])  # nothing reserved yet: open, no problem
    for appointment in (first, short, cancelled_short):
        prep.parts_reserve_all(preparation=checklist(appointment), by=parts_clerk.user, now=NOW)
    services.appointment_cancel(appointment=cancelled_short, note="客户取消", now=NOW)

    problems = list(selectors.preparation_problems(NOW))
    assert problems == [short]
    items = list(problems[0].preparation.items.all())
    assert [i.kind for i in items] == [ItemKind.PARTS] and oil.number in items[0].note
    assert list(selectors.preparation_problems(at(MONDAY, 12))) == []  # after arrival it is too late to call


def other_station_appointment(other_station, other_advisor):
    other_station.productive_share = Decimal("1.00")
    other_station.save()
    BayFactory(dealer=other_station)
    tech = StaffFactory(skill_grade=2, roles=[Role.TECHNICIAN], dealers=[other_station])
    RosterEntry.objects.create(
        dealer=other_station, technician=tech, date=SATURDAY, starts=dt.time(8, 30), ends=dt.time(18), break_minutes=0
    )
    operation = LabourOperationFactory(dealer=other_station, job_type=JobType.MAINTENANCE)
    return book(other_station, other_advisor, at(SATURDAY, 9), operations=[operation])


# --- pages ----------------------------------------------------------------------


def test_the_preparation_page_shows_the_checklist_to_the_clerk_and_the_advisor(
    workshop, advisor, parts_clerk, service_10k, oil, login, frozen_now
):
    appointment = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    url = reverse("appointments:preparation", args=[appointment.pk])
    for person in (advisor, parts_clerk):
        page = login(person).get(url)
        assert page.status_code == 200
        assert oil.number in page.content.decode()
    detail = login(advisor).get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert url in detail  # the "Preparation" button


def test_the_parts_clerk_reserves_from_the_page(workshop, advisor, parts_clerk, service_10k, oil, login, frozen_now):
    appointment = book(workshop, advisor, at(MONDAY, 9), packages=[service_10k])
    row = checklist(appointment).reservations.get(part=oil)
    client = login(parts_clerk)
    response = client.post(
        reverse("appointments:preparation_act", args=[appointment.pk, "reserve"]), {"reservation": row.pk}
    )
    assert response.status_code == 302 and response.url.endswith("#item-parts")
    row.refresh_from_db()
    assert row.state == ReservationState.RESERVED and row.updated_by == parts_clerk.user


def test_bad_input_on_the_page_writes_nothing(workshop, advisor, oil_change, login, frozen_now):
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    client = login(advisor)
    act = lambda action, data: client.post(  # noqa: E731
        reverse("appointments:preparation_act", args=[appointment.pk, action]), data
    )
    assert act("tools", {"note": ""}).status_code == 422
    assert act("draft", {"request": "   "}).status_code == 422
    assert act("technician", {"technician": "999"}).status_code == 422
    assert act("loaner", {}).status_code == 302  # no substitute car asked for: refused with a message
    assert set(states(checklist(appointment)).values()) == {ItemState.OPEN, ItemState.NOT_NEEDED}
    response = act("ready", {})
    assert response.status_code == 302
    assert not checklist(appointment).is_ready


def test_pages_refuse_other_stations_and_wrong_roles(
    workshop, advisor, other_advisor, parts_clerk, technician, cashier, oil_change, login, frozen_now
):
    appointment = book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])
    page = reverse("appointments:preparation", args=[appointment.pk])
    assert login(other_advisor).get(page).status_code == 404
    assert (
        login(other_advisor)
        .post(reverse("appointments:preparation_act", args=[appointment.pk, "information"]))
        .status_code
        == 404
    )
    assert login(technician).get(page).status_code == 403
    assert login(cashier).get(page).status_code == 403
    assert login(technician).get(reverse("appointments:readiness")).status_code == 403
    assert login(parts_clerk).get(reverse("appointments:readiness")).status_code == 403
    # Each role acts on its own items only.
    assert (
        login(parts_clerk).post(reverse("appointments:preparation_act", args=[appointment.pk, "ready"])).status_code
        == 403
    )
    assert (
        login(advisor).post(reverse("appointments:preparation_act", args=[appointment.pk, "reserve-all"])).status_code
        == 403
    )
    assert (
        login(advisor).post(reverse("appointments:preparation_act", args=[appointment.pk, "nonsense"])).status_code
        == 404
    )


def test_the_readiness_view_lists_tomorrows_appointments_of_the_station_with_their_state(
    workshop,
    other_station,
    advisor,
    other_advisor,
    manager,
    parts_clerk,
    on_duty,
    service_10k,
    oil_change,
    login,
    frozen_now,
    django_assert_max_num_queries,
):
    ready = book(workshop, advisor, at(SATURDAY, 9), operations=[oil_change])
    settle_advisor_items(checklist(ready), advisor.user, on_duty)
    prep.preparation_ready(preparation=checklist(ready), by=advisor.user, now=NOW)
    short_one = book(workshop, advisor, at(SATURDAY, 9), packages=[service_10k])
    short_two = book(workshop, advisor, at(SATURDAY, 11), packages=[service_10k])
    for appointment in (short_one, short_two):
        prep.parts_reserve_all(preparation=checklist(appointment), by=parts_clerk.user, now=NOW)
    for hour in (11, 13, 13, 15, 15):
        book(workshop, advisor, at(SATURDAY, hour), operations=[oil_change])
    book(workshop, advisor, at(MONDAY, 9), operations=[oil_change])  # not tomorrow
    elsewhere = other_station_appointment(other_station, other_advisor)

    client = login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("appointments:readiness"))
    body = response.content.decode()
    counts = response.context["counts"]
    assert counts == {"total": 8, "ready": 1, "problem": 1, "open": 6}
    assert ready.number in body and short_two.number in body and elsewhere.vehicle.plate not in body
    assert [a.number for a in response.context["page"].object_list][:1] == [ready.number]
    problem_only = client.get(reverse("appointments:readiness"), {"state": "problem"})
    assert [a.number for a in problem_only.context["page"].object_list] == [short_two.number]
    assert reverse("appointments:readiness") in body  # the manager's navbar entry


def test_the_readiness_view_has_an_empty_state(workshop, manager, login, frozen_now):
    response = login(manager).get(reverse("appointments:readiness"))
    assert response.status_code == 200
    assert response.context["counts"]["total"] == 0
    assert 'class="card-body empty-state"' in response.content.decode()


# --- at the same moment (PostgreSQL: each thread has its own connection) ------------


def at_the_same_moment(work, preparations) -> list:
    barrier = threading.Barrier(len(preparations))
    outcomes = []

    def run(preparation):
        try:
            barrier.wait()
            outcomes.append(work(preparation))
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(p,)) for p in preparations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


SIX_SLOTS = [at(MONDAY, h) for h in (9, 9, 11, 11, 13, 13)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_six_clerks_reserving_the_last_litres_at_once_leave_exactly_two_reserved(
    workshop, advisor, parts_clerk, service_10k, oil
):
    oil.stock_on_hand = Decimal("8")  # enough for two services of 4 L
    oil.save()
    preparations = [checklist(book(workshop, advisor, when, packages=[service_10k])) for when in SIX_SLOTS]
    outcomes = at_the_same_moment(
        lambda p: len(prep.parts_reserve_all(preparation=p, by=parts_clerk.user, now=NOW)), preparations
    )
    assert sorted(outcomes) == [0, 0, 1, 1, 1, 1]  # parts still short per checklist
    held = PartReservation.objects.filter(part=oil, state=ReservationState.RESERVED)
    assert held.count() == 2 and prep.available_stock(oil) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_six_advisors_lending_the_only_car_at_once_lend_it_once(workshop, advisor, oil_change, loaner):
    preparations = [
        checklist(book(workshop, advisor, when, operations=[oil_change], substitute_car=True)) for when in SIX_SLOTS
    ]
    outcomes = at_the_same_moment(
        lambda p: prep.loaner_reserve(preparation=p, by=advisor.user, now=NOW) is not None, preparations
    )
    assert sorted(outcomes) == [False] * 5 + [True]
    assert LoanerReservation.objects.filter(loaner=loaner).count() == 1
