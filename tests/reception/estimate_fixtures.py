"""Fixtures of the estimate, consent and parts tests: a signature PNG, a
station with a workshop, a catalogue, and an agreed order."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from dealers.models import BayType, RosterEntry
from reception import estimates
from reception.models import ConsentMethod
from tests.factories import BayFactory, LabourOperationFactory, PartFactory, StaffFactory


def signature_png(*, ink: bool = True, size: tuple[int, int] = (600, 200)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (120, 40), (200, 160), (300, 50), (420, 150), (540, 60)], fill=(17, 17, 17, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(raw).decode()


@pytest.fixture
def oil_change(station):
    return LabourOperationFactory(dealer=station, code="M011", name="更换机油机滤", flat_rate_hours=Decimal("1.5"))


@pytest.fixture
def oil(station):
    return PartFactory(
        dealer=station, number="G052195M2", name="机油 5W-30", unit_price=Decimal("65.50"), stock_on_hand=Decimal("10")
    )


@pytest.fixture
def brake_pads(station):
    return PartFactory(
        dealer=station, number="5Q0698151", name="前刹车片", unit_price=Decimal("480.00"), stock_on_hand=Decimal("0")
    )


def agree(repair_order, by, *, now=None, method=ConsentMethod.PRINTED):
    return estimates.consent_record(
        repair_order=repair_order,
        method=method,
        signature_png=signature_png() if method == ConsentMethod.SIGNATURE_PAD else None,
        signed_by_name="王建国",
        by=by,
        now=now or timezone.now(),
    )


TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 30)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


@pytest.fixture
def workshop(station):
    """One general bay, one grade-2 technician 08:30–18:00 without break,
    productive share 100 %, the week of MONDAY."""
    station.productive_share = Decimal("1.00")
    station.save()
    BayFactory(dealer=station, bay_type=BayType.GENERAL)
    tech = StaffFactory(skill_grade=2, dealers=[station])
    for offset in range(-3, 10):
        RosterEntry.objects.create(
            dealer=station,
            technician=tech,
            date=MONDAY + dt.timedelta(days=offset),
            starts=dt.time(8, 30),
            ends=dt.time(18, 0),
            break_minutes=0,
        )
    return station
