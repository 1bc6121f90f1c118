"""Step 2 preparation (准备工作): the checklist of one appointment.

Every write is a service here; the checklist row of the appointment is locked
by each of them, so two people working on the same checklist cannot undo each
other's work, and the advisor's "ready" always sees the latest item states.

Parts: a reservation holds stock away from other appointments without
touching stock on hand (the workshop issues the part later). Substitute
cars: a car is lent for whole days, from the arrival day to the delivery day;
the car row is locked for the overlap check.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import (
    ACTIVE,
    HOLDS_CAPACITY,
    ITEM_SETTLED,
    RESERVATION_HOLDS,
    Appointment,
    ItemKind,
    ItemState,
    LoanerCar,
    LoanerReservation,
    PartReservation,
    Preparation,
    PreparationItem,
    ReservationState,
    Status,
)
from dealers.models import PackagePart, Part, Role, StaffMember

# Whose job each item is (SPEC.md 2: the parts department reserves the parts;
# technician, tools, substitute car and the work order draft are the advisor's).
OWNERS = {
    ItemKind.INFORMATION: Role.SERVICE_ADVISOR,
    ItemKind.PARTS: Role.PARTS_CLERK,
    ItemKind.TECHNICIAN: Role.SERVICE_ADVISOR,
    ItemKind.TOOLS: Role.SERVICE_ADVISOR,
    ItemKind.LOANER: Role.SERVICE_ADVISOR,
    ItemKind.DRAFT: Role.SERVICE_ADVISOR,
}

# A lent car is out until its appointment is called off.
LOANER_RELEASED_BY = (Status.CANCELLED, Status.RESCHEDULED, Status.NO_SHOW)


class PreparationError(ValidationError):
    pass


# --- reads -------------------------------------------------------------------


def local_day(appointment: Appointment, when: dt.datetime) -> dt.date:
    return timezone.localtime(when, ZoneInfo(appointment.dealer.time_zone)).date()


def loan_days(appointment: Appointment) -> tuple[dt.date, dt.date]:
    """The substitute car is out from the arrival day to the delivery day."""
    return local_day(appointment, appointment.arrives_at), local_day(appointment, appointment.ready_at)


def held_quantities(parts, *, exclude_preparation: Preparation | None = None) -> dict[int, Decimal]:
    """Quantity of each part held by live appointments' reservations."""
    qs = PartReservation.objects.filter(
        part__in=parts, state__in=RESERVATION_HOLDS, preparation__appointment__status__in=HOLDS_CAPACITY
    )
    if exclude_preparation is not None:
        qs = qs.exclude(preparation=exclude_preparation)
    rows = qs.values("part").annotate(held=Sum("quantity")).values_list("part", "held")
    return {part_id: held for part_id, held in rows}


def available_stock(part: Part, *, exclude_preparation: Preparation | None = None) -> Decimal:
    """Stock on hand minus what other live appointments hold."""
    held = held_quantities([part], exclude_preparation=exclude_preparation).get(part.pk, Decimal(0))
    return part.stock_on_hand - held


def eligible_technicians(appointment: Appointment) -> QuerySet[StaffMember]:
    """Technicians of the station, skilled enough, on the roster that day."""
    day = local_day(appointment, appointment.arrives_at)
    return (
        StaffMember.objects.filter(
            dealers=appointment.dealer_id,
            roles__role=Role.TECHNICIAN,
            skill_grade__gte=appointment.skill_grade,
            roster__dealer=appointment.dealer_id,
            roster__date=day,
        )
        .distinct()
        .order_by("-skill_grade", "display_name")
    )


def _busy_loaners(appointment: Appointment, from_day: dt.date, to_day: dt.date) -> QuerySet[LoanerReservation]:
    return (
        LoanerReservation.objects.filter(from_day__lte=to_day, to_day__gte=from_day)
        .exclude(appointment__status__in=LOANER_RELEASED_BY)
        .exclude(appointment=appointment)
    )


