"""Reminder rules (SPEC.md "Reminders", 主动预约, and the step-7 callback):
one small function per trigger, each making the contact tasks that should
exist at `now` (ARCHITECTURE.md "Time").

How every rule here behaves:

- **Only what is owed now.** A task is made when its window holds `now`
  (`due_from <= now < due_until`); a trigger whose window has passed makes
  nothing. A first sweep over a year of history therefore makes a day's
  worth of calls, not one per vehicle ever sold. A rule's window is its
  station's setting: the callback runs `callback_days` from the delivery;
  every other reminder stays owed `reminder_lead_days` (the warranty's first
  call until the second falls due, the second until the warranty ends).
  Dates (sale, warranty end, birthday) are days of the station's time zone.
- **Once per occurrence.** The dedupe key is (rule, source, occurrence) with a
  stable occurrence: the sale date, the warranty end, the maintenance cycle
  (the last maintenance visit, or the sale) rather than the projected due
  date, the last visit for dormant and lost, the decision for declined work.
- **Set-based.** One candidate query per station and rule (annotations and
  EXISTS subqueries, rows read with `values()`), odometer readings of the
  candidates in one more query, existing keys checked in bulk by
  `followup.rules._ensure`. Candidates that already have a task for the
  current window are left out in SQL, so a second sweep writes nothing.
  The rules that project the odometer (scheduled maintenance, declined work
  by km) let the database narrow the cars to those that may fall due today
  (`Projection`, window functions over the readings) before Python works
  out the due dates: the sweep runs every minute and must cost little when
  nothing new is due.
- **Not owed once settled.** A vehicle (or, for customer-level reminders, a
  customer) that is booked (appointment booked or confirmed), in the
  workshop (an open repair order) or has visited since the reminder fell due
  gets no reminder, and `reminders_settled` expires the open ones.
  The new-owner call is exempt: it checks the customer's data, which a
  booking does not do.
- **Consent.** Dormant, lost and birthday contacts are marketing (an offer, a
  win-back, a greeting): only customers with `marketing_consent`. Maintenance,
  warranty, declined-work and new-owner reminders are service information
  about the customer's own car and go to every owner.
- **Who and how.** The customer-service specialists' pool; the customer's
  preferred channel when it is phone or SMS, otherwise a phone call (letters
  and e-mail are the fall-back of the outbound-contact rules, not a first
  contact). The after-sales callback is always a call, the birthday an SMS,
  which the messaging step sends by itself.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least, TruncDate

from appointments.models import ACTIVE, Appointment
from appointments.models import Status as AppointmentStatus
from customers.models import ContactChannel, Customer, Lifecycle, OdometerReading, OdometerSource, Vehicle
from dealers.models import Dealer, JobType, Role
from followup.models import REMINDERS, Channel, ContactTask, Kind, Outcome, TaskStatus
from reception.models import RO_OPEN_STATES, RepairOrder, RepairOrderEvent, ROStatus
from workshop.models import Decision, Finding, FindingLine

# Month arithmetic is not exactly invertible (31 March minus one month): the
# SQL date ranges are this much wider and each row is then checked exactly.
SLACK = dt.timedelta(days=3)
# A km/day rate needs readings at least this far apart to be believed.
MIN_RATE_DAYS = 30
# Club members get the birthday greeting (SPEC.md "Customer file and lifecycle").
CLUB_CLASSES = (Lifecycle.CLUB, Lifecycle.CLUB_VIP, Lifecycle.LOYAL, Lifecycle.CORE)
# Readings that mean the car was at the dealer: the sale and a reception walk-around.
VISIT_READINGS = (OdometerSource.SALE, OdometerSource.RECEPTION)
# Reminders a booking or a visit makes moot (`reminders_settled`).
SETTLED_BY_VISIT = (
    Kind.FIRST_MAINTENANCE,
    Kind.SCHEDULED_MAINTENANCE,
    Kind.WARRANTY_FIRST,
    Kind.WARRANTY_SECOND,
    Kind.DORMANT,
    Kind.LOST,
    Kind.DECLINED_WORK,
)
DONE_STATES = (ROStatus.DELIVERED, ROStatus.CLOSED)
DAY = dt.timedelta(days=1)


# --- small helpers -------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier); the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Station:
    """A station with its settings and its local day at `now`."""

    dealer: Dealer
    tz: ZoneInfo
    today: dt.date

    def start(self, day: dt.date, at: dt.time = dt.time.min) -> dt.datetime:
        return dt.datetime.combine(day, at, tzinfo=self.tz)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()


def _stations(now: dt.datetime) -> list[Station]:
    stations = []
    for dealer in Dealer.objects.filter(is_active=True):
        tz = ZoneInfo(dealer.time_zone)
        stations.append(Station(dealer, tz, now.astimezone(tz).date()))
    return stations


def _ensure(tasks: Iterable[ContactTask]) -> int:
    # followup.rules imports this module for its RULES: import it when called.
    from followup import rules

    return rules._ensure(tasks)


def _key(kind: str, source_pk: int, occurrence: dt.datetime) -> str:
    from followup import rules

    return rules.dedupe_key(kind, source_pk, occurrence)


def _channel(preferred: str) -> str:
    return preferred if preferred in (ContactChannel.PHONE, ContactChannel.SMS) else Channel.PHONE


def _type(model: type[models.Model]) -> ContentType:
    return ContentType.objects.get_for_model(model)


def _has_task(kind: str, model: type[models.Model], ref: str = "pk", *, open_at: dt.datetime | None = None) -> Exists:
    """The source already has a task of this kind (whose window holds `open_at`, if given)."""
    tasks = ContactTask.objects.filter(kind=kind, source_type=_type(model), source_id=OuterRef(ref))
    if open_at is not None:
        tasks = tasks.filter(due_until__gt=open_at)
    return Exists(tasks)


def _visits(**match) -> QuerySet[RepairOrder]:
    return RepairOrder.objects.filter(**match).exclude(status=ROStatus.CANCELLED)


def _last_visit(field: str, ref: str = "pk") -> Subquery:
    """When the vehicle (or customer) last had a repair order opened."""
    return Subquery(_visits(**{field: OuterRef(ref)}).order_by("-created_at").values("created_at")[:1])


def _not_busy(field: str, ref: str = "pk") -> Q:
    """Neither booked nor in the workshop: a reminder would only repeat what is arranged."""
    booked = Appointment.objects.filter(**{field: OuterRef(ref)}, status__in=ACTIVE)
    in_workshop = RepairOrder.objects.filter(**{field: OuterRef(ref)}, status__in=RO_OPEN_STATES)
    return ~Q(Exists(booked)) & ~Q(Exists(in_workshop))


def _vehicles(station: Station) -> QuerySet[Vehicle]:
    """The station's vehicles that are not booked, with their last visit."""
    return (
        Vehicle.objects.filter(dealer=station.dealer)
        .filter(_not_busy("vehicle"))
        .annotate(last_visit_at=_last_visit("vehicle"))
    )


