"""Nothing a customer signed or paid is ever deleted: consent records, the
customer's decisions on additional work, invoices, their lines and payments.
Not one by one, not through a queryset, not by deleting what they hang off."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from reception import billing, estimates
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
    ROStatus,
)
from reception.services import repair_order_transition
from tests.reception import conftest as reception_fixtures
from tests.workshop import findings_fixtures
from workshop.findings import finding_decide
from workshop.models import Decision, DecisionVia, Finding, FindingLine

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
finding = findings_fixtures.finding


@pytest.fixture
def consent(priced_order, advisor):
    return estimates.consent_record(
        repair_order=priced_order,
        method=ConsentMethod.PRINTED,
        signed_by_name="王建国",
        by=advisor.user,
        now=timezone.now(),
    ).consent


@pytest.fixture
def paid_invoice(consent, cashier):
    order = consent.repair_order
    order.refresh_from_db()
    for status in (ROStatus.IN_PROGRESS, ROStatus.QUALITY_CHECK, ROStatus.READY):
        repair_order_transition(repair_order=order, to=status)
    invoice = billing.invoice_issue(repair_order=order, by=cashier.user)
    billing.payment_record(invoice=invoice, method=PaymentMethod.CASH, amount=invoice.amount_due, by=cashier.user)
    return invoice


@pytest.fixture
def decided(finding, advisor):
    labour = finding.lines.order_by("pk").first()
    finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.APPROVED},
        via=DecisionVia.PHONE,
        contact="王建国",
        note="同意",
        by=advisor.user,
    )
    labour.refresh_from_db()
    return labour


def test_a_consent_record_is_not_deleted_one_by_one_or_by_a_queryset(consent):
    with pytest.raises(ProtectedError):
        consent.delete()
    with pytest.raises(ProtectedError):
        ConsentRecord.objects.filter(pk=consent.pk).delete()
    with pytest.raises(ProtectedError):
        ConsentRecord.objects.all().delete()
    assert ConsentRecord.objects.filter(pk=consent.pk).exists()


def test_the_repair_order_and_the_customer_of_a_consent_cannot_be_deleted(consent):
    order = consent.repair_order
    with pytest.raises(ProtectedError):
        order.delete()
    with pytest.raises(ProtectedError):
        order.customer.delete()
    assert ConsentRecord.objects.filter(pk=consent.pk).exists()


def test_an_invoice_its_lines_and_its_payments_are_never_deleted(paid_invoice):
    line = paid_invoice.lines.get(kind="labour")
    payment = paid_invoice.payments.get()
    for record in (paid_invoice, line, payment):
        with pytest.raises(ProtectedError):
            record.delete()
    for model in (Invoice, InvoiceLine, Payment):
        with pytest.raises(ProtectedError):
            model.objects.all().delete()
    assert Invoice.objects.filter(pk=paid_invoice.pk).exists()
    assert paid_invoice.lines.count() == 2 and paid_invoice.payments.count() == 1


def test_deleting_what_an_invoice_hangs_off_is_refused(paid_invoice):
    order = paid_invoice.repair_order
    with pytest.raises(ProtectedError):
        order.delete()
    with pytest.raises(ProtectedError):
        order.customer.delete()
    assert Invoice.objects.filter(pk=paid_invoice.pk).exists() and InvoiceLine.objects.count() == 2


def test_a_customers_decision_on_additional_work_is_never_deleted(decided):
    with pytest.raises(ProtectedError):
        decided.delete()
    with pytest.raises(ProtectedError):
        FindingLine.objects.filter(finding=decided.finding).delete()
    with pytest.raises(ProtectedError):
        decided.finding.delete()  # its lines are PROTECTed: the finding does not take them along
    assert FindingLine.objects.filter(pk=decided.pk, decision=Decision.APPROVED).exists()
    assert Finding.objects.filter(pk=decided.finding_id).exists()


def test_a_proposal_the_customer_has_not_decided_on_can_still_go(finding):
    line = finding.lines.first()
    line.delete()
    assert not FindingLine.objects.filter(pk=line.pk).exists()


def test_history_rows_keep_what_was_signed(consent):
    row = ConsentRecord.history.get(id=consent.pk)
    assert row.total == consent.total == Decimal("601.16") and row.signed_by_name == "王建国"
