"""Who may open which page: sign-in everywhere, roles per page, and another
station's records answer 404 as if they did not exist."""

import re

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dealers.models import Role
from tests.factories import CustomerFactory, UserFactory, VehicleFactory

# The roles that meet the customer or their file, and those that change it.
# Written out here rather than imported, so that a change to the access rules
# in the code shows up as a failing test.
READERS = {
    Role.SERVICE_ADVISOR,
    Role.SPECIALIST,
    Role.SERVICE_MANAGER,
    Role.CASHIER,
    Role.DISPATCHER,
    Role.CALL_CENTER,
}
EDITORS = {Role.SERVICE_ADVISOR, Role.SPECIALIST, Role.SERVICE_MANAGER}

# (URL name, what it is about, who may open it)
OBJECT_PAGES = [
    ("customers:detail", "customer", READERS),
    ("customers:edit", "customer", EDITORS),
    ("customers:vehicle_create", "customer", EDITORS),
    ("customers:vehicle", "vehicle", READERS),
    ("customers:vehicle_edit", "vehicle", EDITORS),
    ("customers:odometer_add", "vehicle", READERS),
    ("customers:vehicle_transfer", "vehicle", EDITORS),
]
STATION_PAGES = [("customers:lookup", READERS), ("customers:create", EDITORS)]

MATRIX = [(name, kind, allowed, role) for name, kind, allowed in OBJECT_PAGES for role in Role.values]


def url_of(name: str, kind: str, station) -> str:
    customer = CustomerFactory(dealer=station)
    target = customer if kind == "customer" else VehicleFactory(owner=customer)
    return reverse(name, args=[target.pk])


@pytest.mark.parametrize(("name", "kind", "allowed", "role"), MATRIX, ids=[f"{m[0]}-{m[3]}" for m in MATRIX])
def test_a_file_page_opens_for_its_roles_at_their_station_only(
    client, station, other_station, staff_of, name, kind, allowed, role
):
    client.force_login(staff_of(role, station).user)
    own, theirs = url_of(name, kind, station), url_of(name, kind, other_station)
    if role in allowed:
        assert client.get(own).status_code == 200
        assert client.get(theirs).status_code == 404
    else:
        assert client.get(own).status_code == 403
        assert client.get(theirs).status_code == 403


STATION_MATRIX = [(name, allowed, role) for name, allowed in STATION_PAGES for role in Role.values]


@pytest.mark.parametrize(("name", "allowed", "role"), STATION_MATRIX, ids=[f"{m[0]}-{m[2]}" for m in STATION_MATRIX])
def test_a_station_page_opens_for_its_roles_only(client, station, staff_of, name, allowed, role):
    client.force_login(staff_of(role, station).user)
    assert client.get(reverse(name)).status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("name", ["customers:edit", "customers:vehicle_edit", "customers:vehicle_transfer"])
def test_a_post_to_another_stations_record_changes_nothing(client, advisor, other_station, name):
    customer = CustomerFactory(dealer=other_station, name="外站客户", phone="13700001111")
    vehicle = VehicleFactory(owner=customer)
    target = customer if name == "customers:edit" else vehicle
    client.force_login(advisor.user)
    response = client.post(reverse(name, args=[target.pk]), {"name": "改名", "phone": "13800138000"})
    assert response.status_code == 404
    customer.refresh_from_db()
    assert (customer.name, customer.phone) == ("外站客户", "13700001111")


def test_an_odometer_post_to_another_stations_vehicle_writes_nothing(client, advisor, other_station):
    vehicle = VehicleFactory(owner__dealer=other_station)
    client.force_login(advisor.user)
    response = client.post(
        reverse("customers:odometer_add", args=[vehicle.pk]), {"km": 5, "read_on": "2026-01-01", "source": "customer"}
    )
    assert response.status_code == 404
    assert not vehicle.odometer_readings.exists()


@pytest.mark.parametrize(("name", "kind"), [(n, k) for n, k, _ in OBJECT_PAGES])
def test_a_file_page_sends_an_anonymous_visitor_to_sign_in(client, station, name, kind):
    url = url_of(name, kind, station)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_a_staff_member_without_a_station_is_refused(client, staff_of):
    client.force_login(staff_of(Role.SERVICE_ADVISOR).user)
    assert client.get(reverse("customers:lookup")).status_code == 403


# Every page asks for sign-in

PUBLIC = {"login", "logout", "healthz", "ping", "api-schema", "workshop:approve"}
# The admin has its own sign-in; the customer's approval link, self-booking pages and their
# API are public by design (signed links and rate limits guard them).
PUBLIC_PREFIXES = ("admin/", "i18n/", "book/", "api/")


