"""The load half of `manage.py bench`: pages served by gunicorn (2 workers)
on loopback, driven by wrk, each compared with an anchor — a bare view that
answers "ok" without the database or a template, served by the same gunicorn
in the same run. Machines are shared and absolute times drift; the ratio to
the anchor says how far a page is from the limit of this stack here and now.

Each target is a list of paths (wrk rotates through them, so a lookup is not
one cached plan for one plate) requested with the session cookie of a staff
member of the role that uses the page. Every path is first fetched once and
must answer 200: a redirect to the sign-in page would otherwise be measured
as a very fast page.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from customers.models import Customer, Vehicle
from dealers.models import Dealer, JobType, LabourOperation, Role, StaffMember

GUNICORN_WORKERS = 2
# The server's settings: production ones, on plain HTTP on loopback.
SERVER_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "WARNING",
}
# wrk: one result line at the end, read back by `load()`.
WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %%f %%f %%d %%d %%d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(95) / 1000, summary.errors.status, failed, summary.requests))
end
"""


@dataclass
class Target:
    """A page under load: what the bench calls it, who asks for it, where."""

    name: str
    role: str | None  # None: anonymous
    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadResult:
    requests_per_second: float
    p95_ms: float
    runs: list[tuple[float, float]]


def targets(dealer: Dealer, *, samples: int = 5) -> list[Target]:
    """The anchor first, then the pages staff use all day, on rows of `dealer`."""
    vehicles = list(
        Vehicle.objects.filter(dealer=dealer).select_related("owner").exclude(plate="").order_by("pk")[:samples]
    )
    if not vehicles:
        raise CommandError(f"Station {dealer.code} has no vehicles: load the demo data first.")
    queries = [q for v in vehicles for q in (v.plate, v.owner.phone, v.vin[-6:]) if q]
    lookup = reverse("customers:lookup")
    # The customers whose files are longest: the page's worst case.
    busiest = (
        Customer.objects.for_station(dealer)
        .annotate(n=Count("repair_orders"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[:samples]
    )
    operation = LabourOperation.objects.for_dealer(dealer).active().filter(job_type=JobType.MAINTENANCE).first()
    if operation is None:
        raise CommandError(f"Station {dealer.code} has no maintenance operation.")
    return [
        Target("anchor: bare view answering ok", None, [reverse("ping")]),
        Target("front-desk lookup (plate / phone / VIN tail)", Role.SERVICE_ADVISOR, [_q(lookup, q) for q in queries]),
        Target("customer file page", Role.SERVICE_ADVISOR, [reverse("customers:detail", args=[pk]) for pk in busiest]),
        Target(
            "dispatch board, 200 open ROs (card area)",
            Role.DISPATCHER,
            [reverse("workshop:board") + "?part=cards"],
            {"HX-Request": "true"},
        ),
        Target("specialist's contact queue", Role.SPECIALIST, [reverse("followup:calls")]),
        Target("manager's dashboard, month", Role.SERVICE_MANAGER, [reverse("dashboard:index") + "?period=month"]),
        Target(
            "slot proposals, 14 days (panel)",
            Role.SERVICE_ADVISOR,
            [f"{reverse('appointments:proposals')}?job_type={JobType.MAINTENANCE}&operations={operation.pk}"],
        ),
    ]


def _q(path: str, q: str) -> str:
    return f"{path}?{urlencode({'q': q})}"


def staff_user(dealer: Dealer, role: str) -> User:
    staff = StaffMember.objects.filter(dealers=dealer, roles__role=role).select_related("user").order_by("pk").first()
    if staff is None:
        raise CommandError(f"Station {dealer.code} has nobody in the role {role}.")
    return staff.user


def query_counts(dealer: Dealer, pages: list[Target]) -> dict[str, int]:
    """Queries per request of each page, in-process through the whole stack
    (the first path of each, after one warm-up request)."""
    counts: dict[str, int] = {}
    clients: dict[str | None, Client] = {}
    for target in pages:
        if target.role not in clients:
            client = Client(raise_request_exception=True, HTTP_HOST=settings.ALLOWED_HOSTS[0])
            if target.role is not None:
                client.force_login(staff_user(dealer, target.role), backend=settings.AUTHENTICATION_BACKENDS[-1])
            clients[target.role] = client
        client = clients[target.role]
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in target.headers.items()}
        client.get(target.paths[0], secure=True, **headers)
        with counting_queries() as queries:
            response = client.get(target.paths[0], secure=True, **headers)
        if response.status_code != 200:
            raise CommandError(f"{target.name}: {target.paths[0]} answered {response.status_code}")
        counts[target.name] = queries.count
    return counts


class QueryCount:
    """Counts the statements run on the connection while installed (no log,
    so no 9,000-entry limit: the sweeps at scale 100 run far more)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries() -> Iterator[QueryCount]:
    counter = QueryCount()
    with connection.execute_wrapper(counter):
        yield counter


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(log: Path) -> Iterator[str]:
    """gunicorn with GUNICORN_WORKERS sync workers on a free loopback port,
    on the database and settings of this process; yields its base URL."""
    port = free_port()
    env = {**os.environ, **SERVER_ENV}
    base = f"http://127.0.0.1:{port}"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "dealer_service.wsgi:application",
                f"--workers={GUNICORN_WORKERS}",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base + reverse("ping"), server)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"gunicorn exited with {server.returncode}: see var/bench-gunicorn.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def session_cookie(dealer: Dealer, role: str) -> str:
    """A committed session of a staff member with `role`, as gunicorn reads it."""
    client = Client()
    client.force_login(staff_user(dealer, role), backend=settings.AUTHENTICATION_BACKENDS[-1])
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def check_answers(base: str, target: Target, cookie: str | None) -> None:
    """Each path answers 200 to this cookie, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for path in target.paths:
        request = urllib.request.Request(
            base + path, headers={**target.headers, **({"Cookie": cookie} if cookie else {})}
        )
        try:
            with opener.open(request, timeout=120) as response:
                status = response.status
        except HTTPError as error:
            status = error.code
        if status != 200:
            raise CommandError(f"{target.name}: {path} answered {status}")


def load(base: str, target: Target, cookie: str | None, *, seconds: int, runs: int, connections: int) -> LoadResult:
    """wrk against the target: a 1-second warm-up, then `runs` runs of
    `seconds`; the median of requests/s and of the 95th percentile."""
    paths = ", ".join(json.dumps(p) for p in target.paths)
    headers = {**target.headers, **({"Cookie": cookie} if cookie else {})}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % paths)
    try:
        results = []
        for duration in [1] + [seconds] * runs:
            results.append(_wrk(base, script.name, headers, duration, connections))
        measured = results[1:]
    finally:
        os.unlink(script.name)
    return LoadResult(
        requests_per_second=statistics.median(r for r, _ in measured),
        p95_ms=statistics.median(p for _, p in measured),
        runs=measured,
    )


def _wrk(base: str, script: str, headers: dict[str, str], seconds: int, connections: int) -> tuple[float, float]:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout=60s", "-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, base + "/"], capture_output=True, text=True, check=True).stdout
    line = next((x for x in output.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise CommandError(f"wrk printed no result:\n{output}")
    rps, p95, bad_status, failed, _requests = line.split()[1:]
    if int(bad_status) or int(failed):
        raise CommandError(f"wrk: {bad_status} error answers and {failed} failed requests under load")
    return float(rps), float(p95)
