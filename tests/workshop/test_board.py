"""The dispatch board: columns and counts, late and forecast-late cards,
filters, moving cards, roles, station isolation and a query count that does
not grow with the number of cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from dealers.models import BayType, JobType, Role
from reception.models import RepairOrderEvent, ROStatus, WaitingMode
from reception.services import repair_order_transition
from tests.factories import BayFactory, StaffFactory
from tests.workshop.board_fixtures import floor_orders
from workshop.board import board_columns, board_moves, forecast_late
from workshop.models import JobStatus

pytestmark = pytest.mark.django_db

BOARD = reverse("workshop:board")
STALE = "Changed by someone else meanwhile: here is the fresh state."
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def zh(msgid: str) -> str:
    """The message as the user reads it (Simplified Chinese once translated)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _counts(station, now=None, **filters) -> dict[str, int]:
    return {c.key: c.count for c in board_columns(station, now or timezone.now(), **filters)}


# --- the forecast arithmetic ------------------------------------------------------------


def test_forecast_late_when_remaining_hours_exceed_the_hours_left():
    promised = NOW + dt.timedelta(hours=3)
    assert not forecast_late(Decimal("2.5"), NOW, promised)
    assert not forecast_late(Decimal("3"), NOW, promised)  # exactly on time is on time
    assert forecast_late(Decimal("3.25"), NOW, promised)


def test_forecast_late_follows_the_clock():
    promised = NOW + dt.timedelta(hours=3)
    assert not forecast_late(Decimal("2"), NOW, promised)
    assert not forecast_late(Decimal("2"), NOW + dt.timedelta(minutes=59), promised)
    assert forecast_late(Decimal("2"), NOW + dt.timedelta(minutes=61), promised)


def test_forecast_late_needs_a_promise_and_work_left():
    assert not forecast_late(Decimal("5"), NOW, None)
    assert not forecast_late(Decimal("0"), NOW, NOW - dt.timedelta(hours=1))


def test_board_marks_late_and_forecast_late_cards_with_a_moved_clock(station, advisor):
    floor_orders(
        station,
        advisor,
        1,
        status=ROStatus.IN_PROGRESS,
        jobs=((JobStatus.ASSIGNED, "2"),),
        now=NOW,
        promised_in=dt.timedelta(hours=3),
    )

    def card(now):
        [c] = next(col for col in board_columns(station, now) if col.key == ROStatus.IN_PROGRESS).cards
        return c

    assert (card(NOW).late, card(NOW).forecast_late) == (False, False)
    an_hour_and_a_half_later = NOW + dt.timedelta(minutes=90)
    assert (card(an_hour_and_a_half_later).late, card(an_hour_and_a_half_later).forecast_late) == (False, True)
    after_promise = NOW + dt.timedelta(hours=3, minutes=1)
    assert (card(after_promise).late, card(after_promise).forecast_late) == (True, False)


def test_finished_jobs_do_not_count_towards_the_forecast(station, advisor):
    floor_orders(
        station,
        advisor,
        1,
        status=ROStatus.IN_PROGRESS,
        jobs=((JobStatus.DONE, "4"), (JobStatus.IN_PROGRESS, "1")),
        now=NOW,
        promised_in=dt.timedelta(hours=2),
    )
    [c] = next(col for col in board_columns(station, NOW) if col.key == ROStatus.IN_PROGRESS).cards
    assert c.remaining_hours == Decimal("1") and not c.forecast_late
    assert (c.jobs_done, c.jobs_total) == (1, 2)


def test_a_ready_car_is_never_late(station, advisor):
    floor_orders(
        station, advisor, 1, status=ROStatus.READY, jobs=((JobStatus.DONE, "1"),), promised_in=-dt.timedelta(hours=1)
    )
    [c] = next(col for col in board_columns(station, timezone.now()) if col.key == ROStatus.READY).cards
    assert not c.late and not c.forecast_late


