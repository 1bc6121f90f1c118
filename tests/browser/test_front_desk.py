"""The advisor's first minute: sign in, search a plate, open the customer file."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import CustomerFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_advisor_finds_a_car_by_plate_and_opens_the_customer_file(
    driver, live_server, sign_in, screenshot, advisor, station
):
    owner = CustomerFactory(dealer=station, name="王建国")
    VehicleFactory(owner=owner, plate="京A12345", model="帕萨特")

    sign_in(advisor)
    screenshot("front-desk-landing")
    search = driver.find_element(By.CSS_SELECTOR, "nav input[name=q]")
    search.send_keys("A123")
    search.send_keys(Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: "q=A123" in d.current_url)

    # The results list may still be swapped by the live search: retry on a stale link.
    WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "王建国").is_displayed()
    )
    screenshot("lookup-results")
    screenshot("lookup-results", "tablet")
    WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "王建国").click() or True
    )
    WebDriverWait(driver, 10).until(lambda d: "/customers/" in d.current_url and "q=" not in d.current_url)

    body = driver.find_element(By.TAG_NAME, "body").text
    assert "王建国" in body
    assert "京A12345" in body
    assert "帕萨特" in body
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    screenshot("customer-file")
    screenshot("customer-file", "tablet")
