"""The parts clerk's side of reception: issuing the parts of agreed estimates
(备件出库通知) and the parts ordered for them, with the customer's deposit (订金).

Issuing reduces stock on hand under a row lock on each part, so two clerks
issuing the last units cannot both succeed. Arrival of ordered parts only
records `arrived_at` (and puts the catalogue parts into stock with an issue
notice for them): telling the customer is a follow-up rule that reads it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, Part, StaffMember
from reception.models import (
    IssueNoticeStatus,
    PartsIssueLine,
    PartsIssueNotice,
    PartsOrder,
    PartsOrderStatus,
    PaymentMethod,
)

# --- reads -------------------------------------------------------------------


def issue_notices(station: Dealer, *, status: str = IssueNoticeStatus.OPEN, q: str = "") -> QuerySet:
    qs = PartsIssueNotice.objects.for_station(station).select_related(
        "repair_order__vehicle", "repair_order__advisor", "issued_by"
    )
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(repair_order__number__icontains=q)
            | Q(repair_order__vehicle__plate__icontains=q)
            | Q(lines__estimate_line__part_number__icontains=q)
        ).distinct()
    return qs.prefetch_related("lines__estimate_line", "lines__part").order_by("created_at", "pk")


def parts_orders(station: Dealer, *, status: str = "", q: str = "") -> QuerySet:
    qs = PartsOrder.objects.for_station(station).select_related("repair_order__vehicle", "repair_order__advisor")
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=[PartsOrderStatus.REQUESTED, PartsOrderStatus.ORDERED])
    if q:
        qs = qs.filter(
            Q(repair_order__number__icontains=q)
            | Q(repair_order__vehicle__plate__icontains=q)
            | Q(lines__estimate_line__part_number__icontains=q)
            | Q(deposit_receipt__icontains=q)
        ).distinct()
    return qs.prefetch_related("lines__estimate_line").order_by("created_at", "pk")


# --- writes ------------------------------------------------------------------


@transaction.atomic
def issue_notice_issue(*, notice: PartsIssueNotice, by: StaffMember | None, now: dt.datetime | None = None):
    """Issue every line of the notice: stock on hand goes down. Refused as a
    whole, with the short parts named, when the stock does not cover it."""
    now = now or timezone.now()
    notice = PartsIssueNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != IssueNoticeStatus.OPEN:
        raise ValidationError(_("This issue notice is already %(status)s.") % {"status": notice.get_status_display()})
    lines = list(PartsIssueLine.objects.filter(notice=notice).select_related("estimate_line").order_by("pk"))
    part_ids = sorted({line.part_id for line in lines if line.part_id})
    # Locked in one order (by pk), so two clerks never deadlock.
    parts = {p.pk: p for p in Part.objects.select_for_update().filter(pk__in=part_ids).order_by("pk")}
    needed: dict[int, Decimal] = {}
    for line in lines:
        if line.part_id:
            needed[line.part_id] = needed.get(line.part_id, Decimal(0)) + line.quantity - line.issued_quantity
    short = [parts[pk] for pk, quantity in needed.items() if parts[pk].stock_on_hand < quantity]
    if short:
        raise ValidationError(
            _("Not enough stock to issue: %(parts)s. Nothing was issued.")
            % {
                "parts": "; ".join(
                    _("%(number)s %(name)s (%(have)s on hand, %(need)s needed)")
                    % {
                        "number": p.number,
                        "name": p.name,
                        "have": p.stock_on_hand.normalize(),
                        "need": needed[p.pk].normalize(),
                    }
                    for p in short
                )
            }
        )
    for pk, quantity in needed.items():
        part = parts[pk]
        part.stock_on_hand -= quantity
        part.save(update_fields=["stock_on_hand"])
    for line in lines:
        line.issued_quantity = line.quantity
    PartsIssueLine.objects.bulk_update(lines, ["issued_quantity"])
    changed = PartsIssueNotice.objects.filter(pk=notice.pk, status=IssueNoticeStatus.OPEN).update(
        status=IssueNoticeStatus.ISSUED, issued_at=now, issued_by=by
    )
    if not changed:  # cannot happen under the lock; kept as the house's guard
        raise ValidationError(_("Someone else changed this issue notice meanwhile: reload and try again."))
    notice.refresh_from_db()
    return notice


def _order_change(order: PartsOrder, old: str, **changes) -> PartsOrder:
    changed = PartsOrder.objects.filter(pk=order.pk, status=old).update(**changes)
    if not changed:
        current = PartsOrder.objects.get(pk=order.pk)
        raise ValidationError(
            _("This parts order is %(status)s: it cannot change that way.") % {"status": current.get_status_display()}
        )
    order.refresh_from_db()
    return order


@transaction.atomic
def parts_order_mark_ordered(
    *, order: PartsOrder, expected_on: dt.date | None = None, by=None, now: dt.datetime | None = None
) -> PartsOrder:
    now = now or timezone.now()
    if expected_on is not None and expected_on < timezone.localdate(now):
        raise ValidationError({"expected_on": _("The expected date cannot be in the past.")})
    return _order_change(
        order, PartsOrderStatus.REQUESTED, status=PartsOrderStatus.ORDERED, ordered_at=now, expected_on=expected_on
    )


@transaction.atomic
def parts_order_mark_arrived(*, order: PartsOrder, by: StaffMember | None = None, now: dt.datetime | None = None):
    """The parts are here: `arrived_at` is what the customer's notice reads.
    Catalogue parts go into stock and onto an issue notice for the repair
    order, so the clerk issues them like any other."""
    now = now or timezone.now()
    order = _order_change(order, PartsOrderStatus.ORDERED, status=PartsOrderStatus.ARRIVED, arrived_at=now)
    lines = list(order.lines.select_related("estimate_line__part").order_by("pk"))
    consent = order.repair_order.consents.order_by("-recorded_at", "-pk").first()
    for line in lines:
        part = line.estimate_line.part
        if part is not None:
            locked = Part.objects.select_for_update().get(pk=part.pk)
            locked.stock_on_hand += line.quantity
            locked.save(update_fields=["stock_on_hand"])
    if lines and consent is not None:
        notice = PartsIssueNotice.objects.create(dealer=order.dealer, repair_order=order.repair_order, consent=consent)
        PartsIssueLine.objects.bulk_create(
            PartsIssueLine(
                notice=notice, estimate_line=line.estimate_line, part=line.estimate_line.part, quantity=line.quantity
            )
            for line in lines
        )
    return order


@transaction.atomic
def parts_order_deposit(*, order: PartsOrder, amount: Decimal, method: str, receipt: str, by=None) -> PartsOrder:
    """The customer's deposit (订金) for parts to order: amount, how it was
    paid and the receipt number."""
    order = PartsOrder.objects.select_for_update().get(pk=order.pk)
    if order.status in (PartsOrderStatus.CANCELLED, PartsOrderStatus.ARRIVED):
        raise ValidationError(_("This parts order is %(status)s.") % {"status": order.get_status_display()})
    errors = {}
    if amount is None or amount < 0:
        errors["amount"] = _("The deposit cannot be negative.")
    elif amount > 0:
        if method not in PaymentMethod.values:
            errors["method"] = _("Say how the deposit was paid.")
        if not receipt.strip():
            errors["receipt"] = _("Give the receipt number of the deposit.")
    if errors:
        raise ValidationError(errors)
    order.deposit = amount
    order.deposit_method = method if amount > 0 else ""
    order.deposit_receipt = receipt.strip()[:30] if amount > 0 else ""
    order.full_clean()
    order.save(update_fields=["deposit", "deposit_method", "deposit_receipt"])
    return order
