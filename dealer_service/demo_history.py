"""Twelve months of service history for the demo vehicles (`seed_demo`).

Per vehicle: maintenance visits about every 6 months or 10,000 km, now and
then a repair or body job, each one a delivered repair order with everything
the live flow would have left behind: estimate lines priced from the
station's catalogue, the customer's consent, jobs with their clock, the
quality check, the delivery talk, the invoice and its payments, the odometer
reading of the walk-around, the event log, a declined recommendation now and
then, comebacks, and the after-sales callback with its survey. About half the
visits were booked: an appointment some days before, mostly confirmed the
day before, arrived and converted into the repair order; now and then a
customer did not turn up or cancelled (the dashboard's appointment share,
confirmation and show rates read these).

Why plain rows and not the services: at `--scale 100` that is a quarter of a
million repair orders; the services would take hours (row locks, full_clean,
one query per line). The rows are built the way the services build them
(pricing.totals, estimates.agreed_snapshot, rules.dedupe_key) and the tests
check that they hang together.

Two passes. `plan()` draws every visit in memory from a random stream per
vehicle (its VIN), so a vehicle's history does not depend on the scale or on
the other vehicles; numbers (repair orders by arrival, invoices by issue
time, per station and year, without gaps) are handed out once all visits of
a station are known. `write()` then inserts the visits in chunks, in time
order, with bulk_create. A station that already has repair orders gets no
history: its numbers are taken, and a re-run must add nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from appointments.models import Appointment, AppointmentEvent, AppointmentLine, Source
from appointments.models import Status as AppointmentStatus
from customers.models import OdometerReading, OdometerSource, Vehicle
from dealer_service import demo
from dealers.models import (
    Bay,
    Dealer,
    JobType,
    LabourOperation,
    Part,
    Role,
    RosterEntry,
    ServicePackage,
    StaffMember,
)
from followup.models import Channel, ContactAttempt, ContactTask, Kind, Outcome, Survey, TaskStatus
from followup.rules import dedupe_key
from reception import pricing
from reception.estimates import agreed_snapshot
from reception.models import (
    ComebackCause,
    ConsentMethod,
    ConsentRecord,
    Delivery,
    EstimateLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    OldParts,
    PaymentMethod,
    PayType,
    RepairOrder,
    RepairOrderEvent,
    ROStatus,
    WalkAround,
)
from reception.models import Payment as PaymentRow
from workshop.models import (
    ClockEvent,
    ClockKind,
    Decision,
    DecisionVia,
    Finding,
    FindingLine,
    Job,
    JobStatus,
    QualityCheck,
    Urgency,
)

CHUNK = 2_000  # visits per write transaction
HISTORY_DAYS = 365
# Lost customers came last 12–13 months ago: a little before the year.
LOST_DAYS = 400
KM_PER_MONTH = (1_000, 2_500)
MONTH_DAYS = Decimal("30.44")
MAINTENANCE_DAYS = 182
MAINTENANCE_KM = 10_000
# Owner classes: (share, what their cars do in the year).
DORMANT_SHARE = 0.10  # last visit 6–12 months ago
LOST_SHARE = 0.05  # last visit 12–13 months ago
AWAY_SHARE = 0.06  # services elsewhere: no visit on file
REPAIR_CHANCE = 0.28
SECOND_REPAIR_CHANCE = 0.06
BODY_CHANCE = 0.05
COMEBACK_CHANCE = 0.06  # of repair and body visits
FINDING_CHANCE = 0.10
DISSATISFIED_CHANCE = 0.05
DISCOUNT_CHANCE = 0.12
CLUB = ("club", "club_vip", "loyal", "core")
# Appointments: the share of visits booked ahead by job type (comebacks are
# booked like their original), how many were confirmed, and the bookings
# that never became a visit: no-shows and cancellations, per booked visit.
BOOKED_CHANCE = {JobType.MAINTENANCE: 0.60, JobType.REPAIR: 0.40, JobType.BODY_PAINT: 0.35}
CONFIRMED_CHANCE = 0.90
NO_SHOW_CHANCE = 0.12  # show rate ≈ 1 / 1.12 ≈ 89 %
NO_SHOW_CONFIRMED_CHANCE = 0.50
CANCELLED_CHANCE = 0.06
SOURCES = ((Source.PHONE, 55), (Source.ONLINE, 25), (Source.ACTIVE, 20))

# Repairs: operation code -> parts (part-kind key of the model or a common
# part number, quantity). Body jobs likewise.
REPAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "R001": (("pads_front", "1"),),
    "R002": (("pads_rear", "1"),),
    "R003": (("disc_front", "2"), ("pads_front", "1")),
    "R004": (),
    "R005": (),
    "R006": (),
    "R007": (),
    "R009": (),
    "R010": (("G052164M2", "0.6"),),
    "R016": (),
    "R017": (("headlight", "1"),),
}
REPAIR_WEIGHTS = (20, 14, 6, 12, 10, 4, 4, 6, 8, 10, 3)
WARRANTY_REPAIRS = {"R004", "R005", "R006", "R009", "R010", "R016"}
BODY_JOBS: dict[str, tuple[tuple[str, str], ...]] = {
    "B001": (("LV1001", "0.5"), ("LV1002", "0.3"), ("LV1003", "0.3")),
    "B002": (("LV1001", "0.5"), ("LV1002", "0.3"), ("LV1003", "0.3")),
    "B004": (("LV1001", "0.6"), ("LV1002", "0.4"), ("LV1003", "0.4")),
    "B005": (),
}
# What a technician finds and the customer puts off: operation, parts, urgency, text.
RECOMMENDATIONS: tuple[tuple[str, tuple[tuple[str, str], ...], str, str], ...] = (
    ("R001", (("pads_front", "1"),), Urgency.YELLOW, "前刹车片剩余约3毫米，建议近期更换"),
    ("R002", (("pads_rear", "1"),), Urgency.YELLOW, "后刹车片磨损较多，建议下次保养时更换"),
    ("M005", (("B000750M3", "1"),), Urgency.GREEN, "刹车油含水量偏高，建议更换"),
    ("M014", (("wiper", "1"),), Urgency.GREEN, "雨刮片老化，刮水有痕迹"),
    ("M012", (("SV1001", "1"),), Urgency.GREEN, "空调出风有异味，建议清洗空调系统"),
    ("M015", (("JZW915105", "1"),), Urgency.YELLOW, "蓄电池检测电压偏低，建议更换"),
)
PURPOSES = {
    JobType.MAINTENANCE: "按时保养",
    JobType.REPAIR: ("刹车时有异响", "发动机故障灯亮了", "空调不凉", "底盘有异响", "大灯不亮", "车机需要升级"),
    JobType.BODY_PAINT: ("倒车时刮到保险杠", "车门被划伤", "停车被蹭，需要钣喷"),
}
COMMENTS_GOOD = ("", "", "", "服务很好", "顾问讲解清楚", "交车准时", "洗车很干净")
COMMENTS_BAD = ("等待时间太长", "价格比预期高", "交车时没讲清楚做了什么", "车里有油污")
PAYMENTS = ((PaymentMethod.WECHAT, 40), (PaymentMethod.ALIPAY, 25), (PaymentMethod.CARD, 25), (PaymentMethod.CASH, 10))
ZERO = Decimal("0")


# --- the plan ------------------------------------------------------------------


@dataclass(slots=True)
class LinePlan:
    kind: str
    operation: LabourOperation | None
    part: Part | None
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO
    pay_type: str = PayType.CUSTOMER
    package_id: int | None = None
    row: EstimateLine | None = None


@dataclass(slots=True)
class Visit:
    """One delivered repair order, with every time of its day."""

    station: StationCatalogue
    vehicle_id: int
    customer_id: int
    customer_name: str
    job_type: str
    arrives: dt.datetime
    km: int
    lines: list[LinePlan]
    purpose: str
    comeback_of: Visit | None = None
    comeback_cause: str = ""
    number: str = ""
    invoice_number: str = ""
    advisor: StaffMember | None = None
    technician: StaffMember | None = None
    times: dict[str, dt.datetime] = field(default_factory=dict)
    job_times: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    finding: tuple | None = None
    survey: tuple[int, ...] | None = None
    attempts: int = 1
    split_payment: bool = False
    payment_method: str = PaymentMethod.WECHAT
    discount_reason: str = ""
    closed: bool = True
    ro: RepairOrder | None = None
    first_job: Job | None = None
    # The appointment the visit came from, and the customer's bookings before
    # it that did not turn into a visit (no-shows, cancellations).
    appointment: Booking | None = None
    missed: list[Booking] = field(default_factory=list)


@dataclass(slots=True)
class Booking:
    """One appointment of the history: its times and its status log."""

    visit: Visit  # the visit it was for (a missed one: the visit that followed)
    status: str
    arrives_at: dt.datetime
    booked_at: dt.datetime
    source: str
    events: list[tuple[str, str, dt.datetime]]  # (from, to, at)
    number: str = ""
    row: Appointment | None = None


@dataclass
class StationCatalogue:
    """What the generator needs of one station, read once."""

    dealer: Dealer
    tz: ZoneInfo
    operations: dict[str, LabourOperation]
    parts: dict[str, Part]  # by number, and by name for the model-specific ones
    packages: dict[str, tuple[ServicePackage, list[LabourOperation], list[tuple[Part, Decimal]]]]
    advisors: list[StaffMember]
    technicians: list[StaffMember]
    dispatcher: StaffMember
    specialist: StaffMember
    cashier: StaffMember
    bays: dict[str, Bay]
    open_weekdays: set[int]
    holidays: set[dt.date]
    on_duty: set[tuple[int, dt.date]] = field(default_factory=set)  # (technician, day) on the roster

    @classmethod
    def load(cls, dealer: Dealer) -> StationCatalogue | None:
        def staff(role: str) -> list[StaffMember]:
            return list(
                StaffMember.objects.filter(dealers=dealer, roles__role=role).select_related("user").order_by("pk")
            )

        advisors, dispatchers = staff(Role.SERVICE_ADVISOR), staff(Role.DISPATCHER)
        specialists, cashiers = staff(Role.SPECIALIST), staff(Role.CASHIER)
        technicians = [t for t in staff(Role.TECHNICIAN) if t.skill_grade]
        operations = {o.code: o for o in LabourOperation.objects.filter(dealer=dealer, is_active=True)}
        if not (advisors and dispatchers and specialists and cashiers and technicians and operations):
            return None
        parts: dict[str, Part] = {}
        for part in Part.objects.filter(dealer=dealer, is_active=True, unit_price__gt=0):
            parts[part.number] = part
            parts.setdefault(part.name, part)
        packages = {}
        for package in ServicePackage.objects.filter(dealer=dealer, is_active=True).prefetch_related(
            "operations", "package_parts__part"
        ):
            ops = sorted((o for o in package.operations.all() if o.is_active), key=lambda o: o.code)
            items = [(i.part, i.quantity) for i in package.package_parts.all() if i.part.unit_price > 0]
            packages[package.code] = (package, ops, sorted(items, key=lambda i: i[0].number))
        return cls(
            dealer=dealer,
            tz=ZoneInfo(dealer.time_zone),
            operations=operations,
            parts=parts,
            packages=packages,
            advisors=advisors,
            technicians=technicians,
            dispatcher=dispatchers[0],
            specialist=specialists[0],
            cashier=cashiers[0],
            bays={b.code: b for b in Bay.objects.filter(dealer=dealer, is_active=True)},
            open_weekdays=set(dealer.opening_hours.values_list("weekday", flat=True)),
            holidays=set(dealer.holidays.values_list("date", flat=True)),
            on_duty=set(RosterEntry.objects.filter(dealer=dealer).values_list("technician", "date")),
        )

    def model_part(self, kind: str, vehicle: VehicleInfo) -> Part | None:
        """The part of the vehicle's model (oil filter, pads…) or a common one by number."""
        names = {k.key: k.name for k in demo.PART_KINDS}
        if kind in names:
            return self.parts.get(f"{names[kind]} {vehicle.make}{vehicle.model}")
        return self.parts.get(kind)

    def open_day(self, day: dt.date) -> dt.date:
        """The day itself, or the next day the station is open."""
        for _ in range(14):
            if day.weekday() in self.open_weekdays and day not in self.holidays:
                return day
            day += dt.timedelta(days=1)
        return day


