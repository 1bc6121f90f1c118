"""The five-part repair order (接车单一式五联), rendered by the real WeasyPrint
and read back as text (poppler's pdftotext and pdfinfo), as a person holding
the printout would."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext

from customers.models import OdometerSource
from reception import documents, pricing
from reception.documents import REPAIR_ORDER_PARTS
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    DamageKind,
    DamageMark,
    InquirySheet,
    LineKind,
    PayType,
    RepairOrder,
    ROStatus,
    WalkAround,
)
from reception.services import repair_order_transition
from tests.factories import OdometerReadingFactory, VehicleFactory
from tests.reception.conftest import add_line

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="pdftotext and pdfinfo (poppler-utils) are needed to read the PDF back",
)


def printed(text) -> str:
    """A label as the page language (Chinese by default) prints it, without
    spaces, since a label may wrap inside its box."""
    with translation.override(settings.LANGUAGE_CODE):
        return "".join(translation.gettext(text).split())


def pages_of(pdf: bytes, *, raw: bool = False) -> list[str]:
    """Each page's text without white space (pdftotext separates pages with a
    form feed). `raw` keeps the content-stream order, which reads the rotated
    watermark as one string."""
    out = subprocess.run(
        ["pdftotext", *(["-raw"] if raw else []), "-", "-"], input=pdf, capture_output=True, check=True
    )
    return ["".join(page.split()) for page in out.stdout.decode().rstrip("\f").split("\f")]


def page_count(pdf: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def part_label(n: int) -> str:
    return printed(pgettext("repair order part", "Part %(n)s") % {"n": n})


def watermark() -> str:
    return printed(pgettext("watermark", "Not agreed"))


def consent_for(order: RepairOrder, user, *, name: str = "王建国") -> ConsentRecord:
    total = pricing.totals(order.lines.all(), order.dealer.vat_rate, customer_only=True)
    return ConsentRecord.objects.create(
        repair_order=order,
        method=ConsentMethod.PRINTED,
        signed_by_name=name,
        agreed={"totals": total.as_dict()},
        total=total.total,
        recorded_by=user,
        recorded_at=timezone.now(),
    )


@pytest.fixture
def full_order(priced_order, advisor, station):
    """The priced draft with its inquiry sheet, walk-around, promised time and consent."""
    order = priced_order
    order.vehicle.engine_number = "EA888123456"
    order.vehicle.save()
    order.promised_at = timezone.make_aware(dt.datetime(2026, 12, 1, 17, 30))
    order.keys_received_at = timezone.now()
    order.save()
    InquirySheet.objects.create(repair_order=order, symptom="冷车启动时有异响", presumed_cause="正时链条张紧器")
    reading = OdometerReadingFactory(vehicle=order.vehicle, km=48_765, source=OdometerSource.RECEPTION)
    walk = WalkAround.objects.create(
        repair_order=order,
        odometer=reading,
        fuel_eighths=3,
        checks={"horn": "ok", "wipers": "fault"},
        valuables="行车记录仪",
        valuables_reminded=True,
        protective_kit=True,
    )
    for kind in ("scratch", "scratch", "dent"):
        DamageMark.objects.create(walk_around=walk, view="left", x=10, y=20, kind=kind)
    consent_for(order, advisor.user)
    return order


def render(order: RepairOrder) -> bytes:
    return documents.repair_order_pdf(documents.for_print(RepairOrder.objects).get(pk=order.pk))


def total_of(order: RepairOrder) -> str:
    return documents.money(pricing.totals(order.lines.all(), order.dealer.vat_rate, customer_only=True).total)


def test_the_order_prints_five_pages_each_naming_its_part(full_order, advisor, login):
    response = login(advisor).get(reverse("reception:repair_order_pdf", args=[full_order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="repair-order-{full_order.number}.pdf"'
    assert page_count(response.content) == 5
    pages = pages_of(response.content)
    assert len(pages) == 5
    vehicle = full_order.vehicle
    for page, part in zip(pages, REPAIR_ORDER_PARTS, strict=True):
        assert printed(part.title) in page
        assert part_label(part.number) in page
        for expected in (full_order.number, vehicle.vin, vehicle.plate):
            assert expected in page, (part.kind, expected)


def test_every_part_carries_the_station_customer_vehicle_and_walk_around(full_order):
    station = full_order.dealer
    for page in pages_of(render(full_order)):
        for expected in (
            station.name,
            station.phone,
            "王建国",  # the customer
            full_order.customer.phone,
            "EA888123456",  # engine number
            "帕萨特",
            "2022",  # model year
            "48765km",  # odometer from the walk-around
            "advisor",  # the advisor's display name
            "冷车启动时有异响",  # symptom
            "正时链条张紧器",  # presumed cause
            "3/8",  # fuel
            printed("行车记录仪"),
            "2026-12-0117:30",  # promised completion
        ):
            assert expected in page, expected
    page = pages_of(render(full_order))[1]
    assert f"{printed(DamageKind.SCRATCH.label)}×2" in page
    assert f"{printed(DamageKind.DENT.label)}×1" in page


def test_estimate_and_bills_show_the_total_computed_by_pricing(full_order):
    # 1.5 h × ¥180 = ¥270.00; 4 × ¥65.50 = ¥262.00; net ¥532.00, VAT 13 % ¥69.16.
    assert total_of(full_order) == "¥601.16"
    pages = pages_of(render(full_order))
    for index in (1, 3, 4):  # estimate, request, settlement
        assert "¥601.16" in pages[index]
        assert "¥270.00" in pages[index]  # the labour line
        assert "¥69.16" in pages[index]  # VAT


def test_a_discount_and_a_warranty_line_change_the_total_as_pricing_says(full_order):
    add_line(full_order, LineKind.LABOUR, quantity="2", unit_price="180", discount="10", description="检查异响")
    add_line(full_order, LineKind.PART, quantity="1", unit_price="300", description="张紧器", pay_type=PayType.WARRANTY)
    expected = total_of(full_order)
    assert expected == "¥967.28"  # the warranty part is not the customer's to pay
    estimate = pages_of(render(full_order))[1]
    assert expected in estimate
    assert "¥324.00" in estimate  # 2 h × ¥180 less 10 %


def test_the_repair_card_lists_the_work_without_any_money(full_order):
    card = pages_of(render(full_order))[2]
    assert printed(REPAIR_ORDER_PARTS[2].title) in card
    assert "更换机油机滤" in card and "1.5" in card
    assert "06L115562" in card and "机油5W-30" in card
    assert "¥" not in card
    assert "601.16" not in card and "270.00" not in card


def test_a_draft_without_consent_is_watermarked_on_every_page(priced_order):
    pages = pages_of(render(priced_order), raw=True)
    assert len(pages) == 5
    for page in pages:
        assert watermark() in page


def test_an_order_with_consent_is_not_watermarked(full_order):
    for page in pages_of(render(full_order), raw=True):
        assert watermark() not in page


def test_the_consent_is_printed_with_how_when_and_who(full_order):
    estimate = pages_of(render(full_order))[1]
    assert printed(ConsentMethod.PRINTED.label) in estimate
    assert "王建国" in estimate
    consent = full_order.consents.get()
    assert timezone.localtime(consent.recorded_at).strftime("%Y-%m-%d%H:%M") in estimate


def test_request_and_settlement_say_not_yet_settled_until_the_car_is_delivered(full_order):
    pages = pages_of(render(full_order))
    for index in (3, 4):
        assert printed("Not yet settled") in pages[index]
        assert printed("Final figures") not in pages[index]

    for status in (ROStatus.OPEN, ROStatus.IN_PROGRESS, ROStatus.QUALITY_CHECK, ROStatus.READY, ROStatus.DELIVERED):
        repair_order_transition(repair_order=full_order, to=status)
    pages = pages_of(render(full_order))
    for index in (3, 4):
        assert printed("Final figures") in pages[index]
        assert printed("Not yet settled") not in pages[index]
        assert "¥601.16" in pages[index]


def test_the_pickup_slip_has_what_the_customer_needs_to_collect_the_car(full_order):
    slip = pages_of(render(full_order))[0]
    for expected in (full_order.number, "2026-12-0117:30", full_order.dealer.phone, printed("Keys")):
        assert expected in slip
    assert "¥" not in slip


def test_a_vehicle_without_plate_or_vin_still_prints(station, advisor):
    car = VehicleFactory(owner__dealer=station, plate="", vin="")
    order = RepairOrder.objects.create(
        dealer=station, number="R2026-00077", customer=car.owner, vehicle=car, advisor=advisor, job_type="repair"
    )
    assert page_count(render(order)) == 5


# --- who may print ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["advisor", "manager", "cashier", "dispatcher", "technician"])
def test_the_front_desk_and_the_workshop_may_print(role, full_order, login, request):
    response = login(request.getfixturevalue(role)).get(reverse("reception:repair_order_pdf", args=[full_order.pk]))
    assert response.status_code == 200


def test_the_parts_clerk_may_not_print(full_order, parts_clerk, login):
    response = login(parts_clerk).get(reverse("reception:repair_order_pdf", args=[full_order.pk]))
    assert response.status_code == 403


def test_another_stations_staff_get_404(full_order, other_advisor, login):
    response = login(other_advisor).get(reverse("reception:repair_order_pdf", args=[full_order.pk]))
    assert response.status_code == 404


def test_the_printout_reads_the_order_in_a_fixed_number_of_queries(
    full_order, advisor, login, django_assert_max_num_queries
):
    for n in range(12):
        add_line(full_order, LineKind.PART, quantity="1", unit_price="10", description=f"备件{n}")
    client = login(advisor)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("reception:repair_order_pdf", args=[full_order.pk]))
    assert response.status_code == 200


# --- the command --------------------------------------------------------------------------


def test_the_command_writes_the_pdf(full_order, tmp_path):
    out = tmp_path / "ro.pdf"
    stdout = StringIO()
    call_command("render_repair_order", full_order.number, "--out", str(out), stdout=stdout)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 5
    assert full_order.number in pages_of(pdf)[1]
    assert str(out) in stdout.getvalue()


def test_the_command_says_clearly_when_the_number_is_unknown(db, tmp_path):
    with pytest.raises(CommandError, match="R2026-99999"):
        call_command("render_repair_order", "R2026-99999", "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_the_command_asks_for_the_station_when_several_have_the_number(
    full_order, other_station, other_advisor, tmp_path
):
    car = VehicleFactory(owner__dealer=other_station)
    RepairOrder.objects.create(
        dealer=other_station,
        number=full_order.number,
        customer=car.owner,
        vehicle=car,
        advisor=other_advisor,
        job_type="repair",
    )
    out = tmp_path / "ro.pdf"
    with pytest.raises(CommandError, match="--station"):
        call_command("render_repair_order", full_order.number, "--out", str(out))
    call_command("render_repair_order", full_order.number, "--out", str(out), "--station", other_station.code)
    assert car.plate in pages_of(out.read_bytes())[0]
    with pytest.raises(CommandError, match=full_order.number):
        call_command("render_repair_order", full_order.number, "--out", str(out), "--station", "nowhere")


def test_money_is_printed_with_two_places_and_thousands():
    assert documents.money(Decimal("1234.5")) == "¥1,234.50"
    assert documents.plain_number(Decimal("1.50")) == "1.5"
    assert documents.plain_number(Decimal("4.00")) == "4"
