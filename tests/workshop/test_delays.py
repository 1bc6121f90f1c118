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


# --- the forecast: remaining flat-rate hours against the time left ---------------------------


def _remaining_hours(ro) -> float:
    return float(sum(job.flat_rate_hours for job in ro.jobs.exclude(status="done")))


def _promise(ro, at: dt.datetime, tolerance_minutes: int = 0) -> None:
    RepairOrder.objects.filter(pk=ro.pk).update(promised_at=at, tolerance_minutes=tolerance_minutes)
    ro.refresh_from_db()


def test_the_forecast_reports_a_delay_once_the_hours_left_no_longer_suffice(working_order):
    from workshop.delays import forecast_delays

    now = timezone.now()
    hours = _remaining_hours(working_order)
    assert hours > 0
    _promise(working_order, now + dt.timedelta(hours=hours, minutes=10))
    assert forecast_delays(now) == 0  # ten minutes to spare
    later = now + dt.timedelta(minutes=15)  # five minutes short now
    assert forecast_delays(later) == 1
    delay = unagreed_delay(working_order)
    assert delay.forecast_ready_at == later + dt.timedelta(hours=hours)
    assert delay.promised_at == working_order.promised_at and delay.reported_by is None
    assert forecast_delays(later + dt.timedelta(minutes=1)) == 0  # one unagreed delay is enough


def test_a_forecast_within_the_time_tolerance_is_no_delay(working_order):
    from workshop.delays import forecast_delays

    now = timezone.now()
    hours = _remaining_hours(working_order)
    _promise(working_order, now + dt.timedelta(hours=hours) - dt.timedelta(minutes=20), tolerance_minutes=30)
    assert forecast_delays(now) == 0
    assert forecast_delays(now + dt.timedelta(minutes=11)) == 1  # 31 minutes past the promise


def test_a_passed_promise_with_nothing_left_to_do_is_forecast_half_an_hour_on(working_order):
    from workshop.delays import forecast_delays

    now = timezone.now()
    working_order.jobs.update(status="done")
    _promise(working_order, now - dt.timedelta(minutes=5))
    assert forecast_delays(now) == 1
    assert unagreed_delay(working_order).forecast_ready_at == now + dt.timedelta(minutes=30)


def test_the_advisor_gets_a_call_until_the_customer_agrees_the_new_time(working_order, advisor):
    from followup.models import ContactTask, Kind, Outcome, TaskStatus
    from followup.rules import delay_call

    now = timezone.now()
    delay = delay_report(
        repair_order=working_order, forecast_ready_at=working_order.promised_at + dt.timedelta(hours=1), now=now
    )
    assert delay_call(now) == 1 and delay_call(now) == 0
    task = ContactTask.objects.get(kind=Kind.DELAY)
    assert (task.assignee, task.due_from, task.due_until) == (advisor, now, delay.forecast_ready_at)
    delay_agree(
        delay=delay,
        new_promised_at=delay.forecast_ready_at,
        method=ConsentMethod.PHONE,
        signed_by_name="王建国",
        note="同意",
        by=advisor.user,
    )
    assert delay_call(now) == 1
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.DONE, Outcome.AGREED)


def test_the_advisors_call_list_links_the_delay_call_to_the_new_time_page(working_order, advisor, client):
    from followup.rules import delay_call

    now = timezone.now()
    delay_report(
        repair_order=working_order, forecast_ready_at=working_order.promised_at + dt.timedelta(hours=1), now=now
    )
    delay_call(now)
    client.force_login(advisor.user)
    page = client.get(reverse("followup:calls")).content.decode()
    assert 'data-testid="agree-delay"' in page
    assert reverse("workshop:delay", args=[working_order.pk]) in page