@dataclass(slots=True)
class VehicleInfo:
    pk: int
    vin: str
    make: str
    model: str
    variant: str
    sale_date: dt.date | None
    warranty_end: dt.date | None
    owner_id: int
    owner_name: str
    owner_phone: str
    owner_lifecycle: str
    readings: list[tuple[dt.date, int]]  # (read_on, km), ascending

    @property
    def electric(self) -> bool:
        for spec in demo.MODELS:
            if spec.make == self.make and spec.model == self.model:
                return any(v.name == self.variant and v.energy == "D" for v in spec.variants)
        return False


def stations_without_orders(stations: dict[str, Dealer]) -> list[Dealer]:
    """Stations that can take a history: none of their numbers are taken yet."""
    taken = set(RepairOrder.objects.filter(dealer__in=stations.values()).values_list("dealer", flat=True).distinct())
    return [d for d in stations.values() if d.pk not in taken]


def load_vehicles(dealer: Dealer) -> list[VehicleInfo]:
    readings: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for vehicle_id, read_on, km in (
        OdometerReading.objects.filter(vehicle__dealer=dealer)
        .order_by("vehicle", "read_on", "km")
        .values_list("vehicle", "read_on", "km")
        .iterator(chunk_size=20_000)
    ):
        readings[vehicle_id].append((read_on, km))
    rows = (
        Vehicle.objects.filter(dealer=dealer)
        .order_by("pk")
        .values_list(
            "pk",
            "vin",
            "make",
            "model",
            "variant",
            "sale_date",
            "warranty_end",
            "owner",
            "owner__name",
            "owner__phone",
            "owner__lifecycle",
        )
    )
    return [VehicleInfo(*row, readings=readings.get(row[0], [])) for row in rows.iterator(chunk_size=20_000)]


