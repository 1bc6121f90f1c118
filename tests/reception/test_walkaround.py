"""The walk-around (环车检查): odometer against the vehicle's history, fuel,
damage marks on the drawing, function checks, belongings, photos, done, and
who may change it while the car is still at the desk."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from customers.models import OdometerReading, OdometerSource
from reception import walkaround as services
from reception.models import DamageKind, DamageMark, DamageView, RepairOrder, ROStatus, WalkAround, WalkAroundPhoto
from tests.factories import OdometerReadingFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def history(repair_order):
    """The car came in last time with 20 000 km."""
    return OdometerReadingFactory(vehicle=repair_order.vehicle, km=20_000, read_on=dt.date(2026, 1, 10))


def url(name: str, ro: RepairOrder, *args) -> str:
    return reverse(f"reception:{name}", args=[ro.pk, *args])


def png_bytes(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def moved_on(ro: RepairOrder, status: str = ROStatus.IN_PROGRESS) -> RepairOrder:
    """The car went into the workshop (the transition itself is the workshop's business)."""
    RepairOrder.objects.filter(pk=ro.pk).update(status=status)
    ro.refresh_from_db()
    return ro


# --- odometer -------------------------------------------------------------------------


def test_the_odometer_becomes_a_reception_reading_linked_to_the_walk_around(repair_order, history, advisor):
    wa = services.walk_around_odometer(repair_order=repair_order, km=25_300, by=advisor.user)
    assert wa.odometer.km == 25_300
    assert wa.odometer.source == OdometerSource.RECEPTION
    assert wa.odometer.vehicle == repair_order.vehicle
    assert wa.odometer.recorded_by == advisor.user


def test_a_lower_odometer_without_a_reason_is_refused_and_nothing_is_written(repair_order, history, advisor, login):
    with pytest.raises(ValidationError) as refused:
        services.walk_around_odometer(repair_order=repair_order, km=19_000, by=advisor.user)
    assert "correction_reason" in refused.value.error_dict

    response = login(advisor).post(url("walkaround_odometer", repair_order), {"km": "19000"}, **HTMX)
    assert response.status_code == 200
    assert 'data-testid="correction-error"' in response.content.decode()
    assert "20000" in response.content.decode()  # the last reading is named in the message
    assert OdometerReading.objects.filter(vehicle=repair_order.vehicle).count() == 1
    assert not WalkAround.objects.filter(repair_order=repair_order, odometer__isnull=False).exists()


def test_a_lower_odometer_with_a_reason_is_recorded_as_a_correction(repair_order, history, advisor, login):
    response = login(advisor).post(
        url("walkaround_odometer", repair_order), {"km": "19000", "correction_reason": "仪表更换"}, **HTMX
    )
    assert response.status_code == 200
    reading = WalkAround.objects.get(repair_order=repair_order).odometer
    assert (reading.km, reading.source, reading.correction_reason) == (19_000, OdometerSource.CORRECTION, "仪表更换")


def test_entering_the_odometer_again_links_the_new_reading_and_keeps_the_earlier_one(repair_order, history, advisor):
    first = services.walk_around_odometer(repair_order=repair_order, km=25_300, by=advisor.user).odometer
    services.walk_around_odometer(repair_order=repair_order, km=25_300, by=advisor.user)  # same figure: nothing new
    assert OdometerReading.objects.filter(vehicle=repair_order.vehicle).count() == 2

    # 25 300 was a typo for 23 500: lower than the reading just recorded, so it needs a reason too.
    with pytest.raises(ValidationError):
        services.walk_around_odometer(repair_order=repair_order, km=23_500, by=advisor.user)
    wa = services.walk_around_odometer(
        repair_order=repair_order, km=23_500, correction_reason="录入错误", by=advisor.user
    )
    assert wa.odometer.km == 23_500
    assert OdometerReading.objects.filter(pk=first.pk).exists()  # the history keeps what was said


# --- fuel -----------------------------------------------------------------------------


def test_fuel_is_recorded_in_eighths_from_empty_to_full(repair_order, advisor, login):
    client = login(advisor)
    response = client.post(url("walkaround_fuel", repair_order), {"fuel": "6"}, **HTMX)
    assert 'data-testid="fuel-value">3/4' in response.content.decode().replace("\n", "")
    assert WalkAround.objects.get(repair_order=repair_order).fuel_eighths == 6

    response = client.post(url("walkaround_fuel", repair_order), {"fuel": "9"}, **HTMX)
    assert 'data-testid="section-error"' in response.content.decode()
    response = client.post(url("walkaround_fuel", repair_order), {"fuel": "half"}, **HTMX)
    assert 'data-testid="section-error"' in response.content.decode()
    assert WalkAround.objects.get(repair_order=repair_order).fuel_eighths == 6


# --- damage marks ---------------------------------------------------------------------


@pytest.mark.parametrize(("x", "y"), [("-0.01", "50"), ("100.01", "50"), ("50", "-1"), ("50", "150"), ("abc", "1")])
def test_a_mark_off_the_drawing_is_refused(repair_order, advisor, x, y):
    with pytest.raises(ValidationError):
        services.walk_around_mark_add(repair_order=repair_order, view="top", x=x, y=y, kind="dent", by=advisor.user)
    assert not DamageMark.objects.exists()


def test_a_mark_off_the_drawing_is_refused_on_the_page(repair_order, advisor, login):
    response = login(advisor).post(
        url("walkaround_mark_add", repair_order), {"view": "top", "x": "120", "y": "50", "kind": "dent"}, **HTMX
    )
    assert 'data-testid="section-error"' in response.content.decode()
    assert not DamageMark.objects.exists()


def test_marks_take_the_four_kinds_on_the_five_views_only(repair_order, advisor):
    for kind in DamageKind.values:
        services.walk_around_mark_add(repair_order=repair_order, view="left", x="10", y="20", kind=kind)
    assert sorted(DamageMark.objects.values_list("kind", flat=True)) == sorted(DamageKind.values)
    with pytest.raises(ValidationError):
        services.walk_around_mark_add(repair_order=repair_order, view="left", x="10", y="20", kind="rust")
    with pytest.raises(ValidationError):
        services.walk_around_mark_add(repair_order=repair_order, view="bottom", x="10", y="20", kind="dent")
    assert set(DamageView.values) == {"top", "left", "right", "front", "rear"}
    assert DamageMark.objects.count() == 4


def test_a_tap_places_a_mark_and_the_list_can_remove_it(repair_order, advisor, login):
    client = login(advisor)
    response = client.post(
        url("walkaround_mark_add", repair_order),
        {"view": "left", "x": "31.25", "y": "48.5", "kind": "dent", "note": "左前门"},
        **HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="wa-damage">')  # the fragment only
    mark = DamageMark.objects.get()
    assert (mark.view, mark.x, mark.y, mark.kind, mark.note) == (
        "left",
        Decimal("31.25"),
        Decimal("48.50"),
        "dent",
        "左前门",
    )
    assert 'transform="translate(131.25 72.75)"' in html  # per cent of the left view's 420 × 150
    assert 'id="wa-kind-dent" value="dent" checked' in html  # the chosen kind stays chosen

    client.post(url("walkaround_mark_remove", repair_order, mark.pk), **HTMX)
    assert not DamageMark.objects.exists()


# --- function checks ------------------------------------------------------------------


def test_checks_take_only_known_codes_and_ok_or_fault(repair_order, advisor, login):
    services.walk_around_check(repair_order=repair_order, code="horn", state="fault")
    with pytest.raises(ValidationError):
        services.walk_around_check(repair_order=repair_order, code="flux_capacitor", state="ok")
    with pytest.raises(ValidationError):
        services.walk_around_check(repair_order=repair_order, code="lights", state="maybe")
    response = login(advisor).post(url("walkaround_check", repair_order), {"code": "nope", "state": "ok"}, **HTMX)
    assert 'data-testid="section-error"' in response.content.decode()
    assert WalkAround.objects.get(repair_order=repair_order).checks == {"horn": "fault"}


def test_all_others_ok_keeps_the_faults_found(repair_order, advisor, login):
    services.walk_around_check(repair_order=repair_order, code="horn", state="fault")
    login(advisor).post(url("walkaround_check", repair_order), {"all_ok": "1"}, **HTMX)
    checks = WalkAround.objects.get(repair_order=repair_order).checks
    assert set(checks) == {code for code, _label in services.CHECKS}
    assert checks["horn"] == "fault" and checks["tyres"] == "ok"


def test_belongings_and_protective_kit(repair_order, advisor, login):
    login(advisor).post(
        url("walkaround_belongings", repair_order),
        {"valuables": "墨镜在手套箱", "valuables_reminded": "on", "protective_kit": "on", "notes": ""},
        **HTMX,
    )
    wa = WalkAround.objects.get(repair_order=repair_order)
    assert (wa.valuables, wa.valuables_reminded, wa.protective_kit) == ("墨镜在手套箱", True, True)


# --- photos ---------------------------------------------------------------------------


def test_a_file_that_is_not_a_picture_is_refused(repair_order, advisor, login):
    fake = SimpleUploadedFile("damage.jpg", b"%PDF-1.4 not a picture at all", content_type="image/jpeg")
    response = login(advisor).post(url("walkaround_photo_add", repair_order), {"image": fake}, **HTMX)
    assert 'data-testid="photo-error"' in response.content.decode()
    assert not WalkAroundPhoto.objects.exists()


def test_a_truncated_picture_is_refused(repair_order, advisor):
    broken = SimpleUploadedFile("damage.png", png_bytes()[:60], content_type="image/png")
    with pytest.raises(ValidationError):
        services.walk_around_photo_add(repair_order=repair_order, upload=broken)
    assert not WalkAroundPhoto.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(repair_order, advisor, login):
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * services.MAX_PHOTO_BYTES, content_type="image/png")
    response = login(advisor).post(url("walkaround_photo_add", repair_order), {"image": big}, **HTMX)
    assert "8 MB" in response.content.decode()
    assert not WalkAroundPhoto.objects.exists()


def test_a_real_picture_is_attached_with_a_thumbnail_and_served_to_staff(
    repair_order, advisor, login, django_capture_on_commit_callbacks
):
    client = login(advisor)
    upload = SimpleUploadedFile("car.png", png_bytes((1600, 1200)), content_type="image/png")
    response = client.post(url("walkaround_photo_add", repair_order), {"image": upload, "caption": "左前门"}, **HTMX)
    photo = WalkAroundPhoto.objects.get()
    assert photo.caption == "左前门"
    assert 'data-testid="photo"' in response.content.decode()
    thumb = services.thumb_name(photo.image.name)
    assert default_storage.exists(photo.image.name) and default_storage.exists(thumb)
    with default_storage.open(thumb) as handle:
        assert max(Image.open(handle).size) <= max(services.THUMB_SIZE)

    served = client.get(url("walkaround_photo", repair_order, photo.pk) + "?thumb=1")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("walkaround_photo_remove", repair_order, photo.pk), **HTMX)
    assert not WalkAroundPhoto.objects.exists()
    assert not default_storage.exists(photo.image.name) and not default_storage.exists(thumb)


