"""The deadline sweep: Celery beat's one periodic job (ARCHITECTURE.md "Time").

`sweep(now)` calls each app's time rules in the order of the service process.
Each rule reads the database at `now` and acts on what is due: it must be
idempotent and safe to run twice at once (unique keys, claimed rows), so a
missed or doubled beat tick loses or repeats nothing. One failing step is
logged and reported; it never stops the steps after it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from appointments.services import mark_no_shows
from complaints.escalation import escalate_overdue
from followup.messaging import send_due
from followup.rules import run_all as contact_rules
from workshop.delays import forecast_delays

logger = logging.getLogger(__name__)

# (name, rule) in flow order. Each rule takes `now` and returns how many rows
# it acted on. Later steps of the process add their rules here.
STEPS: list[tuple[str, Callable[[dt.datetime], int]]] = [
    ("appointments.no_shows", mark_no_shows),
    ("workshop.late_forecasts", forecast_delays),
    # After the no-shows, so the same sweep already queues their calls.
    ("followup.contact_rules", contact_rules),
    # After the contact rules, so a task they create goes out in the same sweep.
    ("followup.messages", send_due),
    ("complaints.escalations", escalate_overdue),
]


@dataclass
class SweepResult:
    now: dt.datetime
    acted: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict:
        return {"now": self.now.isoformat(), "acted": self.acted, "failed": self.failed}


def sweep(now: dt.datetime | None = None, steps=None) -> SweepResult:
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("sweep() needs an aware datetime")
    result = SweepResult(now=now)
    for name, rule in STEPS if steps is None else steps:
        try:
            result.acted[name] = rule(now)
        except Exception as error:
            logger.exception("sweep step %s failed", name)
            result.failed[name] = f"{type(error).__name__}: {error}"
    logger.info("sweep at %s: acted %s, failed %s", now.isoformat(), result.acted, list(result.failed))
    return result
