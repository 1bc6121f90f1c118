"""The advisor's walk-around at the car, on a tablet: odometer, fuel, a dent
tapped onto the drawing, done."""

from __future__ import annotations

import pytest
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dealers.models import JobType
from reception.models import DamageMark, RepairOrder, WalkAround
from reception.services import next_repair_order_number
from tests.browser.conftest import SIZES
from tests.factories import VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tap(driver, css: str) -> None:
    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def test_advisor_walks_around_the_car_on_a_tablet(driver, live_server, sign_in, screenshot, advisor, station):
    vehicle = VehicleFactory(owner__dealer=station, owner__name="王建国", plate="京A12345")
    ro = RepairOrder.objects.create(
        dealer=station,
        number=next_repair_order_number(station, timezone.now()),
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
    )
    wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
    driver.set_window_size(*SIZES["tablet"])
    sign_in(advisor)
    driver.get(f"{live_server.url}/reception/orders/{ro.pk}/walkaround/")
    # Selenium clicks at where an element is; a smooth scroll still under way would move it.
    driver.execute_script("document.documentElement.style.scrollBehavior = 'auto'")
    screenshot("walkaround-start", "tablet")

    driver.find_element(By.CSS_SELECTOR, "[data-testid=odometer-input]").send_keys("23500")
    _tap(driver, "[data-testid=odometer-save]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=odometer-recorded]").is_displayed())
    _tap(driver, "[data-testid=fuel-6]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=fuel-value]").text == "3/4")

    _tap(driver, "[data-testid=kind-dent]")
    top = driver.find_element(By.CSS_SELECTOR, "#wa-damage svg[data-view=top]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", top)
    # A quarter of the way from the front, on the bonnet's left-hand half.
    ActionChains(driver).move_to_element_with_offset(
        top, -top.size["width"] // 4, top.size["height"] // 6
    ).click().perform()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=mark-row]")) == 1)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#wa-damage svg[data-view=top] .wa-mark")) == 1
    mark = DamageMark.objects.get()
    assert (mark.view, mark.kind) == ("top", "dent")
    assert 15 < mark.x < 35 and 55 < mark.y < 80
    screenshot("walkaround-marked", "tablet")
    screenshot("walkaround-marked", "desktop")

    _tap(driver, "[data-testid=checks-all-ok]")
    wait.until(
        lambda d: (
            "btn-success"
            in d.find_element(By.CSS_SELECTOR, "[data-testid=check-tyres] button[value=ok]").get_attribute("class")
        )
    )
    _tap(driver, "[data-testid=walkaround-done-button]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=walkaround-done]").is_displayed())
    summary = driver.find_element(By.CSS_SELECTOR, "[data-testid=walkaround-summary]").text
    assert "23500 km" in summary and "3/4" in summary
    assert WalkAround.objects.get(repair_order=ro).done_by == advisor
    screenshot("walkaround-done", "tablet")
    screenshot("walkaround-done", "desktop")
