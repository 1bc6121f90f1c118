"""Eight people (or beat ticks) acting on the same rows at one moment, on
PostgreSQL, each with its own connection: the database decides, and the
outcome is exact.

- Dispatchers opening and assigning the same card: one job, one assignment,
  everyone else refused as changed meanwhile.
- Whole sweeps over the same due data: each no-show, call, message and
  escalation once, counted by the one sweep that made it.

Invoice numbers under parallel issues are in
tests/reception/test_invoice_concurrency.py; the last bookable hours in
tests/appointments/test_concurrency.py."""

from __future__ import annotations

import queue

import pytest
from django.core.exceptions import ValidationError

from appointments.models import Appointment, Status
from complaints.models import Escalation
from dealer_service.sweep import sweep
from dealers.models import Role
from followup.messaging.backends import locmem
from followup.models import Channel, ContactTask, Kind, Message, MessageStatus
from tests import concurrency
from tests.complaints import conftest as complaint_fixtures
from tests.complaints.conftest import H, open_complaint
from tests.factories import StaffFactory
from tests.followup.conftest import appointments_bulk
from tests.reception import conftest as reception_fixtures
from tests.workshop import test_dispatch as dispatch_fixtures
from workshop.dispatch import job_assign
from workshop.jobs import jobs_sync
from workshop.models import Job, JobStatus

pytestmark = concurrency.POSTGRES_ONLY

AT_ONCE = 8

# Fixtures shared with the workshop's and the complaints' tests.
ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order
agreed_order = dispatch_fixtures.agreed_order
quick_bay = dispatch_fixtures.quick_bay
agent = complaint_fixtures.agent
handler = complaint_fixtures.handler
car = complaint_fixtures.car
brake_job = complaint_fixtures.brake_job
visit = complaint_fixtures.visit


# --- dispatch ------------------------------------------------------------------------------


def test_dispatchers_opening_the_same_card_at_once_make_its_job_once(agreed_order):
    # The dispatch page makes the missing jobs on every opening.
    outcomes = concurrency.run_at_once(jobs_sync, agreed_order, times=AT_ONCE)
    assert all(isinstance(made, list) for made in outcomes), outcomes
    assert sum(len(made) for made in outcomes) == 1
    assert Job.objects.filter(repair_order=agreed_order).count() == 1


def test_dispatchers_assigning_the_same_job_at_once_get_one_assignment(agreed_order, station, quick_bay):
    [job] = jobs_sync(agreed_order)
    seen = job.version  # every dispatcher's page carries this version
    choices: queue.SimpleQueue = queue.SimpleQueue()
    for n in range(AT_ONCE):
        technician = dispatch_fixtures._tech(station, f"师傅{n}", 2)
        dispatcher = StaffFactory(roles=[Role.DISPATCHER], dealers=[station])
        choices.put((technician, dispatcher))

    def assign():
        technician, dispatcher = choices.get()
        mine = Job.objects.select_related("repair_order").get(pk=job.pk)
        try:
            return job_assign(job=mine, technician=technician, bay=quick_bay, version=seen, by=dispatcher.user)
        except ValidationError as error:
            return error.code

    outcomes = concurrency.run_at_once(assign, times=AT_ONCE)
    assigned = [x for x in outcomes if isinstance(x, Job)]
    assert len(assigned) == 1 and sorted(x for x in outcomes if not isinstance(x, Job)) == ["stale"] * (AT_ONCE - 1)
    job.refresh_from_db()
    winner = assigned[0]
    assert (job.status, job.version, job.technician_id, job.assigned_by_id) == (
        JobStatus.ASSIGNED,
        seen + 1,
        winner.technician_id,
        winner.assigned_by_id,
    )
    assert Job.objects.filter(repair_order=agreed_order).count() == 1


# --- whole sweeps --------------------------------------------------------------------------


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


def test_whole_sweeps_at_once_make_each_call_message_and_escalation_once(
    station, advisor, agent, car, visit, manager, sms_outbox
):
    tickets = [open_complaint(station, agent.user, car, related_orders=[visit]) for _ in range(3)]
    moment = tickets[0].answer_due + 5 * H  # the handler's and the service manager's stages are due
    # Due at `moment`: five no-shows, and the first confirmation of six appointments two days ahead,
    # three of whose customers asked for SMS reminders.
    missed = appointments_bulk(station, advisor, 5, moment - H)
    ahead = appointments_bulk(station, advisor, 6, moment + 48 * H, status=Status.CONFIRMED)
    by_sms = [appointment.pk for appointment in ahead[:3]]
    Appointment.objects.filter(pk__in=by_sms).update(contact_channel=Channel.SMS)

    results = concurrency.run_at_once(sweep, moment, times=AT_ONCE)

    assert all(getattr(result, "ok", False) for result in results), results
    acted = {step: sum(result.acted[step] for result in results) for step in results[0].acted}
    assert Appointment.objects.filter(pk__in=[a.pk for a in missed], status=Status.NO_SHOW).count() == 5
    assert acted["appointments.no_shows"] == 5
    tasks = ContactTask.objects.filter(dealer=station)
    assert tasks.filter(kind=Kind.NO_SHOW).count() == 5
    assert tasks.filter(kind=Kind.CONFIRMATION_72H).count() == 6
    assert acted["followup.contact_rules"] == tasks.count()  # each task counted by the one sweep that made it
    messages = Message.objects.filter(dealer=station)
    assert messages.count() == 3
    assert set(messages.values_list("status", "tries")) == {(MessageStatus.SENT, 1)}
    assert sorted(m.occurrence_key for m in sms_outbox) == sorted(messages.values_list("occurrence_key", flat=True))
    assert acted["followup.messages"] == 6  # three queued and three sent, once each
    assert Escalation.objects.count() == 2 * len(tickets)
    assert acted["complaints.escalations"] == 2 * len(tickets)
    assert sweep(moment).acted == dict.fromkeys(results[0].acted, 0)  # and the next tick finds nothing
