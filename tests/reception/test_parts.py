"""The parts clerk: issuing the parts of agreed estimates reduces stock and
never goes below zero; parts orders are marked ordered and arrived."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealers.models import JobType
from reception import estimates
from reception import parts as services
from reception.models import IssueNoticeStatus, PartsIssueNotice, PartsOrderStatus, RepairOrder
from reception.services import next_repair_order_number
from tests.factories import PartFactory, VehicleFactory
from tests.reception import estimate_fixtures as fixtures
from tests.reception.estimate_fixtures import agree

pytestmark = pytest.mark.django_db

# The shared fixtures, by name, for pytest to find.
brake_pads = fixtures.brake_pads
oil = fixtures.oil


def _order_with(station, advisor, part, quantity: str) -> RepairOrder:
    car = VehicleFactory(owner__dealer=station)
    ro = RepairOrder.objects.create(
        dealer=station,
        number=next_repair_order_number(station, timezone.now()),
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
    )
    estimates.part_line_add(repair_order=ro, part=part, quantity=quantity)
    return ro


def test_issuing_reduces_stock_and_marks_the_notice_issued(station, advisor, parts_clerk, oil):
    notice = agree(_order_with(station, advisor, oil, "4"), advisor.user).notice
    services.issue_notice_issue(notice=notice, by=parts_clerk)
    oil.refresh_from_db()
    notice.refresh_from_db()
    assert oil.stock_on_hand == Decimal("6")
    assert notice.status == IssueNoticeStatus.ISSUED and notice.issued_by == parts_clerk
    assert notice.lines.get().issued_quantity == Decimal("4")
    with pytest.raises(ValidationError):
        services.issue_notice_issue(notice=notice, by=parts_clerk)  # never twice
    oil.refresh_from_db()
    assert oil.stock_on_hand == Decimal("6")


def test_a_shortage_is_refused_with_the_part_named_and_nothing_issued(station, advisor, parts_clerk, oil):
    notice = agree(_order_with(station, advisor, oil, "4"), advisor.user).notice
    oil.stock_on_hand = Decimal("3")  # a counter sale meanwhile
    oil.save()
    with pytest.raises(ValidationError, match=oil.number):
        services.issue_notice_issue(notice=notice, by=parts_clerk)
    oil.refresh_from_db()
    notice.refresh_from_db()
    assert oil.stock_on_hand == Decimal("3") and notice.status == IssueNoticeStatus.OPEN


def test_an_open_notice_holds_its_parts_from_the_next_estimate(station, advisor, oil):
    agree(_order_with(station, advisor, oil, "8"), advisor.user)
    second = _order_with(station, advisor, oil, "4")
    assert not second.lines.get().in_stock


def test_ordered_then_arrived(station, advisor, parts_clerk, brake_pads):
    ro = _order_with(station, advisor, brake_pads, "2")
    order = agree(ro, advisor.user).parts_order
    with pytest.raises(ValidationError):
        services.parts_order_mark_arrived(order=order, by=parts_clerk)  # not ordered yet
    services.parts_order_mark_ordered(order=order, by=parts_clerk)
    assert order.status == PartsOrderStatus.ORDERED and order.ordered_at
    services.parts_order_mark_arrived(order=order, by=parts_clerk)
    assert order.status == PartsOrderStatus.ARRIVED and order.arrived_at is not None
    brake_pads.refresh_from_db()
    assert brake_pads.stock_on_hand == Decimal("2")  # into stock, waiting on an issue notice for the order
    notice = PartsIssueNotice.objects.get(repair_order=ro)
    services.issue_notice_issue(notice=notice, by=parts_clerk)
    brake_pads.refresh_from_db()
    assert brake_pads.stock_on_hand == 0


def test_the_parts_page_lists_notices_and_issues_them(station, advisor, parts_clerk, login, oil):
    ro = _order_with(station, advisor, oil, "4")
    notice = agree(ro, advisor.user).notice
    client = login(parts_clerk)
    page = client.get(reverse("reception:parts"))
    body = page.content.decode()
    assert ro.number in body and oil.number in body and ro.vehicle.plate in body
    client.post(reverse("reception:parts_issue", args=[notice.pk]))
    oil.refresh_from_db()
    assert oil.stock_on_hand == Decimal("6")
    empty = client.get(reverse("reception:parts"))
    assert 'data-testid="parts-empty"' in empty.content.decode()


def test_a_shortage_shows_a_clear_message(station, advisor, parts_clerk, login, oil):
    notice = agree(_order_with(station, advisor, oil, "4"), advisor.user).notice
    oil.stock_on_hand = Decimal("1")
    oil.save()
    response = login(parts_clerk).post(reverse("reception:parts_issue", args=[notice.pk]), follow=True)
    assert oil.number in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == IssueNoticeStatus.OPEN


def test_parts_orders_tab_marks_ordered_and_arrived(station, advisor, parts_clerk, login, brake_pads):
    order = agree(_order_with(station, advisor, brake_pads, "1"), advisor.user).parts_order
    client = login(parts_clerk)
    assert brake_pads.number in client.get(reverse("reception:parts"), {"tab": "orders"}).content.decode()
    client.post(reverse("reception:parts_order_act", args=[order.pk, "ordered"]), {"expected_on": ""})
    client.post(reverse("reception:parts_order_act", args=[order.pk, "arrived"]))
    order.refresh_from_db()
    assert order.status == PartsOrderStatus.ARRIVED and order.arrived_at is not None


def test_search_finds_by_plate_and_part_number(station, advisor, parts_clerk, login, oil):
    ro = _order_with(station, advisor, oil, "1")
    agree(ro, advisor.user)
    client = login(parts_clerk)
    assert ro.number in client.get(reverse("reception:parts"), {"q": oil.number}).content.decode()
    miss = client.get(reverse("reception:parts"), {"q": "NOSUCH"}).content.decode()
    assert ro.number not in miss and 'data-testid="parts-empty"' in miss


def test_only_parts_clerks_and_managers(advisor, login, manager):
    assert login(advisor).get(reverse("reception:parts")).status_code == 403
    assert login(manager).get(reverse("reception:parts")).status_code == 200


def test_another_stations_notice_cannot_be_issued(station, advisor, other_station, staff_of, login, oil):
    from dealers.models import Role

    notice = agree(_order_with(station, advisor, oil, "2"), advisor.user).notice
    clerk = staff_of(Role.PARTS_CLERK, other_station)
    client = login(clerk)
    assert client.post(reverse("reception:parts_issue", args=[notice.pk])).status_code == 404
    assert notice.repair_order.number not in client.get(reverse("reception:parts")).content.decode()
    oil.refresh_from_db()
    assert oil.stock_on_hand == Decimal("10")


def test_the_parts_page_costs_the_same_queries_for_2_or_12_notices(
    station, advisor, parts_clerk, login, django_assert_max_num_queries
):
    client = login(parts_clerk)
    client.get(reverse("reception:parts"))
    counts = []
    for n in (2, 10):
        for _ in range(n):
            agree(_order_with(station, advisor, PartFactory(dealer=station), "1"), advisor.user)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(20):
            assert client.get(reverse("reception:parts")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_two_clerks_issuing_the_last_units_exactly_one_succeeds(station, advisor, parts_clerk):
    last = PartFactory(dealer=station, number="LAST-1", stock_on_hand=Decimal("4"))
    first = agree(_order_with(station, advisor, last, "4"), advisor.user).notice
    # A second notice for the same units (parts arrived for another order meanwhile, then sold).
    other = _order_with(station, advisor, last, "4")
    second = agree(other, advisor.user).notice or PartsIssueNotice.objects.create(
        dealer=station, repair_order=other, consent=other.consents.get()
    )
    if not second.lines.exists():
        second.lines.create(estimate_line=other.lines.get(), part=last, quantity=Decimal("4"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(notice):
        try:
            barrier.wait()
            services.issue_notice_issue(notice=notice, by=parts_clerk)
            outcomes.append("issued")
        except ValidationError:
            outcomes.append("short")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["issued", "short"]
    last.refresh_from_db()
    assert last.stock_on_hand == 0
    assert PartsIssueNotice.objects.filter(status=IssueNoticeStatus.ISSUED).count() == 1
