"""`manage.py bench`: performance figures, printed as tables and written to
bench/results/latest.md. Never part of the test suite: figures, not asserts.

Run on PostgreSQL with the demo data loaded (`seed_demo --scale 100`); with
`--small-database-url` naming a second database loaded at `--scale 1`, the
queries of each page are counted on both, to show they do not grow with the
data.

Under load (dealer_service.loadbench): gunicorn with 2 workers on loopback
and wrk; requests/s and 95th percentile of each page, and each page's
requests/s as a share of the anchor's (a bare view answering "ok", same
server, same run). The dispatch board's 200 open ROs are committed for the
load part and deleted after it.

Measured in-process:

- slot proposals for a 14-day horizon: `load_calendar` + `propose` for a
  maintenance job, median and 95th percentile of `--repeat` runs, and the
  query count (constant in data size);
- the booking desk's proposal panel through the whole request stack
  (middleware, form, template), logged in as the station's advisor;
- the five-part repair order PDF (WeasyPrint) of a realistic RO built on a
  car of the station (6 labour and 8 part lines, walk-around, consent),
  rendered to bytes; the RO is rolled back with everything else;
- the workshop's dispatch board with 200 open ROs (two jobs each, spread
  over the board's columns): its card area, the request every tablet makes
  every 10 seconds, through the whole request stack, signed in as the
  station's dispatcher; the ROs are rolled back too;
- the deadline sweep (`dealer_service.sweep.sweep(now)`) over the whole data
  set, all stations: the first sweep (what a beat tick finds after the demo
  is loaded: every task that is due gets made) with its query count, then at
  once a second one, which finds everything made and should cost a fraction
  of the first. Both run before the other measurements (the fill's bookings
  would add confirmation calls) and are rolled back.

`--fill 0.6` first books appointments (through the booking service, inside a
transaction that is rolled back at the end) until each day holds about 60 %
of its capacity, so the figures are for a realistic, partly booked calendar.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from appointments import capacity, services
from appointments import documents as appointment_documents
from appointments.models import Appointment
from appointments.selectors import appointment_for_print
from customers.models import OdometerReading, OdometerSource, Vehicle
from dashboard import cache as dashboard_cache
from dealer_service import loadbench
from dealer_service.sweep import sweep
from dealers.models import Dealer, JobType, LabourOperation, Part, Role, StaffMember
from followup.models import ContactTask, Kind
from reception import documents, pricing
from reception.models import (
    RO_OPEN_STATES,
    ConsentMethod,
    ConsentRecord,
    DamageMark,
    EstimateLine,
    InquirySheet,
    LineKind,
    RepairOrder,
    ROStatus,
    WalkAround,
)
from reception.services import next_repair_order_number
from workshop.board import BOARD_STATES
from workshop.models import Job, JobStatus

RESULTS = Path(settings.BASE_DIR) / "bench" / "results" / "latest.md"
BOARD_ORDERS = 200
# The dashboard with nothing in the cache: every read afresh.
NOTHING_KEPT = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
MAX_DRAIN = 50  # ticks to send a first sweep's backlog of messages


class Rollback(Exception):
    pass


def measure(run: Callable[[], object], repeat: int) -> dict[str, float]:
    run()  # warm caches and connections
    with loadbench.counting_queries() as queries:
        run()
    query_count = queries.count
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "queries": query_count,
    }


class Command(BaseCommand):
    help = "Measure slot proposals and the proposal panel; prints a table, writes bench/results/latest.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--station", default=None, help="station code (default: the first)")
        parser.add_argument("--repeat", type=int, default=30, help="in-process runs of each measurement")
        parser.add_argument("--fill", type=float, default=0.6, help="share of capacity to book first (0 = none)")
        parser.add_argument("--no-load", action="store_true", help="skip gunicorn + wrk")
        parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
        parser.add_argument("--runs", type=int, default=3, help="wrk runs per page (the median is quoted)")
        parser.add_argument("--connections", type=int, default=4, help="wrk's open connections")
        parser.add_argument(
            "--small-database-url",
            default=os.environ.get("BENCH_SMALL_DATABASE_URL", ""),
            help="a database loaded at a small scale: each page's queries are counted there too",
        )
        parser.add_argument("--queries-only", action="store_true", help="print each page's queries as JSON, no more")

    def handle(self, *args, **options) -> None:
        # Whole pages link their static files: serve the names as they are,
        # so the in-process part needs no collectstatic manifest.
        plain = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=plain):
            if options["queries_only"]:
                counts = self.page_queries(self.station(options["station"]))
                self.stdout.write(json.dumps({"counts": counts, "vehicles": Vehicle.objects.count()}))
            else:
                self.run(**options)

    @staticmethod
    def station(code: str | None) -> Dealer:
        dealer = Dealer.objects.filter(code=code).first() if code else Dealer.objects.order_by("code").first()
        if dealer is None:
            raise CommandError("No station: load the demo data first (manage.py seed_demo).")
        return dealer

    def run(
        self,
        *,
        station: str | None,
        repeat: int,
        fill: float,
        no_load: bool,
        seconds: int,
        runs: int,
        connections: int,
        small_database_url: str,
        **options,
    ) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # measure a maintained database, not one fresh from a bulk load
        dealer = self.station(station)
        operation = LabourOperation.objects.for_dealer(dealer).active().filter(job_type=JobType.MAINTENANCE).first()
        if operation is None:
            raise CommandError(f"Station {dealer.code} has no maintenance operation.")
        self.stderr.write("sweeps…")
        sweeps = self.sweeps()
        self.stderr.write("in-process measurements…")
        rows, booked = self.in_process(dealer, operation, repeat, fill)
        loaded: list[tuple[loadbench.Target, loadbench.LoadResult]] = []
        queries: dict[str, int] = {}
        if not no_load:
            if shutil.which("wrk") is None:
                raise CommandError("wrk is not installed: bin/system-deps --bench (as root), or pass --no-load.")
            self.stderr.write("pages under load (gunicorn + wrk)…")
            loaded, queries = self.under_load(dealer, seconds=seconds, runs=runs, connections=connections)
        small = self.small_queries(small_database_url, dealer.code) if small_database_url else None
        report = "\n".join(
            self.report(dealer, repeat, fill, booked, rows, sweeps, loaded, queries, small, seconds, runs, connections)
        )
        self.stdout.write(report)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report + "\n", encoding="utf-8")
        self.stdout.write(f"\nwritten to {RESULTS}")

    def in_process(
        self, dealer: Dealer, operation: LabourOperation, repeat: int, fill: float
    ) -> tuple[list[tuple[str, dict[str, float]]], int]:
        rows: list[tuple[str, dict[str, float]]] = []
        booked = 0
        try:
            with transaction.atomic():
                if fill > 0:
                    booked = self.fill(dealer, operation, fill)
                rows.append(("proposals, 14 days (in-process)", measure(self.proposals(dealer, operation), repeat)))
                rows.append(("proposal panel (HTTP, whole stack)", measure(self.panel(dealer, operation), repeat)))
                rows.append(("five-part repair order PDF", measure(self.repair_order_pdf(dealer), repeat)))
                registration = self.registration_pdf(dealer)
                if registration is not None:
                    rows.append(("appointment registration form PDF", measure(registration, repeat)))
                rows.append(("dispatch board with 200 open ROs", measure(self.board(dealer, BOARD_ORDERS), repeat)))
                call_list = self.page(dealer, Role.SPECIALIST, "followup:calls")
                if call_list is not None:
                    rows.append(("specialist's call list (HTTP)", measure(call_list, repeat)))
                month = self.page(dealer, Role.SERVICE_MANAGER, "dashboard:index", {"period": "month"})
                if month is not None:
                    rows.append(("manager's dashboard, month (HTTP, figures kept)", measure(month, repeat)))

                    def after_a_change():
                        dashboard_cache.bump(dealer.pk)  # as after any save at the station
                        return month()

                    rows.append(("manager's dashboard, month (HTTP, after a change)", measure(after_a_change, repeat)))
                    with override_settings(CACHES=NOTHING_KEPT):
                        rows.append(
                            ("manager's dashboard, month (HTTP, nothing kept)", measure(month, max(3, repeat // 3)))
                        )
                raise Rollback
        except Rollback:
            pass
        return rows, booked

    @staticmethod
    def under_load(
        dealer: Dealer, *, seconds: int, runs: int, connections: int
    ) -> tuple[list[tuple[loadbench.Target, loadbench.LoadResult]], dict[str, int]]:
        """The pages served by gunicorn under wrk. The board's 200 open ROs
        must be committed for the server to see them: they, and the sessions
        made to sign in, are deleted afterwards."""
        with transaction.atomic():
            orders = build_board_orders(dealer, BOARD_ORDERS)
        sessions_before = set(_session_keys())
        try:
            pages = loadbench.targets(dealer)
            queries = loadbench.query_counts(dealer, pages)
            cookies = {t.role: loadbench.session_cookie(dealer, t.role) for t in pages if t.role is not None}
            results = []
            with loadbench.gunicorn(Path(settings.BASE_DIR) / "var" / "bench-gunicorn.log") as base:
                for target in pages:
                    cookie = cookies.get(target.role)
                    loadbench.check_answers(base, target, cookie)
                    results.append(
                        (
                            target,
                            loadbench.load(base, target, cookie, seconds=seconds, runs=runs, connections=connections),
                        )
                    )
            return results, queries
        finally:
            delete_board_orders([o.pk for o in orders])
            _delete_sessions(set(_session_keys()) - sessions_before)

    @staticmethod
    def page_queries(dealer: Dealer) -> dict[str, int]:
        """Each page's queries per request, the board with its 200 open ROs (rolled back)."""
        try:
            with transaction.atomic():
                build_board_orders(dealer, BOARD_ORDERS)
                counts = loadbench.query_counts(dealer, loadbench.targets(dealer))
                raise Rollback
        except Rollback:
            pass
        return counts

    def small_queries(self, url: str, station: str) -> dict:
        """`--queries-only` run on the small database, in a child process."""
        self.stderr.write("queries on the small database…")
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, "manage.py", "bench", "--queries-only", "--station", station]
        output = subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
        if output.returncode != 0:
            raise CommandError(f"bench --queries-only on the small database failed:\n{output.stderr}")
        figures = json.loads(output.stdout.strip().splitlines()[-1])
        return {"counts": figures["counts"], "vehicles": figures["vehicles"]}

    def report(
        self, dealer, repeat, fill, booked, rows, sweeps, loaded, queries, small, seconds, runs, connections
    ) -> list[str]:
        vehicles = Vehicle.objects.count()
        history = RepairOrder.objects.count()
        lines = [
            f"# Bench — {timezone.localtime():%Y-%m-%d %H:%M} on {connection.vendor}",
            "",
            f"Data: {vehicles:,} vehicles and {history:,} repair orders in all; pages of station {dealer.code} "
            f"({Vehicle.objects.filter(dealer=dealer).count():,} vehicles).",
            "",
        ]
        if loaded:
            anchor = loaded[0][1].requests_per_second
            lines += [
                f"## Pages under load: gunicorn, {loadbench.GUNICORN_WORKERS} workers, wrk with {connections} "
                f"connections, median of {runs} runs of {seconds} s",
                "",
                "| page | requests/s | p95 ms | share of the anchor | queries per request |"
                + (f" queries at {small['vehicles']:,} vehicles |" if small else ""),
                "| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if small else ""),
            ]
            for target, result in loaded:
                share = result.requests_per_second / anchor if anchor else 0.0
                count = queries.get(target.name, 0)
                small_count = f" {small['counts'].get(target.name, '–')} |" if small else ""
                lines.append(
                    f"| {target.name} | {result.requests_per_second:,.1f} | {result.p95_ms:,.1f} | {share:.1%} "
                    f"| {count} |{small_count}"
                )
            lines.append("")
        elif small:
            lines += ["| page | queries here | queries small |", "| --- | ---: | ---: |"]
            lines += [f"| {name} | – | {n} |" for name, n in small["counts"].items()]
            lines.append("")
        lines += [
            f"## In-process: {repeat} runs each ({booked} appointments booked first, --fill {fill}, rolled back)",
            "",
            "| measurement | median ms | p95 ms | queries |",
            "| --- | ---: | ---: | ---: |",
            *(f"| {name} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['queries']} |" for name, r in rows),
            "",
            f"## Sweep over the whole data set (all stations, rolled back): {sweeps['contacts']:,} contact tasks "
            f"({sweeps['callbacks']:,} callbacks) before; {sweeps['acted']:,} rows acted on by the first sweep.",
            "",
            "| sweep | seconds | queries | acted on | failed steps |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(
                f"| {name} | {r['seconds']:.2f} | {r['queries']} | {r['acted']} | {r['failed']} |"
                for name, r in sweeps["rows"]
            ),
            f"| second ÷ first | {sweeps['ratio']:.1%} | | | |",
            f"| nothing due ÷ first | {sweeps['idle_ratio']:.1%} | | | |",
            "",
            f"Between the second sweep and the tick with nothing due, {sweeps['drained']} more ticks "
            "sent the rest of the first sweep's messages (they go out in batches).",
        ]
        return lines

    @staticmethod
    def sweeps() -> dict:
        """The first sweep over the data as loaded, then an immediate second
        one: seconds, queries, rows acted on; rolled back."""
        figures: dict = {
            "contacts": ContactTask.objects.count(),
            "callbacks": ContactTask.objects.filter(kind=Kind.CALLBACK).count(),
            "rows": [],
        }
        # The sweep sends the messages that fall due: never to real customers from here.
        quiet = override_settings(SMS_BACKEND="locmem", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
        try:
            with quiet, transaction.atomic():
                now = timezone.now()

                def tick(name: str) -> int:
                    with loadbench.counting_queries() as queries:
                        started = time.perf_counter()
                        result = sweep(now)
                        seconds = time.perf_counter() - started
                    acted = sum(result.acted.values())
                    row = {"seconds": seconds, "queries": queries.count, "acted": acted, "failed": len(result.failed)}
                    figures["rows"].append((name, row))
                    return acted

                tick("first sweep")
                tick("second sweep (at once)")
                # Messages go out in batches: a large first sweep leaves a
                # backlog that the next ticks send. Drain it, then time a
                # tick with nothing to do — what every minute costs.
                drained, acted = 0, figures["rows"][-1][1]["acted"]
                while acted and drained < MAX_DRAIN:
                    acted = sum(sweep(now).acted.values())
                    drained += 1
                figures["drained"] = drained
                tick("a tick with nothing due")
                raise Rollback
        except Rollback:
            pass
        first, second, idle = (r for _, r in figures["rows"])
        figures["acted"] = first["acted"]
        figures["ratio"] = second["seconds"] / first["seconds"] if first["seconds"] else 0.0
        figures["idle_ratio"] = idle["seconds"] / first["seconds"] if first["seconds"] else 0.0
        return figures

    @staticmethod
    def proposals(dealer: Dealer, operation: LabourOperation) -> Callable[[], object]:
        def run():
            today = timezone.localdate()
            calendar = capacity.load_calendar(dealer, today, today + dt.timedelta(days=13))
            job = capacity.Job.of(JobType.MAINTENANCE, operation.flat_rate_hours, operation.required_skill_grade)
            return capacity.propose(calendar, job, now=timezone.now(), first_day=today)

        return run

    @staticmethod
    def panel(dealer: Dealer, operation: LabourOperation) -> Callable[[], object]:
        advisor = StaffMember.objects.filter(dealers=dealer, roles__role=Role.SERVICE_ADVISOR).first()
        if advisor is None:
            raise CommandError(f"Station {dealer.code} has no advisor to sign in as.")
        client = Client(raise_request_exception=True, HTTP_HOST=settings.ALLOWED_HOSTS[0])
        client.force_login(advisor.user)
        url = reverse("appointments:proposals")
        data = {"job_type": JobType.MAINTENANCE, "operations": [operation.pk]}

        def run():
            response = client.get(url, data, secure=True)
            if response.status_code != 200:
                raise CommandError(f"proposal panel answered {response.status_code}")
            return response

        return run

    @staticmethod
    def page(dealer: Dealer, role: str, name: str, data: dict | None = None) -> Callable[[], object] | None:
        """A whole page through the request stack, signed in as the first staff
        member with `role`; None when the station has nobody in that role."""
        staff = StaffMember.objects.filter(dealers=dealer, roles__role=role).order_by("pk").first()
        if staff is None:
            return None
        client = Client(raise_request_exception=True, HTTP_HOST=settings.ALLOWED_HOSTS[0])
        client.force_login(staff.user)
        url = reverse(name)

        def run():
            response = client.get(url, data or {}, secure=True)
            if response.status_code != 200:
                raise CommandError(f"{name} answered {response.status_code}")
            return response

        return run

    @staticmethod
    def repair_order_pdf(dealer: Dealer) -> Callable[[], object]:
        order = build_repair_order(dealer)

        def run():
            return documents.repair_order_pdf(documents.for_print(RepairOrder.objects).get(pk=order.pk))

        return run

    @staticmethod
    def registration_pdf(dealer: Dealer) -> Callable[[], object] | None:
        appointment = Appointment.objects.filter(dealer=dealer).order_by("-pk").values_list("pk", flat=True).first()
        if appointment is None:
            return None

        def run():
            return appointment_documents.registration_pdf(appointment_for_print([dealer.pk], appointment))

        return run

    @staticmethod
    def board(dealer: Dealer, count: int) -> Callable[[], object]:
        dispatcher = StaffMember.objects.filter(dealers=dealer, roles__role=Role.DISPATCHER).first()
        if dispatcher is None:
            raise CommandError(f"Station {dealer.code} has no dispatcher to sign in as.")
        build_board_orders(dealer, count)
        client = Client(raise_request_exception=True, HTTP_HOST=settings.ALLOWED_HOSTS[0])
        client.force_login(dispatcher.user)
        url = reverse("workshop:board")

        def run():
            response = client.get(url, {"part": "cards"}, secure=True, HTTP_HX_REQUEST="true")
            if response.status_code != 200:
                raise CommandError(f"dispatch board answered {response.status_code}")
            return response

        return run

    def fill(self, dealer: Dealer, operation: LabourOperation, share: float) -> int:
        """Book the station's days up to `share` of their capacity, least loaded slot first."""
        advisor = StaffMember.objects.filter(dealers=dealer, roles__role=Role.SERVICE_ADVISOR).first()
        vehicles = iter(Vehicle.objects.filter(dealer=dealer).select_related("owner").order_by("pk"))
        today, now, booked = timezone.localdate(), timezone.now(), 0
        job = capacity.Job.of(JobType.MAINTENANCE, operation.flat_rate_hours, operation.required_skill_grade)
        for offset in range(1, 14):
            day = today + dt.timedelta(days=offset)
            while True:
                calendar = capacity.load_calendar(dealer, day, day)
                load = next((d for d in calendar.days() if d.day == day), None)
                if load is None or load.ratio >= share:
                    break
                choices = capacity.propose(calendar, job, now=now, first_day=day, days=1, limit=1)
                vehicle = next(vehicles, None)
                if not choices or vehicle is None:
                    break
                try:
                    services.appointment_book(
                        dealer=dealer,
                        customer=vehicle.owner,
                        vehicle=vehicle,
                        advisor=advisor,
                        job_type=JobType.MAINTENANCE,
                        arrives_at=choices[0].arrives_at,
                        request="bench",
                        operations=[operation],
                        now=now,
                    )
                except ValidationError:
                    continue  # e.g. this car is already booked that day: take the next
                booked += 1
        return booked


def build_repair_order(dealer: Dealer, *, labour: int = 6, parts: int = 8) -> RepairOrder:
    """A realistic RO on a car of the station with no open RO: inquiry,
    walk-around with damage marks, `labour` + `parts` estimate lines and a
    consent. Call it inside a transaction that is rolled back."""
    advisor = StaffMember.objects.filter(dealers=dealer, roles__role=Role.SERVICE_ADVISOR).first()
    vehicle = (
        Vehicle.objects.filter(dealer=dealer)
        .exclude(repair_orders__status__in=RO_OPEN_STATES)
        .select_related("owner")
        .order_by("pk")
        .first()
    )
    if advisor is None or vehicle is None:
        raise CommandError(f"Station {dealer.code} needs an advisor and a vehicle for the repair order.")
    now = timezone.now()
    order = RepairOrder.objects.create(
        dealer=dealer,
        number=next_repair_order_number(dealer, now),
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.REPAIR,
        purpose="40000公里保养，顺查刹车异响",
        promised_at=now + dt.timedelta(hours=5),
        keys_received_at=now,
        registration_received_at=now,
    )
    InquirySheet.objects.create(
        repair_order=order,
        symptom="踩刹车时前轮有吱吱声，早上冷车明显",
        presumed_cause="前刹车片磨损到限",
        road_test_needed=True,
    )
    last_km = vehicle.odometer_readings.values_list("km", flat=True).first() or 0
    reading = OdometerReading.objects.create(
        vehicle=vehicle, km=last_km + 4321, read_on=timezone.localdate(now), source=OdometerSource.RECEPTION
    )
    walk = WalkAround.objects.create(
        repair_order=order,
        odometer=reading,
        fuel_eighths=5,
        checks={"lights": "ok", "wipers": "fault", "horn": "ok"},
        valuables="行车记录仪",
        valuables_reminded=True,
        protective_kit=True,
        done_at=now,
        done_by=advisor,
    )
    for view, x, y, kind in (("left", 30, 40, "scratch"), ("front", 50, 20, "chip"), ("rear", 70, 60, "scratch")):
        DamageMark.objects.create(walk_around=walk, view=view, x=x, y=y, kind=kind)
    lines = []
    for op in LabourOperation.objects.for_dealer(dealer).active().order_by("code")[:labour]:
        lines.append(
            EstimateLine(
                kind=LineKind.LABOUR,
                operation=op,
                description=op.name,
                quantity=op.flat_rate_hours,
                unit_price=dealer.labour_rate,
            )
        )
    for part in Part.objects.for_dealer(dealer).active().filter(unit_price__gt=0).order_by("number")[:parts]:
        quantity = Decimal("4") if part.unit == "L" else Decimal("1")
        lines.append(
            EstimateLine(
                kind=LineKind.PART,
                part=part,
                description=part.name,
                part_number=part.number,
                quantity=quantity,
                unit_price=part.unit_price,
            )
        )
    for position, line in enumerate(lines):
        line.repair_order, line.position = order, position
        line.discount_percent = Decimal("10") if position == 1 else Decimal("0")
        line.amount = pricing.line_amount(line.quantity, line.unit_price, line.discount_percent)
    EstimateLine.objects.bulk_create(lines)
    total = pricing.totals(lines, dealer.vat_rate, customer_only=True)
    ConsentRecord.objects.create(
        repair_order=order,
        method=ConsentMethod.PRINTED,
        signed_by_name=vehicle.owner.name,
        agreed={"totals": total.as_dict()},
        total=total.total,
        promised_at=order.promised_at,
        recorded_by=advisor.user,
        recorded_at=now,
    )
    return order


def build_board_orders(dealer: Dealer, count: int) -> list[RepairOrder]:
    """`count` agreed ROs on cars of the station with no open RO, spread over
    the board's states, each with two jobs. Call it inside a transaction
    that is rolled back."""
    advisor = StaffMember.objects.filter(dealers=dealer, roles__role=Role.SERVICE_ADVISOR).first()
    vehicles = list(
        Vehicle.objects.filter(dealer=dealer).exclude(repair_orders__status__in=RO_OPEN_STATES).order_by("pk")[:count]
    )
    operation = LabourOperation.objects.for_dealer(dealer).active().order_by("code").first()
    if advisor is None or operation is None or len(vehicles) < count:
        raise CommandError(f"Station {dealer.code} needs an advisor, an operation and {count} cars without an open RO.")
    now = timezone.now()
    first = int(next_repair_order_number(dealer, now).rsplit("-", 1)[1])
    prefix = f"R{timezone.localtime(now).year}-"
    orders = RepairOrder.objects.bulk_create(
        RepairOrder(
            dealer=dealer,
            number=f"{prefix}{first + i:05d}",
            customer_id=vehicle.owner_id,
            vehicle=vehicle,
            advisor=advisor,
            job_type=JobType.REPAIR,
            status=BOARD_STATES[i % len(BOARD_STATES)],
            promised_at=now + dt.timedelta(hours=1 + i % 6),
        )
        for i, vehicle in enumerate(vehicles)
    )
    lines = EstimateLine.objects.bulk_create(
        EstimateLine(
            repair_order=order,
            kind=LineKind.LABOUR,
            operation=operation,
            description=operation.name,
            quantity=operation.flat_rate_hours,
            unit_price=dealer.labour_rate,
            amount=pricing.line_amount(operation.flat_rate_hours, dealer.labour_rate, Decimal("0")),
            position=n,
        )
        for order in orders
        for n in range(2)
    )
    technicians = list(StaffMember.objects.filter(dealers=dealer, roles__role=Role.TECHNICIAN)) or [None]
    Job.objects.bulk_create(
        Job(
            dealer=dealer,
            repair_order_id=line.repair_order_id,
            estimate_line=line,
            flat_rate_hours=line.quantity,
            status=JobStatus.WAITING if line.repair_order.status == ROStatus.OPEN else JobStatus.ASSIGNED,
            technician=None if line.repair_order.status == ROStatus.OPEN else technicians[i % len(technicians)],
        )
        for i, line in enumerate(lines)
    )
    return orders


def delete_board_orders(ids: list[int]) -> None:
    """Remove what `build_board_orders` committed, in plain SQL: these rows
    were never real work and must leave no trace (no signals, no history)."""
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        for model in (Job, EstimateLine):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE repair_order_id IN ({marks})", ids)
        cursor.execute(f"DELETE FROM {RepairOrder._meta.db_table} WHERE id IN ({marks})", ids)


def _session_keys() -> list[str]:
    return list(Session.objects.values_list("session_key", flat=True))


def _delete_sessions(keys: set[str]) -> None:
    Session.objects.filter(session_key__in=keys).delete()
