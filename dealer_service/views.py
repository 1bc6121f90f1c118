from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from dealer_service.celery import app as celery_app
from dealers.access import landing_url_name


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own page after sign-in."""
    url_name = landing_url_name(request.user)
    if url_name is None or request.station is None:
        return render(request, "no_role.html", status=403)
    return redirect(url_name)


def _database_ok() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    """One attempt, bounded by the broker's connect and reply timeouts: the
    probe reports the state now (a retry made it take 4 s with Redis down)."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
        return True
    except Exception:
        return False


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: point them at ours."""
    return redirect(static("favicon.svg"), permanent=True)


@never_cache
def ping(request: HttpRequest) -> HttpResponse:
    """Process liveness: answers without the database, a template or the
    broker. Also the benchmark's anchor: the fastest any page of this stack
    can be on the machine it runs on."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: 503 when the database is unreachable; a
    broker outage is reported but does not fail the check (deadlines are rows,
    the next sweep catches up)."""
    database, broker = _database_ok(), _broker_ok()
    body = {
        "status": "ok" if database and broker else ("degraded" if database else "down"),
        "database": "ok" if database else "unreachable",
        "broker": "ok" if broker else "unreachable",
    }
    return JsonResponse(body, status=200 if database else 503)
