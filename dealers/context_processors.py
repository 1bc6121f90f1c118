from dealers.models import Role


def station(request):
    """Station, stations and roles for the base layout (navigation, switcher)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    staff = getattr(user, "staff", None)
    return {
        "station": request.station,
        "stations": request.stations,
        "staff_member": staff,
        "my_roles": staff.role_set if staff else frozenset(Role.values) if user.is_superuser else frozenset(),
        "Role": Role,
    }
