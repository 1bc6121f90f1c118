"""The walk-around inspection (环车检查), done at the car with the customer.

Every write goes through one function here. A repair order's walk-around can
be changed while the car has not gone into the workshop (draft or open) and
is not marked done; "done" is what the customer confirmed, so a later change
first reopens it, on the record.

Odometer: each entry becomes a reading in the vehicle's history
(`customers.services.odometer_record`, source "reception") and the
walk-around links to it. Entering it again links the new reading; the earlier
one stays in the history, never deleted: if the new figure is lower (a typo
corrected), the history rule asks for a correction reason like any other
lower reading.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from customers.models import OdometerReading, OdometerSource
from customers.services import odometer_record
from reception.models import DamageKind, DamageMark, DamageView, RepairOrder, ROStatus, WalkAround, WalkAroundPhoto

# The car is still at the desk: after this the workshop has it.
EDITABLE_STATES = (ROStatus.DRAFT, ROStatus.OPEN)

CHECK_OK = "ok"
CHECK_FAULT = "fault"
CHECK_STATES = (CHECK_OK, CHECK_FAULT)

# Function checks, in the order the advisor walks them.
CHECKS: list[tuple[str, str]] = [
    ("lights", gettext_lazy("Lights")),
    ("horn", gettext_lazy("Horn")),
    ("wipers", gettext_lazy("Wipers and washers")),
    ("windows", gettext_lazy("Windows")),
    ("air_conditioning", gettext_lazy("Air conditioning")),
    ("audio", gettext_lazy("Audio")),
    ("mirrors", gettext_lazy("Mirrors")),
    ("seat_belts", gettext_lazy("Seat belts")),
    ("warning_lights", gettext_lazy("Dashboard warning lights")),
    ("tyres", gettext_lazy("Tyres")),
    ("spare_tyre", gettext_lazy("Spare tyre and tools")),
]
CHECK_LABELS = dict(CHECKS)

# The drawing's views in their own units (the SVG viewBox); marks are stored in per cent of these.
VIEW_BOXES: dict[str, tuple[int, int]] = {
    DamageView.LEFT: (420, 150),
    DamageView.TOP: (420, 180),
    DamageView.RIGHT: (420, 150),
    DamageView.FRONT: (162, 130),
    DamageView.REAR: (162, 130),
}

FUEL_LABELS = ["E", "1/8", "1/4", "3/8", "1/2", "5/8", "3/4", "7/8", "F"]

# Photos: a tablet camera picture is 2–6 MB; anything bigger is not a photo of a car.
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
PHOTO_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg"}
THUMB_SIZE = (360, 270)
NOT_A_PICTURE = "not_a_picture"  # the code of checked_image's refusal of a file Pillow cannot read as a photo


def is_editable(repair_order: RepairOrder) -> bool:
    return repair_order.status in EDITABLE_STATES


def fuel_label(eighths: int | None) -> str:
    return "" if eighths is None else FUEL_LABELS[eighths]


def thumb_name(image_name: str) -> str:
    """Where a photo's thumbnail is kept, next to nothing else."""
    return f"walkaround/thumbs/{image_name.removeprefix('walkaround/')}.jpg"


# --- reads ----------------------------------------------------------------------------


@dataclass
class PlacedMark:
    number: int
    mark: DamageMark
    cx: float  # in the view's units: absolute positions print everywhere, per cent in SVG does not
    cy: float


@dataclass
class DrawingView:
    code: str
    label: str
    width: int
    height: int
    marks: list[PlacedMark]


@dataclass
class Summary:
    """What the summary shows, computed once from a walk-around."""

    walk_around: WalkAround
    marks: list[DamageMark]
    marks_by_kind: list[tuple[str, str, int]] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    photo_count: int = 0

    @property
    def fuel(self) -> str:
        return fuel_label(self.walk_around.fuel_eighths)

    @property
    def views(self) -> list[DrawingView]:
        """Per view of the drawing: its marks, numbered across the whole car as listed."""
        views = []
        for view in DamageView:
            width, height = VIEW_BOXES[view]
            placed = [
                PlacedMark(n, m, round(float(m.x) * width / 100, 2), round(float(m.y) * height / 100, 2))
                for n, m in enumerate(self.marks, start=1)
                if m.view == view
            ]
            views.append(DrawingView(view.value, view.label, width, height, placed))
        return views

    @property
    def numbered_marks(self) -> list[tuple[int, DamageMark]]:
        return list(enumerate(self.marks, start=1))


def summary_of(walk_around: WalkAround) -> Summary:
    """Uses prefetched marks and photos when the caller prefetched them."""
    marks = list(walk_around.marks.all()) if walk_around.pk else []
    counts = Counter(m.kind for m in marks)
    checks = walk_around.checks or {}
    return Summary(
        walk_around=walk_around,
        marks=marks,
        marks_by_kind=[(kind.value, kind.label, counts[kind.value]) for kind in DamageKind if counts[kind.value]],
        failed_checks=[str(label) for code, label in CHECKS if checks.get(code) == CHECK_FAULT],
        unchecked=[str(label) for code, label in CHECKS if code not in checks],
        photo_count=len(walk_around.photos.all()) if walk_around.pk else 0,
    )


