"""Delays past the promised time, and the customer's agreement to a new one.

The forecast itself (remaining flat-rate hours against the time left) is the
board's; here a delay is only recorded — by the dispatcher, or from the
forecast — and agreed. Until the customer agrees the new promised time, the
RO shows "delay not agreed" (templates/workshop/_delay_badge.html). The
agreement is a consent record in the frozen format of reception.estimates,
restating the consented lines with the new promised time.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.audit import records_actor
from reception import pricing
from reception.estimates import agreed_snapshot
from reception.models import ConsentMethod, ConsentRecord, RepairOrder, ROStatus
from reception.walkaround import stored_name
from workshop.board import forecast_late
from workshop.jobs import consented_line_ids
from workshop.models import Delay, JobStatus

# How a delay can be agreed: at the desk (signed), on paper, or by phone.
AGREE_METHODS = (ConsentMethod.SIGNATURE_PAD, ConsentMethod.PRINTED, ConsentMethod.PHONE)


def unagreed_delay(repair_order: RepairOrder) -> Delay | None:
    return Delay.objects.filter(repair_order=repair_order, consent__isnull=True).first()


def with_delay_flag(queryset: QuerySet[RepairOrder]) -> QuerySet[RepairOrder]:
    """Annotate `delay_not_agreed` on repair orders, for the badge, in the same query."""
    return queryset.annotate(
        delay_not_agreed=Exists(Delay.objects.filter(repair_order=OuterRef("pk"), consent__isnull=True))
    )


@transaction.atomic
def delay_report(
    *,
    repair_order: RepairOrder,
    forecast_ready_at: dt.datetime,
    reason: str = "",
    by=None,
    now: dt.datetime | None = None,
) -> Delay:
    """Record that the RO will be ready after its promised time. A second
    report before the customer agreed updates the forecast of the open one."""
    now = now or timezone.now()
    ro = RepairOrder.objects.select_for_update().get(pk=repair_order.pk)
    if not ro.is_open:
        raise ValidationError(_("Only an open repair order can be late."))
    if ro.promised_at is None:
        raise ValidationError(_("The repair order has no promised completion: agree one with the customer first."))
    if forecast_ready_at <= ro.promised_at:
        raise ValidationError(
            {"forecast_ready_at": _("The forecast completion is not after the promised time: this is no delay.")}
        )
    delay = Delay.objects.select_for_update().filter(repair_order=ro, consent__isnull=True).first()
    if delay is None:
        delay = Delay(dealer_id=ro.dealer_id, repair_order=ro, detected_at=now)
    delay.forecast_ready_at = forecast_ready_at
    delay.promised_at = ro.promised_at
    delay.reason = reason.strip()[:300]
    delay.reported_by = getattr(by, "staff", None)
    delay.full_clean(validate_constraints=False)  # the partial unique constraint is the database's to enforce
    delay.save()
    return delay


@records_actor
@transaction.atomic
def delay_agree(
    *,
    delay: Delay,
    new_promised_at: dt.datetime,
    method: str,
    by,
    signed_by_name: str = "",
    note: str = "",
    signature_png: bytes | None = None,
    now: dt.datetime | None = None,
) -> Delay:
    """The customer agrees the new promised time: a consent record restating
    the agreed lines with it, and the RO's promised time moves."""
    now = now or timezone.now()
    delay = Delay.objects.select_for_update().get(pk=delay.pk)
    if delay.consent_id:
        raise ValidationError(_("The customer has already agreed this delay."), code="agreed")
    ro = RepairOrder.objects.select_for_update().select_related("dealer").get(pk=delay.repair_order_id)
    errors: dict[str, str] = {}
    if new_promised_at is None or new_promised_at < now - dt.timedelta(minutes=5):
        errors["new_promised_at"] = _("The new promised time cannot be in the past.")
    if method not in AGREE_METHODS:
        errors["method"] = _("Choose how the customer agreed.")
    if not signed_by_name.strip():
        errors["signed_by_name"] = _("Give the name of the person who agreed.")
    if method == ConsentMethod.PHONE and not note.strip():
        errors["note"] = _("For an agreement by phone, note what was said.")
    if method == ConsentMethod.SIGNATURE_PAD and not signature_png:
        errors["signature"] = _("The signature pad is empty: ask the customer to sign.")
    if errors:
        raise ValidationError(errors)
    previous = ro.promised_at
    ro.promised_at = new_promised_at
    ro.save(update_fields=["promised_at"])
    covered = consented_line_ids(ro)
    lines = [x for x in ro.lines.all() if x.pk in covered]
    agreed = agreed_snapshot(ro, lines)
    agreed["delay"] = {
        "id": delay.pk,
        "forecast_ready_at": delay.forecast_ready_at.isoformat(),
        "previous_promised_at": previous.isoformat() if previous else None,
        "new_promised_at": new_promised_at.isoformat(),
        "reason": delay.reason,
    }
    consent = ConsentRecord(
        repair_order=ro,
        method=method,
        signed_by_name=signed_by_name.strip()[:60],
        agreed=agreed,
        total=pricing.totals(lines, ro.dealer.vat_rate, customer_only=True).total,
        promised_at=new_promised_at,
        tolerance_amount=ro.tolerance_amount,
        tolerance_minutes=ro.tolerance_minutes,
        note=note.strip()[:300],
        recorded_by=by,
        recorded_at=now,
    )
    if method == ConsentMethod.SIGNATURE_PAD:
        consent.signature.save(stored_name("PNG"), ContentFile(signature_png), save=False)  # random, never the RO's
    consent.full_clean()
    consent.save()
    delay.consent, delay.new_promised_at = consent, new_promised_at
    delay.save(update_fields=["consent", "new_promised_at"])
    return delay


