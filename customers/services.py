"""Every write to the customer & vehicle file: one function per business action."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, OdometerReading, OdometerSource, Ownership, Vehicle
from dealers.models import Dealer


@transaction.atomic
def customer_create(*, dealer: Dealer, by=None, **fields: Any) -> Customer:
    customer = Customer(dealer=dealer, **fields)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by=None, **fields: Any) -> Customer:
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def vehicle_register(
    *,
    owner: Customer,
    since: dt.date | None = None,
    odometer_km: int | None = None,
    by=None,
    **fields: Any,
) -> Vehicle:
    """Add a vehicle to a customer's file, with its first ownership row and,
    if known, its first odometer reading."""
    vehicle = Vehicle(dealer=owner.dealer, owner=owner, **fields)
    vehicle.full_clean()
    vehicle.save()
    today = timezone.localdate()
    Ownership.objects.create(vehicle=vehicle, customer=owner, since=since or vehicle.sale_date or today, recorded_by=by)
    if odometer_km is not None:
        odometer_record(vehicle=vehicle, km=odometer_km, read_on=today, source=OdometerSource.CUSTOMER, by=by)
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, by=None, **fields: Any) -> Vehicle:
    for name, value in fields.items():
        setattr(vehicle, name, value)
    vehicle.full_clean()
    vehicle.save()
    return vehicle


@transaction.atomic
def vehicle_transfer(*, vehicle: Vehicle, new_owner: Customer, on: dt.date, note: str = "", by=None) -> Ownership:
    """The vehicle changes hands; the previous ownership is closed, not erased."""
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    if new_owner.dealer_id != vehicle.dealer_id:
        raise ValidationError({"new_owner": _("The new owner must be a customer of the same station.")})
    if new_owner.pk == vehicle.owner_id:
        raise ValidationError({"new_owner": _("This customer already owns the vehicle.")})
    current = vehicle.ownerships.filter(until__isnull=True).first()
    if current is not None:
        if on < current.since:
            raise ValidationError(
                {
                    "on": _("The transfer date cannot be before the current owner's date (%(since)s).")
                    % {"since": current.since}
                }
            )
        current.until = on
        current.save(update_fields=["until"])
    ownership = Ownership(vehicle=vehicle, customer=new_owner, since=on, note=note, recorded_by=by)
    ownership.full_clean()
    ownership.save()
    vehicle.owner = new_owner
    vehicle.save(update_fields=["owner", "updated_at"])
    return ownership


@transaction.atomic
def odometer_record(
    *,
    vehicle: Vehicle,
    km: int,
    read_on: dt.date,
    source: str,
    correction_reason: str = "",
    by=None,
) -> OdometerReading:
    """Record a reading. Odometers only go up: a reading below the latest one
    is accepted only with a correction reason (e.g. cluster replaced)."""
    if read_on > timezone.localdate():
        raise ValidationError({"read_on": _("A reading cannot be dated in the future.")})
    Vehicle.objects.select_for_update().filter(pk=vehicle.pk).first()  # one writer per vehicle
    latest = OdometerReading.objects.filter(vehicle=vehicle, read_on__lte=read_on).order_by("-read_on", "-pk").first()
    if latest is not None and km < latest.km and not correction_reason.strip():
        raise ValidationError(
            {
                "correction_reason": _(
                    "%(km)s km is lower than the last reading (%(last)s km on %(date)s): give the reason for the correction."
                )
                % {"km": km, "last": latest.km, "date": latest.read_on}
            }
        )
    reading = OdometerReading(
        vehicle=vehicle,
        km=km,
        read_on=read_on,
        source=OdometerSource.CORRECTION if correction_reason.strip() and latest and km < latest.km else source,
        correction_reason=correction_reason.strip(),
        recorded_by=by,
    )
    reading.full_clean()
    reading.save()
    return reading
