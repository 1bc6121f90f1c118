"""What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE).

After settings.AXES_FAILURE_LIMIT wrong passwords for one user name from one
address, axes refuses that pair for settings.AXES_COOLOFF_TIME, even with the
right password. The person gets the sign-in page again, with a message in
their language saying how long to wait, instead of axes' bare English text.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-ins: this user name is locked on this computer for %(minutes)s minutes. "
        "Please try again later, or ask the service manager to unlock it."
    ) % {"minutes": minutes}


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The sign-in page with the lockout message, status 429 (too many requests)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username[:150]}),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "locked": lockout_message(),
    }
    return render(request, "registration/login.html", context, status=429)
