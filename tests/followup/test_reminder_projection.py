"""Scheduled maintenance: the database picks the cars that may fall due (the
odometer projection in SQL) and the reminder still comes on the day the
projection in `maintenance_due` gives, for series the SQL has to read as
`_readings` does: a correction that starts the series afresh, two readings
on one day, readings too close together, a maintenance visit that starts a
new cycle."""

from __future__ import annotations

import datetime as dt

from customers.models import OdometerSource
from followup import reminders
from followup.models import ContactTask, Kind
from tests.followup.test_reminders import car, local, read, visit

LEAD = dt.timedelta(days=14)


def test_the_months_interval_is_inverted_exactly_at_month_ends():
    # Due within (27 Feb, 28 Feb]: every cycle started 28 to 31 January.
    assert reminders._bases_due(dt.date(2026, 2, 27), 1, 1) == (dt.date(2026, 1, 28), dt.date(2026, 1, 31))
    # Due within (28 Feb, 14 Mar]: from 1 to 14 February.
    assert reminders._bases_due(dt.date(2026, 2, 28), 1, 14) == (dt.date(2026, 2, 1), dt.date(2026, 2, 14))


def test_daily_sweeps_remind_each_car_on_the_day_its_projection_says(station, advisor):
    # 60 km a day from 10 km at the sale: 10,010 km on 17 June, before the six months.
    by_km = car(station)
    read(by_km, dt.date(2026, 1, 1), 10, OdometerSource.SALE)
    read(by_km, dt.date(2026, 3, 1), 3_550)
    # A new instrument cluster on 1 March starts the series afresh: no reading of the
    # series at the sale, so no km projection and the months decide (read as one
    # series from the sale's 10 km, the car would have passed 10,010 km by 15 April).
    corrected = car(station)
    read(corrected, dt.date(2026, 1, 1), 10, OdometerSource.SALE)
    read(corrected, dt.date(2026, 2, 1), 2_000)
    read(corrected, dt.date(2026, 3, 1), 5, OdometerSource.CORRECTION)
    read(corrected, dt.date(2026, 4, 15), 10_505)
    # Two readings on the sale day: the rate starts at the first (10 km, 100 km a day),
    # the cycle at the last (510 km): 10,510 km is 45 days after 2 March, 16 April.
    same_day = car(station)
    read(same_day, dt.date(2026, 1, 1), 10, OdometerSource.SALE)
    read(same_day, dt.date(2026, 1, 1), 510)
    read(same_day, dt.date(2026, 3, 2), 6_010)
    # Readings 20 days apart give no rate: the months decide, 1 July.
    close = car(station)
    read(close, dt.date(2026, 1, 1), 10, OdometerSource.SALE)
    read(close, dt.date(2026, 1, 21), 5_000)
    # Maintained on 10 March at 3,000 km (43.97 km a day): 13,000 km would be on
    # 24 October, the months say 10 September.
    maintained = car(station)
    read(maintained, dt.date(2026, 1, 1), 10, OdometerSource.SALE)
    visit(maintained, advisor, local(dt.date(2026, 3, 10), 10))
    read(maintained, dt.date(2026, 3, 10), 3_000, OdometerSource.RECEPTION)
    due = {
        by_km.pk: dt.date(2026, 6, 17),
        corrected.pk: dt.date(2026, 7, 1),
        same_day.pk: dt.date(2026, 4, 16),
        close.pk: dt.date(2026, 7, 1),
        maintained.pk: dt.date(2026, 9, 10),
    }

    made_on = {}
    day = dt.date(2026, 3, 11)
    while day <= dt.date(2026, 9, 30):
        reminders.scheduled_maintenance(local(day, 9))
        for task in ContactTask.objects.filter(kind=Kind.SCHEDULED_MAINTENANCE).exclude(vehicle__in=made_on):
            made_on[task.vehicle_id] = (day, task.due_until)
        day += dt.timedelta(days=1)

    assert made_on == {pk: (on - LEAD, local(on)) for pk, on in due.items()}
