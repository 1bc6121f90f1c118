"""Reads of the follow-up step that pages share."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from customers.validators import normalize_plate
from dealers.access import roles_of
from dealers.models import Dealer, Role
from followup.models import ContactTask

# The call list's sections, in the order the work is done.
OVERDUE, DUE_NOW, LATER_TODAY = "overdue", "due_now", "later_today"


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


def call_list(request: HttpRequest, now: dt.datetime) -> QuerySet[ContactTask]:
    """Open calls of the current station up to the end of its day: what was
    owed on an earlier day, what is due now, what falls due later today."""
    _start, end = day_edges(request.station, now)
    return tasks_for(request).for_station(request.station).open().filter(due_from__lt=end)


def with_details(qs: QuerySet[ContactTask]) -> QuerySet[ContactTask]:
    """Oldest due first, with customer, vehicle, assignee, source appointment
    and attempt count in a fixed number of queries."""
    return (
        qs.select_related("customer", "vehicle", "assignee")
        .prefetch_related("source")
        .annotate(attempt_count=Count("attempts"))
        .order_by("due_from", "pk")
    )


def in_section(qs: QuerySet[ContactTask], section: str, station: Dealer, now: dt.datetime) -> QuerySet[ContactTask]:
    start, _end = day_edges(station, now)
    if section == OVERDUE:
        return qs.filter(due_from__lt=start)
    if section == DUE_NOW:
        return qs.filter(due_from__gte=start, due_from__lte=now)
    if section == LATER_TODAY:
        return qs.filter(due_from__gt=now)
    return qs


def section_counts(qs: QuerySet[ContactTask], station: Dealer, now: dt.datetime) -> dict[str, int]:
    start, _end = day_edges(station, now)
    return qs.order_by().aggregate(
        overdue=Count("pk", filter=Q(due_from__lt=start)),
        due_now=Count("pk", filter=Q(due_from__gte=start, due_from__lte=now)),
        later_today=Count("pk", filter=Q(due_from__gt=now)),
    )


def section_of(task: ContactTask, station: Dealer, now: dt.datetime) -> str:
    start, _end = day_edges(station, now)
    if task.due_from < start:
        return OVERDUE
    return DUE_NOW if task.due_from <= now else LATER_TODAY


def task_search(qs: QuerySet[ContactTask], q: str) -> QuerySet[ContactTask]:
    q = q.strip()
    if not q:
        return qs
    return qs.filter(
        Q(customer__name__icontains=q)
        | Q(customer__phone__contains=q)
        | Q(vehicle__plate__icontains=normalize_plate(q))
    )
