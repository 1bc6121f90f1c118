"""Stored uploads (the customer's signature on a consent, a finding's photos,
a complaint's uploaded bill) are served through views that check the row's
station, never from the media folder: the site does not serve /media/, and a
web server that did would hand the files to anyone with the address.

Each kind: the staff of the row's station get the file inline with its type
and a private cache; another station's staff get 404; a signed-out visitor is
sent to sign in; the page that shows the file links the checked URL."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import ChargeReview
from dealers.models import JobType, Role
from reception.models import ConsentMethod, ConsentRecord, EstimateLine, LineKind, PayType, RepairOrder, ROStatus
from tests.factories import DealerFactory, StaffFactory, VehicleFactory, complaint_ticket
from workshop.models import Finding, FindingLine, FindingPhoto

pytestmark = pytest.mark.django_db

# A 1×1 PNG and the smallest PDF the bill check keeps.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e527de0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored(folder: str, extension: str, content: bytes) -> str:
    return default_storage.save(f"{folder}/{next(_n):08x}{extension}", ContentFile(content))


def _rows(station, tag: str, *, bill: bytes = PDF, bill_extension: str = ".pdf") -> SimpleNamespace:
    """A repair order with a signed consent and a finding with a photo, and a
    complaint with an uploaded bill, all of `station`."""
    advisor = StaffFactory(roles=[Role.SERVICE_ADVISOR], dealers=[station])
    technician = StaffFactory(roles=[Role.TECHNICIAN], dealers=[station])
    car = VehicleFactory(owner__dealer=station, owner__name=f"{tag}客户")
    now = timezone.now()
    ro = RepairOrder.objects.create(
        dealer=station,
        number=f"{tag}R{next(_n):04d}",
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.REPAIR,
        status=ROStatus.IN_PROGRESS,
    )
    EstimateLine.objects.create(
        repair_order=ro,
        kind=LineKind.LABOUR,
        description="更换前刹车片",
        quantity=Decimal("1"),
        unit_price=Decimal("180"),
        amount=Decimal("180"),
        pay_type=PayType.CUSTOMER,
    )
    consent = ConsentRecord.objects.create(
        repair_order=ro,
        method=ConsentMethod.SIGNATURE_PAD,
        signature=_stored("signatures", ".png", PNG),
        signed_by_name="王建国",
        agreed={},
        total=Decimal("180"),
        recorded_by=advisor.user,
        recorded_at=now,
    )
    finding = Finding.objects.create(
        dealer=station,
        repair_order=ro,
        description="刹车片磨损",
        urgency="yellow",
        found_by=technician,
        found_at=now,
    )
    FindingLine.objects.create(
        finding=finding,
        kind=LineKind.LABOUR,
        description="更换后刹车片",
        quantity=Decimal("1"),
        unit_price=Decimal("180"),
        amount=Decimal("180"),
    )
    photo = FindingPhoto.objects.create(finding=finding, image=_stored("findings", ".png", PNG))
    ticket = complaint_ticket(
        station=station, customer=car.owner, taken_by=advisor.user, words="收费不合理", subject="charges", now=now
    )
    review = ChargeReview.objects.create(
        complaint=ticket,
        bill=_stored("complaints/bills", bill_extension, bill),
        provided_by=advisor.user,
        provided_at=now,
    )
    return SimpleNamespace(ro=ro, consent=consent, finding=finding, photo=photo, ticket=ticket, review=review)


@dataclass(frozen=True)
class Kind:
    """One kind of stored file: its URL, the page that shows it, who opens it."""

    role: str
    url: Callable[[SimpleNamespace], str]
    page: Callable[[SimpleNamespace], str]
    content: bytes
    content_type: str


KINDS = {
    "consent_signature": Kind(
        Role.SERVICE_ADVISOR,
        lambda r: reverse("reception:consent_signature", args=[r.ro.pk, r.consent.pk]),
        lambda r: reverse("reception:consent", args=[r.ro.pk]),
        PNG,
        "image/png",
    ),
    "finding_photo": Kind(
        Role.TECHNICIAN,
        lambda r: reverse("workshop:finding_photo", args=[r.ro.pk, r.finding.pk, r.photo.pk]),
        lambda r: reverse("workshop:findings", args=[r.ro.pk]),
        PNG,
        "image/png",
    ),
    "complaint_bill": Kind(
        Role.SERVICE_ADVISOR,
        lambda r: reverse("complaints:bill_file", args=[r.ticket.pk]),
        lambda r: reverse("complaints:detail", args=[r.ticket.pk]),
        PDF,
        "application/pdf",
    ),
}


@pytest.fixture
def station(db):
    return DealerFactory(code="fl01", name="北京朝阳服务站")


@pytest.fixture
def other_station(db):
    return DealerFactory(code="fl02", name="上海浦东服务站")


@pytest.fixture
def rows(station):
    return _rows(station, "本站")


@pytest.fixture
def other_rows(other_station):
    return _rows(other_station, "外站")


def _client(role: str, station) -> Client:
    client = Client()
    client.force_login(StaffFactory(roles=[role], dealers=[station]).user)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", KINDS)
def test_the_stations_staff_get_the_file_inline_and_kept_out_of_shared_caches(name, station, rows):
    kind = KINDS[name]
    response = _client(kind.role, station).get(kind.url(rows))
    assert response.status_code == 200
    assert _body(response) == kind.content
    assert response["Content-Type"] == kind.content_type
    assert response["Content-Disposition"].startswith("inline;")
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", KINDS)
def test_another_stations_staff_get_404_for_the_file(name, rows, other_station, other_rows):
    kind = KINDS[name]
    theirs = _client(kind.role, other_station)
    assert theirs.get(kind.url(rows)).status_code == 404
    assert theirs.get(kind.url(other_rows)).status_code == 200  # their own station's file opens


@pytest.mark.parametrize("name", KINDS)
def test_a_signed_out_visitor_is_sent_to_sign_in_instead_of_the_file(name, client, rows):
    response = client.get(KINDS[name].url(rows))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize("name", KINDS)
def test_the_page_that_shows_the_file_links_the_checked_url_not_the_media_folder(name, station, rows):
    kind = KINDS[name]
    response = _client(kind.role, station).get(kind.page(rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert kind.url(rows) in page
    assert "/media/" not in page


def test_a_role_that_may_not_open_the_consent_page_may_not_open_the_signature(station, rows):
    assert _client(Role.CASHIER, station).get(KINDS["consent_signature"].url(rows)).status_code == 403


def test_a_photo_is_found_only_under_its_own_finding(station, rows):
    """The station check goes through the row: another finding's number in the
    path does not reach this finding's photo."""
    other_finding = Finding.objects.create(
        dealer=rows.ro.dealer,
        repair_order=rows.ro,
        description="雨刮老化",
        urgency="green",
        found_by=rows.finding.found_by,
        found_at=timezone.now(),
    )
    url = reverse("workshop:finding_photo", args=[rows.ro.pk, other_finding.pk, rows.photo.pk])
    assert _client(Role.TECHNICIAN, station).get(url).status_code == 404