VEHICLE_FIELDS = ("pk", "owner_id", "owner__preferred_channel", "last_visit_at")


@dataclass(frozen=True)
class Due:
    """One reminder window: from the first day, for `days` days (station-local)."""

    first_day: dt.date
    days: int

    def owed(self, station: Station, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        due_from = station.start(self.first_day)
        due_until = station.start(self.first_day + dt.timedelta(days=self.days))
        return (due_from, due_until) if due_from <= now < due_until else None


def _reminder(
    kind: str,
    station: Station,
    now: dt.datetime,
    *,
    due: Due,
    occurrence: dt.date,
    source: type[models.Model],
    source_id: int,
    customer_id: int,
    vehicle_id: int | None,
    preferred_channel: str,
    last_visit_at: dt.datetime | None = None,
) -> list[ContactTask]:
    """The reminder for one candidate, or none when its window does not hold
    `now` or the car (customer) has visited since the reminder fell due."""
    window = due.owed(station, now)
    if window is None or (last_visit_at is not None and last_visit_at >= window[0]):
        return []
    return [
        ContactTask(
            kind=kind,
            dealer_id=station.dealer.pk,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            source_type=_type(source),
            source_id=source_id,
            dedupe_key=_key(kind, source_id, station.start(occurrence)),
            due_from=window[0],
            due_until=window[1],
            role=Role.SPECIALIST,
            channel=_channel(preferred_channel),
        )
    ]


def _vehicle_reminder(kind: str, station: Station, now: dt.datetime, row: dict, *, due: Due, occurrence: dt.date):
    """A reminder about a vehicle (a row of `_vehicles`) to its owner."""
    return _reminder(
        kind,
        station,
        now,
        due=due,
        occurrence=occurrence,
        source=Vehicle,
        source_id=row["pk"],
        customer_id=row["owner_id"],
        vehicle_id=row["pk"],
        preferred_channel=row["owner__preferred_channel"],
        last_visit_at=row.get("last_visit_at"),
    )


# --- odometer projection -----------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    on: dt.date
    km: int


def _readings(vehicles: QuerySet | list[int], until: dt.date) -> dict[int, list[Reading]]:
    """The readings up to `until` of the vehicles `vehicles` (a queryset of
    their pks, or the pks) selects, oldest first, in one query; a correction (a new
    instrument cluster) starts the series afresh."""
    series: dict[int, list[Reading]] = defaultdict(list)
    rows = (
        OdometerReading.objects.filter(vehicle_id__in=vehicles, read_on__lte=until)
        .order_by("vehicle_id", "read_on", "pk")
        .values_list("vehicle_id", "read_on", "km", "source")
    )
    for vehicle_id, read_on, km, source in rows:
        if source == OdometerSource.CORRECTION:
            series[vehicle_id] = []
        series[vehicle_id].append(Reading(read_on, km))
    return series


def km_at(readings: list[Reading], day: dt.date) -> int | None:
    """The odometer on `day`: the last reading on or before it."""
    before = [r.km for r in readings if r.on <= day]
    return before[-1] if before else None


def km_reached_on(readings: list[Reading], km: int) -> dt.date | None:
    """The day the odometer reaches `km`, at the rate between the first and the
    last reading; None without two readings `MIN_RATE_DAYS` apart showing use."""
    if len(readings) < 2:
        return None
    first, last = readings[0], readings[-1]
    days = (last.on - first.on).days
    if days < MIN_RATE_DAYS or last.km <= first.km:
        return None
    per_day = (last.km - first.km) / days
    return last.on + dt.timedelta(days=math.ceil((km - last.km) / per_day))


def maintenance_due(
    base: dt.date, base_km: int | None, readings: list[Reading], *, interval_km: int, interval_months: int
) -> dt.date:
    """Due date of the maintenance cycle that started on `base` at `base_km`:
    the interval in months or in km, whichever comes first."""
    by_months = add_months(base, interval_months)
    by_km = km_reached_on(readings, base_km + interval_km) if base_km is not None else None
    return min(by_months, by_km) if by_km else by_months


# --- the rules -----------------------------------------------------------------------------


def after_sales_callback(now: dt.datetime) -> int:
    """Step 7: call every customer whose car was delivered, from the day after
    until `callback_days` after the delivery (the delivery is the RO's event)."""
    tasks = []
    for station in _stations(now):
        days = station.dealer.callback_days
        wait = dt.timedelta(days=min(1, days - 1))  # a one-day window starts at delivery
        deliveries = (
            RepairOrderEvent.objects.filter(
                to_status=ROStatus.DELIVERED,
                at__lte=now - wait,
                at__gt=now - dt.timedelta(days=days),
                repair_order__dealer=station.dealer,
                repair_order__status__in=DONE_STATES,
            )
            .exclude(_has_task(Kind.CALLBACK, RepairOrder, "repair_order_id"))
            .values("at", "repair_order_id", "repair_order__customer_id", "repair_order__vehicle_id")
        )
        for row in deliveries:
            order = row["repair_order_id"]
            tasks.append(
                ContactTask(
                    kind=Kind.CALLBACK,
                    dealer_id=station.dealer.pk,
                    customer_id=row["repair_order__customer_id"],
                    vehicle_id=row["repair_order__vehicle_id"],
                    source_type=_type(RepairOrder),
                    source_id=order,
                    dedupe_key=_key(Kind.CALLBACK, order, row["at"]),
                    due_from=row["at"] + wait,
                    due_until=row["at"] + dt.timedelta(days=days),
                    role=Role.SPECIALIST,
                    channel=Channel.PHONE,
                )
            )
    return _ensure(tasks)


def new_owner_callback(now: dt.datetime) -> int:
    """`new_owner_days` after the sale: verify the new owner's data and tell
    them about the first maintenance. Booked cars get it too (see above)."""
    tasks = []
    for station in _stations(now):
        days, lead = station.dealer.new_owner_days, station.dealer.reminder_lead_days
        newest = station.today - dt.timedelta(days=days)
        vehicles = (
            Vehicle.objects.filter(
                dealer=station.dealer, sale_date__lte=newest, sale_date__gt=newest - dt.timedelta(days=lead)
            )
            .exclude(_has_task(Kind.NEW_OWNER, Vehicle))
            .values("pk", "owner_id", "owner__preferred_channel", "sale_date")
        )
        for row in vehicles:
            due = Due(row["sale_date"] + dt.timedelta(days=days), lead)
            tasks += _vehicle_reminder(Kind.NEW_OWNER, station, now, row, due=due, occurrence=row["sale_date"])
    return _ensure(tasks)


def first_maintenance(now: dt.datetime) -> int:
    """`first_maintenance_months` after the sale, unless the car has had a
    maintenance visit since the sale."""
    tasks = []
    for station in _stations(now):
        months, lead = station.dealer.first_maintenance_months, station.dealer.reminder_lead_days
        newest = add_months(station.today, -months) + SLACK
        oldest = add_months(station.today - dt.timedelta(days=lead), -months) - SLACK
        maintained = _visits(
            vehicle=OuterRef("pk"), job_type=JobType.MAINTENANCE, created_at__date__gte=OuterRef("sale_date")
        )
        vehicles = (
            _vehicles(station)
            .filter(sale_date__gt=oldest, sale_date__lte=newest)
            .exclude(_has_task(Kind.FIRST_MAINTENANCE, Vehicle))
            .exclude(Exists(maintained))
            .values(*VEHICLE_FIELDS, "sale_date")
        )
        for row in vehicles:
            due = Due(add_months(row["sale_date"], months), lead)
            tasks += _vehicle_reminder(Kind.FIRST_MAINTENANCE, station, now, row, due=due, occurrence=row["sale_date"])
    return _ensure(tasks)


def _bases_due(today: dt.date, months: int, lead: int) -> tuple[dt.date, dt.date]:
    """The cycle starts `lo`..`hi` whose months interval falls due within the
    lead days: `today < add_months(base, months) <= today + lead`. Month
    arithmetic keeps the order of dates, so the bounds are found by stepping
    over the few days (`SLACK`) its inverse can be off."""
    last = today + dt.timedelta(days=lead)
    lo = add_months(today, -months) - SLACK
    while add_months(lo, months) <= today:
        lo += DAY
    hi = add_months(last, -months) + SLACK
    while add_months(hi, months) > last:
        hi -= DAY
    return lo, hi


def _days(connection, end: str, start: str) -> str:
    """SQL for the whole days from the date `start` to the date `end`."""
    if connection.vendor == "sqlite":
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"
    return f"({end} - {start})"


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


class Projection:
    """The odometer projection of `km_reached_on` in SQL, for one station's
    day: common table expressions that summarise, per car of a `cars`
    expression (columns `vehicle_id`, `base`), the readings up to today after
    the last correction (as `_readings` makes the series): the first
    (`first_on`, `first_km`), the last (`last_on`, `last_km`) and the last one
    on or before the car's `base` day (`base_km`, as `km_at`). One pass over
    the readings with window functions, not a subquery per car.

    `reached(km, day)` is the condition "the projected day `km` is reached is
    on or before `day`", in whole numbers (`km still to go * days between the
    readings <= days from the last reading to `day` * km driven between
    them`), so it needs no division; `rated` says a car has a rate."""

    def __init__(self, today: dt.date):
        self.connection = connections[OdometerReading.objects.db]
        self.today = today
        self.days = partial(_days, self.connection)
        self.rated = f"s.last_km > s.first_km AND {self.days('s.last_on', 's.first_on')} >= {int(MIN_RATE_DAYS)}"

    def date(self, day: dt.date):
        return self.connection.ops.adapt_datefield_value(day)

    def ctes(self) -> tuple[str, tuple]:
        readings = OdometerReading._meta.db_table
        sql = f"""
            car_readings AS (
                SELECT o.vehicle_id, o.read_on, o.km, o.id, o.source, c.base
                FROM {readings} o JOIN cars c ON c.vehicle_id = o.vehicle_id
                WHERE o.read_on <= %s
            ),
            corrections AS (
                SELECT * FROM (
                    SELECT vehicle_id, read_on, id,
                        ROW_NUMBER() OVER (PARTITION BY vehicle_id ORDER BY read_on DESC, id DESC) AS latest
                    FROM car_readings WHERE source = %s
                ) t WHERE t.latest = 1
            ),
            series AS (
                SELECT o.vehicle_id, o.read_on, o.km, o.base,
                    ROW_NUMBER() OVER run AS position, LEAD(o.read_on) OVER run AS next_on
                FROM car_readings o LEFT JOIN corrections k ON k.vehicle_id = o.vehicle_id
                WHERE k.id IS NULL OR o.read_on > k.read_on OR (o.read_on = k.read_on AND o.id >= k.id)
                WINDOW run AS (PARTITION BY o.vehicle_id ORDER BY o.read_on, o.id)
            ),
            summary AS (
                SELECT vehicle_id,
                    MAX(CASE WHEN position = 1 THEN read_on END) AS first_on,
                    MAX(CASE WHEN position = 1 THEN km END) AS first_km,
                    MAX(CASE WHEN next_on IS NULL THEN read_on END) AS last_on,
                    MAX(CASE WHEN next_on IS NULL THEN km END) AS last_km,
                    MAX(CASE WHEN read_on <= base AND (next_on IS NULL OR next_on > base) THEN km END) AS base_km
                FROM series GROUP BY vehicle_id
            )"""
        return sql, (self.date(self.today), OdometerSource.CORRECTION)

    def reached(self, km: str, day: dt.date) -> tuple[str, tuple]:
        sql = (
            f"CAST({km} - s.last_km AS BIGINT) * {self.days('s.last_on', 's.first_on')}"
            f" <= {self.days('%s', 's.last_on')} * CAST(s.last_km - s.first_km AS BIGINT)"
        )
        return sql, (self.date(day),)


def _may_fall_due(station: Station) -> RawSQL:
    """The station's vehicles whose scheduled maintenance may fall due within
    the lead days, found in the database: a handful of cars on most days,
    instead of the readings of every car maintained within the interval
    projected in Python each minute.

    Per vehicle the cycle start (last maintenance visit, local day, else the
    sale) and the `Projection` of its readings; the day of the km interval is
    compared with the window a day wider on each side, so rounding can only
    let a car through that `scheduled_maintenance` then leaves out: this is a
    filter, the due date is still worked out exactly there."""
    dealer, today = station.dealer, station.today
    lead = dealer.reminder_lead_days
    lo, hi = _bases_due(today, dealer.maintenance_interval_months, lead)
    maintained = (
        _visits(vehicle__dealer=dealer, job_type=JobType.MAINTENANCE)
        .values("vehicle_id")
        .annotate(maintained_on=TruncDate(Max("created_at"), tzinfo=station.tz))
        .order_by()
    )
    maintained_sql, maintained_params = _sql(maintained)
    projection = Projection(today)
    ctes, ctes_params = projection.ctes()
    target = f"s.base_km + {int(dealer.maintenance_interval_km)}"
    overdue, overdue_params = projection.reached(target, today - DAY)
    soon, soon_params = projection.reached(target, today + dt.timedelta(days=lead + 1))
    sql = f"""
        WITH maintained AS ({maintained_sql}),
        cars AS (
            SELECT * FROM (
                SELECT v.id AS vehicle_id, COALESCE(m.maintained_on, v.sale_date) AS base
                FROM {Vehicle._meta.db_table} v LEFT JOIN maintained m ON m.vehicle_id = v.id
                WHERE v.dealer_id = %s
            ) t WHERE t.base >= %s
        ),
        {ctes}
        SELECT c.vehicle_id FROM cars c LEFT JOIN summary s ON s.vehicle_id = c.vehicle_id
        WHERE CASE
            WHEN s.base_km IS NOT NULL AND {projection.rated} THEN
                NOT ({overdue}) AND (c.base <= %s OR {soon})
            ELSE c.base <= %s
        END
    """
    hi = projection.date(hi)
    params = (
        *maintained_params,
        dealer.pk,
        projection.date(lo),
        *ctes_params,
        *overdue_params,
        hi,
        *soon_params,
        hi,
    )
    return RawSQL(sql, params)


def scheduled_maintenance(now: dt.datetime) -> int:
    """`reminder_lead_days` before the maintenance falls due: the interval in
    months or km from the last maintenance visit (the sale before the first),
    km projected from the odometer readings. One reminder per cycle: a new
    reading moves the due date, not the key; a new visit starts a new cycle.

    The database first narrows the cars to those that may fall due now
    (`_may_fall_due`); `maintenance_due` decides each of them exactly."""
    tasks = []
    for station in _stations(now):
        dealer = station.dealer
        lead = dealer.reminder_lead_days
        last_maintenance = Subquery(
            _visits(vehicle=OuterRef("pk"), job_type=JobType.MAINTENANCE)
            .order_by("-created_at")
            .values("created_at")[:1]
        )
        vehicles = (
            _vehicles(station)
            .filter(pk__in=_may_fall_due(station))
            .annotate(last_maintenance_at=last_maintenance)
            .exclude(_has_task(Kind.SCHEDULED_MAINTENANCE, Vehicle, open_at=now))
        )
        rows = list(vehicles.values(*VEHICLE_FIELDS, "sale_date", "last_maintenance_at"))
        readings = _readings([row["pk"] for row in rows], station.today) if rows else {}
        for row in rows:
            maintained = row["last_maintenance_at"]
            base = station.local_date(maintained) if maintained else row["sale_date"]
            series = readings.get(row["pk"], [])
            due_on = maintenance_due(
                base,
                km_at(series, base),
                series,
                interval_km=dealer.maintenance_interval_km,
                interval_months=dealer.maintenance_interval_months,
            )
            due = Due(due_on - dt.timedelta(days=lead), lead)
            tasks += _vehicle_reminder(Kind.SCHEDULED_MAINTENANCE, station, now, row, due=due, occurrence=base)
    return _ensure(tasks)


def _warranty_candidates(
    station: Station, now: dt.datetime, kind: str, first_days: int, until_days: int
) -> QuerySet[Vehicle]:
    """Vehicles whose warranty ends between `until_days` (exclusive) and
    `first_days` days from today: their reminder window holds today."""
    return (
        _vehicles(station)
        .filter(
            warranty_end__gt=station.today + dt.timedelta(days=until_days),
            warranty_end__lte=station.today + dt.timedelta(days=first_days),
        )
        .exclude(_has_task(kind, Vehicle, open_at=now))
        .values(*VEHICLE_FIELDS, "warranty_end")
    )


def warranty_first(now: dt.datetime) -> int:
    """`warranty_first_days` before the warranty ends, until the second falls due."""
    tasks = []
    for station in _stations(now):
        first, second = station.dealer.warranty_first_days, station.dealer.warranty_second_days
        if second >= first:
            continue  # the settings leave the first reminder no time
        for row in _warranty_candidates(station, now, Kind.WARRANTY_FIRST, first, second):
            due = Due(row["warranty_end"] - dt.timedelta(days=first), first - second)
            tasks += _vehicle_reminder(Kind.WARRANTY_FIRST, station, now, row, due=due, occurrence=row["warranty_end"])
    return _ensure(tasks)


def _first_succeeded(station: Station, vehicles: list[dict]) -> set[int]:
    """Vehicles whose first warranty reminder led to a booking: outcome booked,
    or linked to the appointment or visit that followed it."""
    keys = [_key(Kind.WARRANTY_FIRST, row["pk"], station.start(row["warranty_end"])) for row in vehicles]
    succeeded = ContactTask.objects.filter(dedupe_key__in=keys).filter(
        Q(outcome=Outcome.BOOKED) | Q(led_to_appointment__isnull=False) | Q(led_to_repair_order__isnull=False)
    )
    return set(succeeded.values_list("source_id", flat=True))


def warranty_second(now: dt.datetime) -> int:
    """`warranty_second_days` before the warranty ends, until it ends, only
    when the first did not succeed: not reached (unreachable, wrong number,
    expired or never made) or no booking came of it."""
    tasks = []
    for station in _stations(now):
        second = station.dealer.warranty_second_days
        if second == 0:
            continue  # no time left before the end
        rows = list(_warranty_candidates(station, now, Kind.WARRANTY_SECOND, second, 0))
        succeeded = _first_succeeded(station, rows) if rows else set()
        for row in rows:
            if row["pk"] in succeeded:
                continue
            due = Due(row["warranty_end"] - dt.timedelta(days=second), second)
            tasks += _vehicle_reminder(Kind.WARRANTY_SECOND, station, now, row, due=due, occurrence=row["warranty_end"])
    return _ensure(tasks)


CAR = "finding__repair_order__vehicle"  # a declined line's vehicle


def _findings_may_fall_due(station: Station) -> RawSQL:
    """The station's findings with declined work that may fall due within the
    lead days, found in the database (`Projection`), so that a sweep with
    nothing due projects no readings in Python.

    Over the lines `_declined_lines` considers (a date within the lead days,
    or a mileage still ahead of the last reading), a finding falls due at its
    earliest line: it may be owed when some line may fall due by the end of
    the window and no line surely fell due by today. The km day is compared a
    day wider on either side, so rounding only lets a finding through that
    `declined_work` then leaves out."""
    today, lead = station.today, station.dealer.reminder_lead_days
    lines = FindingLine.objects.filter(finding__dealer=station.dealer, decision=Decision.DECLINED).values(
        line_finding=F("finding_id"),
        by_date=F("recommend_by_date"),
        by_km=F("recommend_by_km"),
        line_vehicle=F(f"{CAR}_id"),
    )
    lines_sql, lines_params = _sql(lines.order_by())
    projection = Projection(today)
    ctes, ctes_params = projection.ctes()
    by_km = f"l.by_km IS NOT NULL AND s.last_km IS NOT NULL AND {projection.rated}"
    soon, soon_params = projection.reached("l.by_km", today + dt.timedelta(days=lead + 1))
    passed, passed_params = projection.reached("l.by_km", today - DAY)
    date = projection.date
    sql = f"""
        WITH lines AS ({lines_sql}),
        cars AS (
            SELECT DISTINCT line_vehicle AS vehicle_id, CAST(NULL AS DATE) AS base
            FROM lines WHERE by_km IS NOT NULL
        ),
        {ctes}
        SELECT l.line_finding FROM lines l LEFT JOIN summary s ON s.vehicle_id = l.line_vehicle
        WHERE (l.by_date > %s AND l.by_date <= %s) OR l.by_km > s.last_km
        GROUP BY l.line_finding
        HAVING MAX(CASE WHEN l.by_date <= %s OR ({by_km} AND {soon}) THEN 1 ELSE 0 END) = 1
            AND MAX(CASE WHEN l.by_date <= %s OR ({by_km} AND {passed}) THEN 1 ELSE 0 END) = 0
    """
    params = (
        *lines_params,
        *ctes_params,
        date(today),
        date(today + dt.timedelta(days=lead)),
        date(today + dt.timedelta(days=lead)),
        *soon_params,
        date(today),
        *passed_params,
    )
    return RawSQL(sql, params)


def _declined_lines(station: Station, now: dt.datetime) -> QuerySet[FindingLine]:
    """Declined lines of cars not booked, whose finding has no reminder yet: with a
    date within the lead days, or a mileage still ahead of the last reading
    (one the car has passed fell due before that reading: not owed now)."""
    lead = station.dealer.reminder_lead_days
    last_km = Subquery(
        OdometerReading.objects.filter(vehicle=OuterRef(f"{CAR}_id"), read_on__lte=station.today)
        .order_by("-read_on", "-pk")
        .values("km")[:1]
    )
    return (
        FindingLine.objects.filter(finding__dealer=station.dealer, decision=Decision.DECLINED)
        .filter(finding_id__in=_findings_may_fall_due(station))
        .annotate(last_km=last_km)
        .filter(
            Q(recommend_by_date__gt=station.today, recommend_by_date__lte=station.today + dt.timedelta(days=lead))
            | Q(recommend_by_km__gt=F("last_km"))
        )
        .filter(_not_busy("vehicle", f"{CAR}_id"))
        .exclude(_has_task(Kind.DECLINED_WORK, Finding, "finding_id"))
        .annotate(last_visit_at=_last_visit("vehicle", f"{CAR}_id"))
    )


def _line_due(line: dict, readings: dict[int, list[Reading]]) -> dt.date | None:
    """When a declined line falls due: its date, or the day its mileage is
    projected to be reached, whichever is earlier."""
    dates = [line["recommend_by_date"]]
    if line["recommend_by_km"] is not None:
        dates.append(km_reached_on(readings.get(line[f"{CAR}_id"], []), line["recommend_by_km"]))
    return min((d for d in dates if d), default=None)


def declined_work(now: dt.datetime) -> int:
    """Work the customer declined, with a date or a mileage to do it by:
    `reminder_lead_days` before it falls due (the mileage projected to a day
    from the readings; the earlier of the two when both are given). One
    reminder per finding, at its first declined line: the part and the
    labour of one job are one call (or SMS), not two."""
    tasks = []
    for station in _stations(now):
        lead = station.dealer.reminder_lead_days
        lines = _declined_lines(station, now)
        rows = list(
            lines.values(
                "recommend_by_date",
                "recommend_by_km",
                "finding_id",
                "finding__found_at",
                "last_visit_at",
                f"{CAR}_id",
                f"{CAR}__owner_id",
                f"{CAR}__owner__preferred_channel",
            )
        )
        by_km = [row[f"{CAR}_id"] for row in rows if row["recommend_by_km"] is not None]
        readings = _readings(by_km, station.today) if by_km else {}
        first: dict[int, tuple[dt.date, dict]] = {}
        for line in rows:
            due_on = _line_due(line, readings)
            if due_on and (line["finding_id"] not in first or due_on < first[line["finding_id"]][0]):
                first[line["finding_id"]] = (due_on, line)
        for finding_id, (due_on, line) in first.items():
            tasks += _reminder(
                Kind.DECLINED_WORK,
                station,
                now,
                due=Due(due_on - dt.timedelta(days=lead), lead),
                occurrence=station.local_date(line["finding__found_at"]),
                source=Finding,
                source_id=finding_id,
                customer_id=line[f"{CAR}__owner_id"],
                vehicle_id=line[f"{CAR}_id"],
                preferred_channel=line[f"{CAR}__owner__preferred_channel"],
                last_visit_at=line["last_visit_at"],
            )
    return _ensure(tasks)


def _absent_customers(station: Station, now: dt.datetime, kind: str, months: int) -> list[dict]:
    """Customers (who agree to marketing) whose last visit was `months` ago,
    give or take the slack: the last repair order, or the last sale or
    reception reading of a car they own (history from before this system).

    Aggregated per customer in a few grouped queries (no per-customer
    subquery: with a year of history those made the sweep take a minute):
    first the customers whose last order or reading falls in the band, then
    their last visit over both sources, then the usual filters."""
    lead = station.dealer.reminder_lead_days
    newest = add_months(station.today, -months) + SLACK
    oldest = add_months(station.today - dt.timedelta(days=lead), -months) - SLACK
    orders = _visits(dealer=station.dealer).values("customer_id").annotate(last=Max("created_at"))
    readings = (
        OdometerReading.objects.filter(vehicle__dealer=station.dealer, source__in=VISIT_READINGS)
        .values("vehicle__owner_id")
        .annotate(last=Max("read_on"))
    )
    candidates = set(
        orders.filter(last__gte=station.start(oldest + DAY), last__lt=station.start(newest + DAY)).values_list(
            "customer_id", flat=True
        )
    ) | set(readings.filter(last__gt=oldest, last__lte=newest).values_list("vehicle__owner_id", flat=True))
    if not candidates:
        return []
    last_visit: dict[int, dt.date] = {}
    for customer_id, at in orders.filter(customer_id__in=candidates).values_list("customer_id", "last"):
        last_visit[customer_id] = station.local_date(at)
    for customer_id, day in readings.filter(vehicle__owner_id__in=candidates).values_list("vehicle__owner_id", "last"):
        last_visit[customer_id] = max(day, last_visit.get(customer_id, day))
    absent = {pk: day for pk, day in last_visit.items() if oldest < day <= newest}
    rows = (
        Customer.objects.filter(pk__in=absent, dealer=station.dealer, marketing_consent=True)
        .filter(_not_busy("customer"))
        .exclude(_has_task(kind, Customer, open_at=now))
        .values("pk", "preferred_channel")
    )
    return [{**row, "last_visit": absent[row["pk"]]} for row in rows]


def _absence_rule(kind: str, setting: str) -> Callable[[dt.datetime], int]:
    def rule(now: dt.datetime) -> int:
        tasks = []
        for station in _stations(now):
            months, lead = getattr(station.dealer, setting), station.dealer.reminder_lead_days
            for row in _absent_customers(station, now, kind, months):
                due = Due(add_months(row["last_visit"], months), lead)
                tasks += _reminder(
                    kind,
                    station,
                    now,
                    due=due,
                    occurrence=row["last_visit"],
                    source=Customer,
                    source_id=row["pk"],
                    customer_id=row["pk"],
                    vehicle_id=None,
                    preferred_channel=row["preferred_channel"],
                )
        return _ensure(tasks)

    rule.__name__ = f"{kind}_customer"
    rule.__doc__ = (
        f"No visit for `{setting}`: one contact per last visit, owed for `reminder_lead_days` after "
        "the anniversary (marketing: customers who agree to it)."
    )
    return rule


# Dormant: offer e.g. a free check. Lost: ask, and record the reason (outcome LEFT).
dormant_customer = _absence_rule(Kind.DORMANT, "dormant_months")
lost_customer = _absence_rule(Kind.LOST, "lost_months")


def birthday_greeting(now: dt.datetime) -> int:
    """A greeting SMS to club members on their birthday (29 February on the
    28th in other years), within the station's calling hours; the messaging
    step sends it. Marketing: customers who agree to it."""
    tasks = []
    for station in _stations(now):
        dealer, today = station.dealer, station.today
        due = (station.start(today, dealer.calls_from), station.start(today, dealer.calls_until))
        if not due[0] <= now < due[1]:
            continue
        born = Q(birthday__month=today.month, birthday__day=today.day)
        if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
            born |= Q(birthday__month=2, birthday__day=29)
        customers = (
            Customer.objects.filter(dealer=dealer, marketing_consent=True)
            .filter(Q(club_since__isnull=False) | Q(lifecycle__in=CLUB_CLASSES))
            .filter(born)
            .exclude(_has_task(Kind.BIRTHDAY, Customer, open_at=due[0]))
            .values_list("pk", flat=True)
        )
        for customer_id in customers:
            tasks.append(
                ContactTask(
                    kind=Kind.BIRTHDAY,
                    dealer_id=dealer.pk,
                    customer_id=customer_id,
                    source_type=_type(Customer),
                    source_id=customer_id,
                    dedupe_key=_key(Kind.BIRTHDAY, customer_id, station.start(today)),
                    due_from=due[0],
                    due_until=due[1],
                    role=Role.SPECIALIST,
                    channel=Channel.SMS,
                )
            )
    return _ensure(tasks)


def _settled(field: str) -> Q:
    """The task's vehicle (or customer) is booked, in the workshop, or has
    visited since the reminder fell due."""
    ref = OuterRef(f"{field}_id")
    booked = Appointment.objects.filter(**{field: ref}, status__in=ACTIVE)
    visited = _visits(**{field: ref}).filter(Q(status__in=RO_OPEN_STATES) | Q(created_at__gte=OuterRef("due_from")))
    return Q(Exists(booked)) | Q(Exists(visited))


def reminders_settled(now: dt.datetime) -> int:
    """Open reminders whose purpose is gone expire: the car was booked or has
    been in since the reminder fell due (for dormant and lost: the customer)."""
    gone = (Q(vehicle__isnull=False) & _settled("vehicle")) | (Q(vehicle__isnull=True) & _settled("customer"))
    return (
        ContactTask.objects.open()
        .filter(kind__in=SETTLED_BY_VISIT)
        .filter(gone)
        .update(status=TaskStatus.EXPIRED, closed_at=now)
    )


def _first_after(model: type[models.Model], field: str, window: dt.timedelta) -> QuerySet:
    """The task's vehicle's (customer's) appointments or repair orders made
    after the task, within the window, first first."""
    created = OuterRef("created_at")
    return (
        model.objects.filter(**{field: OuterRef(f"{field}_id")}, created_at__gt=created)
        .filter(created_at__lte=created + window)
        .exclude(status=AppointmentStatus.CANCELLED if model is Appointment else ROStatus.CANCELLED)
        .order_by("created_at", "pk")
    )


def link_conversions(now: dt.datetime) -> int:
    """The effect of every reminder (SPEC.md "Outbound contact rules"): the
    first appointment booked and the first repair order opened for the same
    vehicle (the customer, when the task has none) after the task was made,
    within `conversion_window_days`. Returns how many tasks converted."""
    converted = 0
    for station in _stations(now):
        window = dt.timedelta(days=station.dealer.conversion_window_days)
        recent = ContactTask.objects.filter(
            dealer=station.dealer, kind__in=REMINDERS, created_at__gte=now - window
        ).exclude(status=TaskStatus.CANCELLED)
        for model, link in ((Appointment, "led_to_appointment"), (RepairOrder, "led_to_repair_order")):
            for field in ("vehicle", "customer"):
                first = _first_after(model, field, window)
                unlinked = recent.filter(**{f"{link}__isnull": True, "vehicle__isnull": field == "customer"})
                unlinked.filter(Exists(first)).update(**{link: Subquery(first.values("pk")[:1])})
        booked = Subquery(Appointment.objects.filter(pk=OuterRef("led_to_appointment")).values("created_at")[:1])
        opened = Subquery(RepairOrder.objects.filter(pk=OuterRef("led_to_repair_order")).values("created_at")[:1])
        converted += (
            recent.filter(converted_at__isnull=True)
            .filter(Q(led_to_appointment__isnull=False) | Q(led_to_repair_order__isnull=False))
            .update(converted_at=Least(Coalesce(booked, opened), Coalesce(opened, booked)))
        )
    return converted


# In the order the sweep runs them (followup.rules.RULES includes these): settled
# reminders close first, so a car booked a minute ago gets no new call; the
# conversions are linked last, over everything the sweep has seen.
RULES: list[Callable[[dt.datetime], int]] = [
    reminders_settled,
    after_sales_callback,
    new_owner_callback,
    first_maintenance,
    scheduled_maintenance,
    warranty_first,
    warranty_second,
    declined_work,
    dormant_customer,
    lost_customer,
    birthday_greeting,
    link_conversions,
]
