"""The additional-work approval link sent to customers: signed for this
purpose only, expiring, and answered once. Every refusal shows a page in the
customer's language, decides nothing and leaves one log line with the
purpose, the reason and the client's address, never the token."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from appointments import public
from appointments.models import Appointment
from dealers import links
from tests.reception import conftest as reception_fixtures
from tests.workshop import findings_fixtures
from workshop import findings as service
from workshop.models import Decision, FindingLine

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
finding = findings_fixtures.finding

pytestmark = pytest.mark.django_db

CLIENT_IP = "198.51.100.23"
INVALID = "This link is not valid. Please use the link exactly as you received it."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def _url(token: str) -> str:
    return reverse("workshop:approve", args=[token])


def _answer(finding, labour_decision, part_decision) -> dict:
    labour = finding.lines.get(kind="labour")
    part = finding.lines.get(kind="part")
    return {f"line_{labour.pk}": labour_decision, f"line_{part.pk}": part_decision}


def _nothing_decided(finding) -> bool:
    return not FindingLine.objects.filter(finding=finding).exclude(decision=Decision.PENDING).exists()


def _assert_logged(caplog, reason: str, token: str) -> None:
    lines = [r.getMessage() for r in caplog.records if r.name == links.logger.name and r.levelno == logging.WARNING]
    assert len(lines) == 1, lines
    assert f"purpose=approval reason={reason} ip={CLIENT_IP}" in lines[0]
    assert token not in lines[0] and token.split(":")[0] not in lines[0], "no token in the log"


def test_a_tampered_approval_link_is_refused_in_chinese_and_logged(client, finding, advisor, caplog):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    with caplog.at_level(logging.WARNING):
        response = client.post(
            _url(tampered), _answer(finding, Decision.APPROVED, Decision.APPROVED), REMOTE_ADDR=CLIENT_IP
        )
    assert response.status_code == 400 and 'data-reason="tampered"' in response.content.decode()
    assert zh(INVALID) in response.content.decode()
    assert _nothing_decided(finding)
    _assert_logged(caplog, "tampered", tampered)


def test_an_expired_approval_link_is_refused_and_logged_once_the_clock_passes_its_max_age(
    client, finding, advisor, caplog, monkeypatch
):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    later = timezone.now() + service.LINK_VALID + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with caplog.at_level(logging.WARNING):
        response = client.post(
            _url(token), _answer(finding, Decision.APPROVED, Decision.APPROVED), REMOTE_ADDR=CLIENT_IP
        )
    assert response.status_code == 410 and 'data-reason="expired"' in response.content.decode()
    assert zh("This link has expired. Please call us for a new one.") in response.content.decode()
    assert _nothing_decided(finding)
    _assert_logged(caplog, "expired", token)


def test_the_max_age_comes_from_the_settings():
    from django.conf import settings

    assert dt.timedelta(hours=settings.CUSTOMER_LINK_APPROVAL_HOURS) == service.LINK_VALID


def test_a_second_answer_through_the_same_link_is_refused_and_logged_as_a_replay(client, finding, advisor, caplog):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    done = client.post(_url(token), _answer(finding, Decision.APPROVED, Decision.DECLINED), REMOTE_ADDR=CLIENT_IP)
    assert done.status_code == 200 and 'data-testid="approve-done"' in done.content.decode()
    consents = finding.repair_order.consents.count()
    with caplog.at_level(logging.WARNING):
        again = client.post(_url(token), _answer(finding, Decision.DECLINED, Decision.APPROVED), REMOTE_ADDR=CLIENT_IP)
    assert 'data-reason="used"' in again.content.decode()
    assert zh("You have already decided on this work. Thank you.") in again.content.decode()
    assert finding.lines.get(kind="labour").decision == Decision.APPROVED
    assert finding.lines.get(kind="part").decision == Decision.DECLINED
    assert finding.repair_order.consents.count() == consents
    _assert_logged(caplog, "replayed", token)


def test_a_booking_link_does_not_open_an_approval(client, finding, advisor, station, caplog):
    """A genuine booking link (appointments.public's purpose), and a token of
    the approval's own shape signed for bookings, are refused as the wrong purpose."""
    service.finding_link_send(finding=finding, by=advisor.user)
    finding.refresh_from_db()
    booking = public.link_token(Appointment(pk=finding.pk, dealer=station, arrives_at=timezone.now()))
    lookalike = signing.Signer(salt=links.salt(links.BOOKING)).sign_object(
        {"f": finding.pk, "s": int(finding.link_sent_at.timestamp() * 1_000_000)}
    )
    for token in (lookalike, booking):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = client.post(
                _url(token), _answer(finding, Decision.APPROVED, Decision.APPROVED), REMOTE_ADDR=CLIENT_IP
            )
        assert response.status_code == 400 and 'data-reason="wrong_purpose"' in response.content.decode()
        assert zh(INVALID) in response.content.decode()
        _assert_logged(caplog, "wrong_purpose", token)
    assert _nothing_decided(finding)
