"""The station's itemised bill for a charge review: a PDF or a real picture
of a bounded size is kept, anything else is refused with a reason and
nothing written, and a kept bill is stored under a random name that owes
nothing to the client's file name, the ticket or the repair order."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from complaints import bills, services
from complaints.models import ChargeReview, EventKind, Subject
from reception import walkaround
from tests.complaints.conftest import open_complaint

pytestmark = pytest.mark.django_db

RANDOM_NAME = re.compile(r"^complaints/bills/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png)$")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOT_ACCEPTED = "This file is neither a PDF nor a picture: send the bill as a PDF, JPEG, PNG or WebP file."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def charge_ticket(station, agent, car, visit):
    return open_complaint(
        station, agent.user, car, subject=Subject.CHARGES, related_orders=[visit], answers={"charged": "工时费多收"}
    )


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _picture(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (240, 240, 240)).save(out, fmt)
    return out.getvalue()


def _post(client, ticket, upload: SimpleUploadedFile):
    return client.post(reverse("complaints:bill", args=[ticket.pk]), {"bill": upload, "invoice": ""})


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def _nothing_written(media: Path, ticket) -> None:
    assert not ChargeReview.objects.exclude(bill="").exists()
    assert not ticket.events.filter(kind=EventKind.BILL).exists()
    assert _files(media) == []


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("bill.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("bill.pdf", b"MZ\x90\x00 a program", "application/pdf"),
        ("bill.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/jpeg"),
        ("bill.jpg", _picture("JPEG")[:200], "image/jpeg"),  # a truncated picture
        ("bill.pdf", b" %PDF-1.4 the magic not at the start", "application/pdf"),
    ],
)
def test_a_file_that_is_neither_a_pdf_nor_a_picture_is_refused_and_nothing_is_written(
    client, handler, charge_ticket, media, name, content, content_type
):
    client.force_login(handler.user)
    response = _post(client, charge_ticket, SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 400
    assert zh(NOT_ACCEPTED) in response.content.decode()
    _nothing_written(media, charge_ticket)


def test_a_pdf_over_the_size_limit_is_refused_and_nothing_is_written(client, handler, charge_ticket, media):
    client.force_login(handler.user)
    big = SimpleUploadedFile("bill.pdf", PDF + b"\0" * bills.MAX_BILL_BYTES, content_type="application/pdf")
    response = _post(client, charge_ticket, big)
    assert response.status_code == 400
    assert f"{bills.MAX_BILL_BYTES // 1024 // 1024} MB" in response.content.decode()
    _nothing_written(media, charge_ticket)


def test_a_picture_keeps_the_photo_size_limit(handler, charge_ticket, media):
    big = SimpleUploadedFile("bill.png", _picture("PNG") + b"\0" * walkaround.MAX_PHOTO_BYTES, content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        services.charge_bill_provide(complaint=charge_ticket, bill=big, by=handler.user)
    assert f"{walkaround.MAX_PHOTO_BYTES // 1024 // 1024} MB" in refused.value.message_dict["bill"][0]
    _nothing_written(media, charge_ticket)


@pytest.mark.parametrize(
    "content, extension",
    [(PDF, "pdf"), (_picture("JPEG"), "jpg"), (_picture("PNG"), "png")],
)
def test_a_kept_bill_gets_a_random_name_with_the_extension_of_its_content(
    client, handler, charge_ticket, visit, media, content, extension
):
    client.force_login(handler.user)
    client_name = f"{visit.number}-{charge_ticket.number}-王建国-京A12345-..-..-etc.exe"
    response = _post(client, charge_ticket, SimpleUploadedFile(client_name, content, content_type="application/pdf"))
    assert response.status_code == 302
    name = ChargeReview.objects.get(complaint=charge_ticket).bill.name
    assert RANDOM_NAME.match(name) and name.endswith(f".{extension}"), name
    for told in (visit.number, charge_ticket.number, "京A12345", "王建国", "etc", "exe"):
        assert told not in name
    assert (media / name).read_bytes() == content
    assert _files(media) == [media / name]


def test_two_bills_never_share_a_name(handler, agent, station, car, visit, media):
    names = []
    for _ in range(2):
        ticket = open_complaint(
            station, agent.user, car, subject=Subject.CHARGES, related_orders=[visit], answers={"charged": "多收"}
        )
        upload = SimpleUploadedFile("bill.pdf", PDF, content_type="application/pdf")
        names.append(services.charge_bill_provide(complaint=ticket, bill=upload, by=handler.user).bill.name)
    assert names[0] != names[1] and all(RANDOM_NAME.match(n) for n in names)


def test_the_admin_cannot_replace_a_bill_past_the_check(client, handler, charge_ticket, media):
    services.charge_bill_provide(
        complaint=charge_ticket,
        bill=SimpleUploadedFile("bill.pdf", PDF, content_type="application/pdf"),
        by=handler.user,
    )
    review = ChargeReview.objects.get()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-the-test")
    client.force_login(admin)
    page = client.get(reverse("admin:complaints_chargereview_change", args=[review.pk]))
    assert page.status_code == 200
    assert 'type="file"' not in page.content.decode()
    # The bill opens through the view that checks who asks, never from /media/.
    assert reverse("complaints:bill_file", args=[charge_ticket.pk]) in page.content.decode()
    assert "/media/" not in page.content.decode()
