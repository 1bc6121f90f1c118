"""Invoice numbers run without gaps or duplicates when the cashiers of a
station issue invoices at the same moment.

Runs on PostgreSQL, where each thread holds its own connection and the
station-row lock is real; skipped on SQLite, which serialises every writer
anyway."""

import threading

import pytest
from django.db import connection, connections

from reception import billing
from reception.models import Invoice, InvoiceKind
from tests.reception.test_billing import NOW, ready_order_at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

ATTEMPTS = 8


def run_at_once(targets) -> list:
    barrier = threading.Barrier(len(targets))
    outcomes: list = []

    def one(target):
        try:
            barrier.wait()
            outcomes.append(target())
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_parallel_invoices_on_different_orders_are_numbered_without_gaps(station, advisor, cashier):
    orders = [ready_order_at(station, advisor, name=f"客户{n}") for n in range(ATTEMPTS)]
    outcomes = run_at_once(
        [lambda order=order: billing.invoice_issue(repair_order=order, by=cashier.user, now=NOW) for order in orders]
    )
    assert all(isinstance(x, Invoice) for x in outcomes), outcomes
    numbers = sorted(Invoice.objects.filter(dealer=station).values_list("number", flat=True))
    assert numbers == [f"I2026-{n:05d}" for n in range(1, ATTEMPTS + 1)]
    assert sorted(Invoice.objects.values_list("repair_order", flat=True)) == sorted(o.pk for o in orders)


def test_parallel_issues_on_one_order_make_one_invoice(station, advisor, cashier):
    order = ready_order_at(station, advisor)
    outcomes = run_at_once(
        [lambda: billing.invoice_issue(repair_order=order, by=cashier.user, now=NOW) for _ in range(ATTEMPTS)]
    )
    assert sum(isinstance(x, Invoice) for x in outcomes) == 1, outcomes
    assert Invoice.objects.filter(repair_order=order, kind=InvoiceKind.INVOICE).count() == 1


def test_parallel_payments_never_pay_more_than_the_amount_due(station, advisor, cashier):
    invoice = billing.invoice_issue(repair_order=ready_order_at(station, advisor), by=cashier.user, now=NOW)
    outcomes = run_at_once(
        [
            lambda: billing.payment_record(invoice=invoice, method="cash", amount="100", by=cashier.user, now=NOW)
            for _ in range(ATTEMPTS)
        ]
    )
    invoice.refresh_from_db()
    assert sum(p.amount for p in invoice.payments.all()) == 200  # ¥226 due: two payments of ¥100 fit
    assert sum(not isinstance(x, Exception) for x in outcomes) == 2
