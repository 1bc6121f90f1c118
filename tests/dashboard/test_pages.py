"""The pages: who may open them, the drill-down and its filters, the to-do
lists, the exports read back with openpyxl, the monthly review's text, and
the page's query count at two sizes of history."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from appointments.models import Status as AStatus
from followup.models import Kind, Outcome, TaskStatus
from reception.models import ROStatus
from tests.dashboard.conftest import NOW, at
from workshop.models import ClockKind, Decision, Delay

pytestmark = pytest.mark.django_db
MARCH = {"period": "month", "day": "2026-03-01"}
# Everything the dashboard shows, whatever the history: a fixed set of aggregated queries.
MAX_QUERIES = 60


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def test_only_the_service_manager_opens_the_dashboard(client, advisor, manager, clock):
    client.force_login(advisor.user)
    assert client.get(reverse("dashboard:index")).status_code == 403
    assert client.get(reverse("dashboard:rows", args=["orders"])).status_code == 403
    client.force_login(manager.user)
    assert client.get(reverse("dashboard:index")).status_code == 200


def test_the_page_shows_each_figure_with_its_formula_and_the_month_before(client, manager, march, clock):
    client.force_login(manager.user)
    body = client.get(reverse("dashboard:index"), MARCH).content.decode()
    assert "25.0 %" in body  # appointment share
    assert "¥1,080.00" in body and "¥720.00" in body  # labour revenue, February's
    assert "Repair orders opened from an appointment" in body or "预约" in body
    assert reverse("dashboard:rows", args=["orders"]) in body


def test_a_figure_drills_down_to_its_rows(client, manager, march, clock):
    client.force_login(manager.user)
    url = reverse("dashboard:rows", args=["orders"])
    body = client.get(url, {**MARCH, "subset": "comeback"}).content.decode()
    assert march["ro3"].number in body and march["ro1"].number not in body
    assert reverse("reception:order", args=[march["ro3"].pk]) in body
    body = client.get(url, {**MARCH, "q": march["ro2"].number}).content.decode()
    assert march["ro2"].number in body and march["ro1"].number not in body


def test_the_drill_down_filters_by_person(client, manager, march, world, advisor, clock):
    client.force_login(manager.user)
    url = reverse("dashboard:rows", args=["jobs"])
    assert march["ro1"].number in client.get(url, {**MARCH, "person": world.technician.pk}).content.decode()
    body = client.get(url, {**MARCH, "person": advisor.pk}).content.decode()
    assert march["ro1"].number not in body


def test_an_empty_drill_down_says_so(client, manager, clock):
    client.force_login(manager.user)
    response = client.get(reverse("dashboard:rows", args=["surveys"]), MARCH)
    assert response.status_code == 200
    assert response.context["table"] == []
    assert client.get(reverse("dashboard:rows", args=["nothing"])).status_code == 404


def test_bad_period_parameters_fall_back_to_this_month(client, manager, clock):
    client.force_login(manager.user)
    response = client.get(reverse("dashboard:index"), {"period": "year", "day": "not-a-date"})
    assert response.status_code == 200
    assert response.context["period"].first == dt.date(2026, 4, 1)


def test_the_to_do_lists_each_overdue_record(client, manager, world, station, clock):
    booked = world.appointment(at(4, 2, 16), AStatus.BOOKED)  # arrives in 6 h, not confirmed
    world.appointment(at(4, 4, 16), AStatus.BOOKED)  # 2 days ahead: not yet
    world.task(Kind.CALLBACK, at(3, 20), days=7)
    world.task(Kind.CALLBACK, at(3, 30), days=7)  # still in its window
    world.task(Kind.SURVEY_ESCALATION, at(4, 1), days=0)
    late = world.order(at(4, 2, 8), status=ROStatus.IN_PROGRESS, promised=at(4, 2, 9))
    delayed = world.order(at(4, 2, 8), status=ROStatus.IN_PROGRESS, promised=at(4, 2, 18))
    Delay.objects.create(
        dealer=station,
        repair_order=delayed,
        detected_at=at(4, 2, 9),
        forecast_ready_at=at(4, 2, 20),
        promised_at=at(4, 2, 18),
    )
    world.complaint(2, at(3, 30), next_due=at(4, 1))
    client.force_login(manager.user)
    todo = {t["dataset"].key: t for t in client.get(reverse("dashboard:index")).context["todo"]}
    assert todo["todo_unconfirmed"]["count"] == 1
    assert todo["todo_unconfirmed"]["rows"][0]["link"] == reverse("appointments:detail", args=[booked.pk])
    assert todo["todo_callbacks"]["count"] == 1
    assert todo["todo_callbacks"]["rows"][0]["cells"][2] == "2026-03-20 09:00"  # due from, in Beijing time
    assert todo["todo_escalations"]["count"] == 1
    assert todo["todo_complaints"]["count"] == 1
    assert todo["todo_orders"]["count"] == 2
    links = {row["link"] for row in todo["todo_orders"]["rows"]}
    assert links == {reverse("reception:order", args=[late.pk]), reverse("reception:order", args=[delayed.pk])}


def _workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_a_list_exports_to_excel_and_csv(client, manager, march, clock):
    client.force_login(manager.user)
    url = reverse("dashboard:rows", args=["orders"])
    book = _workbook(client.get(url, {**MARCH, "export": "xlsx"}))
    numbers = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(numbers) == sorted(march[k].number for k in ("ro1", "ro2", "ro3", "ro4"))
    text = client.get(url, {**MARCH, "export": "csv", "subset": "comeback"}).content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith(march["ro3"].number)


def test_the_figure_tables_export_to_one_workbook(client, manager, march, clock):
    client.force_login(manager.user)
    book = _workbook(client.get(reverse("dashboard:export", args=["figures", "xlsx"]), MARCH))
    assert len(book.sheetnames) == 5
    figures = {row[1]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    labour = next(row for label, row in figures.items() if "Labour revenue" in label or "工时收入" in label)
    assert (labour[2], labour[3]) == (1080.0, 720.0)
    technicians = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert technicians[0][1] == 12.0  # hours on duty
    text = client.get(reverse("dashboard:export", args=["complaints", "csv"]), MARCH).content.decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 4
    assert client.get(reverse("dashboard:export", args=["nope", "csv"])).status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext reads the PDF back")
def test_the_monthly_review_prints_the_figures(client, manager, march, clock):
    client.force_login(manager.user)
    response = client.get(reverse("dashboard:review"), MARCH)
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "2026-03" in text and "¥1,080.00" in text


def _grow(world, n: int) -> None:
    """n more delivered, invoiced, surveyed repair orders in March, with jobs and findings."""
    for i in range(n):
        day = 2 + i % 25
        ro = world.order(at(3, day, 8), promised=at(3, day, 17))
        world.delivered(ro, at(3, day, 16))
        world.job(ro, 1, at(3, day, 11), [(ClockKind.START, at(3, day, 9)), (ClockKind.FINISH, at(3, day, 11))])
        world.invoice(ro, at(3, day, 15), "180", "60")
        world.quality(ro, 1, True, at(3, day, 12))
        world.finding_line(ro, Decision.DECLINED, "120", at(3, day, 10))
        task = world.task(
            Kind.CALLBACK,
            at(3, day, 16),
            status=TaskStatus.DONE,
            outcome=Outcome.SATISFIED,
            closed=at(3, day + 1),
            source_id=ro.pk,
        )
        world.survey(task, at(3, day + 1), 5)
        world.complaint(1 + i % 3, at(3, day), next_due=at(3, day + 2))
        world.appointment(at(3, day, 10), AStatus.NO_SHOW)


def _page_queries(client) -> int:
    """The queries of the page read afresh (not from the reads kept in the cache)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard:index"), MARCH).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_whatever_the_history(
    client, manager, march, world, clock, django_assert_max_num_queries
):
    client.force_login(manager.user)
    small = _page_queries(client)
    _grow(world, 40)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(reverse("dashboard:index"), MARCH)
    assert _page_queries(client) == small


def test_the_drill_down_and_exports_cost_a_bounded_number_of_queries(
    client, manager, march, world, clock, django_assert_max_num_queries
):
    client.force_login(manager.user)
    _grow(world, 30)
    for key in ("orders", "jobs", "invoices", "deliveries", "callbacks", "surveys", "findings", "todo_orders"):
        with django_assert_max_num_queries(12):
            client.get(reverse("dashboard:rows", args=[key]), MARCH)
    with django_assert_max_num_queries(12):
        client.get(reverse("dashboard:rows", args=["jobs"]), {**MARCH, "export": "xlsx"})
