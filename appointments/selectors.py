"""Reads of step 1 that several pages share."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from appointments import capacity
from appointments.models import Appointment, Source
from customers.validators import normalize_plate
from dealers.models import Dealer


def day_bounds(station: Dealer, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(station.time_zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def appointments_on(station: Dealer, day: dt.date) -> QuerySet[Appointment]:
    start, end = day_bounds(station, day)
    return (
        Appointment.objects.for_station(station)
        .filter(arrives_at__gte=start, arrives_at__lt=end)
        .select_related("customer", "vehicle", "advisor")
        .order_by("arrives_at", "pk")
    )


def appointment_search(qs: QuerySet[Appointment], q: str) -> QuerySet[Appointment]:
    q = q.strip()
    if not q:
        return qs
    return qs.filter(
        Q(number__icontains=q)
        | Q(customer__name__icontains=q)
        | Q(customer__phone__contains=q)
        | Q(vehicle__plate__icontains=normalize_plate(q))
    )


def load_forecast(station: Dealer, *, days: int = 14, first_day: dt.date | None = None) -> list[capacity.DayLoad]:
    """Booked hours against capacity per opening day, for the next `days` days."""
    first_day = first_day or timezone.localdate()
    last_day = first_day + dt.timedelta(days=days - 1)
    calendar = capacity.load_calendar(station, first_day, last_day)
    return [d for d in calendar.days() if first_day <= d.day <= last_day]


def appointment_detail(station_ids, pk: int) -> Appointment:
    return (
        Appointment.objects.filter(dealer__in=station_ids)
        .select_related("customer", "vehicle", "advisor", "dealer", "created_by", "rescheduled_from")
        .prefetch_related("lines", "events__by")
        .get(pk=pk)
    )


def preparation_problems(now: dt.datetime) -> QuerySet[Appointment]:
    """Appointments still to come whose preparation has a problem (parts
    shortage, no substitute car) the customer must hear about before arriving.

    Read by the follow-up rule across all stations. One contact per problem
    period: dedupe on (appointment.pk, appointment.preparation.problem_since);
    the problem items are prefetched on `appointment.preparation.items`."""
    from django.db.models import Prefetch

    from appointments.models import ACTIVE, ItemState, PreparationItem

    return (
        Appointment.objects.filter(status__in=ACTIVE, arrives_at__gt=now, preparation__problem_since__isnull=False)
        .select_related("dealer", "customer", "vehicle", "advisor", "preparation")
        .prefetch_related(
            Prefetch("preparation__items", queryset=PreparationItem.objects.filter(state=ItemState.PROBLEM))
        )
        .order_by("arrives_at", "pk")
    )


def appointment_for_print(station_ids, pk: int) -> Appointment:
    """One appointment with all the registration form shows."""
    return (
        Appointment.objects.filter(dealer__in=station_ids)
        .select_related("customer", "vehicle", "advisor", "dealer", "created_by__staff")
        .prefetch_related("lines", "vehicle__odometer_readings")
        .get(pk=pk)
    )


def work_list(station: Dealer, day: dt.date, kind: str) -> QuerySet[Appointment]:
    """A day's appointments as one department's work list shows them: what the
    copy of the registration form used to carry to the advisor, the parts
    department and the workshop. Called-off appointments are not work."""
    from django.db.models import Prefetch

    from appointments.models import PartReservation, Status

    qs = appointments_on(station, day).exclude(status__in=[Status.CANCELLED, Status.RESCHEDULED])
    if kind == "parts":
        return qs.select_related("preparation").prefetch_related(
            Prefetch(
                "preparation__reservations",
                queryset=PartReservation.objects.select_related("part").order_by("part__number"),
            )
        )
    return qs.select_related("preparation__technician")


def welcome_board(station: Dealer, today: dt.date) -> QuerySet[Appointment]:
    """Today's and tomorrow's expected customers for the reception entrance:
    those still coming and those already here; never the called-off ones."""
    from appointments.models import Status

    start, _ = day_bounds(station, today)
    _, end = day_bounds(station, today + dt.timedelta(days=1))
    return (
        Appointment.objects.for_station(station)
        .filter(arrives_at__gte=start, arrives_at__lt=end)
        .filter(status__in=[Status.BOOKED, Status.CONFIRMED, Status.ARRIVED, Status.CONVERTED])
        .select_related("customer", "vehicle", "advisor")
        .order_by("arrives_at", "pk")
    )


PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def walk_in_cards_per_period(
    station: Dealer, first_day: dt.date, last_day: dt.date, *, period: str = "day"
) -> dict[dt.date, int]:
    """Appointment cards given to waiting walk-ins ("walk-in converted"),
    counted by the day, week (Monday) or month they were given, in the
    station's time zone. Periods without a card are absent."""
    tz = ZoneInfo(station.time_zone)
    start, _ = day_bounds(station, first_day)
    _, end = day_bounds(station, last_day)
    rows = (
        Appointment.objects.for_station(station)
        .filter(source=Source.WALK_IN_CARD, created_at__gte=start, created_at__lt=end)
        .annotate(period=PERIODS[period]("created_at", tzinfo=tz))
        .values("period")
        .annotate(count=Count("pk"))
        .order_by("period")
    )
    return {
        row["period"].date() if isinstance(row["period"], dt.datetime) else row["period"]: row["count"] for row in rows
    }
