"""Writes of the follow-up step: recording what came of a contact."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import services as appointment_services
from appointments.models import ACTIVE, Appointment
from appointments.models import Status as AppointmentStatus
from customers.models import OdometerSource
from customers.services import odometer_record
from dealers.models import Dealer
from followup import calling
from followup.models import Channel, ContactAttempt, ContactTask, Kind, Outcome, Survey, TaskStatus
from followup.rules import close_for_appointments


class ContactError(ValidationError):
    pass


def _appointment_of(task: ContactTask) -> Appointment | None:
    source = task.source
    return source if isinstance(source, Appointment) else None


def _apply_to_appointment(appointment: Appointment | None, outcome: str, *, by, note: str, now: dt.datetime) -> None:
    """What the customer said changes the appointment through its own services."""
    if appointment is None or outcome not in (Outcome.CONFIRMED, Outcome.CANCELLED):
        return
    if appointment.status not in ACTIVE:
        raise ContactError(
            _("Appointment %(number)s is already %(status)s: nothing to confirm or cancel.")
            % {"number": appointment.number, "status": appointment.get_status_display()}
        )
    if outcome == Outcome.CONFIRMED and appointment.status == AppointmentStatus.BOOKED:
        appointment_services.appointment_transition(
            appointment=appointment,
            to=AppointmentStatus.CONFIRMED,
            by=by,
            note=note or _("Confirmed by phone"),
            now=now,
        )
    elif outcome == Outcome.CANCELLED:
        appointment_services.appointment_cancel(
            appointment=appointment, by=by, note=note or _("Cancelled by the customer on a call"), now=now
        )
        close_for_appointments([appointment.pk], now)  # its other calls are moot now


def _check_outcome(task: ContactTask, outcome: str, *, reason: str, odometer_km: int | None) -> None:
    """The rules of an outcome that the form cannot know; raises with nothing written."""
    allowed = task.outcomes
    if task.channel != Channel.PHONE:
        # Fallen back to SMS or letter: the messaging step closes it as sent.
        allowed = (*[o for o in allowed if o != Outcome.UNREACHABLE], Outcome.SENT)
    if outcome not in allowed:
        if task.fell_back_at and outcome == Outcome.UNREACHABLE:
            raise ContactError(
                _("The calls were tried already: the customer is contacted by “%(channel)s” instead.")
                % {"channel": task.get_channel_display()}
            )
        raise ContactError(_("“%(outcome)s” is not an outcome of this call.") % {"outcome": outcome})
    if task.kind == Kind.CALLBACK and outcome in (Outcome.SATISFIED, Outcome.DISSATISFIED):
        survey = Survey.objects.filter(task=task).first()
        if survey is None:
            raise ContactError(_("Record the satisfaction survey: it closes the callback."))
        if (outcome == Outcome.DISSATISFIED) != survey.is_dissatisfied:
            raise ContactError(_("The outcome must match the survey's answers."))
    if outcome == Outcome.LEFT and not reason:
        raise ContactError(_("Record why the customer has left us."))
    if odometer_km is not None:
        if outcome in (Outcome.UNREACHABLE, Outcome.WRONG_NUMBER, Outcome.SENT):
            raise ContactError(_("Nobody was reached: there is no odometer reading to record."))
        if task.vehicle_id is None:
            raise ContactError(_("This call is about no vehicle: the odometer reading cannot be recorded."))


def _after_unreachable(task: ContactTask, now: dt.datetime) -> None:
    """Propose the next try at another part of the day, or, after the
    station's last try (or when no call time is left before the task
    lapses), fall back to SMS or letter; the task stays open for the
    messaging step."""
    station, customer = task.dealer, task.customer
    tried = list(task.attempts.filter(outcome=Outcome.UNREACHABLE).values_list("at", flat=True))
    proposal = None
    if len(tried) < station.call_attempts:
        proposal = calling.next_attempt(station, customer.preferred_time, tried, now, until=task.due_until)
    if proposal is None:
        task.channel, task.fell_back_at = calling.fallback_channel(customer), now
    task.next_attempt_at = proposal
    task.save(update_fields=["channel", "fell_back_at", "next_attempt_at"])


@transaction.atomic
def contact_attempt_record(
    *,
    task: ContactTask,
    by,
    outcome: str,
    note: str = "",
    reason: str = "",
    odometer_km: int | None = None,
    now: dt.datetime | None = None,
) -> ContactAttempt:
    """Record one attempt at a contact task and what came of it.

    Confirmed confirms the appointment, cancelled cancels it (freeing its
    capacity); rescheduled settles the call, the booker then moves the
    appointment; a wrong number closes the task. Unreachable keeps the task
    open and proposes the next try at another time of day; after the last try
    the task falls back to SMS or letter (followup.calling). "Has left us"
    needs the reason; an odometer reading the customer gives is added to the
    vehicle's history. Refused, with nothing written, on a closed task, an
    outcome that does not fit the task, or a task of a station the person
    does not work at."""
    now = now or timezone.now()
    note = (note or "").strip()[:300]
    reason = (reason or "").strip()[:300]
    if not Dealer.objects.for_user(by).filter(pk=task.dealer_id).exists():
        raise ContactError(_("This call belongs to a station you do not work at."))
    # Lock the task: two people pressing a button on the same call record one outcome.
    locked = ContactTask.objects.select_for_update().filter(pk=task.pk).first()
    if locked is None or locked.status != TaskStatus.OPEN:
        raise ContactError(_("This call is already closed: reload the call list."))
    _check_outcome(locked, outcome, reason=reason, odometer_km=odometer_km)
    attempt = ContactAttempt(task=locked, at=now, by=by, channel=locked.channel, outcome=outcome, note=note)
    attempt.full_clean()
    attempt.save()
    if odometer_km is not None:
        local_day = now.astimezone(ZoneInfo(locked.dealer.time_zone)).date()
        odometer_record(vehicle=locked.vehicle, km=odometer_km, read_on=local_day, source=OdometerSource.CONTACT, by=by)
    if outcome == Outcome.UNREACHABLE:
        _after_unreachable(locked, now)
    else:
        locked.status, locked.outcome, locked.closed_at, locked.next_attempt_at = TaskStatus.DONE, outcome, now, None
        if reason:
            locked.reason = reason
        locked.save(update_fields=["status", "outcome", "closed_at", "next_attempt_at", "reason"])
    _apply_to_appointment(_appointment_of(locked), outcome, by=by, note=note, now=now)
    for field in ("status", "outcome", "closed_at", "next_attempt_at", "fell_back_at", "channel", "reason"):
        setattr(task, field, getattr(locked, field))
    return attempt
