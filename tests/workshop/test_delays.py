"""Delays: recorded once per order until agreed; the customer's agreement is a
consent with the new promised time; the badge until then."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reception.models import ConsentMethod, RepairOrder
from tests.reception import conftest as reception_fixtures
from tests.workshop import findings_fixtures
from workshop.delays import delay_agree, delay_report, unagreed_delay, with_delay_flag
from workshop.jobs import consented_line_ids
from workshop.models import Delay

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order

pytestmark = pytest.mark.django_db


def _badge(ro) -> str:
    flagged = with_delay_flag(RepairOrder.objects.filter(pk=ro.pk)).get()
    return render_to_string("workshop/_delay_badge.html", {"repair_order": flagged})


def test_a_reported_delay_shows_until_the_customer_agrees(working_order, dispatcher, advisor):
    promised = working_order.promised_at
    delay = delay_report(
        repair_order=working_order,
        forecast_ready_at=promised + dt.timedelta(hours=2),
        reason="等配件",
        by=dispatcher.user,
    )
    assert delay.promised_at == promised and delay.reported_by == dispatcher
    assert 'data-testid="delay-not-agreed"' in _badge(working_order)
    new_time = promised + dt.timedelta(hours=2)
    delay_agree(
        delay=delay,
        new_promised_at=new_time,
        method=ConsentMethod.PHONE,
        signed_by_name="王建国",
        note="同意晚两小时",
        by=advisor.user,
    )
    delay.refresh_from_db()
    working_order.refresh_from_db()
    assert working_order.promised_at == new_time and delay.new_promised_at == new_time
    consent = delay.consent
    assert consent.promised_at == new_time and consent.agreed["delay"]["new_promised_at"] == new_time.isoformat()
    assert {x["id"] for x in consent.agreed["lines"]} == consented_line_ids(working_order)
    assert 'data-testid="delay-not-agreed"' not in _badge(working_order)


def test_a_second_report_updates_the_open_delay(working_order, dispatcher):
    promised = working_order.promised_at
    first = delay_report(
        repair_order=working_order, forecast_ready_at=promised + dt.timedelta(hours=1), by=dispatcher.user
    )
    second = delay_report(
        repair_order=working_order, forecast_ready_at=promised + dt.timedelta(hours=3), by=dispatcher.user
    )
    assert first.pk == second.pk and Delay.objects.count() == 1
    assert second.forecast_ready_at == promised + dt.timedelta(hours=3)


def test_the_database_holds_one_unagreed_delay_per_order(working_order):
    kwargs = {
        "dealer": working_order.dealer,
        "repair_order": working_order,
        "detected_at": timezone.now(),
        "forecast_ready_at": working_order.promised_at + dt.timedelta(hours=1),
        "promised_at": working_order.promised_at,
    }
    Delay.objects.create(**kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delay.objects.create(**kwargs)


def test_a_forecast_before_the_promised_time_is_no_delay(working_order, dispatcher):
    with pytest.raises(ValidationError):
        delay_report(repair_order=working_order, forecast_ready_at=working_order.promised_at, by=dispatcher.user)
    assert not Delay.objects.exists()


def test_an_agreement_is_recorded_once_and_needs_its_details(working_order, dispatcher, advisor):
    delay = delay_report(
        repair_order=working_order,
        forecast_ready_at=working_order.promised_at + dt.timedelta(hours=1),
        by=dispatcher.user,
    )
    new_time = delay.forecast_ready_at
    with pytest.raises(ValidationError):
        delay_agree(
            delay=delay, new_promised_at=new_time, method=ConsentMethod.PHONE, signed_by_name="王", by=advisor.user
        )
    with pytest.raises(ValidationError):
        delay_agree(
            delay=delay,
            new_promised_at=timezone.now() - dt.timedelta(hours=1),
            method=ConsentMethod.PHONE,
            signed_by_name="王",
            note="ok",
            by=advisor.user,
        )
    assert unagreed_delay(working_order) == delay
    delay_agree(
        delay=delay, new_promised_at=new_time, method=ConsentMethod.PRINTED, signed_by_name="王", by=advisor.user
    )
    with pytest.raises(ValidationError):
        delay_agree(
            delay=delay, new_promised_at=new_time, method=ConsentMethod.PRINTED, signed_by_name="王", by=advisor.user
        )


def test_the_delay_page_reports_and_agrees(client, login, dispatcher, advisor, working_order):
    url = reverse("workshop:delay", args=[working_order.pk])
    forecast = timezone.localtime(working_order.promised_at + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    login(dispatcher)
    assert client.post(url, {"action": "report", "forecast_ready_at": forecast, "reason": "等配件"}).status_code == 302
    assert (
        client.post(
            url,
            {"action": "agree", "new_promised_at": forecast, "method": "phone", "signed_by_name": "王", "note": "ok"},
        ).status_code
        == 403
    )
    login(advisor)
    page = client.get(url).content.decode()
    assert 'data-testid="delay-not-agreed"' in page
    response = client.post(
        url,
        {"action": "agree", "new_promised_at": forecast, "method": "phone", "signed_by_name": "王建国", "note": "同意"},
    )
    assert response.status_code == 302
    assert unagreed_delay(working_order) is None


def test_a_technician_cannot_report_a_delay(client, login, technician, working_order):
    login(technician)
    assert client.get(reverse("workshop:delay", args=[working_order.pk])).status_code == 403
