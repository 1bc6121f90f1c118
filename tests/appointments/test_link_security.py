"""The booking link sent to customers (view, cancel, move): signed for this
purpose only, expiring, and a cancellation is done once. Every refusal shows
a page in the customer's language, changes nothing and leaves one log line
with the purpose, the reason and the client's address, never the token."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from appointments import public
from appointments.models import Appointment, AppointmentEvent, Status
from dealers import links
from tests.appointments.public_fixtures import (  # noqa: F401
    PHONE,
    _fresh_rate_limits,
    at,
    next_open_day,
)

pytestmark = pytest.mark.django_db

DAY = next_open_day(2)
CLIENT_IP = "203.0.113.7"
INVALID = "This link is not valid. Please use the link exactly as you received it."


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.fixture
def booked(open_workshop, oil_change, known_car, advisor) -> Appointment:
    return public.appointment_book_online(
        station=open_workshop,
        plate=known_car.plate,
        phone=PHONE,
        operations=[oil_change],
        packages=[],
        arrives_at=at(DAY, 9),
    )


def _url(token: str) -> str:
    return reverse("public_booking:manage", kwargs={"token": token})


def _refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == links.logger.name and r.levelno == logging.WARNING]


def _assert_logged(caplog, reason: str, token: str) -> None:
    lines = _refusals(caplog)
    assert len(lines) == 1, lines
    assert f"purpose=booking reason={reason} ip={CLIENT_IP}" in lines[0]
    assert token not in lines[0] and token.split(":")[0] not in lines[0], "no token in the log"


def _tampered(token: str) -> str:
    return token[:-2] + ("AA" if token[-2:] != "AA" else "BB")


def test_a_tampered_link_is_refused_in_chinese_and_logged(client, booked, caplog):
    token = _tampered(public.link_token(booked))
    with caplog.at_level(logging.WARNING):
        response = client.post(_url(token), {"action": "cancel"}, REMOTE_ADDR=CLIENT_IP)
    assert response.status_code == 400
    assert zh(INVALID) in response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    booked.refresh_from_db()
    assert booked.status == Status.BOOKED
    _assert_logged(caplog, "tampered", token)


def test_an_altered_payload_with_the_old_signature_is_refused_as_tampered(client, booked, caplog):
    token = public.link_token(booked)
    payload, rest = token.split(":", 1)
    other = signing.b64_encode(b'{"a":999,"d":1,"x":9999999999}').decode()
    forged = f"{other}:{rest}"
    assert payload != other
    with caplog.at_level(logging.WARNING):
        assert client.get(_url(forged), REMOTE_ADDR=CLIENT_IP).status_code == 400
    _assert_logged(caplog, "tampered", forged)


def test_an_expired_link_is_refused_and_logged_once_the_clock_passes_its_max_age(client, booked, caplog, monkeypatch):
    token = public.link_token(booked)
    assert client.get(_url(token), REMOTE_ADDR=CLIENT_IP).status_code == 200
    later = booked.arrives_at + public.LINK_VALID_AFTER_ARRIVAL + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with caplog.at_level(logging.WARNING):
        response = client.post(_url(token), {"action": "cancel"}, REMOTE_ADDR=CLIENT_IP)
    assert response.status_code == 410
    assert zh("This link has expired: it was valid until one day after the appointment.") in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Status.BOOKED
    _assert_logged(caplog, "expired", token)


def test_the_max_age_comes_from_the_settings():
    from django.conf import settings

    assert dt.timedelta(hours=settings.CUSTOMER_LINK_BOOKING_AFTER_ARRIVAL_HOURS) == public.LINK_VALID_AFTER_ARRIVAL


def test_a_second_cancel_through_the_same_link_is_refused_and_logged_as_a_replay(client, booked, caplog):
    token = public.link_token(booked)
    first = client.post(_url(token), {"action": "cancel"}, REMOTE_ADDR=CLIENT_IP)
    assert first.status_code == 302
    with caplog.at_level(logging.WARNING):
        again = client.post(_url(token), {"action": "cancel"}, REMOTE_ADDR=CLIENT_IP, follow=True)
    assert zh("This appointment can no longer be cancelled online.") in again.content.decode()
    assert AppointmentEvent.objects.filter(appointment=booked, to_status=Status.CANCELLED).count() == 1
    _assert_logged(caplog, "replayed", token)


def test_a_second_cancel_through_the_api_is_refused_and_logged_as_a_replay(client, booked, caplog):
    token = public.link_token(booked)
    url = reverse("api:booking_cancel", kwargs={"token": token})
    assert client.post(url, REMOTE_ADDR=CLIENT_IP).status_code == 200
    with caplog.at_level(logging.WARNING):
        again = client.post(url, REMOTE_ADDR=CLIENT_IP)
    assert again.status_code == 400
    assert AppointmentEvent.objects.filter(appointment=booked, to_status=Status.CANCELLED).count() == 1
    _assert_logged(caplog, "replayed", token)


def test_an_approval_link_does_not_open_a_booking(client, booked, caplog):
    """A genuine approval link (workshop.findings' purpose), even one whose
    content looks like a booking's, is refused as the wrong purpose."""
    from workshop import findings

    approval = signing.Signer(salt=findings.LINK_SALT).sign_object({"f": booked.pk, "s": 0})
    lookalike = signing.dumps(
        {"a": booked.pk, "d": booked.dealer_id, "x": int(timezone.now().timestamp()) + 3600},
        salt=links.salt(links.APPROVAL),
    )
    with caplog.at_level(logging.WARNING):
        response = client.post(_url(lookalike), {"action": "cancel"}, REMOTE_ADDR=CLIENT_IP)
    assert response.status_code == 400 and zh(INVALID) in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Status.BOOKED
    _assert_logged(caplog, "wrong_purpose", lookalike)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert client.get(_url(approval), REMOTE_ADDR=CLIENT_IP).status_code == 400
    _assert_logged(caplog, "wrong_purpose", approval)


def test_the_api_logs_a_tampered_token_too(client, booked, caplog):
    token = _tampered(public.link_token(booked))
    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("api:booking", kwargs={"token": token}), REMOTE_ADDR=CLIENT_IP)
    assert response.status_code == 400 and response.json()["code"] == "invalid_link"
    _assert_logged(caplog, "tampered", token)


def test_the_refusal_page_follows_the_language_the_customer_chose(client, booked, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(_url(_tampered(public.link_token(booked))))
    assert response.status_code == 400 and INVALID in response.content.decode()
    assert response["Content-Language"] == "en"