def last_other_reading(walk_around: WalkAround, vehicle_id: int) -> OdometerReading | None:
    """The latest reading on file other than the walk-around's own: what the new figure is checked against."""
    return (
        OdometerReading.objects.filter(vehicle_id=vehicle_id)
        .exclude(pk=walk_around.odometer_id)
        .order_by("-read_on", "-pk")
        .first()
    )


# --- writes ---------------------------------------------------------------------------


def _open_for_change(repair_order: RepairOrder, *, allow_done: bool = False) -> tuple[RepairOrder, WalkAround]:
    """Lock the RO, refuse if the car has moved on, and get or create its walk-around."""
    locked = RepairOrder.objects.select_for_update().select_related("vehicle").get(pk=repair_order.pk)
    if not is_editable(locked):
        raise ValidationError(
            _("The repair order is %(status)s: the walk-around can no longer be changed.")
            % {"status": locked.get_status_display()}
        )
    walk_around, _created = WalkAround.objects.select_for_update().get_or_create(repair_order=locked)
    if walk_around.done_at and not allow_done:
        raise ValidationError(_("The walk-around is marked done: reopen it to change it."))
    return locked, walk_around


@transaction.atomic
def walk_around_odometer(
    *, repair_order: RepairOrder, km: int, correction_reason: str = "", by=None, now: dt.datetime | None = None
) -> WalkAround:
    ro, walk_around = _open_for_change(repair_order)
    if walk_around.odometer_id and walk_around.odometer.km == km:
        return walk_around  # the same figure again: nothing new to record
    reading = odometer_record(
        vehicle=ro.vehicle,
        km=km,
        read_on=timezone.localdate(now or timezone.now()),
        source=OdometerSource.RECEPTION,
        correction_reason=correction_reason,
        by=by,
    )
    walk_around.odometer = reading
    walk_around.save(update_fields=["odometer"])
    return walk_around


@transaction.atomic
def walk_around_fuel(*, repair_order: RepairOrder, eighths: int, by=None) -> WalkAround:
    _ro, walk_around = _open_for_change(repair_order)
    if not 0 <= eighths <= 8:
        raise ValidationError({"fuel_eighths": _("The fuel level is given in eighths, from 0 (empty) to 8 (full).")})
    walk_around.fuel_eighths = eighths
    walk_around.save(update_fields=["fuel_eighths"])
    return walk_around


def _percent(value, name: str) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: _("The position must be a number.")}) from None
    if not Decimal(0) <= number <= Decimal(100):
        raise ValidationError({name: _("The mark must lie on the drawing (0 to 100 %).")})
    return number


@transaction.atomic
def walk_around_mark_add(
    *, repair_order: RepairOrder, view: str, x, y, kind: str, note: str = "", by=None
) -> DamageMark:
    _ro, walk_around = _open_for_change(repair_order)
    mark = DamageMark(
        walk_around=walk_around,
        view=view,
        x=_percent(x, "x"),
        y=_percent(y, "y"),
        kind=kind,
        note=note.strip(),
    )
    mark.full_clean()
    mark.save()
    return mark


@transaction.atomic
def walk_around_mark_remove(*, repair_order: RepairOrder, mark_id: int, by=None) -> None:
    _ro, walk_around = _open_for_change(repair_order)
    deleted, _rows = DamageMark.objects.filter(walk_around=walk_around, pk=mark_id).delete()
    if not deleted:
        raise ValidationError(_("That mark is no longer on the drawing."))


@transaction.atomic
def walk_around_check(*, repair_order: RepairOrder, code: str, state: str, by=None) -> WalkAround:
    _ro, walk_around = _open_for_change(repair_order)
    if code not in CHECK_LABELS:
        raise ValidationError({"checks": _("Unknown function check.")})
    if state not in CHECK_STATES:
        raise ValidationError({"checks": _("A function check is either OK or faulty.")})
    walk_around.checks = {**walk_around.checks, code: state}
    walk_around.save(update_fields=["checks"])
    return walk_around


@transaction.atomic
def walk_around_checks_all_ok(*, repair_order: RepairOrder, by=None) -> WalkAround:
    """Every check not yet answered is OK; a fault already noted stays."""
    _ro, walk_around = _open_for_change(repair_order)
    walk_around.checks = {code: walk_around.checks.get(code, CHECK_OK) for code, _label in CHECKS}
    walk_around.save(update_fields=["checks"])
    return walk_around


