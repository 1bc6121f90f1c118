"""The quality check: opened when every job is done, items from the jobs and
the fixed checks, the dispatcher's sign-off, rework, wash and ready."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealers.models import Role
from reception.models import InquirySheet, RepairOrderEvent, ROStatus
from tests.reception import conftest as reception_fixtures
from tests.workshop import quality_fixtures
from tests.workshop.quality_fixtures import finish_jobs, work_done
from workshop import quality
from workshop.models import Job, JobStatus, QualityCheck

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
worked_order = quality_fixtures.worked_order

pytestmark = pytest.mark.django_db


@contextmanager
def _refused(code: str):
    """The service said no, for this reason (the message is translated, the code is not)."""
    with pytest.raises(ValidationError) as refused:
        yield
    assert refused.value.code == code, refused.value


def _fill(check, by, *, fail: set[str] = frozenset()):
    for item in check.items.all():
        failed = item.code in fail
        quality.quality_item_record(item=item, passed=not failed, note="松动" if failed else "", by=by)


def test_quality_check_is_refused_while_a_job_is_unfinished(worked_order, dispatcher):
    Job.objects.filter(repair_order=worked_order).update(status=JobStatus.IN_PROGRESS)
    with _refused("jobs_unfinished"):
        quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    worked_order.refresh_from_db()
    assert worked_order.status == ROStatus.IN_PROGRESS
    assert not QualityCheck.objects.exists()


def test_quality_check_is_refused_before_the_work(priced_order, dispatcher):
    with _refused("not_in_workshop"):
        quality.quality_check_open(repair_order=priced_order, by=dispatcher.user)


def test_items_are_one_per_job_and_the_fixed_checks_without_road_test(worked_order, dispatcher):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    jobs = list(Job.objects.filter(repair_order=worked_order).order_by("pk"))
    codes = [item.code for item in check.items.order_by("pk")]
    fixed = [code for code, _label in quality.FIXED_ITEMS if code != quality.ROAD_TEST]
    assert codes == [f"line:{job.estimate_line_id}" for job in jobs] + fixed
    assert [item.job for item in check.items.order_by("pk")][: len(jobs)] == jobs
    assert check.round == 1
    worked_order.refresh_from_db()
    assert worked_order.status == ROStatus.QUALITY_CHECK


def test_road_test_is_an_item_only_when_the_inquiry_sheet_flags_it(worked_order, dispatcher):
    InquirySheet.objects.create(repair_order=worked_order, symptom="刹车异响", road_test_needed=True)
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    assert check.items.filter(code=quality.ROAD_TEST).exists()


def test_a_technician_fills_items_but_only_the_dispatcher_signs_off(worked_order, dispatcher, technician, manager):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    _fill(check, technician.user)
    check.refresh_from_db()
    assert check.checked_by == technician
    for person in (technician, manager):
        with _refused("not_dispatcher"):
            quality.quality_check_sign_off(quality_check=check, by=person.user)
    check.refresh_from_db()
    assert check.signed_off_at is None and check.passed is None
    quality.quality_check_sign_off(quality_check=check, by=dispatcher.user)
    check.refresh_from_db()
    assert check.passed is True and check.signed_off_by == dispatcher


def test_sign_off_waits_for_every_item(worked_order, dispatcher):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    first = check.items.first()
    quality.quality_item_record(item=first, passed=True, by=dispatcher.user)
    with _refused("incomplete"):
        quality.quality_check_sign_off(quality_check=check, by=dispatcher.user)


def test_a_failed_item_says_what_is_wrong(worked_order, dispatcher):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    item = check.items.first()
    with pytest.raises(ValidationError) as refused:
        quality.quality_item_record(item=item, passed=False, note="  ", by=dispatcher.user)
    assert "note" in refused.value.error_dict
    item.refresh_from_db()
    assert item.passed is None


def test_fail_rework_new_round_pass_wash_ready(worked_order, dispatcher, technician):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    job = Job.objects.filter(repair_order=worked_order).order_by("pk").first()
    _fill(check, technician.user, fail={quality.line_code(job)})
    with _refused("not_passed"):
        quality.quality_check_washed(repair_order=worked_order, by=dispatcher.user)

    quality.quality_check_sign_off(quality_check=check, by=dispatcher.user)
    worked_order.refresh_from_db()
    job.refresh_from_db()
    assert worked_order.status == ROStatus.REWORK
    assert "松动" in RepairOrderEvent.objects.filter(to_status=ROStatus.REWORK).get().note
    # Back to the same technician, to clock it again; the other job stays done.
    assert (job.status, job.technician, job.finished_at) == (JobStatus.ASSIGNED, technician, None)
    assert Job.objects.filter(repair_order=worked_order, status=JobStatus.DONE).count() == 1
    with _refused("closed"):
        quality.quality_item_record(item=check.items.first(), passed=True, by=dispatcher.user)
    with _refused("jobs_unfinished"):
        quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)

    finish_jobs(worked_order, technician)
    second = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    assert second.round == 2
    _fill(second, dispatcher.user)
    quality.quality_check_sign_off(quality_check=second, by=dispatcher.user)
    worked_order.refresh_from_db()
    assert worked_order.status == ROStatus.QUALITY_CHECK
    quality.quality_check_washed(repair_order=worked_order, by=dispatcher.user)
    worked_order.refresh_from_db()
    second.refresh_from_db()
    assert worked_order.status == ROStatus.READY and second.washed_at is not None
    assert quality.rework_count_for_order(worked_order) == 1


def test_a_failed_fixed_item_reopens_the_job_it_names(worked_order, dispatcher, technician):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    job = Job.objects.filter(repair_order=worked_order).order_by("pk").last()
    _fill(check, dispatcher.user)
    loose = check.items.get(code="nothing_loose")
    quality.quality_item_record(item=loose, passed=False, note="轮胎螺栓未紧固", job=job, by=dispatcher.user)
    quality.quality_check_sign_off(quality_check=check, by=dispatcher.user)
    job.refresh_from_db()
    assert job.status == JobStatus.ASSIGNED


def test_a_failed_record_check_without_a_job_reopens_no_job(worked_order, dispatcher):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    _fill(check, dispatcher.user, fail={"records"})
    quality.quality_check_sign_off(quality_check=check, by=dispatcher.user)
    assert not Job.objects.filter(repair_order=worked_order).exclude(status=JobStatus.DONE).exists()
    # The advisor corrects the records; the check opens again straight away.
    assert quality.quality_check_open(repair_order=worked_order, by=dispatcher.user).round == 2


def test_rework_counts_per_order_and_per_technician(
    worked_order, dispatcher, technician, staff_of, station, advisor, ro_vehicle
):
    other_tech = staff_of(Role.TECHNICIAN, station)
    first, second = Job.objects.filter(repair_order=worked_order).order_by("pk")
    Job.objects.filter(pk=second.pk).update(technician=other_tech)
    for round_ in range(2):
        check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
        codes = {quality.line_code(first)} | ({quality.line_code(second)} if round_ == 0 else set())
        _fill(check, dispatcher.user, fail=codes)
        nothing_loose = check.items.get(code="nothing_loose")
        # The same job named twice in one round counts once.
        quality.quality_item_record(item=nothing_loose, passed=False, note="x", job=first, by=dispatcher.user)
        quality.quality_check_sign_off(quality_check=check, by=dispatcher.user)
        finish_jobs(worked_order, technician)
        Job.objects.filter(pk=second.pk).update(technician=other_tech)
    assert quality.rework_count_for_order(worked_order) == 2
    assert quality.rework_counts_by_technician(station) == {technician.pk: 2, other_tech.pk: 1}


# --- the page -------------------------------------------------------------------------


def _url(order, name="workshop:quality", *args):
    return reverse(name, args=[order.pk, *args])


def test_page_query_count_does_not_grow_with_the_jobs(
    priced_order, advisor, technician, dispatcher, login, django_assert_max_num_queries, station, ro_vehicle
):
    small = work_done(priced_order, advisor, technician, extra_jobs=1)
    quality.quality_check_open(repair_order=small, by=dispatcher.user)
    client = login(dispatcher)
    with django_assert_max_num_queries(14) as small_queries:
        assert client.get(_url(small)).status_code == 200
    QualityCheck.objects.all().delete()
    Job.objects.filter(repair_order=small).update(status=JobStatus.DONE)
    small.status = ROStatus.IN_PROGRESS
    small.save(update_fields=["status"])
    for n in range(8):
        quality_fixtures.add_labour(small, f"项目 {n}")
    quality_fixtures.consent_all(small, advisor)
    from workshop.jobs import jobs_sync

    jobs_sync(small)
    finish_jobs(small, technician)
    quality.quality_check_open(repair_order=small, by=dispatcher.user)
    with django_assert_max_num_queries(len(small_queries)):
        response = client.get(_url(small))
    assert response.content.decode().count('data-testid="qc-item"') == 10 + 5


def test_dispatcher_checks_through_the_page(worked_order, dispatcher, login):
    client = login(dispatcher)
    response = client.post(_url(worked_order, "workshop:quality_open"))
    assert response.status_code == 302
    check = QualityCheck.objects.get()
    item = check.items.first()
    response = client.post(
        _url(worked_order, "workshop:quality_item", item.pk), {"result": "fail", "note": ""}, HTTP_HX_REQUEST="true"
    )
    assert 'data-testid="qc-error"' in response.content.decode()
    item.refresh_from_db()
    assert item.passed is None
    for each in check.items.all():
        client.post(_url(worked_order, "workshop:quality_item", each.pk), {"result": "pass"})
    client.post(_url(worked_order, "workshop:quality_sign_off"), {"check": check.pk})
    client.post(_url(worked_order, "workshop:quality_washed"))
    worked_order.refresh_from_db()
    assert worked_order.status == ROStatus.READY
    assert 'data-testid="qc-ready"' in client.get(_url(worked_order)).content.decode()


def test_technician_fills_but_cannot_sign_off_through_the_page(worked_order, dispatcher, technician, login):
    check = quality.quality_check_open(repair_order=worked_order, by=dispatcher.user)
    client = login(technician)
    for each in check.items.all():
        client.post(_url(worked_order, "workshop:quality_item", each.pk), {"result": "pass"})
    assert not check.items.filter(passed__isnull=True).exists()
    page = client.get(_url(worked_order)).content.decode()
    assert 'data-testid="qc-sign-off"' not in page
    client.post(_url(worked_order, "workshop:quality_sign_off"), {"check": check.pk})
    check.refresh_from_db()
    assert check.signed_off_at is None
    assert client.post(_url(worked_order, "workshop:quality_washed")).status_code == 403


def test_roles_on_the_quality_page(worked_order, advisor, parts_clerk, login, client):
    check = quality.quality_check_open(repair_order=worked_order, by=advisor.user)
    assert login(parts_clerk).get(_url(worked_order)).status_code == 403
    client.logout()
    reader = login(advisor)
    assert reader.get(_url(worked_order)).status_code == 200
    item = check.items.first()
    assert reader.post(_url(worked_order, "workshop:quality_item", item.pk), {"result": "pass"}).status_code == 403


def test_other_stations_order_is_not_found(worked_order, staff_of, other_station, login):
    outsider = staff_of(Role.DISPATCHER, other_station)
    client = login(outsider)
    assert client.get(_url(worked_order)).status_code == 404
    assert client.post(_url(worked_order, "workshop:quality_open")).status_code == 404
