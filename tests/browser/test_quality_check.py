"""The dispatcher's quality check on a tablet: one item fails and the car
goes to rework; after the rework it passes, is washed and is ready."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from reception.models import RepairOrder, ROStatus
from tests.browser.conftest import SIZES
from tests.reception import conftest as reception_fixtures
from tests.workshop.quality_fixtures import finish_jobs, work_done
from workshop.models import Job, JobStatus

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tap(driver, css: str) -> None:
    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def _item(code: str) -> str:
    return f"[data-testid=qc-item][data-code='{code}']"


def _check_every_item(driver, wait, *, fail: str = "", note: str = "") -> None:
    codes = [e.get_attribute("data-code") for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid=qc-item]")]
    for code in codes:
        if code == fail:
            driver.find_element(By.CSS_SELECTOR, f"{_item(code)} [data-testid=qc-note]").send_keys(note)
            _tap(driver, f"{_item(code)} [data-testid=qc-fail]")
            wait.until(
                lambda d, c=code: "qc-failed" in d.find_element(By.CSS_SELECTOR, _item(c)).get_attribute("class")
            )
        else:
            _tap(driver, f"{_item(code)} [data-testid=qc-pass]")
            wait.until(
                lambda d, c=code: "qc-passed" in d.find_element(By.CSS_SELECTOR, _item(c)).get_attribute("class")
            )


def test_dispatcher_sends_a_car_to_rework_then_passes_and_washes_it(
    driver, live_server, sign_in, screenshot, priced_order, advisor, technician, dispatcher
):
    order = work_done(priced_order, advisor, technician)
    first_job = Job.objects.filter(repair_order=order).order_by("pk").first()
    wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
    driver.set_window_size(*SIZES["tablet"])
    sign_in(dispatcher)
    driver.get(f"{live_server.url}/workshop/orders/{order.pk}/quality/")
    driver.execute_script("document.documentElement.style.scrollBehavior = 'auto'")
    screenshot("quality-ready-to-check", "tablet")

    _tap(driver, "[data-testid=qc-open]")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=qc-item]"))
    for button in driver.find_elements(By.CSS_SELECTOR, "[data-testid=qc-pass]")[:1]:
        assert button.size["height"] >= 44
    _check_every_item(driver, wait, fail=f"line:{first_job.estimate_line_id}", note="机滤未拧紧，有渗油")
    screenshot("quality-one-failed", "tablet")
    _tap(driver, "[data-testid=qc-sign-off]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=rework-count]").is_displayed())
    order.refresh_from_db()
    first_job.refresh_from_db()
    assert order.status == ROStatus.REWORK
    assert (first_job.status, first_job.technician) == (JobStatus.ASSIGNED, technician)
    screenshot("quality-rework", "tablet")

    finish_jobs(order, technician)  # the technician redoes the job
    driver.refresh()
    _tap(driver, "[data-testid=qc-open]")
    wait.until(lambda d: "2" in d.find_element(By.CSS_SELECTOR, "#qc-checklist h2").text)
    _check_every_item(driver, wait)
    _tap(driver, "[data-testid=qc-sign-off]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=qc-washed]").is_displayed())
    screenshot("quality-passed", "tablet")
    _tap(driver, "[data-testid=qc-washed]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=qc-ready]").is_displayed())
    assert RepairOrder.objects.get(pk=order.pk).status == ROStatus.READY
    screenshot("quality-ready", "tablet")
    screenshot("quality-ready", "desktop")
