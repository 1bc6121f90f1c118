"""Online self-booking (网上自助预约): the rules behind the public page and the API.

A customer books without signing in, so the page must neither let a stranger
act on someone else's car nor let spam fill the customer files.

Who is who — the rule for plate and phone:

- The plate and the phone must both match: a vehicle of this station with
  that plate, whose owner has that phone (first or second number). Then the
  customer books for that vehicle.
- A plate on file with a *different* phone is refused with "call the
  station": the page never offers to re-register, re-assign or update a car
  we know, and never says whose it is.
- An unknown plate may be registered with a short form (name, phone, plate,
  make, model, VIN optional). This creates a *new* customer file and vehicle,
  and only when none of them is on file at the station: a phone number we
  already know, or a VIN we already know, is refused with "call the
  station" — the public page never attaches a car to an existing customer
  file nor changes one. The new files are written in the same transaction as
  the appointment, so an abandoned or refused booking leaves nothing behind;
  the customer file is marked as registered online and the advisor checks
  the vehicle documents (行驶证) at reception and completes the VIN.

Everything else — capacity, closed days, past slots, the duplicate booking
of a vehicle on one day — is decided by `services.appointment_book`, with the
same messages as at the front desk.

The confirmation carries a signed link (`link_token`) to view, cancel or move
the appointment. It names the appointment and expires
`settings.CUSTOMER_LINK_BOOKING_AFTER_ARRIVAL_HOURS` (a day) after the
arrival. It is signed with the booking purpose's salt (`dealers.links`), so an
approval link or any other token does not open it. A tampered, expired or
other-purpose link is refused and writes nothing; cancelling an appointment
that is already cancelled (the same link used twice) is refused as a replay.
Every refusal is logged with the client's address (`dealers.links.log_refusal`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import capacity, services
from appointments.models import HOLDS_CAPACITY, Appointment, Source, Status
from customers import services as customer_services
from customers.models import Customer, Vehicle
from customers.validators import normalize_phone, normalize_plate, normalize_vin
from dealers import links
from dealers.models import Dealer, JobType, LabourOperation, Role, ServicePackage, StaffMember

LINK_PURPOSE = links.BOOKING
LINK_SALT = links.salt(LINK_PURPOSE)
LINK_VALID_AFTER_ARRIVAL = dt.timedelta(hours=settings.CUSTOMER_LINK_BOOKING_AFTER_ARRIVAL_HOURS)
PROPOSAL_DAYS = 14

# Attempts per client address and per phone number (rate limits of the page).
IP_LIMIT = (10, 600)
PHONE_LIMIT = (5, 600)


def _call_the_station(station: Dealer) -> str:
    if station.phone:
        return _("Please call the station at %(phone)s.") % {"phone": station.phone}
    return _("Please call the station.")


# --- services on offer and the job they make -----------------------------------


def offered_operations(station: Dealer) -> QuerySet[LabourOperation]:
    return LabourOperation.objects.for_dealer(station).active().order_by("job_type", "code")


def offered_packages(station: Dealer) -> QuerySet[ServicePackage]:
    return (
        ServicePackage.objects.for_dealer(station)
        .active()
        .prefetch_related("operations", "package_parts__part")
        .order_by("code")
    )


def job_type_for(*, operations: list[LabourOperation], packages: list[ServicePackage]) -> str:
    """The job type the chosen services make: body & paint goes alone; a
    maintenance with a repair is a repair (the general bay serves both)."""
    kinds = {op.job_type for op in operations} | {p.job_type for p in packages}
    if not kinds:
        raise ValidationError({"operations": _("Choose at least one labour operation or service package.")})
    if JobType.BODY_PAINT in kinds and len(kinds) > 1:
        raise ValidationError(
            {"operations": _("Body and paint work is booked on its own: make a second appointment for the rest.")}
        )
    return kinds.pop() if len(kinds) == 1 else JobType.REPAIR


@dataclass(frozen=True)
class Offer:
    estimate: services.Estimate
    job_type: str
    proposals: list[capacity.Proposal]


def slots_offer(
    *,
    station: Dealer,
    operations: list[LabourOperation],
    packages: list[ServicePackage],
    wished_day: dt.date | None = None,
    part_of_day: str | None = None,
    now: dt.datetime | None = None,
) -> Offer:
    """Estimate and proposed slots for the chosen services (the capacity
    module ranks them; nothing is decided here)."""
    now = now or timezone.now()
    job_type = job_type_for(operations=operations, packages=packages)
    est = services.estimate(dealer=station, operations=operations, packages=packages)
    today = now.astimezone(ZoneInfo(station.time_zone)).date()
    days = min(PROPOSAL_DAYS, station.booking_horizon_days + 1)
    calendar = capacity.load_calendar(station, today, today + dt.timedelta(days=days - 1))
    proposals = capacity.propose(
        calendar,
        capacity.Job.of(job_type, est.hours, est.grade),
        now=now,
        first_day=today,
        days=days,
        wished_day=wished_day,
        part_of_day=part_of_day or None,
    )
    return Offer(estimate=est, job_type=job_type, proposals=proposals)


# --- who is booking --------------------------------------------------------------


class UnknownPlate(ValidationError):
    """No vehicle with this plate at the station: registration may be offered."""


def identify(*, station: Dealer, plate: str, phone: str) -> Vehicle:
    """The vehicle whose plate and owner's phone both match, or a refusal."""
    plate, phone = normalize_plate(plate), normalize_phone(phone)
    vehicle = Vehicle.objects.filter(dealer=station, plate=plate).select_related("owner").first()
    if vehicle is None:
        raise UnknownPlate(_("We do not know the plate %(plate)s yet.") % {"plate": plate}, code="unknown_plate")
    if phone not in {vehicle.owner.phone, vehicle.owner.phone2}:
        raise ValidationError(
            _("This plate and phone number do not match our records.") + " " + _call_the_station(station),
            code="mismatch",
        )
    return vehicle


