"""Every write of step 1 (appointment): one function per business action."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from appointments import capacity
from appointments.models import (
    ACTIVE,
    TRANSITIONS,
    Appointment,
    AppointmentEvent,
    AppointmentLine,
    Source,
    Status,
)
from appointments.preparation import preparation_open
from customers.models import Customer, Vehicle
from dealers.models import Dealer, LabourOperation, Role, ServicePackage, StaffMember
from dealers.numbering import next_number

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Estimate:
    """Hours, price and skill grade of the services asked for."""

    lines: list[dict]
    hours: Decimal
    labour_price: Decimal
    parts_price: Decimal
    grade: int

    @property
    def price(self) -> Decimal:
        return self.labour_price + self.parts_price


def estimate(*, dealer: Dealer, operations=(), packages=()) -> Estimate:
    lines, grade = [], 1
    for op in operations:
        lines.append(
            {
                "operation": op,
                "description": f"{op.code} {op.name}",
                "hours": op.flat_rate_hours,
                "parts_price": Decimal(0),
            }
        )
        grade = max(grade, op.required_skill_grade)
    for package in packages:
        ops = list(package.operations.all())
        parts = sum((pp.part.unit_price * pp.quantity for pp in package.package_parts.all()), Decimal(0))
        lines.append(
            {
                "package": package,
                "description": package.name,
                "hours": sum((op.flat_rate_hours for op in ops), Decimal(0)),
                "parts_price": parts.quantize(CENT),
            }
        )
        grade = max([grade, *(op.required_skill_grade for op in ops)])
    for line in lines:
        line["labour_price"] = (line["hours"] * dealer.labour_rate).quantize(CENT)
    return Estimate(
        lines=lines,
        hours=sum((line["hours"] for line in lines), Decimal(0)),
        labour_price=sum((line["labour_price"] for line in lines), Decimal(0)),
        parts_price=sum((line["parts_price"] for line in lines), Decimal(0)),
        grade=grade,
    )


REFUSALS = {
    "closed": lambda: _("The station does not take arrivals at that time (closed, or not a slot start)."),
    "no_bay": lambda: _("This station has no bay for this type of job."),
    "too_long": lambda: _("The job needs more hours than one working day holds: split it into several appointments."),
    "full": lambda: _("That time is fully booked."),
    "beyond_horizon": lambda: _("The job would not finish within the bookable days."),
}


def _refuse(reason: str, alternatives: list[capacity.Proposal]) -> ValidationError:
    message = REFUSALS[reason]()
    if alternatives:
        times = ", ".join(date_format(timezone.localtime(p.arrives_at), "m-d H:i") for p in alternatives[:4])
        message += " " + _("Free times: %(times)s.") % {"times": times}
    error = ValidationError({"arrives_at": message}, code=reason)
    error.reason, error.alternatives = reason, alternatives
    return error


def _check_parties(*, dealer: Dealer, customer: Customer, vehicle: Vehicle, advisor: StaffMember) -> None:
    errors = {}
    if customer.dealer_id != dealer.pk:
        errors["customer"] = _("The customer is not on file at this station.")
    if vehicle.owner_id != customer.pk:
        errors["vehicle"] = _("This vehicle does not belong to this customer.")
    if not advisor.dealers.filter(pk=dealer.pk).exists() or not advisor.has_role(Role.SERVICE_ADVISOR):
        errors["advisor"] = _("Choose a service advisor of this station.")
    if errors:
        raise ValidationError(errors)


def _check_time(*, dealer: Dealer, arrives_at: dt.datetime, now: dt.datetime) -> None:
    if arrives_at <= now:
        # The code on the inner error: Django drops a code given beside a dict.
        raise ValidationError({"arrives_at": ValidationError(_("This time has already passed."), code="past")})
    if arrives_at.date() > (now + dt.timedelta(days=dealer.booking_horizon_days)).date():
        raise ValidationError(
            {
                "arrives_at": _("Appointments can be booked up to %(days)s days ahead.")
                % {"days": dealer.booking_horizon_days}
            }
        )


def _check_no_duplicate(*, vehicle: Vehicle, arrives_at: dt.datetime, tz, exclude_pk=None) -> None:
    day = arrives_at.astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    clash = (
        Appointment.objects.filter(
            vehicle=vehicle, status__in=ACTIVE, arrives_at__gte=start, arrives_at__lt=start + dt.timedelta(days=1)
        )
        .exclude(pk=exclude_pk)
        .first()
    )
    if clash:
        message = _("This vehicle already has appointment %(number)s that day.") % {"number": clash.number}
        raise ValidationError({"arrives_at": ValidationError(message, code="duplicate")})


def _next_number(dealer: Dealer, arrives_at: dt.datetime) -> str:
    """YYYY-NNNNN per station and year; called under the station lock."""
    return next_number(Appointment.objects.filter(dealer=dealer), "Y", arrives_at.year)


def _fit(dealer: Dealer, arrives_at: dt.datetime, job: capacity.Job, now: dt.datetime, exclude_pk=None) -> dt.datetime:
    day = arrives_at.astimezone(capacity.ZoneInfo(dealer.time_zone)).date()
    calendar = capacity.load_calendar(dealer, day, day + dt.timedelta(days=14), exclude_pk=exclude_pk)
    try:
        return calendar.check(arrives_at, job)
    except capacity.Refused as refused:
        alternatives = capacity.propose(calendar, job, now=now, first_day=day, days=14, wished_day=day, limit=4)
        raise _refuse(refused.reason, alternatives) from None


@transaction.atomic
def appointment_book(
    *,
    dealer: Dealer,
    customer: Customer,
    vehicle: Vehicle,
    advisor: StaffMember,
    job_type: str,
    arrives_at: dt.datetime,
    request: str,
    operations: list[LabourOperation] = (),
    packages: list[ServicePackage] = (),
    substitute_car: bool = False,
    arrival_mode: str = "drive_in",
    contact_channel: str = "phone",
    offers: str = "",
    offers_accepted: bool = False,
    source: str = Source.PHONE,
    by=None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book an appointment if the workshop has room for it at that time.

    The station row is locked for the check and the insert, so two people
    booking the last hours at the same moment cannot both get them."""
    now = now or timezone.now()
    if not operations and not packages:
        raise ValidationError({"operations": _("Choose at least one labour operation or service package.")})
    _check_parties(dealer=dealer, customer=customer, vehicle=vehicle, advisor=advisor)
    _check_time(dealer=dealer, arrives_at=arrives_at, now=now)
    est = estimate(dealer=dealer, operations=operations, packages=packages)
    dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
    _check_no_duplicate(vehicle=vehicle, arrives_at=arrives_at, tz=capacity.ZoneInfo(dealer.time_zone))
    ready_at = _fit(dealer, arrives_at, capacity.Job.of(job_type, est.hours, est.grade), now)
    appointment = Appointment(
        dealer=dealer,
        number=_next_number(dealer, arrives_at),
        customer=customer,
        vehicle=vehicle,
        advisor=advisor,
        job_type=job_type,
        arrives_at=arrives_at,
        hours=est.hours,
        skill_grade=est.grade,
        ready_at=ready_at,
        labour_price=est.labour_price,
        parts_price=est.parts_price,
        request=request,
        substitute_car=substitute_car,
        arrival_mode=arrival_mode,
        contact_channel=contact_channel,
        offers=offers,
        offers_accepted=offers_accepted,
        source=source,
        created_by=by,
    )
    appointment.full_clean()
    appointment.save()
    AppointmentLine.objects.bulk_create(AppointmentLine(appointment=appointment, **line) for line in est.lines)
    AppointmentEvent.objects.create(appointment=appointment, from_status="", to_status=Status.BOOKED, at=now, by=by)
    preparation_open(appointment=appointment, now=now)  # step 2 starts at booking
    return appointment


