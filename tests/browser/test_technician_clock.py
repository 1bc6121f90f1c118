"""The technician at the car with a phone or tablet: sees the job with the
symptom and the parts, starts it, pauses for a break, resumes and finishes it
with the cause, the work and the result."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from reception.models import ROStatus
from tests.browser.conftest import SIZES
from tests.workshop import clock_fixtures
from workshop.models import Job, JobStatus

job = clock_fixtures.job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tap(driver, css: str) -> None:
    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def _status(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=job] [data-testid=job-status]").text


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_technician_starts_and_finishes_a_job(driver, live_server, sign_in, screenshot, job, technician, size):
    wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
    driver.set_window_size(*SIZES[size])
    sign_in(technician)  # technicians land on their jobs
    assert driver.current_url.endswith("/workshop/my-jobs/")
    card = driver.find_element(By.CSS_SELECTOR, "[data-testid=job]")
    assert job.repair_order.number in card.text and "冷车启动有异响" in card.text
    start = driver.find_element(By.CSS_SELECTOR, "[data-testid=start]")
    assert start.size["height"] >= 44 and start.size["width"] >= 44  # a finger, not a mouse
    screenshot("technician-jobs", size)

    _tap(driver, "[data-testid=start]")
    wait.until(lambda d: "维修中" in _status(d) or "In progress" in _status(d))
    assert Job.objects.get(pk=job.pk).status == JobStatus.IN_PROGRESS
    assert job.repair_order.__class__.objects.get(pk=job.repair_order_id).status == ROStatus.IN_PROGRESS

    _tap(driver, "[data-testid=pause]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=pause-break]").is_displayed())
    screenshot("technician-pause", size)
    _tap(driver, "[data-testid=pause-break]")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=resume]"))
    _tap(driver, "[data-testid=resume]")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=finish-link]"))

    _tap(driver, "[data-testid=finish-link]")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=finish-form]").is_displayed())
    driver.find_element(By.NAME, "cause_found").send_keys("机滤密封圈老化渗油")
    driver.find_element(By.NAME, "work_done").send_keys("更换机油滤清器并紧固")
    driver.find_element(By.NAME, "result").send_keys("试车无异响，无渗漏")
    history = driver.find_elements(By.CSS_SELECTOR, "[data-testid=clock-history] li")
    assert len(history) == 3  # start, pause, resume
    screenshot("technician-finish-form", size)
    if size == "tablet":
        screenshot("technician-finish-form", "desktop")
    _tap(driver, "[data-testid=finish]")

    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=done-today]"))
    done = Job.objects.get(pk=job.pk)
    assert done.status == JobStatus.DONE and done.result == "试车无异响，无渗漏"
    assert list(done.clock.values_list("kind", flat=True)) == ["start", "pause", "resume", "finish"]
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=my-jobs-empty]")
    screenshot("technician-done", size)
