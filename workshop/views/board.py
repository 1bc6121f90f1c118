"""The dispatch board (维修进度看板) on the dispatcher's tablet: every car in
the workshop by column, refreshing itself every 10 seconds; a card moves
between workshop states in two taps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from dealers.access import role_required, roles_of
from dealers.models import BayType, Dealer, Role, StaffMember
from reception.models import RepairOrder
from workshop.board import BOARD_STATES, Column, board_columns
from workshop.dispatch import repair_order_move

ACTORS = (Role.DISPATCHER, Role.SERVICE_MANAGER)
READERS = (*ACTORS, Role.SERVICE_ADVISOR)
REFRESH_SECONDS = 10


def _technicians(station: Dealer) -> list[StaffMember]:
    return list(StaffMember.objects.filter(dealers=station, roles__role=Role.TECHNICIAN).order_by("display_name"))


def _filters(data, technicians: list[StaffMember]) -> dict[str, object]:
    bay_type = data.get("bay_type", "")
    technician = data.get("technician", "")
    technician_id = int(technician) if technician.isdigit() else None
    return {
        "bay_type": bay_type if bay_type in BayType.values else "",
        "technician_id": technician_id if any(t.pk == technician_id for t in technicians) else None,
    }


def _query(filters: dict[str, object]) -> str:
    pairs = {"bay_type": filters["bay_type"], "technician": filters["technician_id"] or ""}
    return urlencode({key: value for key, value in pairs.items() if value})


def pk_url(name: str) -> Callable[[int], str]:
    """The URL of a route taking one pk, for many pks: reversed once, the pk
    then put in place (a board of 300 cards would reverse a thousand times)."""
    marker = 2_147_483_647
    head, tail = reverse(name, args=[marker]).rsplit(str(marker), 1)
    return lambda pk: f"{head}{pk}{tail}"


def card_links(columns: list[Column], now: dt.datetime) -> None:
    """Each card's links and promised time as shown (the time alone when it
    is today, in the current time zone, as the date filter would)."""
    dispatch, order, move = pk_url("workshop:dispatch"), pk_url("reception:order"), pk_url("workshop:board_move")
    today = f"{timezone.localtime(now):%Y%m%d}"
    for column in columns:
        for card in column.cards:
            pk = card.order.pk
            card.links = {"dispatch": dispatch(pk), "order": order(pk), "move": move(pk)}
            promised = card.order.promised_at
            if promised is not None:
                local = timezone.localtime(promised)
                card.promised_label = f"{local:%H:%M}" if f"{local:%Y%m%d}" == today else f"{local:%m-%d %H:%M}"


def _render(request: HttpRequest, *, fragment: bool, data, error: str = "", status: int = 200) -> HttpResponse:
    station = request.station
    technicians = _technicians(station)
    filters = _filters(data, technicians)
    now = timezone.now()
    columns = board_columns(station, now, bay_type=filters["bay_type"], technician_id=filters["technician_id"])
    card_links(columns, now)
    context = {
        "columns": columns,
        "total": sum(column.count for column in columns),
        "now": now,
        "filters": filters,
        "query": _query(filters),
        "technicians": technicians,
        "bay_types": BayType.choices,
        "can_act": bool(roles_of(request.user).intersection(ACTORS)),
        "refresh_seconds": REFRESH_SECONDS,
        "error": error,
    }
    template = "workshop/board.html" + ("#cards" if fragment else "")
    return render(request, template, context, status=status)


@role_required(*READERS)
def board(request: HttpRequest) -> HttpResponse:
    fragment = bool(request.htmx) and request.GET.get("part") == "cards"
    return _render(request, fragment=fragment, data=request.GET)


@role_required(*ACTORS)
@require_POST
def board_move(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(RepairOrder.objects.for_station(request.station).filter(status__in=BOARD_STATES), pk=pk)
    error = ""
    try:
        repair_order_move(
            repair_order=order,
            to=request.POST.get("to", ""),
            seen_status=request.POST.get("seen", ""),
            by=request.user,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return _render(request, fragment=True, data=request.POST, error=error)
    if error:
        messages.error(request, error)
    query = _query(_filters(request.POST, _technicians(request.station)))
    return redirect(reverse("workshop:board") + (f"?{query}" if query else ""))


urlpatterns = [
    path("board/", board, name="board"),
    path("board/<int:pk>/move/", board_move, name="board_move"),
]