def km_on(vehicle: VehicleInfo, day: dt.date, rate: float) -> int | None:
    """The odometer on a day: between two readings on the line joining them,
    after the last one at the vehicle's rate; None before the first."""
    readings = vehicle.readings
    if not readings or day < readings[0][0]:
        return None
    i = bisect_right(readings, (day, 10**9)) - 1
    read_on, km = readings[i]
    if i + 1 < len(readings):
        next_on, next_km = readings[i + 1]
        share = (day - read_on).days / max(1, (next_on - read_on).days)
        return min(next_km - 1, km + round((next_km - km) * share)) if day != read_on else km
    return km + round((day - read_on).days * rate)


def plan(
    catalogue: StationCatalogue, vehicles: list[VehicleInfo], *, today: dt.date, appointments: bool = True
) -> list[Visit]:
    """Every visit of the station's vehicles in the year before today, with
    its appointments when `appointments`, numbered; deterministic per vehicle."""
    visits: list[Visit] = []
    for vehicle in vehicles:
        mine = _vehicle_visits(catalogue, vehicle, today)
        if appointments:
            _bookings(catalogue, vehicle, mine, today)
        visits.extend(mine)
    _number(catalogue, visits)
    return visits


def _owner_class(vehicle: VehicleInfo) -> str:
    draw = random.Random(f"{demo.SEED}:owner:{vehicle.owner_phone}").random()
    if draw < DORMANT_SHARE:
        return "dormant"
    if draw < DORMANT_SHARE + LOST_SHARE:
        return "lost"
    if draw < DORMANT_SHARE + LOST_SHARE + AWAY_SHARE:
        return "away"
    return "active"


def _vehicle_visits(cat: StationCatalogue, vehicle: VehicleInfo, today: dt.date) -> list[Visit]:
    rng = random.Random(f"{demo.SEED}:history:{vehicle.vin or vehicle.pk}")
    kind = _owner_class(vehicle)
    if kind == "away" or not vehicle.readings:
        return []
    rate = rng.uniform(*KM_PER_MONTH) / float(MONTH_DAYS)  # km a day after the last reading
    first = today - dt.timedelta(days=HISTORY_DAYS)
    last = today - dt.timedelta(days=1)
    if kind == "dormant":
        last = today - dt.timedelta(days=rng.randint(183, 360))
    elif kind == "lost":
        first, last = today - dt.timedelta(days=LOST_DAYS), today - dt.timedelta(days=rng.randint(366, LOST_DAYS))
    start = max(first, vehicle.readings[0][0] + dt.timedelta(days=1))
    if start > last:
        return []
    days: list[tuple[dt.date, str]] = []
    # Maintenance: the first ~3 months after the sale, then every 6 months or
    # 10,000 km, whichever first; the customer comes a little early or late.
    sale = vehicle.sale_date or vehicle.readings[0][0]
    if sale >= first - dt.timedelta(days=90):
        due = sale + dt.timedelta(days=rng.randint(80, 110))
        first_service = True
    else:
        due = first + dt.timedelta(days=rng.randint(0, MAINTENANCE_DAYS))
        first_service = False
    while due <= last:
        day = cat.open_day(due)
        if start <= day <= last:
            days.append((day, "first" if first_service else JobType.MAINTENANCE))
        first_service = False
        km_then = km_on(vehicle, day, rate) or 0
        by_km = day
        step = 30
        while (km_on(vehicle, by_km + dt.timedelta(days=step), rate) or 0) < km_then + MAINTENANCE_KM and (
            by_km - day
        ).days < MAINTENANCE_DAYS:
            by_km += dt.timedelta(days=step)
        due = min(day + dt.timedelta(days=MAINTENANCE_DAYS), by_km + dt.timedelta(days=step))
        due += dt.timedelta(days=rng.randint(-10, 20))
    extra = []
    if rng.random() < REPAIR_CHANCE:
        extra.append(JobType.REPAIR)
        if rng.random() < SECOND_REPAIR_CHANCE / REPAIR_CHANCE:
            extra.append(JobType.REPAIR)
    if rng.random() < BODY_CHANCE:
        extra.append(JobType.BODY_PAINT)
    for job_type in extra:
        day = cat.open_day(start + dt.timedelta(days=rng.randint(0, max(0, (last - start).days))))
        if day <= last and all(abs((day - d).days) > 7 for d, _ in days):
            days.append((day, job_type))
    days.sort()
    visits: list[Visit] = []
    for day, job_type in days:
        visit = _visit(cat, vehicle, rng, day, job_type, rate)
        if visit is None:
            continue
        visits.append(visit)
        comeback_day = cat.open_day(day + dt.timedelta(days=rng.randint(4, 25)))
        if (
            job_type in (JobType.REPAIR, JobType.BODY_PAINT)
            and rng.random() < COMEBACK_CHANCE
            and comeback_day <= last
            and all(abs((comeback_day - d).days) > 3 for d, _ in days)
        ):
            comeback = _comeback(cat, vehicle, rng, comeback_day, visit, rate)
            if comeback:
                visits.append(comeback)
    visits.sort(key=lambda v: v.arrives)
    return visits


def _bookings(cat: StationCatalogue, vehicle: VehicleInfo, visits: list[Visit], today: dt.date) -> None:
    """Appointments behind about half the visits, and the no-shows and
    cancellations of the same customers, from a stream of their own (the
    visits do not change with them)."""
    rng = random.Random(f"{demo.SEED}:appointments:{vehicle.vin or vehicle.pk}")
    taken = {v.arrives.astimezone(cat.tz).date() for v in visits}
    earliest = today - dt.timedelta(days=LOST_DAYS)
    for visit in visits:
        job_type = visit.comeback_of.job_type if visit.comeback_of else visit.job_type
        if rng.random() >= BOOKED_CHANCE.get(job_type, 0.4):
            continue
        visit.appointment = _booking(cat, rng, visit, visit.arrives, shown=True)
        for status, chance in (
            (AppointmentStatus.NO_SHOW, NO_SHOW_CHANCE),
            (AppointmentStatus.CANCELLED, CANCELLED_CHANCE),
        ):
            if rng.random() >= chance:
                continue
            # The missed slot lies some days before the visit that followed.
            day = cat.open_day(visit.arrives.astimezone(cat.tz).date() - dt.timedelta(days=rng.randint(4, 21)))
            if day < earliest or day >= visit.arrives.astimezone(cat.tz).date() or day in taken:
                continue
            taken.add(day)
            slot = dt.datetime.combine(day, dt.time(8, 30), tzinfo=cat.tz) + dt.timedelta(
                minutes=15 * rng.randint(0, 26)
            )
            visit.missed.append(_booking(cat, rng, visit, slot, shown=False, status=status))


