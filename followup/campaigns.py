"""Service campaigns (服务活动): a target segment notified in batches.

SPEC.md "Outbound contact rules": mass notifications go out in batches at
intervals, segmented by customer type, so the phone lines and the workshop's
appointment capacity are not flooded. A campaign names its segment (models,
model years, VIN range, last visit, lifecycle classes, mileage band); the
sweep's `campaign_batch` rule hands the next batch of that segment to the
specialists as contact tasks every `batch_interval_hours`, and the campaign
page measures what came of it (notified, contacted, bookings).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from customers.models import OdometerReading, Vehicle
from dealers.models import Dealer, Role
from followup.models import Campaign, CampaignStatus, ContactTask, Kind, TaskStatus
from reception.models import RepairOrder

# How long a campaign call stays owed when the campaign has no end.
CALL_DAYS = 14

# The fields that make up the segment: a running campaign keeps them fixed, so
# the vehicles already notified and the ones still to come are one target group.
SEGMENT_FIELDS = (
    "models_text",
    "model_year_from",
    "model_year_to",
    "vin_from",
    "vin_to",
    "last_visit_after",
    "last_visit_before",
    "lifecycles",
    "km_from",
    "km_to",
)

# The one table of allowed moves (STYLE.md 4): a finished campaign stays finished.
TRANSITIONS: dict[str, set[str]] = {
    CampaignStatus.DRAFT: {CampaignStatus.RUNNING, CampaignStatus.FINISHED},
    CampaignStatus.RUNNING: {CampaignStatus.PAUSED, CampaignStatus.FINISHED},
    CampaignStatus.PAUSED: {CampaignStatus.RUNNING, CampaignStatus.FINISHED},
    CampaignStatus.FINISHED: set(),
}


# --- the segment -----------------------------------------------------------------------------


def model_names(models_text: str) -> list[str]:
    """The model names of the segment: comma-separated, Chinese commas and 、 too."""
    return [name.strip() for name in re.split(r"[,，、;；\n]", models_text or "") if name.strip()]


def _local_midnight(day: dt.date, station: Dealer) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(station.time_zone))


def _with_facts(qs: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    """Each vehicle's last visit (its latest repair order's opening) and its
    latest odometer reading, as correlated subqueries: one SQL statement for
    the whole station instead of one look per vehicle."""
    last_visit = RepairOrder.objects.filter(vehicle=OuterRef("pk")).order_by("-created_at", "-pk")
    last_reading = OdometerReading.objects.filter(vehicle=OuterRef("pk")).order_by("-read_on", "-pk")
    return qs.annotate(
        last_visit_at=Subquery(last_visit.values("created_at")[:1]),
        last_km=Subquery(last_reading.values("km")[:1]),
    )


def segment(campaign: Campaign) -> QuerySet[Vehicle]:
    """The station's vehicles that match the campaign's target; an empty
    criterion matches every vehicle. "Last visit before" includes vehicles
    never seen at the station (they have not been here since, either)."""
    qs = _with_facts(Vehicle.objects.filter(dealer_id=campaign.dealer_id))
    names = model_names(campaign.models_text)
    if names:
        any_model = Q()
        for name in names:
            any_model |= Q(model__iexact=name)
        qs = qs.filter(any_model)
    if campaign.model_year_from is not None:
        qs = qs.filter(model_year__gte=campaign.model_year_from)
    if campaign.model_year_to is not None:
        qs = qs.filter(model_year__lte=campaign.model_year_to)
    if campaign.vin_from:
        qs = qs.filter(vin__gte=campaign.vin_from.upper())
    if campaign.vin_to:
        qs = qs.filter(vin__lte=campaign.vin_to.upper()).exclude(vin="")
    if campaign.last_visit_before:
        before = _local_midnight(campaign.last_visit_before, campaign.dealer)
        qs = qs.filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=before))
    if campaign.last_visit_after:
        after = _local_midnight(campaign.last_visit_after + dt.timedelta(days=1), campaign.dealer)
        qs = qs.filter(last_visit_at__gte=after)
    if campaign.lifecycles:
        qs = qs.filter(owner__lifecycle__in=campaign.lifecycles)
    if campaign.km_from is not None:
        qs = qs.filter(last_km__gte=campaign.km_from)
    if campaign.km_to is not None:
        qs = qs.filter(last_km__lte=campaign.km_to)
    return qs


def _notified(campaign: Campaign) -> Exists:
    return Exists(ContactTask.objects.filter(campaign_id=campaign.pk, vehicle=OuterRef("pk")))


def pending(campaign: Campaign) -> QuerySet[Vehicle]:
    """The vehicles of the segment that have no task of this campaign yet."""
    return segment(campaign).filter(~_notified(campaign))


# --- the batch rule (run by the sweep) ---------------------------------------------------------


def _task_key(campaign: Campaign, vehicle_pk: int) -> str:
    # Imported here: followup.rules includes this module's RULES while it loads.
    from followup.rules import dedupe_key

    # (rule, campaign, its creation) plus the vehicle: one call per vehicle and campaign.
    return f"{dedupe_key('campaign', campaign.pk, campaign.created_at)}:vehicle:{vehicle_pk}"


def _batch_due(campaign: Campaign, now: dt.datetime) -> bool:
    if campaign.starts_at > now:
        return False
    interval = dt.timedelta(hours=campaign.batch_interval_hours)
    return campaign.last_batch_at is None or campaign.last_batch_at + interval <= now


@transaction.atomic
def _send_batch(campaign_pk: int, now: dt.datetime) -> int:
    """Claim the campaign row and, if its next batch is due, create it.

    The row lock with SKIP LOCKED is what makes two sweeps at once send one
    batch: the second one skips the claimed campaign, and a later one reads
    the new `last_batch_at` and waits for the interval."""
    campaign = (
        Campaign.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("dealer")
        .filter(pk=campaign_pk, status=CampaignStatus.RUNNING)
        .first()
    )
    if campaign is None:
        return 0  # claimed by another sweep, or paused meanwhile
    if campaign.ends_at and campaign.ends_at <= now:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FINISHED)
        return 0
    if not _batch_due(campaign, now):
        return 0
    batch = list(pending(campaign).order_by("pk").values_list("pk", "owner_id")[: campaign.batch_size])
    if not batch:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FINISHED)
        return 0
    source_type = ContentType.objects.get_for_model(Campaign)
    due_until = campaign.ends_at or now + dt.timedelta(days=CALL_DAYS)
    ContactTask.objects.bulk_create(
        (
            ContactTask(
                kind=Kind.CAMPAIGN,
                dealer_id=campaign.dealer_id,
                customer_id=owner_id,
                vehicle_id=vehicle_pk,
                campaign=campaign,
                source_type=source_type,
                source_id=campaign.pk,
                dedupe_key=_task_key(campaign, vehicle_pk),
                channel=campaign.channel,
                role=Role.SPECIALIST,
                due_from=now,
                due_until=due_until,
            )
            for vehicle_pk, owner_id in batch
        ),
        batch_size=500,
    )
    # The last vehicles of the segment went out: the campaign is done.
    exhausted = len(batch) < campaign.batch_size or not pending(campaign).exists()
    Campaign.objects.filter(pk=campaign.pk).update(
        last_batch_at=now, **({"status": CampaignStatus.FINISHED} if exhausted else {})
    )
    return len(batch)


def campaign_batch(now: dt.datetime) -> int:
    """Sweep rule: the next batch of every running campaign whose start has
    come and whose interval since the last batch has passed; a campaign past
    its end or out of vehicles is finished. Returns the tasks created."""
    due = Campaign.objects.filter(status=CampaignStatus.RUNNING, starts_at__lte=now).values_list("pk", flat=True)
    return sum(_send_batch(pk, now) for pk in list(due))


# The campaign batch rule(s) the sweep runs (followup.rules.RULES includes these).
RULES: list[Callable[[dt.datetime], int]] = [campaign_batch]


# --- progress ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a campaign stands: its segment, what went out, what came of it."""

    targets: int
    notified: int
    remaining: int
    contacted: int
    bookings: int
    next_batch_at: dt.datetime | None

    @property
    def percent(self) -> int:
        """Share of the campaign's vehicles notified so far (the progress bar)."""
        total = self.notified + self.remaining
        return round(100 * self.notified / total) if total else 0

    @property
    def conversion(self) -> int:
        return round(100 * self.bookings / self.notified) if self.notified else 0


