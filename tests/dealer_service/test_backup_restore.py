"""The README's backup, restored: `pg_dump -Fc` of a database with real rows,
`pg_restore` into a fresh database, and the rows found there.

A backup counts only once it has been restored; this is the weekly check of
README "Backup and restore", run on every CI run. Needs PostgreSQL and the
client binaries (Debian's postgresql-client, which CI installs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from customers.models import Customer
from reception import billing
from reception.models import Invoice, InvoiceStatus, Payment, RepairOrder
from tests import concurrency
from tests.reception.test_billing import NOW, ready_order_at

PG_DUMP, PG_RESTORE = shutil.which("pg_dump"), shutil.which("pg_restore")

pytestmark = [
    *concurrency.POSTGRES_ONLY,
    pytest.mark.skipif(not (PG_DUMP and PG_RESTORE), reason="pg_dump/pg_restore not on PATH (postgresql-client)"),
]


def _client_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL client binaries, from Django's settings."""
    args = ["--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{option}={settings_dict[key]}")
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _connect(settings_dict: dict, dbname: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(
        dbname=dbname,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        **kwargs,
    )


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards whatever happens."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with _connect(settings_dict, settings_dict["NAME"], autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _connect(settings_dict, settings_dict["NAME"], autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = [model._meta.db_table for model in (Customer, RepairOrder, Invoice, Payment)] + ["django_migrations"]
    return {
        table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
        for table in tables
    }


def test_a_custom_format_dump_restores_into_a_fresh_database_with_every_row(
    station, advisor, cashier, tmp_path, fresh_database
):
    order = ready_order_at(station, advisor, name="备份客户")
    invoice = billing.invoice_issue(repair_order=order, by=cashier.user, now=NOW)
    billing.payment_record(invoice=invoice, method="card", amount="226", by=cashier.user, now=NOW)
    settings_dict = connection.settings_dict
    args, env = _client_args(settings_dict)
    archive = tmp_path / "dealer_service.dump"

    subprocess.run(
        [PG_DUMP, "-Fc", "--no-owner", *args, f"--file={archive}", settings_dict["NAME"]],
        env=env,
        check=True,
        timeout=120,
    )
    listing = subprocess.run([PG_RESTORE, "--list", str(archive)], capture_output=True, text=True, check=True)
    assert f"TABLE DATA public {Invoice._meta.db_table} " in listing.stdout  # the archive reads to its end
    subprocess.run(
        [PG_RESTORE, "--no-owner", "--exit-on-error", *args, f"--dbname={fresh_database}", str(archive)],
        env=env,
        check=True,
        timeout=120,
    )

    with _connect(settings_dict, settings_dict["NAME"]) as source, _connect(settings_dict, fresh_database) as copy:
        expected = _counts(source)
        assert _counts(copy) == expected
        assert expected[Invoice._meta.db_table] == 1 and expected[Customer._meta.db_table] >= 1
        row = copy.execute(
            sql.SQL(
                "SELECT i.status, i.amount_due, r.number, c.name FROM {} i JOIN {} r ON r.id = i.repair_order_id "
                "JOIN {} c ON c.id = r.customer_id WHERE i.number = %s"
            ).format(
                sql.Identifier(Invoice._meta.db_table),
                sql.Identifier(RepairOrder._meta.db_table),
                sql.Identifier(Customer._meta.db_table),
            ),
            [invoice.number],
        ).fetchone()
    assert invoice.number == "I2026-00001"
    assert row == (InvoiceStatus.PAID, Decimal("226.00"), order.number, "备份客户")
