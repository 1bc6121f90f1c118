from dealers.models import Role


def station(request):
    """Station, stations and roles for the base layout (navigation, switcher)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    staff = getattr(user, "staff", None)
    roles = staff.role_set if staff else frozenset(Role.values) if user.is_superuser else frozenset()
    return {
        "station": request.station,
        "stations": request.stations,
        "staff_member": staff,
        "my_roles": roles,
        "Role": Role,
        # The manager (or anyone with several roles) has more pages than a
        # 1366 px bar holds with labels: below 1400 px their links show icons.
        "nav_label_class": "d-xl-none d-xxl-inline" if Role.SERVICE_MANAGER in roles or len(roles) > 1 else "",
    }