def _booking(
    cat: StationCatalogue,
    rng: random.Random,
    visit: Visit,
    arrives: dt.datetime,
    *,
    shown: bool,
    status: str = AppointmentStatus.CONVERTED,
) -> Booking:
    """Booked 1–14 days ahead in opening hours, confirmed the day before (or
    not), then arrived and converted, or a no-show, or cancelled."""
    local = arrives.astimezone(cat.tz)
    slot = local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0)
    booked_on = local.date() - dt.timedelta(days=rng.randint(1, 14))
    booked_at = dt.datetime.combine(booked_on, dt.time(9, 0), tzinfo=cat.tz) + dt.timedelta(minutes=rng.randint(0, 480))
    source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
    events = [("", AppointmentStatus.BOOKED, booked_at)]
    state = AppointmentStatus.BOOKED
    if status == AppointmentStatus.CANCELLED:
        cancelled = booked_at + (slot - booked_at) * rng.uniform(0.2, 0.9)
        events.append((state, status, cancelled))
        return Booking(visit, status, slot, booked_at, source, events)
    if rng.random() < (CONFIRMED_CHANCE if shown else NO_SHOW_CONFIRMED_CHANCE):
        day_before = dt.datetime.combine(local.date() - dt.timedelta(days=1), dt.time(10, 0), tzinfo=cat.tz)
        confirmed = max(day_before + dt.timedelta(minutes=rng.randint(0, 360)), booked_at + dt.timedelta(minutes=30))
        events.append((state, AppointmentStatus.CONFIRMED, min(confirmed, slot - dt.timedelta(hours=1))))
        state = AppointmentStatus.CONFIRMED
    if shown:
        events.append((state, AppointmentStatus.ARRIVED, arrives))
        events.append((AppointmentStatus.ARRIVED, AppointmentStatus.CONVERTED, arrives))
    else:
        grace = dt.timedelta(minutes=cat.dealer.no_show_grace_minutes)
        events.append((state, AppointmentStatus.NO_SHOW, slot + grace))
    return Booking(visit, status, slot, booked_at, source, events)


def _arrival(cat: StationCatalogue, rng: random.Random, day: dt.date) -> dt.datetime:
    minutes = rng.randint(0, 150)  # 08:30–11:00, mostly in the morning rush
    return dt.datetime.combine(day, dt.time(8, 30), tzinfo=cat.tz) + dt.timedelta(minutes=minutes)


def _labour(cat: StationCatalogue, code: str, *, pay_type: str = PayType.CUSTOMER, package_id=None) -> LinePlan | None:
    op = cat.operations.get(code)
    if op is None:
        return None
    return LinePlan(
        LineKind.LABOUR, op, None, op.flat_rate_hours, cat.dealer.labour_rate, pay_type=pay_type, package_id=package_id
    )


def _part(part: Part | None, quantity: str | Decimal, *, pay_type: str = PayType.CUSTOMER, package_id=None):
    if part is None:
        return None
    return LinePlan(
        LineKind.PART, None, part, Decimal(quantity), part.unit_price, pay_type=pay_type, package_id=package_id
    )


def _maintenance_lines(cat: StationCatalogue, vehicle: VehicleInfo, km: int, first: bool, day: dt.date):
    if vehicle.electric:
        lines = [_labour(cat, "M011"), _labour(cat, "M003"), _part(cat.model_part("cabin_filter", vehicle), "1")]
        if km >= 40_000:
            lines += [_labour(cat, "M005"), _part(cat.parts.get("B000750M3"), "1")]
        return [x for x in lines if x]
    tens = max(1, round(km / 10_000))
    code = (
        "PK01"
        if first
        else "PK06"
        if tens % 6 == 0
        else "PK05"
        if tens % 4 == 0
        else "PK03"
        if tens % 2 == 0
        else "PK04"
        if tens % 3 == 0
        else "PK02"
    )
    package = cat.packages.get(code) or cat.packages.get("PK02")
    if package is None:
        return [x for x in (_labour(cat, "M001"), _labour(cat, "M011")) if x]
    pkg, ops, items = package
    lines = [_labour(cat, op.code, package_id=pkg.pk) for op in ops]
    lines += [_part(part, qty, package_id=pkg.pk) for part, qty in items]
    # The model's own filters and plugs, as the package description says.
    codes = {op.code for op in ops}
    for op_code, kind, qty in (
        ("M001", "oil_filter", "1"),
        ("M002", "air_filter", "1"),
        ("M003", "cabin_filter", "1"),
        ("M004", "spark_plug", "4"),
    ):
        if op_code in codes:
            lines.append(_part(cat.model_part(kind, vehicle), qty, package_id=pkg.pk))
    if day.month in (11, 12) and "PK08" in cat.packages:
        pkg, ops, items = cat.packages["PK08"]
        lines += [_labour(cat, op.code, package_id=pkg.pk) for op in ops]
        lines += [_part(part, qty, package_id=pkg.pk) for part, qty in items]
    return [x for x in lines if x]


def _visit(cat, vehicle: VehicleInfo, rng: random.Random, day: dt.date, job_type: str, rate: float) -> Visit | None:
    km = km_on(vehicle, day, rate)
    if km is None:
        return None
    first = job_type == "first"
    job_type = JobType.MAINTENANCE if first else job_type
    under_warranty = vehicle.warranty_end is not None and day <= vehicle.warranty_end
    if job_type == JobType.MAINTENANCE:
        lines = _maintenance_lines(cat, vehicle, km, first, day)
        purpose = "首保" if first else PURPOSES[JobType.MAINTENANCE]
    elif job_type == JobType.REPAIR:
        code = rng.choices(list(REPAIRS), weights=REPAIR_WEIGHTS)[0]
        pay = (
            PayType.WARRANTY if under_warranty and code in WARRANTY_REPAIRS and rng.random() < 0.7 else PayType.CUSTOMER
        )
        lines = [_labour(cat, code, pay_type=pay)]
        lines += [_part(cat.model_part(kind, vehicle), qty, pay_type=pay) for kind, qty in REPAIRS[code]]
        purpose = rng.choice(PURPOSES[JobType.REPAIR])
    else:
        code = rng.choice(list(BODY_JOBS))
        lines = [_labour(cat, code)] + [_part(cat.parts.get(n), qty) for n, qty in BODY_JOBS[code]]
        purpose = rng.choice(PURPOSES[JobType.BODY_PAINT])
    lines = [x for x in lines if x]
    if not any(x.kind == LineKind.LABOUR for x in lines):
        return None
    visit = Visit(
        station=cat,
        vehicle_id=vehicle.pk,
        customer_id=vehicle.owner_id,
        customer_name=vehicle.owner_name,
        job_type=job_type,
        arrives=_arrival(cat, rng, day),
        km=km,
        lines=lines,
        purpose=purpose,
    )
    if (vehicle.owner_lifecycle in CLUB and rng.random() < DISCOUNT_CHANCE * 3) or rng.random() < DISCOUNT_CHANCE:
        for line in lines:
            if line.kind == LineKind.LABOUR and line.pay_type == PayType.CUSTOMER:
                line.discount = Decimal("5")
        visit.discount_reason = "会员工时九五折"
    if rng.random() < FINDING_CHANCE:
        code, parts, urgency, text = rng.choice(RECOMMENDATIONS)
        found = [_labour(cat, code)] + [_part(cat.model_part(kind, vehicle), qty) for kind, qty in parts]
        if all(found):
            visit.finding = (found, urgency, text, rng.randint(30, 150), rng.randint(2_000, 8_000))
    _times(visit, rng)
    return visit


