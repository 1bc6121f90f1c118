"""Writes of the follow-up step: recording what came of a contact."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import services as appointment_services
from appointments.models import ACTIVE, Appointment
from appointments.models import Status as AppointmentStatus
from dealers.models import Dealer
from followup.models import ContactAttempt, ContactTask, Outcome, TaskStatus
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


@transaction.atomic
def contact_attempt_record(
    *, task: ContactTask, by, outcome: str, note: str = "", now: dt.datetime | None = None
) -> ContactAttempt:
    """Record one attempt at a contact task and what came of it.

    Confirmed confirms the appointment, cancelled cancels it (freeing its
    capacity); rescheduled settles the call, the booker then moves the
    appointment; unreachable keeps the task open for the next try. Refused,
    with nothing written, on a closed task, an outcome that does not fit the
    task, or a task of a station the person does not work at."""
    now = now or timezone.now()
    note = (note or "").strip()[:300]
    if not Dealer.objects.for_user(by).filter(pk=task.dealer_id).exists():
        raise ContactError(_("This call belongs to a station you do not work at."))
    # Lock the task: two people pressing a button on the same call record one outcome.
    locked = ContactTask.objects.select_for_update().filter(pk=task.pk).first()
    if locked is None or locked.status != TaskStatus.OPEN:
        raise ContactError(_("This call is already closed: reload the call list."))
    if outcome not in locked.outcomes:
        raise ContactError(_("“%(outcome)s” is not an outcome of this call.") % {"outcome": outcome})
    attempt = ContactAttempt(task=locked, at=now, by=by, channel=locked.channel, outcome=outcome, note=note)
    attempt.full_clean()
    attempt.save()
    if outcome != Outcome.UNREACHABLE:
        locked.status, locked.outcome, locked.closed_at = TaskStatus.DONE, outcome, now
        locked.save(update_fields=["status", "outcome", "closed_at"])
    _apply_to_appointment(_appointment_of(locked), outcome, by=by, note=note, now=now)
    task.status, task.outcome, task.closed_at = locked.status, locked.outcome, locked.closed_at
    return attempt
