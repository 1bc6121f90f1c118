"""Service campaigns: the segment's filters alone and together, batches
sent at their size and spacing as the clock moves, progress figures worked
out by hand, and the campaign pages (roles, validation, buttons, queries)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from customers.models import Lifecycle
from dealers.models import JobType, Role
from followup import campaigns, rules
from followup.campaigns import campaign_batch, pending, progress, segment
from followup.models import Campaign, CampaignStatus, Channel, ContactTask, Kind, TaskStatus
from reception.models import RepairOrder
from tests.factories import CustomerFactory, OdometerReadingFactory, VehicleFactory, customers_with_vehicles_bulk


@pytest.fixture(autouse=True)
def english(settings):
    """The messages are asserted by their English msgids: pages and services speak English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
_serial = itertools.count(1)


# --- helpers -------------------------------------------------------------------------------


def car(station, *, lifecycle=Lifecycle.OWNER, **fields):
    return VehicleFactory(owner=CustomerFactory(dealer=station, lifecycle=lifecycle), **fields)


def visit(vehicle, advisor, opened_at: dt.datetime) -> RepairOrder:
    """A repair order of `vehicle` opened at `opened_at` (created_at is auto_now_add)."""
    ro = RepairOrder.objects.create(
        dealer=vehicle.dealer,
        number=f"RO{next(_serial):05d}",
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        status="closed",
    )
    RepairOrder.objects.filter(pk=ro.pk).update(created_at=opened_at)
    return ro


def booking(vehicle, advisor, booked_at: dt.datetime, status=AppointmentStatus.BOOKED) -> Appointment:
    arrives = booked_at + 3 * DAY
    appointment = Appointment.objects.create(
        dealer=vehicle.dealer,
        number=f"A{next(_serial):05d}",
        customer=vehicle.owner,
        vehicle=vehicle,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=arrives,
        hours=Decimal("1.00"),
        ready_at=arrives + 2 * H,
        request="活动",
        status=status,
    )
    Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
    return appointment


def campaign_of(station, **fields) -> Campaign:
    n = next(_serial)
    values = {
        "code": f"C{n:03d}",
        "name": f"空调免费检测{n}",
        "starts_at": START,
        "batch_size": 50,
        "batch_interval_hours": 24,
        "status": CampaignStatus.RUNNING,
        **fields,
    }
    return Campaign.objects.create(dealer=station, **values)


def matching(campaign) -> set[int]:
    return set(segment(campaign).values_list("pk", flat=True))


def notified(campaign) -> set[int]:
    return set(ContactTask.objects.filter(campaign=campaign).values_list("vehicle_id", flat=True))


# --- the segment ---------------------------------------------------------------------------


def test_an_empty_segment_is_every_vehicle_of_the_station_and_no_other(station, other_station):
    mine = {car(station).pk, car(station).pk}
    car(other_station)
    assert matching(campaign_of(station)) == mine


def test_the_models_list_takes_commas_of_either_kind_and_ignores_case(station):
    passat, magotan, golf = car(station, model="帕萨特"), car(station, model="Magotan"), car(station, model="高尔夫")
    assert matching(campaign_of(station, models_text="帕萨特，magotan , ")) == {passat.pk, magotan.pk}
    assert golf.pk in matching(campaign_of(station, models_text="高尔夫"))


def test_the_model_year_range_is_inclusive_and_skips_unknown_years(station):
    old, low, high, new = (car(station, model_year=y) for y in (2018, 2019, 2021, 2022))
    car(station, model_year=None)
    assert matching(campaign_of(station, model_year_from=2019, model_year_to=2021)) == {low.pk, high.pk}
    assert matching(campaign_of(station, model_year_from=2022)) == {new.pk}
    assert matching(campaign_of(station, model_year_to=2018)) == {old.pk}


def test_the_vin_range_is_inclusive(station):
    a, b, c = (car(station, vin=v) for v in ("LSVAA00000A000001", "LSVAA00000A000500", "LSVAA00000A000999"))
    car(station, vin="")  # a car from the public booking page, VIN still to come
    assert matching(campaign_of(station, vin_from=a.vin, vin_to=b.vin)) == {a.pk, b.pk}
    assert matching(campaign_of(station, vin_from="LSVAA00000A000002")) == {b.pk, c.pk}
    assert matching(campaign_of(station, vin_to="LSVAA00000A000500")) == {a.pk, b.pk}


