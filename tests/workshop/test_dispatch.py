"""Dispatch: jobs from consented lines, technicians suggested by skill and
remaining load, a bay of the right type, stale versions refused, roles,
station isolation and the dispatch sheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from dealers.models import BayType, JobType, Role, RosterEntry
from reception.models import ConsentMethod, ConsentRecord, LineKind, ROStatus
from tests.factories import BayFactory, StaffFactory
from tests.reception import conftest as reception_fixtures
from tests.workshop.board_fixtures import floor_orders
from workshop.dispatch import bays_for, job_assign, on_duty, suggest_technicians, technician_loads
from workshop.jobs import jobs_sync
from workshop.models import Job, JobStatus

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order

pytestmark = pytest.mark.django_db

STALE = "Changed by someone else meanwhile: here is the fresh state."


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _tech(station, name: str, grade: int, *, on_duty_today: bool = True):
    tech = StaffFactory(display_name=name, dealers=[station], roles=[Role.TECHNICIAN], skill_grade=grade)
    if on_duty_today:
        RosterEntry.objects.create(
            dealer=station, technician=tech, date=timezone.localdate(), starts=dt.time(8, 30), ends=dt.time(17, 30)
        )
    return tech


@pytest.fixture
def agreed_order(priced_order, advisor):
    """The priced RO (a 1.5 h oil change, oil) agreed and open."""
    ConsentRecord.objects.create(
        repair_order=priced_order,
        method=ConsentMethod.PRINTED,
        agreed={"lines": [{"id": pk} for pk in priced_order.lines.values_list("pk", flat=True)]},
        total=Decimal("1"),
        recorded_by=advisor.user,
        recorded_at=timezone.now(),
    )
    priced_order.status = ROStatus.OPEN
    priced_order.save()
    return priced_order


@pytest.fixture
def quick_bay(station):
    return BayFactory(dealer=station, code="Q1", name="快修1", bay_type=BayType.QUICK)


# --- suggestions ---------------------------------------------------------------------------


def test_suggestions_need_the_grade_and_the_roster_and_put_the_least_loaded_first(station, advisor):
    busy = _tech(station, "忙师傅", 3)
    idle = _tech(station, "闲师傅", 2)
    _tech(station, "学徒", 1)
    _tech(station, "休息的高手", 4, on_duty_today=False)
    floor_orders(station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.ASSIGNED, "3"),), technician=busy)
    floor_orders(
        station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.IN_PROGRESS, "1"),), technician=idle
    )
    floor_orders(
        station, advisor, 1, status=ROStatus.READY, jobs=((JobStatus.DONE, "8"),), technician=idle
    )  # done: no load
    loads = technician_loads(station)
    assert loads == {busy.pk: Decimal("3"), idle.pk: Decimal("1")}
    suggested = suggest_technicians(2, on_duty(station, timezone.localdate()), loads)
    assert [(s.technician, s.load_hours) for s in suggested] == [(idle, Decimal("1")), (busy, Decimal("3"))]
    assert [s.technician for s in suggest_technicians(3, on_duty(station, timezone.localdate()), loads)] == [busy]
    assert suggest_technicians(4, on_duty(station, timezone.localdate()), loads) == []


def test_bays_are_those_of_the_job_types_bay_types_and_active(station, quick_bay):
    general = BayFactory(dealer=station, code="G1", bay_type=BayType.GENERAL)
    BayFactory(dealer=station, code="G2", bay_type=BayType.GENERAL, is_active=False)
    BayFactory(dealer=station, code="P1", bay_type=BayType.BODY_PAINT)
    assert {b.code for b in bays_for(station, JobType.MAINTENANCE)} == {quick_bay.code, general.code}
    assert [b.code for b in bays_for(station, JobType.REPAIR)] == [general.code]


# --- the page ------------------------------------------------------------------------------


def test_the_page_makes_the_jobs_and_suggests_technicians(agreed_order, station, dispatcher, login, quick_bay):
    _tech(station, "李师傅", 2)
    response = login(dispatcher).get(reverse("workshop:dispatch", args=[agreed_order.pk]))
    assert response.status_code == 200
    job = Job.objects.get(repair_order=agreed_order)  # jobs_sync ran: one job for the one labour line
    assert job.flat_rate_hours == Decimal("1.5")
    html = response.content.decode()
    assert "李师傅" in html and 'data-testid="assign"' in html and quick_bay.name in html


def test_dispatcher_assigns_a_job_in_one_tap(agreed_order, station, dispatcher, login, quick_bay):
    tech = _tech(station, "李师傅", 2)
    client = login(dispatcher)
    url = reverse("workshop:dispatch", args=[agreed_order.pk])
    client.get(url)
    job = Job.objects.get(repair_order=agreed_order)
    response = client.post(url, {"job": job.pk, "version": job.version, "technician": tech.pk, "bay": quick_bay.pk})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.technician, job.bay, job.assigned_by, job.version) == (
        JobStatus.ASSIGNED,
        tech,
        quick_bay,
        dispatcher.user,
        1,
    )
    agreed_order.refresh_from_db()
    assert agreed_order.status == ROStatus.OPEN  # in progress only when the technician starts


def test_reassigning_moves_the_job_to_another_technician(agreed_order, station, dispatcher, quick_bay):
    first, second = _tech(station, "甲", 2), _tech(station, "乙", 3)
    [job] = jobs_sync(agreed_order)
    job = job_assign(job=job, technician=first, bay=quick_bay, version=0, by=dispatcher.user)
    job = job_assign(job=job, technician=second, bay=quick_bay, version=1, by=dispatcher.user)
    assert (job.technician, job.version) == (second, 2)


def test_a_stale_version_is_refused_for_the_second_dispatcher(
    agreed_order, station, dispatcher, login, quick_bay, staff_of
):
    first, second = _tech(station, "甲", 2), _tech(station, "乙", 2)
    other_dispatcher = staff_of(Role.DISPATCHER, station)
    url = reverse("workshop:dispatch", args=[agreed_order.pk])
    client = login(dispatcher)
    client.get(url)
    job = Job.objects.get(repair_order=agreed_order)
    seen = job.version  # both dispatchers' pages carry this version
    job_assign(job=job, technician=first, bay=quick_bay, version=seen, by=other_dispatcher.user)

    response = client.post(
        url, {"job": job.pk, "version": seen, "technician": second.pk, "bay": quick_bay.pk}, follow=True
    )
    html = response.content.decode()
    assert zh(STALE) in html
    assert f'name="version" value="{seen + 1}"' in html  # the fresh page, ready to act on
    job.refresh_from_db()
    assert job.technician == first and job.assigned_by == other_dispatcher.user


def test_the_conditional_update_refuses_a_version_changed_after_loading(agreed_order, station, quick_bay):
    tech = _tech(station, "甲", 2)
    [job] = jobs_sync(agreed_order)
    Job.objects.filter(pk=job.pk).update(version=5)  # changed between loading and saving
    with pytest.raises(ValidationError) as refused:
        job_assign(job=job, technician=tech, bay=quick_bay, version=0)
    assert refused.value.code == "stale"
    job.refresh_from_db()
    assert job.technician is None


def test_a_technician_below_the_grade_or_a_wrong_bay_is_refused(agreed_order, station, dispatcher, login, quick_bay):
    apprentice = _tech(station, "学徒", 1)
    able = _tech(station, "师傅", 2)
    paint = BayFactory(dealer=station, code="P1", bay_type=BayType.BODY_PAINT)
    client = login(dispatcher)
    url = reverse("workshop:dispatch", args=[agreed_order.pk])
    client.get(url)
    job = Job.objects.get(repair_order=agreed_order)
    job.required_grade = 2
    job.save()
    client.post(url, {"job": job.pk, "version": job.version, "technician": apprentice.pk, "bay": quick_bay.pk})
    client.post(url, {"job": job.pk, "version": job.version, "technician": able.pk, "bay": paint.pk})
    job.refresh_from_db()
    assert job.status == JobStatus.WAITING and job.technician is None


def test_a_job_in_progress_cannot_be_reassigned(agreed_order, station, quick_bay):
    tech = _tech(station, "甲", 2)
    [job] = jobs_sync(agreed_order)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.IN_PROGRESS, technician=tech)
    job.refresh_from_db()
    with pytest.raises(ValidationError):
        job_assign(job=job, technician=tech, bay=quick_bay, version=job.version)


def test_a_finished_job_cannot_be_reassigned_by_dispatch(agreed_order, station, quick_bay):
    """Only the quality check's rework sends a finished job back to its technician."""
    tech = _tech(station, "甲", 2)
    [job] = jobs_sync(agreed_order)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, technician=tech)
    job.refresh_from_db()
    with pytest.raises(ValidationError):
        job_assign(job=job, technician=_tech(station, "乙", 2), bay=quick_bay, version=job.version)


