"""A call-center agent takes a repair-quality complaint; the station's advisor
handles it and closes it after the follow-up call."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from complaints.models import Complaint, Status
from dealers.models import Role
from tests.complaints.conftest import repair_order
from tests.factories import LabourOperationFactory, StaffFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _click(driver, element) -> None:
    """Scroll the element to the middle of the window first, at once (Bootstrap
    scrolls smoothly, which moves the element while it is clicked): the long
    forms put it under the bottom edge otherwise."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def _step(driver, kind: str, note: str = "", value: str | None = None) -> None:
    form = driver.find_element(By.CSS_SELECTOR, f"[data-testid=step-{kind}]")
    if value is not None:
        Select(form.find_element(By.NAME, "value")).select_by_value(value)
    if note:
        form.find_element(By.NAME, "note").send_keys(note)
    _click(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".alert-success"))


def test_an_agent_takes_a_repair_quality_complaint_and_the_station_closes_it(
    driver, live_server, sign_in, screenshot, station, advisor
):
    agent = StaffFactory(user__username="agent", display_name="吴婷", roles=[Role.CALL_CENTER], dealers=[station])
    car = VehicleFactory(owner__dealer=station, owner__name="王建国", plate="京A12345", model="帕萨特")
    brakes = LabourOperationFactory(dealer=station, code="B100", name="更换前刹车片")
    visit = repair_order(station, car, advisor, operation=brakes, symptom="刹车异响")

    sign_in(agent)
    WebDriverWait(driver, 10).until(lambda d: "/complaints/intake/" in d.current_url)
    search = driver.find_element(By.CSS_SELECTOR, "[data-testid=caller-q]")
    search.send_keys("A12345")
    search.send_keys(Keys.ENTER)
    driver.find_element(By.PARTIAL_LINK_TEXT, "王建国").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=caller]"))
    assert visit.number in driver.find_element(By.CSS_SELECTOR, "[data-testid=visits]").text

    form = driver.find_element(By.CSS_SELECTOR, "[data-testid=intake-form]")
    form.find_element(By.NAME, "words").send_keys("刹车还是有异响,上个月刚在你们这里换过刹车片。")
    Select(form.find_element(By.NAME, "subject")).select_by_value("repair_quality")
    form.find_element(By.NAME, "q_repair_quality_fault").send_keys("踩刹车时尖叫")
    Select(form.find_element(By.NAME, "problem_operation")).select_by_visible_text(str(brakes))
    form.find_element(By.NAME, "expected_outcome").send_keys("免费重新检修")
    _click(driver, form.find_element(By.CSS_SELECTOR, f"input[name=related_orders][value='{visit.pk}']"))
    screenshot("complaints-intake")
    screenshot("complaints-intake", "tablet")
    _click(driver, form.find_element(By.CSS_SELECTOR, "[data-testid=save-contact]"))

    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=ticket-number]"))
    complaint = Complaint.objects.get()
    assert complaint.dispatched and complaint.status == Status.DISPATCHED
    assert "1" in driver.find_element(By.CSS_SELECTOR, "[data-testid=repeat-count]").text  # once before, same problem
    screenshot("complaints-ticket")
    screenshot("complaints-ticket", "tablet")

    driver.delete_all_cookies()
    sign_in(advisor)
    driver.get(f"{live_server.url}/complaints/")
    assert complaint.number in driver.find_element(By.CSS_SELECTOR, "[data-testid=tickets]").text
    screenshot("complaints-list")
    screenshot("complaints-list", "tablet")
    driver.find_element(By.LINK_TEXT, complaint.number).click()

    _step(driver, "acknowledged", "已致歉,约客户明天到店")
    _step(driver, "fault", value="us")
    _step(driver, "solution", "免费更换原厂刹车片并路试")
    _step(driver, "action", "已更换,路试无异响")
    _step(driver, "followup_call", "客户确认已无异响", value="yes")
    close = driver.find_element(By.CSS_SELECTOR, "[data-testid=close-form]")
    _click(driver, close.find_element(By.CSS_SELECTOR, "input[value=yes]"))
    _click(driver, close.find_element(By.CSS_SELECTOR, "[data-testid=close]"))
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=closed]"))
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.satisfied is True
    screenshot("complaints-closed")
    screenshot("complaints-closed", "tablet")