def _comeback(cat, vehicle: VehicleInfo, rng: random.Random, day: dt.date, original: Visit, rate: float):
    km = km_on(vehicle, day, rate)
    if km is None:
        return None
    cause = rng.choices(ComebackCause.values, weights=(50, 30, 20))[0]
    pay = PayType.CUSTOMER if cause == ComebackCause.CUSTOMER else PayType.INTERNAL
    labour = next(x for x in original.lines if x.kind == LineKind.LABOUR)
    lines = [_labour(cat, labour.operation.code, pay_type=pay)]
    visit = Visit(
        station=cat,
        vehicle_id=vehicle.pk,
        customer_id=vehicle.owner_id,
        customer_name=vehicle.owner_name,
        job_type=original.job_type,
        arrives=_arrival(cat, rng, day),
        km=max(km, original.km + 1),
        lines=lines,
        purpose=f"返修：{original.purpose}，问题又出现了",
        comeback_of=original,
        comeback_cause=cause,
    )
    _times(visit, rng)
    return visit


def _times(visit: Visit, rng: random.Random) -> None:
    """The visit's day, from arrival to the callback, in the station's zone."""
    cat = visit.station
    t = visit.times
    t["arrives"] = visit.arrives
    t["consent"] = visit.arrives + dt.timedelta(minutes=rng.randint(10, 30))
    hours = sum((x.quantity for x in visit.lines if x.kind == LineKind.LABOUR), ZERO)
    t["promised"] = _round_quarter(t["consent"] + dt.timedelta(hours=float(hours) + 1.5))
    grade = max(x.operation.required_skill_grade for x in visit.lines if x.kind == LineKind.LABOUR)
    able = [s for s in cat.technicians if s.skill_grade >= grade] or cat.technicians
    # Whoever is on the roster that day (the dashboard counts duty days only).
    day = visit.arrives.astimezone(cat.tz).date()
    able = [s for s in able if (s.pk, day) in cat.on_duty] or able
    visit.technician = rng.choice(able)
    visit.advisor = rng.choice(cat.advisors)
    clock = t["consent"] + dt.timedelta(minutes=rng.randint(10, 50))
    t["assigned"] = clock - dt.timedelta(minutes=5)
    for line in visit.lines:
        if line.kind != LineKind.LABOUR:
            continue
        clocked = float(line.quantity) * rng.uniform(0.8, 1.2) * 60
        started = clock
        clock = started + dt.timedelta(minutes=max(3, round(clocked)))
        visit.job_times.append((started, clock))
        clock += dt.timedelta(minutes=rng.randint(1, 8))
    t["finished"] = visit.job_times[-1][1]
    t["checked"] = t["finished"] + dt.timedelta(minutes=rng.randint(10, 25))
    t["washed"] = t["checked"] + dt.timedelta(minutes=rng.randint(15, 30))
    delivered = t["washed"] + dt.timedelta(minutes=rng.randint(5, 90))
    local = delivered.astimezone(cat.tz)
    if local.time() > dt.time(17, 45):  # collected the next opening day
        day = cat.open_day(local.date() + dt.timedelta(days=1))
        delivered = dt.datetime.combine(day, dt.time(9, 0), tzinfo=cat.tz) + dt.timedelta(minutes=rng.randint(0, 90))
    t["explained"] = delivered - dt.timedelta(minutes=rng.randint(5, 15))
    t["issued"] = t["explained"] + dt.timedelta(minutes=rng.randint(1, 4))
    t["paid"] = t["issued"] + dt.timedelta(minutes=rng.randint(1, 3))
    t["delivered"] = delivered
    day = cat.open_day((delivered + dt.timedelta(days=rng.randint(1, 5))).astimezone(cat.tz).date())
    called = dt.datetime.combine(day, dt.time(10, 0), tzinfo=cat.tz) + dt.timedelta(minutes=rng.randint(0, 420))
    visit.attempts = rng.choices((1, 2, 3), weights=(75, 18, 7))[0]
    t["called"] = called
    t["callback_done"] = called + dt.timedelta(hours=5 * (visit.attempts - 1))
    dissatisfied = rng.random() < DISSATISFIED_CHANCE
    if dissatisfied:
        visit.survey = (*(rng.choice((1, 2, 2, 3, 4)) for _ in range(4)), 2)
    else:
        visit.survey = tuple(rng.choices((5, 4, 3), weights=(65, 30, 5))[0] for _ in range(5))
    visit.split_payment = rng.random() < 0.08
    visit.payment_method = rng.choices([m for m, _ in PAYMENTS], weights=[w for _, w in PAYMENTS])[0]


