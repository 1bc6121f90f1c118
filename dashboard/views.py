"""The service manager's pages: the dashboard, the rows behind each figure,
the exports and the monthly review. Thin: parse the period, read, render."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from complaints.models import Level
from dashboard import audit, cache, exports, periods, selectors
from dashboard import figures as f
from dashboard.documents import monthly_review_pdf
from dealers.access import role_required
from dealers.http import pdf_response
from dealers.models import Role

MANAGER = Role.SERVICE_MANAGER
# An export holds at most this many rows: a list longer than that is filtered first.
EXPORT_LIMIT = 20_000


def _period(request: HttpRequest, now: dt.datetime) -> periods.Period:
    tz = ZoneInfo(request.station.time_zone)
    return periods.parse(request.GET, tz, timezone.localtime(now, tz).date())


def _url(name: str, period: periods.Period, *args, **params) -> str:
    query = {**period.params(), **{k: v for k, v in params.items() if v}}
    return f"{reverse(name, args=args)}?{urlencode(query)}"


@role_required(MANAGER)
def index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    period = _period(request, now)
    context = cache.dashboard_context(request.station, period, now)
    context.update(
        links={
            r.figure.key: _url("dashboard:rows", period, r.figure.rows, subset=r.figure.subset)
            for r in context["results"]
        },
        kinds=periods.KINDS,
        previous_url=_url("dashboard:index", period.previous()),
        next_url=_url("dashboard:index", period.next()),
        query=urlencode(period.params()),
        charts=_charts(context),
    )
    return render(request, "dashboard/index.html", context)


def _charts(context: dict) -> dict:
    """The data the four charts draw (json_script in the page)."""
    trends = context["trends"]
    return {
        "load": {
            "labels": [f"{d.day:%m-%d}" for d in context["forecast"]],
            "booked": [round(d.booked_hours, 1) for d in context["forecast"]],
            "capacity": [round(d.capacity_hours, 1) for d in context["forecast"]],
        },
        "trend": trends,
        "labels": {
            "booked": _("Hours booked"),
            "capacity": _("Capacity (hours)"),
            "labour": _("Labour revenue"),
            "parts": _("Parts revenue"),
            "hours": _("Labour hours sold"),
            "satisfaction": _("Satisfaction average"),
            "dissatisfied": _("Dissatisfied customers"),
            "levels": {str(k): str(v) for k, v in Level.choices},
        },
    }


@role_required(MANAGER)
def rows(request: HttpRequest, key: str) -> HttpResponse:
    """The rows behind a figure or an overdue list: filterable, paged, exportable."""
    dataset = selectors.DATASETS.get(key)
    if dataset is None:
        raise Http404
    now = timezone.now()
    period = _period(request, now)
    subset = request.GET.get("subset", "")
    subset = subset if subset in dataset.subsets else ""
    q = request.GET.get("q", "").strip()[:100]
    person = _int(request.GET.get("person"))
    qs = selectors.dataset_rows(dataset, request.station, period, now, subset=subset, q=q, person=person)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return _export_rows(request, dataset, qs, period, fmt)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    tz = ZoneInfo(request.station.time_zone)
    table = [
        {"cells": [(c.get(r, tz), c.numeric) for c in dataset.columns], "link": dataset.link(r)}
        for r in page.object_list
    ]
    figures_here = [fig for fig in f.FIGURES.values() if fig.rows == key]
    context = {
        "dataset": dataset,
        "period": period,
        "page": page,
        "table": table,
        "subset": subset,
        "q": q,
        "person": person,
        "people": selectors.people(dataset, request.station),
        "kinds": periods.KINDS,
        "figures": figures_here,
        "filtered": bool(q or person or subset),
        "dashboard_url": _url("dashboard:index", period),
        "paging_query": urlencode({k: v for k, v in request.GET.items() if k not in ("page", "export")}),
    }
    return render(request, "dashboard/rows.html", context)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _export_rows(request, dataset: selectors.Dataset, qs, period: periods.Period, fmt: str) -> HttpResponse:
    tz = ZoneInfo(request.station.time_zone)
    table = exports.Table(
        title=str(dataset.title),
        headers=[str(c.label) for c in dataset.columns],
        rows=([c.get(r, tz) for c in dataset.columns] for r in qs[:EXPORT_LIMIT]),
    )
    name = f"{dataset.key}-{request.station.code}-{period.first:%Y%m%d}" if dataset.windowed else dataset.key
    return exports.response(fmt, [table], name)


def figure_tables(context: dict) -> list[exports.Table]:
    """The dashboard's tables as export tables: figures first, then per
    technician, per advisor, complaints by level, reminders."""
    figures = exports.Table(
        _("Figures"),
        [
            _("Group"),
            _("Figure"),
            _("This period"),
            _("Previous period"),
            _("Change"),
            _("Numerator"),
            _("Denominator"),
            _("Formula"),
        ],
        [
            [
                r.figure.group,
                r.figure.label,
                r.current.value,
                r.previous.value if r.previous else None,
                r.change,
                r.current.numerator,
                r.current.denominator,
                r.figure.formula,
            ]
            for r in context["results"]
        ],
    )
    technicians = exports.Table(
        _("Technicians"),
        [
            _("Technician"),
            _("Hours on duty"),
            _("Hours clocked"),
            _("Flat-rate hours sold"),
            _("Productivity %"),
            _("Efficiency %"),
            _("Proficiency %"),
            _("Comebacks"),
        ],
        [
            [
                t["name"],
                t["on_duty"],
                t["clocked"],
                t["sold"],
                t["productivity"],
                t["efficiency"],
                t["proficiency"],
                t["comebacks"],
            ]
            for t in context["technicians"]
        ],
    )
    advisors = exports.Table(
        _("Service advisors"),
        [
            _("Service advisor"),
            _("ROs opened"),
            _("Appointment share %"),
            _("Delivered"),
            _("On time %"),
            _("Satisfaction average"),
            _("Dissatisfied"),
        ],
        [
            [
                a["name"],
                a["opened"],
                a["appointment_share"],
                a["delivered"],
                a["on_time_rate"],
                a["average"],
                a["dissatisfied"],
            ]
            for a in context["advisors"]
        ],
    )
    levels = exports.Table(
        _("Complaints by level"),
        [_("Level"), _("Received in the period"), _("Open now"), _("Overdue now")],
        [[c["label"], c["received"], c["open"], c["overdue"]] for c in context["complaint_levels"]],
    )
    reminders = exports.Table(
        _("Reminder conversion"),
        [_("Rule or campaign"), _("Reminders"), _("Converted"), _("Conversion %")],
        [
            [r["label"], r["sent"], r["converted"], r["rate"]]
            for r in context["reminders"]["kinds"] + context["reminders"]["campaigns"]
        ],
    )
    return [figures, technicians, advisors, levels, reminders]


EXPORT_TABLES = ("figures", "technicians", "advisors", "complaints", "reminders")


@role_required(MANAGER)
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One table as CSV, or every table of the dashboard as one workbook."""
    if table not in EXPORT_TABLES or fmt not in ("csv", "xlsx"):
        raise Http404
    now = timezone.now()
    period = _period(request, now)
    context = selectors.dashboard_context(request.station, period, now)
    tables = figure_tables(context)
    chosen = tables[EXPORT_TABLES.index(table)]
    name = f"dashboard-{table}-{request.station.code}-{period.first:%Y%m%d}"
    if fmt == "csv":
        return exports.csv_response(chosen, name)
    return exports.xlsx_response([chosen, *(t for t in tables if t is not chosen)], name)


@role_required(MANAGER)
def monthly_review(request: HttpRequest) -> HttpResponse:
    """The month's review for the staff meeting, as a printable PDF."""
    now = timezone.now()
    period = _period(request, now)
    month = periods.Period.of("month", period.first, period.tz)
    pdf = monthly_review_pdf(request.station, month, now, base_url=request.build_absolute_uri("/"))
    return pdf_response(pdf, f"review-{request.station.code}-{month.first:%Y-%m}.pdf")


@role_required(MANAGER)
def audit_history(request: HttpRequest) -> HttpResponse:
    """审计记录: who changed which price, consent, invoice or complaint level, and how."""
    filters = audit.Filters.parse(request.GET)
    page, entries = audit.audit_page(request.station, filters, request.GET.get("page"), settings.PAGE_SIZE)
    context = {"page": page, "entries": entries, "filters": filters, "kinds": audit.KINDS}
    return render(request, "dashboard/audit.html", context)