def registration_check(
    *, station: Dealer, name: str, phone: str, plate: str, make: str, model: str, vin: str = ""
) -> dict[str, str]:
    """Check a new customer's short form against the rule in the module's
    docstring without writing anything; returns the normalised fields."""
    data = {
        "name": name.strip(),
        "phone": normalize_phone(phone),
        "plate": normalize_plate(plate),
        "make": make.strip(),
        "model": model.strip(),
        "vin": normalize_vin(vin),
    }
    Customer(dealer=station, name=data["name"], phone=data["phone"]).full_clean(exclude=["dealer"])
    errors: dict[str, str] = {}
    if Vehicle.objects.filter(dealer=station, plate=data["plate"]).exists():
        errors["plate"] = (
            _("This plate is already on file with another phone number.") + " " + _call_the_station(station)
        )
    if data["vin"] and Vehicle.objects.filter(dealer=station, vin=data["vin"]).exists():
        errors["vin"] = _("This VIN is already on file under another plate.") + " " + _call_the_station(station)
    if Customer.objects.filter(dealer=station).filter(Q(phone=data["phone"]) | Q(phone2=data["phone"])).exists():
        errors["phone"] = _(
            "This phone number is already in our customer files: to add another car, call us. %(call)s"
        ) % {"call": _call_the_station(station)}
    if errors:
        raise ValidationError(errors, code="on_file")
    vehicle = Vehicle(dealer=station, plate=data["plate"], make=data["make"], model=data["model"], vin=data["vin"])
    vehicle.full_clean(exclude=["owner", "dealer"], validate_unique=False, validate_constraints=False)
    return data


def pick_advisor(station: Dealer, arrives_at: dt.datetime) -> StaffMember:
    """The station's service advisor with the fewest appointments that day."""
    tz = ZoneInfo(station.time_zone)
    start = dt.datetime.combine(arrives_at.astimezone(tz).date(), dt.time(0), tzinfo=tz)
    booked = Q(
        appointments__dealer=station,
        appointments__status__in=HOLDS_CAPACITY,
        appointments__arrives_at__gte=start,
        appointments__arrives_at__lt=start + dt.timedelta(days=1),
    )
    advisor = (
        StaffMember.objects.filter(dealers=station, roles__role=Role.SERVICE_ADVISOR, user__is_active=True)
        .annotate(load=Count("appointments", filter=booked, distinct=True))
        .order_by("load", "display_name", "pk")
        .first()
    )
    if advisor is None:
        raise ValidationError(
            _("This station does not take online bookings at the moment.") + " " + _call_the_station(station),
            code="no_advisor",
        )
    return advisor