def test_last_visit_before_counts_the_latest_visit_in_station_time_and_includes_never_seen(station, advisor):
    stale, recent, never = car(station), car(station), car(station)
    visit(stale, advisor, dt.datetime(2025, 1, 10, 10, tzinfo=TZ))
    visit(recent, advisor, dt.datetime(2025, 1, 10, 10, tzinfo=TZ))
    visit(recent, advisor, dt.datetime(2025, 6, 30, 23, 30, tzinfo=TZ))  # 15:30 UTC, still 30 June here
    assert matching(campaign_of(station, last_visit_before=dt.date(2025, 6, 30))) == {stale.pk, never.pk}
    assert matching(campaign_of(station, last_visit_before=dt.date(2025, 7, 1))) == {stale.pk, recent.pk, never.pk}


def test_last_visit_after_needs_a_visit_after_that_day(station, advisor):
    stale, recent = car(station), car(station)
    car(station)  # never seen
    visit(stale, advisor, dt.datetime(2025, 1, 10, 10, tzinfo=TZ))
    visit(recent, advisor, dt.datetime(2025, 7, 1, 0, 30, tzinfo=TZ))  # 30 June in UTC
    assert matching(campaign_of(station, last_visit_after=dt.date(2025, 6, 30))) == {recent.pk}
    assert matching(campaign_of(station, last_visit_after=dt.date(2025, 7, 1))) == set()


def test_the_lifecycle_classes_are_the_owners(station):
    vip = car(station, lifecycle=Lifecycle.CLUB_VIP)
    loyal = car(station, lifecycle=Lifecycle.LOYAL)
    car(station, lifecycle=Lifecycle.OWNER)
    assert matching(campaign_of(station, lifecycles=[Lifecycle.CLUB_VIP, Lifecycle.LOYAL])) == {vip.pk, loyal.pk}


def test_the_mileage_band_reads_the_latest_odometer_reading(station):
    low, mid, grown = car(station), car(station), car(station)
    car(station)  # no reading: unknown mileage is outside any band
    OdometerReadingFactory(vehicle=low, km=4_000, read_on=dt.date(2026, 1, 1))
    OdometerReadingFactory(vehicle=mid, km=25_000, read_on=dt.date(2026, 1, 1))
    OdometerReadingFactory(vehicle=grown, km=20_000, read_on=dt.date(2025, 6, 1))
    OdometerReadingFactory(vehicle=grown, km=41_000, read_on=dt.date(2026, 2, 1))
    assert matching(campaign_of(station, km_from=5_000, km_to=40_000)) == {mid.pk}
    assert matching(campaign_of(station, km_from=30_000)) == {grown.pk}
    assert matching(campaign_of(station, km_to=25_000)) == {low.pk, mid.pk}


def test_the_filters_combine(station, advisor):
    hit = car(station, model="帕萨特", model_year=2020, lifecycle=Lifecycle.CLUB)
    OdometerReadingFactory(vehicle=hit, km=30_000)
    visit(hit, advisor, dt.datetime(2025, 1, 5, 10, tzinfo=TZ))
    wrong_model = car(station, model="高尔夫", model_year=2020, lifecycle=Lifecycle.CLUB)
    wrong_year = car(station, model="帕萨特", model_year=2023, lifecycle=Lifecycle.CLUB)
    wrong_class = car(station, model="帕萨特", model_year=2020, lifecycle=Lifecycle.POTENTIAL)
    too_far = car(station, model="帕萨特", model_year=2020, lifecycle=Lifecycle.CLUB)
    seen_lately = car(station, model="帕萨特", model_year=2020, lifecycle=Lifecycle.CLUB)
    for vehicle in (wrong_model, wrong_year, wrong_class, seen_lately):
        OdometerReadingFactory(vehicle=vehicle, km=30_000)
    OdometerReadingFactory(vehicle=too_far, km=90_000)
    visit(seen_lately, advisor, dt.datetime(2026, 2, 1, 10, tzinfo=TZ))
    campaign = campaign_of(
        station,
        models_text="帕萨特",
        model_year_from=2019,
        model_year_to=2021,
        lifecycles=[Lifecycle.CLUB],
        km_from=10_000,
        km_to=60_000,
        last_visit_before=dt.date(2026, 1, 1),
        vin_from=hit.vin,
        vin_to=hit.vin,
    )
    assert matching(campaign) == {hit.pk}


