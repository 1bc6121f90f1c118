"""Reads of the follow-up step that pages share."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from customers.models import Customer, OdometerReading, Vehicle
from customers.validators import normalize_plate
from dealers.access import roles_of
from dealers.models import Dealer, Role
from followup.models import Channel, ContactAttempt, ContactTask, Kind

# The call list's sections, in the order the work is done; "scheduled" holds
# the calls whose next try was proposed for a later day (followup.calling).
OVERDUE, DUE_NOW, LATER_TODAY, SCHEDULED = "overdue", "due_now", "later_today", "scheduled"
# How many earlier attempts the customer file shows.
FILE_ATTEMPTS = 10


def _worker_filter(request: HttpRequest) -> Q | None:
    """Whose calls a person works: the specialists' pool, an advisor's own
    calls, everything of the station for the manager (None: no restriction)."""
    roles = roles_of(request.user)
    if Role.SERVICE_MANAGER in roles:
        return None
    staff = getattr(request.user, "staff", None)
    mine = Q(assignee=staff) if staff else Q(pk__in=[])
    if Role.SPECIALIST in roles:
        mine |= Q(role=Role.SPECIALIST, assignee__isnull=True)
    if Role.SERVICE_ADVISOR in roles:
        mine |= Q(role=Role.SERVICE_ADVISOR, assignee__isnull=True)
    return mine


def tasks_for(request: HttpRequest) -> QuerySet[ContactTask]:
    """The tasks of the person's stations that are theirs to work."""
    qs = ContactTask.objects.visible_to(request)
    mine = _worker_filter(request)
    return qs if mine is None else qs.filter(mine)


def day_edges(station: Dealer, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of the station's local day that contains `now`."""
    local = now.astimezone(ZoneInfo(station.time_zone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def mine_filter(request: HttpRequest) -> Q:
    """ "Mine": assigned to me, or to one of my roles."""
    staff = getattr(request.user, "staff", None)
    mine = Q(role__in=list(roles_of(request.user)))
    return mine | Q(assignee=staff) if staff else mine


def with_call_at(qs: QuerySet[ContactTask]) -> QuerySet[ContactTask]:
    """When the call should be made: the proposed next try, else from when it is due."""
    return qs.annotate(call_at=Coalesce(F("next_attempt_at"), F("due_from")))


def queue(request: HttpRequest, now: dt.datetime) -> QuerySet[ContactTask]:
    """Every open phone call of the current station that is the person's to
    work: today's (overdue, due now, later today) and those whose next try is
    scheduled for a later day. Calls that fell back to SMS or letter belong to
    the messaging step."""
    qs = tasks_for(request).for_station(request.station).open().filter(channel=Channel.PHONE)
    _start, end = day_edges(request.station, now)
    return with_call_at(qs).filter(Q(call_at__lt=end) | Q(next_attempt_at__gte=end))


def call_list(request: HttpRequest, now: dt.datetime) -> QuerySet[ContactTask]:
    """Today's calls: what was owed on an earlier day, what is due now, what
    falls due later today (a retry proposed for today included)."""
    _start, end = day_edges(request.station, now)
    return queue(request, now).filter(call_at__lt=end)


def with_details(qs: QuerySet[ContactTask]) -> QuerySet[ContactTask]:
    """Oldest due first, with customer, vehicle, assignee, source object
    and attempt count in a fixed number of queries."""
    return (
        with_call_at(qs)
        .select_related("customer", "vehicle", "assignee")
        .prefetch_related("source")
        .annotate(attempt_count=Count("attempts"))
        .order_by("call_at", "pk")
    )


def _section_q(section: str, station: Dealer, now: dt.datetime) -> Q:
    """One section of the queue as a condition on `call_at`; no section: today's calls."""
    start, end = day_edges(station, now)
    return {
        OVERDUE: Q(call_at__lt=start),
        DUE_NOW: Q(call_at__gte=start, call_at__lte=now),
        LATER_TODAY: Q(call_at__gt=now, call_at__lt=end),
        SCHEDULED: Q(call_at__gte=end),
    }.get(section, Q(call_at__lt=end))


def in_section(qs: QuerySet[ContactTask], section: str, station: Dealer, now: dt.datetime) -> QuerySet[ContactTask]:
    return qs.filter(_section_q(section, station, now))


def section_counts(
    qs: QuerySet[ContactTask], station: Dealer, now: dt.datetime, section: str = ""
) -> dict[str, int | dict[str, int]]:
    """How many calls each section holds and, under "kinds", how many of each
    kind the shown section holds: one query for the cards and the pills."""
    shown = _section_q(section, station, now)
    counts = qs.order_by().aggregate(
        **{
            name: Count("pk", filter=_section_q(name, station, now))
            for name in (OVERDUE, DUE_NOW, LATER_TODAY, SCHEDULED)
        },
        **{f"kind_{kind}": Count("pk", filter=shown & Q(kind=kind)) for kind in Kind.values},
    )
    counts["kinds"] = {kind: counts.pop(f"kind_{kind}") for kind in Kind.values}
    return counts


def section_of(task: ContactTask, station: Dealer, now: dt.datetime) -> str:
    start, end = day_edges(station, now)
    call_at = task.next_attempt_at or task.due_from
    if call_at >= end:
        return SCHEDULED
    if call_at < start:
        return OVERDUE
    return DUE_NOW if call_at <= now else LATER_TODAY


def customer_file(customer_id: int, station: Dealer) -> Customer:
    """The customer file beside a call: phones, preferred time, the vehicles
    with their last visit and odometer readings, the latest attempts on any
    of the customer's calls. Five queries, however long the history."""
    readings = OdometerReading.objects.order_by("-read_on", "-pk")
    vehicles = (
        Vehicle.objects.annotate(last_visit=Max("repair_orders__created_at"))
        .prefetch_related(Prefetch("odometer_readings", queryset=readings))
        .order_by("plate")
    )
    customer = (
        Customer.objects.for_station(station)
        .prefetch_related(Prefetch("vehicles", queryset=vehicles))
        .get(pk=customer_id)
    )
    customer.latest_attempts = list(
        ContactAttempt.objects.filter(task__customer=customer)
        .select_related("task", "by__staff")
        .order_by("-at", "-pk")[:FILE_ATTEMPTS]
    )
    return customer


def task_search(qs: QuerySet[ContactTask], q: str) -> QuerySet[ContactTask]:
    q = q.strip()
    if not q:
        return qs
    return qs.filter(
        Q(customer__name__icontains=q)
        | Q(customer__phone__contains=q)
        | Q(customer__phone2__contains=q)
        | Q(vehicle__plate__icontains=normalize_plate(q))
    )
