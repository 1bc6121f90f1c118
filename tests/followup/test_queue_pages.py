"""The specialist's work queue: sections of the day and calls scheduled
later, counts by kind, "mine", search and paging, the proposed time on each
row, the customer file beside the call, the callback's survey form, and
query counts that do not grow with the number of calls."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import translation

from customers.models import ContactTime, OdometerReading, OdometerSource
from dealers.models import Role
from followup.models import ContactAttempt, ContactTask, Kind, Outcome, Survey, TaskStatus
from followup.surveys import survey_record
from tests.factories import CustomerFactory, OdometerReadingFactory, VehicleFactory, customers_with_vehicles_bulk
from tests.followup.test_calling import MONDAY, at, make_task
from tests.reception import conftest as reception_fixtures

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order

NOW = at(MONDAY, 10)
H = dt.timedelta(hours=1)
CALLS = reverse("followup:calls")
_keys = itertools.count(1)


@pytest.fixture
def monday(clock):
    return clock(NOW)


def listed(client, **params) -> list[int]:
    return [t.pk for t in client.get(CALLS, params).context["page"].object_list]


@pytest.fixture
def day(station, monday):
    """One call in each section of Monday's queue."""
    return {
        "overdue": make_task(station, due_from=NOW - 30 * H),
        "due_now": make_task(station, due_from=NOW - H),
        "later_today": make_task(station, due_from=NOW + 4 * H),
        "scheduled": make_task(station, due_from=NOW - 2 * H, next_attempt_at=NOW + 50 * H),
        "retry_now": make_task(station, due_from=NOW - 30 * H, next_attempt_at=NOW - 2 * H),
    }


def test_the_queue_has_overdue_due_now_later_today_and_scheduled_later(day, specialist, login):
    client = login(specialist)
    response = client.get(CALLS)
    counts = response.context["counts"]
    assert [counts[k] for k in ("overdue", "due_now", "later_today", "scheduled")] == [1, 2, 1, 1]
    # Today's calls in the order they are owed; a retry due now counts from its proposed time.
    assert [t.pk for t in response.context["page"].object_list] == [
        day["overdue"].pk,
        day["retry_now"].pk,
        day["due_now"].pk,
        day["later_today"].pk,
    ]
    assert listed(client, when="scheduled") == [day["scheduled"].pk]
    assert listed(client, when="due_now") == [day["retry_now"].pk, day["due_now"].pk]
    body = client.get(CALLS, {"when": "scheduled"}).content.decode()
    assert "12-02 12:00" in body  # the proposed next try is shown


def test_each_row_shows_when_to_call(station, specialist, login, monday):
    evening = CustomerFactory(dealer=station, preferred_time=ContactTime.EVENING)
    now_task = make_task(station, due_from=NOW - H)
    later_task = make_task(station, customer=evening, due_from=NOW - H)
    rows = {t.pk: t for t in login(specialist).get(CALLS).context["page"].object_list}
    assert rows[now_task.pk].call_now
    assert not rows[later_task.pk].call_now and rows[later_task.pk].proposed_at == at(MONDAY, 18)


def test_calls_that_fell_back_to_sms_or_letter_leave_the_call_queue(station, specialist, login, monday):
    make_task(station, due_from=NOW - H, channel="sms", fell_back_at=NOW - H)
    assert listed(login(specialist)) == []


def test_counts_by_kind_and_the_kind_filter(station, specialist, login, monday):
    dormant = [make_task(station, due_from=NOW - H) for _ in range(2)]
    lost = make_task(station, kind=Kind.LOST, due_from=NOW - H)
    client = login(specialist)
    response = client.get(CALLS)
    assert [(kind, n) for kind, _label, n in response.context["kind_counts"]] == [(Kind.DORMANT, 2), (Kind.LOST, 1)]
    assert 'data-testid="kind-lost"' in response.content.decode()
    assert listed(client, kind=Kind.LOST) == [lost.pk]
    assert listed(client, kind=Kind.DORMANT) == [t.pk for t in dormant]


def test_mine_shows_the_calls_assigned_to_me_or_my_role(station, manager, specialist, advisor, login, monday):
    pool = make_task(station, due_from=NOW - H)
    for_managers = make_task(station, kind=Kind.SURVEY_ESCALATION, due_from=NOW - H, role=Role.SERVICE_MANAGER)
    assigned = make_task(station, due_from=NOW - H, role="", assignee=manager)
    someone_elses = make_task(station, due_from=NOW - H, role=Role.SERVICE_ADVISOR, assignee=advisor)
    client = login(manager)
    assert set(listed(client)) == {pool.pk, for_managers.pk, assigned.pk, someone_elses.pk}
    assert set(listed(client, mine="on")) == {for_managers.pk, assigned.pk}
    assert client.get(CALLS, {"mine": "on"}).context["counts"]["due_now"] == 2
    assert listed(login(specialist), mine="on") == [pool.pk]