def test_the_segment_is_one_query_however_many_vehicles(station, advisor, django_assert_num_queries):
    customers_with_vehicles_bulk(station, 40)
    campaign = Campaign.objects.select_related("dealer").get(
        pk=campaign_of(station, last_visit_before=dt.date(2026, 1, 1), km_to=100_000, lifecycles=["owner"]).pk
    )
    with django_assert_num_queries(1):
        list(segment(campaign))


# --- batches ---------------------------------------------------------------------------------


def test_batches_go_out_at_their_size_and_spacing_as_the_clock_moves(station):
    cars = [car(station) for _ in range(5)]
    campaign = campaign_of(station, batch_size=2, batch_interval_hours=24)
    assert campaign_batch(START) == 2
    assert notified(campaign) == {cars[0].pk, cars[1].pk}  # in vehicle order
    assert campaign_batch(START + 23 * H) == 0  # not yet: a day between batches
    assert campaign_batch(START + 24 * H) == 2
    assert notified(campaign) == {c.pk for c in cars[:4]}
    campaign.refresh_from_db()
    assert campaign.last_batch_at == START + 24 * H and campaign.status == CampaignStatus.RUNNING
    assert campaign_batch(START + 48 * H) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED  # the segment is exhausted
    assert campaign_batch(START + 72 * H) == 0
    assert ContactTask.objects.count() == 5


def test_a_batch_task_is_a_campaign_call_for_the_specialists(station):
    vehicle = car(station)
    campaign = campaign_of(station, channel=Channel.SMS, ends_at=START + 10 * DAY)
    campaign_batch(START + H)
    task = ContactTask.objects.get()
    assert (task.kind, task.campaign, task.source) == (Kind.CAMPAIGN, campaign, campaign)
    assert task.source_type == ContentType.objects.get_for_model(Campaign)
    assert (task.customer, task.vehicle, task.dealer) == (vehicle.owner, vehicle, station)
    assert (task.role, task.assignee, task.channel) == (Role.SPECIALIST, None, Channel.SMS)
    assert (task.due_from, task.due_until) == (START + H, START + 10 * DAY)
    assert task.dedupe_key.startswith(rules.dedupe_key("campaign", campaign.pk, campaign.created_at))
    assert task.dedupe_key.endswith(f":vehicle:{vehicle.pk}")


def test_an_open_ended_campaign_call_is_owed_for_two_weeks(station):
    car(station)
    campaign_of(station)
    campaign_batch(START)
    assert ContactTask.objects.get().due_until == START + 14 * DAY


def test_no_batch_goes_out_before_the_start(station):
    car(station)
    campaign = campaign_of(station)
    assert campaign_batch(START - dt.timedelta(minutes=1)) == 0
    campaign.refresh_from_db()
    assert campaign.last_batch_at is None and campaign.status == CampaignStatus.RUNNING


def test_no_batch_goes_out_after_the_end_and_the_campaign_finishes(station):
    car(station), car(station)
    campaign = campaign_of(station, batch_size=1, ends_at=START + 2 * DAY)
    assert campaign_batch(START) == 1
    assert campaign_batch(START + 2 * DAY) == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED and campaign.last_batch_at == START
    assert ContactTask.objects.count() == 1


def test_a_campaign_with_an_empty_segment_finishes_at_its_first_batch(station):
    car(station, model="高尔夫")
    campaign = campaign_of(station, models_text="帕萨特")
    assert campaign_batch(START) == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def test_the_last_full_batch_finishes_the_campaign(station):
    car(station), car(station)
    campaign = campaign_of(station, batch_size=2)
    assert campaign_batch(START) == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


@pytest.mark.parametrize("status", [CampaignStatus.PAUSED, CampaignStatus.DRAFT, CampaignStatus.FINISHED])
def test_a_campaign_that_is_not_running_sends_nothing(station, status):
    car(station)
    campaign = campaign_of(station, status=status)
    assert campaign_batch(START + DAY) == 0
    campaign.refresh_from_db()
    assert campaign.status == status and campaign.last_batch_at is None


def test_a_resumed_campaign_goes_on_with_the_vehicles_not_yet_notified(station):
    cars = [car(station) for _ in range(3)]
    campaign = campaign_of(station, batch_size=2)
    campaign_batch(START)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)
    assert campaign_batch(START + 2 * DAY) == 0
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RUNNING)
    assert campaign_batch(START + 3 * DAY) == 1
    assert notified(campaign) == {c.pk for c in cars}


