"""`manage.py seed_demo [--scale N]`: load the demo data.

Two stations with their staff, bays, duty roster and catalogues, then about
1,000 × N customers with 1,200 × N vehicles. Safe to re-run: master data is
matched on its natural keys, and customers and vehicles are generated in a
fixed order (dealer_service.demo), so a re-run creates only the rows whose
phone or VIN is not there yet — nothing on a second run, the difference when
the scale goes up.

The bulk writes skip full_clean() on purpose: at scale 100 that would be
hundreds of thousands of validator calls and queries; the tests validate
every generated value instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from appointments import capacity, services
from appointments.models import Appointment
from complaints.demo import seed_complaints
from complaints.models import Complaint
from customers.models import Customer, OdometerReading, Ownership, Vehicle
from dealer_service import demo, demo_history
from dealers.models import (
    Bay,
    Dealer,
    Holiday,
    LabourOperation,
    OpeningHours,
    PackagePart,
    Part,
    RosterEntry,
    ServicePackage,
    StaffMember,
    StaffRole,
)
from followup.models import ContactTask, Kind, Survey
from reception import estimates
from reception import services as reception_services
from reception.models import Invoice, Payment, RepairOrder, ROStatus
from workshop import dispatch, quality
from workshop.clock import job_finish, job_start
from workshop.dispatch import job_assign
from workshop.jobs import jobs_sync
from workshop.models import Job

BATCH_SIZE = 2_000
# The states of the history's repair orders (dealer_service.demo_history).
HISTORY_STATES = (ROStatus.DELIVERED, ROStatus.CLOSED)
# Apps whose master data a service manager edits in the admin.
MANAGER_APPS = ("dealers", "customers")


class Command(BaseCommand):
    help = "Load the demo stations, staff, catalogues, customers and vehicles (safe to re-run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Multiply customers and vehicles: 1 ≈ 1,000 customers and 1,200 vehicles, 100 ≈ 100,000 and 120,000.",
        )
        parser.add_argument(
            "--without-appointments",
            action="store_true",
            help="Leave out the week of demo appointments (quicker).",
        )
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="Leave out the year of delivered repair orders, invoices and callbacks (quicker).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds a station (what `make run` uses).",
        )

    def handle(
        self,
        *args,
        scale: int,
        if_empty: bool = False,
        without_appointments: bool = False,
        without_history: bool = False,
        **options,
    ) -> None:
        if scale < 1:
            raise CommandError("--scale must be 1 or more.")
        if if_empty and Dealer.objects.exists():
            self.stdout.write("The database already holds stations: demo data not loaded.")
            return
        started = time.monotonic()
        created = seed(
            scale=scale,
            today=timezone.localdate(),
            appointments=not without_appointments,
            history=not without_history,
        )
        if connection.vendor == "postgresql":
            # Fresh statistics after the bulk load: without them the planner
            # takes the new tables for empty and the first sweeps crawl.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(summary(created))
        self.stdout.write("")
        self.stdout.write(logins_table())
        self.stdout.write("")
        self.stdout.write(f"seed_demo --scale {scale} done in {time.monotonic() - started:.1f} s")


def seed(*, scale: int, today: dt.date, appointments: bool = True, history: bool = True) -> Counter[str]:
    """Everything, in dependency order; returns how many rows of each kind are new.

    The history comes before the cars in the workshop: it takes the repair
    order numbers of the past year, and the workshop's open orders continue
    the station's numbering from there."""
    data = demo.DemoData()
    created: Counter[str] = Counter()
    with transaction.atomic():
        stations = seed_stations(created=created)
        seed_staff(stations=stations, created=created)
        # With the history, the roster goes back as far as its visits do:
        # the dashboard's productivity and proficiency need both periods.
        back = demo_history.LOST_DAYS if history else demo.ROSTER_DAYS_BACK
        created["roster entries"] += seed_roster(today=today, days_back=back)
        seed_catalogue(stations=stations, data=data, created=created)
    seed_customers(stations=stations, data=data, count=scale * demo.CUSTOMERS_PER_SCALE, created=created)
    if history:
        created.update(demo_history.seed_history(stations=stations, now=timezone.now()))
        # Complaints about visits of the past year, through the complaints' own services.
        created.update(seed_complaints(stations=stations, now=timezone.now()))
    if appointments:
        created["appointments"] += seed_appointments(stations=stations, now=timezone.now())
        created["repair orders"] += seed_workshop(stations=stations, now=timezone.now())
    return created


