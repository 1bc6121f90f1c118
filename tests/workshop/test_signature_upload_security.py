"""Drawn signatures (the estimate's consent, additional work, a delay) are
stored under random names: never the repair order's number and a time, from
which the next signature's URL could be guessed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from reception import estimates
from reception.models import ConsentMethod, ConsentRecord, LineKind
from tests.reception import conftest as reception_fixtures
from tests.reception.estimate_fixtures import signature_png
from tests.workshop import findings_fixtures
from workshop.delays import delay_agree, delay_report
from workshop.findings import finding_decide
from workshop.models import Decision, DecisionVia

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
wiper = findings_fixtures.wiper
finding = findings_fixtures.finding

pytestmark = pytest.mark.django_db

RANDOM_NAME = re.compile(r"^signatures/\d{4}/\d{2}/[0-9a-f]{32}\.png$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _assert_random(consent: ConsentRecord, media) -> None:
    name = consent.signature.name
    assert RANDOM_NAME.match(name), name
    assert consent.repair_order.number not in name
    assert (media / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_estimates_signature_has_a_random_name(priced_order, advisor, media):
    outcome = estimates.consent_record(
        repair_order=priced_order,
        method=ConsentMethod.SIGNATURE_PAD,
        signature_png=signature_png(),
        signed_by_name="王建国",
        by=advisor.user,
    )
    _assert_random(outcome.consent, media)


def test_the_additional_works_signature_has_a_random_name(finding, advisor, media):
    labour = finding.lines.get(kind=LineKind.LABOUR)
    outcome = finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.APPROVED},
        via=DecisionVia.IN_PERSON,
        by=advisor.user,
        contact="王建国",
        signature_png=signature_png(),
    )
    _assert_random(outcome.consent, media)


def test_a_delays_signature_has_a_random_name(working_order, dispatcher, advisor, media):
    delay = delay_report(
        repair_order=working_order,
        forecast_ready_at=working_order.promised_at + dt.timedelta(hours=2),
        by=dispatcher.user,
    )
    agreed = delay_agree(
        delay=delay,
        new_promised_at=delay.forecast_ready_at,
        method=ConsentMethod.SIGNATURE_PAD,
        signed_by_name="王建国",
        signature_png=signature_png(),
        by=advisor.user,
    )
    _assert_random(agreed.consent, media)


def test_two_signatures_on_one_order_in_the_same_second_do_not_share_a_name(working_order, dispatcher, advisor):
    at = working_order.promised_at - dt.timedelta(hours=1)
    names = []
    for hours in (1, 2):
        delay = delay_report(
            repair_order=working_order,
            forecast_ready_at=working_order.promised_at + dt.timedelta(hours=hours),
            by=dispatcher.user,
            now=at,
        )
        agreed = delay_agree(
            delay=delay,
            new_promised_at=delay.forecast_ready_at,
            method=ConsentMethod.SIGNATURE_PAD,
            signed_by_name="王建国",
            signature_png=signature_png(),
            by=advisor.user,
            now=at,
        )
        names.append(agreed.consent.signature.name)
    assert names[0] != names[1] and all(RANDOM_NAME.match(n) for n in names)