def test_running_the_rule_twice_at_the_same_moment_sends_one_batch(station):
    for _ in range(4):
        car(station)
    campaign = campaign_of(station, batch_size=2)
    assert [campaign_batch(START), campaign_batch(START)] == [2, 0]
    assert len(notified(campaign)) == 2


def test_the_sweep_runs_the_campaign_batch(station):
    car(station)
    campaign_of(station)
    assert campaign_batch in rules.RULES
    rules.run_all(START)
    assert ContactTask.objects.filter(kind=Kind.CAMPAIGN).count() == 1


def test_a_batch_is_a_fixed_number_of_queries(station, django_assert_max_num_queries):
    customers_with_vehicles_bulk(station, 120)
    campaign_of(station, batch_size=100)
    with django_assert_max_num_queries(10):
        assert campaign_batch(START) == 100


# --- progress --------------------------------------------------------------------------------


def test_progress_counts_worked_out_by_hand(station, advisor):
    """Five Passats in the segment, a Golf outside; batches of three.

    After the first batch (A, B, C notified; D, E remaining):
    - contacted: A (done) — B expired unanswered, C still open → 1;
    - bookings: A's linked appointment; B's appointment booked after its
      task and then rescheduled, counted once as its successor; not C's
      appointment from before the campaign, nor D's (never notified) → 2.
    """
    a, b, c, d, e = (car(station, model="帕萨特") for _ in range(5))
    golf = car(station, model="高尔夫")
    campaign = campaign_of(station, models_text="帕萨特", batch_size=3, batch_interval_hours=48)
    campaign_batch(START)
    task_of = {t.vehicle_id: t for t in ContactTask.objects.filter(campaign=campaign)}
    assert set(task_of) == {a.pk, b.pk, c.pk}
    ContactTask.objects.filter(campaign=campaign).update(created_at=START)

    linked = booking(a, advisor, START + 2 * H)
    ContactTask.objects.filter(pk=task_of[a.pk].pk).update(
        status=TaskStatus.DONE, outcome="booked", led_to_appointment=linked, converted_at=START + 2 * H
    )
    ContactTask.objects.filter(pk=task_of[b.pk].pk).update(status=TaskStatus.EXPIRED)
    first = booking(b, advisor, START + 5 * H, status=AppointmentStatus.RESCHEDULED)
    Appointment.objects.filter(pk=booking(b, advisor, START + 6 * H).pk).update(rescheduled_from=first)
    booking(c, advisor, START - 5 * DAY)  # booked before the campaign reached C
    booking(d, advisor, START + 3 * H)  # D was not notified yet
    booking(golf, advisor, START + 3 * H)

    campaign.refresh_from_db()
    figures = progress(campaign)
    assert (figures.targets, figures.notified, figures.remaining) == (5, 3, 2)
    assert (figures.contacted, figures.bookings) == (1, 2)
    assert figures.percent == 60 and figures.conversion == 67
    assert figures.next_batch_at == START + 48 * H
    assert set(pending(campaign).values_list("pk", flat=True)) == {d.pk, e.pk}


def test_the_next_batch_time_follows_the_status(station):
    car(station)
    draft = campaign_of(station, status=CampaignStatus.DRAFT)
    assert progress(draft).next_batch_at is None
    running = campaign_of(station, starts_at=START + DAY)
    assert progress(running).next_batch_at == START + DAY
    ending = campaign_of(station, last_batch_at=START, batch_interval_hours=48, ends_at=START + DAY)
    assert progress(ending).next_batch_at is None  # the campaign ends before the next batch


def test_progress_is_three_queries(station, advisor, django_assert_num_queries):
    customers_with_vehicles_bulk(station, 30)
    campaign = campaign_of(station, batch_size=10)
    campaign_batch(START)
    with django_assert_num_queries(3):
        progress(campaign)


# --- pages -----------------------------------------------------------------------------------

LIST = reverse("followup:campaigns")
NEW = reverse("followup:campaign_new")
PREVIEW = reverse("followup:campaign_preview")


def detail_url(campaign) -> str:
    return reverse("followup:campaign", args=[campaign.pk])


def edit_url(campaign) -> str:
    return reverse("followup:campaign_edit", args=[campaign.pk])


def action_url(campaign, action) -> str:
    return reverse("followup:campaign_action", args=[campaign.pk, action])


