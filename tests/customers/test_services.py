"""Odometer readings only go up, and a change of owner keeps the history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.models import OdometerReading, OdometerSource, Ownership
from customers.services import odometer_record, vehicle_transfer
from tests.factories import CustomerFactory, OdometerReadingFactory, VehicleFactory

LAST_READING_DAY = dt.date(2026, 1, 1)


@pytest.fixture
def car(station):
    """A car sold on 2022-05-01 whose last reading is 10,000 km on 2026-01-01."""
    vehicle = VehicleFactory(owner__dealer=station, owner__name="张伟")
    OdometerReadingFactory(vehicle=vehicle, km=8_000, read_on=dt.date(2025, 6, 1))
    OdometerReadingFactory(vehicle=vehicle, km=10_000, read_on=LAST_READING_DAY)
    return vehicle


def record(car, km, *, read_on=LAST_READING_DAY + dt.timedelta(days=30), **kwargs):
    return odometer_record(vehicle=car, km=km, read_on=read_on, source=OdometerSource.RECEPTION, **kwargs)


# Odometer


def test_a_reading_lower_than_the_last_without_a_reason_is_refused_and_nothing_is_written(car):
    with pytest.raises(ValidationError) as caught:
        record(car, 9_500)
    assert set(caught.value.message_dict) == {"correction_reason"}
    assert car.odometer_readings.count() == 2


def test_a_blank_correction_reason_does_not_count_as_a_reason(car):
    with pytest.raises(ValidationError):
        record(car, 9_500, correction_reason="   ")
    assert car.odometer_readings.count() == 2


def test_a_lower_reading_with_a_reason_is_stored_as_a_correction(car, advisor):
    reading = record(car, 120, correction_reason=" 更换仪表总成 ", by=advisor.user)
    reading.refresh_from_db()
    assert reading.km == 120
    assert reading.source == OdometerSource.CORRECTION
    assert reading.correction_reason == "更换仪表总成"
    assert reading.recorded_by == advisor.user
    assert car.odometer_readings.count() == 3


def test_a_reading_lower_than_the_last_on_the_same_day_also_needs_a_reason(car):
    with pytest.raises(ValidationError) as caught:
        record(car, 9_999, read_on=LAST_READING_DAY)
    assert "correction_reason" in caught.value.message_dict


@pytest.mark.parametrize("km", [10_000, 10_001, 25_000])
def test_an_equal_or_higher_reading_is_stored_with_its_own_source(car, km):
    reading = record(car, km)
    assert reading.source == OdometerSource.RECEPTION
    assert reading.correction_reason == ""
    assert car.odometer_readings.count() == 3


def test_the_first_reading_of_a_vehicle_needs_no_reason_whatever_its_value(station):
    vehicle = VehicleFactory(owner__dealer=station)
    assert record(vehicle, 5).source == OdometerSource.RECEPTION


def test_a_reading_dated_in_the_future_is_refused(car):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        record(car, 20_000, read_on=tomorrow)
    assert set(caught.value.message_dict) == {"read_on"}
    assert car.odometer_readings.count() == 2


def test_a_reading_dated_today_is_accepted(car):
    assert record(car, 20_000, read_on=timezone.localdate()).pk is not None


def test_the_odometer_page_shows_the_missing_reason_and_writes_nothing(car, advisor, login):
    response = login(advisor).post(
        reverse("customers:odometer_add", args=[car.pk]),
        {"km": 9_000, "read_on": "2026-02-01", "source": OdometerSource.CUSTOMER, "correction_reason": ""},
    )
    assert response.status_code == 200
    assert "请填写更正原因" in response.content.decode()
    assert "correction_reason" in response.context["form"].errors
    assert car.odometer_readings.count() == 2


def test_the_odometer_page_records_a_correction_with_its_reason(car, advisor, login):
    response = login(advisor).post(
        reverse("customers:odometer_add", args=[car.pk]),
        {"km": 9_000, "read_on": "2026-02-01", "source": OdometerSource.CUSTOMER, "correction_reason": "仪表更换"},
    )
    assert response.status_code == 302
    latest = car.odometer_readings.get(read_on=dt.date(2026, 2, 1))
    assert (latest.km, latest.source, latest.recorded_by) == (9_000, OdometerSource.CORRECTION, advisor.user)


# Ownership


@pytest.fixture
def buyer(station):
    return CustomerFactory(dealer=station, name="李娜", phone="13912345678")


def test_a_transfer_closes_the_old_ownership_and_opens_a_new_one(car, buyer, advisor):
    seller = car.owner
    on = dt.date(2026, 3, 15)
    ownership = vehicle_transfer(vehicle=car, new_owner=buyer, on=on, note="二手车置换", by=advisor.user)

    old = Ownership.objects.get(vehicle=car, customer=seller)
    assert old.since == dt.date(2022, 5, 1)
    assert old.until == on
    assert (ownership.customer, ownership.since, ownership.until, ownership.note) == (buyer, on, None, "二手车置换")
    assert Ownership.objects.filter(vehicle=car, until__isnull=True).get() == ownership
    car.refresh_from_db()
    assert car.owner == buyer
    assert car.odometer_readings.count() == 2  # the vehicle's own history stays with it


def test_the_previous_owner_still_sees_the_car_as_previously_owned(car, buyer, advisor, login):
    seller = car.owner
    # The seller keeps another car that sorts first: the history must still have its heading.
    kept = VehicleFactory(owner=seller, plate="京A00001", sale_date=dt.date(2023, 1, 1))
    vehicle_transfer(vehicle=car, new_owner=buyer, on=dt.date(2026, 3, 15))

    page = login(advisor).get(reverse("customers:detail", args=[seller.pk])).content.decode()
    history = page.split("曾拥有的车辆")
    assert len(history) == 2, "the seller's file has a “previously owned” section"
    assert car.plate in history[1]
    assert "2022-05-01 – 2026-03-15" in history[1]
    assert kept.plate in history[0]

    buyers_page = login(advisor).get(reverse("customers:detail", args=[buyer.pk])).content.decode()
    assert car.plate in buyers_page
    assert "曾拥有的车辆" not in buyers_page


def test_the_vehicle_page_lists_every_owner_in_order(car, buyer, advisor, login):
    vehicle_transfer(vehicle=car, new_owner=buyer, on=dt.date(2026, 3, 15))
    page = login(advisor).get(reverse("customers:vehicle", args=[car.pk])).content.decode()
    assert page.index("2026-03-15 – 至今") < page.index("2022-05-01 – 2026-03-15")


def test_a_vehicle_cannot_be_transferred_to_a_customer_of_another_station(car, other_station):
    stranger = CustomerFactory(dealer=other_station)
    with pytest.raises(ValidationError) as caught:
        vehicle_transfer(vehicle=car, new_owner=stranger, on=dt.date(2026, 3, 15))
    assert "new_owner" in caught.value.message_dict
    assert_unchanged(car)


def test_a_vehicle_cannot_be_transferred_to_its_own_owner(car):
    with pytest.raises(ValidationError) as caught:
        vehicle_transfer(vehicle=car, new_owner=car.owner, on=dt.date(2026, 3, 15))
    assert "new_owner" in caught.value.message_dict
    assert_unchanged(car)


def test_a_transfer_dated_before_the_current_ownership_began_is_refused(car, buyer):
    with pytest.raises(ValidationError) as caught:
        vehicle_transfer(vehicle=car, new_owner=buyer, on=dt.date(2022, 4, 30))
    assert "on" in caught.value.message_dict
    assert_unchanged(car)


def test_a_transfer_on_the_day_the_ownership_began_is_allowed(car, buyer):
    vehicle_transfer(vehicle=car, new_owner=buyer, on=dt.date(2022, 5, 1))
    car.refresh_from_db()
    assert car.owner == buyer


def test_a_car_sold_on_twice_keeps_all_three_owners(car, buyer, station):
    third = CustomerFactory(dealer=station)
    vehicle_transfer(vehicle=car, new_owner=buyer, on=dt.date(2024, 1, 1))
    vehicle_transfer(vehicle=car, new_owner=third, on=dt.date(2025, 1, 1))
    history = list(Ownership.objects.filter(vehicle=car).order_by("since").values_list("since", "until"))
    assert history == [
        (dt.date(2022, 5, 1), dt.date(2024, 1, 1)),
        (dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
        (dt.date(2025, 1, 1), None),
    ]


def test_the_transfer_page_refuses_a_phone_number_of_another_stations_customer(car, other_station, advisor, login):
    CustomerFactory(dealer=other_station, phone="13700001111")
    response = login(advisor).post(
        reverse("customers:vehicle_transfer", args=[car.pk]), {"new_owner_phone": "137 0000 1111", "on": "2026-03-15"}
    )
    assert response.status_code == 200
    assert "本服务站没有使用此电话号码的客户" in response.content.decode()
    assert_unchanged(car)


def test_the_transfer_page_finds_the_new_owner_by_phone_and_transfers(car, buyer, advisor, login):
    response = login(advisor).post(
        reverse("customers:vehicle_transfer", args=[car.pk]),
        {"new_owner_phone": "+86 139 1234 5678", "on": "2026-03-15", "note": "过户"},
    )
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.owner == buyer
    assert Ownership.objects.get(vehicle=car, until__isnull=True).recorded_by == advisor.user


def assert_unchanged(car):
    seller = car.owner
    car.refresh_from_db()
    assert car.owner == seller
    assert list(Ownership.objects.filter(vehicle=car).values_list("customer", "until")) == [(seller.pk, None)]
    assert OdometerReading.objects.filter(vehicle=car).count() == 2
