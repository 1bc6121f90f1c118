"""The estimate: catalogue lines, stock, discounts with a manager, totals,
the promised time, vehicle data, and the page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from appointments.models import PartReservation, ReservationState
from appointments.preparation import preparation_for
from appointments.services import appointment_book
from dealers.models import JobType, PackagePart
from reception import estimates
from reception.models import EstimateLine, LineKind, ROStatus
from reception.pricing import line_amount, line_vat, round_money, totals
from tests.factories import PASSWORD, LabourOperationFactory, ServicePackageFactory, VehicleFactory
from tests.reception import estimate_fixtures as fixtures
from tests.reception.conftest import add_line
from tests.reception.estimate_fixtures import MONDAY, at

pytestmark = pytest.mark.django_db

# The shared fixtures, by name, for pytest to find.
brake_pads = fixtures.brake_pads
oil = fixtures.oil
oil_change = fixtures.oil_change
workshop = fixtures.workshop


def test_a_labour_line_takes_the_flat_rate_hours_and_the_station_rate(repair_order, oil_change, station):
    station.labour_rate = Decimal("200.00")
    station.save()
    line = estimates.labour_line_add(repair_order=repair_order, operation=oil_change)
    assert (line.kind, line.quantity, line.unit_price, line.amount) == (
        LineKind.LABOUR,
        Decimal("1.5"),
        Decimal("200.00"),
        Decimal("300.00"),
    )
    edited = estimates.labour_line_add(repair_order=repair_order, operation=oil_change, hours="2", rate="150")
    assert edited.amount == Decimal("300.00") and edited.position > line.position


def test_an_operation_of_another_station_is_refused(repair_order, other_station):
    foreign = LabourOperationFactory(dealer=other_station)
    with pytest.raises(ValidationError):
        estimates.labour_line_add(repair_order=repair_order, operation=foreign)
    assert not repair_order.lines.exists()


def test_a_part_is_in_stock_only_when_stock_less_reservations_covers_it(
    repair_order, oil, workshop, advisor, oil_change
):
    # Another customer's appointment reserved 8 of the 10 litres.
    car = VehicleFactory(owner__dealer=workshop)
    booked = appointment_book(
        dealer=workshop,
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=at(MONDAY, 9),
        request="保养",
        operations=[oil_change],
        now=at(MONDAY - dt.timedelta(days=3), 9),
    )
    PartReservation.objects.create(
        preparation=preparation_for(booked), part=oil, quantity=Decimal("8"), state=ReservationState.RESERVED
    )
    two = estimates.part_line_add(repair_order=repair_order, part=oil, quantity="2")
    assert two.in_stock and two.unit_price == Decimal("65.50")
    one_more = estimates.part_line_add(repair_order=repair_order, part=oil, quantity="1")
    assert not one_more.in_stock  # the first line took the last free two


def test_a_part_with_no_stock_is_to_order(repair_order, brake_pads):
    line = estimates.part_line_add(repair_order=repair_order, part=brake_pads, quantity="1")
    assert not line.in_stock


def test_a_package_adds_its_operations_and_parts(repair_order, station, oil_change, oil):
    package = ServicePackageFactory(dealer=station, name="1万公里保养")
    package.operations.add(oil_change)
    PackagePart.objects.create(package=package, part=oil, quantity=Decimal("4"))
    lines = estimates.package_add(repair_order=repair_order, package=package)
    assert [(x.kind, x.quantity, x.package_id) for x in lines] == [
        (LineKind.LABOUR, Decimal("1.5"), package.pk),
        (LineKind.PART, Decimal("4"), package.pk),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": "0", "unit_price": "10"}, "quantity must be more than zero|数量"),
        ({"quantity": "-1", "unit_price": "10"}, "quantity must be more than zero|数量"),
        ({"quantity": "1", "unit_price": "0"}, "price must be more than zero|价格"),
        ({"quantity": "1", "unit_price": "-5"}, "price must be more than zero|价格"),
        (
            {"quantity": "1", "unit_price": "10", "discount_percent": "101", "discount_reason": "老客户"},
            "between 0 and 100|折扣",
        ),
        ({"quantity": "abc", "unit_price": "10"}, "数字|number"),
    ],
)
def test_bad_line_input_is_refused_with_a_message_and_nothing_written(priced_order, advisor, login, fields, message):
    line = priced_order.lines.first()
    before = (line.quantity, line.unit_price, line.discount_percent, line.amount)
    response = login(advisor).post(
        reverse("reception:estimate_act", args=[priced_order.pk, "line"]),
        {"line": line.pk, "pay_type": "customer", **fields},
    )
    assert response.status_code == 422
    assert re.search(message, response.content.decode())
    line.refresh_from_db()
    assert (line.quantity, line.unit_price, line.discount_percent, line.amount) == before


def test_an_unknown_operation_is_refused(repair_order, advisor, login):
    response = login(advisor).post(
        reverse("reception:estimate_act", args=[repair_order.pk, "labour"]), {"operation": "999999"}
    )
    assert response.status_code == 422
    assert "目录" in response.content.decode() or "catalogue" in response.content.decode()
    assert not repair_order.lines.exists()


def test_a_part_number_not_in_the_catalogue_is_offered_as_free_text(repair_order, advisor, login):
    client = login(advisor)
    url = reverse("reception:estimate_act", args=[repair_order.pk, "part"])
    offer = client.post(url, {"part_number": "XYZ-123", "quantity": "2"})
    assert offer.status_code == 422 and 'data-testid="free-text-offer"' in offer.content.decode()
    assert not repair_order.lines.exists()
    client.post(
        url,
        {
            "part_number": "xyz-123",
            "quantity": "2",
            "description": "改装氙气灯",
            "unit_price": "99.9",
            "free_text": "on",
        },
    )
    line = repair_order.lines.get()
    assert line.free_text and not line.in_stock and line.part is None
    assert (line.part_number, line.amount) == ("XYZ-123", Decimal("199.80"))


def test_a_catalogue_number_is_never_added_as_free_text(repair_order, oil):
    with pytest.raises(ValidationError):
        estimates.free_part_line_add(
            repair_order=repair_order, part_number=oil.number, description="x", quantity="1", unit_price="1"
        )


def test_a_discount_needs_a_reason(priced_order):
    line = priced_order.lines.first()
    with pytest.raises(ValidationError, match=r"原因|reason"):
        estimates.line_update(line=line, quantity="1.5", unit_price="180", discount_percent="5")


def test_a_discount_above_the_limit_without_a_manager_is_refused(priced_order, advisor, manager, station):
    station.max_discount_percent = Decimal("10")
    station.save()
    line = priced_order.lines.first()
    for approver in (None, advisor):
        with pytest.raises(ValidationError, match=r"经理|manager"):
            estimates.line_update(
                line=line,
                quantity="1.5",
                unit_price="180",
                discount_percent="20",
                discount_reason="老客户",
                approver=approver,
            )
    line.refresh_from_db()
    assert line.discount_percent == 0
    estimates.line_update(line=line, quantity="1.5", unit_price="180", discount_percent="10", discount_reason="老客户")
    estimates.line_update(
        line=line, quantity="1.5", unit_price="180", discount_percent="20", discount_reason="老客户", approver=manager
    )
    priced_order.refresh_from_db()
    line.refresh_from_db()
    assert (line.discount_percent, line.amount) == (Decimal("20"), Decimal("216.00"))
    assert priced_order.discount_approved_by == manager and priced_order.discount_reason == "老客户"


def test_a_manager_of_another_station_cannot_approve(priced_order, staff_of, other_station):
    from dealers.models import Role

    elsewhere = staff_of(Role.SERVICE_MANAGER, other_station)
    with pytest.raises(ValidationError):
        estimates.line_update(
            line=priced_order.lines.first(),
            quantity="1",
            unit_price="1",
            discount_percent="50",
            discount_reason="x",
            approver=elsewhere,
        )


def test_a_manager_approves_on_the_advisors_screen_with_their_password(priced_order, advisor, manager, login):
    line = priced_order.lines.first()
    url = reverse("reception:estimate_act", args=[priced_order.pk, "line"])
    data = {"line": line.pk, "quantity": "1.5", "unit_price": "180", "discount_percent": "30", "pay_type": "customer"}
    data["discount_reason"] = "投诉补偿"
    client = login(advisor)
    wrong = client.post(url, {**data, "manager_username": "manager", "manager_password": "nope"})
    assert wrong.status_code == 422
    line.refresh_from_db()
    assert line.discount_percent == 0
    client.post(url, {**data, "manager_username": "manager", "manager_password": PASSWORD})
    line.refresh_from_db()
    priced_order.refresh_from_db()
    assert line.discount_percent == Decimal("30") and priced_order.discount_approved_by == manager


def test_totals_include_discounts_and_vat_rounded_per_line(repair_order, station):
    station.vat_rate = Decimal("0.13")
    station.save()
    add_line(repair_order, LineKind.LABOUR, quantity="1.33", unit_price="180", discount="7.5", description="a")
    add_line(repair_order, LineKind.PART, quantity="3", unit_price="33.33", discount="12.5", description="b")
    result = estimates.estimate_totals(repair_order)
    assert result.labour == Decimal("221.45")  # 1.33 × 180 × 0.925 = 221.445 → 221.45
    assert result.parts == Decimal("87.49")  # 99.99 × 0.875 = 87.49125
    assert result.discount == Decimal("239.40") + Decimal("99.99") - Decimal("308.94")
    assert result.vat == Decimal("28.79") + Decimal("11.37")
    assert result.total == Decimal("308.94") + Decimal("40.16")


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
lines_strategy = st.lists(
    st.tuples(
        st.sampled_from(["labour", "part"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
        money,
        st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
        st.sampled_from(["customer", "warranty"]),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, vat=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.25"), places=4))
def test_totals_are_sums_of_lines_rounded_once(lines, vat):
    rows = []
    for kind, quantity, price, discount, pay_type in lines:
        amount = line_amount(quantity, price, discount)
        # Rounded once: to the cent, and within half a cent of the exact value.
        assert amount == round_money(amount)
        assert abs(amount - quantity * price * (100 - discount) / 100) <= Decimal("0.005")
        rows.append(
            SimpleNamespace(
                kind=kind,
                quantity=quantity,
                unit_price=price,
                discount_percent=discount,
                amount=amount,
                pay_type=pay_type,
            )
        )
    result = totals(rows, vat)
    assert result.net == sum((r.amount for r in rows), Decimal(0))
    assert result.labour + result.parts == result.net
    assert result.vat == sum((line_vat(r.amount, vat) for r in rows), Decimal(0))
    assert result.total == result.net + result.vat
    customer = totals(rows, vat, customer_only=True)
    assert customer.net == sum((r.amount for r in rows if r.pay_type == "customer"), Decimal(0))


def test_the_promised_time_follows_the_hours_and_the_workshop_load(repair_order, workshop, oil_change, advisor):
    repair_order.job_type = JobType.REPAIR
    repair_order.save()
    add_line(repair_order, LineKind.LABOUR, quantity="2", unit_price="180", operation=oil_change, description="x")
    assert estimates.promise_proposal(repair_order, now=at(MONDAY, 9, 50)) == at(MONDAY, 12)
    # The only technician is booked 10:00–18:00 by an appointment: tomorrow, then.
    car = VehicleFactory(owner__dealer=workshop)
    appointment_book(
        dealer=workshop,
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.REPAIR,
        arrives_at=at(MONDAY, 10),
        request="异响",
        operations=[LabourOperationFactory(dealer=workshop, code="R800", name="大修", flat_rate_hours=Decimal("8"))],
        now=at(MONDAY, 8),
    )
    assert estimates.promise_proposal(repair_order, now=at(MONDAY, 9, 50)) == at(MONDAY + dt.timedelta(days=1), 10, 30)


def test_no_labour_no_proposal(repair_order, workshop):
    assert estimates.promise_proposal(repair_order, now=at(MONDAY, 9)) is None


def test_terms_refuse_a_negative_tolerance_and_write_nothing(repair_order, advisor, login):
    response = login(advisor).post(
        reverse("reception:estimate_act", args=[repair_order.pk, "terms"]),
        {"tolerance_amount": "-1", "tolerance_minutes": "30"},
    )
    assert response.status_code == 422
    repair_order.refresh_from_db()
    assert repair_order.tolerance_minutes == 0


def test_terms_are_saved(repair_order, advisor, login):
    login(advisor).post(
        reverse("reception:estimate_act", args=[repair_order.pk, "terms"]),
        {"promised_at": "2099-01-02T17:30", "tolerance_amount": "50", "tolerance_minutes": "30"},
    )
    repair_order.refresh_from_db()
    assert (repair_order.tolerance_amount, repair_order.tolerance_minutes) == (Decimal("50"), 30)
    assert repair_order.promised_at is not None


def test_vehicle_data_is_confirmed_into_the_vehicle_file(repair_order, advisor, login):
    vehicle = repair_order.vehicle
    response = login(advisor).post(
        reverse("reception:estimate_act", args=[repair_order.pk, "vehicle"]),
        {"model": "迈腾", "vin": vehicle.vin, "engine_number": "CUF123456", "model_year": "2023", "variant": "330TSI"},
    )
    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert (vehicle.model, vehicle.engine_number, vehicle.model_year, vehicle.variant) == (
        "迈腾",
        "CUF123456",
        2023,
        "330TSI",
    )


def test_a_bad_vin_is_refused_and_the_file_unchanged(repair_order, advisor, login):
    vehicle = repair_order.vehicle
    response = login(advisor).post(
        reverse("reception:estimate_act", args=[repair_order.pk, "vehicle"]),
        {"model": "迈腾", "vin": "LSVAB2BM0PA00000X"},
    )
    assert response.status_code == 422
    vehicle.refresh_from_db()
    assert vehicle.model == "帕萨特"


def test_the_estimate_of_a_closed_order_cannot_change(priced_order, oil_change):
    priced_order.status = ROStatus.CANCELLED
    priced_order.save()
    with pytest.raises(ValidationError):
        estimates.labour_line_add(repair_order=priced_order, operation=oil_change)


def test_another_stations_order_is_not_found(priced_order, other_advisor, login):
    client = login(other_advisor)
    assert client.get(reverse("reception:estimate", args=[priced_order.pk])).status_code == 404
    line = priced_order.lines.first()
    response = client.post(reverse("reception:estimate_act", args=[priced_order.pk, "remove"]), {"line": line.pk})
    assert response.status_code == 404
    assert EstimateLine.objects.filter(pk=line.pk).exists()


def test_a_parts_clerk_cannot_edit_the_estimate(priced_order, parts_clerk, login):
    assert login(parts_clerk).get(reverse("reception:estimate", args=[priced_order.pk])).status_code == 403


def test_the_catalogue_search_answers_htmx(repair_order, advisor, login, oil, oil_change):
    response = login(advisor).get(
        reverse("reception:estimate", args=[repair_order.pk]),
        {"q": "机油"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="catalogue-results",
    )
    body = response.content.decode()
    assert oil.number in body and oil_change.code in body and "<html" not in body


def test_the_estimate_page_costs_the_same_queries_for_3_or_25_lines(
    repair_order, advisor, login, workshop, oil_change, oil, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            if i % 2:
                add_line(
                    repair_order,
                    LineKind.LABOUR,
                    quantity="1",
                    unit_price="180",
                    operation=oil_change,
                    description="工",
                )
            else:
                add_line(
                    repair_order,
                    LineKind.PART,
                    quantity="1",
                    unit_price="65.5",
                    part=oil,
                    description="油",
                    part_number=oil.number,
                )

    client = login(advisor)
    url = reverse("reception:estimate", args=[repair_order.pk])
    client.get(url)  # session and station settled
    counts = []
    for n in (3, 22):
        add(n)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(30):
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.content.decode().count('data-testid="line"') == 25
    assert counts[0] == counts[1]
