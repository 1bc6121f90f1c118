"""A customer books online on a phone and cancels through the link."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from appointments.models import Appointment, Source, Status
from dealers.models import JobType
from tests.appointments.public_fixtures import PHONE, staff_the_workshop
from tests.factories import LabourOperationFactory, ServicePackageFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bookable_station(station, advisor, settings):
    settings.PUBLIC_BOOKING_MIN_FILL_SECONDS = 0  # Selenium types faster than people
    staff_the_workshop(station)
    station.address = "北京市朝阳区东三环北路 88 号"
    station.save()
    oil = LabourOperationFactory(
        dealer=station, code="M001", name="更换机油机滤", job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("1.00")
    )
    LabourOperationFactory(
        dealer=station, code="R010", name="刹车异响检查", job_type=JobType.REPAIR, flat_rate_hours=Decimal("0.50")
    )
    package = ServicePackageFactory(dealer=station, code="PK10", name="10000 公里保养", job_type=JobType.MAINTENANCE)
    package.operations.add(oil)
    VehicleFactory(owner__dealer=station, owner__name="张伟", owner__phone=PHONE, plate="京A12345")
    return station


def _phone(driver) -> None:
    driver.set_window_size(390, 844)


def _press(driver, element) -> None:
    """Scroll to the element and press it as a tap would (headless Chromium
    after a window resize may report stale coordinates to a native click)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)


def test_a_customer_books_on_a_phone_and_cancels_through_the_link(driver, live_server, screenshot, bookable_station):
    wait = WebDriverWait(driver, 10)
    driver.get(f"{live_server.url}/book/{bookable_station.code}/")
    screenshot("public-booking-start", "desktop")
    screenshot("public-booking-start", "phone")
    driver.find_element(By.NAME, "plate").send_keys("京A12345")
    driver.find_element(By.NAME, "phone").send_keys(PHONE)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=identify-form] button[type=submit]").click()

    wait.until(ec.presence_of_element_located((By.ID, "choose-form")))
    assert not driver.find_element(By.ID, "show-times").is_displayed(), "the page loads times itself"
    driver.find_element(By.CSS_SELECTOR, "label[for=id_packages_0]").click()
    first_slot = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "#slots label.public-slot")),
        "free times arrive from the JSON API",
    )
    _press(driver, first_slot)
    screenshot("public-booking-choose", "desktop")
    screenshot("public-booking-choose", "phone")
    _phone(driver)
    _press(driver, driver.find_element(By.ID, "book-button"))

    status = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=status]")))
    appointment = Appointment.objects.get()
    assert (appointment.source, appointment.status) == (Source.ONLINE, Status.BOOKED)
    assert status.text == "已预约"
    assert appointment.number in driver.find_element(By.TAG_NAME, "body").text
    link = driver.find_element(By.CSS_SELECTOR, "[data-testid=link]").get_attribute("value")
    assert "/book/link/" in link
    screenshot("public-booking-confirmation", "phone")
    screenshot("public-booking-confirmation", "desktop")
    _phone(driver)

    driver.get(link)
    _press(driver, driver.find_element(By.ID, "cancel-button"))
    wait.until(ec.alert_is_present()).accept()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-testid=status]"), "已取消"))
    screenshot("public-booking-cancelled", "phone")
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
