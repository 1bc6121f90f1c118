"""Fault case photos: only real pictures of a bounded size are kept, a
refusal says why and writes nothing (not even the good photos sent with the
bad one), and a kept photo is stored under a random name that owes nothing
to the client's file name, the repair order or the case number."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from reception import walkaround
from reception.models import InquirySheet
from tests.reception import conftest as reception_fixtures
from tests.workshop import quality_fixtures
from workshop.cases import case_prefill, fault_case_create
from workshop.models import FaultCase, FaultCasePhoto, Job

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
worked_order = quality_fixtures.worked_order

pytestmark = pytest.mark.django_db

RANDOM_NAME = re.compile(r"^cases/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png)$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def done_job(worked_order):
    InquirySheet.objects.create(repair_order=worked_order, symptom="冷车启动时发动机舱有异响")
    job = Job.objects.filter(repair_order=worked_order).order_by("pk").first()
    job.cause_found = "正时皮带张紧轮轴承磨损"
    job.work_done = "更换张紧轮"
    job.save()
    return job


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _picture(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, fmt)
    return out.getvalue()


def _upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _form(job: Job, photos: list[SimpleUploadedFile]) -> dict:
    return {**case_prefill(job), "model_year": "", "photos": photos}


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.mark.parametrize(
    "name, content",
    [
        ("cause.jpg", b"%PDF-1.4 a document named like a photo"),
        ("cause.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("cause.jpg", b"MZ\x90\x00 a program"),
        ("cause.jpg", _picture("JPEG")[:200]),  # a truncated picture
    ],
)
def test_a_file_that_is_not_a_picture_is_refused_on_the_page_and_nothing_is_written(
    done_job, technician, login, media, name, content
):
    response = login(technician).post(
        reverse("workshop:case_new", args=[done_job.pk]), _form(done_job, [_upload(name, content)])
    )
    assert response.status_code == 200
    assert zh("This file is not a picture: choose a JPEG, PNG or WebP photo.") in response.content.decode()
    assert not FaultCase.objects.exists() and not FaultCasePhoto.objects.exists()
    assert _files(media) == []


def test_a_bad_photo_sent_with_good_ones_writes_no_file_at_all(done_job, technician, media):
    photos = [_upload("a.jpg", _picture()), _upload("b.jpg", _picture()), _upload("c.jpg", b"not a picture")]
    with pytest.raises(ValidationError):
        fault_case_create(job=done_job, by=technician.user, photos=photos, **case_prefill(done_job))
    assert not FaultCase.objects.exists()
    assert _files(media) == []


def test_a_picture_over_the_size_limit_is_refused_and_nothing_is_written(done_job, technician, login, media):
    big = _upload("big.png", _picture("PNG") + b"\0" * walkaround.MAX_PHOTO_BYTES, "image/png")
    response = login(technician).post(reverse("workshop:case_new", args=[done_job.pk]), _form(done_job, [big]))
    assert response.status_code == 200
    assert f"{walkaround.MAX_PHOTO_BYTES // 1024 // 1024} MB" in response.content.decode()
    assert not FaultCase.objects.exists()
    assert _files(media) == []


def test_kept_photos_get_random_names_not_the_clients_nor_the_orders(done_job, technician, login, media):
    ro = done_job.repair_order
    client_name = f"{ro.number}-张伟-京A12345-..-..-etc.jpg"
    url = reverse("workshop:case_new", args=[done_job.pk])
    for _ in range(2):
        photos = [_upload(client_name, _picture()), _upload(client_name, _picture())]
        assert login(technician).post(url, _form(done_job, photos)).status_code == 302
    names = [p.image.name for p in FaultCasePhoto.objects.order_by("pk")]
    assert len(names) == 4 and len(set(names)) == 4
    for photo in FaultCasePhoto.objects.all():
        name = photo.image.name
        assert RANDOM_NAME.match(name), name
        assert ro.number not in name and "京A12345" not in name and "etc" not in name
        assert f"case-{photo.case_id}" not in name
        assert (media / name).is_file()


def test_the_extension_is_the_one_pillow_found_not_the_clients(done_job, technician):
    case = fault_case_create(
        job=done_job, by=technician.user, photos=[_upload("photo.jpg", _picture("PNG"))], **case_prefill(done_job)
    )
    name = case.photos.get().image.name
    assert name.endswith(".png") and RANDOM_NAME.match(name)