def test_the_page_shows_late_and_forecast_late_badges(station, advisor, dispatcher, login):
    floor_orders(station, advisor, 1, status=ROStatus.IN_PROGRESS, promised_in=-dt.timedelta(minutes=5))
    floor_orders(
        station,
        advisor,
        1,
        status=ROStatus.IN_PROGRESS,
        jobs=((JobStatus.ASSIGNED, "3"),),
        promised_in=dt.timedelta(hours=1),
    )
    html = login(dispatcher).get(BOARD).content.decode()
    assert html.count('data-testid="late"') == 1
    assert html.count('data-testid="forecast-late"') == 1
    assert "is-late" in html and "is-forecast-late" in html


# --- columns and counts ---------------------------------------------------------------------


def test_each_workshop_status_has_its_column_and_count(station, advisor):
    floor_orders(station, advisor, 2, status=ROStatus.OPEN)  # jobs waiting
    floor_orders(station, advisor, 1, status=ROStatus.OPEN, jobs=())  # jobs not made yet
    floor_orders(station, advisor, 1, status=ROStatus.OPEN, jobs=((JobStatus.ASSIGNED, "1"),))
    floor_orders(station, advisor, 3, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.IN_PROGRESS, "1"),))
    floor_orders(station, advisor, 1, status=ROStatus.WAITING_APPROVAL)
    floor_orders(station, advisor, 2, status=ROStatus.WAITING_PARTS)
    floor_orders(station, advisor, 1, status=ROStatus.QUALITY_CHECK, jobs=((JobStatus.DONE, "1"),))
    floor_orders(station, advisor, 1, status=ROStatus.REWORK)
    floor_orders(station, advisor, 2, status=ROStatus.READY, jobs=((JobStatus.DONE, "1"),))
    floor_orders(station, advisor, 1, status=ROStatus.DRAFT)  # not agreed: not on the board
    floor_orders(station, advisor, 1, status=ROStatus.DELIVERED)  # handed back: gone
    assert _counts(station) == {
        "dispatch": 3,
        ROStatus.IN_PROGRESS: 4,  # the open one with every job assigned sits here
        ROStatus.WAITING_APPROVAL: 1,
        ROStatus.WAITING_PARTS: 2,
        ROStatus.QUALITY_CHECK: 1,
        ROStatus.REWORK: 1,
        ROStatus.READY: 2,
    }


def test_the_card_shows_what_the_dispatcher_needs(station, advisor, dispatcher, login, technician):
    [order] = floor_orders(
        station,
        advisor,
        1,
        status=ROStatus.IN_PROGRESS,
        jobs=((JobStatus.DONE, "1"), (JobStatus.IN_PROGRESS, "1"), (JobStatus.WAITING, "1")),
        technician=technician,
        waiting=WaitingMode.LOUNGE,
        job_type=JobType.BODY_PAINT,
    )
    comeback_of = floor_orders(station, advisor, 1, status=ROStatus.DELIVERED)[0]
    order.comeback_of, order.comeback_cause = comeback_of, "workmanship"
    order.save()
    html = login(dispatcher).get(BOARD).content.decode()
    assert order.vehicle.plate in html and order.vehicle.model in html
    assert advisor.display_name in html and technician.display_name in html
    assert "1/3" in html
    assert "bi-cup-hot-fill" in html  # the customer waits in the lounge
    assert 'title="' + zh("Comeback") in html
    assert timezone.localtime(order.promised_at).strftime("%H:%M") in html


def test_empty_board_says_so(station, dispatcher, login):
    response = login(dispatcher).get(BOARD)
    assert response.status_code == 200
    assert 'data-testid="board-empty"' in response.content.decode()


# --- filters ------------------------------------------------------------------------------


def test_filter_by_bay_type_and_technician(station, advisor, technician):
    other_tech = StaffFactory(dealers=[station], roles=[Role.TECHNICIAN], skill_grade=3)
    floor_orders(station, advisor, 2, status=ROStatus.OPEN, job_type=JobType.BODY_PAINT)
    floor_orders(
        station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.IN_PROGRESS, "1"),), technician=technician
    )
    [in_bay] = floor_orders(
        station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.IN_PROGRESS, "1"),), technician=other_tech
    )
    quick = BayFactory(dealer=station, bay_type=BayType.QUICK)
    in_bay.jobs.update(bay=quick)  # a repair job put in a quick bay: the bay counts, not the job type
    assert sum(_counts(station, bay_type=BayType.BODY_PAINT).values()) == 2
    assert sum(_counts(station, bay_type=BayType.QUICK).values()) == 1
    assert sum(_counts(station, bay_type=BayType.GENERAL).values()) == 1
    assert sum(_counts(station, technician_id=technician.pk).values()) == 1


