"""The fault case library: a finished job written up, searched by model and
symptom, printable as the quality information report."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from dealers.models import Role
from reception.models import InquirySheet
from tests.factories import StaffFactory
from tests.reception import conftest as reception_fixtures
from tests.workshop import quality_fixtures
from workshop.cases import case_prefill, case_search, fault_case_create
from workshop.models import FaultCase, Job, JobStatus

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
worked_order = quality_fixtures.worked_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def done_job(worked_order):
    InquirySheet.objects.create(repair_order=worked_order, symptom="冷车启动时发动机舱有异响")
    job = Job.objects.filter(repair_order=worked_order).order_by("pk").first()
    job.cause_found = "正时皮带张紧轮轴承磨损"
    job.work_done = "更换张紧轮"
    job.save()
    return job


def _case(station, staff, model: str, symptom: str, **extra) -> FaultCase:
    return FaultCase.objects.create(
        dealer=station, model=model, symptom=symptom, cause="原因", fix="处理", created_by=staff, **extra
    )


def _jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def test_prefill_comes_from_the_vehicle_the_inquiry_the_job_and_the_parts(done_job):
    vehicle = done_job.repair_order.vehicle
    data = case_prefill(done_job)
    assert (data["make"], data["model"], data["model_year"]) == (vehicle.make, vehicle.model, vehicle.model_year)
    assert data["symptom"] == "冷车启动时发动机舱有异响"
    assert (data["cause"], data["fix"]) == ("正时皮带张紧轮轴承磨损", "更换张紧轮")
    assert data["parts"] == "机油 5W-30 (06L115562) ×4"


def test_only_a_finished_job_is_written_up(done_job, technician):
    Job.objects.filter(pk=done_job.pk).update(status=JobStatus.IN_PROGRESS)
    done_job.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        fault_case_create(job=done_job, by=technician.user, **case_prefill(done_job))
    assert refused.value.code == "job_not_done"
    assert not FaultCase.objects.exists()


def test_a_case_keeps_real_photos_and_refuses_other_files(done_job, technician, media):
    data = case_prefill(done_job)
    fake = SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg")
    with pytest.raises(ValidationError) as refused:
        fault_case_create(job=done_job, by=technician.user, photos=[_jpeg(), fake], **data)
    assert "image" in refused.value.error_dict
    assert not FaultCase.objects.exists()
    case = fault_case_create(job=done_job, by=technician.user, photos=[_jpeg()], **data)
    assert case.photos.count() == 1 and case.created_by == technician


def test_search_by_model_and_symptom_words(station, other_station, technician):
    _case(station, technician, "帕萨特", "刹车时有异响")
    _case(station, technician, "帕萨特", "空调不制冷")
    _case(station, technician, "途观L", "刹车抖动")
    _case(other_station, technician, "帕萨特", "刹车时有异响")
    assert case_search(station, model="帕萨特").count() == 2
    assert [c.symptom for c in case_search(station, model="帕萨特", symptom="刹车")] == ["刹车时有异响"]
    assert case_search(station, symptom="刹车").count() == 2
    assert case_search(station, symptom="刹车 抖动").count() == 1


def test_writing_up_a_case_through_the_page(done_job, technician, login, media):
    client = login(technician)
    url = reverse("workshop:case_new", args=[done_job.pk])
    page = client.get(url).content.decode()
    assert "正时皮带张紧轮轴承磨损" in page and "冷车启动时发动机舱有异响" in page
    data = {**case_prefill(done_job), "model_year": "", "for_warranty": "on", "photos": [_jpeg()]}
    response = client.post(url, data)
    case = FaultCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("workshop:case", args=[case.pk])
    assert case.for_warranty and case.job == done_job and case.photos.count() == 1
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="case-sheet"' in detail and "@media print" in detail
    photo = case.photos.get()
    assert client.get(reverse("workshop:case_photo", args=[case.pk, photo.pk])).status_code == 200


def test_a_case_without_a_symptom_is_not_saved(done_job, technician, login):
    client = login(technician)
    data = {**case_prefill(done_job), "model_year": "", "symptom": " "}
    response = client.post(reverse("workshop:case_new", args=[done_job.pk]), data)
    assert response.status_code == 200
    assert not FaultCase.objects.exists()


def test_library_page_searches_pages_and_shows_an_empty_state(station, technician, login, settings):
    settings.PAGE_SIZE = 3
    client = login(technician)
    empty = client.get(reverse("workshop:cases")).content.decode()
    assert 'data-testid="case-empty"' in empty
    for n in range(5):
        _case(station, technician, "帕萨特", f"刹车异响 {n}")
    _case(station, technician, "途观L", "空调不制冷")
    page = client.get(reverse("workshop:cases"), {"model": "帕萨特"}).content.decode()
    assert page.count('data-testid="case-row"') == 3 and "page=2" in page
    second = client.get(reverse("workshop:cases"), {"model": "帕萨特", "page": 2}).content.decode()
    assert second.count('data-testid="case-row"') == 2
    none = client.get(reverse("workshop:cases"), {"symptom": "变速箱"}).content.decode()
    assert 'data-testid="case-empty"' in none
    box = client.get(reverse("workshop:cases"), {"symptom": "空调", "box": "1"}).content.decode()
    assert box.count('data-testid="case-box-row"') == 1 and "<html" not in box


def test_search_query_count_does_not_grow_with_the_cases(station, technician, login, django_assert_max_num_queries):
    client = login(technician)
    _case(station, technician, "帕萨特", "异响")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("workshop:cases"))
    authors = [StaffFactory(roles=[Role.TECHNICIAN], dealers=[station]) for _ in range(5)]
    for n in range(30):
        _case(station, authors[n % 5], "帕萨特", f"异响 {n}", for_warranty=bool(n % 2))
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("workshop:cases"))


def test_other_stations_cases_and_jobs_are_not_found(done_job, station, technician, staff_of, other_station, login):
    case = _case(station, technician, "帕萨特", "异响")
    client = login(staff_of(Role.TECHNICIAN, other_station))
    assert client.get(reverse("workshop:case", args=[case.pk])).status_code == 404
    assert client.get(reverse("workshop:case_new", args=[done_job.pk])).status_code == 404
    assert 'data-testid="case-row"' not in client.get(reverse("workshop:cases")).content.decode()


def test_roles_for_the_library(done_job, advisor, parts_clerk, login, client):
    assert login(parts_clerk).get(reverse("workshop:cases")).status_code == 403
    client.logout()
    reader = login(advisor)
    assert reader.get(reverse("workshop:cases")).status_code == 200
    assert reader.get(reverse("workshop:case_new", args=[done_job.pk])).status_code == 403
