"""The customer's signed approval link: per-line decisions on the phone;
expired, altered, superseded and used links refused, logged, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from reception.models import ConsentMethod, ROStatus
from tests.reception import conftest as reception_fixtures
from tests.workshop import findings_fixtures
from workshop import findings as service
from workshop.jobs import consented_line_ids
from workshop.models import Decision, FindingEvent, FindingLine, Job

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
finding = findings_fixtures.finding

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _url(token: str) -> str:
    return reverse("workshop:approve", args=[token])


def _answer(finding, labour_decision, part_decision) -> dict:
    labour = finding.lines.get(kind="labour")
    part = finding.lines.get(kind="part")
    return {f"line_{labour.pk}": labour_decision, f"line_{part.pk}": part_decision}


def _refusals(finding) -> list[str]:
    return list(FindingEvent.objects.filter(finding=finding, kind="link_refused").values_list("note", flat=True))


def test_the_customer_approves_one_line_and_declines_the_other(client, finding, advisor):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    page = client.get(_url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert finding.repair_order.number in html and finding.repair_order.vehicle.plate in html
    response = client.post(_url(token), _answer(finding, Decision.APPROVED, Decision.DECLINED))
    assert response.status_code == 200 and 'data-testid="approve-done"' in response.content.decode()
    labour = finding.lines.get(kind="labour")
    part = finding.lines.get(kind="part")
    assert (labour.decision, labour.decided_via, part.decision) == (Decision.APPROVED, "link", Decision.DECLINED)
    assert labour.consent.method == ConsentMethod.LINK and labour.consent.recorded_by == advisor.user
    assert labour.estimate_line_id in consented_line_ids(finding.repair_order)
    assert Job.objects.filter(estimate_line=labour.estimate_line).exists()
    assert part.recommend_by_date == timezone.localdate() + dt.timedelta(days=30)
    finding.repair_order.refresh_from_db()
    assert finding.repair_order.status == ROStatus.IN_PROGRESS


def test_every_line_must_be_answered_and_nothing_is_written_until_then(client, finding, advisor):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    response = client.post(_url(token), _answer(finding, Decision.APPROVED, ""))
    assert response.status_code == 422
    assert FindingLine.objects.filter(finding=finding, decision=Decision.PENDING).count() == 2


def test_a_second_submit_changes_nothing_and_says_already_decided(client, finding, advisor):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    client.post(_url(token), _answer(finding, Decision.APPROVED, Decision.DECLINED))
    consents = finding.repair_order.consents.count()
    response = client.post(_url(token), _answer(finding, Decision.DECLINED, Decision.APPROVED))
    html = response.content.decode()
    assert 'data-reason="used"' in html
    assert finding.lines.get(kind="labour").decision == Decision.APPROVED
    assert finding.lines.get(kind="part").decision == Decision.DECLINED
    assert finding.repair_order.consents.count() == consents
    assert _refusals(finding) == ["used"]


def test_an_expired_link_is_refused_and_logged(client, finding, advisor, monkeypatch):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    later = timezone.now() + service.LINK_VALID + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.post(_url(token), _answer(finding, Decision.APPROVED, Decision.APPROVED))
    assert response.status_code == 410 and 'data-reason="expired"' in response.content.decode()
    assert not FindingLine.objects.filter(finding=finding).exclude(decision=Decision.PENDING).exists()
    assert _refusals(finding) == ["expired"]


def test_a_link_just_before_its_expiry_still_works(finding, advisor):
    now = timezone.now()
    token = service.finding_link_send(finding=finding, by=advisor.user, now=now)
    assert service.finding_from_link(token, now=now + service.LINK_VALID - dt.timedelta(seconds=1)) == finding


def test_an_altered_link_is_refused_and_logged(client, finding, advisor):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.post(_url(tampered), _answer(finding, Decision.APPROVED, Decision.APPROVED))
    assert response.status_code == 400 and 'data-reason="tampered"' in response.content.decode()
    assert not FindingLine.objects.filter(finding=finding).exclude(decision=Decision.PENDING).exists()
    assert _refusals(finding) == ["tampered"]


def test_a_link_for_another_finding_cannot_be_forged(client, finding, advisor):
    from django.core import signing

    forged = signing.dumps({"f": finding.pk, "s": 0}, salt="another.salt")
    assert client.get(_url(forged)).status_code == 400


def test_sending_again_invalidates_the_older_link(client, finding, advisor):
    old = service.finding_link_send(finding=finding, by=advisor.user, now=timezone.now() - dt.timedelta(minutes=5))
    new = service.finding_link_send(finding=finding, by=advisor.user)
    assert old != new
    response = client.post(_url(old), _answer(finding, Decision.APPROVED, Decision.APPROVED))
    assert 'data-reason="superseded"' in response.content.decode()
    assert _refusals(finding) == ["superseded"]
    assert client.get(_url(new)).status_code == 200


def test_the_link_is_sent_from_the_findings_page_and_logged(client, login, advisor, finding):
    login(advisor)
    client.post(reverse("workshop:finding_link", args=[finding.repair_order_id, finding.pk]))
    finding.refresh_from_db()
    assert finding.link_expires_at == finding.link_sent_at + service.LINK_VALID
    assert finding.events.filter(kind="link_sent", by=advisor.user).exists()
    page = client.get(reverse("workshop:findings", args=[finding.repair_order_id])).content.decode()
    assert _url(service.link_token(finding)) in page


def test_the_public_page_is_rate_limited(client, finding, advisor):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    statuses = [client.get(_url(token)).status_code for _ in range(61)]
    assert statuses[-1] == 429 and statuses[0] == 200


def test_the_public_page_needs_no_login_and_shows_prices_with_vat(client, finding, advisor, station):
    token = service.finding_link_send(finding=finding, by=advisor.user)
    html = client.get(_url(token)).content.decode()
    part = finding.lines.get(kind="part")
    from reception.pricing import line_vat

    assert f"¥{part.amount + line_vat(part.amount, station.vat_rate)}" in html
