"""Two escalation sweeps at the same moment escalate each stage once.

Runs on PostgreSQL, where each thread holds its own connection and the unique
key (ticket, deadline, stage) stops the second insert; skipped on SQLite,
which serialises every writer anyway."""

from __future__ import annotations

from complaints.escalation import escalate_overdue
from complaints.models import ComplaintEvent, Escalation, EventKind
from dealer_service.sweep import sweep
from tests import concurrency
from tests.complaints.conftest import H, open_complaint

pytestmark = concurrency.POSTGRES_ONLY

SWEEPS = 4


def run_at_once(target, moment) -> list:
    return concurrency.run_at_once(target, moment, times=SWEEPS)


def test_parallel_escalation_sweeps_escalate_each_stage_once(station, agent, car, visit, manager):
    tickets = [open_complaint(station, agent.user, car, related_orders=[visit]) for _ in range(5)]
    moment = tickets[0].answer_due + 5 * H  # handler and service manager are due
    outcomes = run_at_once(escalate_overdue, moment)
    assert all(isinstance(n, int) for n in outcomes), outcomes
    assert sum(outcomes) == 10  # each stage counted by the one sweep that claimed it
    assert Escalation.objects.count() == 10
    assert ComplaintEvent.objects.filter(kind=EventKind.ESCALATED).count() == 10


def test_parallel_full_sweeps_escalate_once(station, agent, car, visit):
    ticket = open_complaint(station, agent.user, car, related_orders=[visit])
    results = run_at_once(sweep, ticket.answer_due + H)
    assert all(r.ok for r in results), [r.failed for r in results]
    assert sum(r.acted["complaints.escalations"] for r in results) == 1
    assert Escalation.objects.filter(complaint=ticket).count() == 1
