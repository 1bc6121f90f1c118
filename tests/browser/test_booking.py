"""The customer-service specialist books an appointment on the phone: picks
the service, takes one of the proposed times, and the booking is confirmed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from appointments.models import Appointment, Status
from dealers.models import BayType, JobType, RosterEntry
from tests.browser.conftest import click
from tests.factories import BayFactory, LabourOperationFactory, StaffFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_workshop(station):
    BayFactory(dealer=station, bay_type=BayType.QUICK)
    BayFactory(dealer=station, bay_type=BayType.GENERAL)
    today = timezone.localdate()
    for _ in range(2):
        tech = StaffFactory(skill_grade=3, dealers=[station])
        for offset in range(16):
            RosterEntry.objects.create(
                dealer=station,
                technician=tech,
                date=today + dt.timedelta(days=offset),
                starts=dt.time(8, 30),
                ends=dt.time(18, 0),
                break_minutes=60,
            )
    return station


def test_specialist_books_a_proposed_time(driver, live_server, sign_in, screenshot, specialist, advisor, open_workshop):
    operation = LabourOperationFactory(
        dealer=open_workshop, name="更换机油机滤", job_type=JobType.MAINTENANCE, flat_rate_hours=Decimal("1.0")
    )
    car = VehicleFactory(owner__dealer=open_workshop, owner__name="李娜", plate="京B23456")

    sign_in(specialist)
    driver.get(f"{live_server.url}/appointments/new/?vehicle={car.pk}")
    Select(driver.find_element(By.ID, "id_operations")).select_by_value(str(operation.pk))
    proposals = WebDriverWait(driver, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=proposals] button"))
    )
    screenshot("booking-proposals")
    screenshot("booking-proposals", "tablet")
    chosen = proposals.get_attribute("data-value")
    click(driver, proposals)
    assert driver.find_element(By.ID, "id_arrives_at").get_attribute("value") == chosen
    driver.find_element(By.ID, "id_request").send_keys("保养时顺便检查刹车异响")
    Select(driver.find_element(By.ID, "id_advisor")).select_by_value(str(advisor.pk))
    submit = driver.find_element(By.CSS_SELECTOR, "#booking-form button[type=submit]:not([name])")
    click(driver, submit)

    WebDriverWait(driver, 10).until(ec.staleness_of(submit))  # the booking form's page is gone
    heading = WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "main h1, h1")))
    appointment = Appointment.objects.get(vehicle=car)
    assert appointment.number in heading.text
    assert appointment.status == Status.BOOKED
    assert appointment.request == "保养时顺便检查刹车异响"
    assert timezone.localtime(appointment.arrives_at).strftime("%Y-%m-%dT%H:%M") == chosen
    screenshot("appointment-booked")