def _round_quarter(moment: dt.datetime) -> dt.datetime:
    minutes = (moment.minute // 15 + 1) * 15
    return moment.replace(minute=0, second=0, microsecond=0) + dt.timedelta(minutes=minutes)


def _number(cat: StationCatalogue, visits: list[Visit]) -> None:
    """RYYYY-NNNNN by arrival and IYYYY-NNNNN by issue time, per station and
    year (the station's year), without gaps: the live numbering (max + 1)
    continues from here."""
    for attr, moment, letter in (("number", "arrives", "R"), ("invoice_number", "issued", "I")):
        seq: Counter[int] = Counter()
        for visit in sorted(visits, key=lambda v: (v.times[moment], v.vehicle_id)):
            year = visit.times[moment].astimezone(cat.tz).year
            seq[year] += 1
            setattr(visit, attr, f"{letter}{year}-{seq[year]:05d}")
    # Appointments: YYYY-NNNNN by the booked arrival, as the booking service
    # numbers them (appointments.services._next_number), so the live ones,
    # all arriving later, continue the current year's sequence.
    bookings = [b for v in visits for b in ([v.appointment] if v.appointment else []) + v.missed]
    seq = Counter()
    for booking in sorted(bookings, key=lambda b: (b.arrives_at, b.visit.vehicle_id, b.status)):
        year = booking.arrives_at.astimezone(cat.tz).year
        seq[year] += 1
        booking.number = f"Y{year}-{seq[year]:05d}"


# --- writing -------------------------------------------------------------------


@contextmanager
def historic_timestamps(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk_create keep the creation times we give (auto_now_add would
    stamp every history row with today)."""
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


def fast_insert(model: type[models.Model], objs: list[models.Model], *, batch_size: int = 5_000) -> int:
    """INSERT the rows of `objs` with one executemany per batch, for tables
    whose new primary keys nobody needs back. bulk_create spends most of its
    time compiling each value through the field machinery; here each column
    gets one converter, picked once. Foreign keys must already be saved."""
    if not objs:
        return 0
    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]

    def converter(f: models.Field):
        if isinstance(f, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(f, models.DecimalField):
            return lambda value, f=f: ops.adapt_decimalfield_value(value, f.max_digits, f.decimal_places)
        if isinstance(f, models.JSONField):
            return lambda value, f=f: f.get_db_prep_value(value, connection)
        return None

    columns = [(f.attname, converter(f)) for f in fields]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        tuple(
            (None if value is None else convert(value)) if convert else value
            for attname, convert in columns
            for value in (getattr(obj, attname),)
        )
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start : start + batch_size])
    return len(rows)


def seed_history(*, stations: dict[str, Dealer], now: dt.datetime) -> Counter[str]:
    """The year before `now` for every station that has no repair order yet;
    returns how many rows of each kind were added."""
    created: Counter[str] = Counter()
    all_visits: list[Visit] = []
    for dealer in stations_without_orders(stations):
        catalogue = StationCatalogue.load(dealer)
        if catalogue is None:
            continue
        today = now.astimezone(catalogue.tz).date()
        # Appointment numbers taken already (booked without a history): leave them be.
        booked = not Appointment.objects.filter(dealer=dealer).exists()
        all_visits.extend(plan(catalogue, load_vehicles(dealer), today=today, appointments=booked))
    all_visits.sort(key=lambda v: (v.arrives, v.vehicle_id))
    stamps = [
        RepairOrder._meta.get_field("created_at"),
        EstimateLine._meta.get_field("created_at"),
        OdometerReading._meta.get_field("created_at"),
        QualityCheck._meta.get_field("created_at"),
        ContactTask._meta.get_field("created_at"),
        Appointment._meta.get_field("created_at"),
    ]
    order_type = ContentType.objects.get_for_model(RepairOrder)
    with historic_timestamps(*stamps):
        for start in range(0, len(all_visits), CHUNK):
            with transaction.atomic():
                write(all_visits[start : start + CHUNK], now=now, order_type=order_type, created=created)
    return created


def write(visits: list[Visit], *, now: dt.datetime, order_type: ContentType, created: Counter[str]) -> None:
    """One chunk of visits, in dependency order, with bulk_create."""
    for visit in visits:
        # Callbacks still ahead of `now` are the sweep's to make: the RO stays delivered.
        visit.closed = visit.times["callback_done"] <= now and visit.times["called"] <= now
    bookings = [b for v in visits for b in ([v.appointment] if v.appointment else []) + v.missed]
    appointments = [_appointment(b) for b in bookings]
    Appointment.objects.bulk_create(appointments, batch_size=1_000)
    for booking, row in zip(bookings, appointments, strict=True):
        booking.row = row
    appointment_lines = [line for b in bookings for line in _appointment_lines(b)]
    fast_insert(AppointmentLine, appointment_lines, batch_size=2_000)
    appointment_events = [
        AppointmentEvent(appointment=b.row, from_status=a, to_status=z, at=at, by=b.visit.advisor.user)
        for b in bookings
        for a, z, at in b.events
    ]
    fast_insert(AppointmentEvent, appointment_events, batch_size=2_000)
    # Comebacks after the rest: their original may be in this chunk.
    for group in ([v for v in visits if not v.comeback_of], [v for v in visits if v.comeback_of]):
        group_orders = [_order(v) for v in group]
        RepairOrder.objects.bulk_create(group_orders, batch_size=1_000)
        for visit, order in zip(group, group_orders, strict=True):
            visit.ro = order
    orders = [v.ro for v in visits]
    readings = [
        OdometerReading(
            vehicle_id=v.vehicle_id,
            km=v.km,
            read_on=v.arrives.astimezone(v.station.tz).date(),
            source=OdometerSource.RECEPTION,
            recorded_by=v.advisor.user,
            created_at=v.arrives,
        )
        for v in visits
    ]
    OdometerReading.objects.bulk_create(readings, batch_size=1_000)
    fast_insert(
        WalkAround,
        [
            WalkAround(
                repair_order=v.ro,
                odometer=reading,
                fuel_eighths=(v.km * 7) % 8 + 1,
                checks={"lights": "ok", "wipers": "ok", "horn": "ok"},
                valuables_reminded=True,
                protective_kit=True,
                done_at=v.arrives + dt.timedelta(minutes=5),
                done_by=v.advisor,
            )
            for v, reading in zip(visits, readings, strict=True)
        ],
        batch_size=1_000,
    )
    lines = []
    for v in visits:
        for position, plan_line in enumerate(v.lines):
            plan_line.row = _estimate_line(v, plan_line, position)
            lines.append(plan_line.row)
    EstimateLine.objects.bulk_create(lines, batch_size=1_000)
    consents = [_consent(v) for v in visits]
    ConsentRecord.objects.bulk_create(consents, batch_size=500)
    jobs, pairs = [], []
    for v in visits:
        labour = [x for x in v.lines if x.kind == LineKind.LABOUR]
        for line, (started, finished) in zip(labour, v.job_times, strict=True):
            job = _job(v, line, finished)
            v.first_job = v.first_job or job
            jobs.append(job)
            pairs.append((v, job, started, finished))
    Job.objects.bulk_create(jobs, batch_size=1_000)
    clock = []
    for v, job, started, finished in pairs:
        for kind, at in ((ClockKind.START, started), (ClockKind.FINISH, finished)):
            clock.append(ClockEvent(job=job, technician=v.technician, kind=kind, at=at, pressed_by=v.technician))
    fast_insert(ClockEvent, clock, batch_size=2_000)
    fast_insert(QualityCheck, [_quality_check(v) for v in visits], batch_size=1_000)
    fast_insert(Delivery, [_delivery(v) for v in visits], batch_size=1_000)
    events = [e for v in visits for e in _events(v)]
    fast_insert(RepairOrderEvent, events, batch_size=2_000)
    found = [(v, _finding(v)) for v in visits if v.finding]
    Finding.objects.bulk_create([f for _, f in found], batch_size=1_000)
    finding_lines = [fl for v, f in found for fl in _finding_lines(v, f)]
    fast_insert(FindingLine, finding_lines, batch_size=1_000)
    invoices = [_invoice(v, consent) for v, consent in zip(visits, consents, strict=True)]
    Invoice.objects.bulk_create(invoices, batch_size=1_000)
    invoice_lines = [il for v, inv in zip(visits, invoices, strict=True) for il in _invoice_lines(v, inv)]
    fast_insert(InvoiceLine, invoice_lines, batch_size=2_000)
    payments = [p for v, inv in zip(visits, invoices, strict=True) for p in _payments(v, inv)]
    fast_insert(PaymentRow, payments, batch_size=2_000)
    called = [v for v in visits if v.closed]
    tasks = [_callback(v, order_type) for v in called]
    ContactTask.objects.bulk_create(tasks, batch_size=1_000)
    attempts = [a for v, task in zip(called, tasks, strict=True) for a in _attempts(v, task)]
    fast_insert(ContactAttempt, attempts, batch_size=2_000)
    surveys = [_survey(v, task) for v, task in zip(called, tasks, strict=True)]
    fast_insert(Survey, surveys, batch_size=1_000)
    created.update(
        {
            "repair orders": len(orders),
            "odometer readings": len(readings),
            "history estimate lines": len(lines),
            "history jobs": len(jobs),
            "history clock events": len(clock),
            "history declined findings": len(found),
            "invoices": len(invoices),
            "payments": len(payments),
            "callbacks": len(tasks),
            "surveys": len(surveys),
            "history events": len(events),
            "appointments": len(appointments),
            "history appointment events": len(appointment_events),
        }
    )


def _appointment(b: Booking) -> Appointment:
    v = b.visit
    labour = [x for x in v.lines if x.kind == LineKind.LABOUR]
    hours = sum((x.quantity for x in labour), ZERO)
    ready_at = v.times["promised"] if b.status == AppointmentStatus.CONVERTED else None
    return Appointment(
        dealer=v.station.dealer,
        number=b.number,
        customer_id=v.customer_id,
        vehicle_id=v.vehicle_id,
        advisor=v.advisor,
        job_type=v.job_type,
        arrives_at=b.arrives_at,
        hours=hours,
        skill_grade=max(x.operation.required_skill_grade for x in labour),
        ready_at=ready_at or _round_quarter(b.arrives_at + dt.timedelta(hours=float(hours) + 1.5)),
        labour_price=sum((pricing.line_amount(x.quantity, x.unit_price) for x in labour), ZERO),
        parts_price=sum(
            (pricing.line_amount(x.quantity, x.unit_price) for x in v.lines if x.kind == LineKind.PART), ZERO
        ),
        request=v.purpose,
        source=b.source,
        status=b.status,
        created_by=v.advisor.user,
        created_at=b.booked_at,
    )


def _appointment_lines(b: Booking) -> list[AppointmentLine]:
    """What was asked for: each package once, the other labour operations one by one."""
    packages: dict[int, list[LinePlan]] = defaultdict(list)
    rows = []
    for x in b.visit.lines:
        if x.package_id:
            packages[x.package_id].append(x)
        elif x.kind == LineKind.LABOUR:
            rows.append(
                AppointmentLine(
                    appointment=b.row,
                    operation=x.operation,
                    description=x.operation.name[:120],
                    hours=x.quantity,
                    labour_price=pricing.line_amount(x.quantity, x.unit_price),
                )
            )
    names = {pkg.pk: pkg.name for pkg, _, _ in b.visit.station.packages.values()}
    for package_id, lines in packages.items():
        labour = [x for x in lines if x.kind == LineKind.LABOUR]
        rows.append(
            AppointmentLine(
                appointment=b.row,
                package_id=package_id,
                description=names.get(package_id, "")[:120],
                hours=sum((x.quantity for x in labour), ZERO),
                labour_price=sum((pricing.line_amount(x.quantity, x.unit_price) for x in labour), ZERO),
                parts_price=sum(
                    (pricing.line_amount(x.quantity, x.unit_price) for x in lines if x.kind == LineKind.PART), ZERO
                ),
            )
        )
    return rows


def _order(v: Visit) -> RepairOrder:
    return RepairOrder(
        dealer=v.station.dealer,
        number=v.number,
        appointment=v.appointment.row if v.appointment else None,
        customer_id=v.customer_id,
        vehicle_id=v.vehicle_id,
        advisor=v.advisor,
        job_type=v.job_type,
        purpose=v.purpose,
        keys_received_at=v.arrives,
        keys_returned_at=v.times["delivered"],
        payment_method=v.payment_method,
        comeback_of=v.comeback_of.ro if v.comeback_of else None,
        comeback_cause=v.comeback_cause,
        promised_at=v.times["promised"],
        discount_reason=v.discount_reason,
        status=ROStatus.CLOSED if v.closed else ROStatus.DELIVERED,
        created_by=v.advisor.user,
        created_at=v.arrives,
    )


def _estimate_line(v: Visit, x: LinePlan, position: int) -> EstimateLine:
    return EstimateLine(
        repair_order=v.ro,
        kind=x.kind,
        operation=x.operation,
        part=x.part,
        package_id=x.package_id,
        description=(x.operation.name if x.operation else x.part.name)[:160],
        part_number=x.part.number if x.part else "",
        quantity=x.quantity,
        unit_price=x.unit_price,
        discount_percent=x.discount,
        amount=pricing.line_amount(x.quantity, x.unit_price, x.discount),
        pay_type=x.pay_type,
        position=position,
        created_at=v.arrives,
    )


def _consent(v: Visit) -> ConsentRecord:
    ro = v.ro
    ro.dealer = v.station.dealer  # agreed_snapshot reads the VAT rate from it
    rows = [x.row for x in v.lines]
    return ConsentRecord(
        repair_order=ro,
        method=ConsentMethod.PRINTED,
        signed_by_name=v.customer_name[:60],
        agreed=agreed_snapshot(ro, rows),
        total=pricing.totals(rows, v.station.dealer.vat_rate, customer_only=True).total,
        promised_at=v.times["promised"],
        recorded_by=v.advisor.user,
        recorded_at=v.times["consent"],
    )


def _bay(v: Visit, line: LinePlan) -> Bay | None:
    bays = v.station.bays
    if v.job_type == JobType.BODY_PAINT:
        return bays.get("P01")
    if line.operation.code == "M009":
        return bays.get("D01")
    quick = v.job_type == JobType.MAINTENANCE and sum(x.quantity for x in v.lines if x.kind == LineKind.LABOUR) <= 1
    code = ("K01", "K02")[v.vehicle_id % 2] if quick else f"A0{v.vehicle_id % 4 + 1}"
    return bays.get(code)


def _job(v: Visit, line: LinePlan, finished: dt.datetime) -> Job:
    return Job(
        dealer=v.station.dealer,
        repair_order=v.ro,
        estimate_line=line.row,
        technician=v.technician,
        bay=_bay(v, line),
        status=JobStatus.DONE,
        flat_rate_hours=line.quantity,
        required_grade=line.operation.required_skill_grade,
        assigned_at=v.times["assigned"],
        assigned_by=v.station.dispatcher.user,
        finished_at=finished,
        cause_found="按保养手册检查" if v.job_type == JobType.MAINTENANCE else "按故障现象检查确认",
        work_done="已按项目完成",
        result="正常",
        version=3,
    )


def _quality_check(v: Visit) -> QualityCheck:
    return QualityCheck(
        dealer=v.station.dealer,
        repair_order=v.ro,
        round=1,
        checked_by=v.station.dispatcher,
        signed_off_by=v.station.dispatcher,
        signed_off_at=v.times["checked"],
        passed=True,
        washed_at=v.times["washed"],
        created_at=v.times["finished"],
    )


def _delivery(v: Visit) -> Delivery:
    parts = any(x.kind == LineKind.PART for x in v.lines)
    return Delivery(
        repair_order=v.ro,
        work_explained=True,
        invoice_explained=True,
        recommendations_explained=bool(v.finding),
        old_parts=(OldParts.DISPOSED if v.vehicle_id % 3 else OldParts.RETURNED) if parts else OldParts.NONE,
        parking_spot=f"P{v.vehicle_id % 40 + 1:02d}",
        explained_by=v.advisor,
        explained_at=v.times["explained"],
        delivered_at=v.times["delivered"],
    )


def _events(v: Visit) -> list[RepairOrderEvent]:
    t, by = v.times, v.advisor.user
    chain = [
        (ROStatus.DRAFT, ROStatus.OPEN, t["consent"], by),
        (ROStatus.OPEN, ROStatus.IN_PROGRESS, v.job_times[0][0], v.technician.user),
        (ROStatus.IN_PROGRESS, ROStatus.QUALITY_CHECK, t["finished"], v.technician.user),
        (ROStatus.QUALITY_CHECK, ROStatus.READY, t["washed"], v.station.dispatcher.user),
        (ROStatus.READY, ROStatus.DELIVERED, t["delivered"], by),
    ]
    if v.closed:
        chain.append((ROStatus.DELIVERED, ROStatus.CLOSED, t["callback_done"], v.station.specialist.user))
    return [RepairOrderEvent(repair_order=v.ro, from_status=a, to_status=b, at=at, by=who) for a, b, at, who in chain]


def _finding(v: Visit) -> Finding:
    _, urgency, text, _, _ = v.finding
    job = v.first_job
    return Finding(
        dealer=v.station.dealer,
        repair_order=v.ro,
        job=job,
        description=text,
        urgency=urgency,
        found_by=v.technician,
        found_at=v.job_times[0][0] + dt.timedelta(minutes=20),
    )


def _finding_lines(v: Visit, finding: Finding) -> list[FindingLine]:
    found, _, _, days, km = v.finding
    decided = finding.found_at + dt.timedelta(minutes=30)
    day = v.times["delivered"].astimezone(v.station.tz).date()
    return [
        FindingLine(
            finding=finding,
            kind=x.kind,
            operation=x.operation,
            part=x.part,
            description=(x.operation.name if x.operation else x.part.name)[:160],
            quantity=x.quantity,
            unit_price=x.unit_price,
            amount=pricing.line_amount(x.quantity, x.unit_price),
            decision=Decision.DECLINED,
            decided_via=DecisionVia.IN_PERSON,
            decided_at=decided,
            decision_note="客户表示下次再做",
            recommend_by_date=day + dt.timedelta(days=days),
            recommend_by_km=v.km + km,
        )
        for x in found
    ]


def _invoice(v: Visit, consent: ConsentRecord) -> Invoice:
    rows = [x.row for x in v.lines]
    vat_rate = v.station.dealer.vat_rate
    every, customer = pricing.totals(rows, vat_rate), pricing.totals(rows, vat_rate, customer_only=True)
    return Invoice(
        dealer=v.station.dealer,
        number=v.invoice_number,
        repair_order=v.ro,
        consent=consent,
        status=InvoiceStatus.PAID,
        labour=every.labour,
        parts=every.parts,
        net=every.net,
        vat=every.vat,
        total=every.total,
        customer_total=customer.total,
        amount_due=customer.total,
        issued_by=v.station.cashier.user,
        issued_at=v.times["issued"],
        paid_at=v.times["paid"],
    )


def _invoice_lines(v: Visit, invoice: Invoice) -> list[InvoiceLine]:
    vat_rate = v.station.dealer.vat_rate
    return [
        InvoiceLine(
            invoice=invoice,
            estimate_line=x.row,
            kind=x.kind,
            description=x.row.description,
            part_number=x.row.part_number,
            quantity=x.quantity,
            unit_price=x.unit_price,
            discount_percent=x.discount,
            amount=x.row.amount,
            vat=pricing.line_vat(x.row.amount, vat_rate),
            pay_type=x.pay_type,
            position=x.row.position,
        )
        for x in v.lines
    ]


def _payments(v: Visit, invoice: Invoice) -> list[PaymentRow]:
    due = invoice.amount_due
    if due <= 0:
        return []
    cashier = v.station.cashier.user
    if v.split_payment and due >= Decimal("1000"):
        first = pricing.round_money(due * Decimal("0.5"))
        return [
            PaymentRow(
                invoice=invoice,
                method=PaymentMethod.CARD,
                amount=first,
                received_by=cashier,
                received_at=v.times["paid"],
            ),
            PaymentRow(
                invoice=invoice,
                method=v.payment_method,
                amount=due - first,
                received_by=cashier,
                received_at=v.times["paid"],
            ),
        ]
    return [
        PaymentRow(
            invoice=invoice, method=v.payment_method, amount=due, received_by=cashier, received_at=v.times["paid"]
        )
    ]


def _callback(v: Visit, order_type: ContentType) -> ContactTask:
    delivered = v.times["delivered"]
    unhappy = v.survey[-1] <= 2
    return ContactTask(
        kind=Kind.CALLBACK,
        dealer=v.station.dealer,
        customer_id=v.customer_id,
        vehicle_id=v.vehicle_id,
        source_type=order_type,
        source_id=v.ro.pk,
        due_from=delivered,
        due_until=delivered + dt.timedelta(days=v.station.dealer.callback_days),
        role=Role.SPECIALIST,
        channel=Channel.PHONE,
        status=TaskStatus.DONE,
        outcome=Outcome.DISSATISFIED if unhappy else Outcome.SATISFIED,
        dedupe_key=dedupe_key(Kind.CALLBACK, v.ro.pk, delivered),
        closed_at=v.times["callback_done"],
        created_at=delivered,
    )


def _attempts(v: Visit, task: ContactTask) -> list[ContactAttempt]:
    by = v.station.specialist.user
    rows = [
        ContactAttempt(
            task=task,
            at=v.times["called"] + dt.timedelta(hours=5 * n),
            by=by,
            channel=Channel.PHONE,
            outcome=Outcome.UNREACHABLE,
        )
        for n in range(v.attempts - 1)
    ]
    rows.append(
        ContactAttempt(task=task, at=v.times["callback_done"], by=by, channel=Channel.PHONE, outcome=task.outcome)
    )
    return rows


def _survey(v: Visit, task: ContactTask) -> Survey:
    reception, quality, on_time, price, overall = v.survey
    unhappy = overall <= 2
    comments = COMMENTS_BAD if unhappy else COMMENTS_GOOD
    return Survey(
        task=task,
        repair_order=v.ro,
        reception=reception,
        repair_quality=quality,
        on_time=on_time,
        price_explained=price,
        overall=overall,
        dissatisfied=unhappy,
        comment=comments[v.vehicle_id % len(comments)],
        recorded_by=v.station.specialist.user,
        recorded_at=v.times["callback_done"],
    )
