"""Two sweeps at the same moment send a campaign's batch once.

Runs on PostgreSQL, where each thread holds its own connection and the
campaign row claimed with SELECT … FOR UPDATE SKIP LOCKED is what stops the
second batch; skipped on SQLite, which serialises every writer anyway."""

import datetime as dt
from zoneinfo import ZoneInfo

from followup.campaigns import campaign_batch
from followup.models import Campaign, CampaignStatus, ContactTask
from tests import concurrency
from tests.factories import customers_with_vehicles_bulk

pytestmark = concurrency.POSTGRES_ONLY

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SWEEPS = 6


def run_at_once(moment: dt.datetime) -> list:
    return concurrency.run_at_once(campaign_batch, moment, times=SWEEPS)


def campaign(station, **fields) -> Campaign:
    values = {"code": "AC", "name": "空调检测", "starts_at": START, "batch_size": 25, "status": CampaignStatus.RUNNING}
    return Campaign.objects.create(dealer=station, **(values | fields))


def test_two_sweeps_at_once_send_one_batch(station):
    customers_with_vehicles_bulk(station, 60)
    running = campaign(station)
    outcomes = run_at_once(START)
    assert all(isinstance(n, int) for n in outcomes), outcomes
    assert sorted(outcomes) == [0] * (SWEEPS - 1) + [25]
    assert ContactTask.objects.filter(campaign=running).count() == 25
    running.refresh_from_db()
    assert running.last_batch_at == START and running.status == CampaignStatus.RUNNING


def test_sweeps_at_once_send_each_campaign_one_batch(station):
    customers_with_vehicles_bulk(station, 30)
    first, second = campaign(station, code="A1", batch_size=10), campaign(station, code="A2", batch_size=7)
    outcomes = run_at_once(START)
    assert all(isinstance(n, int) for n in outcomes), outcomes
    assert sum(outcomes) == 17
    assert ContactTask.objects.filter(campaign=first).count() == 10
    assert ContactTask.objects.filter(campaign=second).count() == 7
    # The next moment the interval has not passed: nothing more.
    assert sum(run_at_once(START + dt.timedelta(hours=1))) == 0