class TransitionError(ValidationError):
    pass


@transaction.atomic
def appointment_transition(
    *, appointment: Appointment, to: str, by=None, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """The one way an appointment changes state: allowed by TRANSITIONS, applied
    only if nobody changed it meanwhile, and logged."""
    now = now or timezone.now()
    old = appointment.status
    if to not in TRANSITIONS[old]:
        raise TransitionError(
            _("An appointment that is %(old)s cannot become %(new)s.")
            % {"old": Status(old).label, "new": Status(to).label}
        )
    changed = Appointment.objects.filter(pk=appointment.pk, status=old).update(status=to)
    if not changed:
        raise TransitionError(_("Someone else changed this appointment meanwhile: reload and try again."))
    AppointmentEvent.objects.create(
        appointment=appointment, from_status=old, to_status=to, at=now, by=by, note=note[:300]
    )
    appointment.status = to
    return appointment


def appointment_cancel(*, appointment: Appointment, by=None, note: str = "", now=None) -> Appointment:
    """Cancelling frees the capacity: only booked, confirmed and arrived appointments hold it."""
    return appointment_transition(appointment=appointment, to=Status.CANCELLED, by=by, note=note, now=now)


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, arrives_at: dt.datetime, by=None, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """Move an appointment: the old one becomes 'rescheduled' and a new one,
    linked to it, is booked at the new time under the same capacity rules."""
    now = now or timezone.now()
    if appointment.status not in ACTIVE:
        raise TransitionError(_("Only booked or confirmed appointments can be rescheduled."))
    dealer = Dealer.objects.select_for_update().get(pk=appointment.dealer_id)
    _check_time(dealer=dealer, arrives_at=arrives_at, now=now)
    _check_no_duplicate(
        vehicle=appointment.vehicle,
        arrives_at=arrives_at,
        tz=capacity.ZoneInfo(dealer.time_zone),
        exclude_pk=appointment.pk,
    )
    job = capacity.Job.of(appointment.job_type, appointment.hours, appointment.skill_grade)
    ready_at = _fit(dealer, arrives_at, job, now, exclude_pk=appointment.pk)
    appointment_transition(appointment=appointment, to=Status.RESCHEDULED, by=by, note=note, now=now)
    lines = list(appointment.lines.all())
    moved = Appointment.objects.get(pk=appointment.pk)
    moved.pk = None
    moved.number = _next_number(dealer, arrives_at)
    moved.arrives_at, moved.ready_at, moved.status = arrives_at, ready_at, Status.BOOKED
    moved.rescheduled_from, moved.created_by = appointment, by
    moved.save(force_insert=True)
    AppointmentLine.objects.bulk_create(
        AppointmentLine(
            appointment=moved,
            operation=line.operation,
            package=line.package,
            description=line.description,
            hours=line.hours,
            labour_price=line.labour_price,
            parts_price=line.parts_price,
        )
        for line in lines
    )
    AppointmentEvent.objects.create(
        appointment=moved, from_status="", to_status=Status.BOOKED, at=now, by=by, note=note[:300]
    )
    preparation_open(appointment=moved, now=now)  # carries placed parts and the draft over
    return moved


def mark_no_shows(now: dt.datetime) -> int:
    """Sweep rule: booked or confirmed appointments not arrived within the
    station's grace period become no-shows. Safe to run twice: each row is
    claimed with a conditional update."""
    count = 0
    for dealer in Dealer.objects.filter(is_active=True).only("pk", "no_show_grace_minutes"):
        cutoff = now - dt.timedelta(minutes=dealer.no_show_grace_minutes)
        for appointment in Appointment.objects.filter(dealer=dealer, status__in=ACTIVE, arrives_at__lt=cutoff):
            try:
                appointment_transition(appointment=appointment, to=Status.NO_SHOW, note="sweep", now=now)
            except TransitionError:
                continue  # someone else got there first
            count += 1
    return count