def test_a_draft_order_has_no_jobs_to_dispatch(priced_order, dispatcher, login):
    response = login(dispatcher).get(reverse("workshop:dispatch", args=[priced_order.pk]))
    assert response.status_code == 200
    assert not Job.objects.filter(repair_order=priced_order).exists()


# --- roles and stations ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE_ADVISOR, Role.TECHNICIAN, Role.PARTS_CLERK])
def test_only_dispatchers_and_managers_dispatch(role, agreed_order, station, staff_of, login, quick_bay):
    tech = _tech(station, "甲", 2)
    [job] = jobs_sync(agreed_order)
    client = login(staff_of(role, station))
    url = reverse("workshop:dispatch", args=[agreed_order.pk])
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"job": job.pk, "version": 0, "technician": tech.pk, "bay": quick_bay.pk}).status_code == 403
    )
    job.refresh_from_db()
    assert job.technician is None


def test_a_manager_may_dispatch(agreed_order, station, manager, login, quick_bay):
    tech = _tech(station, "甲", 2)
    client = login(manager)
    url = reverse("workshop:dispatch", args=[agreed_order.pk])
    client.get(url)
    job = Job.objects.get(repair_order=agreed_order)
    client.post(url, {"job": job.pk, "version": 0, "technician": tech.pk, "bay": quick_bay.pk})
    job.refresh_from_db()
    assert job.technician == tech