def _upsert(model: type[models.Model], rows: Sequence[models.Model], *, unique: list[str], update: list[str]) -> int:
    """Insert the missing rows and bring the others up to date on their
    natural key; returns how many were new."""
    before = model.objects.count()
    model.objects.bulk_create(
        rows, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=unique, update_fields=update
    )
    return model.objects.count() - before


# -- stations and staff --------------------------------------------------------


def seed_stations(*, created: Counter[str]) -> dict[str, Dealer]:
    stations: dict[str, Dealer] = {}
    for spec in demo.STATIONS:
        dealer, new = Dealer.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "address": spec.address,
                "phone": spec.phone,
                "time_zone": "Asia/Shanghai",
                "currency": "CNY",
                "vat_rate": Decimal("0.1300"),
                "labour_rate": spec.labour_rate,
                "is_active": True,
            },
        )
        created["stations"] += new
        hours = [OpeningHours(dealer=dealer, weekday=w, opens=o, closes=c) for w, (o, c) in demo.OPENING_HOURS.items()]
        _upsert(OpeningHours, hours, unique=["dealer", "weekday"], update=["opens", "closes"])
        holidays = [Holiday(dealer=dealer, date=day, name=name) for day, name in demo.HOLIDAYS]
        created["holidays"] += _upsert(Holiday, holidays, unique=["dealer", "date"], update=["name"])
        bays = [Bay(dealer=dealer, code=code, name=name, bay_type=kind) for code, name, kind in demo.BAYS]
        created["bays"] += _upsert(Bay, bays, unique=["dealer", "code"], update=["name", "bay_type"])
        stations[spec.code] = dealer
    return stations


def seed_staff(*, stations: dict[str, Dealer], created: Counter[str]) -> None:
    """One login per role per station, more technicians, the group manager and
    the superuser. A re-run resets the demo passwords."""
    User = get_user_model()
    # Hashing is slow by design: once per password, not once per user.
    demo_hash = make_password(demo.DEMO_PASSWORD)
    manager_permissions = list(Permission.objects.filter(content_type__app_label__in=MANAGER_APPS))
    for spec in demo.staff_specs():
        user, new = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "password": demo_hash,
                "last_name": spec.display_name[0],
                "first_name": spec.display_name[1:],
                "is_staff": spec.role == "manager",  # managers edit master data in the admin
                "is_active": True,
            },
        )
        created["logins"] += new
        staff, _ = StaffMember.objects.update_or_create(
            user=user,
            defaults={"display_name": spec.display_name, "skill_grade": spec.skill_grade, "phone": spec.phone},
        )
        StaffRole.objects.get_or_create(staff=staff, role=spec.role)
        staff.dealers.set([stations[code] for code in spec.stations])
        if spec.role == "manager":
            user.user_permissions.set(manager_permissions)
    _, new = User.objects.update_or_create(
        username="admin",
        defaults={
            "password": make_password(demo.ADMIN_PASSWORD),
            "email": "admin@example.com",
            "is_staff": True,
            "is_superuser": True,
            "is_active": True,
        },
    )
    created["logins"] += new


def seed_roster(*, today: dt.date, days_back: int = demo.ROSTER_DAYS_BACK) -> int:
    """Every technician on every opening day from `days_back` days back (two
    weeks; the history's 13 months when there is one) to four weeks ahead,
    except holidays, their Sundays off and leave; returns rows added.
    Days already on the roster are left as they are (someone may have
    changed them)."""
    first = today - dt.timedelta(days=days_back)
    days = [first + dt.timedelta(days=n) for n in range(days_back + demo.ROSTER_DAYS_AHEAD + 1)]
    technicians = _technicians()
    rows: list[RosterEntry] = []
    for dealer in Dealer.objects.filter(code__in=[s.code for s in demo.STATIONS]):
        open_weekdays = set(dealer.opening_hours.values_list("weekday", flat=True))
        closed = set(dealer.holidays.filter(date__range=(days[0], days[-1])).values_list("date", flat=True))
        on_roster = dealer.roster.filter(date__range=(days[0], days[-1])).values_list("technician", "date")
        taken = set(on_roster)
        staff = StaffMember.objects.filter(user__username__in=technicians, dealers=dealer).select_related("user")
        for member in staff:
            position, spec = technicians[member.user.username]
            for day in days:
                if day.weekday() not in open_weekdays or day in closed or (member.pk, day) in taken:
                    continue
                if (day.weekday() == 6 and not spec.works_sundays) or demo.on_leave(position, day):
                    continue
                starts, ends = demo.SHIFTS[day.weekday()]
                rows.append(
                    RosterEntry(
                        dealer=dealer,
                        technician=member,
                        date=day,
                        starts=starts,
                        ends=ends,
                        break_minutes=demo.BREAK_MINUTES,
                    )
                )
    RosterEntry.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _technicians() -> dict[str, tuple[int, demo.StaffSpec]]:
    """Demo technicians by username, with their position at their station."""
    technicians: dict[str, tuple[int, demo.StaffSpec]] = {}
    for station in demo.STATIONS:
        at_station = [s for s in demo.staff_specs() if s.role == "technician" and s.stations == (station.code,)]
        technicians.update({s.username: (position, s) for position, s in enumerate(at_station)})
    return technicians