def test_filters_come_from_the_query_string_and_bad_values_are_ignored(station, advisor, dispatcher, login, technician):
    floor_orders(station, advisor, 2, status=ROStatus.OPEN, job_type=JobType.BODY_PAINT)
    floor_orders(station, advisor, 1, status=ROStatus.OPEN)
    client = login(dispatcher)
    assert client.get(BOARD, {"bay_type": "body_paint"}).content.decode().count('data-testid="card"') == 2
    assert (
        client.get(BOARD, {"bay_type": "nonsense", "technician": "x"}).content.decode().count('data-testid="card"') == 3
    )
    assert client.get(BOARD, {"technician": technician.pk}).content.decode().count('data-testid="card"') == 0


# --- live refresh ---------------------------------------------------------------------------


def test_the_card_area_polls_every_ten_seconds_and_refreshes_as_a_fragment(station, advisor, dispatcher, login):
    client = login(dispatcher)
    page = client.get(BOARD).content.decode()
    assert 'hx-trigger="every 10s' in page and "part=cards" in page
    floor_orders(station, advisor, 1, status=ROStatus.WAITING_PARTS)  # changed elsewhere
    fragment = client.get(BOARD, {"part": "cards"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="board-cards"')
    assert "<html" not in fragment
    assert fragment.count('data-testid="card"') == 1


# --- query count ------------------------------------------------------------------------------


@pytest.mark.parametrize("cards", [10, 200])
def test_board_query_count_does_not_grow_with_the_cards(
    cards, station, advisor, dispatcher, technician, login, django_assert_max_num_queries
):
    half = cards // 2
    floor_orders(station, advisor, half, status=ROStatus.OPEN)
    floor_orders(
        station,
        advisor,
        cards - half,
        status=ROStatus.IN_PROGRESS,
        jobs=((JobStatus.IN_PROGRESS, "1"), (JobStatus.DONE, "0.5")),
        technician=technician,
    )
    client = login(dispatcher)
    with django_assert_max_num_queries(10):
        response = client.get(BOARD)
    assert response.content.decode().count('data-testid="card"') == cards
    with django_assert_max_num_queries(10):
        client.get(BOARD, {"part": "cards"}, HTTP_HX_REQUEST="true")


# --- moving a card ------------------------------------------------------------------------------


def test_board_moves_follow_the_transition_table():
    assert board_moves(ROStatus.IN_PROGRESS, all_jobs_done=False) == [ROStatus.WAITING_APPROVAL, ROStatus.WAITING_PARTS]
    assert board_moves(ROStatus.IN_PROGRESS, all_jobs_done=True) == [
        ROStatus.WAITING_APPROVAL,
        ROStatus.WAITING_PARTS,
        ROStatus.QUALITY_CHECK,
    ]
    assert board_moves(ROStatus.WAITING_PARTS, all_jobs_done=False) == [ROStatus.IN_PROGRESS]
    assert board_moves(ROStatus.OPEN, all_jobs_done=False) == [ROStatus.WAITING_PARTS]  # the clock starts work
    assert board_moves(ROStatus.QUALITY_CHECK, all_jobs_done=True) == []  # the QC sign-off decides
    assert board_moves(ROStatus.READY, all_jobs_done=True) == []


def test_dispatcher_moves_a_card_to_waiting_for_parts_and_back(station, advisor, dispatcher, login):
    [order] = floor_orders(station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.PAUSED, "1"),))
    client = login(dispatcher)
    url = reverse("workshop:board_move", args=[order.pk])
    response = client.post(url, {"to": ROStatus.WAITING_PARTS, "seen": ROStatus.IN_PROGRESS}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == ROStatus.WAITING_PARTS
    assert 'data-testid="count-waiting_parts">1<' in response.content.decode()
    event = RepairOrderEvent.objects.get(repair_order=order)
    assert (event.from_status, event.to_status, event.by) == (
        ROStatus.IN_PROGRESS,
        ROStatus.WAITING_PARTS,
        dispatcher.user,
    )
    client.post(url, {"to": ROStatus.IN_PROGRESS, "seen": ROStatus.WAITING_PARTS})
    order.refresh_from_db()
    assert order.status == ROStatus.IN_PROGRESS


def test_two_dispatchers_moving_the_same_card_the_second_is_told_and_sees_the_fresh_board(
    station, advisor, dispatcher, login, client
):
    [order] = floor_orders(station, advisor, 1, status=ROStatus.IN_PROGRESS)
    url = reverse("workshop:board_move", args=[order.pk])
    # The other dispatcher moved it first (their board showed in progress too).
    repair_order_transition(repair_order=order, to=ROStatus.WAITING_APPROVAL)
    response = login(dispatcher).post(
        url, {"to": ROStatus.WAITING_PARTS, "seen": ROStatus.IN_PROGRESS}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert zh(STALE) in html
    assert 'data-testid="count-waiting_approval">1<' in html  # the fresh board
    order.refresh_from_db()
    assert order.status == ROStatus.WAITING_APPROVAL


def test_moves_the_board_does_not_offer_are_refused(station, advisor, dispatcher, login):
    [order] = floor_orders(station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.IN_PROGRESS, "1"),))
    client = login(dispatcher)
    url = reverse("workshop:board_move", args=[order.pk])
    response = client.post(url, {"to": ROStatus.QUALITY_CHECK, "seen": ROStatus.IN_PROGRESS}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert zh("Every job must be finished before the quality check.") in html and 'data-testid="board-error"' in html
    client.post(url, {"to": ROStatus.READY, "seen": ROStatus.IN_PROGRESS})
    client.post(url, {"to": "bogus", "seen": ROStatus.IN_PROGRESS})
    order.refresh_from_db()
    assert order.status == ROStatus.IN_PROGRESS
    assert not RepairOrderEvent.objects.filter(repair_order=order).exists()


# --- roles and stations ------------------------------------------------------------------------------


def test_advisors_see_the_board_but_cannot_move_cards(station, advisor, login):
    [order] = floor_orders(station, advisor, 1, status=ROStatus.IN_PROGRESS)
    client = login(advisor)
    html = client.get(BOARD).content.decode()
    assert 'data-testid="card"' in html and 'data-testid="move"' not in html
    url = reverse("workshop:board_move", args=[order.pk])
    assert client.post(url, {"to": ROStatus.WAITING_PARTS, "seen": ROStatus.IN_PROGRESS}).status_code == 403
    order.refresh_from_db()
    assert order.status == ROStatus.IN_PROGRESS


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.PARTS_CLERK, Role.CASHIER])
def test_other_roles_cannot_open_the_board(role, station, staff_of, login):
    assert login(staff_of(role, station)).get(BOARD).status_code == 403


def test_manager_may_move_cards(station, advisor, manager, login):
    [order] = floor_orders(station, advisor, 1, status=ROStatus.WAITING_PARTS)
    login(manager).post(
        reverse("workshop:board_move", args=[order.pk]), {"to": ROStatus.IN_PROGRESS, "seen": ROStatus.WAITING_PARTS}
    )
    order.refresh_from_db()
    assert order.status == ROStatus.IN_PROGRESS


def test_another_stations_cards_are_neither_shown_nor_movable(
    station, other_station, advisor, other_advisor, dispatcher, login
):
    [theirs] = floor_orders(other_station, other_advisor, 1, status=ROStatus.IN_PROGRESS)
    client = login(dispatcher)
    assert 'data-testid="card"' not in client.get(BOARD).content.decode()
    url = reverse("workshop:board_move", args=[theirs.pk])
    assert client.post(url, {"to": ROStatus.WAITING_PARTS, "seen": ROStatus.IN_PROGRESS}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ROStatus.IN_PROGRESS