def bookings(campaign: Campaign) -> QuerySet[Appointment]:
    """Appointments the campaign led to: those the reminders' conversion
    linking set on its tasks, and any appointment of a notified vehicle booked
    after its task was created. A rescheduled appointment counts once, as its
    successor."""
    tasks = ContactTask.objects.filter(campaign_id=campaign.pk)
    linked = tasks.filter(led_to_appointment__isnull=False).values("led_to_appointment_id")
    booked_after = tasks.filter(vehicle=OuterRef("vehicle_id"), created_at__lt=OuterRef("created_at"))
    return (
        Appointment.objects.filter(dealer_id=campaign.dealer_id)
        .exclude(status=AppointmentStatus.RESCHEDULED)
        .filter(Q(pk__in=linked) | Q(Exists(booked_after)))
    )


def next_batch_at(campaign: Campaign, remaining: int) -> dt.datetime | None:
    """When the sweep sends the next batch: none unless running with vehicles left."""
    if campaign.status != CampaignStatus.RUNNING or not remaining:
        return None
    when = campaign.starts_at
    if campaign.last_batch_at:
        when = max(when, campaign.last_batch_at + dt.timedelta(hours=campaign.batch_interval_hours))
    if campaign.ends_at and when >= campaign.ends_at:
        return None
    return when