# -- catalogue -----------------------------------------------------------------


def seed_catalogue(*, stations: dict[str, Dealer], data: demo.DemoData, created: Counter[str]) -> None:
    for code, dealer in stations.items():
        operations = [
            LabourOperation(
                dealer=dealer,
                code=op_code,
                name=name,
                job_type=job_type,
                flat_rate_hours=Decimal(hours),
                required_skill_grade=grade,
            )
            for op_code, name, job_type, hours, grade in demo.LABOUR_OPERATIONS
        ]
        created["labour operations"] += _upsert(
            LabourOperation,
            operations,
            unique=["dealer", "code"],
            update=["name", "job_type", "flat_rate_hours", "required_skill_grade"],
        )
        parts = [
            Part(
                dealer=dealer,
                number=row.number,
                name=row.name,
                unit=row.unit,
                unit_price=row.unit_price,
                stock_on_hand=row.stock[code],
            )
            for row in data.parts
        ]
        # Stock is not updated on a re-run: it moves as the demo is used.
        created["parts"] += _upsert(Part, parts, unique=["dealer", "number"], update=["name", "unit", "unit_price"])
        created["service packages"] += seed_packages(dealer=dealer)


def seed_packages(*, dealer: Dealer) -> int:
    packages = [
        ServicePackage(dealer=dealer, code=code, name=name, description=description, job_type=job_type)
        for code, name, description, job_type, _, _ in demo.SERVICE_PACKAGES
    ]
    new = _upsert(ServicePackage, packages, unique=["dealer", "code"], update=["name", "description", "job_type"])
    by_code = {p.code: p for p in ServicePackage.objects.filter(dealer=dealer)}
    operations = {o.code: o for o in LabourOperation.objects.filter(dealer=dealer)}
    parts = {p.number: p for p in Part.objects.filter(dealer=dealer)}
    for code, _, _, _, op_codes, part_quantities in demo.SERVICE_PACKAGES:
        package = by_code[code]
        package.operations.set([operations[c] for c in op_codes])
        wanted = [PackagePart(package=package, part=parts[n], quantity=Decimal(q)) for n, q in part_quantities]
        package.package_parts.exclude(part__in=[p.part for p in wanted]).delete()
        _upsert(PackagePart, wanted, unique=["package", "part"], update=["quantity"])
    return new


# -- customers and vehicles ----------------------------------------------------


class _Known:
    """What is already in the database, by natural key, so that a re-run
    skips it: customers by (station, phone), vehicles by (station, VIN) and
    plates by (station, plate)."""

    def __init__(self, station_ids: Iterable[int]) -> None:
        customers = Customer.objects.filter(dealer__in=station_ids)
        self.customers = {(d, phone): pk for d, phone, pk in customers.values_list("dealer", "phone", "pk")}
        vehicles = Vehicle.objects.filter(dealer__in=station_ids)
        self.vins = set(vehicles.values_list("dealer", "vin"))
        self.plates = set(vehicles.exclude(plate="").values_list("dealer", "plate"))


def seed_customers(*, stations: dict[str, Dealer], data: demo.DemoData, count: int, created: Counter[str]) -> None:
    station_ids = {code: dealer.pk for code, dealer in stations.items()}
    known = _Known(station_ids.values())
    batch: list[demo.CustomerRow] = []
    for row in data.customers(count):
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            _save_batch(batch, station_ids=station_ids, known=known, created=created)
            batch = []
    if batch:
        _save_batch(batch, station_ids=station_ids, known=known, created=created)


