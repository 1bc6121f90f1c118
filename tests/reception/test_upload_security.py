"""Walk-around photo uploads: only real pictures of a bounded size are kept,
refusals say why in Chinese and write no file, and a kept photo is stored
under a random name that owes nothing to the client's file name."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from reception import walkaround as services
from reception.models import RepairOrder, WalkAroundPhoto

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RANDOM_NAME = re.compile(r"^walkaround/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png)$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _url(ro: RepairOrder) -> str:
    return reverse("reception:walkaround_photo_add", args=[ro.pk])


def _picture(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, fmt)
    return out.getvalue()


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.mark.parametrize(
    "name, content",
    [
        ("front.jpg", b"%PDF-1.4 a document named like a photo"),
        ("front.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("front.jpg", b"MZ\x90\x00 a program"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused_in_chinese_and_nothing_is_written(
    repair_order, advisor, login, media, name, content
):
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = login(advisor).post(_url(repair_order), {"image": upload}, **HTMX)
    html = response.content.decode()
    assert 'data-testid="photo-error"' in html
    assert zh("This file is not a picture: choose a JPEG, PNG or WebP photo.") in html
    assert not WalkAroundPhoto.objects.exists()
    assert _files(media) == []


def test_a_picture_over_the_size_limit_is_refused_and_nothing_is_written(repair_order, advisor, login, media):
    big = SimpleUploadedFile("big.png", _picture("PNG") + b"\0" * services.MAX_PHOTO_BYTES, content_type="image/png")
    html = login(advisor).post(_url(repair_order), {"image": big}, **HTMX).content.decode()
    assert 'data-testid="photo-error"' in html
    assert f"{services.MAX_PHOTO_BYTES // 1024 // 1024} MB" in html
    assert not WalkAroundPhoto.objects.exists()
    assert _files(media) == []


def test_the_limits_are_bounded(settings):
    assert services.MAX_PHOTO_BYTES <= 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 20


def test_a_kept_photo_gets_a_random_name_not_the_clients(repair_order, advisor, login, media):
    client = login(advisor)
    for _ in range(2):
        upload = SimpleUploadedFile("张伟-京A12345-../../etc.jpg", _picture("JPEG"), content_type="image/jpeg")
        client.post(_url(repair_order), {"image": upload}, **HTMX)
    names = [p.image.name for p in WalkAroundPhoto.objects.order_by("pk")]
    assert len(names) == 2 and names[0] != names[1]
    for name in names:
        assert RANDOM_NAME.match(name), name
        assert "京A12345" not in name and "etc" not in name and repair_order.number not in name
        assert (media / name).is_file()


def test_the_extension_is_the_one_pillow_found_not_the_clients(repair_order, advisor):
    upload = SimpleUploadedFile("photo.jpg", _picture("PNG"), content_type="image/jpeg")
    photo = services.walk_around_photo_add(repair_order=repair_order, upload=upload, by=advisor.user)
    assert photo.image.name.endswith(".png") and RANDOM_NAME.match(photo.image.name)
