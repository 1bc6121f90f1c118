"""On a tablet: the customer signs the estimate with a finger (pointer moves
on the canvas); the repair order opens and the consent keeps a PNG."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reception.models import ConsentMethod, ConsentRecord, ROStatus
from tests.reception import conftest as reception_fixtures

pytestmark = pytest.mark.django_db(transaction=True)

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order


def test_the_customer_signs_the_estimate_on_the_tablet(
    driver, live_server, sign_in, screenshot, advisor, priced_order, settings, tmp_path
):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    settings.MEDIA_ROOT = tmp_path
    driver.set_window_size(1024, 768)
    sign_in(advisor)
    driver.get(live_server.url + reverse("reception:estimate", args=[priced_order.pk]))
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-testid=line]")) == 2
    screenshot("reception-estimate", "tablet")

    driver.find_element(By.CSS_SELECTOR, "[data-testid=to-consent]").click()
    pad = driver.find_element(By.CSS_SELECTOR, "[data-testid=signature-pad]")
    # Instantly: Bootstrap scrolls smoothly, and a pointer moving mid-scroll misses the pad.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", pad)
    width = pad.size["width"]
    chain = ActionChains(driver).move_to_element_with_offset(pad, -width // 3, 10).click_and_hold()
    for dx, dy in [(30, -40), (30, 60), (40, -50), (40, 40), (50, -30), (40, 30)]:
        chain.move_by_offset(dx, dy)
    chain.release().perform()
    assert "signed" in pad.get_attribute("class")
    screenshot("reception-consent-signed", "tablet")
    submit = driver.find_element(By.CSS_SELECTOR, "[data-testid=consent-submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", submit)
    submit.click()

    status = driver.find_element(By.CSS_SELECTOR, "[data-testid=consent-done]")
    assert status.is_displayed()
    screenshot("reception-consent-done", "tablet")
    priced_order.refresh_from_db()
    assert priced_order.status == ROStatus.OPEN
    consent = ConsentRecord.objects.get(repair_order=priced_order)
    assert consent.method == ConsentMethod.SIGNATURE_PAD
    with consent.signature.open("rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"