@transaction.atomic
def _save_batch(
    rows: list[demo.CustomerRow], *, station_ids: dict[str, int], known: _Known, created: Counter[str]
) -> None:
    """One batch in one transaction, so an interrupted run leaves no vehicle
    without its owner history; the next run picks up from there."""
    customers = [
        _customer(row, station_ids[row.station])
        for row in rows
        if (station_ids[row.station], row.phone) not in known.customers
    ]
    Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
    known.customers.update({(c.dealer_id, c.phone): c.pk for c in customers})
    created["customers"] += len(customers)

    pending: list[tuple[Vehicle, demo.VehicleRow]] = []
    for row in rows:
        station_id = station_ids[row.station]
        owner_id = known.customers[station_id, row.phone]
        for spec in row.vehicles:
            if (station_id, spec.vin) in known.vins:
                continue
            vehicle = _vehicle(spec, station_id, owner_id)
            if (station_id, vehicle.plate) in known.plates:
                vehicle.plate = ""  # someone entered that plate by hand: keep theirs
            known.vins.add((station_id, vehicle.vin))
            known.plates.add((station_id, vehicle.plate))
            pending.append((vehicle, spec))
    Vehicle.objects.bulk_create([v for v, _ in pending], batch_size=BATCH_SIZE)
    created["vehicles"] += len(pending)

    ownerships = [o for vehicle, spec in pending for o in _ownerships(vehicle, spec, known)]
    Ownership.objects.bulk_create(ownerships, batch_size=BATCH_SIZE)
    created["ownerships"] += len(ownerships)
    readings = [
        OdometerReading(vehicle=vehicle, km=r.km, read_on=r.read_on, source=r.source)
        for vehicle, spec in pending
        for r in spec.readings
    ]
    OdometerReading.objects.bulk_create(readings, batch_size=BATCH_SIZE)
    created["odometer readings"] += len(readings)


def _customer(row: demo.CustomerRow, station_id: int) -> Customer:
    return Customer(
        dealer_id=station_id,
        name=row.name,
        phone=row.phone,
        phone2=row.phone2,
        email=row.email,
        address=row.address,
        birthday=row.birthday,
        preferred_channel=row.preferred_channel,
        preferred_time=row.preferred_time,
        marketing_consent=row.marketing_consent,
        lifecycle=row.lifecycle,
        club_since=row.club_since,
        notes=row.notes,
    )


def _vehicle(spec: demo.VehicleRow, station_id: int, owner_id: int) -> Vehicle:
    return Vehicle(
        dealer_id=station_id,
        owner_id=owner_id,
        vin=spec.vin,
        plate=spec.plate,
        engine_number=spec.engine_number,
        make=spec.make,
        model=spec.model,
        model_year=spec.model_year,
        variant=spec.variant,
        colour=spec.colour,
        sale_date=spec.sale_date,
        warranty_end=spec.warranty_end,
    )


def _ownerships(vehicle: Vehicle, spec: demo.VehicleRow, known: _Known) -> list[Ownership]:
    """The current owner since the sale or the transfer; for a used car also
    the seller, whose ownership ended on the day it changed hands."""
    if not spec.transfer_date:
        return [Ownership(vehicle=vehicle, customer_id=vehicle.owner_id, since=spec.sale_date)]
    current = Ownership(vehicle=vehicle, customer_id=vehicle.owner_id, since=spec.transfer_date, note="二手车过户")
    seller_id = known.customers.get((vehicle.dealer_id, spec.previous_owner_phone))
    if seller_id is None:  # the seller's file was removed: the history starts with the buyer
        return [current]
    previous = Ownership(
        vehicle=vehicle, customer_id=seller_id, since=spec.sale_date, until=spec.transfer_date, note="新车购买"
    )
    return [previous, current]


# -- output --------------------------------------------------------------------


# -- appointments ----------------------------------------------------------------------

APPOINTMENT_DAYS = 7
APPOINTMENTS_PER_DAY = 8
REQUESTS = (
    "按时保养",
    "保养，顺便看一下空调有异味",
    "刹车时有异响",
    "发动机故障灯亮了",
    "保养，右前轮胎压偏低",
    "雨刮器刮不干净，一起换",
)


