"""预约客户欢迎看板: the screen at the reception entrance shows today's and
tomorrow's expected customers of its station and refreshes itself."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from appointments import services
from appointments.models import Status
from dealers.models import JobType
from tests.appointments.conftest import MONDAY, TZ, at
from tests.factories import VehicleFactory

SUNDAY = MONDAY - dt.timedelta(days=1)
# The day before Monday's appointments, in the afternoon (the station is open
# on Sunday in no fixture, which does not matter to the board).
SATURDAY = MONDAY - dt.timedelta(days=2)
BOARD_NOW = dt.datetime.combine(SUNDAY, dt.time(16, 0), tzinfo=TZ)


@pytest.fixture
def board_clock(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: BOARD_NOW)
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: BOARD_NOW.date())
    return BOARD_NOW


def book(station, advisor, operation, when, name):
    vehicle = VehicleFactory(owner__dealer=station, owner__name=name)
    return services.appointment_book(
        dealer=station,
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=when,
        request="保养",
        operations=[operation],
        now=at(SATURDAY, 9),
    )


def board(client, **headers):
    return client.get(reverse("appointments:welcome_board"), headers=headers)


def test_the_day_before_the_board_shows_tomorrows_customers_and_hides_the_cancelled(
    workshop, advisor, specialist, oil_change, login, board_clock
):
    coming = book(workshop, advisor, oil_change, at(MONDAY, 9), "李娜")
    called_off = book(workshop, advisor, oil_change, at(MONDAY, 10), "王强")
    services.appointment_transition(appointment=called_off, to=Status.CANCELLED, by=advisor.user, note="改期")
    later = book(workshop, advisor, oil_change, at(MONDAY + dt.timedelta(days=1), 9), "赵敏")

    response = board(login(specialist))
    body = response.content.decode()
    today, tomorrow = response.context["columns"]
    assert today["rows"] == [] and [a.pk for a in tomorrow["rows"]] == [coming.pk]
    assert "李娜" in body and "王强" not in body and "赵敏" not in body
    assert coming.vehicle.plate not in body  # masked at the entrance
    assert coming.vehicle.plate[:2] + "·***" + coming.vehicle.plate[-2:] in body
    assert "advisor" in body  # the advisor's name
    assert later.pk not in [a.pk for c in response.context["columns"] for a in c["rows"]]


def test_on_the_day_arrived_customers_are_welcomed_as_arrived_and_no_shows_disappear(
    workshop, advisor, manager, oil_change, login, monkeypatch
):
    from django.utils import timezone

    here = book(workshop, advisor, oil_change, at(MONDAY, 9), "李娜")
    gone = book(workshop, advisor, oil_change, at(MONDAY, 10), "王强")
    still = book(workshop, advisor, oil_change, at(MONDAY, 13), "孙丽")
    services.appointment_transition(appointment=here, to=Status.ARRIVED, by=advisor.user)
    services.appointment_transition(appointment=gone, to=Status.NO_SHOW, by=None)
    monkeypatch.setattr(timezone, "now", lambda: at(MONDAY, 11))

    response = board(login(manager))
    today = response.context["columns"][0]
    assert [a.pk for a in today["rows"]] == [here.pk, still.pk]
    body = response.content.decode()
    assert "王强" not in body
    assert "is-here" in body  # the arrived row is marked 已到店


def test_the_board_is_a_full_screen_page_that_refreshes_its_list(
    workshop, advisor, specialist, oil_change, login, board_clock
):
    book(workshop, advisor, oil_change, at(MONDAY, 9), "李娜")
    client = login(specialist)
    page = board(client).content.decode()
    assert 'hx-trigger="every 30s"' in page
    assert "app-navbar" not in page  # a screen, not a workstation
    fragment = board(client, HX_Request="true").content.decode()
    assert "李娜" in fragment and "<html" not in fragment and 'id="board"' in fragment


def test_an_empty_board_welcomes_everyone(workshop, specialist, login, board_clock):
    response = board(login(specialist))
    assert response.status_code == 200
    assert all(not c["rows"] for c in response.context["columns"])
    assert 'class="board-empty"' in response.content.decode()


def test_each_station_sees_only_its_own_customers(
    workshop, other_station, advisor, other_advisor, oil_change, login, board_clock
):
    book(workshop, advisor, oil_change, at(MONDAY, 9), "李娜")
    body = board(login(other_advisor)).content.decode()
    assert "李娜" not in body


def test_only_reception_roles_and_signed_in_users_open_it(workshop, technician, parts_clerk, client, login):
    assert board(client).status_code == 302  # to the sign-in page
    assert board(login(technician)).status_code == 403
    assert board(login(parts_clerk)).status_code == 403


def test_the_board_query_count_does_not_grow(
    workshop, advisor, specialist, oil_change, login, board_clock, django_assert_max_num_queries
):
    client = login(specialist)
    counts = []
    for bookings in ([(9, "李娜")], [(9, "王强"), (11, "孙丽"), (11, "赵敏"), (13, "周杰")]):
        for hour, name in bookings:
            book(workshop, advisor, oil_change, at(MONDAY, hour), name)
        with django_assert_max_num_queries(8) as captured:
            board(client, HX_Request="true")
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_full_day_keeps_the_customers_still_expected_on_screen(workshop, advisor, specialist, login, monkeypatch):
    from django.utils import timezone

    from appointments.views.worklists import BOARD_ROWS
    from tests.factories import LabourOperationFactory

    tyres = LabourOperationFactory(dealer=workshop, job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("0.50"))

    slots = [(h, m) for h in range(9, 17) for m in (0, 30)]
    booked = [book(workshop, advisor, tyres, at(MONDAY, *slots[i]), f"客户{i}") for i in range(BOARD_ROWS + 2)]
    for appointment in booked[:3]:
        services.appointment_transition(appointment=appointment, to=Status.ARRIVED, by=advisor.user)
    monkeypatch.setattr(timezone, "now", lambda: at(MONDAY, 10))

    today = board(login(specialist)).context["columns"][0]
    shown = [a.pk for a in today["rows"]]
    assert len(shown) == BOARD_ROWS and today["more"] == 2
    assert all(a.pk in shown for a in booked[3:])  # everyone still expected
    assert booked[2].pk in shown and booked[0].pk not in shown  # the latest arrival stays
