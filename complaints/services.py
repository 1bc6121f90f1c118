"""Writes of the call center and the complaint ticket: intake, the dispatch
rule, handling steps, the charge review, level changes, extensions, closing.

Every function takes `now` and `by`, checks who may act and what the ticket
allows, then writes the change and its `ComplaintEvent` in one transaction.
Refusals raise `ComplaintError` (a ValidationError) with nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import bills, intake, selectors
from complaints.models import (
    TRANSITIONS,
    ChargeResult,
    ChargeReview,
    Complaint,
    ComplaintEvent,
    ComplaintSettings,
    Contact,
    ContactType,
    EventKind,
    Fault,
    InboundChannel,
    PreReport,
    Status,
    Subject,
)
from customers.models import Customer, Vehicle
from customers.validators import normalize_phone
from dealers.access import roles_of
from dealers.audit import records_actor
from dealers.models import Dealer, Role, StaffMember
from followup.models import Channel, ContactTask, Kind, TaskStatus
from followup.rules import dedupe_key
from reception.models import Invoice, RepairOrder, ROStatus


class ComplaintError(ValidationError):
    pass


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _event(complaint: Complaint, kind: str, *, by, at: dt.datetime, note: str = "", **data: Any) -> ComplaintEvent:
    return ComplaintEvent.objects.create(complaint=complaint, kind=kind, at=at, by=by, note=note, data=data)


def _staff_of(user) -> StaffMember | None:
    return getattr(user, "staff", None) if user is not None else None


def _check_station(user, station: Dealer) -> None:
    if not any(s.pk == station.pk for s in selectors.complaint_stations(user)):
        raise ComplaintError(_("You do not work for this station."))


def can_handle(user, complaint: Complaint) -> bool:
    """The call center, or the front office (advisor, manager, specialist) of the ticket's station."""
    roles = roles_of(user)
    if Role.CALL_CENTER in roles or user.is_superuser:
        return True
    if not roles.intersection(selectors.HANDLER_ROLES):
        return False
    return Dealer.objects.for_user(user).filter(pk=complaint.dealer_id).exists()


def _check_handler(user, complaint: Complaint) -> None:
    if not can_handle(user, complaint):
        raise ComplaintError(_("Only the call center or the station's front office can handle this ticket."))


def _lock(complaint: Complaint) -> Complaint:
    """The ticket's current row, locked: two people acting at once act in turn."""
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _refresh(target: Complaint, source: Complaint) -> None:
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _next_due(complaint: Complaint) -> dt.datetime | None:
    pending = complaint.open_deadlines()
    return pending[0][1] if pending else None


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.next_due_at = _next_due(complaint)
    complaint.save(update_fields=[*fields, "next_due_at"])


def _transition(
    complaint: Complaint, to: str, *, by, at: dt.datetime, note: str = "", also: dict | None = None, **data: Any
) -> None:
    """Apply a status change allowed by TRANSITIONS with a conditional update
    (with `also`, the fields the new state needs in the same statement):
    0 rows changed means someone else changed the ticket first."""
    old = complaint.status
    if to not in TRANSITIONS[old]:
        raise ComplaintError(
            _("A ticket that is “%(old)s” cannot become “%(new)s”.")
            % {"old": complaint.get_status_display(), "new": Status(to).label}
        )
    also = also or {}
    if not Complaint.objects.filter(pk=complaint.pk, status=old).update(status=to, **also):
        raise ComplaintError(_("Someone else changed this ticket a moment ago: reload it."))
    complaint.status = to
    for name, value in also.items():
        setattr(complaint, name, value)
    _event(complaint, _TRANSITION_EVENT.get(to, EventKind.STATUS), by=by, at=at, note=note, old=old, new=to, **data)


_TRANSITION_EVENT = {
    Status.DISPATCHED: EventKind.DISPATCHED,
    Status.CHARGE_REVIEW: EventKind.DISPATCHED,
    Status.CLOSED: EventKind.CLOSED,
}


# --- intake -----------------------------------------------------------------------------


