"""Step 6 delivery and billing (交车/结账): the invoice equals the agreed price,
pay types, deposit, split payments, credit notes, numbering, the delivery
sheet and the send-off, and the cashier's pages."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from dealers.models import JobType
from reception import billing, documents, estimates, pricing
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    Delivery,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    OldParts,
    PartsOrder,
    PartsOrderStatus,
    Payment,
    PaymentMethod,
    PayType,
    RepairOrder,
    RepairOrderEvent,
    ROStatus,
)
from reception.services import repair_order_transition
from tests.factories import VehicleFactory
from tests.reception.conftest import add_line
from workshop.models import Decision, Finding, FindingLine, Job, Urgency


@pytest.fixture(autouse=True)
def english(settings):
    """The messages are asserted by their English msgids: pages and services speak English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 10, 0))
WORK = (ROStatus.OPEN, ROStatus.IN_PROGRESS, ROStatus.QUALITY_CHECK, ROStatus.READY)
_numbers = itertools.count(500)

# The conftest's priced order: 1.5 h × ¥180 = ¥270 + 4 × ¥65.50 = ¥262 → net ¥532, VAT 13 % ¥69.16.
AGREED = Decimal("601.16")


def consent(order: RepairOrder, user, *, lines=None, at=NOW) -> ConsentRecord:
    """A consent covering `lines` (default: all), in the frozen format of reception.estimates."""
    lines = list(order.lines.all()) if lines is None else lines
    covered = estimates.consented_line_ids(order) | {x.pk for x in lines}
    all_covered = [x for x in order.lines.all() if x.pk in covered]
    return ConsentRecord.objects.create(
        repair_order=order,
        method=ConsentMethod.PRINTED,
        signed_by_name=order.customer.name,
        agreed=estimates.agreed_snapshot(order, lines),
        total=pricing.totals(all_covered, order.dealer.vat_rate, customer_only=True).total,
        recorded_by=user,
        recorded_at=at,
    )


def to_ready(order: RepairOrder) -> RepairOrder:
    for status in WORK:
        if status != order.status:
            repair_order_transition(repair_order=order, to=status, now=NOW)
    return order


@pytest.fixture
def ready_order(priced_order, advisor):
    """The priced order, agreed at ¥601.16 and ready (washed)."""
    consent(priced_order, advisor.user)
    return to_ready(priced_order)


def ready_order_at(station, advisor, *, plate: str | None = None, name: str = "客户") -> RepairOrder:
    """Another ready order of `station` with one agreed labour line of ¥200 (¥226 with VAT)."""
    car = VehicleFactory(owner__dealer=station, owner__name=name, **({"plate": plate} if plate else {}))
    order = RepairOrder.objects.create(
        dealer=station,
        number=f"R2026-{next(_numbers):05d}",
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.REPAIR,
    )
    add_line(order, LineKind.LABOUR, quantity="1", unit_price="200", description="检查")
    consent(order, advisor.user)
    return to_ready(order)


def issue(order, user, at=NOW) -> Invoice:
    return billing.invoice_issue(repair_order=order, by=user, now=at)


def pay(invoice, user, amount, method=PaymentMethod.CASH, at=NOW) -> Payment:
    return billing.payment_record(invoice=invoice, method=method, amount=amount, by=user, now=at)


def record_delivery(order, staff, **extra):
    fields = {
        "old_parts": OldParts.RETURNED,
        "parking_spot": "A-12",
        "work_explained": True,
        "invoice_explained": True,
        "recommendations_explained": True,
    }
    fields.update(extra)
    return billing.delivery_record(repair_order=order, by=staff.user, now=NOW, **fields)


# --- the agreed price ---------------------------------------------------------------------------


