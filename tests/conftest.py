"""Named actors for the tests: two stations and their staff.

Also the guard that makes CI honest: with REQUIRE_POSTGRES, REQUIRE_REDIS or
REQUIRE_BROWSER set (`.ci/run` sets all three), a test marked `postgres`,
`redis` or `browser` that was skipped fails the run instead of passing
silently, and the summary says how many of each actually ran.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from django.test import RequestFactory

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
        # Sign-in lockout (axes) checks every authentication against a request.
        request = RequestFactory().post("/login/")
        assert client.login(request=request, username=staff.user.username, password=PASSWORD)
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


# --- required real parts --------------------------------------------------------

REQUIRED_MARKERS = {"postgres": "REQUIRE_POSTGRES", "redis": "REQUIRE_REDIS", "browser": "REQUIRE_BROWSER"}
_outcomes: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Runs on the xdist controller too, so the counts cover every worker.
    if report.when == "call" or (report.when == "setup" and report.skipped):
        for marker in REQUIRED_MARKERS:
            if marker in report.keywords:
                _outcomes[(marker, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    lines = [
        f"{marker}: {_outcomes[(marker, 'passed')]} passed, {_outcomes[(marker, 'failed')]} failed, "
        f"{_outcomes[(marker, 'skipped')]} skipped"
        for marker in REQUIRED_MARKERS
    ]
    terminalreporter.write_sep("-", "tests on real parts")
    for line in lines:
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller decides
    for marker, variable in REQUIRED_MARKERS.items():
        if os.environ.get(variable) and _outcomes[(marker, "skipped")]:
            print(f"\n{variable} is set but {_outcomes[(marker, 'skipped')]} `{marker}` test(s) were skipped.")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
