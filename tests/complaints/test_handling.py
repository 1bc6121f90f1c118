"""The ticket after intake: deadlines per level, escalation by the sweep,
handling steps, closing rules, level changes, extensions, the charge review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.escalation import escalate_overdue
from complaints.models import (
    ComplaintEvent,
    ComplaintSettings,
    Escalation,
    EventKind,
    Stage,
    Status,
    Subject,
)
from dealer_service.sweep import sweep
from dealers.models import Role
from followup.models import ContactTask, Kind, Outcome, TaskStatus
from followup.services import contact_attempt_record
from tests.complaints.conftest import RECEIVED, SHANGHAI, D, H, open_complaint
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "answer", "callback", "resolution"),
    [
        # Received Monday 2 March 09:00. Level 1: 24 h, 7 days, 30 days (SPEC.md defaults).
        (1, at(3, 3, 9), at(3, 9, 9), at(4, 1, 9)),
        # Level 2: 12 h, 3 days, 15 days.
        (2, at(3, 2, 21), at(3, 5, 9), at(3, 17, 9)),
        # Level 3: 4 h, 1 day, 7 days.
        (3, at(3, 2, 13), at(3, 3, 9), at(3, 9, 9)),
    ],
)
def test_deadlines_follow_the_level(station, agent, car, visit, level, answer, callback, resolution):
    criteria = ["safety"] if level == 3 else []
    complaint = open_complaint(station, agent.user, car, related_orders=[visit], level=level, criteria=criteria)
    assert (complaint.answer_due, complaint.callback_due, complaint.resolution_due) == (answer, callback, resolution)
    assert complaint.next_due_at == answer


def test_a_stations_settings_change_its_deadlines(station, agent, car, visit):
    ComplaintSettings.objects.create(dealer=station, answer_hours_1=48, callback_days_1=5)
    complaint = open_complaint(station, agent.user, car, related_orders=[visit])
    assert complaint.answer_due == at(3, 4, 9)
    assert complaint.callback_due == at(3, 7, 9)


def test_unsaved_defaults_are_the_spec_values(station):
    defaults = ComplaintSettings.for_station(station)
    assert defaults.pk is None or defaults.dealer_id == station.pk
    assert (defaults.hotline_answer_hours, defaults.answer_hours_1, defaults.callback_days_1) == (4, 24, 7)
    assert defaults.resolution_days_1 == 30
    assert not ComplaintSettings.objects.exists()  # reading never writes


# --- escalation ------------------------------------------------------------------------------


@pytest.fixture
def managers(station, manager, group_manager):
    return manager, group_manager


def test_a_missed_answer_escalates_handler_then_manager_then_group_once_each(
    ticket, handler, managers, station, other_station
):
    manager, group_manager = managers
    due = ticket.answer_due  # Tuesday 09:00
    assert escalate_overdue(due - dt.timedelta(minutes=1)) == 0
    assert escalate_overdue(due) == 1
    assert escalate_overdue(due) == 0  # a second sweep at the same time: nothing twice
    first = Escalation.objects.get()
    assert (first.deadline, first.stage) == ("answer", Stage.HANDLER)
    assert list(first.to_staff.all()) == [handler]

    assert escalate_overdue(due + 3 * H) == 0
    assert escalate_overdue(due + 4 * H) == 1  # service manager after 4 h
    second = Escalation.objects.get(stage=Stage.MANAGER)
    assert set(second.to_staff.all()) == {manager, group_manager}  # both manage the station

    assert escalate_overdue(due + 24 * H) == 1  # group/OEM after 24 h
    third = Escalation.objects.get(stage=Stage.GROUP)
    assert list(third.to_staff.all()) == [group_manager]  # the manager of several stations
    assert escalate_overdue(due + 25 * H) == 0
    ticket.refresh_from_db()
    assert ticket.escalation_stage == Stage.GROUP
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 3


def test_the_group_contact_of_the_settings_gets_the_last_stage(ticket, station, other_station):
    oem = StaffFactory(
        user__username="oem", display_name="厂家区域经理", roles=[Role.CALL_CENTER], dealers=[other_station]
    )
    ComplaintSettings.objects.create(dealer=station, group_contact=oem)
    escalate_overdue(ticket.answer_due + 24 * H)
    assert list(Escalation.objects.get(stage=Stage.GROUP).to_staff.all()) == [oem]


def test_a_sweep_that_missed_hours_catches_up_every_stage_due(ticket, managers):
    assert escalate_overdue(ticket.answer_due + 30 * H) == 3
    assert escalate_overdue(ticket.answer_due + 30 * H) == 0


def test_the_sweep_runs_the_escalation_step_and_twice_escalates_once(ticket, managers):
    first = sweep(ticket.answer_due + H)
    second = sweep(ticket.answer_due + H)
    assert first.acted["complaints.escalations"] == 1
    assert second.acted["complaints.escalations"] == 0
    assert Escalation.objects.count() == 1


def test_escalation_notifies_by_mail_those_with_an_address(ticket, handler, django_capture_on_commit_callbacks):
    handler.user.email = "liu@dealer.example"
    handler.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue(ticket.answer_due)
    assert [m.to for m in mail.outbox] == [["liu@dealer.example"]]
    assert ticket.number in mail.outbox[0].subject


def test_an_answered_ticket_does_not_escalate_its_answer(ticket, handler):
    services.complaint_step(complaint=ticket, step=EventKind.ACKNOWLEDGED, by=handler.user, now=RECEIVED + 2 * H)
    ticket.refresh_from_db()
    assert ticket.answered_at == RECEIVED + 2 * H
    assert ticket.status == Status.HANDLING
    assert ticket.next_due_at == ticket.callback_due
    assert escalate_overdue(ticket.answer_due + 30 * H) == 0
    # The callback deadline, 7 days after intake, escalates on its own.
    assert escalate_overdue(ticket.callback_due) == 1
    assert Escalation.objects.get().deadline == "callback"


def test_a_guided_or_closed_ticket_never_escalates(station, agent, car):
    open_complaint(station, agent.user, car, guidance="请先到服务站")
    assert escalate_overdue(RECEIVED + 40 * D) == 0


# --- handling and closing ---------------------------------------------------------------------


def _solve(ticket, by, worked="yes", now=RECEIVED + 3 * H):
    services.complaint_step(complaint=ticket, step=EventKind.SOLUTION, note="免费更换刹车片并路试", by=by, now=now)
    services.complaint_step(complaint=ticket, step=EventKind.ACTION, note="已更换", by=by, now=now + H)
    services.complaint_step(complaint=ticket, step=EventKind.FOLLOWUP_CALL, value=worked, by=by, now=now + 2 * D)


def test_every_handling_step_is_time_stamped(ticket, handler):
    steps = [
        (EventKind.ACKNOWLEDGED, "", "已致歉并安抚"),
        (EventKind.FACTS, "customer", "刹车踩下时有尖叫声"),
        (EventKind.FACTS, "station", "上次更换的是副厂片"),
        (EventKind.FAULT, "us", ""),
        (EventKind.DEMAND, "yes", ""),
        (EventKind.OPTIONS, "", "换原厂片或退款"),
    ]
    for minute, (step, value, note) in enumerate(steps):
        services.complaint_step(
            complaint=ticket,
            step=step,
            value=value,
            note=note,
            by=handler.user,
            now=RECEIVED + dt.timedelta(minutes=minute),
        )
    ticket.refresh_from_db()
    assert ticket.fault == "us" and ticket.demand_reasonable is True
    recorded = list(ticket.events.filter(kind__in=[s for s, _v, _n in steps]).values_list("kind", "at"))
    assert [k for k, _at in recorded] == [s for s, _v, _n in steps]
    assert recorded[-1][1] == RECEIVED + dt.timedelta(minutes=5)


def test_facts_need_the_party_and_what_they_said(ticket, handler):
    with pytest.raises(ValidationError):
        services.complaint_step(complaint=ticket, step=EventKind.FACTS, value="customer", note="", by=handler.user)


def test_closing_without_a_solution_is_refused(ticket, handler):
    with pytest.raises(ValidationError):
        services.complaint_close(complaint=ticket, satisfied=True, by=handler.user)
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED


def test_closing_without_the_follow_up_call_is_refused(ticket, handler):
    services.complaint_step(complaint=ticket, step=EventKind.SOLUTION, note="免费更换", by=handler.user)
    with pytest.raises(ValidationError):
        services.complaint_close(complaint=ticket, satisfied=True, by=handler.user)


def test_closing_after_a_follow_up_where_the_solution_failed_is_refused(ticket, handler):
    _solve(ticket, handler.user, worked="no")
    with pytest.raises(ValidationError):
        services.complaint_close(complaint=ticket, satisfied=False, by=handler.user)


def test_a_solved_and_confirmed_ticket_closes_with_the_customers_satisfaction(ticket, handler):
    _solve(ticket, handler.user)
    closed_at = RECEIVED + 3 * D
    services.complaint_close(complaint=ticket, satisfied=True, note="客户满意", by=handler.user, now=closed_at)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert (ticket.satisfied, ticket.closed_at, ticket.next_due_at) == (True, closed_at, None)
    assert ticket.called_back_at == RECEIVED + 3 * H + 2 * D
    assert ticket.events.get(kind=EventKind.CLOSED).data["satisfied"] is True
    assert escalate_overdue(RECEIVED + 60 * D) == 0


def test_closing_needs_the_satisfaction_answer(ticket, handler):
    _solve(ticket, handler.user)
    with pytest.raises(ValidationError):
        services.complaint_close(complaint=ticket, satisfied=None, by=handler.user)


# --- level and deadlines -------------------------------------------------------------------------


def test_anyone_handling_may_raise_the_level_and_the_open_deadlines_tighten(ticket, handler):
    services.complaint_set_level(complaint=ticket, level=2, by=handler.user, now=RECEIVED + H)
    ticket.refresh_from_db()
    assert ticket.level == 2
    assert ticket.answer_due == at(3, 2, 21)
    event = ticket.events.get(kind=EventKind.LEVEL)
    assert (event.data["old"], event.data["new"]) == (1, 2)


def test_only_a_manager_lowers_the_level_and_only_with_a_reason(ticket, handler, manager):
    services.complaint_set_level(complaint=ticket, level=3, by=handler.user)
    with pytest.raises(ValidationError):
        services.complaint_set_level(complaint=ticket, level=1, reason="客户已平静", by=handler.user)
    with pytest.raises(ValidationError):
        services.complaint_set_level(complaint=ticket, level=1, reason=" ", by=manager.user)
    services.complaint_set_level(complaint=ticket, level=1, reason="非安全问题,客户接受方案", by=manager.user)
    ticket.refresh_from_db()
    assert ticket.level == 1
    assert ticket.events.filter(kind=EventKind.LEVEL).last().note == "非安全问题,客户接受方案"


def test_the_call_center_cannot_lower_a_level(ticket, agent):
    services.complaint_set_level(complaint=ticket, level=2, by=agent.user)
    with pytest.raises(ValidationError):
        services.complaint_set_level(complaint=ticket, level=1, reason="x", by=agent.user)


def test_an_extension_needs_a_reason_and_is_logged(ticket, handler):
    later = ticket.answer_due + 24 * H
    with pytest.raises(ValidationError):
        services.complaint_extend(complaint=ticket, deadline="answer", until=later, reason="", by=handler.user)
    with pytest.raises(ValidationError):
        services.complaint_extend(
            complaint=ticket, deadline="answer", until=ticket.answer_due - H, reason="x", by=handler.user
        )
    services.complaint_extend(
        complaint=ticket, deadline="answer", until=later, reason="客户出差,周三回电", by=handler.user, now=RECEIVED + H
    )
    ticket.refresh_from_db()
    assert ticket.answer_due == later and ticket.next_due_at == later
    event = ticket.events.get(kind=EventKind.EXTENDED)
    assert event.note == "客户出差,周三回电"
    assert dt.datetime.fromisoformat(event.data["old"]) == at(3, 3, 9)
    assert dt.datetime.fromisoformat(event.data["new"]) == later
    assert escalate_overdue(at(3, 3, 10)) == 0  # the old deadline no longer escalates


def test_another_stations_staff_cannot_handle_the_ticket(ticket, other_advisor):
    with pytest.raises(ValidationError):
        services.complaint_step(complaint=ticket, step=EventKind.ACKNOWLEDGED, by=other_advisor.user)
    assert not ComplaintEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).exists()


# --- unreasonable charges -------------------------------------------------------------------------


@pytest.fixture
def charge_ticket(station, agent, car, visit):
    return open_complaint(
        station, agent.user, car, subject=Subject.CHARGES, related_orders=[visit], answers={"charged": "工时费多收"}
    )


def _bill() -> SimpleUploadedFile:
    return SimpleUploadedFile("bill.pdf", b"%PDF-1.4 itemised", content_type="application/pdf")


def test_a_charge_complaint_waits_for_the_bill_before_the_review(charge_ticket, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert charge_ticket.status == Status.CHARGE_REVIEW
    with pytest.raises(ValidationError):
        services.charge_review_record(complaint=charge_ticket, reasonable=True, note="合理", by=agent.user)


def test_a_reasonable_charge_gets_one_callback_to_explain_and_then_closes(
    charge_ticket, agent, handler, specialist, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    services.charge_bill_provide(complaint=charge_ticket, bill=_bill(), by=handler.user, now=RECEIVED + H)
    with pytest.raises(ValidationError):  # the station does not judge its own bill
        services.charge_review_record(complaint=charge_ticket, reasonable=True, note="合理", by=handler.user)
    review = services.charge_review_record(
        complaint=charge_ticket, reasonable=True, note="工时按标准工时收取", by=agent.user, now=RECEIVED + 2 * H
    )
    charge_ticket.refresh_from_db()
    assert charge_ticket.status == Status.EXPLAINING
    task = review.callback_task
    assert task.kind == Kind.SURVEY_ESCALATION and task.source == charge_ticket
    assert task.due_until == charge_ticket.callback_due
    assert ContactTask.objects.count() == 1
    with pytest.raises(ValidationError):  # the explaining call is not made yet
        services.complaint_close(complaint=charge_ticket, satisfied=True, by=agent.user)
    contact_attempt_record(task=task, by=specialist.user, outcome=Outcome.ANSWERED, now=RECEIVED + 5 * H)
    assert ContactTask.objects.get().status == TaskStatus.DONE
    services.complaint_close(complaint=charge_ticket, satisfied=True, by=agent.user, now=RECEIVED + 6 * H)
    charge_ticket.refresh_from_db()
    assert charge_ticket.status == Status.CLOSED


def test_an_unreasonable_charge_goes_on_as_a_complaint_against_the_station(
    charge_ticket, agent, handler, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    services.charge_bill_provide(complaint=charge_ticket, bill=_bill(), by=handler.user)
    services.charge_review_record(complaint=charge_ticket, reasonable=False, note="重复收取工时", by=agent.user)
    charge_ticket.refresh_from_db()
    assert charge_ticket.status == Status.DISPATCHED
    assert not ContactTask.objects.exists()
    assert charge_ticket.charge_review.result == "unreasonable"
    with pytest.raises(ValidationError):  # reviewed once
        services.charge_review_record(complaint=charge_ticket, reasonable=True, note="x", by=agent.user)
