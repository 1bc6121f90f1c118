"""Bad input on the customer and vehicle pages writes nothing and says why, in
Chinese; good input writes exactly the rows it should."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, OdometerReading, OdometerSource, Ownership, Vehicle
from customers.validators import vin_with_check_digit
from tests.factories import CustomerFactory, OdometerReadingFactory, VehicleFactory

GOOD_VIN = "LSVAM4187C2184847"
BAD_CHECK_DIGIT_VIN = "LSVAM4185C2184847"  # 9th character typed wrong


def customer_data(**overrides) -> dict:
    data = {
        "name": "赵敏",
        "phone": "13812345678",
        "preferred_channel": "phone",
        "preferred_time": "any",
        "lifecycle": "owner",
    }
    return data | overrides


def vehicle_data(**overrides) -> dict:
    data = {"plate": "京A12345", "vin": GOOD_VIN, "make": "大众", "model": "朗逸", "sale_date": "2023-04-01"}
    return data | overrides


@pytest.fixture
def owner(station):
    return CustomerFactory(dealer=station, name="赵敏")


def counts() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        Vehicle.objects.count(),
        Ownership.objects.count(),
        OdometerReading.objects.count(),
    )


# Customers


@pytest.mark.parametrize("phone", ["12345678901", "1380013800", "12345", "abc"])
def test_a_customer_with_a_bad_phone_is_not_created_and_the_form_says_why(advisor, login, phone):
    response = login(advisor).post(reverse("customers:create"), customer_data(phone=phone))
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert "请输入11位手机号（以13–19开头）或带区号的固定电话" in response.content.decode()
    assert Customer.objects.count() == 0


def test_a_customer_without_a_name_is_not_created(advisor, login):
    response = login(advisor).post(reverse("customers:create"), customer_data(name=""))
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert "这个字段是必填项。" in response.content.decode()
    assert Customer.objects.count() == 0


def test_a_customer_born_tomorrow_is_not_created(advisor, login):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = login(advisor).post(reverse("customers:create"), customer_data(birthday=tomorrow.isoformat()))
    assert "birthday" in response.context["form"].errors
    assert Customer.objects.count() == 0


def test_a_new_customer_is_created_at_the_current_station_with_the_phone_normalised(advisor, login, station):
    response = login(advisor).post(reverse("customers:create"), customer_data(phone="+86 138 1234 5678"))
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert (customer.dealer, customer.name, customer.phone) == (station, "赵敏", "13812345678")
    assert counts() == (1, 0, 0, 0)


def test_an_edit_with_a_bad_phone_leaves_the_customer_unchanged(advisor, login, owner):
    before = owner.phone
    response = login(advisor).post(reverse("customers:edit", args=[owner.pk]), customer_data(phone="12345678901"))
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.phone == before


def test_an_edit_saves_the_landline_in_its_canonical_form(advisor, login, owner):
    response = login(advisor).post(
        reverse("customers:edit", args=[owner.pk]), customer_data(name="赵敏敏", phone2="01062345678")
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.name, owner.phone2) == ("赵敏敏", "010-62345678")


# Vehicles


def post_vehicle(client, owner, **overrides):
    return client.post(reverse("customers:vehicle_create", args=[owner.pk]), vehicle_data(**overrides))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"vin": BAD_CHECK_DIGIT_VIN}, "vin", "车架号校验位（第9位）为 5，按校验规则应为 7"),
        ({"vin": "LSVAM4187C218484"}, "vin", "车架号应为17位，当前为 16 位。"),
        ({"vin": "LSVAM4187C2184O47"}, "vin", "车架号中不会出现字母 I、O 或 Q。"),
        ({"plate": "A12345"}, "plate", "车牌号应以省份简称开头"),
        ({"plate": "京A1234O"}, "plate", "“京A1234O”不是有效的车牌号"),
        ({"warranty_end": "2023-03-31"}, "warranty_end", "质保到期日不能早于销售日期。"),
        ({"odometer_km": "-5"}, "odometer_km", "确保该值大于或等于0。"),
    ],
)
def test_a_vehicle_with_bad_data_is_not_registered_and_the_form_says_why(
    advisor, login, owner, overrides, field, message
):
    before = counts()
    response = post_vehicle(login(advisor), owner, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert counts() == before


def test_a_vin_already_on_file_at_the_station_is_refused(advisor, login, owner, station):
    VehicleFactory(owner__dealer=station, vin=GOOD_VIN, plate="京B99999")
    before = counts()
    response = post_vehicle(login(advisor), owner, vin=GOOD_VIN.lower())
    assert "vin" in response.context["form"].errors
    assert "本服务站已有使用此车架号（VIN）的车辆档案。" in response.content.decode()
    assert counts() == before


def test_a_plate_already_on_file_at_the_station_is_refused(advisor, login, owner, station):
    VehicleFactory(owner__dealer=station, plate="京A12345")
    before = counts()
    response = post_vehicle(login(advisor), owner, plate="京a·12345")
    assert "plate" in response.context["form"].errors
    assert "本服务站已有使用此车牌号的车辆档案。" in response.content.decode()
    assert counts() == before


def test_the_same_vin_and_plate_at_another_station_are_allowed(advisor, login, owner, other_station):
    VehicleFactory(owner__dealer=other_station, vin=GOOD_VIN, plate="京A12345")
    response = post_vehicle(login(advisor), owner)
    assert response.status_code == 302
    assert Vehicle.objects.filter(vin=GOOD_VIN).count() == 2


def test_a_new_vehicle_writes_the_vehicle_and_its_first_ownership(advisor, login, owner, station):
    before = counts()
    response = post_vehicle(login(advisor), owner, vin="lsvam4187c2184847", plate="京a·12345")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[owner.pk])
    assert counts() == (before[0], before[1] + 1, before[2] + 1, before[3])
    vehicle = Vehicle.objects.get()
    assert (vehicle.dealer, vehicle.owner, vehicle.vin, vehicle.plate) == (station, owner, GOOD_VIN, "京A12345")
    ownership = Ownership.objects.get()
    assert (ownership.customer, ownership.since, ownership.until) == (owner, dt.date(2023, 4, 1), None)
    assert ownership.recorded_by == advisor.user


def test_a_new_vehicle_with_its_odometer_also_writes_the_first_reading(advisor, login, owner):
    before = counts()
    response = post_vehicle(login(advisor), owner, odometer_km="12345")
    assert response.status_code == 302
    assert counts() == (before[0], before[1] + 1, before[2] + 1, before[3] + 1)
    reading = OdometerReading.objects.get()
    assert (reading.km, reading.read_on, reading.recorded_by) == (12_345, timezone.localdate(), advisor.user)


def test_a_vehicle_edit_with_a_bad_check_digit_leaves_the_vehicle_unchanged(advisor, login, owner):
    vehicle = VehicleFactory(owner=owner)
    response = login(advisor).post(
        reverse("customers:vehicle_edit", args=[vehicle.pk]), vehicle_data(vin=BAD_CHECK_DIGIT_VIN)
    )
    assert response.status_code == 200
    assert "vin" in response.context["form"].errors
    vehicle.refresh_from_db()
    assert vehicle.vin != BAD_CHECK_DIGIT_VIN


def test_a_vehicle_edit_may_keep_its_own_vin_and_plate(advisor, login, owner):
    vehicle = VehicleFactory(owner=owner)
    response = login(advisor).post(
        reverse("customers:vehicle_edit", args=[vehicle.pk]),
        vehicle_data(vin=vehicle.vin, plate=vehicle.plate, colour="珍珠白"),
    )
    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.colour == "珍珠白"


# Query counts of the file pages


def readings_by(vehicle, user, count):
    for day in range(count):
        OdometerReadingFactory(
            vehicle=vehicle,
            km=1_000 * (day + 1),
            read_on=dt.date(2025, 1, 1) + dt.timedelta(days=day),
            source=OdometerSource.RECEPTION,
            recorded_by=user,
        )


# Session, user, staff, roles, stations; the file, fetched with the access
# check: the customer, its vehicles with their readings and owners, its own ownerships.
CUSTOMER_FILE_QUERIES = 11  # + the customer's repair orders
# Session, user, staff, roles, stations; the vehicle, its readings, its owners.
VEHICLE_PAGE_QUERIES = 8


@pytest.mark.parametrize("vehicles", [1, 12])
def test_the_customer_file_needs_the_same_queries_however_many_vehicles(
    advisor, login, owner, django_assert_max_num_queries, vehicles
):
    for n in range(vehicles):
        vehicle = VehicleFactory(owner=owner, vin=vin_with_check_digit(f"LFV3A23C0M30{n:05d}"))
        readings_by(vehicle, advisor.user, 3)
    client = login(advisor)
    with django_assert_max_num_queries(CUSTOMER_FILE_QUERIES):
        response = client.get(reverse("customers:detail", args=[owner.pk]))
    assert response.content.decode().count('data-testid="vehicle-row"') == vehicles


@pytest.mark.parametrize("readings", [1, 30])
def test_the_vehicle_page_needs_the_same_queries_however_many_readings(
    advisor, specialist, login, owner, django_assert_max_num_queries, readings
):
    vehicle = VehicleFactory(owner=owner)
    readings_by(vehicle, advisor.user, readings)
    if readings > 1:
        readings_by(vehicle, specialist.user, 1)
    client = login(advisor)
    with django_assert_max_num_queries(VEHICLE_PAGE_QUERIES):
        response = client.get(reverse("customers:vehicle", args=[vehicle.pk]))
    assert response.content.decode().count(">advisor</td>") == readings
