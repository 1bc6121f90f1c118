"""The sweep's message step: queue what contact tasks owe, send what is queued.

1. Every open task whose channel is SMS, e-mail or letter and whose time has
   come gets one Message. Those are the tasks that are messages from the
   start (the birthday greeting, a campaign by SMS, a confirmation for a
   customer who prefers SMS) and the calls that fell back to SMS or letter
   after the last failed call (fell_back_at set). The message's unique
   occurrence key (task, channel, fall-back time or due time) makes a second
   message for the same occurrence impossible, also when two sweeps run at
   once or a worker retries.
2. Queued SMS and e-mail are claimed one at a time with
   select_for_update(skip_locked=True), so two sweeps never hand the same
   message to a backend, and sent inside that claim. Sent: the task is done
   (outcome "message sent") and the attempt recorded. An error is kept on the
   message and the next sweep tries again; after MAX_TRIES the message fails.

A failed message leaves its task open, on the call list of the person who
owns it, with an "unreachable" attempt whose note says why. fell_back_at is
kept, on purpose: it is part of the occurrence key, so keeping it is what
stops the sweep from queuing the same message again a minute later. A person
who wants another channel changes the task's channel (a new key, a new
message) or calls.

Letters are queued here and stay queued until they are printed in a batch
from the letters page (followup.messaging.letters).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from followup.messaging.backends import SENT_BY_BACKEND, BaseBackend, get_backend
from followup.messaging.rendering import Wordings, message_language, render_for_task
from followup.models import (
    Channel,
    ContactAttempt,
    ContactTask,
    Message,
    MessageStatus,
    Outcome,
    TaskStatus,
)

logger = logging.getLogger(__name__)

MAX_TRIES = 3
MESSAGE_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.LETTER)
# At most this many new messages per sweep: a large campaign is queued over a
# few minutes instead of holding one long transaction.
QUEUE_BATCH = 500
# A task closed this way no longer needs its message (someone reached the
# customer, or the reason went away); an expired task still gets it.
_MOOT = (TaskStatus.DONE, TaskStatus.CANCELLED)


def occurrence_key(task: ContactTask) -> str:
    """(task, channel, occurrence); the time in UTC so the key does not depend
    on the time zone it was read in."""
    at = task.fell_back_at or task.due_from
    return f"task:{task.pk}:{task.channel}:{at.astimezone(dt.UTC).isoformat()}"


def recipient(task: ContactTask, channel: str) -> str:
    customer = task.customer
    if channel == Channel.SMS:
        return customer.phone
    if channel == Channel.EMAIL:
        return customer.email
    return customer.address


def _missing_recipient(channel: str) -> str:
    return {
        Channel.SMS: _("No mobile number on file: the message cannot be sent."),
        Channel.EMAIL: _("No e-mail address on file: the message cannot be sent."),
        Channel.LETTER: _("No postal address on file: the letter cannot be sent."),
    }[channel]


def record_attempt(message: Message, outcome: str, now: dt.datetime, *, by=None, note: str = "") -> None:
    """The message as an attempt on its task (the call list and the customer's
    history show it); sent also closes the task, if it is still open."""
    if message.task_id is None:
        return
    ContactAttempt.objects.create(
        task_id=message.task_id, at=now, by=by, channel=message.channel, outcome=outcome, note=note[:300]
    )
    if outcome == Outcome.SENT:
        ContactTask.objects.filter(pk=message.task_id, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, outcome=Outcome.SENT, closed_at=now
        )


def queue_due(now: dt.datetime) -> int:
    """Create the messages that open tasks owe at `now`; returns how many."""
    due = ContactTask.objects.open().filter(channel__in=MESSAGE_CHANNELS, due_from__lte=now)
    keys = {occurrence_key(task): task.pk for task in due.only("pk", "channel", "due_from", "fell_back_at")}
    if not keys:
        return 0
    existing = set(Message.objects.filter(occurrence_key__in=keys).values_list("occurrence_key", flat=True))
    new = [pk for key, pk in keys.items() if key not in existing][:QUEUE_BATCH]
    tasks = (
        ContactTask.objects.filter(pk__in=new)
        .select_related("customer", "vehicle", "dealer", "campaign")
        .prefetch_related("source")
    )
    wordings, language, created = Wordings(), message_language(), 0
    for task in tasks:
        to = recipient(task, task.channel)
        subject, body = render_for_task(task, task.channel, language=language, wordings=wordings)
        message = Message(
            dealer_id=task.dealer_id,
            customer_id=task.customer_id,
            task=task,
            channel=task.channel,
            to=to,
            subject=subject[:150],
            body=body,
            occurrence_key=occurrence_key(task),
            created_at=now,
        )
        if not to:
            message.status, message.error = MessageStatus.FAILED, _missing_recipient(task.channel)
        try:
            with transaction.atomic():
                message.save(force_insert=True)
                if not to:
                    record_attempt(message, Outcome.UNREACHABLE, now, note=message.error)
        except IntegrityError:
            continue  # another sweep queued it a moment ago
        created += 1
    return created


def _claim_next(after_pk: int, now: dt.datetime) -> Message | None:
    """The next queued SMS or e-mail nobody else is sending, locked until the
    caller's transaction ends."""
    return (
        Message.objects.select_for_update(skip_locked=True)
        .filter(status=MessageStatus.QUEUED, channel__in=SENT_BY_BACKEND, created_at__lte=now, pk__gt=after_pk)
        .order_by("pk")
        .first()
    )