def test_the_invoice_is_made_from_the_consented_lines_at_the_agreed_price(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    assert invoice.number == "I2026-00001"
    assert invoice.kind == InvoiceKind.INVOICE and invoice.status == InvoiceStatus.ISSUED
    assert invoice.consent == ready_order.consents.get()
    assert (invoice.labour, invoice.parts, invoice.net, invoice.vat) == (
        Decimal("270.00"),
        Decimal("262.00"),
        Decimal("532.00"),
        Decimal("69.16"),
    )
    assert invoice.total == invoice.customer_total == invoice.amount_due == AGREED
    lines = list(invoice.lines.order_by("position"))
    assert [(x.description, x.amount, x.vat) for x in lines] == [
        ("更换机油机滤", Decimal("270.00"), Decimal("35.10")),
        ("机油 5W-30", Decimal("262.00"), Decimal("34.06")),
    ]
    assert lines[0].part_number == "M010"  # the labour operation's code


def test_a_line_no_consent_covers_is_left_off_the_invoice_and_listed(priced_order, advisor, cashier):
    consent(priced_order, advisor.user)
    extra = add_line(priced_order, LineKind.PART, quantity="1", unit_price="99", description="雨刮片")
    to_ready(priced_order)
    draft = billing.invoice_draft(priced_order)
    assert draft.left_out == [extra]
    assert not draft.blocked
    invoice = issue(priced_order, cashier.user)
    assert not invoice.lines.filter(estimate_line=extra).exists()
    assert invoice.customer_total == AGREED


def test_an_additional_work_consent_adds_its_lines_to_the_earlier_ones(priced_order, advisor, cashier):
    consent(priced_order, advisor.user)
    extra = add_line(priced_order, LineKind.PART, quantity="1", unit_price="100", description="刹车片")
    consent(priced_order, advisor.user, lines=[extra], at=NOW + dt.timedelta(hours=1))  # only the new line
    to_ready(priced_order)
    invoice = issue(priced_order, cashier.user)
    assert invoice.lines.count() == 3
    assert invoice.customer_total == AGREED + Decimal("113.00")


def test_a_difference_within_the_tolerance_is_invoiced(priced_order, advisor, cashier):
    priced_order.tolerance_amount = Decimal("120")
    priced_order.save()
    consent(priced_order, advisor.user)
    repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN)
    labour = priced_order.lines.get(kind=LineKind.LABOUR)
    estimates.line_update(line=labour, quantity="2", unit_price="180")  # +¥90 net, +¥101.70 with VAT
    to_ready(priced_order)
    invoice = issue(priced_order, cashier.user)
    assert invoice.customer_total == AGREED + Decimal("101.70")


def test_a_difference_beyond_the_tolerance_blocks_the_invoice_until_a_consent_covers_it(priced_order, advisor, cashier):
    priced_order.tolerance_amount = Decimal("100")
    priced_order.save()
    consent(priced_order, advisor.user)
    repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN)
    labour = priced_order.lines.get(kind=LineKind.LABOUR)
    estimates.line_update(line=labour, quantity="2", unit_price="180")
    to_ready(priced_order)

    with pytest.raises(ValidationError) as error:
        issue(priced_order, cashier.user)
    assert "¥702.86" in error.value.messages[0] and "¥601.16" in error.value.messages[0]
    assert "¥101.70" in error.value.messages[0]
    assert not Invoice.objects.exists()

    # The car is ready: the advisor records the customer's consent to the new amount through the real service.
    estimates.consent_record(
        repair_order=priced_order,
        method=ConsentMethod.PRINTED,
        signed_by_name=priced_order.customer.name,
        by=advisor.user,
        now=NOW + dt.timedelta(hours=2),
    )
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.READY
    invoice = issue(priced_order, cashier.user, at=NOW + dt.timedelta(hours=3))
    assert invoice.customer_total == Decimal("702.86")
    assert invoice.consent == priced_order.consents.latest("recorded_at")


def test_no_consent_no_invoice(priced_order, cashier):
    priced_order.status = ROStatus.READY  # set directly: no transition leaves draft without consent
    priced_order.save()
    with pytest.raises(ValidationError, match="not agreed"):
        issue(priced_order, cashier.user)


def test_an_invoice_is_issued_only_when_the_car_is_ready(priced_order, advisor, cashier):
    consent(priced_order, advisor.user)
    repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN)
    with pytest.raises(ValidationError, match="ready"):
        issue(priced_order, cashier.user)