@transaction.atomic
def appointment_book_online(
    *,
    station: Dealer,
    plate: str,
    phone: str,
    operations: list[LabourOperation],
    packages: list[ServicePackage],
    arrives_at: dt.datetime,
    request: str = "",
    registration: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book for a known vehicle (plate and phone match) or, with
    `registration`, for a new customer and vehicle written in the same
    transaction. Any refusal rolls everything back."""
    now = now or timezone.now()
    job_type = job_type_for(operations=operations, packages=packages)
    if registration is not None:
        data = registration_check(station=station, **registration)
        customer = customer_services.customer_create(
            dealer=station,
            name=data["name"],
            phone=data["phone"],
            notes=_("Registered on the online booking page: check the vehicle documents (行驶证) at reception."),
        )
        vehicle = customer_services.vehicle_register(
            owner=customer, plate=data["plate"], make=data["make"], model=data["model"], vin=data["vin"]
        )
    else:
        vehicle = identify(station=station, plate=plate, phone=phone)
    words = request.strip() or "; ".join([*(f"{op.code} {op.name}" for op in operations), *(p.name for p in packages)])
    return services.appointment_book(
        dealer=station,
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=pick_advisor(station, arrives_at),
        job_type=job_type,
        arrives_at=arrives_at,
        request=words[:2000],
        operations=operations,
        packages=packages,
        source=Source.ONLINE,
        now=now,
    )


# --- the signed link ---------------------------------------------------------------


class LinkError(Exception):
    """A link that may not be used; `message` is for the customer, `reason`
    (one of dealers.links.REASONS) for the log."""

    def __init__(self, message: str, *, reason: str = links.TAMPERED):
        super().__init__(message)
        self.message, self.reason = message, reason

    @property
    def expired(self) -> bool:
        return self.reason == links.EXPIRED


def _refuse(reason: str, message: str, *, token: str, client_ip: str) -> LinkError:
    links.log_refusal(LINK_PURPOSE, reason, client_ip=client_ip, token=token)
    return LinkError(message, reason=reason)


def link_token(appointment: Appointment, *, expires_at: dt.datetime | None = None) -> str:
    expires_at = expires_at or appointment.arrives_at + LINK_VALID_AFTER_ARRIVAL
    payload = {"a": appointment.pk, "d": appointment.dealer_id, "x": int(expires_at.timestamp())}
    return signing.dumps(payload, salt=LINK_SALT)


def appointment_from_link(token: str, *, now: dt.datetime | None = None, client_ip: str = "") -> Appointment:
    """The appointment a link names (following moves to the current one), or
    LinkError, logged with `client_ip`."""
    now = now or timezone.now()
    invalid = _("This link is not valid. Please use the link exactly as you received it.")
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        pk, dealer_id, expires = int(payload["a"]), int(payload["d"]), int(payload["x"])
    except signing.BadSignature:
        reason = links.bad_signature_reason(token, LINK_PURPOSE)
        raise _refuse(reason, invalid, token=token, client_ip=client_ip) from None
    except (KeyError, TypeError, ValueError):
        raise _refuse(links.TAMPERED, invalid, token=token, client_ip=client_ip) from None
    if now.timestamp() > expires:
        message = _("This link has expired: it was valid until one day after the appointment.")
        raise _refuse(links.EXPIRED, message, token=token, client_ip=client_ip)
    appointment = (
        Appointment.objects.filter(pk=pk, dealer_id=dealer_id).select_related("dealer", "vehicle", "customer").first()
    )
    if appointment is None:
        raise _refuse(links.UNKNOWN, invalid, token=token, client_ip=client_ip)
    for _hop in range(20):  # a moved appointment: show where it went
        if appointment.status != Status.RESCHEDULED:
            break
        moved = (
            Appointment.objects.filter(rescheduled_from=appointment).select_related("dealer", "vehicle", "customer")
        ).first()
        if moved is None:
            break
        appointment = moved
    return appointment


def reschedule_proposals(appointment: Appointment, *, now: dt.datetime | None = None) -> list[capacity.Proposal]:
    """Other times for the same job, its own hours not counted against it."""
    now = now or timezone.now()
    station = appointment.dealer
    today = now.astimezone(ZoneInfo(station.time_zone)).date()
    days = min(PROPOSAL_DAYS, station.booking_horizon_days + 1)
    calendar = capacity.load_calendar(station, today, today + dt.timedelta(days=days - 1), exclude_pk=appointment.pk)
    job = capacity.Job.of(appointment.job_type, appointment.hours, appointment.skill_grade)
    return capacity.propose(calendar, job, now=now, first_day=today, days=days)


def appointment_cancel_online(
    *, appointment: Appointment, now: dt.datetime | None = None, token: str = "", client_ip: str = ""
) -> Appointment:
    """Cancel through the link. Cancelling is done once: asking again (a
    resent form, a second tap) changes nothing and is logged as a replay."""
    if appointment.status == Status.CANCELLED:
        links.log_refusal(LINK_PURPOSE, links.REPLAYED, client_ip=client_ip, token=token)
    if not appointment.is_active:
        raise ValidationError(_("This appointment can no longer be cancelled online."), code="not_active")
    return services.appointment_cancel(appointment=appointment, note=_("Cancelled by the customer online"), now=now)


def appointment_reschedule_online(
    *, appointment: Appointment, arrives_at: dt.datetime, now: dt.datetime | None = None
) -> Appointment:
    if not appointment.is_active:
        raise ValidationError(_("This appointment can no longer be moved online."), code="not_active")
    return services.appointment_reschedule(
        appointment=appointment, arrives_at=arrives_at, note=_("Moved by the customer online"), now=now
    )
