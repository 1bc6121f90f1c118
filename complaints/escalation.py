"""The sweep's complaint rule: escalate missed deadlines (ARCHITECTURE.md "Time").

Each deadline of a ticket that is not met escalates in three stages: to the
handler when it passes, to the station's service managers after the
station's `manager_after_hours`, to the group/OEM contact after
`group_after_hours`. A stage is claimed by inserting its `Escalation` row
under the unique key (ticket, deadline, stage): a second sweep, at the same
moment or later, finds the key taken and does nothing, so each stage
happens once. A sweep that missed hours catches up with every stage due."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from complaints.models import (
    ESCALATING_STATES,
    Complaint,
    ComplaintEvent,
    ComplaintSettings,
    Deadline,
    Escalation,
    EventKind,
    Stage,
)
from dealers.models import Role, StaffMember

logger = logging.getLogger(__name__)


def stage_times(due: dt.datetime, settings: ComplaintSettings) -> list[tuple[int, dt.datetime]]:
    """When each stage of a missed deadline falls due."""
    return [
        (Stage.HANDLER, due),
        (Stage.MANAGER, due + dt.timedelta(hours=settings.manager_after_hours)),
        (Stage.GROUP, due + dt.timedelta(hours=settings.group_after_hours)),
    ]


def _managers(dealer_id: int):
    return (
        StaffMember.objects.filter(dealers=dealer_id, roles__role=Role.SERVICE_MANAGER)
        .select_related("user")
        .distinct()
    )


def recipients(ticket: Complaint, stage: int, settings: ComplaintSettings) -> list[StaffMember]:
    """Handler (the station's managers when nobody took the ticket yet), then
    the station's service managers, then the group/OEM contact: the settings'
    contact, else the managers who cover several stations."""
    if stage == Stage.HANDLER:
        return [ticket.handler] if ticket.handler_id else list(_managers(ticket.dealer_id))
    if stage == Stage.MANAGER:
        return list(_managers(ticket.dealer_id))
    if settings.group_contact_id:
        return [settings.group_contact]
    several = StaffMember.objects.annotate(n=Count("dealers", distinct=True)).filter(n__gt=1).values("pk")
    return list(_managers(ticket.dealer_id).filter(pk__in=several))


def _notify(ticket_id: int, number: str, deadline_label: str, emails: list[str]) -> None:
    if not emails:
        return
    subject = _("Complaint %(number)s escalated: %(deadline)s overdue") % {"number": number, "deadline": deadline_label}
    body = _("Complaint %(number)s has missed its deadline (%(deadline)s). Open it in Dealer Service.") % {
        "number": number,
        "deadline": deadline_label,
    }
    try:
        send_mail(subject, body, django_settings.DEFAULT_FROM_EMAIL, emails, fail_silently=False)
    except Exception:  # a mail server down loses no escalation: it is on the ticket and in the lists
        logger.exception("escalation mail for complaint %s failed", ticket_id)


def escalate_one(ticket: Complaint, deadline: str, stage: int, due: dt.datetime, now: dt.datetime, settings) -> bool:
    """Claim and record one stage; False when another sweep already did."""
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                complaint=ticket, deadline=deadline, stage=stage, due_was=due, at=now
            )
            people = recipients(ticket, stage, settings)
            escalation.to_staff.set(people)
            Complaint.objects.filter(pk=ticket.pk, escalation_stage__lt=stage).update(escalation_stage=stage)
            label = Deadline(deadline).label
            ComplaintEvent.objects.create(
                complaint=ticket,
                kind=EventKind.ESCALATED,
                at=now,
                note=_("%(deadline)s overdue since %(due)s → %(stage)s")
                % {"deadline": label, "due": due.strftime("%Y-%m-%d %H:%M"), "stage": Stage(stage).label},
                data={"deadline": deadline, "stage": stage, "to": [p.display_name for p in people]},
            )
            emails = [p.user.email for p in people if p.user.email]
            transaction.on_commit(partial(_notify, ticket.pk, ticket.number, str(label), emails))
    except IntegrityError:
        return False  # claimed by a concurrent sweep
    return True


def escalate_overdue(now: dt.datetime) -> int:
    """The sweep step: every due stage of every missed deadline, once."""
    tickets = (
        Complaint.objects.filter(status__in=ESCALATING_STATES, next_due_at__lte=now)
        .select_related("dealer", "handler__user", "contact")
        .prefetch_related("escalations")
        .order_by("next_due_at", "pk")
    )
    settings_by_station: dict[int, ComplaintSettings] = {}
    acted = 0
    for ticket in tickets:
        settings = settings_by_station.get(ticket.dealer_id)
        if settings is None:
            settings = settings_by_station[ticket.dealer_id] = ComplaintSettings.for_station(ticket.dealer)
        done = {(e.deadline, e.stage) for e in ticket.escalations.all()}
        for deadline, due in ticket.open_deadlines():
            if due > now:
                break
            for stage, when in stage_times(due, settings):
                if when > now:
                    break
                if (deadline, stage) not in done and escalate_one(ticket, deadline, stage, due, now, settings):
                    acted += 1
    return acted
