"""The deadline sweep: every step runs at the given `now`, one failing step
never stops the others, and the command and the Celery task call the same."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from dealer_service import sweep as sweep_module
from dealer_service.sweep import sweep
from dealer_service.tasks import sweep_task

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_each_step_is_called_with_the_sweep_time_in_order():
    seen: list[tuple[str, dt.datetime]] = []
    steps = [("a", lambda now: seen.append(("a", now)) or 2), ("b", lambda now: seen.append(("b", now)) or 0)]
    result = sweep(AT, steps=steps)
    assert seen == [("a", AT), ("b", AT)]
    assert result.acted == {"a": 2, "b": 0}
    assert result.ok


def test_a_failing_step_is_reported_and_the_next_steps_still_run():
    def broken(now):
        raise RuntimeError("database hiccup")

    result = sweep(AT, steps=[("broken", broken), ("after", lambda now: 1)])
    assert result.acted == {"after": 1}
    assert result.failed == {"broken": "RuntimeError: database hiccup"}
    assert not result.ok


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        sweep(dt.datetime(2026, 11, 23, 9, 0), steps=[])


@pytest.mark.django_db
def test_the_registered_steps_run_cleanly_on_an_empty_database():
    result = sweep(AT)
    assert result.ok, result.failed
    assert list(result.acted) == [name for name, _ in sweep_module.STEPS]


@pytest.mark.django_db
def test_the_command_sweeps_at_the_given_time(monkeypatch):
    seen = []
    monkeypatch.setattr(sweep_module, "STEPS", [("probe", lambda now: seen.append(now) or 3)])
    out = StringIO()
    call_command("sweep", "--now", "2026-11-23T09:00+08:00", stdout=out)
    assert seen == [AT]
    assert "probe: 3" in out.getvalue()


@pytest.mark.django_db
def test_the_command_fails_when_a_step_fails(monkeypatch):
    monkeypatch.setattr(sweep_module, "STEPS", [("broken", lambda now: 1 / 0)])
    with pytest.raises(CommandError):
        call_command("sweep", stdout=StringIO(), stderr=StringIO())


def test_the_command_refuses_a_bad_time():
    with pytest.raises(CommandError, match="--now"):
        call_command("sweep", "--now", "tomorrow morning", stdout=StringIO())


@pytest.mark.django_db
def test_the_task_returns_what_the_sweep_did(monkeypatch):
    monkeypatch.setattr(sweep_module, "STEPS", [("probe", lambda now: 5)])
    assert sweep_task.apply().get()["acted"] == {"probe": 5}


def test_beat_schedules_the_sweep_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-every-minute"]
    assert entry["task"] == sweep_task.name
    assert entry["schedule"] == 60.0