def test_the_call_center_opens_any_stations_bill_like_the_ticket(station, other_rows):
    """The call center's engineers review every station's bills (the ticket page opens for them too)."""
    agent = _client(Role.CALL_CENTER, station)
    assert agent.get(reverse("complaints:detail", args=[other_rows.ticket.pk])).status_code == 200
    response = agent.get(KINDS["complaint_bill"].url(other_rows))
    assert response.status_code == 200
    assert _body(response) == PDF


def test_a_picture_bill_is_served_as_a_picture(station):
    rows = _rows(station, "本站", bill=PNG, bill_extension=".png")
    response = _client(Role.SERVICE_ADVISOR, station).get(KINDS["complaint_bill"].url(rows))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")


def test_a_stored_file_of_another_type_is_downloaded_never_shown_as_a_page(station):
    """A bill stored before the content check kept its own extension: an .html
    file is not rendered on the site's own address."""
    rows = _rows(station, "本站", bill=b"<script>alert(1)</script>", bill_extension=".html")
    response = _client(Role.SERVICE_ADVISOR, station).get(KINDS["complaint_bill"].url(rows))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_file_gone_from_storage_is_404(station, rows):
    default_storage.delete(rows.photo.image.name)
    assert _client(Role.TECHNICIAN, station).get(KINDS["finding_photo"].url(rows)).status_code == 404


def test_a_ticket_without_an_uploaded_bill_has_no_file(station, rows):
    ChargeReview.objects.filter(pk=rows.review.pk).update(bill="")
    assert _client(Role.SERVICE_ADVISOR, station).get(KINDS["complaint_bill"].url(rows)).status_code == 404
