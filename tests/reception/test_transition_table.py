"""Every move of the repair order's transition table, allowed and forbidden."""

from __future__ import annotations

from decimal import Decimal
from itertools import product

import pytest
from django.utils import timezone

from appointments.services import TransitionError
from reception.models import RO_TRANSITIONS, ConsentMethod, ConsentRecord, RepairOrder, ROStatus
from reception.services import repair_order_transition

pytestmark = pytest.mark.django_db

MOVES = list(product(ROStatus.values, ROStatus.values))


@pytest.mark.parametrize(("old", "new"), MOVES, ids=[f"{a}->{b}" for a, b in MOVES])
def test_the_table_decides(repair_order, advisor, old, new):
    ConsentRecord.objects.create(
        repair_order=repair_order,
        method=ConsentMethod.PRINTED,
        agreed={"lines": []},
        total=Decimal("1"),
        recorded_by=advisor.user,
        recorded_at=timezone.now(),
    )
    RepairOrder.objects.filter(pk=repair_order.pk).update(status=old)
    repair_order.refresh_from_db()
    if new in RO_TRANSITIONS[old]:
        repair_order_transition(repair_order=repair_order, to=new)
        repair_order.refresh_from_db()
        assert repair_order.status == new
        assert repair_order.events.get().to_status == new
    else:
        with pytest.raises(TransitionError):
            repair_order_transition(repair_order=repair_order, to=new)
        repair_order.refresh_from_db()
        assert repair_order.status == old and not repair_order.events.exists()
