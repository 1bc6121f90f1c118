"""Letters: queued by the sweep, sent by printing them.

The specialist (or the manager) prints every queued letter of the station as
one PDF, one letter per A4 page with the customer's name and address in the
window position. Printing marks the batch's letters sent, closes their tasks
and records the attempt; the batch keeps an id (Message.provider_id), so a
jammed printer costs a reprint, never a second letter.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer
from dealers.pdf import render_pdf
from followup.messaging import texts
from followup.messaging.rendering import message_language
from followup.messaging.sending import _MOOT, record_attempt
from followup.models import Channel, Message, MessageStatus, Outcome

BATCH_PREFIX = "print-"


class LetterError(ValidationError):
    pass


def letters_of(station: Dealer) -> QuerySet[Message]:
    return Message.objects.for_station(station).filter(channel=Channel.LETTER)


def queued_letters(station: Dealer) -> QuerySet[Message]:
    return letters_of(station).filter(status=MessageStatus.QUEUED)


def batch_letters(station: Dealer, batch: str) -> QuerySet[Message]:
    return letters_of(station).filter(status=MessageStatus.SENT, provider_id=batch)


def recent_batches(station: Dealer, limit: int = 10) -> list[dict]:
    """The last printed batches: id, when, how many letters."""
    return list(
        letters_of(station)
        .filter(status=MessageStatus.SENT, provider_id__startswith=BATCH_PREFIX)
        .values("provider_id")
        .annotate(count=Count("pk"))
        .order_by("-provider_id")[:limit]
    )


def batch_time(batch: str) -> dt.datetime | None:
    """When a batch was printed, read back from its id."""
    try:
        return dt.datetime.strptime(batch.removeprefix(BATCH_PREFIX)[:15], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def letters_pdf(
    letters: list[Message], *, station: Dealer, printed_at: dt.datetime, base_url: str | None = None
) -> bytes:
    """One A4 page per letter, in the order given."""
    local = printed_at.astimezone(ZoneInfo(station.time_zone))
    html = render_to_string(
        "followup/print/letters.html",
        {
            "letters": letters,
            "station": station,
            "printed_on": local.date(),
            "chinese": message_language() == texts.ZH,
        },
    )
    return render_pdf(html, base_url=base_url)


def for_print(qs: QuerySet[Message]) -> list[Message]:
    return list(qs.select_related("customer", "dealer").order_by("pk"))


@transaction.atomic
def letters_print(*, station: Dealer, by, now: dt.datetime | None = None) -> str | None:
    """Mark every queued letter of the station printed as one batch and
    return the batch id (its PDF: `batch_letters` + `letters_pdf`).

    The letters are claimed with skip_locked: two people pressing "print" at
    once get two batches without a letter in both. A letter whose task was
    done or cancelled meanwhile is not printed but failed with the reason;
    None when that left nothing to print. Nothing queued: refused."""
    now = now or timezone.now()
    ids = list(queued_letters(station).select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise LetterError(_("No letters are waiting to be printed."))
    batch = f"{BATCH_PREFIX}{now.astimezone(dt.UTC):%Y%m%dT%H%M%S}-{ids[0]}"
    letters = list(Message.objects.filter(pk__in=ids).select_related("task"))
    printed = 0
    for letter in letters:
        if letter.task and letter.task.status in _MOOT:
            letter.status = MessageStatus.FAILED
            letter.error = _("Not printed: the contact task was closed before the letter went out.")
            letter.save(update_fields=["status", "error"])
            continue
        letter.status, letter.sent_at, letter.provider_id = MessageStatus.SENT, now, batch
        letter.tries += 1
        letter.save(update_fields=["status", "sent_at", "provider_id", "tries"])
        record_attempt(letter, Outcome.SENT, now, by=by, note=_("Letter printed (batch %(batch)s)") % {"batch": batch})
        printed += 1
    return batch if printed else None