def test_search_by_name_phone_or_plate_and_the_empty_states(station, specialist, login, monday):
    task = make_task(
        station, due_from=NOW - H, customer=CustomerFactory(dealer=station, name="赵敏", phone2="13800001111")
    )
    make_task(station, due_from=NOW - H)
    client = login(specialist)
    assert listed(client, q="赵敏") == [task.pk]
    assert listed(client, q="13800001111") == [task.pk]
    assert listed(client, q=task.vehicle.plate) == [task.pk]
    assert '<i class="bi bi-search"></i>' in client.get(CALLS, {"q": "无此人"}).content.decode()
    ContactTask.objects.update(status=TaskStatus.DONE)
    assert "empty-state" in client.get(CALLS).content.decode()


def test_paging_keeps_the_filters(station, specialist, login, monday, settings):
    settings.PAGE_SIZE = 2
    tasks = [make_task(station, due_from=NOW - H * (5 - i)) for i in range(3)]
    client = login(specialist)
    response = client.get(CALLS, {"kind": Kind.DORMANT})
    assert "page=2" in response.content.decode() and "kind=dormant" in response.content.decode()
    assert listed(client, kind=Kind.DORMANT, page=2) == [tasks[2].pk]


def test_unreachable_on_the_page_shows_the_next_try_in_the_row(station, specialist, login, monday):
    task = make_task(station, due_from=NOW - H)
    response = login(specialist).post(
        reverse("followup:outcome", args=[task.pk]), {"outcome": Outcome.UNREACHABLE}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="task-{task.pk}"')
    assert 'data-testid="proposed"' in body and "12-02 14:00" in body


def test_the_third_unreachable_shows_the_fallback_instead_of_the_buttons(station, specialist, login, monday):
    task = make_task(station, due_from=NOW - H)
    ContactAttempt.objects.bulk_create(
        ContactAttempt(task=task, at=NOW - d * 24 * H, channel="phone", outcome=Outcome.UNREACHABLE) for d in (4, 2)
    )
    body = (
        login(specialist)
        .post(reverse("followup:outcome", args=[task.pk]), {"outcome": Outcome.UNREACHABLE}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'data-testid="fell-back"' in body and 'data-testid="outcome-unreachable"' not in body


def test_lost_without_a_reason_shows_why_in_the_row(station, specialist, login, monday):
    task = make_task(station, kind=Kind.LOST, due_from=NOW - H)
    url = reverse("followup:outcome", args=[task.pk])
    client = login(specialist)
    body = client.post(url, {"outcome": Outcome.LEFT}, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="alert"' in body and 'data-testid="reason"' in body
    client.post(url, {"outcome": Outcome.LEFT, "reason": "换了品牌"}, HTTP_HX_REQUEST="true")
    task.refresh_from_db()
    assert (task.outcome, task.reason) == (Outcome.LEFT, "换了品牌")


def test_the_odometer_given_on_the_call_is_recorded_from_the_row(station, specialist, login, clock):
    from django.utils import timezone

    now = clock(timezone.now())
    task = make_task(station, due_from=now - H)
    login(specialist).post(
        reverse("followup:outcome", args=[task.pk]),
        {"outcome": Outcome.BOOKED, "odometer_km": "31200"},
        HTTP_HX_REQUEST="true",
    )
    reading = OdometerReading.objects.get(vehicle=task.vehicle)
    assert (reading.km, reading.source) == (31200, OdometerSource.CONTACT)


# --- the customer file ---------------------------------------------------------------------


def _customer_with_history(station, vehicles: int, attempts: int):
    customer = CustomerFactory(dealer=station, phone2="13700002222", preferred_time=ContactTime.AFTERNOON)
    cars = [VehicleFactory(owner=customer, dealer=station) for _ in range(vehicles)]
    for car in cars:
        OdometerReadingFactory(vehicle=car, km=12_345, read_on=dt.date(2026, 6, 1))
        OdometerReadingFactory(vehicle=car, km=23_456, read_on=dt.date(2026, 10, 1))
    task = make_task(station, customer=customer, vehicle=cars[0], due_from=NOW - H)
    ContactAttempt.objects.bulk_create(
        ContactAttempt(task=task, at=NOW - (i + 1) * H, channel="phone", outcome=Outcome.UNREACHABLE, note=f"第{i}次")
        for i in range(attempts)
    )
    return task


@pytest.mark.parametrize(("vehicles", "attempts"), [(1, 2), (5, 30)])
def test_the_customer_file_beside_the_call(
    station, specialist, login, monday, django_assert_max_num_queries, vehicles, attempts
):
    task = _customer_with_history(station, vehicles, attempts)
    client = login(specialist)
    url = reverse("followup:file", args=[task.pk])
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    customer = task.customer
    assert customer.phone in body and "13700002222" in body
    with translation.override("zh-hans"):
        assert f'data-testid="preferred-time">{customer.get_preferred_time_display()}<' in body
    assert body.count('data-testid="file-vehicle"') == vehicles
    assert "23456" in body and "2026-10-01" in body and "12345" not in body  # the latest reading
    assert body.count('data-testid="file-attempt"') == min(attempts, 10)
    assert "第0次" in body


def test_the_customer_file_of_another_station_or_for_another_role_is_refused(
    station, other_station, specialist, technician, staff_of, login, monday
):
    task = _customer_with_history(station, 1, 1)
    url = reverse("followup:file", args=[task.pk])
    assert login(technician).get(url).status_code == 403
    assert login(staff_of(Role.SPECIALIST, other_station)).get(url).status_code == 404


# --- the callback's survey -----------------------------------------------------------------


@pytest.fixture
def callback(station, repair_order, monday):
    return make_task(
        station,
        kind=Kind.CALLBACK,
        customer=repair_order.customer,
        vehicle=repair_order.vehicle,
        source=repair_order,
        due_from=NOW - H,
    )


def test_the_callback_row_opens_the_survey_instead_of_satisfied_buttons(callback, specialist, login):
    body = login(specialist).get(CALLS).content.decode()
    assert reverse("followup:survey", args=[callback.pk]) in body
    assert 'data-testid="outcome-satisfied"' not in body and 'data-testid="outcome-unreachable"' in body
    assert callback.source.number in body


def test_the_survey_form_records_a_satisfied_customer(callback, specialist, login):
    client = login(specialist)
    url = reverse("followup:survey", args=[callback.pk])
    assert 'data-testid="survey-form"' in client.get(url).content.decode()
    response = client.post(url, {"overall": "5", "reception": "4", "comment": "满意"})
    assert response.status_code == 302 and response.url == url
    callback.refresh_from_db()
    assert callback.outcome == Outcome.SATISFIED and callback.survey.comment == "满意"
    assert 'data-testid="satisfied"' in client.get(url).content.decode()


def test_a_dissatisfied_survey_offers_a_complaint_and_the_advisor_gets_the_answer_call(
    callback, specialist, advisor, manager, login
):
    client = login(specialist)
    url = reverse("followup:survey", args=[callback.pk])
    client.post(url, {"overall": "4", "dissatisfied": "on", "comment": "等了太久"})
    complaint = reverse("complaints:intake") + f"?customer={callback.customer_id}"
    assert complaint in client.get(url).content.decode()
    escalation = ContactTask.objects.get(kind=Kind.SURVEY_ESCALATION)
    assert escalation.pk not in listed(client)  # the specialist's part is done
    for person in (advisor, manager):
        person_client = login(person)
        assert escalation.pk in listed(person_client)
        assert complaint in person_client.get(CALLS).content.decode()


def test_a_survey_without_the_overall_score_is_refused_and_nothing_is_written(callback, specialist, login):
    response = login(specialist).post(reverse("followup:survey", args=[callback.pk]), {"reception": "2"})
    assert response.status_code == 400 and 'data-testid="survey-form"' in response.content.decode()
    assert not Survey.objects.exists()
    callback.refresh_from_db()
    assert callback.status == TaskStatus.OPEN


def test_only_callbacks_have_a_survey_page(station, specialist, login, monday):
    task = make_task(station, due_from=NOW - H)
    assert login(specialist).get(reverse("followup:survey", args=[task.pk])).status_code == 404


# --- query counts --------------------------------------------------------------------------


def _bulk_tasks(station, count: int) -> None:
    """`count` calls in every section and of several kinds, some retried."""
    customers = customers_with_vehicles_bulk(station, count, name=f"队列{next(_keys)}-")
    kinds = [Kind.DORMANT, Kind.LOST, Kind.FIRST_MAINTENANCE, Kind.SCHEDULED_MAINTENANCE]
    ContactTask.objects.bulk_create(
        ContactTask(
            kind=kinds[i % len(kinds)],
            dealer=station,
            customer=customer,
            vehicle=customer.vehicles.first(),
            due_from=NOW - (i % 3) * 12 * H,
            due_until=NOW + 30 * 24 * H,
            next_attempt_at=NOW + 2 * H if i % 5 == 0 else None,
            role=Role.SPECIALIST,
            dedupe_key=f"bulk:{customer.pk}",
        )
        for i, customer in enumerate(customers)
    )
    for task in ContactTask.objects.filter(dedupe_key__startswith="bulk:")[: max(count // 5, 1)]:
        ContactAttempt.objects.create(task=task, at=NOW - 24 * H, channel="phone", outcome=Outcome.UNREACHABLE)


@pytest.mark.parametrize("count", [5, 50])
def test_the_queue_takes_the_same_number_of_queries_for_5_or_50_calls(
    station, callback, specialist, manager, login, django_assert_max_num_queries, count, settings
):
    settings.PAGE_SIZE = 100
    _bulk_tasks(station, count)
    survey_record(task=callback, scores={"overall": 1}, by=specialist.user, now=NOW - H)  # an escalation row
    callback_row = make_task(station, kind=Kind.CALLBACK, source=callback.source, due_from=NOW - H)
    for person in (specialist, manager):
        client = login(person)
        client.get(CALLS)  # warm the content-type cache
        with django_assert_max_num_queries(9):
            response = client.get(CALLS)
        rows = response.context["page"].object_list
        assert callback_row.pk in [t.pk for t in rows]
        assert len(rows) >= count
        with django_assert_max_num_queries(9):
            client.get(CALLS, {"mine": "on", "q": "队列", "when": "due_now"})
