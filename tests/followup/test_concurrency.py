"""Two sweeps at the same moment create each call once.

Runs on PostgreSQL, where each thread holds its own connection and the
unique dedupe key is what stops the second insert; skipped on SQLite, which
serialises every writer anyway."""

import datetime as dt

from dealer_service.sweep import sweep
from followup import rules
from followup.models import ContactTask, Kind
from tests import concurrency
from tests.followup.conftest import ARRIVAL, appointments_bulk

pytestmark = concurrency.POSTGRES_ONLY

SWEEPS = 6
H = dt.timedelta(hours=1)


def run_at_once(target, moment) -> list:
    return concurrency.run_at_once(target, moment, times=SWEEPS)


def test_parallel_rule_runs_create_each_confirmation_once(workshop, advisor):
    appointments_bulk(workshop, advisor, 10, ARRIVAL)
    outcomes = run_at_once(rules.run_all, ARRIVAL - 72 * H)
    assert all(isinstance(n, int) for n in outcomes), outcomes
    assert sum(outcomes) == 10  # each call counted by the one sweep that created it
    assert ContactTask.objects.filter(kind=Kind.CONFIRMATION_72H).count() == 10


def test_parallel_sweeps_mark_each_no_show_once_and_queue_one_call(workshop, advisor):
    appointments_bulk(workshop, advisor, 5, ARRIVAL)
    results = run_at_once(sweep, ARRIVAL + H)
    assert all(result.ok for result in results), [r.failed for r in results]
    assert sum(result.acted["appointments.no_shows"] for result in results) == 5
    assert ContactTask.objects.filter(kind=Kind.NO_SHOW).count() == 5
