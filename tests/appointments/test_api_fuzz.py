"""The public JSON API fuzzed against its own OpenAPI schema (schemathesis):
no server error and no answer the schema does not describe (status code,
content type, body), whatever a client sends.

Each operation gets inputs the schema allows and inputs it forbids, both for
an unknown station or token and for the real ones, plus near-valid requests
(a known car, a real service, odd arrival times and texts) that reach the
booking rules. Examples are bounded and derandomized so that CI is
reproducible; the throttles' counters are cleared before each example, the
throttled answer itself is covered by the plain tests at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from appointments import api, public
from dealer_service.wsgi import application
from tests.appointments.public_fixtures import PHONE, _fresh_rate_limits, at, iso, next_open_day  # noqa: F401

# Loaded through the WSGI app at collection: the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
OPERATIONS = {result.ok().label: result.ok() for result in schema.get_all_operations()}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 40  # per operation; about 60 s for the six operations on SQLite

TIMEZONES = st.sampled_from(
    [dt.UTC, ZoneInfo("Asia/Shanghai"), dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12))]
)
# Arrival times a client could send: the coming weeks' slots and the hours
# around them, instants far and near with any offset, text that only looks
# like one.
SLOT_TIMES = st.builds(
    lambda days, hh, mm, tz: at(next_open_day(days), hh, mm).astimezone(tz).isoformat(),
    st.integers(0, 21),
    st.integers(6, 19),
    st.sampled_from([0, 30, 45]),
    TIMEZONES,
)
ARRIVALS = st.one_of(
    SLOT_TIMES,
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=TIMEZONES).map(
        dt.datetime.isoformat
    ),
    st.sampled_from(["", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-02-30T09:00:00+08:00"]),
    st.text(max_size=40),
)
TEXTS = st.one_of(st.just(""), st.text(max_size=60))


def _near_valid_booking(code: str) -> st.SearchStrategy:
    """A known car and a real service: the booking rules, not the fields, decide."""
    bodies = st.fixed_dictionaries(
        {
            "plate": st.just("京A12345"),
            "phone": st.just(PHONE),
            "operations": st.just(["M001"]),
            "arrives_at": ARRIVALS,
        },
        optional={"request": TEXTS, "name": TEXTS, "make": TEXTS, "model": TEXTS, "vin": TEXTS},
    )
    operation = OPERATIONS["POST /api/stations/{code}/bookings/"]
    return bodies.map(
        lambda body: operation.Case(path_parameters={"code": code}, body=body, media_type="application/json")
    )


def _near_valid_slots(code: str) -> st.SearchStrategy:
    queries = st.fixed_dictionaries(
        {"operations": st.just("M001")},
        optional={
            "wished_day": st.one_of(st.dates().map(dt.date.isoformat), st.text(max_size=12)),
            "part_of_day": st.sampled_from(["", "morning", "afternoon", "evening", "晚上"]),
        },
    )
    operation = OPERATIONS["GET /api/stations/{code}/slots/"]
    return queries.map(lambda query: operation.Case(path_parameters={"code": code}, query=query))


def _near_valid_move(token: str) -> st.SearchStrategy:
    operation = OPERATIONS["POST /api/bookings/{token}/move/"]
    return ARRIVALS.map(
        lambda when: operation.Case(
            path_parameters={"token": token}, body={"arrives_at": when}, media_type="application/json"
        )
    )


def _strategy(label: str, code: str, token: str) -> st.SearchStrategy:
    """Schema-driven cases (random and real path values; inputs the schema
    forbids only in the query and body, as a path outside the URL pattern
    never reaches the API) plus the near-valid ones."""
    operation = OPERATIONS[label]
    real = {"code": code} if "{code}" in operation.path else {"token": token}
    strategies = [
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=real),
    ]
    if operation.query or operation.body:
        strategies.append(operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=real))
    near_valid = {
        "POST /api/stations/{code}/bookings/": lambda: _near_valid_booking(code),
        "GET /api/stations/{code}/slots/": lambda: _near_valid_slots(code),
        "POST /api/bookings/{token}/move/": lambda: _near_valid_move(token),
    }
    if label in near_valid:
        strategies.insert(0, near_valid[label]())
    return st.one_of(strategies)


@pytest.fixture
def _wsgi_in_test_transaction() -> Iterator[None]:
    """Calls through the WSGI app must not close the test's connection at the
    end of each request (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def booking_token(client, open_workshop, oil_change, known_car) -> str:
    body = {
        "plate": known_car.plate,
        "phone": PHONE,
        "operations": ["M001"],
        "arrives_at": iso(at(next_open_day(2), 9)),
    }
    response = client.post(
        reverse("api:bookings", kwargs={"code": open_workshop.code}), body, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_every_operation_is_fuzzed():
    assert sorted(OPERATIONS) == [
        "GET /api/bookings/{token}/",
        "GET /api/stations/{code}/services/",
        "GET /api/stations/{code}/slots/",
        "POST /api/bookings/{token}/cancel/",
        "POST /api/bookings/{token}/move/",
        "POST /api/stations/{code}/bookings/",
    ]


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_api_keeps_to_its_schema(label, open_workshop, booking_token, _wsgi_in_test_transaction):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=_strategy(label, open_workshop.code, booking_token))
    def check(case: schemathesis.Case) -> None:
        cache.clear()  # the throttles' counters
        case.call_and_validate(checks=CHECKS)

    check()


# --- the bugs the fuzzing found, one plain test each ---------------------------------


def call(label: str, **request) -> schemathesis.Response:
    """One request through the WSGI app, checked against the schema like the fuzzing does."""
    cache.clear()
    return OPERATIONS[label].Case(**request).call_and_validate(checks=CHECKS)


@pytest.mark.parametrize(
    "label",
    ["GET /api/stations/{code}/services/", "GET /api/stations/{code}/slots/", "POST /api/stations/{code}/bookings/"],
)
def test_an_unknown_station_is_a_documented_refusal(label, db, _wsgi_in_test_transaction):
    """Was a 404 the schema did not list, with DRF's bare {"detail"} body."""
    response = call(label, path_parameters={"code": "nope"}, media_type="application/json", body={})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["alternatives"] == []


@pytest.mark.parametrize("expired", [False, True])
def test_a_bad_or_expired_link_is_refused_in_the_documented_shape(booking_token, expired, _wsgi_in_test_transaction):
    """Was {"detail", "code"} only, while the schema promised errors and alternatives too."""
    token = booking_token + "x"
    if expired:
        token = public.link_token(
            public.appointment_from_link(booking_token), expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        )
    response = call("GET /api/bookings/{token}/", path_parameters={"token": token})
    assert response.status_code == (410 if expired else 400)
    assert response.json()["code"] == ("expired" if expired else "invalid_link")
    assert response.json()["errors"] == {}


@pytest.mark.parametrize(
    ("label", "request_"),
    [
        ("GET /api/stations/{code}/slots/", {"query": {"operations": "M001", "wished_day": "31.02."}}),
        ("GET /api/stations/{code}/slots/", {"query": {"operations": "X" * 21}}),
        ("POST /api/stations/{code}/bookings/", {"body": {"plate": "", "phone": "1", "arrives_at": "soon"}}),
    ],
    ids=["bad-date", "code-too-long", "bad-fields"],
)
def test_field_errors_are_documented(open_workshop, oil_change, label, request_, _wsgi_in_test_transaction):
    """Were 400s in DRF's {field: [messages]} shape, which the schema's 400 did not allow."""
    response = call(label, path_parameters={"code": open_workshop.code}, media_type="application/json", **request_)
    assert response.status_code == 400 and "detail" not in response.json()


@pytest.mark.parametrize("label", ["POST /api/stations/{code}/bookings/", "POST /api/bookings/{token}/move/"])
def test_an_unreadable_body_is_refused_in_the_documented_shape(
    open_workshop, booking_token, label, _wsgi_in_test_transaction
):
    """Was DRF's {"detail": "JSON parse error …"}, which matched no 400 of the schema."""
    response = call(
        label,
        path_parameters={"code": open_workshop.code, "token": booking_token},
        media_type="application/json",
        body=b'{"arrives_at": ',
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_throttled_answers_are_documented(open_workshop, booking_token, label, monkeypatch, _wsgi_in_test_transaction):
    """Every operation is throttled, but only the booking's 429 was listed (without a body)."""
    for throttle in (api.SlotsThrottle, api.BookingsThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {"public_slots": "0/min", "public_bookings": "0/hour"})
    response = call(
        label,
        path_parameters={"code": open_workshop.code, "token": booking_token},
        media_type="application/json",
        body={"arrives_at": iso(at(next_open_day(3), 9))},
        query={"operations": "M001"},
    )
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_the_phone_limit_is_a_documented_refusal(
    open_workshop, oil_change, known_car, monkeypatch, _wsgi_in_test_transaction
):
    """The per-phone limit answered {"detail"} only."""
    monkeypatch.setattr(public, "PHONE_LIMIT", (0, 3600))
    body = {
        "plate": known_car.plate,
        "phone": PHONE,
        "operations": ["M001"],
        "arrives_at": iso(at(next_open_day(3), 9)),
    }
    response = call(
        "POST /api/stations/{code}/bookings/",
        path_parameters={"code": open_workshop.code},
        media_type="application/json",
        body=body,
    )
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_path_parameters_keep_to_the_url_patterns():
    """Without the patterns the fuzzer sends codes Django never routes to the API
    (an HTML 404); with them, every value the schema allows reaches a view."""
    parameters = {
        param["name"]: param["schema"]
        for path in schema.raw_schema["paths"].values()
        for operation in path.values()
        for param in operation.get("parameters", [])
        if param["in"] == "path"
    }
    assert parameters["code"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert parameters["token"]["pattern"] == "^[^/]+$"
