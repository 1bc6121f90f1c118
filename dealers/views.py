from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dealers.access import role_required
from dealers.stations import switch_station


def coming_page(title: str, purpose: str, *roles: str):
    """A page of a later step of the process that is reachable from the
    navigation already: it names the step and what it will hold."""

    @role_required(*roles)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "dealers/coming.html", {"title": title, "purpose": purpose})

    return view


@role_required()
@require_POST
def station_switch(request: HttpRequest) -> HttpResponse:
    try:
        station_id = int(request.POST.get("station", ""))
    except ValueError:
        station_id = 0
    switch_station(request, station_id)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return HttpResponseRedirect(target)
