"""Two taps at once cannot give a technician two running jobs.

Runs on PostgreSQL, where each thread holds its own connection and the row
locks of workshop.clock are real; skipped on SQLite, which serialises every
writer anyway."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from tests.workshop.clock_fixtures import assigned_jobs
from workshop.clock import job_start
from workshop.models import ClockEvent, Job, JobStatus

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

ATTEMPTS = 6


def test_simultaneous_starts_leave_one_job_running(station, advisor, technician):
    jobs = [job for _ in range(ATTEMPTS) for job in assigned_jobs(station, advisor, technician)]
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []

    def attempt(job):
        try:
            barrier.wait()
            job_start(job=job, by=technician)
            outcomes.append("started")
        except ValidationError as error:
            outcomes.append(error.error_list[0].code or "invalid")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["busy"] * (ATTEMPTS - 1) + ["started"]
    assert Job.objects.filter(status=JobStatus.IN_PROGRESS).count() == 1
    assert ClockEvent.objects.count() == 1
