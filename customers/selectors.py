"""Reads of the customer & vehicle file that several pages share."""

from __future__ import annotations

import re

from django.db.models import Prefetch, Q, QuerySet

from customers.models import Customer, OdometerReading, Ownership, Vehicle
from customers.validators import normalize_phone, normalize_plate, normalize_vin
from dealers.models import Dealer


def lookup_query(q: str) -> Q | None:
    """The front-desk search: plate, phone, VIN (full or tail) or name, partial
    input allowed. Returns None for input too short to search."""
    q = (q or "").strip()
    if len(q) < 2:
        return None
    digits = re.sub(r"\D", "", q)
    plate = normalize_plate(q)
    vin = normalize_vin(q)
    match = Q(name__icontains=q) | Q(vehicles__plate__icontains=plate) | Q(vehicles__vin__icontains=vin)
    if re.fullmatch(r"[\d\s\-+()]{3,}", q):
        # Phones are stored normalised (mobile digits, landline area-number).
        for needle in {digits, normalize_phone(q)}:
            match |= Q(phone__contains=needle) | Q(phone2__contains=needle)
    return match


def _lookup_parts(q: str) -> tuple[Q, Q] | None:
    """lookup_query split by table: what to match on the customer, what on
    their vehicles (prefixed for Vehicle). None for input too short."""
    q = (q or "").strip()
    if len(q) < 2:
        return None
    digits = re.sub(r"\D", "", q)
    on_customer = Q(name__icontains=q)
    if re.fullmatch(r"[\d\s\-+()]{3,}", q):
        for needle in {digits, normalize_phone(q)}:
            on_customer |= Q(phone__contains=needle) | Q(phone2__contains=needle)
    on_vehicle = Q(plate__icontains=normalize_plate(q)) | Q(vin__icontains=normalize_vin(q))
    return on_customer, on_vehicle


def customer_lookup(*, station: Dealer, q: str) -> QuerySet[Customer] | None:
    """Customers of the station matching the search, each with its vehicles.

    The same match as lookup_query, written as a union of a search of the
    customers and one of the vehicles: an OR across the join to the vehicles
    can only be answered by reading every customer of the station, each side
    alone can use its trigram indexes on PostgreSQL (migration
    0003_lookup_trigram_indexes)."""
    parts = _lookup_parts(q)
    if parts is None:
        return None
    on_customer, on_vehicle = parts
    by_customer = Customer.objects.for_station(station).filter(on_customer).order_by().values("pk")
    by_vehicle = Vehicle.objects.filter(on_vehicle, owner__dealer=station).order_by().values("owner_id")
    return customers_with_vehicles(Customer.objects.filter(pk__in=by_customer.union(by_vehicle)))


def customers_with_vehicles(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    return customers.prefetch_related(Prefetch("vehicles", queryset=Vehicle.objects.order_by("plate"))).order_by(
        "-updated_at", "-pk"
    )


def _repair_orders() -> QuerySet:
    # Repair orders belong to a later app (reception): reached through the
    # reverse relation so that this app imports nothing from it.
    model = Customer._meta.get_field("repair_orders").related_model
    return model.objects.select_related("vehicle").order_by("-created_at", "-pk")


def customer_file_queryset(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers with everything the customer file page shows, prefetched:
    a fixed number of queries per customer fetched."""
    vehicles = Vehicle.objects.order_by("plate").prefetch_related(
        Prefetch("odometer_readings", queryset=OdometerReading.objects.select_related("recorded_by")),
        Prefetch("ownerships", queryset=Ownership.objects.select_related("customer")),
    )
    return customers.select_related("dealer").prefetch_related(
        Prefetch("vehicles", queryset=vehicles),
        Prefetch("ownerships", queryset=Ownership.objects.select_related("vehicle")),
        Prefetch("repair_orders", queryset=_repair_orders()),
    )


def customer_file(customer: Customer) -> Customer:
    """Load everything the customer file page shows, in a fixed number of queries."""
    return customer_file_queryset(Customer.objects.filter(pk=customer.pk)).get()
