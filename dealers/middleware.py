from __future__ import annotations

from dealers.models import StaffMember
from dealers.stations import current_station, stations_of


class StationMiddleware:
    """Puts the signed-in staff member, their stations and the current station
    on the request (`request.stations`, `request.station`).

    Two small queries per signed-in request, none for anonymous ones; pages
    then read roles and stations without asking the database again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.stations, request.station = [], None
        if user.is_authenticated:
            user.staff = StaffMember.objects.prefetch_related("roles").filter(user=user).first()
            request.stations = stations_of(user)
            request.station = current_station(request)
        return self.get_response(request)