def seed_appointments(*, stations: dict[str, Dealer], now: dt.datetime) -> int:
    """A week of appointments per station from now on, booked through the
    booking service (so capacity, states and checklists are the real ones):
    the work lists, the welcome board and the call list have something to
    show. Skipped for a station that already has upcoming appointments."""
    booked = 0
    for position, dealer in enumerate(stations.values()):
        if Appointment.objects.filter(dealer=dealer, arrives_at__gte=now).exists():
            continue
        rng = random.Random(demo.SEED + position)
        advisors = list(StaffMember.objects.filter(dealers=dealer, roles__role="advisor").order_by("pk"))
        packages = list(ServicePackage.objects.filter(dealer=dealer, job_type="maintenance").order_by("pk"))
        repairs = list(LabourOperation.objects.filter(dealer=dealer, job_type="repair").order_by("pk")[:10])
        vehicles = Vehicle.objects.filter(dealer=dealer).select_related("owner").order_by("pk")
        picks = iter(vehicles[: APPOINTMENT_DAYS * APPOINTMENTS_PER_DAY * 2])
        today = timezone.localtime(now, ZoneInfo(dealer.time_zone)).date()
        if not (advisors and packages):
            continue
        for offset in range(APPOINTMENT_DAYS):
            day = today + dt.timedelta(days=offset)
            for _ in range(APPOINTMENTS_PER_DAY):
                vehicle = next(picks, None)
                if vehicle is None:
                    break
                maintenance = rng.random() < 0.7 or not repairs
                job_type = "maintenance" if maintenance else "repair"
                chosen_packages = [rng.choice(packages)] if maintenance else []
                operations = [] if maintenance else [rng.choice(repairs)]
                estimate = services.estimate(dealer=dealer, operations=operations, packages=chosen_packages)
                calendar = capacity.load_calendar(dealer, day, day)
                job = capacity.Job.of(job_type, estimate.hours, estimate.grade)
                free = capacity.propose(calendar, job, now=now, first_day=day, days=1, limit=6, per_day=6)
                if not free:
                    break
                try:
                    services.appointment_book(
                        dealer=dealer,
                        customer=vehicle.owner,
                        vehicle=vehicle,
                        advisor=rng.choice(advisors),
                        job_type=job_type,
                        arrives_at=rng.choice(free).arrives_at,
                        request=rng.choice(REQUESTS),
                        operations=operations,
                        packages=chosen_packages,
                        substitute_car=rng.random() < 0.15,
                        now=now,
                    )
                except ValidationError:
                    continue
                booked += 1
    return booked


# -- cars in the workshop ------------------------------------------------------------------

# What the demo board shows per station: (how many, how far each got).
WORKSHOP_STAGES = (
    (1, "draft"),  # estimate not agreed yet
    (2, "agreed"),  # waiting for dispatch
    (1, "assigned"),
    (3, "started"),  # in progress on the clock
    (1, "finished"),  # all jobs done: in the quality check
    (1, "ready"),  # checked, signed off and washed: the cashier's and the advisor's delivery
)


def seed_workshop(*, stations: dict[str, Dealer], now: dt.datetime) -> int:
    """Walk-in repair orders at every stage of the workshop, made through the
    real services (estimate, consent, dispatch, clock, quality check), so the
    dispatch board, the technicians' lists and the parts clerk's notices have
    cars on them. Skipped for a station that already has repair orders other
    than delivered and closed ones (the history's)."""
    opened = 0
    for position, dealer in enumerate(stations.values()):
        if RepairOrder.objects.filter(dealer=dealer).exclude(status__in=HISTORY_STATES).exists():
            continue
        rng = random.Random(demo.SEED + 100 + position)
        advisor = StaffMember.objects.filter(dealers=dealer, roles__role="advisor").order_by("pk").first()
        dispatcher = StaffMember.objects.filter(dealers=dealer, roles__role="dispatcher").order_by("pk").first()
        packages = list(ServicePackage.objects.filter(dealer=dealer, job_type="maintenance").order_by("pk"))
        technicians = dispatch.on_duty(dealer, timezone.localtime(now, ZoneInfo(dealer.time_zone)).date())
        bays = dispatch.bays_for(dealer, "maintenance")
        if not (advisor and dispatcher and packages and technicians and bays):
            continue
        # The last vehicles of the station: the demo appointments take the first ones.
        cars = iter(Vehicle.objects.filter(dealer=dealer).select_related("owner").order_by("-pk")[:20])
        # Round the roster: the first technicians are free again once their car is through.
        free_technicians = itertools.cycle(technicians)
        for count, stage in WORKSHOP_STAGES:
            for _ in range(count):
                vehicle = next(cars)
                try:
                    with transaction.atomic():
                        _workshop_car(
                            dealer,
                            vehicle,
                            stage,
                            advisor,
                            dispatcher,
                            rng.choice(packages),
                            free_technicians,
                            bays[0],
                            now,
                        )
                except (ValidationError, StopIteration):
                    continue
                opened += 1
    return opened


