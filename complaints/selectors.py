"""Reads of the complaint pages: who sees which station's tickets, the RO
history behind the dispatch rule and the repeat-repair count, and the lists."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest

from complaints.models import Complaint, ComplaintEvent, Contact, ContactType, Escalation, PreReport, Status
from customers.models import Customer, Vehicle
from customers.selectors import customers_with_vehicles, lookup_query
from dealers.access import roles_of
from dealers.models import Dealer, Role
from reception.models import RepairOrder, ROStatus

# Who works with tickets: the call center and the station's front office.
HANDLER_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER, Role.SPECIALIST)
READER_ROLES = (Role.CALL_CENTER, *HANDLER_ROLES)


def is_call_center(user) -> bool:
    return Role.CALL_CENTER in roles_of(user)


def complaint_stations(user) -> list[Dealer]:
    """The stations whose complaints the user works with. A call-center agent
    serves every station of the group (ARCHITECTURE.md: call-center staff see
    complaints of all stations), whatever stations their staff record lists."""
    if is_call_center(user) or getattr(user, "is_superuser", False):
        return list(Dealer.objects.filter(is_active=True).order_by("code"))
    return list(Dealer.objects.for_user(user).order_by("code"))


def visible_tickets(request: HttpRequest) -> QuerySet[Complaint]:
    """Tickets a detail page may open: any station for the call center, the
    user's own stations otherwise (another station's ticket is a 404)."""
    if is_call_center(request.user) or request.user.is_superuser:
        return Complaint.objects.filter(dealer__is_active=True)
    return Complaint.objects.visible_to(request)


def list_scope(request: HttpRequest, station_id: int | None = None) -> QuerySet[Complaint]:
    """The list's tickets: the call center across stations (or one, when
    filtered); station staff their current station only."""
    if is_call_center(request.user) or request.user.is_superuser:
        qs = visible_tickets(request)
        return qs.filter(dealer_id=station_id) if station_id else qs
    return Complaint.objects.for_station(request.station)


def with_list_details(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.select_related("dealer", "contact__customer", "contact__vehicle", "handler")


def ticket_search(qs: QuerySet[Complaint], q: str) -> QuerySet[Complaint]:
    """Ticket number (TS000012 or 12), customer name, phone, plate or caller."""
    q = (q or "").strip()
    if not q:
        return qs
    match = (
        Q(contact__customer__name__icontains=q)
        | Q(contact__caller_name__icontains=q)
        | Q(contact__caller_phone__contains=q)
        | Q(contact__customer__phone__contains=q)
        | Q(contact__vehicle__plate__icontains=q.upper().replace(" ", ""))
        | Q(contact__words__icontains=q)
    )
    digits = q.upper().removeprefix("TS").lstrip("0")
    if digits.isdigit():
        match |= Q(pk=int(digits))
    return qs.filter(match)


def overdue_first(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Open tickets by their next deadline (the overdue ones come first), closed ones after."""
    from django.db.models import F

    return qs.order_by(F("next_due_at").asc(nulls_last=True), "-created_at", "-pk")


def my_filter(user) -> Q:
    """Mine: I handle it, I took the call, or an escalation named me."""
    staff = getattr(user, "staff", None)
    mine = Q(contact__taken_by=user)
    if staff is not None:
        mine |= Q(handler=staff) | Q(escalations__to_staff=staff)
    return mine


def counts(qs: QuerySet[Complaint], now: dt.datetime) -> dict[str, int]:
    return qs.aggregate(
        open=Count("pk", filter=~Q(status=Status.CLOSED)),
        overdue=Count("pk", filter=Q(next_due_at__lte=now)),
        major=Count("pk", filter=Q(level=3) & ~Q(status=Status.CLOSED)),
        escalated=Count("pk", filter=Q(escalation_stage__gt=0) & ~Q(status=Status.CLOSED)),
    )


def ticket_detail(qs: QuerySet[Complaint], pk: int) -> Complaint:
    """One ticket with everything its page shows, in a fixed number of queries."""
    return (
        qs.select_related(
            "dealer",
            "contact__customer",
            "contact__vehicle",
            "contact__taken_by",
            "handler",
            "problem_operation",
            "pre_report__reported_by",
            "source_task",
            "charge_review__invoice",
            "charge_review__callback_task",
        )
        .prefetch_related(
            Prefetch("events", queryset=ComplaintEvent.objects.select_related("by")),
            Prefetch("escalations", queryset=Escalation.objects.prefetch_related("to_staff")),
            Prefetch("related_orders", queryset=RepairOrder.objects.select_related("advisor").order_by("-created_at")),
        )
        .get(pk=pk)
    )


# --- RO history: dispatch rule and repeat repairs ----------------------------------------


def station_visits(*, station: Dealer, vehicle: Vehicle | None, customer: Customer | None) -> QuerySet[RepairOrder]:
    """The customer's repair orders at the station (the vehicle's when known),
    newest first: the visits the dispatch rule asks about."""
    if vehicle is None and customer is None:
        return RepairOrder.objects.none()
    qs = RepairOrder.objects.filter(dealer=station).exclude(status=ROStatus.CANCELLED)
    qs = qs.filter(vehicle=vehicle) if vehicle is not None else qs.filter(customer=customer)
    return qs.select_related("vehicle", "advisor").prefetch_related("lines__operation").order_by("-created_at", "-pk")


def repeat_repairs(*, station: Dealer, vehicle: Vehicle | None, operation=None, symptom: str = "") -> int:
    """How many times the same vehicle was repaired for the same problem at
    the same station (同一家服务站就同一问题维修频率): its repair orders there,
    cancelled ones aside, that carry the labour operation or whose symptom or
    purpose mentions the symptom."""
    symptom = (symptom or "").strip()
    if vehicle is None or (operation is None and not symptom):
        return 0
    same = Q()
    if operation is not None:
        same |= Q(lines__operation=operation)
    if symptom:
        same |= Q(inquiry__symptom__icontains=symptom) | Q(purpose__icontains=symptom)
    orders = RepairOrder.objects.filter(dealer=station, vehicle=vehicle).exclude(status=ROStatus.CANCELLED)
    return orders.filter(same).values("pk").distinct().count()


def pre_reports_for(*, station: Dealer, customer: Customer | None, vehicle: Vehicle | None) -> QuerySet[PreReport]:
    match = Q()
    if customer is not None:
        match |= Q(customer=customer)
    if vehicle is not None:
        match |= Q(vehicle=vehicle)
    if not match:
        return PreReport.objects.none()
    return PreReport.objects.filter(match, dealer=station).select_related("reported_by", "customer", "vehicle")


def caller_lookup(*, stations: list[Dealer], q: str) -> QuerySet[Customer] | None:
    """The front desk's lookup (plate, phone, VIN, name) over every station
    the agent serves: one customer file per station."""
    match = lookup_query(q)
    if match is None:
        return None
    ids = Customer.objects.filter(dealer__in=stations).filter(match).values("pk")
    return customers_with_vehicles(Customer.objects.filter(pk__in=ids).select_related("dealer"))


def open_coordination(stations: list[Dealer]) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(dealer__in=stations, contact_type=ContactType.COORDINATION, closed_at__isnull=True)
        .select_related("dealer", "customer", "assignee")
        .order_by("due_at", "pk")
    )
