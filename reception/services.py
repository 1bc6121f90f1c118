"""Reception's writes: repair order numbering and the one transition service.

Also the arrival queue, opening an RO (from an appointment, pre-filled, or
for a walk-in), its reception details and the comeback link.

Every state change of a repair order goes through `repair_order_transition`:
allowed by RO_TRANSITIONS, applied only if nobody changed the RO meanwhile,
logged as an event. Leaving draft needs a consent record: no work starts on
a price the customer has not agreed.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from appointments.models import TRANSITIONS as APPOINTMENT_TRANSITIONS
from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from appointments.services import TransitionError, appointment_transition
from customers.models import Customer, Vehicle
from customers.validators import normalize_plate
from dealers.audit import records_actor
from dealers.models import Dealer, JobType, StaffMember
from dealers.numbering import next_number
from reception.models import (
    RO_TRANSITIONS,
    Arrival,
    ComebackCause,
    ConsentRecord,
    EstimateLine,
    InquirySheet,
    LineKind,
    RepairOrder,
    RepairOrderEvent,
    ROStatus,
    WalkAround,
)
from reception.pricing import line_amount

__all__ = ["TransitionError", "next_repair_order_number", "repair_order_transition"]


def next_repair_order_number(dealer: Dealer, when: dt.datetime) -> str:
    """RYYYY-NNNNN per station and year. Call it with the station row locked
    (`Dealer.objects.select_for_update()`), in the transaction that saves the RO."""
    return next_number(RepairOrder.objects.filter(dealer=dealer), "R", timezone.localtime(when).year)


@transaction.atomic
def repair_order_transition(
    *, repair_order: RepairOrder, to: str, by=None, note: str = "", now: dt.datetime | None = None
) -> RepairOrder:
    now = now or timezone.now()
    old = repair_order.status
    if to not in RO_TRANSITIONS[old]:
        raise TransitionError(
            _("A repair order that is %(old)s cannot become %(new)s.")
            % {"old": ROStatus(old).label, "new": ROStatus(to).label}
        )
    if (
        old == ROStatus.DRAFT
        and to == ROStatus.OPEN
        and not ConsentRecord.objects.filter(repair_order=repair_order).exists()
    ):
        raise ValidationError(_("The customer has not agreed the estimate yet: record the consent first."))
    changed = RepairOrder.objects.filter(pk=repair_order.pk, status=old).update(status=to)
    if not changed:
        raise TransitionError(_("Someone else changed this repair order meanwhile: reload and try again."))
    RepairOrderEvent.objects.create(
        repair_order=repair_order, from_status=old, to_status=to, at=now, by=by, note=note[:300]
    )
    repair_order.status = to
    return repair_order


# --- arrival and opening the repair order (接车) ---------------------------------------


class OpenRepairOrderExists(ValidationError):
    """The vehicle already has an open RO: the page links to it."""

    def __init__(self, repair_order: RepairOrder):
        super().__init__(
            _("Vehicle %(vehicle)s already has an open repair order %(number)s: continue there.")
            % {"vehicle": repair_order.vehicle, "number": repair_order.number},
            code="open_repair_order",
        )
        self.repair_order = repair_order


def open_repair_order_of(vehicle: Vehicle) -> RepairOrder | None:
    return RepairOrder.objects.open().filter(vehicle=vehicle).select_related("vehicle").first()


@transaction.atomic
def arrival_record_appointment(*, appointment: Appointment, by=None, now: dt.datetime | None = None) -> Arrival:
    """An expected customer is at the desk: queue them and mark the appointment arrived."""
    now = now or timezone.now()
    if Arrival.objects.filter(appointment=appointment).exists():
        raise ValidationError(_("This customer's arrival is already recorded."), code="already_arrived")
    appointment_transition(appointment=appointment, to=AppointmentStatus.ARRIVED, by=by, now=now)
    return Arrival.objects.create(
        dealer=appointment.dealer,
        appointment=appointment,
        customer=appointment.customer,
        vehicle=appointment.vehicle,
        name=appointment.customer.name,
        plate=appointment.vehicle.plate,
        arrived_at=now,
    )


def vehicle_by_plate(dealer: Dealer, plate: str) -> Vehicle | None:
    plate = normalize_plate(plate)
    if not plate:
        return None
    return Vehicle.objects.for_station(dealer).filter(plate=plate).select_related("owner").first()


@transaction.atomic
def arrival_record_walk_in(
    *, dealer: Dealer, plate: str = "", name: str = "", by=None, now: dt.datetime | None = None
) -> Arrival:
    """A customer without appointment joins the queue. A known plate links
    the vehicle and its owner at once; an unknown one stays plate and name."""
    now = now or timezone.now()
    plate, name = normalize_plate(plate), (name or "").strip()
    if not plate and not name:
        raise ValidationError(_("Enter the plate or the customer's name."), code="walk_in_empty")
    if len(plate) > 12:
        raise ValidationError({"plate": _("A plate has at most 12 characters.")})
    vehicle = vehicle_by_plate(dealer, plate)
    return Arrival.objects.create(
        dealer=dealer,
        vehicle=vehicle,
        customer=vehicle.owner if vehicle else None,
        plate=plate,
        name=name or (vehicle.owner.name if vehicle else ""),
        arrived_at=now,
    )


def _lock_waiting(arrival: Arrival) -> Arrival:
    locked = Arrival.objects.select_for_update().get(pk=arrival.pk)
    if locked.served_at or locked.left_at:
        raise ValidationError(_("This customer is no longer waiting: reload the queue."), code="not_waiting")
    return locked


@transaction.atomic
def arrival_leave(*, arrival: Arrival, by=None, now: dt.datetime | None = None) -> Arrival:
    """The customer left without being served (a figure for the manager)."""
    arrival = _lock_waiting(arrival)
    arrival.left_at = now or timezone.now()
    arrival.save(update_fields=["left_at"])
    return arrival


@transaction.atomic
def arrival_serve(
    *,
    arrival: Arrival,
    advisor: StaffMember,
    by=None,
    job_type: str = "",
    plate: str = "",
    now: dt.datetime | None = None,
) -> RepairOrder:
    """Serve a customer of the queue, in arrival order, and open the RO.

    An appointment customer's RO is pre-filled from the appointment; a
    walk-in needs a vehicle on file (its plate, looked up now if the file was
    created while they waited) and a job type."""
    now = now or timezone.now()
    arrival = _lock_waiting(arrival)
    earlier = (
        Arrival.objects.filter(dealer=arrival.dealer_id)
        .waiting()
        .filter(Q(arrived_at__lt=arrival.arrived_at) | Q(arrived_at=arrival.arrived_at, pk__lt=arrival.pk))
        .first()
    )
    if earlier is not None:
        raise ValidationError(
            _("Serve customers in arrival order: %(who)s has been waiting longer.")
            % {"who": earlier.name or earlier.plate},
            code="not_first",
        )
    if arrival.appointment_id:
        return repair_order_open_from_appointment(arrival=arrival, advisor=advisor, by=by, now=now)
    vehicle = arrival.vehicle
    if plate or vehicle is None:
        vehicle = vehicle_by_plate(arrival.dealer, plate or arrival.plate)
    if vehicle is None:
        raise ValidationError(
            _("No vehicle with plate “%(plate)s” on file: create the customer file first, then serve.")
            % {"plate": normalize_plate(plate or arrival.plate) or "—"},
            code="vehicle_unknown",
        )
    return repair_order_open_walk_in(
        vehicle=vehicle, advisor=advisor, job_type=job_type, by=by, now=now, arrival=arrival
    )


def _create_repair_order(
    *,
    dealer: Dealer,
    vehicle: Vehicle,
    customer: Customer,
    advisor: StaffMember,
    job_type: str,
    by,
    now: dt.datetime,
    appointment: Appointment | None = None,
    purpose: str = "",
) -> RepairOrder:
    """A numbered draft RO with its empty inquiry sheet and walk-around, under
    the station lock (numbering). One open RO per vehicle: checked here for a
    clear message, and by the database constraint if two desks race."""
    dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
    if vehicle.dealer_id != dealer.pk:
        raise ValidationError(_("This vehicle is on file at another station."), code="other_station")
    if job_type not in JobType.values:
        raise ValidationError({"job_type": _("Choose the job type.")})
    if not advisor.dealers.filter(pk=dealer.pk).exists():
        raise ValidationError(_("The service advisor does not work at this station."), code="advisor_station")
    existing = open_repair_order_of(vehicle)
    if existing is not None:
        raise OpenRepairOrderExists(existing)
    repair_order = RepairOrder(
        dealer=dealer,
        number=next_repair_order_number(dealer, now),
        customer=customer,
        vehicle=vehicle,
        advisor=advisor,
        appointment=appointment,
        job_type=job_type,
        purpose=purpose,
        created_by=by,
    )
    repair_order.full_clean(exclude=["number"], validate_constraints=False)
    try:
        with transaction.atomic():
            repair_order.save()
    except IntegrityError:
        existing = open_repair_order_of(vehicle)
        if existing is not None:
            raise OpenRepairOrderExists(existing) from None
        raise
    RepairOrderEvent.objects.create(repair_order=repair_order, to_status=ROStatus.DRAFT, at=now, by=by)
    WalkAround.objects.create(repair_order=repair_order)
    return repair_order


def _estimate_lines_from(appointment: Appointment, repair_order: RepairOrder) -> list[EstimateLine]:
    """The appointment's operations and packages as estimate lines: labour at
    the station's rate, package parts at their price, in stock or to order.
    A free line (price 0) is left for the estimate to add by hand."""
    rate = repair_order.dealer.labour_rate
    lines: list[EstimateLine] = []

    def labour(operation, package=None) -> None:
        if rate > 0:
            lines.append(
                EstimateLine(
                    kind=LineKind.LABOUR,
                    operation=operation,
                    package=package,
                    description=operation.name,
                    quantity=operation.flat_rate_hours,
                    unit_price=rate,
                    amount=line_amount(operation.flat_rate_hours, rate),
                )
            )

    source = appointment.lines.select_related("operation", "package").prefetch_related(
        "package__operations", "package__package_parts__part"
    )
    for line in source.order_by("pk"):
        if line.operation_id:
            labour(line.operation)
            continue
        for operation in line.package.operations.all():
            labour(operation, line.package)
        for item in line.package.package_parts.all():
            part = item.part
            if part.unit_price > 0:
                lines.append(
                    EstimateLine(
                        kind=LineKind.PART,
                        part=part,
                        package=line.package,
                        description=part.name,
                        part_number=part.number,
                        quantity=item.quantity,
                        unit_price=part.unit_price,
                        amount=line_amount(item.quantity, part.unit_price),
                        in_stock=part.stock_on_hand >= item.quantity,
                    )
                )
    for position, line in enumerate(lines, start=1):
        line.repair_order, line.position = repair_order, position
    return bulk_create_with_history(lines, EstimateLine)


@records_actor
@transaction.atomic
def repair_order_open_from_appointment(
    *,
    advisor: StaffMember,
    arrival: Arrival | None = None,
    appointment: Appointment | None = None,
    by=None,
    now: dt.datetime | None = None,
) -> RepairOrder:
    """The appointment becomes a draft RO: the work order draft from the
    preparation (or the request) pre-fills the inquiry sheet, the booked
    operations and packages the estimate; the appointment is converted."""
    now = now or timezone.now()
    if arrival is not None:
        appointment = arrival.appointment
    if appointment is None:
        raise ValidationError(_("No appointment to open a repair order from."), code="no_appointment")
    appointment = Appointment.objects.select_related("customer", "vehicle", "dealer").get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.ARRIVED:
        if AppointmentStatus.ARRIVED not in APPOINTMENT_TRANSITIONS[appointment.status]:
            raise ValidationError(
                _("An appointment that is %(status)s cannot be opened as a repair order.")
                % {"status": appointment.get_status_display()},
                code="appointment_status",
            )
        appointment_transition(appointment=appointment, to=AppointmentStatus.ARRIVED, by=by, now=now)
    if arrival is None:
        arrival = Arrival.objects.filter(appointment=appointment).waiting().first()
    preparation = getattr(appointment, "preparation", None)
    draft = (preparation.draft_request if preparation else "").strip()
    repair_order = _create_repair_order(
        dealer=appointment.dealer,
        vehicle=appointment.vehicle,
        customer=appointment.customer,
        advisor=advisor,
        job_type=appointment.job_type,
        by=by,
        now=now,
        appointment=appointment,
        purpose=appointment.request,
    )
    InquirySheet.objects.create(repair_order=repair_order, symptom=draft or appointment.request)
    _estimate_lines_from(appointment, repair_order)
    appointment_transition(
        appointment=appointment, to=AppointmentStatus.CONVERTED, by=by, now=now, note=repair_order.number
    )
    if arrival is not None:
        _mark_served(arrival, repair_order, advisor, now)
    return repair_order


@transaction.atomic
def repair_order_open_walk_in(
    *,
    vehicle: Vehicle,
    advisor: StaffMember,
    job_type: str,
    by=None,
    now: dt.datetime | None = None,
    arrival: Arrival | None = None,
    purpose: str = "",
) -> RepairOrder:
    """A customer without appointment: an empty draft RO for their car."""
    now = now or timezone.now()
    repair_order = _create_repair_order(
        dealer=vehicle.dealer,
        vehicle=vehicle,
        customer=vehicle.owner,
        advisor=advisor,
        job_type=job_type,
        by=by,
        now=now,
        purpose=purpose,
    )
    InquirySheet.objects.create(repair_order=repair_order)
    if arrival is not None:
        _mark_served(arrival, repair_order, advisor, now)
    return repair_order


def _mark_served(arrival: Arrival, repair_order: RepairOrder, advisor: StaffMember, now: dt.datetime) -> None:
    changed = Arrival.objects.filter(pk=arrival.pk, served_at__isnull=True, left_at__isnull=True).update(
        served_at=now,
        served_by=advisor,
        repair_order=repair_order,
        vehicle=repair_order.vehicle,
        customer=repair_order.customer,
    )
    if not changed:
        raise ValidationError(_("This customer is no longer waiting: reload the queue."), code="not_waiting")


# --- the RO's reception details ---------------------------------------------------------

RECEPTION_FIELDS = ("purpose", "special_needs", "waiting", "transport_note", "payment_method")
HANDOVER_FIELDS = {"keys": "keys_received_at", "registration": "registration_received_at"}


def _check_editable(repair_order: RepairOrder) -> None:
    if not repair_order.is_open:
        raise ValidationError(
            _("A repair order that is %(status)s cannot be changed.") % {"status": repair_order.get_status_display()},
            code="not_open",
        )


@transaction.atomic
def repair_order_update(*, repair_order: RepairOrder, by=None, **fields) -> RepairOrder:
    """Purpose, special needs, waiting in the lounge or leaving, payment method told."""
    _check_editable(repair_order)
    unknown = set(fields) - set(RECEPTION_FIELDS)
    if unknown:
        raise TypeError(f"not reception fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(repair_order, name, value)
    repair_order.full_clean(validate_constraints=False)
    repair_order.save(update_fields=list(fields))
    return repair_order


@transaction.atomic
def repair_order_receive(
    *, repair_order: RepairOrder, item: str, by=None, now: dt.datetime | None = None
) -> RepairOrder:
    """Keys or the registration certificate (行驶证) handed over at the desk."""
    field = HANDOVER_FIELDS[item]
    _check_editable(repair_order)
    now = now or timezone.now()
    changed = RepairOrder.objects.filter(pk=repair_order.pk, **{f"{field}__isnull": True}).update(**{field: now})
    if not changed:
        raise ValidationError(_("Already recorded as received."), code="already_received")
    setattr(repair_order, field, now)
    return repair_order


@transaction.atomic
def inquiry_update(*, repair_order: RepairOrder, by=None, **fields) -> InquirySheet:
    """The inquiry sheet: 询问故障现象 → 故障再次确认 → 推测故障原因."""
    from reception.inquiry import CONDITION_CODES

    _check_editable(repair_order)
    sheet, _created = InquirySheet.objects.get_or_create(repair_order=repair_order)
    conditions = list(fields.get("conditions") or [])
    if set(conditions) - CONDITION_CODES:
        raise ValidationError({"conditions": _("Unknown question in the answers.")})
    for name, value in fields.items():
        setattr(sheet, name, value)
    if sheet.reconfirmation_note and not sheet.reconfirmed:
        raise ValidationError({"reconfirmed": _("Tick the re-confirmation when you note it.")})
    sheet.full_clean(exclude=["repair_order"])
    sheet.save()
    return sheet


# --- comeback (返修) ---------------------------------------------------------------------

DONE_STATES = (ROStatus.DELIVERED, ROStatus.CLOSED)


def comeback_candidates(repair_order: RepairOrder, now: dt.datetime | None = None):
    """The vehicle's earlier ROs delivered within the station's comeback window,
    newest first, each with `delivered_at`."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=repair_order.dealer.comeback_window_days)
    return (
        RepairOrder.objects.filter(
            dealer=repair_order.dealer_id, vehicle=repair_order.vehicle_id, status__in=DONE_STATES
        )
        .exclude(pk=repair_order.pk)
        .annotate(delivered_at=Max("events__at", filter=Q(events__to_status=ROStatus.DELIVERED)))
        .filter(delivered_at__gte=since, delivered_at__lte=now)
        .order_by("-delivered_at")
    )


@transaction.atomic
def repair_order_mark_comeback(
    *, repair_order: RepairOrder, original: RepairOrder, cause: str, by=None, now: dt.datetime | None = None
) -> RepairOrder:
    """This RO repeats an earlier repair of the same car: a comeback work order
    linked to the original, with its cause (workmanship, parts, customer)."""
    _check_editable(repair_order)
    if cause not in ComebackCause.values:
        raise ValidationError({"comeback_cause": _("Choose the cause of the comeback.")})
    if original.vehicle_id != repair_order.vehicle_id or original.dealer_id != repair_order.dealer_id:
        raise ValidationError({"comeback_of": _("A comeback links to an earlier repair order of the same vehicle.")})
    if not comeback_candidates(repair_order, now).filter(pk=original.pk).exists():
        raise ValidationError(
            {
                "comeback_of": _(
                    "%(number)s was not delivered within the last %(days)s days: it cannot be the original repair."
                )
                % {"number": original.number, "days": repair_order.dealer.comeback_window_days}
            }
        )
    repair_order.comeback_of, repair_order.comeback_cause = original, cause
    repair_order.save(update_fields=["comeback_of", "comeback_cause"])
    return repair_order
