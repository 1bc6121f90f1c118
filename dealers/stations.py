"""Station scoping: the one place that decides which rows a user may see.

Every business row carries its dealer (station). Lists and searches show the
current station's rows; a detail page opens any row of the user's stations and
answers 404 otherwise, so another station's records are never revealed.
"""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest

from dealers.models import Dealer

SESSION_KEY = "station_id"


def stations_of(user) -> list[Dealer]:
    return list(Dealer.objects.for_user(user).order_by("code"))


def current_station(request: HttpRequest) -> Dealer | None:
    stations = request.stations
    if not stations:
        return None
    chosen = request.session.get(SESSION_KEY)
    for station in stations:
        if station.pk == chosen:
            return station
    return stations[0]


def switch_station(request: HttpRequest, station_id: int) -> bool:
    if any(s.pk == station_id for s in request.stations):
        request.session[SESSION_KEY] = station_id
        return True
    return False


class StationScopedQuerySet(models.QuerySet):
    """Base queryset for every model that carries a `dealer`."""

    def for_station(self, station: Dealer | None):
        return self.filter(dealer=station) if station else self.none()

    def visible_to(self, request: HttpRequest):
        return self.filter(dealer__in=[s.pk for s in request.stations])