# --- done, read-only, stations, roles --------------------------------------------------


def test_done_needs_the_odometer_and_the_fuel_level(repair_order, history, advisor):
    with pytest.raises(ValidationError):
        services.walk_around_done(repair_order=repair_order, by=advisor.user)
    services.walk_around_odometer(repair_order=repair_order, km=25_000, by=advisor.user)
    services.walk_around_fuel(repair_order=repair_order, eighths=4)
    at = timezone.now().replace(microsecond=0)
    wa = services.walk_around_done(repair_order=repair_order, by=advisor.user, now=at)
    assert (wa.done_at, wa.done_by) == (at, advisor)


def test_a_done_walk_around_shows_its_summary_and_changes_only_after_reopening(repair_order, history, advisor, login):
    services.walk_around_odometer(repair_order=repair_order, km=25_000, by=advisor.user)
    services.walk_around_fuel(repair_order=repair_order, eighths=4)
    services.walk_around_done(repair_order=repair_order, by=advisor.user)
    client = login(advisor)
    html = client.get(url("walkaround", repair_order)).content.decode()
    assert 'data-testid="walkaround-summary"' in html and "wa-mark-form" not in html

    with pytest.raises(ValidationError):
        services.walk_around_fuel(repair_order=repair_order, eighths=8)
    client.post(url("walkaround_reopen", repair_order))
    services.walk_around_fuel(repair_order=repair_order, eighths=8)
    assert WalkAround.objects.get(repair_order=repair_order).done_at is None


