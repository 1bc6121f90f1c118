"""The call list: whose calls each role sees, the sections of the day,
filters, one-click outcomes over htmx, station isolation and query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from appointments.models import Appointment, Status
from dealers.models import Role
from followup import rules
from followup.models import ContactTask, Kind, Outcome, TaskStatus
from tests.followup.conftest import ARRIVAL, appointments_bulk

H = dt.timedelta(hours=1)
NOW = ARRIVAL - 71 * H  # Friday 10:00: the 72 h call for Monday 09:00 is due
CALLS = reverse("followup:calls")


@pytest.fixture
def friday(clock):
    return clock(NOW)


def outcome_url(task) -> str:
    return reverse("followup:outcome", args=[task.pk])


def one_call(station, advisor, when=ARRIVAL) -> ContactTask:
    (appointment,) = appointments_bulk(station, advisor, 1, when)
    rules.run_all(NOW)
    return ContactTask.objects.get(source_id=appointment.pk)


def test_the_specialist_sees_the_due_call_with_everything_needed_to_call(workshop, advisor, specialist, login, friday):
    task = one_call(workshop, advisor)
    body = login(specialist).get(CALLS).content.decode()
    customer, vehicle, appointment = task.customer, task.vehicle, task.source
    assert customer.name in body and customer.phone in body and vehicle.plate in body
    assert reverse("customers:detail", args=[customer.pk]) in body
    assert "11-30 09:00" in body and appointment.number in body
    assert f'data-testid="task-{task.pk}"' in body
    assert 'hx-post="' + outcome_url(task) in body


def test_a_call_owed_since_yesterday_is_overdue_and_listed_first(workshop, advisor, specialist, login, friday):
    due_now = one_call(workshop, advisor)
    thursday = ARRIVAL - dt.timedelta(days=4)
    appointments_bulk(workshop, advisor, 1, thursday, Status.NO_SHOW)
    rules.run_all(NOW)  # Thursday's no-show: a call owed since yesterday 09:30
    overdue = ContactTask.objects.get(kind=Kind.NO_SHOW)
    response = login(specialist).get(CALLS)
    assert [response.context["counts"][k] for k in ("overdue", "due_now", "later_today")] == [1, 1, 0]
    assert [t.pk for t in response.context["page"].object_list] == [overdue.pk, due_now.pk]
    body = response.content.decode()
    assert 'data-testid="outcome-informed"' in body  # the no-show call's own outcomes


def test_a_call_due_later_today_is_listed_after_the_due_ones(workshop, advisor, specialist, login, friday):
    due_now = one_call(workshop, advisor)
    later = one_call(workshop, advisor)
    ContactTask.objects.filter(pk=later.pk).update(due_from=NOW + 5 * H)
    response = login(specialist).get(CALLS)
    assert [t.pk for t in response.context["page"].object_list] == [due_now.pk, later.pk]
    assert response.context["counts"]["later_today"] == 1
    only_later = login(specialist).get(CALLS, {"when": "later_today"})
    assert [t.pk for t in only_later.context["page"].object_list] == [later.pk]


def test_filter_by_kind_and_search_by_name_or_plate(workshop, advisor, specialist, login, friday):
    first = one_call(workshop, advisor)
    second = one_call(workshop, advisor)
    client = login(specialist)

    def listed(**params):
        return [t.pk for t in client.get(CALLS, params).context["page"].object_list]

    assert listed(kind=Kind.CONFIRMATION_72H) == [first.pk, second.pk]
    assert listed(kind=Kind.NO_SHOW) == []
    assert listed(q=second.customer.name) == [second.pk]
    assert listed(q=first.vehicle.plate.lower()) == [first.pk]
    assert listed(q="无此人") == []
    assert "empty-state" in client.get(CALLS, {"q": "无此人"}).content.decode()


def test_an_empty_call_list_says_so(workshop, specialist, login, friday):
    response = login(specialist).get(CALLS)
    assert response.status_code == 200
    assert 'class="card-body empty-state"' in response.content.decode()


def test_each_role_sees_its_own_calls(workshop, advisor, specialist, manager, staff_of, login, friday):
    specialist_call = one_call(workshop, advisor)
    other_advisor = staff_of(Role.SERVICE_ADVISOR, workshop)
    advisor_call = ContactTask.objects.create(
        kind=Kind.CONFIRMATION_1H,
        dealer=workshop,
        customer=specialist_call.customer,
        due_from=NOW,
        due_until=NOW + H,
        role=Role.SERVICE_ADVISOR,
        assignee=advisor,
        dedupe_key="test:advisor",
    )
    colleague_call = ContactTask.objects.create(
        kind=Kind.CONFIRMATION_1H,
        dealer=workshop,
        customer=specialist_call.customer,
        due_from=NOW,
        due_until=NOW + H,
        role=Role.SERVICE_ADVISOR,
        assignee=other_advisor,
        dedupe_key="test:colleague",
    )

    def listed(staff):
        return {t.pk for t in login(staff).get(CALLS).context["page"].object_list}

    assert listed(specialist) == {specialist_call.pk}
    assert listed(advisor) == {advisor_call.pk}
    assert listed(manager) == {specialist_call.pk, advisor_call.pk, colleague_call.pk}


def test_roles_without_calls_are_turned_away(workshop, technician, login, friday):
    assert login(technician).get(CALLS).status_code == 403


def test_another_stations_calls_are_absent_and_cannot_be_answered(
    workshop, other_station, advisor, other_advisor, specialist, staff_of, login, friday
):
    mine = one_call(workshop, advisor)
    theirs = one_call(other_station, other_advisor)
    client = login(specialist)
    listed = [t.pk for t in client.get(CALLS).context["page"].object_list]
    assert listed == [mine.pk]
    response = client.post(outcome_url(theirs), {"outcome": Outcome.CONFIRMED}, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    other_specialist = staff_of(Role.SPECIALIST, other_station)
    assert login(other_specialist).post(outcome_url(mine), {"outcome": Outcome.CONFIRMED}).status_code == 404
    assert not ContactTask.objects.exclude(status=TaskStatus.OPEN).exists()
    assert not Appointment.objects.filter(status=Status.CONFIRMED).exists()


def test_one_click_confirmed_over_htmx_swaps_the_row(workshop, advisor, specialist, login, friday):
    task = one_call(workshop, advisor)
    client = login(specialist)
    response = client.post(outcome_url(task), {"outcome": Outcome.CONFIRMED, "note": "准时"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="task-{task.pk}"') and 'data-testid="closed"' in body
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.DONE, Outcome.CONFIRMED)
    assert task.source.status == Status.CONFIRMED
    assert task.attempts.get().by == specialist.user


def test_unreachable_shows_the_attempt_count_and_keeps_the_buttons(workshop, advisor, specialist, login, friday):
    task = one_call(workshop, advisor)
    client = login(specialist)
    for _ in range(2):
        response = client.post(outcome_url(task), {"outcome": Outcome.UNREACHABLE}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'data-testid="attempts"' in body and "2" in body
    assert 'data-testid="outcome-confirmed"' in body
    assert ContactTask.objects.get().attempts.count() == 2


def test_rescheduled_leads_to_the_reschedule_page(workshop, advisor, specialist, login, friday):
    task = one_call(workshop, advisor)
    response = login(specialist).post(outcome_url(task), {"outcome": Outcome.RESCHEDULED}, HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == reverse("appointments:reschedule", args=[task.source_id])
    response = login(specialist).post(outcome_url(one_call(workshop, advisor)), {"outcome": Outcome.RESCHEDULED})
    assert response.status_code == 302 and "/reschedule/" in response.url


def test_a_second_click_on_a_closed_call_shows_why_and_writes_nothing(workshop, advisor, specialist, login, friday):
    task = one_call(workshop, advisor)
    client = login(specialist)
    client.post(outcome_url(task), {"outcome": Outcome.CONFIRMED}, HTTP_HX_REQUEST="true")
    response = client.post(outcome_url(task), {"outcome": Outcome.CANCELLED}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert task.attempts.count() == 1
    assert Appointment.objects.get().status == Status.CONFIRMED
    assert client.get(outcome_url(task)).status_code == 405  # outcomes are POSTs only


@pytest.mark.parametrize("count", [5, 50])
def test_the_call_list_takes_the_same_number_of_queries_for_5_or_50_calls(
    workshop, advisor, specialist, login, friday, django_assert_max_num_queries, count, settings
):
    settings.PAGE_SIZE = 100
    appointments_bulk(workshop, advisor, count, ARRIVAL)
    rules.run_all(NOW)
    client = login(specialist)
    client.get(CALLS)  # warm the content-type cache
    with django_assert_max_num_queries(9):
        response = client.get(CALLS)
    assert len(response.context["page"].object_list) == count
