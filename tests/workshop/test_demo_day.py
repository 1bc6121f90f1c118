"""A day in the workshop on the demo data, through the real services: the
dispatcher assigns a waiting car to the suggested technician, the
technician finds more work, the customer approves one line and declines the
other through the link, the last job sends the car to the quality check, one
item fails, rework, the second check passes, wash → ready on the board."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from dealer_service.management.commands.seed_demo import seed_workshop
from dealers.models import Dealer, LabourOperation, Part, StaffMember
from reception.models import RepairOrder, ROStatus
from workshop import quality
from workshop.board import DISPATCH, board_columns
from workshop.clock import job_finish, job_pause, job_resume, job_start
from workshop.dispatch import bays_for, job_assign, on_duty, suggest_technicians, technician_loads
from workshop.findings import ProposedLine, finding_decide_by_link, finding_link_send, finding_record
from workshop.models import Decision, Job, JobStatus, PauseReason, Urgency

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)
REPORT = {"cause_found": "按保养手册检查", "work_done": "已完成", "result": "正常"}


@pytest.fixture
def station(db) -> Dealer:
    # The stations, staff and cars of the demo, and its workshop cars (without
    # the appointments and the history, which this day does not need).
    call_command("seed_demo", without_appointments=True, without_history=True, stdout=StringIO())
    station = Dealer.objects.get(code="bj01")
    seed_workshop(stations={station.code: station}, now=timezone.now())
    return station


def _staff(station: Dealer, role: str) -> StaffMember:
    return StaffMember.objects.filter(dealers=station, roles__role=role).order_by("pk").first()


def _cards(station: Dealer, now: dt.datetime) -> dict[str, list[int]]:
    return {column.key: [card.order.pk for card in column.cards] for column in board_columns(station, now)}


def _free_technician(station: Dealer, job: Job, now: dt.datetime) -> StaffMember:
    day = timezone.localtime(now, ZoneInfo(station.time_zone)).date()
    grade = job.estimate_line.operation.required_skill_grade if job.estimate_line.operation_id else 1
    suggestions = suggest_technicians(grade, on_duty(station, day), technician_loads(station))
    busy = set(Job.objects.filter(status=JobStatus.IN_PROGRESS).values_list("technician", flat=True))
    return next(s.technician for s in suggestions if s.technician.pk not in busy)


def _assign_waiting(order: RepairOrder, technician: StaffMember, dispatcher: StaffMember, now) -> list[Job]:
    bay = bays_for(order.dealer, order.job_type)[0]
    for job in order.jobs.filter(status=JobStatus.WAITING):
        job_assign(job=job, technician=technician, bay=bay, version=job.version, by=dispatcher.user, now=now)
    return list(order.jobs.order_by("pk"))


def _work_all(order: RepairOrder, technician: StaffMember, now: dt.datetime) -> dt.datetime:
    for job in order.jobs.exclude(status=JobStatus.DONE).order_by("pk"):
        if job.status == JobStatus.PAUSED:
            job_resume(job=job, by=technician, now=now)
        elif job.status != JobStatus.IN_PROGRESS:
            job_start(job=job, by=technician, now=now)
        now += 30 * MIN
        job_finish(job=Job.objects.get(pk=job.pk), by=technician, now=now, **REPORT)
    return now


def test_a_day_from_dispatch_to_ready_with_a_link_approval_and_one_rework(station):
    now = timezone.now()
    advisor, dispatcher = _staff(station, "advisor"), _staff(station, "dispatcher")
    order = (
        RepairOrder.objects.filter(dealer=station, status=ROStatus.OPEN, jobs__status=JobStatus.WAITING)
        .distinct()
        .order_by("pk")
        .first()
    )
    assert order is not None, "the demo data has cars waiting for dispatch"
    assert order.pk in _cards(station, now)[DISPATCH]

    # 08:00 dispatch to the suggested technician who is free.
    technician = _free_technician(station, order.jobs.first(), now)
    first, *_rest = _assign_waiting(order, technician, dispatcher, now)
    assert order.pk in _cards(station, now)[ROStatus.IN_PROGRESS]

    # The technician starts and finds worn brake pads: one labour line, one part.
    job_start(job=first, by=technician, now=now)
    operation = LabourOperation.objects.filter(dealer=station, is_active=True).order_by("pk").first()
    part = Part.objects.filter(dealer=station, is_active=True, stock_on_hand__gt=0).order_by("pk").first()
    finding = finding_record(
        repair_order=order,
        description="前刹车片磨损至 2 mm",
        urgency=Urgency.YELLOW,
        lines=[ProposedLine(operation=operation), ProposedLine(part=part)],
        job=first,
        by=technician.user,
        now=now + 10 * MIN,
    )
    job_pause(job=Job.objects.get(pk=first.pk), by=technician, reason=PauseReason.WAITING_APPROVAL, now=now + 11 * MIN)
    order.refresh_from_db()
    assert order.status == ROStatus.WAITING_APPROVAL
    assert order.pk in _cards(station, now + 11 * MIN)[ROStatus.WAITING_APPROVAL]

    # The advisor sends the link; the customer approves the labour, declines the part.
    token = finding_link_send(finding=finding, by=advisor.user, now=now + 15 * MIN)
    labour, spare = finding.lines.order_by("pk")
    outcome = finding_decide_by_link(
        token=token, decisions={labour.pk: Decision.APPROVED, spare.pk: Decision.DECLINED}, now=now + 30 * MIN
    )
    assert [line.pk for line in outcome.approved] == [labour.pk] and outcome.consent is not None
    order.refresh_from_db()
    assert order.status == ROStatus.IN_PROGRESS
    assert order.jobs.filter(estimate_line__description=labour.description).exists()

    # The approved line becomes a job of its own; the last finish opens the check.
    _assign_waiting(order, technician, dispatcher, now + 31 * MIN)
    later = _work_all(order, technician, now + 32 * MIN)
    order.refresh_from_db()
    assert order.status == ROStatus.QUALITY_CHECK
    assert order.pk in _cards(station, later)[ROStatus.QUALITY_CHECK]

    # One item fails: rework for that job's technician, then the check again.
    check = quality.current_round(order)
    failed_job = order.jobs.order_by("pk").first()
    for item in check.items.all():
        failing = item.job_id == failed_job.pk
        quality.quality_item_record(
            item=item, passed=not failing, note="螺栓未拧紧" if failing else "", by=dispatcher.user
        )
    quality.quality_check_sign_off(quality_check=check, by=dispatcher.user, now=later)
    order.refresh_from_db()
    assert order.status == ROStatus.REWORK
    assert order.pk in _cards(station, later)[ROStatus.REWORK]

    later = _work_all(order, technician, later + 5 * MIN)
    order.refresh_from_db()
    second = quality.current_round(order)
    assert order.status == ROStatus.QUALITY_CHECK and second.round == 2
    for item in second.items.all():
        quality.quality_item_record(item=item, passed=True, by=dispatcher.user)
    quality.quality_check_sign_off(quality_check=second, by=dispatcher.user, now=later)
    quality.quality_check_washed(repair_order=order, by=dispatcher.user, now=later + 20 * MIN)
    order.refresh_from_db()
    assert order.status == ROStatus.READY
    assert order.pk in _cards(station, later + 20 * MIN)[ROStatus.READY]
    assert quality.rework_count_for_order(order) == 1
