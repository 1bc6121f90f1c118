"""The advisor at the desk on a tablet: an expected customer arrives, is
served, and the repair order opens with the inquiry sheet pre-filled."""

from __future__ import annotations

import pytest
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from reception.models import ConsentMethod, ConsentRecord, RepairOrder, ROStatus
from tests.browser.conftest import SIZES
from tests.reception import arrival_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
booked = arrival_fixtures.booked


def test_from_arrival_to_the_estimate_signed_on_the_tablet(
    driver, live_server, sign_in, screenshot, advisor, booked, settings, tmp_path
):
    """From the arrival to the estimate the customer signs with a finger."""
    settings.MEDIA_ROOT = tmp_path
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

    # The estimate, pre-filled from the appointment, then the customer's signature.
    ro = RepairOrder.objects.get(appointment=booked)
    driver.get(live_server.url + reverse("reception:estimate", args=[ro.pk]))
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=line]")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=to-consent]").click()
    pad = driver.find_element(By.CSS_SELECTOR, "[data-testid=signature-pad]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", pad)
    chain = ActionChains(driver).move_to_element_with_offset(pad, -pad.size["width"] // 3, 10).click_and_hold()
    for dx, dy in [(30, -40), (30, 60), (40, -50), (40, 40), (50, -30), (40, 30)]:
        chain.move_by_offset(dx, dy)
    chain.release().perform()
    submit = driver.find_element(By.CSS_SELECTOR, "[data-testid=consent-submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", submit)
    submit.click()
    assert driver.find_element(By.CSS_SELECTOR, "[data-testid=consent-done]").is_displayed()
    screenshot("reception-signed-from-arrival", "tablet")
    ro.refresh_from_db()
    assert ro.status == ROStatus.OPEN
    assert ConsentRecord.objects.get(repair_order=ro).method == ConsentMethod.SIGNATURE_PAD
