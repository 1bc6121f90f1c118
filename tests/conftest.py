"""Named actors for the tests: two stations and their staff."""

from __future__ import annotations

import pytest

from dealers.models import Role
from tests.factories import PASSWORD, DealerFactory, StaffFactory


@pytest.fixture
def station(db):
    return DealerFactory(code="bj01", name="北京朝阳服务站")


@pytest.fixture
def other_station(db):
    return DealerFactory(code="sh01", name="上海浦东服务站")


def _staff(username: str, role: str, *stations):
    return StaffFactory(user__username=username, display_name=username, roles=[role], dealers=list(stations))


@pytest.fixture
def advisor(station):
    return _staff("advisor", Role.SERVICE_ADVISOR, station)


@pytest.fixture
def dispatcher(station):
    return _staff("dispatcher", Role.DISPATCHER, station)


@pytest.fixture
def technician(station):
    staff = _staff("technician", Role.TECHNICIAN, station)
    staff.skill_grade = 2
    staff.save()
    return staff


@pytest.fixture
def specialist(station):
    return _staff("specialist", Role.SPECIALIST, station)


@pytest.fixture
def manager(station):
    return _staff("manager", Role.SERVICE_MANAGER, station)


@pytest.fixture
def other_advisor(other_station):
    """An advisor of another station: must never see `station`'s rows."""
    return _staff("other_advisor", Role.SERVICE_ADVISOR, other_station)


@pytest.fixture
def login(client):
    def _login(staff):
        assert client.login(username=staff.user.username, password=PASSWORD)
        return client

    return _login


@pytest.fixture
def cashier(station):
    return _staff("cashier", Role.CASHIER, station)


@pytest.fixture
def parts_clerk(station):
    return _staff("parts_clerk", Role.PARTS_CLERK, station)


@pytest.fixture
def call_center_agent(station):
    return _staff("call_center_agent", Role.CALL_CENTER, station)


@pytest.fixture
def two_station_advisor(station, other_station):
    """An advisor who covers both stations and switches between them."""
    return _staff("two_station_advisor", Role.SERVICE_ADVISOR, station, other_station)


@pytest.fixture
def staff_of(db):
    """`staff_of(role, station, ...)`: one person with that role, for role matrices."""

    def _make(role: str, *stations):
        return _staff(f"{role}_{'_'.join(s.code for s in stations)}", role, *stations)

    return _make