def _caller(customer: Customer | None, vehicle: Vehicle | None, name: str, phone: str, station: Dealer):
    name, phone = (name or "").strip()[:50], (phone or "").strip()[:30]
    if vehicle is not None and customer is not None and vehicle.owner_id != customer.pk:
        raise ComplaintError({"vehicle": _("This vehicle is not the customer's.")})
    if customer is None and vehicle is not None:
        customer = vehicle.owner
    if customer is None and not (name or phone):
        raise ComplaintError(_("Find the customer, or record the unidentified caller's name or phone."))
    if phone:
        phone = normalize_phone(phone)
    return customer, vehicle, name, phone


@transaction.atomic
def contact_record(
    *,
    station: Dealer,
    contact_type: str,
    words: str,
    by,
    channel: str = InboundChannel.HOTLINE,
    customer: Customer | None = None,
    vehicle: Vehicle | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    answer: str = "",
    department: str = "",
    assignee: StaffMember | None = None,
    now: dt.datetime | None = None,
) -> Contact:
    """Record a consultation (answered in the call: closed at once) or a
    coordination (another department answers, within the hotline deadline).
    A complaint goes through `complaint_open`, which calls this first."""
    now = _now(now)
    _check_station(by, station)
    words = (words or "").strip()
    if not words:
        raise ComplaintError({"words": _("Write down what the customer said, in their words.")})
    customer, vehicle, caller_name, caller_phone = _caller(customer, vehicle, caller_name, caller_phone, station)
    contact = Contact(
        dealer=station,
        contact_type=contact_type,
        channel=channel,
        customer=customer,
        vehicle=vehicle,
        caller_name=caller_name,
        caller_phone=caller_phone,
        words=words,
        answer=(answer or "").strip(),
        department=(department or "").strip()[:100],
        assignee=assignee,
        received_at=now,
        taken_by=by,
    )
    if contact_type == ContactType.CONSULTATION:
        if not contact.answer:
            raise ComplaintError({"answer": _("A consultation is answered in the call: write down the answer.")})
        contact.closed_at = now
    elif contact_type == ContactType.COORDINATION:
        if not contact.department:
            raise ComplaintError({"department": _("Name the department that must answer.")})
        contact.due_at = now + dt.timedelta(hours=ComplaintSettings.for_station(station).hotline_answer_hours)
    elif contact_type != ContactType.COMPLAINT:
        raise ComplaintError({"contact_type": _("Choose consultation, coordination or complaint.")})
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def coordination_close(*, contact: Contact, answer: str, by, now: dt.datetime | None = None) -> Contact:
    """The department's answer was given to the customer: the coordination is done."""
    now = _now(now)
    _check_station(by, contact.dealer)
    answer = (answer or "").strip()
    if not answer:
        raise ComplaintError({"answer": _("Write down the answer the customer was given.")})
    if not Contact.objects.filter(pk=contact.pk, closed_at__isnull=True).update(answer=answer, closed_at=now):
        raise ComplaintError(_("This coordination is already closed."))
    contact.answer, contact.closed_at = answer, now
    return contact


def _dispatch_handler(orders: list[RepairOrder]) -> StaffMember | None:
    """The advisor of the latest related repair order knows the car best."""
    return orders[0].advisor if orders else None