@pytest.mark.parametrize("status", [ROStatus.IN_PROGRESS, ROStatus.READY, ROStatus.CANCELLED])
def test_the_walk_around_is_read_only_once_the_car_has_moved_on(repair_order, advisor, login, status):
    services.walk_around_fuel(repair_order=repair_order, eighths=4)
    moved_on(repair_order, status)
    client = login(advisor)
    html = client.get(url("walkaround", repair_order)).content.decode()
    assert 'data-testid="read-only"' in html
    assert "wa-mark-form" not in html and 'name="fuel"' not in html

    response = client.post(url("walkaround_fuel", repair_order), {"fuel": "8"}, **HTMX)
    assert 'data-testid="section-error"' in response.content.decode()
    client.post(url("walkaround_mark_add", repair_order), {"view": "top", "x": "5", "y": "5", "kind": "dent"})
    assert WalkAround.objects.get(repair_order=repair_order).fuel_eighths == 4
    assert not DamageMark.objects.exists()


def test_open_repair_order_can_still_be_changed(repair_order, advisor):
    moved_on(repair_order, ROStatus.OPEN)
    assert services.walk_around_fuel(repair_order=repair_order, eighths=2).fuel_eighths == 2


def test_another_stations_repair_order_is_not_found(repair_order, other_advisor, login):
    mark = services.walk_around_mark_add(repair_order=repair_order, view="top", x="5", y="5", kind="dent")
    client = login(other_advisor)
    assert client.get(url("walkaround", repair_order)).status_code == 404
    assert client.post(url("walkaround_fuel", repair_order), {"fuel": "3"}).status_code == 404
    assert client.post(url("walkaround_mark_remove", repair_order, mark.pk)).status_code == 404
    assert DamageMark.objects.filter(pk=mark.pk).exists()


