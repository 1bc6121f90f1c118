"""Consented labour lines become jobs; the rest do not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from reception.models import ConsentMethod, ConsentRecord, LineKind
from tests.reception import conftest as reception_fixtures
from workshop.jobs import consented_line_ids, jobs_sync, line_is_consented

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order
priced_order = reception_fixtures.priced_order

pytestmark = pytest.mark.django_db


def _consent(order, advisor, lines):
    return ConsentRecord.objects.create(
        repair_order=order,
        method=ConsentMethod.PRINTED,
        agreed={"lines": [{"id": line.pk} for line in lines]},
        total=Decimal("1"),
        recorded_by=advisor.user,
        recorded_at=timezone.now(),
    )


def test_only_consented_labour_lines_become_jobs_once(priced_order, advisor):
    labour = priced_order.lines.get(kind=LineKind.LABOUR)
    extra = reception_fixtures.add_line(
        priced_order, LineKind.LABOUR, quantity="2", unit_price="180", description="追加"
    )
    assert jobs_sync(priced_order) == []
    _consent(priced_order, advisor, priced_order.lines.exclude(pk=extra.pk))
    assert consented_line_ids(priced_order) == set(priced_order.lines.exclude(pk=extra.pk).values_list("pk", flat=True))
    assert not line_is_consented(extra)
    [job] = jobs_sync(priced_order)
    assert job.estimate_line == labour and job.flat_rate_hours == Decimal("1.5")
    assert jobs_sync(priced_order) == []
    _consent(priced_order, advisor, [extra])
    assert [j.estimate_line for j in jobs_sync(priced_order)] == [extra]