def form_data(**overrides) -> dict:
    data = {
        "code": "AC2026",
        "name": "夏季空调免费检测",
        "channel": Channel.PHONE,
        "description": "免费检测空调系统",
        "models_text": "帕萨特, 迈腾",
        "model_year_from": "2019",
        "model_year_to": "2023",
        "vin_from": "",
        "vin_to": "",
        "last_visit_after": "",
        "last_visit_before": "",
        "lifecycles": [Lifecycle.OWNER, Lifecycle.CLUB],
        "km_from": "",
        "km_to": "",
        "batch_size": "30",
        "batch_interval_hours": "24",
        "starts_at": "2027-06-01T09:00",
        "ends_at": "2027-07-01T18:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.SERVICE_MANAGER])
def test_the_specialist_and_the_manager_open_the_campaign_pages(station, staff_of, login, role):
    campaign = campaign_of(station, status=CampaignStatus.DRAFT)
    client = login(staff_of(role, station))
    for url in (LIST, NEW, detail_url(campaign), edit_url(campaign)):
        assert client.get(url).status_code == 200, url
    assert 'href="' + LIST + '"' in client.get(LIST).content.decode()  # the navbar item


@pytest.mark.parametrize("role", [Role.SERVICE_ADVISOR, Role.CASHIER, Role.TECHNICIAN])
def test_other_roles_are_refused(station, staff_of, login, role):
    campaign = campaign_of(station)
    client = login(staff_of(role, station))
    for url in (LIST, NEW, detail_url(campaign)):
        assert client.get(url).status_code == 403, url
    assert client.post(action_url(campaign, "pause")).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING


def test_the_advisor_has_no_campaigns_item_in_the_navbar(station, advisor, login):
    body = login(advisor).get(reverse("followup:calls")).content.decode()
    assert LIST not in body


def test_the_list_shows_the_station_campaigns_with_their_notified_count(station, other_station, specialist, login):
    mine = campaign_of(station, name="刹车片召回")
    campaign_of(other_station, name="别家的活动")
    car(station), car(station)
    campaign_batch(START)
    response = login(specialist).get(LIST)
    body = response.content.decode()
    assert "刹车片召回" in body and "别家的活动" not in body
    assert [c.notified for c in response.context["page"].object_list] == [2]
    assert detail_url(mine) in body


def test_the_list_searches_code_and_name_and_filters_by_status(station, specialist, login):
    campaign_of(station, code="RECALL1", name="刹车片召回", status=CampaignStatus.RUNNING)
    campaign_of(station, code="AC2026", name="空调检测", status=CampaignStatus.DRAFT)
    client = login(specialist)

    def names(**params):
        return [c.name for c in client.get(LIST, params).context["page"].object_list]

    assert names(q="recall") == ["刹车片召回"]
    assert names(q="空调") == ["空调检测"]
    assert names(status="draft") == ["空调检测"]
    assert names(q="召回", status="draft") == []


def test_the_list_pages_and_keeps_the_filter(station, specialist, login):
    for i in range(settings.PAGE_SIZE + 3):
        campaign_of(station, starts_at=START + i * H, status=CampaignStatus.PAUSED)
    client = login(specialist)
    first = client.get(LIST, {"status": "paused"})
    assert len(first.context["page"].object_list) == settings.PAGE_SIZE
    assert "status=paused&amp;page=2" in first.content.decode()
    assert len(client.get(LIST, {"status": "paused", "page": 2}).context["page"].object_list) == 3


def test_the_empty_list_invites_a_first_campaign_and_an_empty_search_offers_to_clear(station, specialist, login):
    client = login(specialist)
    body = client.get(LIST).content.decode()
    assert 'data-testid="campaign-empty"' in body and NEW in body
    campaign_of(station)
    body = client.get(LIST, {"q": "nothing-like-this"}).content.decode()
    assert 'data-testid="campaign-empty"' in body and "No campaign matches the search." in body


def test_the_list_is_a_fixed_number_of_queries(station, specialist, login, django_assert_max_num_queries):
    for _ in range(15):
        campaign_of(station)
    customers_with_vehicles_bulk(station, 20)
    campaign_batch(START)
    client = login(specialist)
    client.get(LIST)
    with django_assert_max_num_queries(10):
        assert client.get(LIST).status_code == 200


def test_creating_a_campaign_saves_a_draft(station, specialist, login):
    response = login(specialist).post(NEW, form_data(vin_from="lsvaa00000a000001", vin_to="LSVAA00000A999999"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == detail_url(campaign)
    assert (campaign.dealer, campaign.status, campaign.created_by) == (station, CampaignStatus.DRAFT, specialist.user)
    assert campaign.lifecycles == [Lifecycle.OWNER, Lifecycle.CLUB]
    assert (campaign.model_year_from, campaign.model_year_to, campaign.batch_size) == (2019, 2023, 30)
    assert campaign.vin_from == "LSVAA00000A000001"
    assert campaign.starts_at == dt.datetime(2027, 6, 1, 9, tzinfo=TZ)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"model_year_from": "2023", "model_year_to": "2019"}, "model_year_to"),
        ({"model_year_from": "1970"}, "model_year_from"),
        ({"vin_from": "LSVAA00000A00"}, "vin_from"),
        ({"vin_to": "LSVAA00000A0000012"}, "vin_to"),
        ({"vin_from": "LSVAA00000AO00001"}, "vin_from"),
        ({"vin_from": "LSVAA00000A000009", "vin_to": "LSVAA00000A000001"}, "vin_to"),
        ({"km_from": "50000", "km_to": "10000"}, "km_to"),
        ({"ends_at": "2027-06-01T08:00"}, "ends_at"),
        ({"ends_at": "2020-01-01T08:00", "starts_at": "2019-12-01T08:00"}, "ends_at"),
        ({"last_visit_after": "2026-01-01", "last_visit_before": "2025-01-01"}, "last_visit_before"),
        ({"batch_size": "0"}, "batch_size"),
        ({"batch_size": "5001"}, "batch_size"),
        ({"code": ""}, "code"),
        ({"starts_at": ""}, "starts_at"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(station, specialist, login, overrides, field):
    response = login(specialist).post(NEW, form_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Campaign.objects.count() == 0


def test_a_code_is_used_once_per_station(station, other_station, specialist, login):
    campaign_of(station, code="AC2026")
    campaign_of(other_station, code="AC2027")
    client = login(specialist)
    response = client.post(NEW, form_data(code="ac2026"))
    assert "The station already has a campaign with this code." in response.content.decode()
    assert client.post(NEW, form_data(code="AC2027")).status_code == 302


def test_the_segment_of_a_running_campaign_cannot_be_changed(station, specialist, login):
    campaign = campaign_of(station, models_text="帕萨特", model_year_from=2019)
    response = login(specialist).post(edit_url(campaign), form_data(code=campaign.code, models_text="高尔夫"))
    assert response.status_code == 200
    assert "This campaign is running: pause it before changing its target segment." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.models_text == "帕萨特" and campaign.name != "夏季空调免费检测"


def test_a_running_campaign_keeps_its_batch_clock_while_its_name_and_batches_change(station, specialist, login):
    campaign = campaign_of(
        station,
        models_text="帕萨特, 迈腾",
        model_year_from=2019,
        model_year_to=2023,
        lifecycles=[Lifecycle.CLUB, Lifecycle.OWNER],
        last_batch_at=START,
    )
    data = form_data(code=campaign.code, models_text="迈腾，帕萨特", name="新名字", batch_size="80")
    response = login(specialist).post(edit_url(campaign), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.batch_size) == ("新名字", 80)
    assert (campaign.status, campaign.last_batch_at) == (CampaignStatus.RUNNING, START)


def test_a_paused_campaign_can_change_its_segment(station, specialist, login):
    campaign = campaign_of(station, models_text="帕萨特", status=CampaignStatus.PAUSED)
    assert (
        login(specialist).post(edit_url(campaign), form_data(code=campaign.code, models_text="高尔夫")).status_code
        == 302
    )
    campaign.refresh_from_db()
    assert campaign.models_text == "高尔夫" and campaign.status == CampaignStatus.PAUSED


def test_a_finished_campaign_is_not_changed(station, specialist, login):
    campaign = campaign_of(station, status=CampaignStatus.FINISHED)
    client = login(specialist)
    response = client.get(edit_url(campaign), follow=True)
    assert "This campaign is finished and can no longer be changed." in response.content.decode()
    client.post(edit_url(campaign), form_data(code=campaign.code))
    campaign.refresh_from_db()
    assert campaign.name != "夏季空调免费检测"


def test_another_stations_campaign_is_not_found(station, other_station, specialist, login):
    theirs = campaign_of(other_station)
    client = login(specialist)
    assert client.get(detail_url(theirs)).status_code == 404
    assert client.get(edit_url(theirs)).status_code == 404
    assert client.post(action_url(theirs, "pause")).status_code == 404


def test_the_segment_preview_counts_the_vehicles_as_typed(station, specialist, login):
    car(station, model="帕萨特"), car(station, model="帕萨特"), car(station, model="高尔夫")
    client = login(specialist)
    response = client.post(
        PREVIEW, form_data(models_text="帕萨特", code="", name="", model_year_from=""), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'id="segment-preview"' in body and "<strong>2</strong>" in body and "<html" not in body
    bad = client.post(PREVIEW, form_data(model_year_from="2024", model_year_to="2020"), HTTP_HX_REQUEST="true")
    assert "Correct the target fields" in bad.content.decode() and "<strong>" not in bad.content.decode()
    assert "<small>" in bad.content.decode()  # says which field is wrong
    assert client.get(PREVIEW).status_code == 405


def test_the_form_shows_the_segment_size_and_asks_for_it_live(station, specialist, login):
    car(station), car(station)
    body = login(specialist).get(NEW).content.decode()
    assert 'hx-post="' + PREVIEW + '"' in body and "<strong>2</strong>" in body


def test_the_detail_shows_the_progress(station, advisor, specialist, login, django_assert_max_num_queries):
    cars = [car(station) for _ in range(4)]
    campaign = campaign_of(station, batch_size=3)
    campaign_batch(START)
    ContactTask.objects.filter(vehicle=cars[0]).update(status=TaskStatus.DONE, outcome="booked")
    booking(cars[0], advisor, dt.datetime(2099, 1, 1, tzinfo=TZ))  # booked after the call
    client = login(specialist)
    client.get(detail_url(campaign))
    with django_assert_max_num_queries(14):
        response = client.get(detail_url(campaign))
    body = response.content.decode()
    for testid, value in (("targets", 4), ("notified", 3), ("remaining", 1), ("contacted", 1), ("bookings", 1)):
        assert f'data-testid="count-{testid}">{value}<' in body, testid
    assert "width: 75%" in body and len(response.context["recent"]) == 3
    assert response.context["actions"] == ["pause", "finish"]


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (CampaignStatus.DRAFT, "start", CampaignStatus.RUNNING),
        (CampaignStatus.RUNNING, "pause", CampaignStatus.PAUSED),
        (CampaignStatus.PAUSED, "resume", CampaignStatus.RUNNING),
        (CampaignStatus.RUNNING, "finish", CampaignStatus.FINISHED),
        (CampaignStatus.DRAFT, "finish", CampaignStatus.FINISHED),
    ],
)
def test_the_buttons_move_the_campaign(station, manager, login, status, action, after):
    campaign = campaign_of(station, status=status, starts_at=dt.datetime(2099, 1, 1, tzinfo=TZ))
    response = login(manager).post(action_url(campaign, action), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == after
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (CampaignStatus.RUNNING, "start"),
        (CampaignStatus.DRAFT, "pause"),
        (CampaignStatus.DRAFT, "resume"),
        (CampaignStatus.RUNNING, "resume"),
        (CampaignStatus.FINISHED, "finish"),
        (CampaignStatus.FINISHED, "resume"),
        (CampaignStatus.RUNNING, "explode"),
    ],
)
def test_a_button_that_does_not_fit_the_status_changes_nothing(station, manager, login, status, action):
    campaign = campaign_of(station, status=status)
    response = login(manager).post(action_url(campaign, action), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == status
    assert "that button does not apply" in response.content.decode()


def test_a_campaign_past_its_end_cannot_start(station, manager, login):
    campaign = campaign_of(station, status=CampaignStatus.DRAFT, starts_at=START, ends_at=START + DAY)
    response = login(manager).post(action_url(campaign, "start"), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert "has already ended" in response.content.decode()


def test_the_buttons_take_only_post(station, manager, login):
    campaign = campaign_of(station, status=CampaignStatus.DRAFT)
    assert login(manager).get(action_url(campaign, "start")).status_code == 405
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_transition_that_lost_the_race_is_refused(station, manager):
    campaign = campaign_of(station)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FINISHED)  # the sweep got there first
    with pytest.raises(campaigns.CampaignError):
        campaigns.campaign_transition(campaign=campaign, to=CampaignStatus.PAUSED, by=manager.user)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