def _workshop_car(dealer, vehicle, stage, advisor, dispatcher, package, technicians, bay, now) -> None:
    order = reception_services.repair_order_open_walk_in(
        vehicle=vehicle, advisor=advisor, job_type="maintenance", by=advisor.user, now=now, purpose=package.name
    )
    estimates.package_add(repair_order=order, package=package, by=advisor.user)
    RepairOrder.objects.filter(pk=order.pk).update(promised_at=now + dt.timedelta(hours=3))
    if stage == "draft":
        return
    estimates.consent_record(
        repair_order=order, method="printed", signed_by_name=vehicle.owner.name, by=advisor.user, now=now
    )
    jobs = jobs_sync(order)
    if stage == "agreed":
        return
    technician = next(technicians)
    for job in jobs:
        job_assign(job=job, technician=technician, bay=bay, version=job.version, by=dispatcher.user, now=now)
    if stage == "assigned":
        return
    for job in Job.objects.filter(repair_order=order).order_by("pk"):
        job_start(job=job, by=technician, now=now)
        if stage not in ("finished", "ready"):
            return  # one job on the clock: a technician works one at a time
        job_finish(
            job=job, by=technician, cause_found="按保养手册检查", work_done="已按项目完成", result="正常", now=now
        )  # the last one opens the quality check
    if stage == "ready":
        check = quality.current_round(order)
        for item in check.items.all():
            quality.quality_item_record(item=item, passed=True, by=dispatcher.user)
        quality.quality_check_sign_off(quality_check=check, by=dispatcher.user, now=now)
        quality.quality_check_washed(repair_order=order, by=dispatcher.user, now=now)


def summary(created: Counter[str]) -> str:
    """Rows of the demo stations now in the database, and how many this run added."""
    User = get_user_model()
    codes = [s.code for s in demo.STATIONS]
    at_stations = {"dealer__code__in": codes}
    totals = {
        "stations": Dealer.objects.filter(code__in=codes).count(),
        "logins": User.objects.filter(username__in=[login.username for login in demo.DEMO_LOGINS]).count(),
        "holidays": Holiday.objects.filter(**at_stations).count(),
        "bays": Bay.objects.filter(**at_stations).count(),
        "roster entries": RosterEntry.objects.filter(**at_stations).count(),
        "labour operations": LabourOperation.objects.filter(**at_stations).count(),
        "parts": Part.objects.filter(**at_stations).count(),
        "service packages": ServicePackage.objects.filter(**at_stations).count(),
        "customers": Customer.objects.filter(**at_stations).count(),
        "vehicles": Vehicle.objects.filter(**at_stations).count(),
        "ownerships": Ownership.objects.filter(vehicle__dealer__code__in=codes).count(),
        "odometer readings": OdometerReading.objects.filter(vehicle__dealer__code__in=codes).count(),
        "appointments": Appointment.objects.filter(**at_stations).count(),
        "repair orders": RepairOrder.objects.filter(**at_stations).count(),
        "complaint tickets": Complaint.objects.filter(**at_stations).count(),
        "invoices": Invoice.objects.filter(**at_stations).count(),
        "payments": Payment.objects.filter(invoice__dealer__code__in=codes).count(),
        "callbacks": ContactTask.objects.filter(kind=Kind.CALLBACK, **at_stations).count(),
        "surveys": Survey.objects.filter(task__dealer__code__in=codes).count(),
    }
    lines = ["Demo data (total, added by this run):"]
    lines += [f"  {label:<20}{total:>9,}  (+{created[label]:,})" for label, total in totals.items()]
    return "\n".join(lines)


def logins_table() -> str:
    width = max(len(login.username) for login in demo.DEMO_LOGINS)
    lines = ["Demo logins:", f"  {'login':<{width}}  {'password':<10}{'stations':<11}role"]
    for login in demo.DEMO_LOGINS:
        stations = ",".join(login.stations)
        lines.append(f"  {login.username:<{width}}  {login.password:<10}{stations:<11}{login.role}")
    return "\n".join(lines)