def free_loaners(appointment: Appointment) -> QuerySet[LoanerCar]:
    from_day, to_day = loan_days(appointment)
    busy = _busy_loaners(appointment, from_day, to_day).values("loaner")
    return LoanerCar.objects.filter(dealer=appointment.dealer_id, is_active=True).exclude(pk__in=busy)


def open_items(preparation: Preparation) -> list[PreparationItem]:
    return [item for item in preparation.items.all() if item.state not in ITEM_SETTLED]


def readiness(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """The appointments with their checklist, decided once for the list views."""
    return appointments.select_related(
        "customer", "vehicle", "advisor", "preparation__technician", "preparation__ready_by__staff"
    ).prefetch_related(Prefetch("preparation__items", queryset=PreparationItem.objects.order_by("pk")))


# --- writes ------------------------------------------------------------------


def _parts_needed(appointment: Appointment) -> dict[int, Decimal]:
    """Parts of the appointment's service packages, summed per part.
    Labour operations on their own carry no parts."""
    needed: dict[int, Decimal] = {}
    package_ids = [line.package_id for line in appointment.lines.all() if line.package_id]
    for pp in PackagePart.objects.filter(package__in=package_ids).order_by("part_id"):
        needed[pp.part_id] = needed.get(pp.part_id, Decimal(0)) + pp.quantity
    return needed


@transaction.atomic
def preparation_open(*, appointment: Appointment, now: dt.datetime | None = None) -> Preparation:
    """Open the checklist of a newly booked appointment (idempotent).

    A rescheduled appointment takes over the parts already reserved or placed
    for the one it replaces, and the confirmed work order draft."""
    now = now or timezone.now()
    existing = Preparation.objects.filter(appointment=appointment).first()
    if existing:
        return existing
    previous = getattr(appointment.rescheduled_from, "preparation", None) if appointment.rescheduled_from_id else None
    preparation = Preparation.objects.create(
        appointment=appointment,
        dealer_id=appointment.dealer_id,
        draft_request=previous.draft_request if previous else appointment.request,
        tools_note=previous.tools_note if previous else "",
    )
    carried = {r.part_id: r for r in previous.reservations.all()} if previous else {}
    needed = _parts_needed(appointment)
    PartReservation.objects.bulk_create(
        PartReservation(
            preparation=preparation,
            part_id=part_id,
            quantity=quantity,
            state=carried[part_id].state if part_id in carried else ReservationState.NEEDED,
            note=carried[part_id].note if part_id in carried else "",
        )
        for part_id, quantity in needed.items()
    )
    initial = {
        ItemKind.PARTS: ItemState.OPEN if needed else ItemState.NOT_NEEDED,
        ItemKind.LOANER: ItemState.OPEN if appointment.substitute_car else ItemState.NOT_NEEDED,
    }
    PreparationItem.objects.bulk_create(
        PreparationItem(
            preparation=preparation,
            kind=kind,
            owner_role=OWNERS[kind],
            state=initial.get(kind, ItemState.OPEN),
            updated_at=now,
        )
        for kind in ItemKind
    )
    _refresh(preparation, now=now)
    return preparation


def preparation_for(appointment: Appointment) -> Preparation:
    """The checklist, opened now for appointments booked before checklists existed."""
    try:
        return appointment.preparation
    except Preparation.DoesNotExist:
        return preparation_open(appointment=appointment)


def _lock(preparation: Preparation) -> Preparation:
    # Only the checklist row: the part and car rows are locked where they are counted.
    locked = (
        Preparation.objects.select_for_update(of=("self",)).select_related("appointment__dealer").get(pk=preparation.pk)
    )
    if locked.appointment.status not in ACTIVE:
        raise PreparationError(
            _("The appointment is %(status)s: its preparation is closed.")
            % {"status": locked.appointment.get_status_display()}
        )
    return locked


def _set_item(preparation: Preparation, kind: str, state: str, *, note: str = "", by=None, now: dt.datetime) -> None:
    PreparationItem.objects.filter(preparation=preparation, kind=kind).update(
        state=state, note=note[:300], updated_at=now, updated_by=by
    )


def _refresh(preparation: Preparation, *, now: dt.datetime, by=None) -> None:
    """Derive the parts item from its reservations, keep `problem_since` and
    withdraw a reported readiness when an item is no longer settled."""
    reservations = list(preparation.reservations.select_related("part"))
    parts_item = PreparationItem.objects.get(preparation=preparation, kind=ItemKind.PARTS)
    if not reservations:
        state, note = ItemState.NOT_NEEDED, ""
    elif short := [r for r in reservations if r.state == ReservationState.SHORTAGE]:
        state = ItemState.PROBLEM
        note = _("Shortage: %(parts)s") % {"parts": ", ".join(f"{r.part.number} {r.part.name}" for r in short)}
    elif all(r.state == ReservationState.PLACED for r in reservations):
        state, note = ItemState.DONE, _("All parts placed, labelled with the plate.")
    else:
        state, note = ItemState.OPEN, ""
    if (parts_item.state, parts_item.note) != (state, note):
        _set_item(preparation, ItemKind.PARTS, state, note=note, by=by, now=now)
    states = list(preparation.items.values_list("state", flat=True))
    fields = []
    has_problem = ItemState.PROBLEM in states
    if has_problem and preparation.problem_since is None:
        preparation.problem_since = now
        fields.append("problem_since")
    elif not has_problem and preparation.problem_since is not None:
        preparation.problem_since = None
        fields.append("problem_since")
    if preparation.ready_at and any(s not in ITEM_SETTLED for s in states):
        preparation.ready_at, preparation.ready_by = None, None
        fields += ["ready_at", "ready_by"]
    if fields:
        preparation.save(update_fields=fields)


def _reserve_one(reservation: PartReservation, preparation: Preparation, *, by, now: dt.datetime) -> bool:
    """Reserve under a lock on the part row: the last units go to one appointment."""
    part = Part.objects.select_for_update().get(pk=reservation.part_id)
    available = available_stock(part, exclude_preparation=preparation)
    if available >= reservation.quantity:
        reservation.state, reservation.note = ReservationState.RESERVED, ""
    else:
        reservation.state = ReservationState.SHORTAGE
        reservation.note = _("Only %(available)s %(unit)s available, %(needed)s needed.") % {
            "available": max(available, Decimal(0)).normalize(),
            "unit": part.unit,
            "needed": reservation.quantity.normalize(),
        }
    reservation.updated_at, reservation.updated_by = now, by
    reservation.save(update_fields=["state", "note", "updated_at", "updated_by"])
    return reservation.state == ReservationState.RESERVED


def _reservation_of(preparation: Preparation, reservation_id) -> PartReservation:
    try:
        return preparation.reservations.select_related("part").get(pk=reservation_id)
    except (PartReservation.DoesNotExist, ValueError, TypeError):
        raise PreparationError(_("This part is not on the checklist.")) from None


@transaction.atomic
def part_reserve(*, preparation: Preparation, reservation_id: int, by=None, now: dt.datetime | None = None) -> bool:
    """Reserve one part; beyond the available stock it is flagged as a shortage.
    Returns whether the part could be reserved."""
    now = now or timezone.now()
    preparation = _lock(preparation)
    reservation = _reservation_of(preparation, reservation_id)
    if reservation.state in RESERVATION_HOLDS:
        raise PreparationError(_("This part is already reserved."))
    ok = _reserve_one(reservation, preparation, by=by, now=now)
    _refresh(preparation, now=now, by=by)
    return ok


@transaction.atomic
def parts_reserve_all(*, preparation: Preparation, by=None, now: dt.datetime | None = None) -> list[PartReservation]:
    """Reserve every part still to reserve or short; returns those still short."""
    now = now or timezone.now()
    preparation = _lock(preparation)
    todo = preparation.reservations.filter(state__in=[ReservationState.NEEDED, ReservationState.SHORTAGE])
    short = [
        r for r in todo.select_related("part").order_by("part_id") if not _reserve_one(r, preparation, by=by, now=now)
    ]
    _refresh(preparation, now=now, by=by)
    return short


@transaction.atomic
def part_place(*, preparation: Preparation, reservation_id: int, by=None, now: dt.datetime | None = None) -> None:
    """The parts clerk has put the part in place, labelled with the plate (备件按车号摆放)."""
    now = now or timezone.now()
    preparation = _lock(preparation)
    reservation = _reservation_of(preparation, reservation_id)
    if reservation.state != ReservationState.RESERVED:
        raise PreparationError(_("Only a reserved part can be placed: reserve it first."))
    reservation.state, reservation.updated_at, reservation.updated_by = ReservationState.PLACED, now, by
    reservation.save(update_fields=["state", "updated_at", "updated_by"])
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def part_shortage_flag(
    *, preparation: Preparation, reservation_id: int, note: str, by=None, now: dt.datetime | None = None
) -> None:
    """The clerk flags a shortage the stock figure does not show (damaged,
    mislaid): the reservation stops holding stock and the customer is told."""
    now = now or timezone.now()
    note = note.strip()
    if not note:
        raise PreparationError({"note": _("Say what is wrong with the part.")})
    preparation = _lock(preparation)
    reservation = _reservation_of(preparation, reservation_id)
    reservation.state, reservation.note = ReservationState.SHORTAGE, note[:200]
    reservation.updated_at, reservation.updated_by = now, by
    reservation.save(update_fields=["state", "note", "updated_at", "updated_by"])
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def information_confirm(*, preparation: Preparation, by=None, now: dt.datetime | None = None) -> None:
    """The advisor has read the vehicle's history, open items and campaigns."""
    now = now or timezone.now()
    preparation = _lock(preparation)
    _set_item(preparation, ItemKind.INFORMATION, ItemState.DONE, by=by, now=now)
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def technician_assign(
    *, preparation: Preparation, technician: StaffMember, by=None, now: dt.datetime | None = None
) -> None:
    now = now or timezone.now()
    preparation = _lock(preparation)
    appointment = preparation.appointment
    if not eligible_technicians(appointment).filter(pk=technician.pk).exists():
        raise PreparationError(
            {
                "technician": _(
                    "Choose a technician of this station with skill grade %(grade)s or higher "
                    "who is on the roster on %(day)s."
                )
                % {"grade": appointment.skill_grade, "day": local_day(appointment, appointment.arrives_at)}
            }
        )
    preparation.technician = technician
    preparation.save(update_fields=["technician"])
    _set_item(preparation, ItemKind.TECHNICIAN, ItemState.DONE, note=technician.display_name, by=by, now=now)
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def tools_record(
    *, preparation: Preparation, note: str, needed: bool = True, by=None, now: dt.datetime | None = None
) -> None:
    """Special tools and technical documents arranged, or none needed for this job."""
    now = now or timezone.now()
    note = note.strip()
    if needed and not note:
        raise PreparationError({"note": _("Write which tools or documents are arranged, or mark them not needed.")})
    preparation = _lock(preparation)
    preparation.tools_note = note if needed else ""
    preparation.save(update_fields=["tools_note"])
    state = ItemState.DONE if needed else ItemState.NOT_NEEDED
    _set_item(preparation, ItemKind.TOOLS, state, note=note if needed else "", by=by, now=now)
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def loaner_reserve(
    *, preparation: Preparation, loaner: LoanerCar | None = None, by=None, now: dt.datetime | None = None
) -> LoanerReservation | None:
    """Lend a substitute car for the days the customer's car stays with us.

    With a car chosen, a clash is refused. Without, the first free car is
    taken; when none is free the item becomes a problem the customer must
    hear about before arrival. Returns the reservation, or None."""
    now = now or timezone.now()
    preparation = _lock(preparation)
    appointment = preparation.appointment
    if not appointment.substitute_car:
        raise PreparationError(_("This customer does not need a substitute car."))
    from_day, to_day = loan_days(appointment)
    candidates = LoanerCar.objects.filter(dealer=appointment.dealer_id, is_active=True)
    if loaner is not None:
        candidates = candidates.filter(pk=loaner.pk)
    # Lock the cars so two advisors cannot lend the same car for the same days.
    cars = list(candidates.select_for_update().order_by("pk"))
    if loaner is not None and not cars:
        raise PreparationError({"loaner": _("Choose an active substitute car of this station.")})
    busy = set(_busy_loaners(appointment, from_day, to_day).filter(loaner__in=cars).values_list("loaner", flat=True))
    free = [car for car in cars if car.pk not in busy]
    if not free:
        if loaner is not None:
            raise PreparationError(
                {
                    "loaner": _("%(car)s is already lent between %(start)s and %(end)s.")
                    % {"car": loaner.plate, "start": f"{from_day:%m-%d}", "end": f"{to_day:%m-%d}"}
                }
            )
        note = _("No substitute car free from %(start)s to %(end)s.") % {
            "start": f"{from_day:%m-%d}",
            "end": f"{to_day:%m-%d}",
        }
        _set_item(preparation, ItemKind.LOANER, ItemState.PROBLEM, note=note, by=by, now=now)
        _refresh(preparation, now=now, by=by)
        return None
    LoanerReservation.objects.filter(appointment=appointment).delete()
    reservation = LoanerReservation(
        loaner=free[0], appointment=appointment, from_day=from_day, to_day=to_day, created_by=by
    )
    reservation.full_clean()
    reservation.save()
    note = f"{free[0].plate} {free[0].model} ({from_day:%m-%d}–{to_day:%m-%d})"
    _set_item(preparation, ItemKind.LOANER, ItemState.DONE, note=note, by=by, now=now)
    _refresh(preparation, now=now, by=by)
    return reservation


@transaction.atomic
def loaner_release(*, preparation: Preparation, by=None, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    preparation = _lock(preparation)
    LoanerReservation.objects.filter(appointment=preparation.appointment).delete()
    state = ItemState.OPEN if preparation.appointment.substitute_car else ItemState.NOT_NEEDED
    _set_item(preparation, ItemKind.LOANER, state, by=by, now=now)
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def draft_confirm(*, preparation: Preparation, request: str, by=None, now: dt.datetime | None = None) -> None:
    """The advisor confirms the work order draft (任务委托书): the customer's
    request that pre-fills the inquiry sheet at reception."""
    now = now or timezone.now()
    request = request.strip()
    if not request:
        raise PreparationError({"request": _("Write the customer's request for the work order.")})
    preparation = _lock(preparation)
    preparation.draft_request = request
    preparation.save(update_fields=["draft_request"])
    _set_item(preparation, ItemKind.DRAFT, ItemState.DONE, by=by, now=now)
    _refresh(preparation, now=now, by=by)


@transaction.atomic
def preparation_ready(*, preparation: Preparation, by=None, now: dt.datetime | None = None) -> Preparation:
    """The advisor reports the appointment ready to the service manager."""
    now = now or timezone.now()
    preparation = _lock(preparation)
    _refresh(preparation, now=now, by=by)
    unsettled = open_items(preparation)
    if unsettled:
        raise PreparationError(
            _("Not ready yet: %(items)s.")
            % {"items": "; ".join(f"{item.get_kind_display()} ({item.get_state_display()})" for item in unsettled)},
            code="not_ready",
        )
    preparation.ready_at, preparation.ready_by = now, by
    preparation.save(update_fields=["ready_at", "ready_by"])
    return preparation
