"""The words of a message: which template applies, and rendering it.

Order: the station's own MessageTemplate row, then a row without a station
(the dealer group's default), then the code's default (texts.py). A row that
does not compile is logged and skipped, so a typo in the admin never stops
the sweep; the admin refuses such rows anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone, translation

from appointments.models import Appointment
from followup.messaging import texts
from followup.models import ContactTask, Kind, MessageTemplate

logger = logging.getLogger(__name__)

# Kinds whose due date is a day in the future that the message names.
_LEAD_KINDS = (Kind.SCHEDULED_MAINTENANCE, Kind.DECLINED_WORK)
_WARRANTY_KINDS = (Kind.WARRANTY_FIRST, Kind.WARRANTY_SECOND)


@dataclass(frozen=True)
class Wording:
    subject: Template
    body: Template
    origin: str  # "station", "default" or "code": where it came from, for tests and the admin


def message_language() -> str:
    """Customers have no language of their own in their file: messages go out
    in the site's language (Chinese by default)."""
    language = settings.LANGUAGE_CODE.lower()
    return language if language in texts.LANGUAGES else texts.ZH


def _compile(subject: str, body: str, origin: str) -> Wording:
    return Wording(subject=Template(subject), body=Template(body), origin=origin)


class Wordings:
    """Finds and compiles the wording per (station, kind, channel, language)
    once per run: a sweep that sends a hundred birthday SMS reads the
    template rows once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str, str, str], Wording] = {}

    def get(self, *, dealer_id: int, kind: str, channel: str, language: str) -> Wording:
        key = (dealer_id, kind, channel, language)
        if key not in self._cache:
            self._cache[key] = self._find(*key)
        return self._cache[key]

    def _find(self, dealer_id: int, kind: str, channel: str, language: str) -> Wording:
        code_subject, code_body = texts.default(kind, channel, language)
        rows = MessageTemplate.objects.filter(kind=kind, channel=channel, language=language).filter(
            Q(dealer_id=dealer_id) | Q(dealer__isnull=True)
        )
        # The station's own row first, then the group's default.
        for row in sorted(rows, key=lambda row: row.dealer_id is None):
            origin = "default" if row.dealer_id is None else "station"
            try:
                return _compile(row.subject or code_subject, row.body, origin)
            except TemplateSyntaxError:
                logger.exception("message template %s (%s) does not compile: skipped", row.pk, origin)
        return _compile(code_subject, code_body, "code")


def due_date(task: ContactTask, appointment: Appointment | None) -> dt.date:
    """The day the message is about: the arrival for an appointment, the
    warranty's end, the projected service day (the reminder comes the
    station's lead days before it), otherwise the day the contact is due."""
    zone = ZoneInfo(task.dealer.time_zone)
    if appointment is not None:
        return appointment.arrives_at.astimezone(zone).date()
    if task.kind in _WARRANTY_KINDS and task.vehicle and task.vehicle.warranty_end:
        return task.vehicle.warranty_end
    day = task.due_from.astimezone(zone).date()
    if task.kind in _LEAD_KINDS:
        return day + dt.timedelta(days=task.dealer.reminder_lead_days)
    return day


def context_for(task: ContactTask) -> dict:
    source = task.source
    appointment = source if isinstance(source, Appointment) else None
    return {
        "customer": task.customer,
        "vehicle": task.vehicle,
        "dealer": task.dealer,
        "station": task.dealer,
        "task": task,
        "source": source,
        "appointment": appointment,
        "due_date": due_date(task, appointment),
        "sign": settings.SMS_SIGN or task.dealer.name,
    }


def render(wording: Wording, context: dict, *, language: str, time_zone: str) -> tuple[str, str]:
    """(subject, body) as plain text: no HTML escaping (an SMS is not HTML;
    the letter's print template escapes when it places the body)."""
    with translation.override(language), timezone.override(ZoneInfo(time_zone)):
        ctx = Context(context, autoescape=False)
        subject = " ".join(wording.subject.render(ctx).split())
        body = wording.body.render(ctx).strip()
    return subject, body


def render_for_task(
    task: ContactTask, channel: str, *, language: str | None = None, wordings: Wordings | None = None
) -> tuple[str, str]:
    """The subject and text of the message `task` owes on `channel`."""
    language = language or message_language()
    wording = (wordings or Wordings()).get(dealer_id=task.dealer_id, kind=task.kind, channel=channel, language=language)
    return render(wording, context_for(task), language=language, time_zone=task.dealer.time_zone)
