"""Additional work: recording a finding, the customer's decision per line,
tolerance, recommendations, the findings pages, roles and station isolation."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from reception.models import ConsentMethod, EstimateLine, LineKind, ROStatus
from tests.reception import conftest as reception_fixtures
from tests.workshop import findings_fixtures
from workshop.findings import ProposedLine, finding_decide, finding_record
from workshop.jobs import consented_line_ids
from workshop.models import Decision, DecisionVia, Finding, FindingLine, Job, Urgency

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
wiper = findings_fixtures.wiper
finding = findings_fixtures.finding

pytestmark = pytest.mark.django_db


def _png(size=(8, 8), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, fmt)
    return out.getvalue()


def signature_data_url() -> str:
    image = Image.new("RGBA", (400, 150), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 75), (380, 60), (200, 120)], fill=(0, 0, 0, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _lines(finding):
    labour = finding.lines.get(kind=LineKind.LABOUR)
    part = finding.lines.get(kind=LineKind.PART)
    return labour, part


# --- recording -------------------------------------------------------------------------


def test_a_finding_prices_its_lines_from_the_catalogue_and_the_order_waits_for_approval(finding, station):
    labour, part = _lines(finding)
    assert (labour.quantity, labour.unit_price, labour.amount) == (
        Decimal("1.00"),
        station.labour_rate,
        station.labour_rate,
    )
    assert labour.extra_hours == Decimal("1.00")
    assert (part.unit_price, part.amount, part.extra_hours) == (Decimal("420.00"), Decimal("420.00"), Decimal("0"))
    finding.repair_order.refresh_from_db()
    assert finding.repair_order.status == ROStatus.WAITING_APPROVAL
    assert finding.events.filter(kind="recorded").exists()


def test_a_finding_needs_a_line_and_a_real_photo_and_writes_nothing_otherwise(working_order, technician, brake_pads):
    with pytest.raises(ValidationError):
        finding_record(
            repair_order=working_order, description="异响", urgency=Urgency.RED, lines=[], by=technician.user
        )
    fake = SimpleUploadedFile("x.jpg", b"not a picture at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        finding_record(
            repair_order=working_order,
            description="异响",
            urgency=Urgency.RED,
            lines=[ProposedLine(part=brake_pads)],
            photos=[fake],
            by=technician.user,
        )
    assert "image" in error.value.message_dict
    assert not Finding.objects.exists()
    working_order.refresh_from_db()
    assert working_order.status == ROStatus.IN_PROGRESS


def test_a_finding_keeps_its_photos(working_order, technician, brake_pads):
    finding = finding_record(
        repair_order=working_order,
        description="刹车盘有裂纹",
        urgency=Urgency.RED,
        lines=[ProposedLine(part=brake_pads)],
        photos=[SimpleUploadedFile("a.png", _png(), content_type="image/png")],
        by=technician.user,
    )
    assert finding.photos.count() == 1


def test_a_finding_refuses_another_stations_catalogue(working_order, technician, other_station):
    from tests.factories import PartFactory

    foreign = PartFactory(dealer=other_station)
    with pytest.raises(ValidationError):
        finding_record(
            repair_order=working_order,
            description="x",
            urgency=Urgency.GREEN,
            lines=[ProposedLine(part=foreign)],
            by=technician.user,
        )


# --- deciding --------------------------------------------------------------------------


def test_approved_lines_join_the_order_with_a_consent_and_become_jobs(finding, advisor):
    labour, part = _lines(finding)
    ro = finding.repair_order
    promised = ro.promised_at
    outcome = finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.APPROVED, part.pk: Decision.APPROVED},
        via=DecisionVia.PHONE,
        by=advisor.user,
        contact="王建国",
        note="同意更换",
    )
    labour.refresh_from_db()
    part.refresh_from_db()
    assert labour.estimate_line.amount == labour.amount and part.estimate_line.in_stock
    assert outcome.consent.method == ConsentMethod.PHONE
    assert {labour.estimate_line_id, part.estimate_line_id} <= consented_line_ids(ro)
    assert {x["id"] for x in outcome.consent.agreed["lines"]} == {labour.estimate_line_id, part.estimate_line_id}
    assert Job.objects.filter(estimate_line=labour.estimate_line).exists()
    ro.refresh_from_db()
    assert ro.status == ROStatus.IN_PROGRESS
    assert ro.promised_at == promised + dt.timedelta(hours=1)
    assert ro.issue_notices.filter(consent=outcome.consent).exists()


def test_declined_lines_stay_recommendations_with_a_due_date_by_urgency(finding, advisor):
    labour, part = _lines(finding)
    today = timezone.localdate()
    finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.DECLINED, part.pk: Decision.DECLINED},
        via=DecisionVia.PHONE,
        by=advisor.user,
        contact="王建国",
        note="下次再做",
        recommend={part.pk: (today + dt.timedelta(days=10), 45000)},
    )
    labour.refresh_from_db()
    part.refresh_from_db()
    assert labour.recommend_by_date == today + dt.timedelta(days=30) and labour.estimate_line is None
    assert (part.recommend_by_date, part.recommend_by_km) == (today + dt.timedelta(days=10), 45000)
    assert not EstimateLine.objects.filter(repair_order=finding.repair_order, description="更换前刹车片").exists()
    finding.repair_order.refresh_from_db()
    assert finding.repair_order.status == ROStatus.IN_PROGRESS


def test_the_order_waits_while_a_line_is_pending(finding, advisor):
    labour, _part = _lines(finding)
    finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.APPROVED},
        via=DecisionVia.PHONE,
        by=advisor.user,
        contact="王",
        note="ok",
    )
    finding.repair_order.refresh_from_db()
    assert finding.repair_order.status == ROStatus.WAITING_APPROVAL


def test_a_phone_decision_needs_the_call_note_and_in_person_a_signature(finding, advisor):
    labour, _part = _lines(finding)
    with pytest.raises(ValidationError):
        finding_decide(
            finding=finding, decisions={labour.pk: Decision.APPROVED}, via=DecisionVia.PHONE, by=advisor.user
        )
    with pytest.raises(ValidationError):
        finding_decide(
            finding=finding,
            decisions={labour.pk: Decision.APPROVED},
            via=DecisionVia.IN_PERSON,
            by=advisor.user,
            contact="王",
        )
    assert FindingLine.objects.filter(decision=Decision.PENDING).count() == 2


def test_in_person_the_signature_is_kept_on_the_consent(finding, advisor):
    from reception.estimates import decode_signature

    labour, part = _lines(finding)
    outcome = finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.APPROVED, part.pk: Decision.DECLINED},
        via=DecisionVia.IN_PERSON,
        by=advisor.user,
        contact="王建国",
        signature_png=decode_signature(signature_data_url()),
    )
    assert outcome.consent.signature and outcome.consent.method == ConsentMethod.SIGNATURE_PAD


def test_a_decided_line_cannot_be_decided_again(finding, advisor):
    labour, _part = _lines(finding)
    finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.DECLINED},
        via=DecisionVia.PHONE,
        by=advisor.user,
        contact="王",
        note="不要",
    )
    with pytest.raises(ValidationError):
        finding_decide(
            finding=finding,
            decisions={labour.pk: Decision.APPROVED},
            via=DecisionVia.PHONE,
            by=advisor.user,
            contact="王",
            note="要",
        )


def test_within_the_tolerance_a_small_line_is_consented_automatically(working_order, technician, advisor, wiper):
    finding = finding_record(
        repair_order=working_order,
        description="雨刮片老化",
        urgency=Urgency.GREEN,
        lines=[ProposedLine(part=wiper, extra_hours=Decimal("0.25"))],
        by=technician.user,
    )
    line = finding.lines.get()
    outcome = finding_decide(
        finding=finding, decisions={line.pk: Decision.APPROVED}, via=DecisionVia.TOLERANCE, by=advisor.user
    )
    assert outcome.consent.agreed["via"] == DecisionVia.TOLERANCE
    assert line.pk and FindingLine.objects.get(pk=line.pk).decided_via == DecisionVia.TOLERANCE


def test_tolerance_is_refused_when_the_amount_does_not_fit_and_nothing_is_written(finding, advisor):
    _labour, part = _lines(finding)
    lines_before = EstimateLine.objects.count()
    with pytest.raises(ValidationError):
        finding_decide(
            finding=finding, decisions={part.pk: Decision.APPROVED}, via=DecisionVia.TOLERANCE, by=advisor.user
        )
    assert EstimateLine.objects.count() == lines_before
    assert FindingLine.objects.get(pk=part.pk).decision == Decision.PENDING


def test_tolerance_is_refused_when_the_time_does_not_fit(working_order, technician, advisor, wiper):
    finding = finding_record(
        repair_order=working_order,
        description="雨刮片老化",
        urgency=Urgency.GREEN,
        lines=[ProposedLine(part=wiper, extra_hours=Decimal("1"))],  # 60 min > 30 min agreed
        by=technician.user,
    )
    with pytest.raises(ValidationError):
        finding_decide(
            finding=finding,
            decisions={finding.lines.get().pk: Decision.APPROVED},
            via=DecisionVia.TOLERANCE,
            by=advisor.user,
        )


def test_tolerance_consents_do_not_add_up_beyond_the_tolerance(working_order, technician, advisor, wiper):
    def small():
        return finding_record(
            repair_order=working_order,
            description="雨刮片",
            urgency=Urgency.GREEN,
            lines=[ProposedLine(part=wiper, quantity=Decimal(1))],
            by=technician.user,
        )

    first = small()
    finding_decide(
        finding=first, decisions={first.lines.get().pk: Decision.APPROVED}, via=DecisionVia.TOLERANCE, by=advisor.user
    )
    second = small()  # ¥3.39 with VAT each: twice is beyond ¥5
    with pytest.raises(ValidationError):
        finding_decide(
            finding=second,
            decisions={second.lines.get().pk: Decision.APPROVED},
            via=DecisionVia.TOLERANCE,
            by=advisor.user,
        )


# --- pages -----------------------------------------------------------------------------


def test_the_technician_records_a_finding_on_the_page(
    client, login, technician, working_order, brake_operation, brake_pads
):
    login(technician)
    url = reverse("workshop:finding_new", args=[working_order.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "description": "前刹车片磨损",
            "urgency": Urgency.RED,
            "code_0": brake_operation.code,
            "quantity_0": "",
            "extra_hours_0": "",
            "code_1": brake_pads.number,
            "quantity_1": "2",
            "extra_hours_1": "",
            "photos": [SimpleUploadedFile("a.png", _png(), content_type="image/png")],
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.lines.count() == 2 and finding.photos.count() == 1
    assert finding.lines.get(kind=LineKind.PART).amount == Decimal("840.00")


def test_the_finding_page_refuses_bad_input_with_a_message(client, login, technician, working_order):
    login(technician)
    response = client.post(
        reverse("workshop:finding_new", args=[working_order.pk]),
        {"description": "", "urgency": Urgency.RED, "code_0": "NOPE"},
    )
    assert response.status_code == 422
    assert not Finding.objects.exists()


def test_the_advisor_sees_the_findings_and_records_a_phone_decision(
    client, login, advisor, finding, django_assert_max_num_queries
):
    login(advisor)
    url = reverse("workshop:findings", args=[finding.repair_order_id])
    with django_assert_max_num_queries(30):
        response = client.get(url)
    assert response.status_code == 200 and "前刹车片磨损至2毫米" in response.content.decode()
    labour, part = _lines(finding)
    response = client.post(
        reverse("workshop:finding_decide", args=[finding.repair_order_id, finding.pk]),
        {
            "via": DecisionVia.PHONE,
            f"line_{labour.pk}": Decision.APPROVED,
            f"line_{part.pk}": Decision.DECLINED,
            "contact": "王建国",
            "note": "电话同意更换工时,刹车片自带",
        },
    )
    assert response.status_code == 302
    labour.refresh_from_db()
    part.refresh_from_db()
    assert (labour.decision, part.decision) == (Decision.APPROVED, Decision.DECLINED)


def test_the_findings_page_query_count_does_not_grow_with_findings(
    client, login, advisor, working_order, technician, brake_operation, wiper, django_assert_max_num_queries
):
    for n in range(6):
        finding_record(
            repair_order=working_order,
            description=f"发现{n}",
            urgency=Urgency.GREEN,
            lines=[ProposedLine(operation=brake_operation), ProposedLine(part=wiper)],
            photos=[SimpleUploadedFile("a.png", _png(), content_type="image/png")],
            by=technician.user,
        )
    login(advisor)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("workshop:findings", args=[working_order.pk])).status_code == 200


def test_a_technician_cannot_record_the_customers_decision(client, login, technician, finding):
    login(technician)
    labour, _part = _lines(finding)
    response = client.post(
        reverse("workshop:finding_decide", args=[finding.repair_order_id, finding.pk]),
        {"via": DecisionVia.PHONE, f"line_{labour.pk}": Decision.APPROVED, "contact": "王", "note": "ok"},
    )
    assert response.status_code == 403
    assert client.post(reverse("workshop:finding_link", args=[finding.repair_order_id, finding.pk])).status_code == 403


def test_a_parts_clerk_cannot_record_a_finding(client, login, parts_clerk, working_order):
    login(parts_clerk)
    assert client.get(reverse("workshop:finding_new", args=[working_order.pk])).status_code == 403


def test_another_stations_order_is_not_found(client, login, other_advisor, finding):
    login(other_advisor)
    ro = finding.repair_order_id
    assert client.get(reverse("workshop:findings", args=[ro])).status_code == 404
    assert client.get(reverse("workshop:finding_new", args=[ro])).status_code == 404
    assert client.post(reverse("workshop:finding_link", args=[ro, finding.pk])).status_code == 404
    assert client.get(reverse("workshop:delay", args=[ro])).status_code == 404


def test_the_within_tolerance_choice_says_so_on_the_page(client, login, advisor, working_order, technician, wiper):
    finding = finding_record(
        repair_order=working_order,
        description="雨刮片",
        urgency=Urgency.GREEN,
        lines=[ProposedLine(part=wiper)],
        by=technician.user,
    )
    login(advisor)
    line = finding.lines.get()
    client.post(
        reverse("workshop:finding_decide", args=[working_order.pk, finding.pk]),
        {"via": DecisionVia.TOLERANCE, f"line_{line.pk}": Decision.APPROVED},
    )
    page = client.get(reverse("workshop:findings", args=[working_order.pk])).content.decode()
    assert str(DecisionVia.TOLERANCE.label) in page or "约定的容差" in page
