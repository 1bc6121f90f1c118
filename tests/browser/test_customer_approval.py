"""On a phone: the customer opens the approval link, approves one line of the
additional work and declines the other, and sends the answer once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from reception.models import ROStatus
from tests.reception import conftest as reception_fixtures
from tests.workshop import findings_fixtures
from workshop.findings import finding_link_send
from workshop.models import Decision

pytestmark = pytest.mark.django_db(transaction=True)

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
working_order = findings_fixtures.working_order
brake_operation = findings_fixtures.brake_operation
brake_pads = findings_fixtures.brake_pads
finding = findings_fixtures.finding


def _tap(driver, element) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def test_a_customer_approves_one_line_and_declines_another_on_the_phone(
    driver, live_server, screenshot, advisor, finding
):
    from selenium.webdriver.common.by import By

    cache.clear()
    token = finding_link_send(finding=finding, by=advisor.user)
    labour = finding.lines.get(kind="labour")
    part = finding.lines.get(kind="part")
    driver.set_window_size(390, 844)
    driver.get(live_server.url + reverse("workshop:approve", args=[token]))
    assert driver.find_element(By.CSS_SELECTOR, "[data-testid=ro-number]").text == finding.repair_order.number
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-testid=approve-line]")) == 2
    # Nothing overflows sideways on the phone.
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("workshop-approve", "phone")

    _tap(driver, driver.find_element(By.CSS_SELECTOR, f"[data-testid=approve-{labour.pk}]"))
    _tap(driver, driver.find_element(By.CSS_SELECTOR, f"[data-testid=decline-{part.pk}]"))
    button = driver.find_element(By.CSS_SELECTOR, f"[data-testid=approve-{labour.pk}]")
    assert button.size["height"] >= 44
    screenshot("workshop-approve-chosen", "phone")
    _tap(driver, driver.find_element(By.CSS_SELECTOR, "[data-testid=approve-submit]"))

    assert driver.find_element(By.CSS_SELECTOR, "[data-testid=approve-done]").is_displayed()
    screenshot("workshop-approve-done", "phone")
    labour.refresh_from_db()
    part.refresh_from_db()
    assert (labour.decision, part.decision) == (Decision.APPROVED, Decision.DECLINED)
    assert labour.estimate_line is not None and part.recommend_by_date is not None
    finding.repair_order.refresh_from_db()
    assert finding.repair_order.status == ROStatus.IN_PROGRESS

    # The same link again: already decided, nothing changes.
    driver.get(live_server.url + reverse("workshop:approve", args=[token]))
    refused = driver.find_element(By.CSS_SELECTOR, "[data-testid=link-refused]")
    assert refused.get_attribute("data-reason") == "used"
    screenshot("workshop-approve-used", "phone")
