"""The technician's pages: my jobs, the job page, and the clock through them;
own jobs only, one station only, a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dealers.models import Role
from reception.models import ROStatus
from reception.parts import issue_notice_issue
from tests.factories import StaffFactory
from tests.workshop import clock_fixtures
from tests.workshop.clock_fixtures import assigned_jobs
from workshop.clock import job_finish, job_start
from workshop.models import ClockEvent, Job, JobStatus

job = clock_fixtures.job

pytestmark = pytest.mark.django_db

REPORT = {"cause_found": "机滤密封圈老化", "work_done": "更换机滤", "result": "试车无异响"}


@pytest.fixture
def colleague(station):
    staff = StaffFactory(user__username="colleague", display_name="李师傅", roles=[Role.TECHNICIAN], dealers=[station])
    return staff


def test_my_jobs_shows_what_the_technician_needs_at_the_car(job, technician, login):
    ro = job.repair_order
    page = login(technician).get(reverse("workshop:my_jobs"))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        ro.number,
        ro.vehicle.plate,
        ro.vehicle.model,
        job.estimate_line.description,
        "1.50 h",  # flat-rate time
        "0.00 h",  # clocked so far
        "冷车启动有异响",  # the inquiry's symptom
        "左前门有划痕",  # walk-around notes
        "机油滤清器",  # the RO's part line
    ):
        assert text in html, text
    assert 'data-testid="notice-state"' in html and 'data-testid="start"' in html


def test_my_jobs_lists_only_the_technicians_own_jobs_and_done_today_below(
    station, advisor, technician, colleague, login
):
    [mine] = assigned_jobs(station, advisor, technician)
    [theirs] = assigned_jobs(station, advisor, colleague)
    [finished] = assigned_jobs(station, advisor, technician)
    now = timezone.now()
    job_start(job=finished, by=technician, now=now - dt.timedelta(hours=1))
    job_finish(job=finished, by=technician, now=now, **REPORT)
    html = login(technician).get(reverse("workshop:my_jobs")).content.decode()
    assert mine.repair_order.number in html
    assert theirs.repair_order.number not in html
    done_section = html.split('data-testid="done-today"')[1]
    assert finished.repair_order.number in done_section and "1.00 h" in done_section


def test_a_job_done_yesterday_is_not_listed(job, technician, login):
    yesterday = timezone.now() - dt.timedelta(days=1)
    job_start(job=job, by=technician, now=yesterday - dt.timedelta(hours=1))
    job_finish(job=job, by=technician, now=yesterday, **REPORT)
    page = login(technician).get(reverse("workshop:my_jobs"))
    assert job.repair_order.number not in page.content.decode()
    assert b'data-testid="my-jobs-empty"' in page.content


def test_my_jobs_search_by_plate(station, advisor, technician, login):
    [a] = assigned_jobs(station, advisor, technician)
    [b] = assigned_jobs(station, advisor, technician)
    html = login(technician).get(reverse("workshop:my_jobs"), {"q": a.repair_order.vehicle.plate}).content.decode()
    assert a.repair_order.number in html and b.repair_order.number not in html


def test_my_jobs_shows_the_issue_notice_state_and_issued_quantity(job, technician, parts_clerk, login):
    notice = job.repair_order.issue_notices.get()
    issue_notice_issue(notice=notice, by=parts_clerk)
    html = login(technician).get(reverse("workshop:job", args=[job.pk])).content.decode()
    parts = html.split('data-testid="job-parts"')[1]
    assert "已出库" in parts or "Issued" in parts
    assert reverse("workshop:finding_new", args=[job.repair_order_id]) in html  # record a finding from the car


@pytest.mark.parametrize("count", [2, 15])
def test_my_jobs_query_count_does_not_grow_with_the_jobs(
    station, advisor, technician, login, django_assert_max_num_queries, count
):
    jobs = assigned_jobs(station, advisor, technician, labour=count)
    job_start(job=jobs[0], by=technician)
    client = login(technician)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("workshop:my_jobs"))
    assert page.content.decode().count('data-testid="job"') == count


def test_only_technicians_have_my_jobs(advisor, login):
    assert login(advisor).get(reverse("workshop:my_jobs")).status_code == 403


# --- own jobs only, one station only ------------------------------------------------------


def test_another_technicians_job_is_not_found(job, colleague, login):
    client = login(colleague)
    assert client.get(reverse("workshop:job", args=[job.pk])).status_code == 404
    assert client.post(reverse("workshop:job_clock", args=[job.pk, "start"])).status_code == 404
    assert client.post(reverse("workshop:job_finish", args=[job.pk]), REPORT).status_code == 404
    assert not ClockEvent.objects.exists()


def test_another_stations_job_is_not_found(other_station, staff_of, advisor, technician, login, station):
    other_advisor = staff_of(Role.SERVICE_ADVISOR, other_station)
    other_tech = staff_of(Role.TECHNICIAN, other_station)
    [far] = assigned_jobs(other_station, other_advisor, other_tech)
    dispatcher = staff_of(Role.DISPATCHER, station)
    for who in (technician, dispatcher):
        client = login(who)
        assert client.get(reverse("workshop:job", args=[far.pk])).status_code == 404
        assert client.post(reverse("workshop:job_clock", args=[far.pk, "start"])).status_code == 404
    assert far.repair_order.number not in login(technician).get(reverse("workshop:my_jobs")).content.decode()


def test_the_dispatcher_opens_any_job_of_the_station_and_clocks_for_the_technician(job, dispatcher, login):
    client = login(dispatcher)
    assert client.get(reverse("workshop:job", args=[job.pk])).status_code == 200
    response = client.post(reverse("workshop:job_clock", args=[job.pk, "start"]), {"version": job.version})
    assert response.status_code == 302
    assert ClockEvent.objects.get().technician == job.technician


# --- the clock through the pages ----------------------------------------------------------


def test_start_pause_resume_and_finish_through_the_pages(job, technician, login):
    client = login(technician)
    url = reverse("workshop:job_clock", args=[job.pk, "start"])
    assert client.post(url, {"version": 0, "back": "list"})["Location"] == reverse("workshop:my_jobs")
    client.post(reverse("workshop:job_clock", args=[job.pk, "pause"]), {"version": 1, "reason": "waiting_parts"})
    job.refresh_from_db()
    assert job.status == JobStatus.PAUSED
    assert job.repair_order.status == ROStatus.IN_PROGRESS  # the pause leaves the card to the dispatcher
    client.post(reverse("workshop:job_clock", args=[job.pk, "resume"]), {"version": 2})
    page = client.get(reverse("workshop:job", args=[job.pk]))
    assert b'data-testid="finish-form"' in page.content
    response = client.post(reverse("workshop:job_finish", args=[job.pk]), {"version": 3, **REPORT})
    assert response["Location"] == reverse("workshop:my_jobs")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.work_done == "更换机滤"
    assert list(job.clock.values_list("kind", flat=True)) == ["start", "pause", "resume", "finish"]


def test_a_refused_start_says_why_and_writes_nothing(station, advisor, technician, login):
    first, second = assigned_jobs(station, advisor, technician, labour=2)
    job_start(job=first, by=technician)
    client = login(technician)
    page = client.post(reverse("workshop:job_clock", args=[second.pk, "start"]), {"back": "list"}, follow=True)
    alert = page.content.decode().split("alert-danger")[1].split("</div>")[0]
    assert first.repair_order.number in alert
    assert Job.objects.get(pk=second.pk).status == JobStatus.ASSIGNED


def test_finishing_without_the_report_shows_the_form_again(job, technician, login):
    job_start(job=job, by=technician)
    client = login(technician)
    page = client.post(
        reverse("workshop:job_finish", args=[job.pk]), {"cause_found": "", "work_done": "x", "result": ""}
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "请记录" in html or "Record the cause" in html
    assert Job.objects.get(pk=job.pk).status == JobStatus.IN_PROGRESS


def test_finishing_a_job_never_started_through_the_page_is_refused(job, technician, login):
    page = login(technician).post(reverse("workshop:job_finish", args=[job.pk]), REPORT)
    assert page.status_code == 422
    assert Job.objects.get(pk=job.pk).status == JobStatus.ASSIGNED


def test_an_unknown_clock_action_is_not_found(job, technician, login):
    assert login(technician).post(reverse("workshop:job_clock", args=[job.pk, "explode"])).status_code == 404
