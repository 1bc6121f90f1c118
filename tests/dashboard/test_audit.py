"""The audit history: every change of a price, a consent, an invoice or a
complaint's level leaves a row naming who did it and the old and new value,
and the service manager reads them on one page of their station."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from complaints import services as complaint_services
from complaints.models import Complaint
from dashboard import audit
from dealers.audit import acting_as
from dealers.models import Dealer, Part, Role
from reception import billing, estimates
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    EstimateLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentMethod,
    RepairOrder,
    ROStatus,
)
from reception.services import next_repair_order_number, repair_order_transition
from tests.complaints.conftest import open_complaint
from tests.conftest import _staff
from tests.factories import PartFactory, VehicleFactory
from tests.reception import conftest as reception_fixtures
from tests.reception.conftest import add_line
from tests.workshop import findings_fixtures
from workshop.findings import finding_decide
from workshop.models import Decision, DecisionVia, FindingLine

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
finding = findings_fixtures.finding

WORK = (ROStatus.OPEN, ROStatus.IN_PROGRESS, ROStatus.QUALITY_CHECK, ROStatus.READY)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def last(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


def agree(order: RepairOrder, user) -> ConsentRecord:
    return estimates.consent_record(
        repair_order=order, method=ConsentMethod.PRINTED, signed_by_name=order.customer.name, by=user
    ).consent


def to_ready(order: RepairOrder) -> RepairOrder:
    order.refresh_from_db()
    for status in WORK:
        if status != order.status:
            repair_order_transition(repair_order=order, to=status)
    return order


def invoiced_order(station, advisor, cashier, *, plate: str, price: str = "200") -> Invoice:
    """Another order of `station`, agreed, ready and invoiced: one labour line at `price`."""
    car = VehicleFactory(owner__dealer=station, owner__name="客户", plate=plate)
    order = RepairOrder.objects.create(
        dealer=station,
        number=next_repair_order_number(station, timezone.now()),
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type="repair",
    )
    add_line(order, LineKind.LABOUR, quantity="1", unit_price=price, description="检查")
    agree(order, advisor.user)
    to_ready(order)
    return billing.invoice_issue(repair_order=order, by=cashier.user)


# --- the services leave history rows with their user ------------------------------------------


def test_a_price_change_on_the_estimate_names_the_advisor_and_the_old_and_new_price(priced_order, advisor):
    line = priced_order.lines.get(kind=LineKind.PART)
    estimates.line_update(line=line, quantity="4", unit_price="70.00", by=advisor.user)

    row = last(EstimateLine, line.pk)
    assert row.history_type == "~" and row.history_user == advisor.user
    delta = row.diff_against(row.prev_record)
    changed = {c.field: (c.old, c.new) for c in delta.changes}
    assert changed["unit_price"] == (Decimal("65.50"), Decimal("70.00"))
    assert changed["amount"] == (Decimal("262.00"), Decimal("280.00"))


def test_a_removed_estimate_line_is_in_the_history(priced_order, advisor):
    line = priced_order.lines.get(kind=LineKind.PART)
    estimates.line_remove(line=line, by=advisor.user)
    row = last(EstimateLine, line.pk)
    assert row.history_type == "-" and row.history_user == advisor.user and row.unit_price == Decimal("65.50")


def test_a_consent_is_recorded_with_who_took_it(priced_order, advisor):
    consent = agree(priced_order, advisor.user)
    row = last(ConsentRecord, consent.pk)
    assert row.history_type == "+" and row.history_user == advisor.user and row.total == Decimal("601.16")


def test_lines_made_in_bulk_from_a_finding_have_history(finding, technician):
    rows = FindingLine.history.filter(finding=finding)
    assert rows.count() == 2 and {r.history_user for r in rows} == {technician.user}


def test_the_customers_decision_on_additional_work_names_the_advisor_and_the_decision(finding, advisor):
    labour, part = finding.lines.order_by("pk")
    finding_decide(
        finding=finding,
        decisions={labour.pk: Decision.APPROVED, part.pk: Decision.DECLINED},
        via=DecisionVia.PHONE,
        contact="王建国",
        note="同意换工时,配件下次",
        by=advisor.user,
    )
    row = last(FindingLine, labour.pk)
    assert row.history_user == advisor.user
    changed = {c.field: (c.old, c.new) for c in row.diff_against(row.prev_record).changes}
    assert changed["decision"] == (Decision.PENDING, Decision.APPROVED)
    assert last(FindingLine, part.pk).decision == Decision.DECLINED
    # The new consent of the approved line is in the history too, with the same author.
    assert ConsentRecord.history.filter(repair_order=finding.repair_order, history_user=advisor.user).count() == 2


def test_issuing_paying_and_crediting_an_invoice_names_the_cashier(station, advisor, cashier):
    invoice = invoiced_order(station, advisor, cashier, plate="京H00001")
    assert last(Invoice, invoice.pk).history_user == cashier.user
    lines = InvoiceLine.history.filter(invoice=invoice)
    assert lines.count() == 1 and lines.get().history_user == cashier.user  # written in bulk, with history

    payment = billing.payment_record(
        invoice=invoice, method=PaymentMethod.CASH, amount=Decimal("226.00"), by=cashier.user
    )
    assert last(Payment, payment.pk).history_user == cashier.user
    row = last(Invoice, invoice.pk)
    changed = {c.field: (c.old, c.new) for c in row.diff_against(row.prev_record).changes}
    assert changed["status"] == (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
    assert row.history_user == cashier.user

    credit = billing.invoice_credit(invoice=invoice, reason="开错了", by=cashier.user)
    assert last(Invoice, invoice.pk).status == InvoiceStatus.CREDITED
    assert InvoiceLine.history.filter(invoice=credit, history_user=cashier.user).count() == 1


def test_a_level_change_names_who_raised_it_and_the_old_and_new_level(station, manager, advisor):
    ticket = open_complaint(station, advisor.user, caller_name="张先生", visit_confirmed=True)
    assert last(Complaint, ticket.pk).level == 1
    complaint_services.complaint_set_level(complaint=ticket, level=2, by=manager.user, reason="客户情绪激动")
    row = last(Complaint, ticket.pk)
    assert row.history_user == manager.user
    assert [(c.field, c.old, c.new) for c in row.diff_against(row.prev_record).changes] == [("level", 1, 2)]


def test_a_ticket_change_that_is_not_its_level_writes_no_history(station, manager, advisor):
    ticket = open_complaint(station, advisor.user, caller_name="张先生", visit_confirmed=True)
    ticket.guidance = "请到店检查"
    ticket.save()
    ticket.handler = manager
    ticket.save(update_fields=["handler"])
    assert Complaint.history.filter(id=ticket.pk).count() == 1


def test_the_labour_rate_and_part_prices_have_history_but_stock_moves_do_not(station, manager):
    part = PartFactory(dealer=station, unit_price=Decimal("10.00"), stock_on_hand=Decimal("5"))
    with acting_as(manager.user):
        station.labour_rate = Decimal("200.00")
        station.save()
        part.unit_price = Decimal("12.00")
        part.save()
    part.stock_on_hand = Decimal("4")
    part.save(update_fields=["stock_on_hand"])
    part.save()  # nothing tracked changed: no row either

    dealer_row = last(Dealer, station.pk)
    assert dealer_row.history_user == manager.user and dealer_row.labour_rate == Decimal("200.00")
    assert Part.history.filter(id=part.pk).count() == 2
    assert last(Part, part.pk).history_user == manager.user


# --- the page -----------------------------------------------------------------------------------


@pytest.fixture
def audited(station, advisor, cashier, manager, priced_order):
    """One of each: a price change, a consent, an invoice with a payment, a level change."""
    line = priced_order.lines.get(kind=LineKind.PART)
    estimates.line_update(line=line, quantity="4", unit_price="70.00", by=advisor.user)
    invoice = invoiced_order(station, advisor, cashier, plate="京H00002")
    billing.payment_record(invoice=invoice, method=PaymentMethod.CARD, amount=invoice.amount_due, by=cashier.user)
    ticket = open_complaint(station, advisor.user, caller_name="张先生", visit_confirmed=True)
    complaint_services.complaint_set_level(complaint=ticket, level=3, by=manager.user, reason="重大")
    return {"order": priced_order, "invoice": invoice, "ticket": ticket}


def test_the_manager_sees_who_changed_what_old_and_new(audited, manager, advisor, login):
    page = login(manager).get(reverse("dashboard:audit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "65.50" in html and "70.00" in html  # the price, old → new
    assert "advisor" in html and "cashier" in html and "manager" in html
    assert audited["invoice"].number in html and audited["ticket"].number in html
    assert "3 · major" in html


def test_the_list_filters_by_kind_and_searches_by_number(audited, manager, login):
    client = login(manager)
    levels = client.get(reverse("dashboard:audit"), {"kind": "level"})
    assert audited["ticket"].number in levels.content.decode()
    assert audited["invoice"].number not in levels.content.decode()
    assert all(e.kind == "Complaint levels" for e in levels.context["entries"])

    found = client.get(reverse("dashboard:audit"), {"q": audited["invoice"].number})
    entries = found.context["entries"]
    assert entries and all(audited["invoice"].number in e.label for e in entries)
    assert audited["order"].number not in found.content.decode()


def test_the_list_filters_by_date(audited, manager, login):
    client = login(manager)
    today = timezone.localdate()
    assert client.get(reverse("dashboard:audit"), {"from": today.isoformat()}).context["entries"]
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    empty = client.get(reverse("dashboard:audit"), {"from": tomorrow})
    assert empty.context["entries"] == [] and "No changes match these filters." in empty.content.decode()


def test_another_stations_changes_are_not_shown(audited, other_station, login):
    other_manager = _staff("other_manager", Role.SERVICE_MANAGER, other_station)
    page = login(other_manager).get(reverse("dashboard:audit"))
    assert page.status_code == 200
    # Only the other station's own settings, as created: none of `station`'s orders, invoices or tickets.
    assert [e.label for e in page.context["entries"]] == [other_station.name]
    html = page.content.decode()
    for record in (audited["order"], audited["invoice"], audited["ticket"]):
        assert record.number not in html
    assert page.context["page"].paginator.count == 1


def test_a_station_without_history_says_so(station, manager, login):
    Dealer.history.all().delete()  # a station older than the audit history
    page = login(manager).get(reverse("dashboard:audit"))
    assert page.context["entries"] == [] and "No changes recorded yet." in page.content.decode()


def test_only_the_manager_opens_the_audit_list(station, advisor, cashier, client, login):
    url = reverse("dashboard:audit")
    assert client.get(url).status_code == 302
    assert login(advisor).get(url).status_code == 403
    assert login(cashier).get(url).status_code == 403


def test_the_page_reads_a_fixed_number_of_queries_however_long_the_history(
    audited, station, advisor, cashier, manager, login, django_assert_max_num_queries
):
    client = login(manager)
    url = reverse("dashboard:audit")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    # Sign-in and station, the count and the page, then two reads per audited model on the page.
    assert len(few.captured_queries) <= 6 + 2 * len(audit.SOURCES)
    for n in range(3, 9):
        invoiced_order(station, advisor, cashier, plate=f"京H0000{n}", price=str(100 + n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.context["page"].paginator.count > 20  # more than a page
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, {"page": 2})