# --- pay types and deposit ---------------------------------------------------------------------------


def test_warranty_internal_and_goodwill_lines_are_not_charged_to_the_customer(priced_order, advisor, cashier):
    for pay_type, price in ((PayType.WARRANTY, "300"), (PayType.INTERNAL, "40"), (PayType.GOODWILL, "60")):
        add_line(priced_order, LineKind.PART, quantity="1", unit_price=price, description=pay_type, pay_type=pay_type)
    consent(priced_order, advisor.user)
    to_ready(priced_order)
    invoice = issue(priced_order, cashier.user)
    assert invoice.customer_total == invoice.amount_due == AGREED
    assert invoice.total == AGREED + Decimal("452.00")  # 400 + 13 % VAT
    assert sorted(invoice.lines.values_list("pay_type", flat=True)) == sorted(
        [PayType.CUSTOMER, PayType.CUSTOMER, PayType.WARRANTY, PayType.INTERNAL, PayType.GOODWILL]
    )


def test_the_deposit_of_the_parts_orders_is_deducted_but_not_a_cancelled_ones(ready_order, station, cashier):
    PartsOrder.objects.create(dealer=station, repair_order=ready_order, deposit=Decimal("200"))
    PartsOrder.objects.create(
        dealer=station, repair_order=ready_order, deposit=Decimal("50"), status=PartsOrderStatus.CANCELLED
    )
    invoice = issue(ready_order, cashier.user)
    assert invoice.deposit == Decimal("200.00")
    assert invoice.amount_due == AGREED - 200


def test_a_deposit_covering_everything_leaves_nothing_to_pay_and_the_invoice_is_paid_at_issue(
    ready_order, station, cashier
):
    PartsOrder.objects.create(dealer=station, repair_order=ready_order, deposit=Decimal("700"))
    invoice = issue(ready_order, cashier.user)
    assert invoice.amount_due == 0
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at == NOW


# --- payments -------------------------------------------------------------------------------------