@transaction.atomic
def walk_around_belongings(
    *,
    repair_order: RepairOrder,
    valuables: str,
    valuables_reminded: bool,
    protective_kit: bool,
    notes: str = "",
    by=None,
) -> WalkAround:
    _ro, walk_around = _open_for_change(repair_order)
    walk_around.valuables = valuables.strip()
    walk_around.valuables_reminded = valuables_reminded
    walk_around.protective_kit = protective_kit
    walk_around.notes = notes.strip()
    walk_around.full_clean(exclude=["repair_order", "odometer", "done_by"])
    walk_around.save(update_fields=["valuables", "valuables_reminded", "protective_kit", "notes"])
    return walk_around


def checked_image(upload: UploadedFile) -> tuple[str, Image.Image]:
    """Refuse anything that is not a real picture of a sensible size. The one
    rule for every picture a user uploads (walk-around, findings, fault cases,
    complaint bills); the refusal's code tells a caller that also accepts
    other files (a bill may be a PDF) which refusal it was."""
    if upload.size > MAX_PHOTO_BYTES:
        message = _("The photo is %(size)s MB; at most %(max)s MB is accepted.") % {
            "size": f"{upload.size / 1024 / 1024:.1f}",
            "max": MAX_PHOTO_BYTES // 1024 // 1024,
        }
        raise ValidationError({"image": ValidationError(message, code="too_large")})
    not_an_image = ValidationError(
        {
            "image": ValidationError(
                _("This file is not a picture: choose a JPEG, PNG or WebP photo."), code=NOT_A_PICTURE
            )
        }
    )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            probe.verify()  # reads the whole file: a truncated or forged one fails here
        if fmt not in PHOTO_FORMATS:
            raise not_an_image
        upload.seek(0)
        image = Image.open(upload)
        if image.width * image.height > MAX_PHOTO_PIXELS:
            raise ValidationError(
                {"image": ValidationError(_("The picture has too many pixels."), code="too_many_pixels")}
            )
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    upload.seek(0)
    return fmt, image


def stored_name(fmt: str) -> str:
    """A stored file's name: random (uuid4), with the extension of the format
    found in its content (Pillow's for a photo, "PNG" for a drawn signature,
    "PDF" for a bill). Never the client's file name (it may say whose
    car it is or carry path tricks), nor anything guessable such as the
    repair order's number: a leaked media URL must not lead to the next one."""
    return f"{uuid.uuid4().hex}.{PHOTO_EXTENSIONS.get(fmt, fmt.lower())}"


def _thumbnail(image: Image.Image) -> bytes:
    thumb = ImageOps.exif_transpose(image).convert("RGB")
    thumb.thumbnail(THUMB_SIZE)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()


@transaction.atomic
def walk_around_photo_add(
    *, repair_order: RepairOrder, upload: UploadedFile, caption: str = "", by=None
) -> WalkAroundPhoto:
    _ro, walk_around = _open_for_change(repair_order)
    fmt, image = checked_image(upload)
    photo = WalkAroundPhoto(walk_around=walk_around, caption=caption.strip())
    photo.image.save(stored_name(fmt), upload, save=False)
    photo.full_clean()
    photo.save()
    # The files are written before the commit: a rollback leaves an orphan file, never a row without its file.
    default_storage.save(thumb_name(photo.image.name), ContentFile(_thumbnail(image)))
    return photo


@transaction.atomic
def walk_around_photo_remove(*, repair_order: RepairOrder, photo_id: int, by=None) -> None:
    _ro, walk_around = _open_for_change(repair_order)
    photo = WalkAroundPhoto.objects.filter(walk_around=walk_around, pk=photo_id).first()
    if photo is None:
        raise ValidationError(_("That photo is no longer attached."))
    names = [photo.image.name, thumb_name(photo.image.name)]
    photo.delete()

    def remove_files() -> None:
        for name in names:
            if name and default_storage.exists(name):
                default_storage.delete(name)

    transaction.on_commit(remove_files)


@transaction.atomic
def walk_around_done(*, repair_order: RepairOrder, by=None, now: dt.datetime | None = None) -> WalkAround:
    """Confirmed with the customer: the odometer and the fuel level are the least it records."""
    _ro, walk_around = _open_for_change(repair_order)
    no_odometer, no_fuel = walk_around.odometer_id is None, walk_around.fuel_eighths is None
    if no_odometer and no_fuel:
        raise ValidationError(_("Record the odometer reading and the fuel level first."))
    if no_odometer:
        raise ValidationError(_("Record the odometer reading first."))
    if no_fuel:
        raise ValidationError(_("Record the fuel level first."))
    walk_around.done_at = now or timezone.now()
    walk_around.done_by = getattr(by, "staff", None)
    walk_around.save(update_fields=["done_at", "done_by"])
    return walk_around


@transaction.atomic
def walk_around_reopen(*, repair_order: RepairOrder, by=None) -> WalkAround:
    _ro, walk_around = _open_for_change(repair_order, allow_done=True)
    walk_around.done_at = None
    walk_around.done_by = None
    walk_around.save(update_fields=["done_at", "done_by"])
    return walk_around
