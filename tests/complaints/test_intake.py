"""Intake: classification, the caller, the dispatch rule, pre-reports, the
repeat-repair count and the level criteria."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from complaints import selectors, services
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintSettings,
    Contact,
    ContactType,
    EventKind,
    Status,
    Subject,
)
from reception.models import ROStatus
from tests.complaints.conftest import RECEIVED, H, open_complaint, repair_order
from tests.factories import LabourOperationFactory, VehicleFactory

pytestmark = pytest.mark.django_db


# --- classification ------------------------------------------------------------------------


def test_a_consultation_is_answered_in_the_call_and_closed_at_once(station, agent, car):
    contact = services.contact_record(
        station=station,
        contact_type=ContactType.CONSULTATION,
        words="首保是多少公里?",
        answer="首保在5000公里或3个月。",
        customer=car.owner,
        by=agent.user,
        now=RECEIVED,
    )
    assert contact.closed_at == RECEIVED
    assert contact.words == "首保是多少公里?"  # as said
    assert not Complaint.objects.exists()


def test_a_consultation_without_an_answer_is_refused_and_nothing_is_written(station, agent, car):
    with pytest.raises(ValidationError):
        services.contact_record(
            station=station, contact_type=ContactType.CONSULTATION, words="问题", customer=car.owner, by=agent.user
        )
    assert not Contact.objects.exists()


def test_a_coordination_gets_the_hotline_deadline_of_four_hours(station, agent, car):
    contact = services.contact_record(
        station=station,
        contact_type=ContactType.COORDINATION,
        words="想知道召回的备件什么时候到。",
        department="备件部",
        customer=car.owner,
        by=agent.user,
        now=RECEIVED,
    )
    assert contact.closed_at is None
    assert contact.due_at == RECEIVED + 4 * H
    services.coordination_close(contact=contact, answer="下周一到货", by=agent.user, now=RECEIVED + 2 * H)
    contact.refresh_from_db()
    assert contact.closed_at == RECEIVED + 2 * H


def test_a_coordination_needs_the_department(station, agent, car):
    with pytest.raises(ValidationError):
        services.contact_record(
            station=station, contact_type=ContactType.COORDINATION, words="x", customer=car.owner, by=agent.user
        )


def test_an_unidentified_caller_is_recorded_with_the_name_and_phone_given(station, agent):
    contact = services.contact_record(
        station=station,
        contact_type=ContactType.CONSULTATION,
        words="你们几点下班?",
        answer="18点",
        caller_name="李先生",
        caller_phone="139 0000 1111",
        by=agent.user,
    )
    assert contact.customer is None
    assert contact.caller == "李先生"
    assert contact.caller_phone == "13900001111"


def test_a_caller_neither_found_nor_named_is_refused(station, agent):
    with pytest.raises(ValidationError):
        services.contact_record(
            station=station, contact_type=ContactType.CONSULTATION, words="x", answer="y", by=agent.user
        )


def test_a_complaint_opens_a_ticket_with_the_words_as_said(ticket):
    assert ticket.contact.contact_type == ContactType.COMPLAINT
    assert ticket.contact.words == "刹车还是有异响,上个月刚修过。"
    assert ticket.number == f"TS{ticket.pk:06d}"
    assert ticket.events.filter(kind=EventKind.OPENED).count() == 1


def test_a_complaint_without_the_expected_outcome_is_refused(station, agent, car, visit):
    with pytest.raises(ValidationError) as error:
        open_complaint(station, agent.user, car, related_orders=[visit], expected_outcome=" ")
    assert "expected_outcome" in error.value.message_dict
    assert not Contact.objects.exists()


def test_intake_questions_keep_only_the_subjects_own_answers(station, agent, car, visit):
    complaint = open_complaint(
        station,
        agent.user,
        car,
        related_orders=[visit],
        answers={"fault": "刹车异响", "part": "不是这个主题的问题", "wants": "免费检修"},
    )
    assert complaint.answers == {"fault": "刹车异响", "wants": "免费检修"}


# --- dispatch rule ---------------------------------------------------------------------------


def test_a_complaint_with_a_visit_on_file_is_dispatched_to_the_station_and_its_advisor(ticket, handler, visit):
    assert ticket.dispatched is True
    assert ticket.status == Status.DISPATCHED
    assert ticket.handler == handler  # the advisor of the related repair order
    assert list(ticket.related_orders.all()) == [visit]
    event = ticket.events.get(kind=EventKind.DISPATCHED)
    assert event.data["reason"] == "repair_order"


def test_a_visit_the_agent_confirms_is_enough_to_dispatch(station, agent, car):
    complaint = open_complaint(station, agent.user, car, visit_confirmed=True)
    assert complaint.dispatched and complaint.status == Status.DISPATCHED
    assert complaint.events.get(kind=EventKind.DISPATCHED).data["reason"] == "agent_confirmed"


def test_without_a_visit_the_complaint_is_not_dispatched_and_the_guidance_is_recorded(station, agent, car):
    complaint = open_complaint(station, agent.user, car, guidance="请客户先到北京朝阳服务站检测,并告知地址电话。")
    assert complaint.dispatched is False
    assert complaint.status == Status.GUIDED
    assert complaint.guidance.startswith("请客户先到")
    assert complaint.next_due_at is None  # the call center answered in the call: nothing escalates
    assert complaint.events.get(kind=EventKind.NOT_DISPATCHED).note == complaint.guidance


def test_without_a_visit_and_without_guidance_nothing_is_written(station, agent, car):
    with pytest.raises(ValidationError) as error:
        open_complaint(station, agent.user, car)
    assert "guidance" in error.value.message_dict
    assert not Complaint.objects.exists() and not Contact.objects.exists()


def test_a_repair_order_of_another_station_is_no_visit_here(station, other_station, agent, car, handler):
    elsewhere = repair_order(other_station, car, handler)
    with pytest.raises(ValidationError):
        open_complaint(station, agent.user, car, related_orders=[elsewhere])


def test_a_guided_customer_who_went_to_the_station_is_dispatched_later_with_fresh_deadlines(
    station, agent, car, handler
):
    complaint = open_complaint(station, agent.user, car, guidance="请先到服务站")
    later = RECEIVED + 48 * H
    order = repair_order(station, car, handler, days_ago=0)
    services.complaint_dispatch(complaint=complaint, related_orders=[order], by=agent.user, now=later)
    complaint.refresh_from_db()
    assert complaint.status == Status.DISPATCHED and complaint.dispatched
    assert complaint.answer_due == later + 24 * H
    assert complaint.handler == handler


def test_a_pre_report_is_shown_and_never_blocks_the_complaint(station, agent, car, visit, advisor):
    report = services.pre_report_record(
        station=station,
        customer=car.owner,
        vehicle=car,
        note="客户对刹车不满,已解释",
        by=advisor.user,
        now=RECEIVED - H,
    )
    complaint = open_complaint(station, agent.user, car, related_orders=[visit])
    assert complaint.pre_report == report
    assert complaint.status == Status.DISPATCHED  # accepted and dispatched by the rule, as without it
    assert complaint.events.filter(kind=EventKind.PRE_REPORT).exists()


def test_a_pre_report_without_a_visit_still_accepts_the_complaint_as_guided(station, agent, car, advisor):
    services.pre_report_record(station=station, customer=car.owner, note="可能投诉", by=advisor.user)
    complaint = open_complaint(station, agent.user, car, guidance="请先到服务站")
    assert complaint.pk and complaint.status == Status.GUIDED and complaint.pre_report is not None


def test_a_complaint_about_the_call_center_stays_with_the_call_center(station, agent, car):
    complaint = open_complaint(station, agent.user, car, subject=Subject.CALL_CENTER, answers={"agent": "昨天下午"})
    assert complaint.dispatched is False
    assert complaint.status == Status.HANDLING
    assert complaint.handler == agent


# --- repeat-repair count ----------------------------------------------------------------------


def test_the_repeat_count_comes_from_the_ro_history_by_operation_or_symptom(station, other_station, car, handler):
    brakes = LabourOperationFactory(dealer=station, name="更换刹车片")
    other_job = LabourOperationFactory(dealer=station, name="四轮定位")
    repair_order(station, car, handler, operation=brakes)  # 1: brakes
    repair_order(station, car, handler, operation=brakes, symptom="刹车异响")  # 2: brakes and the symptom
    repair_order(station, car, handler, operation=other_job, symptom="踩刹车有异响")  # 3: the symptom only
    repair_order(station, car, handler, operation=brakes, status=ROStatus.CANCELLED)  # cancelled: not a repair
    repair_order(other_station, car, handler, operation=brakes)  # another station
    repair_order(station, VehicleFactory(owner=car.owner), handler, operation=brakes)  # another car
    count = selectors.repeat_repairs
    assert count(station=station, vehicle=car, operation=brakes) == 2
    assert count(station=station, vehicle=car, symptom="异响") == 2
    assert count(station=station, vehicle=car, operation=brakes, symptom="异响") == 3  # orders, not lines
    assert count(station=station, vehicle=car, operation=other_job) == 1
    assert count(station=station, vehicle=None, operation=brakes) == 0


def test_a_repeated_failure_makes_a_repair_quality_complaint_major(station, agent, car, handler, brake_job):
    orders = [repair_order(station, car, handler, operation=brake_job, days_ago=d) for d in (90, 60, 30)]
    with pytest.raises(ValidationError) as error:
        open_complaint(station, agent.user, car, related_orders=orders, problem_operation=brake_job, level=1)
    assert "level" in error.value.message_dict
    complaint = open_complaint(station, agent.user, car, related_orders=orders, problem_operation=brake_job, level=3)
    assert complaint.repeat_count == 3
    assert "repeated_failure" in complaint.criteria


def test_the_repeated_failure_threshold_is_a_station_setting(station, agent, car, handler, brake_job):
    ComplaintSettings.objects.create(dealer=station, repeat_failure_count=4)
    orders = [repair_order(station, car, handler, operation=brake_job, days_ago=d) for d in (90, 60, 30)]
    complaint = open_complaint(station, agent.user, car, related_orders=orders, problem_operation=brake_job, level=1)
    assert complaint.repeat_count == 3 and complaint.criteria == []


def test_criteria_set_the_lowest_level(station, agent, car, visit):
    with pytest.raises(ValidationError):
        open_complaint(station, agent.user, car, related_orders=[visit], criteria=["safety"], level=2)
    with pytest.raises(ValidationError):
        open_complaint(station, agent.user, car, related_orders=[visit], criteria=["time_demand"], level=1)
    complaint = open_complaint(station, agent.user, car, related_orders=[visit], criteria=["media", "bogus"], level=3)
    assert complaint.criteria == ["media"]


def test_an_operation_of_another_station_is_refused(station, other_station, agent, car, visit):
    with pytest.raises(ValidationError):
        open_complaint(
            station,
            agent.user,
            car,
            related_orders=[visit],
            problem_operation=LabourOperationFactory(dealer=other_station),
        )


def test_intake_writes_no_event_when_refused(station, agent, car):
    with pytest.raises(ValidationError):
        open_complaint(station, agent.user, car, level=7, visit_confirmed=True)
    assert not ComplaintEvent.objects.exists()
