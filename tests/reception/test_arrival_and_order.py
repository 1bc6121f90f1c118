"""Arrival queue, opening repair orders (pre-filled from the appointment or
for a walk-in), the RO page and list, the inquiry sheet, keys and
registration certificate, comeback; station isolation, roles, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from appointments.models import Status
from dealers.models import JobType
from reception import services
from reception.inquiry import CONDITION_LABELS
from reception.models import Arrival, ComebackCause, EstimateLine, LineKind, RepairOrder, ROStatus, WalkAround
from tests.factories import CustomerFactory, VehicleFactory
from tests.reception import arrival_fixtures
from tests.reception.arrival_fixtures import delivered_order, make_appointment

pytestmark = pytest.mark.django_db
booked = arrival_fixtures.booked


def _walk_in_order(station, advisor, vehicle=None, **extra):
    vehicle = vehicle or VehicleFactory(owner__dealer=station)
    return services.repair_order_open_walk_in(
        vehicle=vehicle, advisor=advisor, job_type=JobType.REPAIR, by=advisor.user, **extra
    )


# --- opening a repair order ------------------------------------------------------------


def test_an_appointment_opens_a_draft_repair_order_with_inquiry_sheet_and_estimate_pre_filled(booked, advisor):
    ro = services.repair_order_open_from_appointment(appointment=booked, advisor=advisor, by=advisor.user)

    assert ro.status == ROStatus.DRAFT and ro.number.endswith("-00001")
    assert ro.customer == booked.customer and ro.vehicle == booked.vehicle and ro.job_type == booked.job_type
    assert ro.inquiry.symptom == "冷车启动时发动机抖动，故障灯偶尔亮"  # the preparation's work order draft
    assert ro.purpose == booked.request
    lines = list(ro.lines.order_by("position"))
    assert [(ln.kind, ln.description, ln.quantity, ln.unit_price, ln.amount, ln.in_stock) for ln in lines] == [
        (LineKind.LABOUR, "发动机故障诊断", Decimal("1.20"), Decimal("200.00"), Decimal("240.00"), True),
        (LineKind.LABOUR, "更换机油机滤", Decimal("0.50"), Decimal("200.00"), Decimal("100.00"), True),
        (LineKind.LABOUR, "常规检查", Decimal("0.30"), Decimal("200.00"), Decimal("60.00"), True),
        (LineKind.PART, "机油 5W-30", Decimal("4.00"), Decimal("65.50"), Decimal("262.00"), True),
        (LineKind.PART, "机油滤清器", Decimal("1.00"), Decimal("48.00"), Decimal("48.00"), False),
    ]
    assert all(ln.package_id for ln in lines[1:]) and lines[3].part_number == "06L115562"
    assert WalkAround.objects.filter(repair_order=ro).exists()
    booked.refresh_from_db()
    assert booked.status == Status.CONVERTED
    assert list(booked.events.values_list("to_status", flat=True)) == [Status.ARRIVED, Status.CONVERTED]
    assert ro.events.get().to_status == ROStatus.DRAFT


def test_without_a_work_order_draft_the_symptom_is_the_appointment_request(booked, advisor):
    booked.preparation.draft_request = ""
    booked.preparation.save()
    ro = services.repair_order_open_from_appointment(appointment=booked, advisor=advisor, by=advisor.user)
    assert ro.inquiry.symptom == "发动机冷车启动困难"


def test_a_cancelled_appointment_cannot_be_opened(station, advisor):
    appointment = make_appointment(station, advisor, status=Status.CANCELLED)
    with pytest.raises(ValidationError):
        services.repair_order_open_from_appointment(appointment=appointment, advisor=advisor)
    assert not RepairOrder.objects.exists()


def test_a_walk_in_opens_an_empty_draft_with_an_inquiry_sheet_and_walk_around(station, advisor):
    ro = _walk_in_order(station, advisor)
    assert ro.status == ROStatus.DRAFT and ro.appointment is None
    assert ro.inquiry.symptom == "" and not ro.lines.exists()
    assert WalkAround.objects.filter(repair_order=ro).exists()


def test_a_walk_in_needs_a_job_type(station, advisor):
    with pytest.raises(ValidationError):
        services.repair_order_open_walk_in(vehicle=VehicleFactory(owner__dealer=station), advisor=advisor, job_type="")
    assert not RepairOrder.objects.exists()


def test_a_vehicle_of_another_station_is_refused(station, other_station, advisor):
    with pytest.raises(ValidationError):
        services.repair_order_open_walk_in(
            vehicle=VehicleFactory(owner__dealer=other_station), advisor=advisor, job_type=JobType.REPAIR
        )


def test_a_vehicle_with_an_open_repair_order_gets_no_second_one(station, advisor, booked):
    first = _walk_in_order(station, advisor, vehicle=booked.vehicle)
    with pytest.raises(services.OpenRepairOrderExists) as refused:
        services.repair_order_open_from_appointment(appointment=booked, advisor=advisor)
    assert refused.value.repair_order == first and first.number in refused.value.messages[0]
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED  # nothing written
    assert RepairOrder.objects.count() == 1


def test_the_database_constraint_catches_a_race_the_check_missed(station, advisor, monkeypatch):
    vehicle = VehicleFactory(owner__dealer=station)
    first = _walk_in_order(station, advisor, vehicle=vehicle)
    real = services.open_repair_order_of
    calls = iter([None])  # the check before saving sees nothing, as a parallel desk would
    monkeypatch.setattr(services, "open_repair_order_of", lambda v: next(calls, None) or real(v))
    with pytest.raises(services.OpenRepairOrderExists) as refused:
        _walk_in_order(station, advisor, vehicle=vehicle)
    assert refused.value.repair_order == first


def test_an_integrity_error_that_is_not_the_open_order_is_not_hidden(station, advisor, monkeypatch):
    vehicle = VehicleFactory(owner__dealer=station)
    _walk_in_order(station, advisor, vehicle=vehicle)
    monkeypatch.setattr(services, "open_repair_order_of", lambda v: None)
    with pytest.raises(IntegrityError):
        _walk_in_order(station, advisor, vehicle=vehicle)


# --- the arrival queue -------------------------------------------------------------------


def test_an_expected_customer_arrives_and_is_served_into_a_repair_order(booked, advisor):
    arrival = services.arrival_record_appointment(appointment=booked, by=advisor.user)
    booked.refresh_from_db()
    assert booked.status == Status.ARRIVED
    assert arrival.name == "李娜" and arrival.plate == "京B54321"
    assert list(Arrival.objects.waiting()) == [arrival]

    ro = services.arrival_serve(arrival=arrival, advisor=advisor, by=advisor.user)
    arrival.refresh_from_db()
    assert arrival.repair_order == ro and arrival.served_by == advisor and arrival.served_at
    assert not Arrival.objects.waiting().exists()
    assert ro.inquiry.symptom.startswith("冷车启动")


def test_an_arrival_is_recorded_once(booked, advisor):
    services.arrival_record_appointment(appointment=booked)
    with pytest.raises(ValidationError):
        services.arrival_record_appointment(appointment=booked)


def test_a_walk_in_with_a_known_plate_is_linked_to_the_file(station):
    vehicle = VehicleFactory(owner__dealer=station, owner__name="赵强", plate="京C11111")
    arrival = services.arrival_record_walk_in(dealer=station, plate="京c 11111")
    assert arrival.vehicle == vehicle and arrival.customer == vehicle.owner and arrival.name == "赵强"


def test_a_walk_in_needs_a_plate_or_a_name(station):
    with pytest.raises(ValidationError):
        services.arrival_record_walk_in(dealer=station, plate=" ", name="")
    assert not Arrival.objects.exists()


def test_an_unknown_walk_in_is_served_once_the_file_exists(station, advisor):
    arrival = services.arrival_record_walk_in(dealer=station, plate="京D22222", name="孙先生")
    assert arrival.vehicle is None
    with pytest.raises(ValidationError, match="京D22222"):
        services.arrival_serve(arrival=arrival, advisor=advisor, job_type=JobType.REPAIR)
    assert not RepairOrder.objects.exists() and Arrival.objects.waiting().count() == 1

    vehicle = VehicleFactory(owner=CustomerFactory(dealer=station, name="孙先生"), plate="京D22222")
    ro = services.arrival_serve(arrival=arrival, advisor=advisor, job_type=JobType.BODY_PAINT)
    assert ro.vehicle == vehicle and ro.job_type == JobType.BODY_PAINT


def test_customers_are_served_in_arrival_order(station, advisor):
    now = timezone.now()
    first = services.arrival_record_walk_in(dealer=station, name="先到", now=now - dt.timedelta(minutes=5))
    second = services.arrival_record_walk_in(dealer=station, plate=VehicleFactory(owner__dealer=station).plate, now=now)
    with pytest.raises(ValidationError, match="先到"):
        services.arrival_serve(arrival=second, advisor=advisor, job_type=JobType.REPAIR)
    services.arrival_leave(arrival=first)
    assert services.arrival_serve(arrival=second, advisor=advisor, job_type=JobType.REPAIR)


def test_a_customer_who_left_is_no_longer_waiting(station):
    arrival = services.arrival_record_walk_in(dealer=station, name="王五")
    services.arrival_leave(arrival=arrival)
    assert not Arrival.objects.waiting().exists()
    with pytest.raises(ValidationError):
        services.arrival_leave(arrival=arrival)


def test_the_queue_shows_arrival_order_and_minutes_waited(station, advisor, login, monkeypatch):
    start = timezone.now()
    services.arrival_record_walk_in(dealer=station, name="甲", now=start)
    services.arrival_record_walk_in(dealer=station, name="乙", now=start + dt.timedelta(minutes=10))
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(minutes=25))
    response = login(advisor).get(reverse("reception:arrivals"))
    rows = [(a.name, a.waiting_minutes) for a in response.context["queue"]]
    assert rows == [("甲", 25), ("乙", 15)]
    waiting = response.content.decode().split('data-testid="waiting"')[1]
    assert " 25 " in waiting.split("</span>")[0]


def test_the_board_refreshes_itself(station, advisor, login, booked):
    client = login(advisor)
    page = client.get(reverse("reception:arrivals")).content.decode()
    assert 'hx-trigger="every 30s' in page
    fragment = client.get(reverse("reception:arrivals"), {"part": "board"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="board"') and "李娜" in body and "<nav" not in body


def test_expected_arrivals_show_readiness_and_search(station, advisor, login, booked):
    other = make_appointment(station, advisor, vehicle=VehicleFactory(owner__dealer=station, owner__name="周杰"))
    client = login(advisor)
    response = client.get(reverse("reception:arrivals"))
    assert [a.pk for a in response.context["expected"]] == [booked.pk, other.pk]
    assert "已就绪" in response.content.decode() or "Ready" in response.content.decode()
    found = client.get(reverse("reception:arrivals"), {"q": "周杰"})
    assert [a.pk for a in found.context["expected"]] == [other.pk]
    none = client.get(reverse("reception:arrivals"), {"q": "无此人"})
    assert not none.context["expected"] and 'class="empty-state"' in none.content.decode()


def test_advisor_marks_arrived_then_serves_and_lands_on_the_repair_order(advisor, login, booked):
    client = login(advisor)
    client.post(reverse("reception:arrival_appointment", args=[booked.pk]))
    arrival = Arrival.objects.get()
    response = client.post(reverse("reception:arrival_serve", args=[arrival.pk]))
    ro = RepairOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reception:order", args=[ro.pk])
    page = client.get(response["Location"]).content.decode()
    assert ro.number in page and "冷车启动时发动机抖动" in page


def test_serving_a_car_with_an_open_order_links_to_it(station, advisor, login, booked):
    existing = _walk_in_order(station, advisor, vehicle=booked.vehicle)
    client = login(advisor)
    client.post(reverse("reception:arrival_appointment", args=[booked.pk]))
    response = client.post(reverse("reception:arrival_serve", args=[Arrival.objects.get().pk]), follow=True)
    assert reverse("reception:order", args=[existing.pk]) in response.content.decode()
    assert RepairOrder.objects.count() == 1 and Arrival.objects.waiting().count() == 1


def test_an_unknown_walk_in_is_offered_the_customer_file(station, advisor, login):
    response = login(advisor).post(
        reverse("reception:arrival_walk_in"), {"plate": "京E33333", "name": "钱女士"}, follow=True
    )
    assert reverse("customers:create") in response.content.decode()
    assert Arrival.objects.get().vehicle is None


# --- the RO page, list, details -------------------------------------------------------------


def test_the_repair_order_page_shows_the_hub(station, advisor, login, booked):
    ro = services.repair_order_open_from_appointment(appointment=booked, advisor=advisor, by=advisor.user)
    page = login(advisor).get(reverse("reception:order", args=[ro.pk])).content.decode()
    for text in (ro.number, "李娜", "京B54321", reverse("customers:detail", args=[ro.customer_id])):
        assert text in page
    assert reverse("reception:inquiry", args=[ro.pk]) in page
    assert "¥760.00" in page or "¥" in page  # the pre-filled estimate's total
    assert 'data-testid="symptom"' in page


def test_reception_details_are_saved_and_bad_input_writes_nothing(station, advisor, login):
    ro = _walk_in_order(station, advisor)
    client = login(advisor)
    url = reverse("reception:order_edit", args=[ro.pk])
    ok = {"purpose": "异响检查", "special_needs": "需要洗车", "waiting": "lounge", "payment_method": "wechat"}
    assert client.post(url, ok).status_code == 302
    ro.refresh_from_db()
    assert (ro.purpose, ro.waiting, ro.payment_method) == ("异响检查", "lounge", "wechat")
    bad = client.post(url, {**ok, "payment_method": "gold", "purpose": "改了"})
    assert bad.status_code == 400
    ro.refresh_from_db()
    assert ro.purpose == "异响检查"


def test_keys_and_registration_certificate_are_received_once(station, advisor, login):
    ro = _walk_in_order(station, advisor)
    client = login(advisor)
    client.post(reverse("reception:order_receive", args=[ro.pk, "keys"]))
    ro.refresh_from_db()
    received = ro.keys_received_at
    assert received and ro.registration_received_at is None
    client.post(reverse("reception:order_receive", args=[ro.pk, "keys"]))
    ro.refresh_from_db()
    assert ro.keys_received_at == received
    client.post(reverse("reception:order_receive", args=[ro.pk, "registration"]))
    ro.refresh_from_db()
    assert ro.registration_received_at
    assert client.post(reverse("reception:order_receive", args=[ro.pk, "wallet"])).status_code == 404


def test_the_list_shows_todays_and_open_orders_with_search_filter_and_pages(station, advisor, login):
    open_ro = _walk_in_order(station, advisor, vehicle=VehicleFactory(owner__dealer=station, plate="京F66666"))
    old = delivered_order(
        station, advisor, VehicleFactory(owner__dealer=station), delivered_at=timezone.now() - dt.timedelta(days=3)
    )
    RepairOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    client = login(advisor)
    url = reverse("reception:orders")
    assert [r.pk for r in client.get(url).context["page"]] == [open_ro.pk]
    assert [r.pk for r in client.get(url, {"status": "delivered"}).context["page"]] == [old.pk]
    assert [r.pk for r in client.get(url, {"q": "F66666"}).context["page"]] == [open_ro.pk]
    assert [r.pk for r in client.get(url, {"q": old.number}).context["page"]] == [old.pk]
    empty = client.get(url, {"q": "无此单"})
    assert 'class="card-body empty-state"' in empty.content.decode()
    for _ in range(21):
        _walk_in_order(station, advisor)
    second = client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 2


# --- inquiry sheet --------------------------------------------------------------------------


def test_the_inquiry_sheet_records_the_three_steps(station, advisor, login):
    ro = _walk_in_order(station, advisor)
    client = login(advisor)
    data = {
        "symptom": "冷车启动后有异响",
        "first_noticed": "上周",
        "frequency": "often",
        "where_when": "早上出门",
        "conditions": ["cold_start", "rough_road"],
        "reconfirmed": "on",
        "reconfirmation_note": "与客户试车确认",
        "presumed_cause": "排气管吊耳老化",
        "road_test_needed": "on",
    }
    assert client.post(reverse("reception:inquiry", args=[ro.pk]), data).status_code == 302
    ro.inquiry.refresh_from_db()
    assert ro.inquiry.conditions == ["cold_start", "rough_road"] and ro.inquiry.road_test_needed
    page = client.get(reverse("reception:order", args=[ro.pk])).content.decode()
    assert str(CONDITION_LABELS["cold_start"]) in page and str(CONDITION_LABELS["rough_road"]) in page


def test_an_unknown_condition_is_refused_and_nothing_written(station, advisor, login):
    ro = _walk_in_order(station, advisor)
    response = login(advisor).post(
        reverse("reception:inquiry", args=[ro.pk]), {"symptom": "x", "conditions": ["flying"]}
    )
    assert response.status_code == 400
    ro.inquiry.refresh_from_db()
    assert ro.inquiry.symptom == ""
    with pytest.raises(ValidationError):
        services.inquiry_update(repair_order=ro, conditions=["flying"])


def test_a_specialist_reads_the_inquiry_sheet_but_cannot_change_it(station, advisor, specialist, login):
    ro = _walk_in_order(station, advisor)
    client = login(specialist)
    assert client.get(reverse("reception:inquiry", args=[ro.pk])).status_code == 200
    assert client.post(reverse("reception:inquiry", args=[ro.pk]), {"symptom": "x"}).status_code == 403


# --- comeback -------------------------------------------------------------------------------


@pytest.fixture
def returning_car(station, advisor):
    vehicle = VehicleFactory(owner__dealer=station)
    now = timezone.now()
    recent = delivered_order(station, advisor, vehicle, delivered_at=now - dt.timedelta(days=10))
    long_ago = delivered_order(station, advisor, vehicle, delivered_at=now - dt.timedelta(days=45))
    current = _walk_in_order(station, advisor, vehicle=vehicle)
    return current, recent, long_ago


def test_a_comeback_links_an_order_delivered_within_the_window(returning_car, advisor, login):
    current, recent, _long_ago = returning_car
    assert list(services.comeback_candidates(current)) == [recent]
    client = login(advisor)
    client.post(reverse("reception:order_comeback", args=[current.pk]), {"original": recent.pk, "cause": "parts"})
    current.refresh_from_db()
    assert current.comeback_of == recent and current.comeback_cause == ComebackCause.PARTS
    assert 'data-testid="comeback-badge"' in client.get(reverse("reception:order", args=[current.pk])).content.decode()
    assert 'data-testid="comeback-badge"' in client.get(reverse("reception:orders")).content.decode()


def test_a_comeback_outside_the_window_is_refused(returning_car, station):
    current, _recent, long_ago = returning_car
    with pytest.raises(ValidationError, match="30"):
        services.repair_order_mark_comeback(repair_order=current, original=long_ago, cause=ComebackCause.WORKMANSHIP)
    station.comeback_window_days = 60
    station.save()
    current.dealer.refresh_from_db()
    services.repair_order_mark_comeback(repair_order=current, original=long_ago, cause=ComebackCause.WORKMANSHIP)
    assert current.comeback_of == long_ago


def test_a_comeback_of_another_vehicles_order_or_without_cause_is_refused(returning_car, station, advisor):
    current, recent, _long_ago = returning_car
    stranger = delivered_order(
        station, advisor, VehicleFactory(owner__dealer=station), delivered_at=timezone.now() - dt.timedelta(days=2)
    )
    with pytest.raises(ValidationError):
        services.repair_order_mark_comeback(repair_order=current, original=stranger, cause=ComebackCause.PARTS)
    with pytest.raises(ValidationError):
        services.repair_order_mark_comeback(repair_order=current, original=recent, cause="")
    current.refresh_from_db()
    assert current.comeback_of is None


def test_the_comeback_window_moves_with_the_clock(returning_car):
    current, recent, _long_ago = returning_car
    later = timezone.now() + dt.timedelta(days=25)  # 35 days after delivery
    assert not services.comeback_candidates(current, later).exists()
    with pytest.raises(ValidationError):
        services.repair_order_mark_comeback(
            repair_order=current, original=recent, cause=ComebackCause.CUSTOMER, now=later
        )


# --- station isolation and roles ------------------------------------------------------------


def test_another_stations_orders_and_arrivals_answer_404(station, advisor, other_advisor, login, booked):
    ro = _walk_in_order(station, advisor)
    arrival = services.arrival_record_walk_in(dealer=station, name="张三")
    client = login(other_advisor)
    for name in ("reception:order", "reception:inquiry", "reception:order_edit"):
        assert client.get(reverse(name, args=[ro.pk])).status_code == 404
    assert client.post(reverse("reception:order_receive", args=[ro.pk, "keys"])).status_code == 404
    assert client.post(reverse("reception:order_comeback", args=[ro.pk])).status_code == 404
    assert client.post(reverse("reception:arrival_serve", args=[arrival.pk])).status_code == 404
    assert client.post(reverse("reception:arrival_left", args=[arrival.pk])).status_code == 404
    assert client.post(reverse("reception:arrival_appointment", args=[booked.pk])).status_code == 404
    response = client.get(reverse("reception:arrivals"))
    assert not response.context["queue"] and not response.context["expected"]
    assert not client.get(reverse("reception:orders"), {"q": ro.number}).context["page"].object_list


@pytest.mark.parametrize(
    ("role_fixture", "read", "write"),
    [("advisor", 200, 302), ("manager", 200, 302), ("specialist", 200, 403), ("technician", 403, 403)],
)
def test_roles(request, station, login, role_fixture, read, write):
    staff = request.getfixturevalue(role_fixture)
    client = login(staff)
    assert client.get(reverse("reception:arrivals")).status_code == read
    assert client.get(reverse("reception:orders")).status_code == read
    assert client.post(reverse("reception:arrival_walk_in"), {"name": "路人"}).status_code == write


# --- query counts ---------------------------------------------------------------------------

ARRIVALS_QUERIES = 8
ORDER_PAGE_QUERIES = 13


@pytest.mark.parametrize("rows", [3, 20])
def test_the_arrivals_page_needs_the_same_queries_however_many_rows(
    station, advisor, login, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        make_appointment(station, advisor)
        vehicle = VehicleFactory(owner__dealer=station)
        services.arrival_record_walk_in(dealer=station, plate=vehicle.plate)
        make_appointment(station, advisor, status=Status.BOOKED)
    arrival = services.arrival_record_appointment(appointment=make_appointment(station, advisor))
    services.arrival_leave(arrival=arrival)
    client = login(advisor)
    with django_assert_max_num_queries(ARRIVALS_QUERIES):
        response = client.get(reverse("reception:arrivals"))
    assert len(response.context["queue"]) == rows and len(response.context["expected"]) == 2 * rows


@pytest.mark.parametrize("rows", [3, 20])
def test_the_order_page_needs_the_same_queries_however_long_the_history(
    station, advisor, login, rows, django_assert_max_num_queries
):
    vehicle = VehicleFactory(owner__dealer=station)
    start = timezone.now() - dt.timedelta(days=rows + 1)
    for n in range(rows):
        delivered_order(station, advisor, vehicle, delivered_at=start + dt.timedelta(days=n), number=f"R2000-{n:05d}")
    ro = _walk_in_order(station, advisor, vehicle=vehicle)
    for n in range(rows):
        EstimateLine.objects.create(
            repair_order=ro,
            kind=LineKind.LABOUR,
            description=f"工序{n}",
            quantity=1,
            unit_price=100,
            amount=100,
        )
    client = login(advisor)
    with django_assert_max_num_queries(ORDER_PAGE_QUERIES):
        response = client.get(reverse("reception:order", args=[ro.pk]))
    assert response.content.decode().count("R2000-") >= min(rows, 20)


def test_the_customer_file_lists_the_repair_orders(station, advisor, login, django_assert_max_num_queries):
    vehicle = VehicleFactory(owner__dealer=station)
    for n in range(5):
        delivered_order(station, advisor, vehicle, delivered_at=timezone.now(), number=f"R2001-{n:05d}")
    client = login(advisor)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("customers:detail", args=[vehicle.owner_id])).content.decode()
    assert page.count('data-testid="history-row"') == 5


def test_a_customer_marked_no_show_who_turns_up_late_is_still_expected_and_can_arrive(advisor, login, booked):
    type(booked).objects.filter(pk=booked.pk).update(status=Status.NO_SHOW)
    client = login(advisor)
    response = client.get(reverse("reception:arrivals"))
    assert [a.pk for a in response.context["expected"]] == [booked.pk]
    client.post(reverse("reception:arrival_appointment", args=[booked.pk]))
    booked.refresh_from_db()
    assert booked.status == Status.ARRIVED and Arrival.objects.filter(appointment=booked).exists()
