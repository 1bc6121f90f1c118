"""Reception's writes: repair order numbering and the one transition service.

Every state change of a repair order goes through `repair_order_transition`:
allowed by RO_TRANSITIONS, applied only if nobody changed the RO meanwhile,
logged as an event. Leaving draft needs a consent record: no work starts on
a price the customer has not agreed.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.services import TransitionError
from dealers.models import Dealer
from reception.models import RO_TRANSITIONS, ConsentRecord, RepairOrder, RepairOrderEvent, ROStatus

__all__ = ["TransitionError", "next_repair_order_number", "repair_order_transition"]


def next_repair_order_number(dealer: Dealer, when: dt.datetime) -> str:
    """RYYYY-NNNNN per station and year. Call it with the station row locked
    (`Dealer.objects.select_for_update()`), in the transaction that saves the RO."""
    prefix = f"R{timezone.localtime(when).year}-"
    last = (
        RepairOrder.objects.filter(dealer=dealer, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{seq:05d}"


@transaction.atomic
def repair_order_transition(
    *, repair_order: RepairOrder, to: str, by=None, note: str = "", now: dt.datetime | None = None
) -> RepairOrder:
    now = now or timezone.now()
    old = repair_order.status
    if to not in RO_TRANSITIONS[old]:
        raise TransitionError(
            _("A repair order that is %(old)s cannot become %(new)s.")
            % {"old": ROStatus(old).label, "new": ROStatus(to).label}
        )
    if (
        old == ROStatus.DRAFT
        and to == ROStatus.OPEN
        and not ConsentRecord.objects.filter(repair_order=repair_order).exists()
    ):
        raise ValidationError(_("The customer has not agreed the estimate yet: record the consent first."))
    changed = RepairOrder.objects.filter(pk=repair_order.pk, status=old).update(status=to)
    if not changed:
        raise TransitionError(_("Someone else changed this repair order meanwhile: reload and try again."))
    RepairOrderEvent.objects.create(
        repair_order=repair_order, from_status=old, to_status=to, at=now, by=by, note=note[:300]
    )
    repair_order.status = to
    return repair_order
