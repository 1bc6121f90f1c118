"""The dispatcher on a 10-inch tablet: assigns a job from the board and
moves a card to waiting for parts, without reloading the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dealers.models import BayType, Role, RosterEntry
from reception.models import RepairOrder, ROStatus
from tests.browser.conftest import SIZES
from tests.factories import BayFactory, StaffFactory
from tests.workshop.board_fixtures import floor_orders
from workshop.models import Job, JobStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatcher_assigns_a_job_and_moves_a_card_on_the_tablet(
    driver, live_server, sign_in, screenshot, station, advisor, dispatcher
):
    tech = StaffFactory(display_name="李师傅", dealers=[station], roles=[Role.TECHNICIAN], skill_grade=3)
    RosterEntry.objects.create(
        dealer=station, technician=tech, date=timezone.localdate(), starts=dt.time(0, 0), ends=dt.time(23, 59)
    )
    BayFactory(dealer=station, code="G1", name="机修1", bay_type=BayType.GENERAL)
    [waiting] = floor_orders(station, advisor, 1, status=ROStatus.OPEN)
    [working] = floor_orders(
        station, advisor, 1, status=ROStatus.IN_PROGRESS, jobs=((JobStatus.IN_PROGRESS, "2"),), technician=tech
    )
    driver.set_window_size(*SIZES["tablet"])
    sign_in(dispatcher)  # the dispatcher lands on the board
    WebDriverWait(driver, 10).until(lambda d: "/workshop/board/" in d.current_url)
    screenshot("dispatch-board", "tablet")

    # Assign: one tap on the card's dispatch button, one on the suggested technician.
    driver.find_element(By.CSS_SELECTOR, f"[data-order='{waiting.number}'] [data-testid=dispatch-link]").click()
    WebDriverWait(driver, 10).until(lambda d: "/dispatch/" in d.current_url)
    screenshot("dispatch-page", "tablet")
    assign = driver.find_element(By.CSS_SELECTOR, "[data-testid=assign]")
    assert assign.size["height"] >= 44
    assign.click()
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=assigned]").text.find("李师傅") >= 0
    )
    job = Job.objects.get(repair_order=waiting)
    assert (job.status, job.technician) == (JobStatus.ASSIGNED, tech)
    screenshot("dispatch-assigned", "tablet")

    # Move: back on the board, one tap opens the menu, one moves the card; no reload.
    driver.get(f"{live_server.url}/workshop/board/")
    driver.execute_script("window.notReloaded = true")
    card = f"[data-order='{working.number}']"
    move = driver.find_element(By.CSS_SELECTOR, f"{card} [data-testid=move]")
    assert move.size["height"] >= 44
    move.click()
    target = WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"{card} [data-testid=move-waiting_parts]")
    )
    screenshot("dispatch-board-move", "tablet")
    target.click()
    WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-testid=column-waiting_parts] {card}")
    )
    assert driver.execute_script("return window.notReloaded") is True
    working.refresh_from_db()
    assert working.status == ROStatus.WAITING_PARTS
    screenshot("dispatch-board-moved", "tablet")

    # A change made elsewhere shows up with the next refresh (every 10 s), without reloading.
    RepairOrder.objects.filter(pk=working.pk).update(status=ROStatus.IN_PROGRESS)
    WebDriverWait(driver, 15, poll_frequency=0.5, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-testid=column-in_progress] {card}")
    )
    assert driver.execute_script("return window.notReloaded") is True