def _send_one(message: Message, backend: BaseBackend, now: dt.datetime) -> None:
    task_status = (
        ContactTask.objects.filter(pk=message.task_id).values_list("status", flat=True).first()
        if message.task_id
        else None
    )
    if task_status in _MOOT:
        message.status = MessageStatus.FAILED
        message.error = _("Not sent: the contact task was closed before the message went out.")
        message.save(update_fields=["status", "error"])
        return
    message.tries += 1
    try:
        provider_id = backend.send(message)
    except Exception as error:  # a backend's failure is the message's, never the sweep's
        logger.warning("message %s, try %s: %s", message.pk, message.tries, error)
        message.error = (str(error) or type(error).__name__)[:300]
        if message.tries >= MAX_TRIES:
            message.status = MessageStatus.FAILED
            record_attempt(message, Outcome.UNREACHABLE, now, note=message.error)
        message.save(update_fields=["tries", "error", "status"])
        return
    message.status, message.sent_at, message.error = MessageStatus.SENT, now, ""
    message.provider_id = (provider_id or "")[:100]
    message.save(update_fields=["tries", "error", "status", "sent_at", "provider_id"])
    record_attempt(message, Outcome.SENT, now, note=message.body)


def send_queued(now: dt.datetime) -> int:
    """Try each queued SMS and e-mail once; returns how many tries were made.

    One transaction per message holds its claim while the backend sends, so a
    crash before the commit leaves it queued for the next sweep (a gateway
    that de-duplicates by reference drops the copy)."""
    backends: dict[str, BaseBackend] = {}
    tries, last_pk = 0, 0
    try:
        while True:
            with transaction.atomic():
                message = _claim_next(last_pk, now)
                if message is None:
                    break
                last_pk = message.pk
                if message.channel not in backends:
                    backends[message.channel] = get_backend(message.channel)
                    backends[message.channel].open()
                before = message.tries
                _send_one(message, backends[message.channel], now)
                tries += message.tries - before
    finally:
        for backend in backends.values():
            backend.close()
    return tries


def send_due(now: dt.datetime) -> int:
    """The sweep step "followup.messages": queue what is owed, send what is
    queued. Returns messages queued plus tries made (0 when nothing was due)."""
    return queue_due(now) + send_queued(now)