def progress(campaign: Campaign) -> Progress:
    """The campaign's figures in three SQL statements."""
    seg = segment(campaign).aggregate(targets=Count("pk"), remaining=Count("pk", filter=~Q(_notified(campaign))))
    tasks = ContactTask.objects.filter(campaign_id=campaign.pk).aggregate(
        notified=Count("pk"), contacted=Count("pk", filter=Q(status=TaskStatus.DONE))
    )
    return Progress(
        targets=seg["targets"],
        notified=tasks["notified"],
        remaining=seg["remaining"],
        contacted=tasks["contacted"],
        bookings=bookings(campaign).count(),
        next_batch_at=next_batch_at(campaign, seg["remaining"]),
    )


# --- services ----------------------------------------------------------------------------------


class CampaignError(ValidationError):
    pass


def _segment_of(campaign: Campaign) -> tuple:
    values = {name: getattr(campaign, name) for name in SEGMENT_FIELDS}
    values["models_text"] = tuple(sorted(model_names(campaign.models_text)))
    values["lifecycles"] = tuple(sorted(campaign.lifecycles or []))
    values["vin_from"], values["vin_to"] = (campaign.vin_from or "").upper(), (campaign.vin_to or "").upper()
    return tuple(values.values())


def _check_station(campaign: Campaign, by) -> None:
    if not Dealer.objects.for_user(by).filter(pk=campaign.dealer_id).exists():
        raise CampaignError(_("This campaign belongs to a station you do not work at."))


@transaction.atomic
def campaign_save(*, campaign: Campaign, by, now: dt.datetime | None = None) -> Campaign:
    """Create or change a campaign. A running campaign's segment is fixed
    (pause it first), a finished campaign is not changed any more; the
    status and the batch clock are never taken from the form."""
    _check_station(campaign, by)
    if campaign.pk:
        stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if stored.status == CampaignStatus.FINISHED:
            raise CampaignError(_("This campaign is finished and can no longer be changed."))
        if stored.status == CampaignStatus.RUNNING and _segment_of(stored) != _segment_of(campaign):
            raise CampaignError(_("This campaign is running: pause it before changing its target segment."))
        campaign.status, campaign.last_batch_at = stored.status, stored.last_batch_at
        campaign.created_by_id = stored.created_by_id
    else:
        campaign.status, campaign.last_batch_at, campaign.created_by = CampaignStatus.DRAFT, None, by
    campaign.vin_from, campaign.vin_to = campaign.vin_from.upper(), campaign.vin_to.upper()
    campaign.full_clean(exclude=["created_by"])  # empty on campaigns whose author left
    campaign.save()
    return campaign


@transaction.atomic
def campaign_transition(*, campaign: Campaign, to: str, by, now: dt.datetime | None = None) -> Campaign:
    """Start, pause, resume or finish a campaign. The conditional update
    refuses when someone (or the sweep finishing it) got there first."""
    now = now or timezone.now()
    _check_station(campaign, by)
    if to not in TRANSITIONS.get(campaign.status, set()):
        raise CampaignError(
            _("A campaign that is %(status)s cannot become %(to)s.")
            % {"status": campaign.get_status_display(), "to": CampaignStatus(to).label}
        )
    if to == CampaignStatus.RUNNING and campaign.ends_at and campaign.ends_at <= now:
        raise CampaignError(_("This campaign has already ended: change its end before starting it."))
    changed = Campaign.objects.filter(pk=campaign.pk, status=campaign.status).update(status=to)
    if not changed:
        raise CampaignError(_("The campaign was changed meanwhile: reload the page and try again."))
    campaign.status = to
    return campaign
