"""Trigram indexes for the front-desk lookup (customers.selectors.customer_lookup).

The lookup matches part of a name, phone, plate or VIN anywhere in the
value ("BD567" finds 粤BD56789, a VIN's last digits find the car), so a
btree index cannot answer it; a trigram GIN index can, for contains
patterns of three characters or more. The indexes are on the very
expressions Django's lookups compare: UPPER(col::text) for icontains,
col::text for contains.

PostgreSQL only (pg_trgm); on other databases this migration does nothing.
"""

from django.db import migrations

INDEXES = (
    ("customers_customer_name_trgm", "customers_customer", "UPPER(name::text)"),
    ("customers_customer_phone_trgm", "customers_customer", "(phone::text)"),
    ("customers_customer_phone2_trgm", "customers_customer", "(phone2::text)"),
    ("customers_vehicle_plate_trgm", "customers_vehicle", "UPPER(plate::text)"),
    ("customers_vehicle_vin_trgm", "customers_vehicle", "UPPER(vin::text)"),
)


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_vin_optional_for_online_registration")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