def test_a_split_payment_pays_the_invoice_when_it_reaches_the_amount_due(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    pay(invoice, cashier.user, "300", PaymentMethod.CASH)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.paid_at is None
    later = NOW + dt.timedelta(minutes=3)
    pay(invoice, cashier.user, "301.16", PaymentMethod.WECHAT, at=later)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at == later
    assert [(p.method, p.amount) for p in invoice.payments.all()] == [
        (PaymentMethod.CASH, Decimal("300.00")),
        (PaymentMethod.WECHAT, Decimal("301.16")),
    ]
    assert invoice.payments.last().received_by == cashier.user


def test_a_payment_above_what_is_still_open_is_refused_and_nothing_written(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    pay(invoice, cashier.user, "600")
    with pytest.raises(ValidationError) as error:
        pay(invoice, cashier.user, "1.17")
    assert "¥1.16" in error.value.message_dict["amount"][0]
    assert invoice.payments.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005", "NaN"])
def test_a_payment_must_be_a_positive_amount_in_cents(ready_order, cashier, amount):
    invoice = issue(ready_order, cashier.user)
    with pytest.raises(ValidationError):
        pay(invoice, cashier.user, amount)
    assert not Payment.objects.exists()


def test_warranty_is_not_a_way_to_pay(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    with pytest.raises(ValidationError):
        pay(invoice, cashier.user, "10", PaymentMethod.WARRANTY)


def test_a_paid_invoice_takes_no_more_payment_and_no_second_invoice(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    pay(invoice, cashier.user, AGREED)
    with pytest.raises(ValidationError, match="paid already"):
        pay(invoice, cashier.user, "1")
    with pytest.raises(ValidationError) as error:
        issue(ready_order, cashier.user)
    assert error.value.code == "invoice_exists"
    assert Invoice.objects.count() == 1


# --- credit notes -----------------------------------------------------------------------------------


def test_a_credit_note_cancels_a_paid_invoice_and_a_new_one_deducts_what_was_paid(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    pay(invoice, cashier.user, AGREED)
    credit = billing.invoice_credit(invoice=invoice, reason="付款方式错误", by=cashier.user, now=NOW)
    assert credit.number == "C2026-00001"
    assert credit.kind == InvoiceKind.CREDIT and credit.credit_of == invoice
    assert credit.total == credit.customer_total == -AGREED
    assert sorted(credit.lines.values_list("amount", flat=True)) == [Decimal("-270.00"), Decimal("-262.00")]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED
    assert invoice.lines.count() == 2 and invoice.payments.count() == 1  # the original stays as it was

    with pytest.raises(ValidationError, match="credited already"):
        billing.invoice_credit(invoice=invoice, reason="again", by=cashier.user, now=NOW)
    with pytest.raises(ValidationError):
        pay(invoice, cashier.user, "1")

    again = issue(ready_order, cashier.user, at=NOW + dt.timedelta(minutes=5))
    assert again.number == "I2026-00002"
    assert again.deposit == AGREED  # what the customer already paid
    assert again.amount_due == 0 and again.status == InvoiceStatus.PAID


def test_a_credit_note_needs_a_reason_and_is_not_credited_itself(ready_order, cashier):
    invoice = issue(ready_order, cashier.user)
    with pytest.raises(ValidationError):
        billing.invoice_credit(invoice=invoice, reason="  ", by=cashier.user, now=NOW)
    credit = billing.invoice_credit(invoice=invoice, reason="开错", by=cashier.user, now=NOW)
    with pytest.raises(ValidationError):
        billing.invoice_credit(invoice=credit, reason="x", by=cashier.user, now=NOW)
    with pytest.raises(ValidationError):
        pay(credit, cashier.user, "1")


def test_numbers_run_per_station_and_year(station, other_station, advisor, other_advisor, cashier):
    first = issue(ready_order_at(station, advisor), cashier.user)
    second = issue(ready_order_at(station, advisor), cashier.user)
    elsewhere = issue(ready_order_at(other_station, other_advisor), cashier.user)
    next_year = issue(ready_order_at(station, advisor), cashier.user, at=dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC))
    assert [first.number, second.number, elsewhere.number] == ["I2026-00001", "I2026-00002", "I2026-00001"]
    assert next_year.number == "I2027-00001"  # 08:05 on 1 January in Shanghai


# --- the delivery sheet and the send-off -----------------------------------------------------------------


def test_the_car_is_delivered_only_with_the_invoice_paid_and_the_delivery_sheet_recorded(ready_order, advisor, cashier):
    ready_order.keys_received_at = ready_order.registration_received_at = NOW - dt.timedelta(hours=5)
    ready_order.save()

    def deliver(**kw):
        kw.setdefault("keys_returned", True)
        kw.setdefault("registration_returned", True)
        return billing.repair_order_deliver(repair_order=ready_order, by=advisor.user, now=NOW, **kw)

    with pytest.raises(ValidationError) as error:
        deliver()
    assert len(error.value.messages) == 2  # no delivery sheet, no invoice
    record_delivery(ready_order, advisor)
    invoice = issue(ready_order, cashier.user)
    with pytest.raises(ValidationError, match="not paid"):
        deliver()
    pay(invoice, cashier.user, "500")
    with pytest.raises(ValidationError, match="not paid"):
        deliver()
    pay(invoice, cashier.user, "101.16")
    with pytest.raises(ValidationError, match="keys"):
        deliver(keys_returned=False)
    with pytest.raises(ValidationError, match="registration"):
        deliver(registration_returned=False)
    ready_order.refresh_from_db()
    assert ready_order.status == ROStatus.READY

    deliver()
    ready_order.refresh_from_db()
    assert ready_order.status == ROStatus.DELIVERED
    assert ready_order.keys_returned_at == NOW and ready_order.registration_returned_at == NOW
    assert Delivery.objects.get().delivered_at == NOW
    event = RepairOrderEvent.objects.filter(repair_order=ready_order).last()
    assert (event.from_status, event.to_status, event.by) == (ROStatus.READY, ROStatus.DELIVERED, advisor.user)
    assert invoice.number in event.note and "A-12" in event.note
    with pytest.raises(ValidationError):
        record_delivery(ready_order, advisor)  # handed over: the sheet no longer changes


def test_the_delivery_sheet_needs_the_explanations_the_old_parts_and_the_parking_spot(ready_order, advisor):
    with pytest.raises(ValidationError) as error:
        record_delivery(ready_order, advisor, parking_spot=" ", old_parts="", work_explained=False)
    assert set(error.value.message_dict) == {"parking_spot", "old_parts", "work_explained"}
    assert not Delivery.objects.exists()
    record_delivery(ready_order, advisor, recommendations_explained=False)  # nothing was declined
    record_delivery(ready_order, advisor, parking_spot="B-3")  # recorded again before the handover
    delivery = Delivery.objects.get()
    assert delivery.parking_spot == "B-3" and delivery.explained_by == advisor


@pytest.fixture
def declined(ready_order, station, technician):
    finding = Finding.objects.create(
        dealer=station,
        repair_order=ready_order,
        description="前刹车片磨损",
        urgency=Urgency.YELLOW,
        found_by=technician,
        found_at=NOW,
    )
    return FindingLine.objects.create(
        finding=finding,
        kind=LineKind.PART,
        description="前刹车片",
        quantity=1,
        unit_price=Decimal("480"),
        amount=Decimal("480"),
        decision=Decision.DECLINED,
        recommend_by_date=dt.date(2026, 4, 10),
        recommend_by_km=52_000,
    )


def test_declined_work_must_be_explained_and_is_on_the_sheet(ready_order, advisor, declined, technician):
    with pytest.raises(ValidationError) as error:
        record_delivery(ready_order, advisor, recommendations_explained=False)
    assert "recommendations_explained" in error.value.message_dict
    line = ready_order.lines.get(kind=LineKind.LABOUR)
    Job.objects.create(
        dealer=ready_order.dealer,
        repair_order=ready_order,
        estimate_line=line,
        flat_rate_hours=line.quantity,
        technician=technician,
        work_done="更换机油及机滤，复位保养灯",
    )
    sheet = billing.delivery_sheet(ready_order)
    assert sheet.recommendations == [declined]
    assert [job.work_done for job in sheet.jobs] == ["更换机油及机滤，复位保养灯"]
    assert [x.description for x in sheet.parts_replaced] == ["机油 5W-30"]


# --- the pages ---------------------------------------------------------------------------------------------


def test_the_cashier_queue_lists_ready_cars_and_unpaid_invoices_of_the_station(
    station, other_station, advisor, other_advisor, cashier, login, django_assert_max_num_queries
):
    orders = [ready_order_at(station, advisor, name=f"客户{n}") for n in range(24)]
    for order in orders[:12]:
        invoice = issue(order, cashier.user)
        pay(invoice, cashier.user, "100", at=timezone.now())
    paid = issue(orders[12], cashier.user)
    pay(paid, cashier.user, "226.00", at=timezone.now())
    repair_order_transition(repair_order=orders[12], to=ROStatus.DELIVERED)  # paid and gone: not in the queue
    ready_order_at(other_station, other_advisor, name="外站客户")
    client = login(cashier)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reception:cashier"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 23
    assert len(response.context["rows"]) == 20
    assert "外站客户" not in response.content.decode()
    assert response.context["today_total"] == Decimal("1426.00")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reception:cashier"), {"page": 2, "payments_page": 1})
    assert len(response.context["rows"]) == 3


def test_the_cashier_finds_an_order_by_plate_name_or_number_even_when_paid(station, advisor, cashier, login):
    order = ready_order_at(station, advisor, plate="京B77777", name="李雷")
    invoice = issue(order, cashier.user)
    pay(invoice, cashier.user, "226.00")
    repair_order_transition(repair_order=order, to=ROStatus.DELIVERED)
    ready_order_at(station, advisor, name="韩梅梅")
    client = login(cashier)
    for q in ("京B77777", "b77777", "李雷", order.number, invoice.number):
        rows = client.get(reverse("reception:cashier"), {"q": q}).context["rows"]
        assert [row["ro"] for row in rows] == [order], q
    response = client.get(reverse("reception:cashier"), {"q": "没有这个人"})
    assert response.context["rows"] == [] and "empty-state" in response.content.decode()


def test_the_empty_queue_says_so(station, cashier, login):
    response = login(cashier).get(reverse("reception:cashier"))
    assert response.status_code == 200 and "empty-state" in response.content.decode()


@pytest.mark.parametrize("role,status", [("cashier", 200), ("manager", 200), ("advisor", 200), ("technician", 403)])
def test_who_opens_the_cashier_page(role, status, login, request):
    assert login(request.getfixturevalue(role)).get(reverse("reception:cashier")).status_code == status


def test_the_invoice_page_issues_takes_split_payments_and_refuses_overpayment(
    ready_order, cashier, login, django_assert_max_num_queries
):
    client = login(cashier)
    url = reverse("reception:invoice", args=[ready_order.pk])
    with django_assert_max_num_queries(13):
        response = client.get(url)
    assert response.status_code == 200 and "¥601.16" in response.content.decode()
    response = client.post(reverse("reception:invoice_issue", args=[ready_order.pk]))
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    pay_url = reverse("reception:invoice_pay", args=[invoice.pk])
    assert client.post(pay_url, {"method": "card", "amount": "400", "reference": "POS-1"}).status_code == 302
    response = client.post(pay_url, {"method": "cash", "amount": "300"})
    assert response.status_code == 400
    assert "¥201.16" in response.content.decode()
    assert invoice.payments.count() == 1
    assert client.post(pay_url, {"method": "wechat", "amount": "201.16"}).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    with django_assert_max_num_queries(13):
        response = client.get(url)
    assert response.context["open"] == 0
    assert 'data-testid="payment"' in response.content.decode()


def test_the_invoice_page_shows_the_block_and_the_lines_left_off(priced_order, advisor, cashier, login):
    consent(priced_order, advisor.user)
    add_line(priced_order, LineKind.PART, quantity="1", unit_price="99", description="雨刮片")
    repair_order_transition(repair_order=priced_order, to=ROStatus.OPEN)
    estimates.line_update(line=priced_order.lines.get(kind=LineKind.LABOUR), quantity="3", unit_price="180")
    to_ready(priced_order)
    client = login(cashier)
    body = client.get(reverse("reception:invoice", args=[priced_order.pk])).content.decode()
    assert 'data-testid="blocked"' in body and 'data-testid="left-out"' in body and "雨刮片" in body
    response = client.post(reverse("reception:invoice_issue", args=[priced_order.pk]), follow=True)
    assert not Invoice.objects.exists()
    assert "¥601.16" in response.content.decode()


def test_the_advisor_may_not_take_payment_nor_credit(ready_order, advisor, cashier, login):
    invoice = issue(ready_order, cashier.user)
    client = login(advisor)
    assert (
        client.post(reverse("reception:invoice_pay", args=[invoice.pk]), {"method": "cash", "amount": "1"}).status_code
        == 403
    )
    assert client.post(reverse("reception:invoice_credit", args=[invoice.pk]), {"reason": "x"}).status_code == 403


def test_the_cashier_credits_through_the_page(ready_order, cashier, login):
    invoice = issue(ready_order, cashier.user)
    client = login(cashier)
    url = reverse("reception:invoice_credit", args=[invoice.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "客户要求开公司抬头"}).status_code == 302
    assert Invoice.objects.get(kind=InvoiceKind.CREDIT).credit_of == invoice
    body = client.get(reverse("reception:invoice", args=[ready_order.pk])).content.decode()
    assert 'data-testid="history"' in body and "C2026-00001" in body


def test_the_delivery_page_records_the_talk_and_hands_over(
    ready_order, advisor, cashier, declined, login, django_assert_max_num_queries
):
    client = login(advisor)
    url = reverse("reception:delivery", args=[ready_order.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200 and "前刹车片" in body and "2026-04-10" in body and "52000" in body
    form = {"work_explained": "on", "invoice_explained": "on", "old_parts": "returned", "parking_spot": ""}
    response = client.post(url, form)
    assert response.status_code == 400 and not Delivery.objects.exists()
    form.update(parking_spot="B-07", recommendations_explained="on")
    assert client.post(url, form).status_code == 302
    deliver_url = reverse("reception:deliver", args=[ready_order.pk])
    assert client.post(deliver_url, {}).status_code == 400  # not invoiced
    pay(issue(ready_order, cashier.user), cashier.user, AGREED)
    assert client.post(deliver_url, {"keys_returned": "on"}).status_code == 302
    ready_order.refresh_from_db()
    assert ready_order.status == ROStatus.DELIVERED
    with django_assert_max_num_queries(16):
        body = client.get(url).content.decode()
    assert 'data-testid="handed-over"' in body


def test_the_cashier_may_read_the_delivery_sheet_but_not_record_it(ready_order, cashier, login):
    client = login(cashier)
    url = reverse("reception:delivery", args=[ready_order.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"parking_spot": "A"}).status_code == 403
    assert client.post(reverse("reception:deliver", args=[ready_order.pk])).status_code == 403


def test_an_order_not_ready_sends_the_user_back_to_the_order(priced_order, advisor, login):
    response = login(advisor).get(reverse("reception:invoice", args=[priced_order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("reception:order", args=[priced_order.pk])


def test_another_stations_staff_get_404(ready_order, cashier, other_station, login, staff_of):
    invoice = issue(ready_order, cashier.user)
    client = login(staff_of("cashier", other_station))
    for url in (
        reverse("reception:delivery", args=[ready_order.pk]),
        reverse("reception:invoice", args=[ready_order.pk]),
        reverse("reception:invoice_receipt", args=[invoice.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("reception:invoice_pay", args=[invoice.pk]), {"method": "cash", "amount": "1"}).status_code
        == 404
    )
    assert client.post(reverse("reception:invoice_issue", args=[ready_order.pk])).status_code == 404
    assert not Payment.objects.exists()


def test_the_order_page_links_to_delivery_and_billing_once_the_car_is_ready(priced_order, ready_order, advisor, login):
    body = login(advisor).get(reverse("reception:order", args=[ready_order.pk])).content.decode()
    assert 'data-testid="billing-card"' in body and reverse("reception:invoice", args=[ready_order.pk]) in body


# --- printed: the receipt and the five-part order -------------------------------------------------------

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext reads the PDF back")


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


@needs_poppler
def test_the_receipt_and_the_five_part_order_print_the_invoice_and_its_payments(
    ready_order, station, cashier, login, django_assert_max_num_queries
):
    PartsOrder.objects.create(dealer=station, repair_order=ready_order, deposit=Decimal("100"))
    invoice = issue(ready_order, cashier.user)
    pay(invoice, cashier.user, "200", PaymentMethod.CARD)
    pay(invoice, cashier.user, "301.16", PaymentMethod.ALIPAY)
    client = login(cashier)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reception:invoice_receipt", args=[invoice.pk]))
    assert response["Content-Disposition"] == f'inline; filename="receipt-{invoice.number}.pdf"'
    text = pdf_text(response.content)
    for expected in (invoice.number, ready_order.number, "¥601.16", "¥100.00", "¥501.16", "¥301.16", "¥200.00"):
        assert expected in text, expected

    order = documents.for_print(RepairOrder.objects).get(pk=ready_order.pk)
    pdf = documents.repair_order_pdf(order)
    pages = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = ["".join(page.split()) for page in pages.rstrip("\f").split("\f")]
    assert len(pages) == 5
    for index in (3, 4):  # request and settlement
        assert invoice.number in pages[index]
    assert "¥301.16" in pages[4] and "¥501.16" in pages[4]
    assert invoice.number not in pages[1]  # the estimate stays the estimate
