"""The three work lists a booking lands on (the copies of the four-copy
registration form): the service advisor's, the parts department's and the
workshop's, one day at a time; and the welcome board at the entrance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import capacity, selectors
from appointments import preparation as prep_services
from appointments.forms import WorkListForm
from appointments.models import ACTIVE, ReservationState
from dealers.access import role_required, roles_of
from dealers.models import SKILL_GRADES, BayType, Role


@dataclass(frozen=True)
class WorkList:
    kind: str
    title: str
    icon: str
    roles: tuple[str, ...]


WORK_LISTS = {
    "advisor": WorkList(
        "advisor", _("Advisor's work list"), "bi-person-badge", (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
    ),
    "parts": WorkList("parts", _("Parts work list"), "bi-box-seam", (Role.PARTS_CLERK, Role.SERVICE_MANAGER)),
    "workshop": WorkList("workshop", _("Workshop work list"), "bi-tools", (Role.DISPATCHER, Role.SERVICE_MANAGER)),
}
ANY_WORK_LIST = tuple({role for wl in WORK_LISTS.values() for role in wl.roles})
GRADE_LABELS = dict(SKILL_GRADES)


def _query(request: HttpRequest, kind: str) -> dict:
    """The filter as submitted, with the advisor's own list as their default."""
    query = request.GET.copy()
    if not query.get("day"):
        query["day"] = timezone.localdate().isoformat()  # shown in the picker, never a guess
    if kind == "advisor" and "advisor" not in query:
        staff = getattr(request.user, "staff", None)
        mine = staff is not None and Role.SERVICE_ADVISOR in roles_of(request.user)
        query["advisor"] = str(staff.pk) if mine else "all"
    return query


def _filtered(request: HttpRequest, kind: str, form: WorkListForm, day: dt.date):
    qs = selectors.work_list(request.station, day, kind)
    if not form.is_valid():
        return qs
    data = form.cleaned_data
    if kind == "advisor" and data["advisor"] not in ("", "all"):
        qs = qs.filter(advisor_id=data["advisor"])
    if kind == "parts" and data["open_only"]:
        qs = qs.filter(
            preparation__reservations__state__in=[ReservationState.NEEDED, ReservationState.SHORTAGE]
        ).distinct()
    if kind == "workshop" and data["job_type"]:
        qs = qs.filter(job_type=data["job_type"])
    return selectors.appointment_search(qs, data["q"])


def _annotate_rows(kind: str, rows: list) -> None:
    """Per-row values the template shows: parts availability, bay types."""
    if kind == "parts":
        reservations = [r for a in rows for r in _reservations(a)]
        held = prep_services.held_quantities({r.part_id for r in reservations})
        for r in reservations:
            r.available = r.part.stock_on_hand - held.get(r.part_id, 0)
        for a in rows:
            a.parts = _reservations(a)
            a.short = any(r.state == ReservationState.SHORTAGE for r in a.parts)
    elif kind == "workshop":
        for a in rows:
            a.bay_types = [BayType(b).label for b in sorted(capacity.BAYS_FOR_JOB.get(a.job_type, ()))]
            a.grade_label = GRADE_LABELS.get(a.skill_grade, a.skill_grade)


def _reservations(appointment) -> list:
    # A missing checklist raises an AttributeError subclass: getattr's default.
    preparation = getattr(appointment, "preparation", None)
    return list(preparation.reservations.all()) if preparation else []


@role_required(*ANY_WORK_LIST)
def work_list(request: HttpRequest, kind: str) -> HttpResponse:
    """One department's appointments of a day (today by default)."""
    wl = WORK_LISTS.get(kind)
    if wl is None:
        raise Http404
    if not roles_of(request.user).intersection(wl.roles):
        raise PermissionDenied
    form = WorkListForm(_query(request, kind), station=request.station, kind=kind)
    day = form.day_or_today()
    page = Paginator(_filtered(request, kind, form, day), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _annotate_rows(kind, rows)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "work_list": wl,
        "lists": [w for w in WORK_LISTS.values() if roles_of(request.user).intersection(w.roles)],
        "form": form,
        "day": day,
        "today": timezone.localdate(),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "can_open_board": bool(roles_of(request.user).intersection(BOARD_ROLES)),
        "filtered": form.is_valid() and bool(form.cleaned_data["q"] or form.cleaned_data["open_only"]),
    }
    return render(request, "appointments/work_list.html", context)


# Who stands at the entrance or looks after it: reception and its managers.
BOARD_ROLES = (Role.SERVICE_ADVISOR, Role.SPECIALIST, Role.SERVICE_MANAGER)
# Rows per day a screen holds at a size read from the entrance; the rest is counted.
BOARD_ROWS = 8


def _board_rows(rows: list) -> list:
    """What fits on the screen: customers still expected come first; those
    already here fill the remaining room, the latest arrivals kept."""
    if len(rows) <= BOARD_ROWS:
        return rows
    expected = [a for a in rows if a.status in ACTIVE][:BOARD_ROWS]
    room = BOARD_ROWS - len(expected)
    here = [a for a in rows if a.status not in ACTIVE][-room:] if room else []
    return sorted(expected + here, key=lambda a: (a.arrives_at, a.pk))


@role_required(*BOARD_ROLES)
def welcome_board(request: HttpRequest) -> HttpResponse:
    """预约客户欢迎看板: today's and tomorrow's expected customers, for the
    screen at the reception entrance; htmx refreshes the list every 30 s."""
    now = timezone.localtime(timezone.now(), ZoneInfo(request.station.time_zone))
    today = now.date()
    tomorrow = today + dt.timedelta(days=1)
    days: dict[dt.date, list] = {today: [], tomorrow: []}
    for appointment in selectors.welcome_board(request.station, today):
        day = timezone.localtime(appointment.arrives_at, now.tzinfo).date()
        days.setdefault(day, []).append(appointment)
    columns = []
    for day, rows in days.items():
        shown = _board_rows(rows)
        columns.append({"day": day, "is_today": day == today, "rows": shown, "more": len(rows) - len(shown)})
    template = "appointments/welcome_board.html"
    if request.htmx:
        template += "#board"
    return render(request, template, {"columns": columns, "now": now, "station": request.station})
