"""The advisor at the desk on a tablet: an expected customer arrives, is
served, and the repair order opens with the inquiry sheet pre-filled."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import SIZES
from tests.reception import arrival_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
booked = arrival_fixtures.booked


def test_advisor_marks_an_appointment_arrived_serves_it_and_sees_the_pre_filled_inquiry_sheet(
    driver, live_server, sign_in, screenshot, advisor, booked
):
    driver.set_window_size(*SIZES["tablet"])
    sign_in(advisor)
    driver.get(f"{live_server.url}/reception/arrivals/")
    row = driver.find_element(By.CSS_SELECTOR, "[data-testid=expected-row]")
    assert "李娜" in row.text
    screenshot("reception-arrivals-expected", "tablet")

    row.find_element(By.CSS_SELECTOR, "[data-testid=arrived]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=queue-row]"))
    queue_row = driver.find_element(By.CSS_SELECTOR, "[data-testid=queue-row]")
    assert "李娜" in queue_row.text and "京B54321" in queue_row.text
    screenshot("reception-arrivals-queue", "tablet")
    serve = queue_row.find_element(By.CSS_SELECTOR, "[data-testid=serve]")
    assert serve.size["height"] >= 44  # a touch target on the tablet

    serve.click()
    WebDriverWait(driver, 10).until(lambda d: "/reception/orders/" in d.current_url)
    assert "冷车启动时发动机抖动" in driver.find_element(By.CSS_SELECTOR, "[data-testid=symptom]").text
    assert driver.find_element(By.CSS_SELECTOR, "[data-testid=ro-number]").text.startswith("R")
    screenshot("reception-order", "tablet")

    driver.find_element(By.CSS_SELECTOR, f"a[href$='{driver.current_url.split(live_server.url)[1]}inquiry/']").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/inquiry/"))
    symptom = driver.find_element(By.NAME, "symptom")
    assert symptom.get_attribute("value") == "冷车启动时发动机抖动，故障灯偶尔亮"
    screenshot("reception-inquiry", "tablet")
