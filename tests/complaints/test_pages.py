"""The pages: intake, lists, the ticket; who sees which station's tickets;
query counts; the export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from complaints.models import Complaint, Contact, EventKind, Status
from dealers.models import Role
from followup.models import ContactTask, Kind
from tests.complaints.conftest import RECEIVED, H, open_complaint, repair_order
from tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    def _set(when: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: when)
        return when

    return _set


@pytest.fixture
def other_car(other_station):
    return VehicleFactory(owner__dealer=other_station, owner__name="沈建国", plate="沪B12345")


@pytest.fixture
def other_ticket(other_station, agent, other_car, other_advisor):
    order = repair_order(other_station, other_car, other_advisor)
    return open_complaint(other_station, agent.user, other_car, related_orders=[order], words="上海的投诉")


# --- intake page ---------------------------------------------------------------------------


def test_the_agent_finds_callers_of_every_station_from_one_search(client, agent, car, other_car):
    client.force_login(agent.user)
    response = client.get(reverse("complaints:intake"), {"q": "建国"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "王建国" in body and "沈建国" in body  # the agent's staff record names one station only


def test_a_station_advisor_finds_only_their_stations_callers(client, advisor, car, other_car):
    client.force_login(advisor.user)
    body = client.get(reverse("complaints:intake"), {"q": "建国"}).content.decode()
    assert "王建国" in body and "沈建国" not in body


def test_intake_shows_visits_pre_reports_and_level_criteria(client, agent, advisor, car, visit, station):
    from complaints import services

    services.pre_report_record(station=station, customer=car.owner, note="客户对刹车不满", by=advisor.user)
    client.force_login(agent.user)
    response = client.get(reverse("complaints:intake"), {"customer": car.owner.pk, "vehicle": car.pk})
    body = response.content.decode()
    assert visit.number in body
    assert "客户对刹车不满" in body
    assert 'data-testid="criteria"' in body


def test_taking_a_repair_quality_complaint_through_the_page(client, agent, car, visit):
    client.force_login(agent.user)
    response = client.post(
        reverse("complaints:intake") + f"?customer={car.owner.pk}&vehicle={car.pk}",
        {
            "contact_type": "complaint",
            "channel": "hotline",
            "station": car.dealer_id,
            "customer": car.owner.pk,
            "vehicle": car.pk,
            "words": "刹车还是响",
            "subject": "repair_quality",
            "level": "1",
            "expected_outcome": "免费检修",
            "related_orders": [visit.pk],
            "q_repair_quality_fault": "刹车异响",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("complaints:detail", args=[complaint.pk])
    assert complaint.dispatched and complaint.answers == {"fault": "刹车异响"}


def test_bad_intake_input_says_why_and_writes_nothing(client, agent, car):
    client.force_login(agent.user)
    response = client.post(
        reverse("complaints:intake"),
        {
            "contact_type": "complaint",
            "channel": "hotline",
            "station": car.dealer_id,
            "customer": car.owner.pk,
            "words": "刹车还是响",
            "subject": "repair_quality",
            "level": "1",
            "expected_outcome": "免费检修",
        },
    )
    assert response.status_code == 400
    assert "guided" in response.content.decode() or "引导" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_consultation_through_the_page_goes_back_to_intake(client, agent):
    client.force_login(agent.user)
    response = client.post(
        reverse("complaints:intake"),
        {
            "contact_type": "consultation",
            "channel": "hotline",
            "station": agent.dealers.get().pk,
            "caller_name": "李先生",
            "words": "几点下班",
            "answer": "18点",
            "level": "1",
        },
    )
    assert response.status_code == 302
    assert Contact.objects.get().closed_at is not None


def test_a_dissatisfied_survey_turns_into_a_ticket_keeping_the_link(client, agent, station, car, visit, advisor):
    task = ContactTask.objects.create(
        kind=Kind.SURVEY_ESCALATION,
        dealer=station,
        customer=car.owner,
        vehicle=car,
        source_type=ContentType.objects.get_for_model(Contact),
        source_id=1,
        due_from=RECEIVED,
        due_until=RECEIVED + 24 * H,
        role=Role.SERVICE_MANAGER,
        dedupe_key="survey_escalation:test",
    )
    client.force_login(agent.user)
    page = client.get(reverse("complaints:intake"), {"customer": car.owner.pk})  # the call list's link
    assert 'data-testid="from-escalation"' in page.content.decode()
    client.post(
        reverse("complaints:intake") + f"?customer={car.owner.pk}",
        {
            "contact_type": "complaint",
            "channel": "survey",
            "station": station.pk,
            "customer": car.owner.pk,
            "escalation": task.pk,
            "words": "回访时说很不满意",
            "subject": "repair_quality",
            "level": "1",
            "expected_outcome": "重新检修",
            "related_orders": [visit.pk],
        },
    )
    assert Complaint.objects.get().source_task == task


def test_the_intake_page_is_for_the_call_center_and_the_front_office(client, staff_of, station):
    client.force_login(staff_of(Role.TECHNICIAN, station).user)
    assert client.get(reverse("complaints:intake")).status_code == 403


# --- station isolation and the call center's view ----------------------------------------------


def test_a_station_user_sees_only_their_stations_tickets(client, advisor, ticket, other_ticket):
    client.force_login(advisor.user)
    body = client.get(reverse("complaints:list")).content.decode()
    assert ticket.number in body and other_ticket.number not in body
    assert client.get(reverse("complaints:detail", args=[other_ticket.pk])).status_code == 404
    response = client.post(reverse("complaints:step", args=[other_ticket.pk]), {"step": "acknowledged"})
    assert response.status_code == 404
    assert not other_ticket.events.filter(kind=EventKind.ACKNOWLEDGED).exists()


def test_the_call_center_sees_every_station_and_filters_by_station(client, agent, ticket, other_ticket, other_station):
    client.force_login(agent.user)
    body = client.get(reverse("complaints:list")).content.decode()
    assert ticket.number in body and other_ticket.number in body
    body = client.get(reverse("complaints:list"), {"station": other_station.pk}).content.decode()
    assert ticket.number not in body and other_ticket.number in body
    assert client.get(reverse("complaints:detail", args=[other_ticket.pk])).status_code == 200


def test_the_list_puts_overdue_first_and_filters_overdue_and_level(client, agent, station, car, visit, clock):
    early = open_complaint(station, agent.user, car, related_orders=[visit], now=RECEIVED)
    late = open_complaint(station, agent.user, car, related_orders=[visit], now=RECEIVED + 20 * H, level=2)
    clock(RECEIVED + 25 * H)  # the first one's 24 h have passed; the second's 12 h have too
    client.force_login(agent.user)
    response = client.get(reverse("complaints:list"))
    rows = [t.pk for t in response.context["page"].object_list]
    assert rows == [early.pk, late.pk]  # by next deadline: 03-03 09:00, then 03-03 17:00
    assert response.context["counts"]["overdue"] == 1
    overdue = client.get(reverse("complaints:list"), {"overdue": "on"}).context["page"].object_list
    assert [t.pk for t in overdue] == [early.pk]
    level2 = client.get(reverse("complaints:list"), {"level": 2}).context["page"].object_list
    assert [t.pk for t in level2] == [late.pk]


def test_my_tickets_are_those_i_handle_or_that_escalated_to_me(client, handler, manager, ticket, station, agent, car):
    from complaints.escalation import escalate_overdue

    other = open_complaint(station, agent.user, car, visit_confirmed=True)  # nobody handles it yet
    client.force_login(handler.user)
    mine = client.get(reverse("complaints:list"), {"mine": "on"}).context["page"].object_list
    assert [t.pk for t in mine] == [ticket.pk]
    escalate_overdue(other.answer_due + 4 * H)
    client.force_login(manager.user)
    mine = client.get(reverse("complaints:list"), {"mine": "on"}).context["page"].object_list
    assert {t.pk for t in mine} == {other.pk, ticket.pk}


def test_an_empty_list_says_so(client, advisor):
    client.force_login(advisor.user)
    response = client.get(reverse("complaints:list"))
    assert 'data-testid="empty"' in response.content.decode()
    response = client.get(reverse("complaints:list"), {"q": "不存在"})
    assert "No ticket matches" in response.content.decode() or "没有" in response.content.decode()


def test_the_list_pages(client, agent, station, car, visit, settings):
    settings.PAGE_SIZE = 3
    for _ in range(5):
        open_complaint(station, agent.user, car, related_orders=[visit])
    client.force_login(agent.user)
    assert len(client.get(reverse("complaints:list")).context["page"].object_list) == 3
    assert len(client.get(reverse("complaints:list"), {"page": 2}).context["page"].object_list) == 2


def test_the_export_opens_in_excel_with_the_chinese_intact(client, agent, ticket):
    client.force_login(agent.user)
    response = client.get(reverse("complaints:list"), {"export": "csv"})
    text = response.content.decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert text.startswith("\ufeff") and ticket.number in text and "王建国" in text


# --- query counts ------------------------------------------------------------------------------


def test_the_list_reads_a_fixed_number_of_queries(client, agent, station, car, visit, django_assert_max_num_queries):
    for _ in range(25):
        open_complaint(station, agent.user, car, related_orders=[visit])
    client.force_login(agent.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("complaints:list"))
    assert response.status_code == 200


def test_the_ticket_page_reads_a_fixed_number_of_queries(client, handler, ticket, django_assert_max_num_queries):
    from complaints import services

    for minute in range(10):
        services.complaint_step(
            complaint=ticket, step=EventKind.NOTE, note=f"note {minute}", by=handler.user, now=RECEIVED + minute * H
        )
    client.force_login(handler.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("complaints:detail", args=[ticket.pk]))
    assert response.status_code == 200


def test_the_intake_page_reads_a_fixed_number_of_queries(client, agent, car, visit, django_assert_max_num_queries):
    client.force_login(agent.user)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("complaints:intake"), {"customer": car.owner.pk, "vehicle": car.pk})
    assert response.status_code == 200


# --- actions through the pages ---------------------------------------------------------------


def test_closing_through_the_page_without_a_follow_up_shows_why(client, handler, ticket):
    client.force_login(handler.user)
    response = client.post(reverse("complaints:close", args=[ticket.pk]), {"satisfied": "yes"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status != Status.CLOSED


def test_lowering_the_level_through_the_page_is_refused_for_an_advisor(client, handler, ticket):
    client.force_login(handler.user)
    client.post(reverse("complaints:level", args=[ticket.pk]), {"level": 3})
    response = client.post(reverse("complaints:level", args=[ticket.pk]), {"level": 1, "reason": "x"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.level == 3
