"""The satisfaction survey of the after-sales callback (SPEC.md step 7).

What the customer says is kept per question (1–5) and in their own words.
A dissatisfied customer (any score ≤ 2, or they say so) is answered by the
person responsible within the station's `survey_answer_hours`: the survey
opens one escalation call for the repair order's advisor, on the service
manager's list as well."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, Role
from followup.models import (
    SURVEY_QUESTIONS,
    Channel,
    ContactTask,
    Kind,
    Outcome,
    Score,
    Survey,
    TaskStatus,
)
from followup.rules import dedupe_key
from followup.services import ContactError, contact_attempt_record
from reception.models import RepairOrder


def _clean_scores(scores: dict[str, Any]) -> dict[str, int | None]:
    unknown = set(scores) - set(SURVEY_QUESTIONS)
    if unknown:
        raise ContactError(_("Unknown survey question: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    cleaned: dict[str, int | None] = {}
    for name in SURVEY_QUESTIONS:
        value = scores.get(name)
        if value in (None, ""):
            cleaned[name] = None
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = 0
        if value not in Score.values:
            raise ContactError(_("A score is a whole number from 1 to 5."))
        cleaned[name] = value
    if cleaned["overall"] is None:
        raise ContactError(_("Ask for the overall score: 1 to 5."))
    return cleaned


def _escalate(survey: Survey, task: ContactTask, repair_order: RepairOrder | None, now: dt.datetime) -> ContactTask:
    """One answer call per dissatisfied survey, due within the station's hours:
    the advisor of the repair order calls, the service manager sees it too
    (the task needs a role or an assignee; it has both)."""
    hours = task.dealer.survey_answer_hours
    escalation, _created = ContactTask.objects.get_or_create(
        dedupe_key=dedupe_key(Kind.SURVEY_ESCALATION, survey.pk, survey.recorded_at),
        defaults={
            "kind": Kind.SURVEY_ESCALATION,
            "dealer_id": task.dealer_id,
            "customer_id": task.customer_id,
            "vehicle_id": task.vehicle_id,
            "source_type": ContentType.objects.get_for_model(Survey),
            "source_id": survey.pk,
            "due_from": now,
            "due_until": now + dt.timedelta(hours=hours),
            "role": Role.SERVICE_MANAGER,
            "assignee_id": repair_order.advisor_id if repair_order else None,
            "channel": Channel.PHONE,
        },
    )
    return escalation


@transaction.atomic
def survey_record(
    *,
    task: ContactTask,
    scores: dict[str, Any],
    dissatisfied: bool = False,
    comment: str = "",
    by,
    now: dt.datetime | None = None,
) -> Survey:
    """Record the callback's survey and close the callback satisfied or
    dissatisfied. Refused, with nothing written, for another kind of call,
    a closed callback, a score outside 1–5 or a missing overall score."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    if task.kind != Kind.CALLBACK:
        raise ContactError(_("Only the after-sales callback has a satisfaction survey."))
    cleaned = _clean_scores(scores)
    if not Dealer.objects.for_user(by).filter(pk=task.dealer_id).exists():
        raise ContactError(_("This call belongs to a station you do not work at."))
    locked = ContactTask.objects.select_for_update().select_related("dealer").filter(pk=task.pk).first()
    if locked is None or locked.status != TaskStatus.OPEN or Survey.objects.filter(task=locked).exists():
        raise ContactError(_("This callback is already closed: reload the call list."))
    source = locked.source
    repair_order = source if isinstance(source, RepairOrder) else None
    survey = Survey(
        task=locked,
        repair_order=repair_order,
        dissatisfied=bool(dissatisfied),
        comment=comment,
        recorded_by=by,
        recorded_at=now,
        **cleaned,
    )
    survey.full_clean()
    survey.save()
    outcome = Outcome.DISSATISFIED if survey.is_dissatisfied else Outcome.SATISFIED
    contact_attempt_record(task=locked, by=by, outcome=outcome, note=comment[:300], now=now)
    if survey.is_dissatisfied:
        _escalate(survey, locked, repair_order, now)
    task.status, task.outcome, task.closed_at = locked.status, locked.outcome, locked.closed_at
    return survey


def escalation_of(survey: Survey) -> ContactTask | None:
    """The answer call a dissatisfied survey opened, if any."""
    return ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION).for_source(survey).select_related("assignee").first()