def test_another_stations_order_and_technicians_are_out_of_reach(
    agreed_order, station, other_station, other_advisor, staff_of, login, quick_bay
):
    their_dispatcher = staff_of(Role.DISPATCHER, other_station)
    client = login(their_dispatcher)
    assert client.get(reverse("workshop:dispatch", args=[agreed_order.pk])).status_code == 404
    assert client.get(reverse("workshop:dispatch_sheet", args=[agreed_order.pk])).status_code == 404


def test_a_technician_of_another_station_cannot_be_assigned(
    agreed_order, station, other_station, dispatcher, login, quick_bay
):
    stranger = StaffFactory(dealers=[other_station], roles=[Role.TECHNICIAN], skill_grade=4)
    client = login(dispatcher)
    url = reverse("workshop:dispatch", args=[agreed_order.pk])
    client.get(url)
    job = Job.objects.get(repair_order=agreed_order)
    client.post(url, {"job": job.pk, "version": 0, "technician": stranger.pk, "bay": quick_bay.pk})
    job.refresh_from_db()
    assert job.technician is None


# --- the dispatch sheet ---------------------------------------------------------------------------


def test_the_dispatch_sheet_lists_jobs_technician_bay_hours_and_parts(
    agreed_order, station, dispatcher, login, quick_bay
):
    tech = _tech(station, "李师傅", 2)
    [job] = jobs_sync(agreed_order)
    job_assign(job=job, technician=tech, bay=quick_bay, version=0)
    unagreed = reception_fixtures.add_line(
        agreed_order, LineKind.PART, quantity="1", unit_price="30", description="雨刮片"
    )
    response = login(dispatcher).get(reverse("workshop:dispatch_sheet", args=[agreed_order.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "更换机油机滤" in html and "李师傅" in html and quick_bay.name in html and "1.50" in html
    assert "机油 5W-30" in html and "06L115562" in html
    assert unagreed.description not in html  # parts the customer did not agree are not drawn
    assert "@media print" in html
