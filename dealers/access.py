"""Who may open which page: sign-in, role and station checks in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

from dealers.models import Role


def roles_of(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(Role.values)
    staff = getattr(user, "staff", None)
    return staff.role_set if staff else frozenset()


def role_required(*roles: str) -> Callable:
    """Require sign-in, one of `roles` and at least one station.

    With no roles given, any staff role will do. A signed-out htmx request
    (a board refreshing itself after the session ended) sends the whole page
    to the sign-in form instead of swapping the form into a fragment.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    page = request.htmx.current_url_abs_path or request.get_full_path()
                    return HttpResponseClientRedirect(redirect_to_login(page)["Location"])
                return redirect_to_login(request.get_full_path())
            have = roles_of(request.user)
            if not have or (roles and not have.intersection(roles)) or request.station is None:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator


# Pages of the front desk: whoever meets the customer or their file.
FRONT_DESK_ROLES = (
    Role.SERVICE_ADVISOR,
    Role.SPECIALIST,
    Role.SERVICE_MANAGER,
    Role.CASHIER,
    Role.DISPATCHER,
    Role.CALL_CENTER,
)
# Who may create or change customer and vehicle files.
FILE_EDITOR_ROLES = (Role.SERVICE_ADVISOR, Role.SPECIALIST, Role.SERVICE_MANAGER)

# Where each role lands after sign-in, most specific first.
LANDING = [
    (Role.SERVICE_ADVISOR, "reception:arrivals"),
    (Role.DISPATCHER, "workshop:board"),
    (Role.SERVICE_MANAGER, "dashboard:index"),
    (Role.SPECIALIST, "followup:calls"),
    (Role.CALL_CENTER, "complaints:intake"),
    (Role.TECHNICIAN, "workshop:my_jobs"),
    (Role.PARTS_CLERK, "reception:parts"),
    (Role.CASHIER, "reception:cashier"),
]


def landing_url_name(user) -> str | None:
    have = roles_of(user)
    for role, url_name in LANDING:
        if role in have:
            return url_name
    return None
