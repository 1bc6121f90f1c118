from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

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


class LanguageMiddleware:
    """Simplified Chinese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a
    dealership's shared front-desk and workshop machines often run English
    browsers, and the product's default language is Chinese.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
