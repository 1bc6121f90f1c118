"""The customer-service specialist works the call queue: opens the customer
file beside a call, records an unreachable attempt (the next try is proposed
in the row) and a satisfied after-sales callback through its survey."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from followup.models import ContactTask, Kind, Outcome, TaskStatus
from tests.browser.conftest import click
from tests.factories import CustomerFactory, OdometerReadingFactory
from tests.followup.test_calling import make_task
from tests.reception import conftest as reception_fixtures

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_specialist_records_an_unreachable_call_and_a_satisfied_callback(
    driver, live_server, sign_in, screenshot, specialist, station, repair_order
):
    due = timezone.now() - dt.timedelta(hours=1)
    dormant = make_task(station, customer=CustomerFactory(dealer=station, name="陈静"), due_from=due)
    OdometerReadingFactory(vehicle=dormant.vehicle, km=18_500, read_on=timezone.localdate() - dt.timedelta(days=200))
    callback = make_task(
        station,
        kind=Kind.CALLBACK,
        customer=repair_order.customer,
        vehicle=repair_order.vehicle,
        source=repair_order,
        due_from=due,
    )
    wait = WebDriverWait(driver, 10)

    sign_in(specialist)
    driver.get(f"{live_server.url}/followup/calls/")
    row = f"[data-testid=task-{dormant.pk}]"
    click(driver, f"{row} [data-testid=open-file]")
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, f"#file-{dormant.pk} [data-testid=customer-file]")))
    screenshot("contact-queue-file")
    screenshot("contact-queue-file", "tablet")

    click(driver, f"{row} [data-testid=outcome-unreachable]")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"{row} [data-testid=attempts]")))
    dormant.refresh_from_db()
    assert dormant.status == TaskStatus.OPEN and dormant.next_attempt_at is not None
    proposed = driver.find_element(By.CSS_SELECTOR, f"{row} [data-testid=proposed]").text
    assert timezone.localtime(dormant.next_attempt_at).strftime("%m-%d %H:%M") in proposed

    click(driver, f"[data-testid=task-{callback.pk}] [data-testid=open-survey]")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=survey-form]")))
    for question, score in (("reception", 5), ("repair_quality", 4), ("on_time", 5), ("price_explained", 4)):
        click(driver, f"label[for=id_{question}_{score - 1}]")
    click(driver, "label[for=id_overall_4]")
    driver.find_element(By.NAME, "comment").send_keys("接待热情，按时交车")
    screenshot("callback-survey")
    screenshot("callback-survey", "tablet")
    click(driver, "[data-testid=save-survey]")

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=satisfied]")))
    callback.refresh_from_db()
    assert (callback.status, callback.outcome) == (TaskStatus.DONE, Outcome.SATISFIED)
    assert (callback.survey.overall, callback.survey.repair_quality) == (5, 4)
    assert not ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION).exists()