def test_advisor_and_manager_edit_technician_only_looks(repair_order, advisor, manager, technician, login, client):
    for editor in (advisor, manager):
        login(editor)
        html = client.get(url("walkaround", repair_order)).content.decode()
        assert "wa-mark-form" in html
        assert client.post(url("walkaround_fuel", repair_order), {"fuel": "5"}).status_code == 302

    login(technician)
    response = client.get(url("walkaround", repair_order))
    assert response.status_code == 200 and "wa-mark-form" not in response.content.decode()
    assert client.post(url("walkaround_fuel", repair_order), {"fuel": "1"}).status_code == 403
    assert WalkAround.objects.get(repair_order=repair_order).fuel_eighths == 5


def test_parts_clerk_may_not_open_it(repair_order, parts_clerk, login):
    assert login(parts_clerk).get(url("walkaround", repair_order)).status_code == 403


def test_opening_the_page_writes_nothing(repair_order, advisor, login):
    assert login(advisor).get(url("walkaround", repair_order)).status_code == 200
    assert not WalkAround.objects.exists()


def _marks(ro: RepairOrder, n: int) -> None:
    kinds = DamageKind.values
    for i in range(n):
        services.walk_around_mark_add(
            repair_order=ro, view=DamageView.values[i % 5], x=str(i * 4), y="50", kind=kinds[i % 4]
        )


def test_the_page_needs_as_many_queries_for_20_marks_as_for_2(
    repair_order, advisor, login, django_assert_max_num_queries
):
    client = login(advisor)
    _marks(repair_order, 2)
    services.walk_around_photo_add(
        repair_order=repair_order, upload=SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    )
    with CaptureQueriesContext(connection) as two:
        client.get(url("walkaround", repair_order))
    _marks(repair_order, 18)
    with django_assert_max_num_queries(len(two.captured_queries)):
        html = client.get(url("walkaround", repair_order)).content.decode()
    assert html.count('data-testid="mark-row"') == 20


def test_the_summary_renders_from_the_walk_around_alone(repair_order, history, advisor):
    services.walk_around_odometer(repair_order=repair_order, km=25_000, by=advisor.user)
    services.walk_around_fuel(repair_order=repair_order, eighths=2)
    _marks(repair_order, 5)  # dent ×2 ... kinds cycle: scratch, dent, crack, chip, scratch
    services.walk_around_check(repair_order=repair_order, code="horn", state="fault")
    services.walk_around_belongings(
        repair_order=repair_order, valuables="行车记录仪", valuables_reminded=True, protective_kit=True
    )
    wa = WalkAround.objects.get(repair_order=repair_order)
    html = render_to_string("reception/_walkaround_summary.html", {"walk_around": wa})
    assert "25000 km" in html and "1/4" in html
    assert "× 2" in html  # two scratches
    assert html.count('class="wa-mark"') == 5
    assert "行车记录仪" in html
    summary = services.summary_of(wa)
    assert summary.failed_checks == [str(services.CHECK_LABELS["horn"])]
    assert [(kind, n) for kind, _label, n in summary.marks_by_kind] == [
        ("scratch", 2),
        ("dent", 1),
        ("crack", 1),
        ("chip", 1),
    ]
    assert render_to_string("reception/_walkaround_summary.html", {"walk_around": None}).strip() == ""
