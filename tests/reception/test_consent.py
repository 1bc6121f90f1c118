"""The customer's consent: what is frozen, the signature, the guard that no
RO opens without it, and when a later change needs a new one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from reception import estimates
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    IssueNoticeStatus,
    LineKind,
    PartsIssueNotice,
    PartsOrder,
    PartsOrderStatus,
    ROStatus,
)
from reception.services import repair_order_transition
from tests.reception import estimate_fixtures as fixtures
from tests.reception.conftest import add_line
from tests.reception.estimate_fixtures import agree, data_url, signature_png

pytestmark = pytest.mark.django_db

# The shared fixtures, by name, for pytest to find.
brake_pads = fixtures.brake_pads
oil = fixtures.oil


def test_consent_freezes_what_was_agreed_and_opens_the_order(priced_order, advisor):
    priced_order.promised_at = timezone.now() + dt.timedelta(hours=3)
    priced_order.tolerance_amount, priced_order.tolerance_minutes = Decimal("50"), 30
    priced_order.save()
    outcome = agree(priced_order, advisor.user)
    consent = outcome.consent
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.OPEN
    assert priced_order.events.get().to_status == ROStatus.OPEN
    assert consent.total == Decimal("601.16")
    agreed = consent.agreed
    assert [line["description"] for line in agreed["lines"]] == ["更换机油机滤", "机油 5W-30"]
    assert set(agreed["lines"][0]) >= {"description", "quantity", "unit_price", "discount", "amount", "pay_type"}
    assert agreed["totals"]["total"] == "601.16" and agreed["tolerance"] == {"amount": "50.00", "minutes": 30}
    assert agreed["promised_at"] == priced_order.promised_at.isoformat()
    assert (consent.tolerance_amount, consent.tolerance_minutes, consent.signed_by_name) == (
        Decimal("50"),
        30,
        "王建国",
    )


def test_an_estimate_with_no_lines_cannot_be_agreed(repair_order, advisor):
    with pytest.raises(ValidationError, match=r"no lines|没有"):
        agree(repair_order, advisor.user)
    repair_order.refresh_from_db()
    assert repair_order.status == ROStatus.DRAFT and not ConsentRecord.objects.exists()


def test_no_order_opens_without_consent(priced_order, advisor):
    with pytest.raises(ValidationError):
        repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN, by=advisor.user)
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.DRAFT


def test_a_consent_record_is_immutable(priced_order, advisor):
    consent = agree(priced_order, advisor.user).consent
    consent.total = Decimal("1")
    with pytest.raises(ValueError):
        consent.save()
    with pytest.raises(ValueError):
        consent.delete()
    assert ConsentRecord.objects.get().total == Decimal("601.16")


def test_a_later_change_beyond_the_tolerance_needs_a_new_consent(priced_order, advisor):
    priced_order.tolerance_amount = Decimal("100")
    priced_order.save()
    agree(priced_order, advisor.user)
    priced_order.refresh_from_db()
    assert estimates.consent_covers(priced_order)
    # +¥90 net, +¥101.70 with VAT: beyond ¥100.
    add_line(priced_order, LineKind.PART, quantity="1", unit_price="90", description="空调滤芯")
    assert not estimates.consent_covers(priced_order)
    agree(priced_order, advisor.user, now=timezone.now() + dt.timedelta(minutes=1))
    assert estimates.consent_covers(priced_order) and priced_order.consents.count() == 2


def test_a_later_change_within_the_tolerance_needs_none(priced_order, advisor):
    priced_order.tolerance_amount = Decimal("100")
    priced_order.save()
    agree(priced_order, advisor.user)
    add_line(priced_order, LineKind.PART, quantity="1", unit_price="80", description="空调滤芯")  # +¥90.40
    assert estimates.consent_covers(priced_order)


def test_a_delay_beyond_the_time_tolerance_needs_a_new_consent(priced_order, advisor):
    promised = timezone.now() + dt.timedelta(hours=4)
    priced_order.promised_at, priced_order.tolerance_minutes = promised, 30
    priced_order.save()
    agree(priced_order, advisor.user)
    priced_order.promised_at = promised + dt.timedelta(minutes=30)
    assert estimates.consent_covers(priced_order)
    priced_order.promised_at = promised + dt.timedelta(minutes=31)
    assert not estimates.consent_covers(priced_order)


def test_without_a_consent_nothing_is_covered(priced_order):
    assert not estimates.consent_covers(priced_order)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not a data url",
        data_url(b"GIF89a" + b"\0" * 100, "image/png"),
        data_url(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20),
        "data:image/png;base64,@@@notbase64@@@",
        data_url(signature_png(ink=False)),
        data_url(signature_png(size=(120, 40))),
    ],
    ids=["empty", "text", "gif-bytes", "broken-png", "bad-base64", "blank", "too-small"],
)
def test_a_blank_or_non_png_signature_is_refused(value):
    with pytest.raises(ValidationError):
        estimates.decode_signature(value)


def test_a_drawn_signature_is_decoded():
    raw = signature_png()
    assert estimates.decode_signature(data_url(raw)) == raw


def test_the_consent_page_records_a_drawn_signature(priced_order, advisor, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(advisor)
    page = client.get(reverse("reception:consent", args=[priced_order.pk]))
    assert page.status_code == 200 and "601.16" in page.content.decode()
    response = client.post(
        reverse("reception:consent", args=[priced_order.pk]),
        {"method": ConsentMethod.SIGNATURE_PAD, "signed_by_name": "王建国", "signature": data_url(signature_png())},
    )
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert consent.signature.name.endswith(".png")
    with consent.signature.open("rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.OPEN


def test_a_blank_pad_is_refused_on_the_page_and_nothing_written(priced_order, advisor, login):
    response = login(advisor).post(
        reverse("reception:consent", args=[priced_order.pk]),
        {
            "method": ConsentMethod.SIGNATURE_PAD,
            "signed_by_name": "王建国",
            "signature": data_url(signature_png(ink=False)),
        },
    )
    assert response.status_code == 422
    assert not ConsentRecord.objects.exists()
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.DRAFT


def test_signed_on_the_printed_estimate(priced_order, advisor, login):
    response = login(advisor).post(
        reverse("reception:consent", args=[priced_order.pk]),
        {"method": ConsentMethod.PRINTED, "signed_by_name": "王建国"},
    )
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert consent.method == ConsentMethod.PRINTED and not consent.signature and consent.recorded_by == advisor.user


def test_a_discount_above_the_limit_without_approval_cannot_be_agreed(repair_order, advisor):
    add_line(repair_order, LineKind.LABOUR, quantity="1", unit_price="180", discount="50", description="x")
    with pytest.raises(ValidationError):
        agree(repair_order, advisor.user)


def test_consent_hands_the_parts_to_the_parts_clerk(repair_order, advisor, oil, brake_pads):
    estimates.part_line_add(repair_order=repair_order, part=oil, quantity="4")
    estimates.part_line_add(repair_order=repair_order, part=brake_pads, quantity="1")
    estimates.free_part_line_add(
        repair_order=repair_order, part_number="X-1", description="饰条", quantity="1", unit_price="30"
    )
    outcome = agree(repair_order, advisor.user)
    notice = outcome.notice
    assert notice.status == IssueNoticeStatus.OPEN
    assert [(x.part, x.quantity) for x in notice.lines.all()] == [(oil, Decimal("4"))]
    order = outcome.parts_order
    assert order.status == PartsOrderStatus.REQUESTED
    assert sorted(x.estimate_line.part_number for x in order.lines.all()) == ["5Q0698151", "X-1"]
    # A second consent hands over only what is new.
    add_line(
        repair_order, LineKind.PART, quantity="1", unit_price="10", description="螺丝", part=oil, part_number=oil.number
    )
    second = agree(repair_order, advisor.user, now=timezone.now() + dt.timedelta(minutes=5))
    assert PartsIssueNotice.objects.count() == 2 and second.notice.lines.count() == 1
    assert second.parts_order is None and PartsOrder.objects.count() == 1


def test_the_deposit_is_taken_on_the_consent_page(repair_order, advisor, login, brake_pads):
    estimates.part_line_add(repair_order=repair_order, part=brake_pads, quantity="1")
    order = agree(repair_order, advisor.user).parts_order
    client = login(advisor)
    url = reverse("reception:deposit", args=[repair_order.pk, order.pk])
    missing = client.post(url, {"amount": "200", "method": "wechat", "receipt": ""})
    assert missing.status_code == 422
    order.refresh_from_db()
    assert order.deposit == 0
    client.post(url, {"amount": "200", "method": "wechat", "receipt": "DJ-0001"})
    order.refresh_from_db()
    assert (order.deposit, order.deposit_method, order.deposit_receipt) == (Decimal("200"), "wechat", "DJ-0001")


def test_another_stations_consent_page_is_not_found(priced_order, other_advisor, login):
    client = login(other_advisor)
    assert client.get(reverse("reception:consent", args=[priced_order.pk])).status_code == 404
    response = client.post(
        reverse("reception:consent", args=[priced_order.pk]), {"method": ConsentMethod.PRINTED, "signed_by_name": "x"}
    )
    assert response.status_code == 404 and not ConsentRecord.objects.exists()
