"""Contact rules: one small function per trigger (ARCHITECTURE.md "Time").

Each rule takes `now`, reads the state of the earlier apps and makes the
contact tasks that should exist at that moment exist. Creation is idempotent
through the unique dedupe key (rule, source object, occurrence): running a
rule twice, or in two sweeps at once, creates each task once. Rules also
close the open tasks their source no longer needs, so the call list never
shows a stale call. Every rule returns how many tasks it created or closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from appointments.models import ACTIVE, Appointment
from appointments.models import Status as AppointmentStatus
from appointments.selectors import preparation_problems
from dealers.models import Dealer, Role
from followup import campaigns, reminders
from followup.models import CONFIRMATIONS, Channel, ContactTask, Kind, Outcome, TaskStatus
from reception.models import RO_OPEN_STATES, PartsOrder, PartsOrderStatus
from workshop.models import Delay

# How long a no-show call stays on the list: the customer is tried for three
# days (SPEC.md "Outbound contact rules": three tries within three to five days).
NO_SHOW_CALL_DAYS = 3


def dedupe_key(rule: str, source_pk: int, occurrence: dt.datetime) -> str:
    """(rule, source object, occurrence); the time in UTC so that the key does
    not depend on the time zone the value was read in."""
    return f"{rule}:{source_pk}:{occurrence.astimezone(dt.UTC).isoformat()}"


def _appointment_type() -> ContentType:
    return ContentType.objects.get_for_model(Appointment)


def _ensure(tasks: Iterable[ContactTask]) -> int:
    """Create the tasks whose key does not exist yet; returns how many were created.

    Existing keys are read in one query, so a sweep that finds nothing new
    writes nothing. A concurrent sweep that inserts the same key first makes
    the insert fail inside its savepoint, and the task is simply not created
    here."""
    tasks = {task.dedupe_key: task for task in tasks}
    if not tasks:
        return 0
    existing = set(ContactTask.objects.filter(dedupe_key__in=tasks).values_list("dedupe_key", flat=True))
    created = 0
    for key, task in tasks.items():
        if key in existing:
            continue
        try:
            with transaction.atomic():
                task.save(force_insert=True)
        except IntegrityError:
            continue  # another sweep created it a moment ago
        created += 1
    return created


def _appointment_task(appointment: Appointment, kind: str, occurrence: dt.datetime, **fields) -> ContactTask:
    return ContactTask(
        kind=kind,
        dealer_id=appointment.dealer_id,
        customer_id=appointment.customer_id,
        vehicle_id=appointment.vehicle_id,
        source_type=_appointment_type(),
        source_id=appointment.pk,
        dedupe_key=dedupe_key(kind, appointment.pk, occurrence),
        **fields,
    )


def _reminder_channel(appointment: Appointment) -> str:
    return appointment.contact_channel if appointment.contact_channel in Channel.values else Channel.PHONE


@dataclass(frozen=True)
class Confirmation:
    """One confirmation call: its kind, how many hours before arrival it falls
    due, until how many hours before arrival it still makes sense, who calls."""

    kind: str
    due_hours: int
    until_hours: int
    role: str
    by_advisor: bool = False


def _confirmations(dealer: Dealer) -> list[Confirmation]:
    # Each call is owed until the next one falls due; the advisor's until arrival.
    return [
        Confirmation(Kind.CONFIRMATION_72H, dealer.confirm_first_hours, dealer.confirm_second_hours, Role.SPECIALIST),
        Confirmation(Kind.CONFIRMATION_24H, dealer.confirm_second_hours, dealer.confirm_advisor_hours, Role.SPECIALIST),
        Confirmation(Kind.CONFIRMATION_1H, dealer.confirm_advisor_hours, 0, Role.SERVICE_ADVISOR, by_advisor=True),
    ]


def _confirmation_rule(kind: str):
    def rule(now: dt.datetime) -> int:
        tasks = []
        for dealer in Dealer.objects.filter(is_active=True):
            step = next(c for c in _confirmations(dealer) if c.kind == kind)
            if step.until_hours >= step.due_hours:
                continue  # settings leave this call no time window
            # Due from (arrival - due_hours) until (arrival - until_hours).
            window = Appointment.objects.filter(
                dealer=dealer,
                status__in=ACTIVE,
                arrives_at__gt=now + dt.timedelta(hours=step.until_hours),
                arrives_at__lte=now + dt.timedelta(hours=step.due_hours),
            )
            for appointment in window:
                tasks.append(
                    _appointment_task(
                        appointment,
                        kind,
                        appointment.arrives_at,
                        due_from=appointment.arrives_at - dt.timedelta(hours=step.due_hours),
                        due_until=appointment.arrives_at - dt.timedelta(hours=step.until_hours),
                        role=step.role,
                        assignee_id=appointment.advisor_id if step.by_advisor else None,
                        channel=Channel.PHONE if step.by_advisor else _reminder_channel(appointment),
                    )
                )
        return _ensure(tasks)

    rule.__name__ = f"{kind}_rule"
    rule.__doc__ = f"Sweep rule: the {kind} call for every booked or confirmed appointment in its window."
    return rule


confirmation_72h = _confirmation_rule(Kind.CONFIRMATION_72H)
confirmation_24h = _confirmation_rule(Kind.CONFIRMATION_24H)
confirmation_1h = _confirmation_rule(Kind.CONFIRMATION_1H)


def no_show_call(now: dt.datetime) -> int:
    """A call to every customer whose appointment became a no-show (the
    appointments step of the sweep marks them after the grace period)."""
    tasks = []
    for dealer in Dealer.objects.filter(is_active=True).only("pk", "no_show_grace_minutes"):
        grace = dt.timedelta(minutes=dealer.no_show_grace_minutes)
        window = dt.timedelta(days=NO_SHOW_CALL_DAYS)
        missed = Appointment.objects.filter(
            dealer=dealer, status=AppointmentStatus.NO_SHOW, arrives_at__gt=now - grace - window
        )
        for appointment in missed:
            due_from = appointment.arrives_at + grace
            tasks.append(
                _appointment_task(
                    appointment,
                    Kind.NO_SHOW,
                    appointment.arrives_at,
                    due_from=due_from,
                    due_until=due_from + window,
                    role=Role.SPECIALIST,
                )
            )
    return _ensure(tasks)


def preparation_problem(now: dt.datetime) -> int:
    """Tell the customer about a preparation problem (parts shortage, no
    substitute car) before arrival: one call per problem period. A call still
    open when the problem is solved is no longer owed and expires."""
    tasks = []
    for appointment in preparation_problems(now):
        since = appointment.preparation.problem_since
        tasks.append(
            _appointment_task(
                appointment,
                Kind.PREPARATION_PROBLEM,
                since,
                due_from=min(since, now),
                due_until=appointment.arrives_at,
                role=Role.SPECIALIST,
            )
        )
    created = _ensure(tasks)
    solved = (
        ContactTask.objects.open()
        .filter(kind=Kind.PREPARATION_PROBLEM)
        .exclude(dedupe_key__in=[t.dedupe_key for t in tasks])
    )
    return created + solved.update(status=TaskStatus.EXPIRED, closed_at=now)


# How long the advisor has to tell the customer that ordered parts arrived.
PARTS_ARRIVED_CALL_DAYS = 2


def parts_arrived(now: dt.datetime) -> int:
    """When the parts clerk marks a parts order arrived, the RO's advisor tells
    the customer (SPEC.md step 3: "notify the customer on arrival"). One call
    per order; orders of repair orders no longer open need none."""
    window = dt.timedelta(days=PARTS_ARRIVED_CALL_DAYS)
    arrived = (
        PartsOrder.objects.filter(
            status=PartsOrderStatus.ARRIVED,
            arrived_at__lte=now,
            arrived_at__gt=now - window,
            repair_order__status__in=RO_OPEN_STATES,
        )
        .select_related("repair_order")
        .only(
            "pk",
            "arrived_at",
            "dealer_id",
            "repair_order__customer_id",
            "repair_order__vehicle_id",
            "repair_order__advisor_id",
        )
    )
    order_type = ContentType.objects.get_for_model(PartsOrder)
    return _ensure(
        ContactTask(
            kind=Kind.PARTS_ARRIVED,
            dealer_id=order.dealer_id,
            customer_id=order.repair_order.customer_id,
            vehicle_id=order.repair_order.vehicle_id,
            source_type=order_type,
            source_id=order.pk,
            dedupe_key=dedupe_key(Kind.PARTS_ARRIVED, order.pk, order.arrived_at),
            due_from=order.arrived_at,
            due_until=order.arrived_at + window,
            assignee_id=order.repair_order.advisor_id,
            role=Role.SERVICE_ADVISOR,
        )
        for order in arrived
    )


def delay_call(now: dt.datetime) -> int:
    """The workshop forecasts or reports a delay: the RO's advisor calls the
    customer to agree a new time (SPEC.md step 4), before the promised time
    where possible. Once the customer agreed (the delay's consent record),
    the call is done; an order that left the workshop needs no call."""
    delay_type = ContentType.objects.get_for_model(Delay)
    unagreed = Delay.objects.filter(consent__isnull=True, repair_order__status__in=RO_OPEN_STATES).select_related(
        "repair_order"
    )
    created = _ensure(
        ContactTask(
            kind=Kind.DELAY,
            dealer_id=delay.dealer_id,
            customer_id=delay.repair_order.customer_id,
            vehicle_id=delay.repair_order.vehicle_id,
            source_type=delay_type,
            source_id=delay.pk,
            dedupe_key=dedupe_key(Kind.DELAY, delay.pk, delay.detected_at),
            due_from=delay.detected_at,
            due_until=max(delay.forecast_ready_at, delay.detected_at),
            assignee_id=delay.repair_order.advisor_id,
            role=Role.SERVICE_ADVISOR,
        )
        for delay in unagreed
    )
    calls = ContactTask.objects.open().filter(kind=Kind.DELAY, source_type=delay_type)
    agreed = calls.filter(source_id__in=Delay.objects.filter(consent__isnull=False).values("pk")).update(
        status=TaskStatus.DONE, outcome=Outcome.AGREED, closed_at=now
    )
    gone = calls.exclude(source_id__in=unagreed.values("pk")).update(status=TaskStatus.EXPIRED, closed_at=now)
    return created + agreed + gone


def _open_appointment_tasks(appointments: QuerySet[Appointment]) -> QuerySet[ContactTask]:
    return ContactTask.objects.open().filter(source_type=_appointment_type(), source_id__in=appointments.values("pk"))


def close_for_appointments(appointment_ids: Iterable[int], now: dt.datetime) -> int:
    """Cancel the open tasks of appointments that were cancelled or moved:
    the moved appointment gets its own calls."""
    gone = Appointment.objects.filter(
        pk__in=list(appointment_ids), status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED]
    )
    return _open_appointment_tasks(gone).update(status=TaskStatus.CANCELLED, closed_at=now)


def stale_appointment_tasks(now: dt.datetime) -> int:
    """Close calls whose appointment has moved on: cancelled or rescheduled
    appointments cancel theirs; an arrival (or a no-show) makes confirmations
    and preparation calls moot; a late arrival makes the no-show call moot."""
    closed = _open_appointment_tasks(
        Appointment.objects.filter(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED])
    ).update(status=TaskStatus.CANCELLED, closed_at=now)
    moved_on = Appointment.objects.exclude(status__in=ACTIVE)
    closed += (
        _open_appointment_tasks(moved_on)
        .filter(kind__in=[*CONFIRMATIONS, Kind.PREPARATION_PROBLEM])
        .update(status=TaskStatus.EXPIRED, closed_at=now)
    )
    turned_up = Appointment.objects.exclude(status=AppointmentStatus.NO_SHOW)
    closed += (
        _open_appointment_tasks(turned_up).filter(kind=Kind.NO_SHOW).update(status=TaskStatus.EXPIRED, closed_at=now)
    )
    return closed


def past_due(now: dt.datetime) -> int:
    """Open tasks whose time has passed expire: the 72 h call once the 24 h
    call is due, the advisor's call at arrival, a no-show call after its days."""
    return ContactTask.objects.open().filter(due_until__lte=now).update(status=TaskStatus.EXPIRED, closed_at=now)


# In order: close what is stale first, so a call is never created and shown
# for an appointment that has just been cancelled.
RULES = [
    stale_appointment_tasks,
    confirmation_72h,
    confirmation_24h,
    confirmation_1h,
    no_show_call,
    preparation_problem,
    parts_arrived,
    delay_call,
    *reminders.RULES,
    *campaigns.RULES,
    past_due,
]


def run_all(now: dt.datetime) -> int:
    """The follow-up step of the sweep: every contact rule at `now`."""
    return sum(rule(now) for rule in RULES)