# Where the forecast watches an order: from agreed until it is ready.
FORECAST_STATES = (
    ROStatus.OPEN,
    ROStatus.IN_PROGRESS,
    ROStatus.WAITING_APPROVAL,
    ROStatus.WAITING_PARTS,
    ROStatus.QUALITY_CHECK,
    ROStatus.REWORK,
)
# A car already past its promise with no flat-rate hours left (in the check,
# being washed) is forecast this much later than now.
LAST_STEPS = dt.timedelta(minutes=30)


def forecast_delays(now: dt.datetime) -> int:
    """Sweep rule: record a delay for every order the forecast sees late —
    the flat-rate hours of its unfinished jobs exceed the time left to the
    promised time, or the promise has passed — so the advisor is told (a
    follow-up rule turns the delay into the advisor's call) and the order
    shows "delay not agreed" until the customer agrees a new time. A delay
    within the order's time tolerance is pre-agreed and recorded as nothing.
    Orders with a delay still waiting for agreement are left alone."""
    remaining = Coalesce(
        Sum("jobs__flat_rate_hours", filter=~Q(jobs__status=JobStatus.DONE)),
        Value(0),
        output_field=DecimalField(max_digits=8, decimal_places=2),
    )
    watched = (
        RepairOrder.objects.filter(status__in=FORECAST_STATES, promised_at__isnull=False)
        .exclude(Exists(Delay.objects.filter(repair_order=OuterRef("pk"), consent__isnull=True)))
        .annotate(remaining=remaining)
        .only("pk", "promised_at", "tolerance_minutes")
    )
    reported = 0
    for order in watched:
        late = now > order.promised_at
        if not late and not forecast_late(order.remaining, now, order.promised_at):
            continue
        ready_at = now + (dt.timedelta(hours=float(order.remaining)) if order.remaining > 0 else LAST_STEPS)
        if ready_at <= order.promised_at + dt.timedelta(minutes=order.tolerance_minutes):
            continue  # within what the customer agreed beforehand
        try:
            with transaction.atomic():
                delay_report(
                    repair_order=order,
                    forecast_ready_at=ready_at,
                    reason=_("Forecast: %(hours)s flat-rate hours still to do") % {"hours": order.remaining},
                    now=now,
                )
        except (ValidationError, IntegrityError):
            continue  # changed meanwhile (a concurrent sweep reported it, or the order moved on)
        reported += 1
    return reported
