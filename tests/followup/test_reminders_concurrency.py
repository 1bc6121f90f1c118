"""Two sweeps at the same moment make each reminder once.

Runs on PostgreSQL, where each thread holds its own connection and the
unique dedupe key is what stops the second insert; skipped on SQLite, which
serialises every writer anyway."""

import datetime as dt
from collections import Counter

from followup import rules
from followup.models import ContactTask, Kind
from reception.models import ROStatus
from tests import concurrency
from tests.followup.test_reminders import WARRANTY_END, car, delivered, local, read, visit

pytestmark = concurrency.POSTGRES_ONLY

SWEEPS = 4
NOW = local(dt.date(2026, 9, 16), 10)
CARS = 5


def run_at_once(target, moment) -> list:
    return concurrency.run_at_once(target, moment, times=SWEEPS)


def test_parallel_sweeps_make_each_reminder_once(station, advisor):
    for _ in range(CARS):
        # First maintenance due today, the warranty's second reminder (no first), the
        # callback of a delivery six days ago, the scheduled maintenance by km.
        vehicle = car(station, sale=dt.date(2026, 6, 16), warranty_end=WARRANTY_END)
        visit(vehicle, advisor, local(dt.date(2026, 3, 16), 10), status=ROStatus.CLOSED, job_type="repair")
        delivered(vehicle, advisor, NOW - dt.timedelta(days=6, hours=20))
        read(vehicle, dt.date(2026, 6, 16), 10)
        read(vehicle, dt.date(2026, 8, 15), 6_010)  # 100 km a day: 10,010 km on 24 September
    outcomes = run_at_once(rules.run_all, NOW)
    assert all(isinstance(n, int) for n in outcomes), outcomes
    made = Counter(ContactTask.objects.values_list("kind", flat=True))
    assert made == {
        Kind.FIRST_MAINTENANCE: CARS,
        Kind.WARRANTY_SECOND: CARS,
        Kind.CALLBACK: CARS,
        Kind.SCHEDULED_MAINTENANCE: CARS,
    }
    assert sum(outcomes) == sum(made.values())  # each task counted by the one sweep that made it