def named_routes(resolver=None, prefix="", namespace=""):
    """Every named URL pattern as (name, route), walked from the root URLconf."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_routes(entry, route, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", route


def sample_path(route: str) -> str:
    """A concrete path for a route: 1 for every number, `x` for every slug."""
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:slug|str):\w+>", "x", path)
    assert "<" not in path and "^" not in path, route
    return "/" + path


PRIVATE_ROUTES = [
    (name, route) for name, route in named_routes() if name not in PUBLIC and not route.startswith(PUBLIC_PREFIXES)
]


def test_the_walk_finds_the_pages_of_every_area():
    names = {name for name, _ in PRIVATE_ROUTES}
    assert {"home", "station_switch", "customers:lookup", "appointments:book", "dashboard:index"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(("name", "route"), PRIVATE_ROUTES, ids=[n for n, _ in PRIVATE_ROUTES])
def test_every_page_sends_an_anonymous_visitor_to_sign_in(client, db, name, route):
    path = sample_path(route)
    response = client.get(path)
    assert response.status_code == 302, f"{name} answered {response.status_code} without sign-in"
    assert response["Location"].startswith(f"{reverse(settings.LOGIN_URL)}?next="), name


# Landing after sign-in


@pytest.mark.parametrize(
    ("actor", "landing"),
    [
        ("advisor", "reception:arrivals"),
        ("dispatcher", "workshop:board"),
        ("manager", "dashboard:index"),
        ("specialist", "followup:calls"),
        ("technician", "workshop:my_jobs"),
        ("parts_clerk", "reception:parts"),
        ("cashier", "reception:cashier"),
        ("call_center_agent", "complaints:intake"),
    ],
)
def test_each_role_lands_on_its_own_page_after_signing_in(client, request, actor, landing):
    staff = request.getfixturevalue(actor)
    response = client.post(reverse("login"), {"username": staff.user.username, "password": "test-pass-123"})
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home["Location"] == reverse(landing)
    assert client.get(home["Location"]).status_code == 200


def test_an_advisor_who_is_also_a_manager_lands_on_the_front_desk(client, station, staff_of):
    staff = staff_of(Role.SERVICE_MANAGER, station)
    staff.roles.create(role=Role.SERVICE_ADVISOR)
    client.force_login(staff.user)
    assert client.get(reverse("home"))["Location"] == reverse("reception:arrivals")


def test_a_login_without_a_staff_record_gets_the_no_role_page(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "您的账号尚未分配岗位或服务站" in response.content.decode()
    assert client.get(reverse("customers:lookup")).status_code == 403


def test_a_staff_member_without_a_station_gets_the_no_role_page(client, staff_of):
    client.force_login(staff_of(Role.SERVICE_ADVISOR).user)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "您的账号尚未分配岗位或服务站" in response.content.decode()


# Station switcher


@pytest.fixture
def customers_of_both(station, other_station):
    CustomerFactory(dealer=station, name="北京客户")
    CustomerFactory(dealer=other_station, name="上海客户")


def front_desk(client) -> str:
    return client.get(reverse("customers:lookup")).content.decode()


def test_a_two_station_advisor_starts_at_the_first_station(client, two_station_advisor, customers_of_both):
    client.force_login(two_station_advisor.user)
    page = front_desk(client)
    assert "北京客户" in page
    assert "上海客户" not in page
    assert 'data-testid="station-switcher"' in page


def test_switching_station_shows_the_other_stations_customers(
    client, two_station_advisor, other_station, customers_of_both
):
    client.force_login(two_station_advisor.user)
    lookup = reverse("customers:lookup")
    response = client.post(reverse("station_switch"), {"station": other_station.pk, "next": lookup})
    assert response["Location"] == lookup
    page = front_desk(client)
    assert "上海客户" in page
    assert "北京客户" not in page


def test_switching_to_a_station_one_does_not_belong_to_is_ignored(client, advisor, other_station, customers_of_both):
    client.force_login(advisor.user)
    client.post(reverse("station_switch"), {"station": other_station.pk})
    page = front_desk(client)
    assert "北京客户" in page
    assert "上海客户" not in page


def test_switching_does_not_follow_a_next_address_on_another_site(client, two_station_advisor, other_station):
    client.force_login(two_station_advisor.user)
    response = client.post(reverse("station_switch"), {"station": other_station.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_station_switch_refuses_a_get(client, two_station_advisor):
    client.force_login(two_station_advisor.user)
    assert client.get(reverse("station_switch")).status_code == 405


def test_a_two_station_advisor_opens_a_file_of_either_station_but_no_third(
    client, two_station_advisor, station, other_station
):
    third = CustomerFactory(dealer__code="gz01", name="广州客户")
    client.force_login(two_station_advisor.user)
    for customer in (CustomerFactory(dealer=station), CustomerFactory(dealer=other_station)):
        assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    assert client.get(reverse("customers:detail", args=[third.pk])).status_code == 404


@pytest.mark.django_db
def test_a_page_refreshing_itself_after_sign_out_sends_the_whole_screen_to_sign_in(client):
    """A board polls with htmx; once the session has ended, the sign-in form
    must replace the page, not be swapped into the list."""
    board = reverse("appointments:welcome_board")
    response = client.get(board, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{board}")
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse(settings.LOGIN_URL)}?next={board}"
    assert response.content == b""
