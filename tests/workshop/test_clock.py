"""The job clock: events are the truth for clocked hours; the guards on
starting (consent, the RO's state, one running job per technician) and on
finishing; the RO goes in progress with its first started job."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealers.models import Role
from reception.models import LineKind, RepairOrder, RepairOrderEvent, ROStatus
from reception.services import repair_order_transition
from tests.factories import StaffFactory
from tests.reception.conftest import add_line
from tests.workshop import clock_fixtures
from tests.workshop.clock_fixtures import assign, assigned_jobs, order_in_workshop
from workshop.clock import (
    clocked_hours,
    clocked_hours_of,
    job_finish,
    job_pause,
    job_resume,
    job_start,
    technician_intervals,
)
from workshop.models import ClockEvent, Job, JobStatus, PauseReason

job = clock_fixtures.job

pytestmark = pytest.mark.django_db

TZ = dt.timezone(dt.timedelta(hours=8))
MORNING = dt.datetime(2026, 3, 10, 8, 0, tzinfo=TZ)
DAY = MORNING.date()
REPORT = {"cause_found": "机滤密封圈老化", "work_done": "更换机滤", "result": "试车无异响"}


def at(hours: float) -> dt.datetime:
    return MORNING + dt.timedelta(hours=hours)


def _codes(error: ValidationError) -> set[str | None]:
    return {e.code for e in error.error_list} if hasattr(error, "error_list") else {error.code}


# --- clocked hours ------------------------------------------------------------------------


def test_clock_events_give_clocked_hours_as_the_clock_moves(job, technician):
    job_start(job=job, by=technician, now=at(0))
    assert clocked_hours(job, now=at(0.75)) == Decimal("0.75")  # an open interval counts until now
    job_pause(job=job, by=technician, reason=PauseReason.BREAK, now=at(1.5))
    assert clocked_hours(job, now=at(3)) == Decimal("1.50")  # paused: the clock stands still
    job_resume(job=job, by=technician, now=at(2))
    job_finish(job=job, by=technician, now=at(3), **REPORT)
    assert clocked_hours(job, now=at(9)) == Decimal("2.50")
    assert clocked_hours_of(technician, DAY, now=at(9)) == Decimal("2.50")
    assert list(job.clock.values_list("kind", flat=True)) == ["start", "pause", "resume", "finish"]


def test_clocked_hours_are_rounded_to_a_hundredth(job, technician):
    job_start(job=job, by=technician, now=at(0))
    assert clocked_hours(job, now=at(0) + dt.timedelta(minutes=20)) == Decimal("0.33")
    assert clocked_hours(job, now=at(0) + dt.timedelta(minutes=50)) == Decimal("0.83")


def test_a_days_hours_count_a_job_left_running_over_midnight_from_midnight(job, technician):
    evening = MORNING.replace(hour=22)
    job_start(job=job, by=technician, now=evening)
    next_morning = evening + dt.timedelta(hours=3)  # 01:00 the next day
    job_pause(job=job, by=technician, reason=PauseReason.OTHER, now=next_morning)
    assert clocked_hours_of(technician, DAY, now=next_morning) == Decimal("2.00")
    assert clocked_hours_of(technician, DAY + dt.timedelta(days=1), now=next_morning) == Decimal("1.00")
    assert clocked_hours(job, now=next_morning) == Decimal("3.00")


def test_a_days_hours_count_a_job_still_running_across_a_whole_day_until_now(job, technician):
    job_start(job=job, by=technician, now=MORNING - dt.timedelta(days=1))
    assert clocked_hours_of(technician, DAY, now=at(2)) == Decimal("10.00")  # 00:00 to 10:00
    assert clocked_hours_of(technician, DAY + dt.timedelta(days=1), now=at(2)) == Decimal("0.00")


# --- one running job per technician -------------------------------------------------------


def test_a_technician_cannot_run_two_jobs_at_once(station, advisor, technician):
    [first] = assigned_jobs(station, advisor, technician)
    [second] = assigned_jobs(station, advisor, technician)
    job_start(job=first, by=technician, now=at(0))
    with pytest.raises(ValidationError) as refused:
        job_start(job=second, by=technician, now=at(1))
    assert _codes(refused.value) == {"busy"}
    assert first.repair_order.number in refused.value.messages[0]
    second.refresh_from_db()
    assert second.status == JobStatus.ASSIGNED and not second.clock.exists()

    job_pause(job=first, by=technician, reason=PauseReason.WAITING_PARTS, now=at(1))
    job_start(job=second, by=technician, now=at(1))
    with pytest.raises(ValidationError):  # nor resume the first while the second runs
        job_resume(job=first, by=technician, now=at(2))


def test_a_station_with_parallel_jobs_lets_a_technician_run_two(station, advisor, technician):
    station.parallel_jobs = True
    station.save()
    [first] = assigned_jobs(station, advisor, technician)
    [second] = assigned_jobs(station, advisor, technician)
    job_start(job=first, by=technician, now=at(0))
    job_start(job=second, by=technician, now=at(0.5))
    assert Job.objects.filter(status=JobStatus.IN_PROGRESS).count() == 2
    assert clocked_hours_of(technician, DAY, now=at(1)) == Decimal("1.50")  # both intervals count


# --- the guards on starting ---------------------------------------------------------------


def test_a_line_without_consent_cannot_be_started(job, advisor, technician):
    ro = job.repair_order
    extra = add_line(ro, LineKind.LABOUR, quantity="1", unit_price="180", description="追加: 更换刹车片")
    unconsented = assign(
        Job.objects.create(dealer=ro.dealer, repair_order=ro, estimate_line=extra, flat_rate_hours=Decimal(1)),
        technician,
    )
    with pytest.raises(ValidationError) as refused:
        job_start(job=unconsented, by=technician, now=at(0))
    assert _codes(refused.value) == {"no_consent"}
    assert not ClockEvent.objects.exists()
    job_start(job=job, by=technician, now=at(0))  # the agreed line starts


@pytest.mark.parametrize(
    "status",
    [
        ROStatus.DRAFT,
        ROStatus.WAITING_APPROVAL,
        ROStatus.WAITING_PARTS,
        ROStatus.QUALITY_CHECK,
        ROStatus.READY,
        ROStatus.DELIVERED,
        ROStatus.CLOSED,
        ROStatus.CANCELLED,
    ],
)
def test_starting_is_refused_outside_the_workshop_states(job, technician, status):
    RepairOrder.objects.filter(pk=job.repair_order_id).update(status=status)
    with pytest.raises(ValidationError) as refused:
        job_start(job=job, by=technician, now=at(0))
    assert _codes(refused.value) == {"ro_state"}
    job.refresh_from_db()
    assert job.status == JobStatus.ASSIGNED and job.version == 0 and not job.clock.exists()


def test_start_refused_while_the_ro_waits_for_approval_and_resume_too(station, advisor, technician):
    first, second = assigned_jobs(station, advisor, technician, labour=2)
    job_start(job=first, by=technician, now=at(0))
    job_pause(job=first, by=technician, reason=PauseReason.WAITING_APPROVAL, now=at(1))
    ro = RepairOrder.objects.get(pk=first.repair_order_id)
    assert ro.status == ROStatus.IN_PROGRESS  # the pause alone does not move the card
    repair_order_transition(repair_order=ro, to=ROStatus.WAITING_APPROVAL, now=at(1))
    for action in (
        lambda: job_start(job=second, by=technician, now=at(2)),
        lambda: job_resume(job=first, by=technician),
    ):
        with pytest.raises(ValidationError, match=r"等待|approval"):
            action()
    repair_order_transition(repair_order=ro, to=ROStatus.IN_PROGRESS, now=at(3))
    job_resume(job=first, by=technician, now=at(3))


def test_the_first_start_moves_the_ro_from_open_to_in_progress_once(station, advisor, technician):
    first, second = assigned_jobs(station, advisor, technician, labour=2)
    assert first.repair_order.status == ROStatus.OPEN
    job_start(job=first, by=technician, now=at(0))
    ro = RepairOrder.objects.get(pk=first.repair_order_id)
    assert ro.status == ROStatus.IN_PROGRESS
    event = RepairOrderEvent.objects.filter(repair_order=ro).latest("pk")
    assert (event.from_status, event.to_status, event.by, event.at) == ("open", "in_progress", technician.user, at(0))
    job_pause(job=first, by=technician, reason=PauseReason.BREAK, now=at(1))
    job_start(job=second, by=technician, now=at(1))
    assert RepairOrderEvent.objects.filter(repair_order=ro, to_status=ROStatus.IN_PROGRESS).count() == 1


def test_an_unassigned_job_cannot_be_started(station, advisor, technician):
    ro = order_in_workshop(station, advisor)
    waiting = ro.jobs.get()
    with pytest.raises(ValidationError) as refused:
        job_start(job=waiting, by=technician)
    assert _codes(refused.value) == {"unassigned"}


def test_a_done_job_starts_again_only_for_rework(job, technician):
    job_start(job=job, by=technician, now=at(0))
    job_finish(job=job, by=technician, now=at(1), **REPORT)
    with pytest.raises(ValidationError):
        job_start(job=job, by=technician, now=at(2))
    RepairOrder.objects.filter(pk=job.repair_order_id).update(status=ROStatus.REWORK)
    job_start(job=job, by=technician, now=at(2))
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS and job.finished_at is None
    assert clocked_hours(job, now=at(2.5)) == Decimal("1.50")


# --- who clocks ---------------------------------------------------------------------------


def test_only_the_assigned_technician_or_a_dispatcher_on_their_behalf_clocks(job, technician, dispatcher, station):
    colleague = StaffFactory(roles=[Role.TECHNICIAN], dealers=[station])
    with pytest.raises(ValidationError) as refused:
        job_start(job=job, by=colleague, now=at(0))
    assert _codes(refused.value) == {"not_yours"}
    job_start(job=job, by=dispatcher, now=at(0))
    assert ClockEvent.objects.get().technician == technician  # the technician's time, whoever pressed


def test_a_dispatcher_of_another_station_cannot_clock(job, other_station):
    stranger = StaffFactory(roles=[Role.DISPATCHER], dealers=[other_station])
    with pytest.raises(ValidationError):
        job_start(job=job, by=stranger, now=at(0))


# --- pause and finish ---------------------------------------------------------------------


def test_pausing_needs_a_reason_from_the_list(job, technician):
    job_start(job=job, by=technician, now=at(0))
    with pytest.raises(ValidationError) as refused:
        job_pause(job=job, by=technician, reason="lunch", now=at(1))
    assert "reason" in refused.value.message_dict
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS


def test_finishing_a_job_never_started_is_refused(job, technician):
    with pytest.raises(ValidationError) as refused:
        job_finish(job=job, by=technician, now=at(0), **REPORT)
    assert _codes(refused.value) == {"not_started"}
    job.refresh_from_db()
    assert job.status == JobStatus.ASSIGNED and not job.clock.exists()


def test_a_paused_job_is_resumed_before_it_is_finished(job, technician):
    job_start(job=job, by=technician, now=at(0))
    job_pause(job=job, by=technician, reason=PauseReason.BREAK, now=at(1))
    with pytest.raises(ValidationError):
        job_finish(job=job, by=technician, now=at(2), **REPORT)


def test_finish_requires_cause_work_and_result(job, technician):
    job_start(job=job, by=technician, now=at(0))
    with pytest.raises(ValidationError) as refused:
        job_finish(job=job, by=technician, cause_found=" ", work_done="", result="", now=at(1))
    assert set(refused.value.message_dict) == {"cause_found", "work_done", "result"}
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS and job.clock.count() == 1
    job_finish(job=job, by=technician, now=at(1), **REPORT)
    job.refresh_from_db()
    assert (job.status, job.finished_at, job.cause_found, job.result) == (
        JobStatus.DONE,
        at(1),
        REPORT["cause_found"],
        REPORT["result"],
    )


def test_every_action_bumps_the_version_and_an_old_one_is_refused(job, technician):
    job_start(job=job, by=technician, now=at(0), expected_version=0)
    with pytest.raises(ValidationError) as refused:
        job_pause(job=job, by=technician, reason=PauseReason.BREAK, now=at(1), expected_version=0)
    assert _codes(refused.value) == {"stale"}
    job_pause(job=job, by=technician, reason=PauseReason.BREAK, now=at(1), expected_version=1)
    job_resume(job=job, by=technician, now=at(2))
    job_finish(job=job, by=technician, now=at(3), **REPORT)
    job.refresh_from_db()
    assert job.version == 4


# --- property: one technician's intervals never overlap -----------------------------------

ACTIONS = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["start", "pause", "resume", "finish"]), st.integers(1, 90)),
    max_size=25,
)


def _act(action: str, job: Job, technician, now: dt.datetime) -> None:
    if action == "start":
        job_start(job=job, by=technician, now=now)
    elif action == "pause":
        job_pause(job=job, by=technician, reason=PauseReason.BREAK, now=now)
    elif action == "resume":
        job_resume(job=job, by=technician, now=now)
    else:
        job_finish(job=job, by=technician, now=now, **REPORT)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ACTIONS)
def test_one_technicians_intervals_never_overlap_without_parallel_jobs(station, advisor, technician, steps):
    with transaction.atomic():
        jobs = assigned_jobs(station, advisor, technician, labour=3)
        now = MORNING
        for index, action, minutes in steps:
            now += dt.timedelta(minutes=minutes)
            with contextlib.suppress(ValidationError):  # refused moves are part of the game
                _act(action, Job.objects.get(pk=jobs[index].pk), technician, now)
        end = now + dt.timedelta(hours=1)
        spans = technician_intervals(technician, DAY, now=end)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
        per_job = sum((clocked_hours(j, now=end) for j in Job.objects.filter(pk__in=[j.pk for j in jobs])), Decimal(0))
        if timezone.localdate(end) == DAY:
            assert abs(per_job - clocked_hours_of(technician, DAY, now=end)) <= Decimal("0.02")
        transaction.set_rollback(True)


# --- the last job hands the car to the quality check ----------------------------------------


def test_finishing_the_last_job_opens_the_quality_check(station, advisor, technician):
    first, second = assigned_jobs(station, advisor, technician, labour=2)
    job_start(job=first, by=technician, now=at(0))
    job_finish(job=first, by=technician, now=at(1), **REPORT)
    ro = RepairOrder.objects.get(pk=first.repair_order_id)
    assert ro.status == ROStatus.IN_PROGRESS  # one job still to do
    job_start(job=second, by=technician, now=at(1.1))
    job_finish(job=second, by=technician, now=at(2), **REPORT)
    ro.refresh_from_db()
    assert ro.status == ROStatus.QUALITY_CHECK
    check = ro.quality_checks.get()
    assert check.round == 1 and check.items.filter(job__isnull=False).count() == 2


def test_an_undecided_finding_keeps_the_car_from_the_quality_check(station, advisor, technician):
    from workshop.models import Finding, FindingLine, Urgency

    [job] = assigned_jobs(station, advisor, technician)
    job_start(job=job, by=technician, now=at(0))
    finding = Finding.objects.create(
        dealer=station,
        repair_order_id=job.repair_order_id,
        job=job,
        description="刹车片磨损到极限",
        urgency=Urgency.RED,
        found_by=technician,
        found_at=at(0.5),
    )
    FindingLine.objects.create(
        finding=finding, kind=LineKind.LABOUR, description="更换前刹车片", quantity=1, unit_price=180, amount=180
    )
    job_finish(job=job, by=technician, now=at(1), **REPORT)
    assert RepairOrder.objects.get(pk=job.repair_order_id).status == ROStatus.IN_PROGRESS


def test_a_clock_event_records_who_pressed_the_button(job, technician, dispatcher):
    job_start(job=job, by=dispatcher, now=at(0))
    job_pause(job=job, by=technician, reason=PauseReason.BREAK, now=at(1))
    events = list(ClockEvent.objects.filter(job=job).order_by("at"))
    assert [(e.technician, e.pressed_by) for e in events] == [(technician, dispatcher), (technician, technician)]