@records_actor
@transaction.atomic
def complaint_open(
    *,
    station: Dealer,
    subject: str,
    level: int,
    words: str,
    expected_outcome: str,
    by,
    channel: str = InboundChannel.HOTLINE,
    customer: Customer | None = None,
    vehicle: Vehicle | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    criteria: Iterable[str] = (),
    answers: dict[str, str] | None = None,
    related_orders: Iterable[RepairOrder] = (),
    visit_confirmed: bool = False,
    guidance: str = "",
    problem_operation=None,
    problem_symptom: str = "",
    complainer_type: str = "",
    customer_type: str = "",
    source_task: ContactTask | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Accept a complaint and apply the dispatch rule.

    A complaint about a station goes to it only if the customer has already
    been there about it: a related repair order of that station, or the agent
    confirms a visit. Otherwise it is not dispatched and the guidance given to
    the customer is recorded. A station's pre-report is linked and shown, and
    never stops the complaint. For repair quality the repeat-repair count is
    taken from the RO history; at the station's threshold it is a repeated
    failure, which makes the complaint major. The ticked criteria set the
    lowest level the agent may choose. Deadlines follow the station's settings
    for the level, counted from now."""
    now = _now(now)
    if subject not in Subject.values:
        raise ComplaintError({"subject": _("Choose the subject of the complaint.")})
    expected_outcome = (expected_outcome or "").strip()
    if not expected_outcome:
        raise ComplaintError({"expected_outcome": _("Ask what the customer expects, and write it down.")})
    contact = contact_record(
        station=station,
        contact_type=ContactType.COMPLAINT,
        words=words,
        by=by,
        channel=channel,
        customer=customer,
        vehicle=vehicle,
        caller_name=caller_name,
        caller_phone=caller_phone,
        now=now,
    )
    customer, vehicle = contact.customer, contact.vehicle
    settings = ComplaintSettings.for_station(station)
    criteria = [c for c in dict.fromkeys(criteria) if c in intake.CRITERIA_BY_CODE]
    symptom = (problem_symptom or "").strip()[:100]
    if problem_operation is not None and problem_operation.dealer_id != station.pk:
        raise ComplaintError({"problem_operation": _("Choose a labour operation of the station concerned.")})
    repeat = selectors.repeat_repairs(station=station, vehicle=vehicle, operation=problem_operation, symptom=symptom)
    repeated = subject == Subject.REPAIR_QUALITY and repeat >= settings.repeat_failure_count
    if repeated and intake.REPEATED_FAILURE not in criteria:
        criteria.append(intake.REPEATED_FAILURE)
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in (1, 2, 3):
        raise ComplaintError({"level": _("Choose level 1, 2 or 3.")})
    lowest = intake.lowest_level(criteria)
    if level < lowest:
        raise ComplaintError(
            {"level": _("The criteria met make this at least a level %(level)s complaint.") % {"level": lowest}}
        )
    orders = list(related_orders)
    if any(o.dealer_id != station.pk or (customer and o.customer_id != customer.pk) for o in orders):
        raise ComplaintError({"related_orders": _("Related repair orders must be the customer's, at this station.")})
    orders.sort(key=lambda o: o.created_at, reverse=True)
    guidance = (guidance or "").strip()
    about_station = subject in intake.STATION_SUBJECTS
    visited = bool(orders) or bool(visit_confirmed)
    dispatched = about_station and visited
    if about_station and not visited and not guidance:
        raise ComplaintError(
            {
                "guidance": _(
                    "The customer has not been to the station about this: the complaint is not dispatched. "
                    "Record how you guided the customer to the station."
                )
            }
        )
    if subject == Subject.CHARGES and dispatched:
        status = Status.CHARGE_REVIEW
    elif dispatched:
        status = Status.DISPATCHED
    elif about_station:
        status = Status.GUIDED
    else:
        status = Status.HANDLING  # about the call center: the call center handles it
    pre_report = selectors.pre_reports_for(station=station, customer=customer, vehicle=vehicle).first()
    complaint = Complaint(
        contact=contact,
        dealer=station,
        subject=subject,
        level=level,
        criteria=criteria,
        expected_outcome=expected_outcome,
        answers=intake.clean_answers(subject, answers or {}),
        problem_operation=problem_operation,
        problem_symptom=symptom,
        repeat_count=repeat,
        visit_confirmed=bool(visit_confirmed),
        dispatched=dispatched,
        guidance=guidance,
        pre_report=pre_report,
        source_task=source_task,
        handler=_dispatch_handler(orders) if dispatched else _staff_of(by) if not about_station else None,
        complainer_type=complainer_type or "",
        customer_type=customer_type or "",
        status=status,
        created_at=now,
        **settings.deadlines(level, now),
    )
    if status == Status.GUIDED:
        complaint.answered_at = now  # the guidance is the answer, given in the call
    complaint.next_due_at = _next_due(complaint) if status != Status.GUIDED else None
    complaint.full_clean(exclude=["contact"])
    complaint.save()
    complaint.related_orders.set(orders)
    _event(complaint, EventKind.OPENED, by=by, at=now, level=level, criteria=criteria, repeat_count=repeat)
    if pre_report is not None:
        _event(complaint, EventKind.PRE_REPORT, by=by, at=now, note=pre_report.note[:300])
    if dispatched:
        reason = "repair_order" if orders else "agent_confirmed"
        _event(complaint, EventKind.DISPATCHED, by=by, at=now, reason=reason, orders=[o.number for o in orders])
    elif about_station:
        _event(complaint, EventKind.NOT_DISPATCHED, by=by, at=now, note=guidance)
    if status == Status.CHARGE_REVIEW:
        ChargeReview.objects.create(complaint=complaint)
    return complaint


@transaction.atomic
def complaint_dispatch(
    *, complaint: Complaint, by, related_orders: Iterable[RepairOrder] = (), note: str = "", now=None
) -> Complaint:
    """The guided customer has been to the station since: now the ticket goes
    there, with fresh deadlines from today (logged)."""
    now = _now(now)
    _check_handler(by, complaint)
    locked = _lock(complaint)
    orders = sorted(related_orders, key=lambda o: o.created_at, reverse=True)
    if any(o.dealer_id != locked.dealer_id for o in orders):
        raise ComplaintError(_("Related repair orders must be of the station concerned."))
    if not orders and not (note or "").strip():
        raise ComplaintError(_("Link the repair order of the visit, or note when the customer went to the station."))
    deadlines = ComplaintSettings.for_station(locked.dealer).deadlines(locked.level, now)
    old = {k: getattr(locked, k).isoformat() for k in deadlines}
    to = Status.CHARGE_REVIEW if locked.subject == Subject.CHARGES else Status.DISPATCHED
    _transition(locked, to, by=by, at=now, note=(note or "").strip(), also={"dispatched": True})
    if to == Status.CHARGE_REVIEW:
        ChargeReview.objects.get_or_create(complaint=locked)
    locked.answered_at, locked.handler = None, _dispatch_handler(orders) or locked.handler
    for name, value in deadlines.items():
        setattr(locked, name, value)
    _save(locked, "answered_at", "handler", *deadlines)
    if orders:
        locked.related_orders.add(*orders)
    _event(
        locked,
        EventKind.EXTENDED,
        by=by,
        at=now,
        note=_("New deadlines from the dispatch"),
        old=old,
        new={k: v.isoformat() for k, v in deadlines.items()},
    )
    _refresh(complaint, locked)
    return complaint


# --- pre-reports --------------------------------------------------------------------------


@transaction.atomic
def pre_report_record(
    *, station: Dealer, note: str, by, customer: Customer | None = None, vehicle: Vehicle | None = None, now=None
) -> PreReport:
    """A station tells the call center about a likely complaint (报备). It is
    recorded and shown at intake; the call center still accepts the complaint."""
    now = _now(now)
    _check_station(by, station)
    note = (note or "").strip()
    if not note:
        raise ComplaintError({"note": _("Describe what happened.")})
    if customer is None and vehicle is None:
        raise ComplaintError(_("Name the customer or the vehicle."))
    for row in (customer, vehicle):
        if row is not None and row.dealer_id != station.pk:
            raise ComplaintError(_("The customer and vehicle must be of this station."))
    report = PreReport(
        dealer=station, customer=customer or vehicle.owner, vehicle=vehicle, note=note, reported_by=by, reported_at=now
    )
    report.full_clean()
    report.save()
    return report


# --- handling ---------------------------------------------------------------------------


@transaction.atomic
def complaint_take(*, complaint: Complaint, by, now=None) -> Complaint:
    """A station's advisor or manager takes the ticket as its handler."""
    now = _now(now)
    _check_handler(by, complaint)
    staff = _staff_of(by)
    if staff is None:
        raise ComplaintError(_("Only a staff member can handle a ticket."))
    locked = _lock(complaint)
    if locked.status == Status.CLOSED:
        raise ComplaintError(_("This ticket is closed."))
    locked.handler = staff
    locked.save(update_fields=["handler"])
    _event(locked, EventKind.TAKEN, by=by, at=now, handler=staff.display_name)
    _refresh(complaint, locked)
    return complaint


PARTIES = ("customer", "station", "call_center", "other")


@transaction.atomic
def complaint_step(
    *, complaint: Complaint, step: str, by, note: str = "", value: str = "", now: dt.datetime | None = None
) -> ComplaintEvent:
    """Record one handling step with its time (SPEC.md: acknowledge and calm,
    clarify the facts from every party, who is at fault, is the demand
    reasonable, options, agreed solution, actions, follow-up call).

    Acknowledging is the first answer to the customer (it meets that deadline
    and starts the handling); the follow-up call meets the callback deadline
    and, when the customer confirms the solution worked, allows closing."""
    now = _now(now)
    _check_handler(by, complaint)
    locked = _lock(complaint)
    note, value = (note or "").strip(), (value or "").strip()
    if locked.status not in (Status.DISPATCHED, Status.HANDLING, Status.EXPLAINING):
        raise ComplaintError(_("Handling steps are recorded on a ticket that is dispatched or being handled."))
    fields: list[str] = []
    data: dict[str, Any] = {}
    if locked.status == Status.DISPATCHED and step != EventKind.NOTE:
        # The station's first step with the customer starts the handling.
        _transition(locked, Status.HANDLING, by=by, at=now, note=EventKind(step).label)
    if step == EventKind.ACKNOWLEDGED:
        pass  # its time is the first answer (below)
    elif step == EventKind.FACTS:
        if value not in PARTIES or not note:
            raise ComplaintError(_("Say whose account it is, and what they said."))
        data["party"] = value
    elif step == EventKind.FAULT:
        if value not in Fault.values:
            raise ComplaintError(_("Choose who is at fault: the customer, us, or unclear."))
        locked.fault = value
        fields.append("fault")
    elif step == EventKind.DEMAND:
        if value not in ("yes", "no"):
            raise ComplaintError(_("Say whether the customer's demand is reasonable."))
        locked.demand_reasonable = value == "yes"
        fields.append("demand_reasonable")
    elif step == EventKind.SOLUTION:
        if not note:
            raise ComplaintError(_("Write down the solution agreed with the customer."))
        locked.solution = note
        fields.append("solution")
    elif step == EventKind.FOLLOWUP_CALL:
        if value not in ("yes", "no"):
            raise ComplaintError(_("Say whether the customer confirms the solution worked."))
        if not locked.solution:
            raise ComplaintError(_("Record the agreed solution before the follow-up call."))
        data["worked"] = value == "yes"
        if locked.called_back_at is None:
            locked.called_back_at = now
            fields.append("called_back_at")
    elif step in (EventKind.OPTIONS, EventKind.ACTION, EventKind.NOTE):
        if not note:
            raise ComplaintError(_("Write a note for this step."))
    else:
        raise ComplaintError(_("Unknown handling step."))
    if locked.answered_at is None and step != EventKind.NOTE:
        # Any step with the customer is an answer to them; the first one meets the deadline.
        locked.answered_at = now
        fields.append("answered_at")
    _save(locked, *fields)
    event = _event(locked, step, by=by, at=now, note=note, **data)
    _refresh(complaint, locked)
    return event


def _follow_up_confirmed(complaint: Complaint) -> bool:
    """The last follow-up call confirmed the solution worked, or (charge
    reasonable) the explaining callback was answered."""
    last = complaint.events.filter(kind=EventKind.FOLLOWUP_CALL).order_by("-at", "-pk").first()
    if last is not None:
        return bool(last.data.get("worked"))
    review = getattr(complaint, "charge_review", None)
    task = review.callback_task if review is not None else None
    return task is not None and task.status == TaskStatus.DONE and task.outcome == "answered"


@transaction.atomic
def complaint_close(*, complaint: Complaint, satisfied: bool | None, by, note: str = "", now=None) -> Complaint:
    """Close with the customer satisfied yes/no. Refused without a recorded
    solution and a follow-up call confirming it worked (a guided ticket's
    guidance is its solution: the station has it now)."""
    now = _now(now)
    _check_handler(by, complaint)
    locked = _lock(complaint)
    if satisfied is None:
        raise ComplaintError({"satisfied": _("Say whether the customer is satisfied.")})
    if locked.status != Status.GUIDED:
        if not locked.solution:
            raise ComplaintError(_("A ticket is closed only with the agreed solution recorded."))
        if not _follow_up_confirmed(locked):
            raise ComplaintError(
                _("A ticket is closed only after a follow-up call in which the customer confirms the solution worked.")
            )
    _transition(
        locked,
        Status.CLOSED,
        by=by,
        at=now,
        note=(note or "").strip(),
        also={"satisfied": bool(satisfied), "closed_at": now, "next_due_at": None},
        satisfied=bool(satisfied),
    )
    _refresh(complaint, locked)
    return complaint


# --- level and deadlines ----------------------------------------------------------------


def _is_station_manager(user, complaint: Complaint) -> bool:
    if user.is_superuser:
        return True
    return (
        Role.SERVICE_MANAGER in roles_of(user) and Dealer.objects.for_user(user).filter(pk=complaint.dealer_id).exists()
    )


@records_actor
@transaction.atomic
def complaint_set_level(*, complaint: Complaint, level: int, by, reason: str = "", now=None) -> Complaint:
    """Raise the level (anyone handling the ticket) or lower it (a service
    manager of the station, with a reason). The deadlines not met yet follow
    the new level, counted from when the complaint came in; the change and
    the old and new deadlines are logged."""
    now = _now(now)
    _check_handler(by, complaint)
    locked = _lock(complaint)
    reason = (reason or "").strip()
    if level not in (1, 2, 3):
        raise ComplaintError({"level": _("Choose level 1, 2 or 3.")})
    if locked.status == Status.CLOSED:
        raise ComplaintError(_("This ticket is closed."))
    if level == locked.level:
        raise ComplaintError({"level": _("The ticket already has this level.")})
    if level < locked.level:
        if not _is_station_manager(by, locked):
            raise ComplaintError({"level": _("Only a service manager of the station can lower the level.")})
        if not reason:
            raise ComplaintError({"reason": _("Give the reason for lowering the level.")})
        if level < intake.lowest_level(locked.criteria):
            raise ComplaintError(
                {
                    "level": _("The criteria recorded at intake make this at least a level %(level)s complaint.")
                    % {"level": intake.lowest_level(locked.criteria)}
                }
            )
    deadlines = ComplaintSettings.for_station(locked.dealer).deadlines(level, locked.created_at)
    met = {"answer_due": locked.answered_at, "callback_due": locked.called_back_at, "resolution_due": None}
    old = {name: getattr(locked, name).isoformat() for name in deadlines if met[name] is None}
    for name in old:
        setattr(locked, name, deadlines[name])
    old_level, locked.level = locked.level, level
    _save(locked, "level", *old)
    _event(
        locked,
        EventKind.LEVEL,
        by=by,
        at=now,
        note=reason,
        old=old_level,
        new=level,
        deadlines_old=old,
        deadlines_new={name: deadlines[name].isoformat() for name in old},
    )
    _refresh(complaint, locked)
    return complaint


DEADLINE_FIELDS = {"answer": "answer_due", "callback": "callback_due", "resolution": "resolution_due"}


@transaction.atomic
def complaint_extend(
    *, complaint: Complaint, deadline: str, until: dt.datetime, reason: str, by, now=None
) -> Complaint:
    """Move one deadline later, with a reason; logged with the old and new
    time. A deadline never moves earlier or silently."""
    now = _now(now)
    _check_handler(by, complaint)
    locked = _lock(complaint)
    reason = (reason or "").strip()
    field = DEADLINE_FIELDS.get(deadline)
    if field is None:
        raise ComplaintError({"deadline": _("Choose the deadline to extend.")})
    if not reason:
        raise ComplaintError({"reason": _("An extension needs a reason: it is logged on the ticket.")})
    if locked.status == Status.CLOSED:
        raise ComplaintError(_("This ticket is closed."))
    old = getattr(locked, field)
    if until is None or until <= old or until <= now:
        raise ComplaintError({"until": _("The new deadline must be later than the current one and than now.")})
    setattr(locked, field, until)
    _save(locked, field)
    _event(
        locked,
        EventKind.EXTENDED,
        by=by,
        at=now,
        note=reason,
        deadline=deadline,
        old=old.isoformat(),
        new=until.isoformat(),
    )
    _refresh(complaint, locked)
    return complaint


# --- the unreasonable-charge flow -----------------------------------------------------------


@transaction.atomic
def charge_bill_provide(
    *, complaint: Complaint, by, bill: UploadedFile | None = None, invoice: Invoice | None = None, now=None
) -> ChargeReview:
    """The station sends its itemised bill (a PDF, a scan or a photo: see
    complaints.bills), or the RO's invoice is linked. The file is written
    only when the review is saved, under a random name."""
    now = _now(now)
    _check_handler(by, complaint)
    locked = _lock(complaint)
    if locked.status != Status.CHARGE_REVIEW:
        raise ComplaintError(_("This ticket is not waiting for a charge review."))
    if bill is None and invoice is None:
        raise ComplaintError(_("Upload the itemised bill or choose the repair order's invoice."))
    if invoice is not None and invoice.dealer_id != locked.dealer_id:
        raise ComplaintError({"invoice": _("Choose an invoice of the station concerned.")})
    try:
        stored = bills.checked_bill_name(bill) if bill is not None else ""
    except ValidationError as refused:
        raise ComplaintError(refused.error_dict) from None
    review, _created = ChargeReview.objects.select_for_update().get_or_create(complaint=locked)
    if bill is not None:
        review.bill = File(bill, name=stored)
    if invoice is not None:
        review.invoice = invoice
    review.provided_by, review.provided_at = by, now
    review.full_clean(exclude=["complaint", "callback_task"])
    review.save()
    _event(locked, EventKind.BILL, by=by, at=now, invoice=invoice.number if invoice else "", upload=bool(bill))
    return review


@transaction.atomic
def charge_review_record(*, complaint: Complaint, reasonable: bool, note: str, by, now=None) -> ChargeReview:
    """The engineer's verdict on the bill. Reasonable: a callback task to
    explain the charge to the customer, due by the callback deadline.
    Unreasonable: the ticket goes on as a complaint against the station."""
    now = _now(now)
    if Role.CALL_CENTER not in roles_of(by) and not by.is_superuser:
        raise ComplaintError(_("The charge is reviewed by the call center's engineer."))
    locked = _lock(complaint)
    note = (note or "").strip()
    if locked.status != Status.CHARGE_REVIEW:
        raise ComplaintError(_("This ticket is not waiting for a charge review."))
    review = ChargeReview.objects.select_for_update().get(complaint=locked)
    if not review.has_bill:
        raise ComplaintError(_("The station's itemised bill is needed first."))
    if not note:
        raise ComplaintError({"note": _("Write down what the review found.")})
    review.result = ChargeResult.REASONABLE if reasonable else ChargeResult.UNREASONABLE
    review.note, review.reviewed_by, review.reviewed_at = note, by, now
    _event(locked, EventKind.CHARGE_REVIEWED, by=by, at=now, note=note, result=review.result)
    if reasonable:
        review.callback_task = _explain_callback(locked, now)
        _transition(locked, Status.EXPLAINING, by=by, at=now, note=_("Charge reasonable: call the customer back"))
        locked.solution = _("The charge was reviewed and found reasonable: explained to the customer. %(note)s") % {
            "note": note
        }
        _save(locked, "solution")
    else:
        _transition(
            locked, Status.DISPATCHED, by=by, at=now, note=_("Charge unreasonable: complaint against the station")
        )
    review.save()
    _refresh(complaint, locked)
    return review


def _explain_callback(complaint: Complaint, now: dt.datetime) -> ContactTask:
    """One call to explain the charge, on the station's call list (unique by
    its dedupe key: reviewing twice never makes two calls)."""
    contact = complaint.contact
    if contact.customer_id is None:
        raise ComplaintError(_("The customer must be identified for the callback."))
    due_until = max(complaint.callback_due, now + dt.timedelta(hours=1))
    task, _created = ContactTask.objects.get_or_create(
        dedupe_key=dedupe_key("complaint_charge_explained", complaint.pk, complaint.created_at),
        defaults={
            "kind": Kind.SURVEY_ESCALATION,
            "dealer_id": complaint.dealer_id,
            "customer_id": contact.customer_id,
            "vehicle_id": contact.vehicle_id,
            "source_type": ContentType.objects.get_for_model(Complaint),
            "source_id": complaint.pk,
            "due_from": now,
            "due_until": due_until,
            "role": Role.SPECIALIST,
            "assignee": complaint.handler,
            "channel": Channel.PHONE,
        },
    )
    return task


def explaining_callback_done(complaint: Complaint) -> bool:
    review = getattr(complaint, "charge_review", None)
    return bool(review and review.callback_task and review.callback_task.status == TaskStatus.DONE)


def orders_for_dispatch(complaint: Complaint):
    contact = complaint.contact
    return selectors.station_visits(
        station=complaint.dealer, vehicle=contact.vehicle, customer=contact.customer
    ).exclude(status=ROStatus.CANCELLED)
