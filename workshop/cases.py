"""The fault case library (故障实例集) and the quality information report
(质量信息报告) for the warranty assessor.

A finished job is written up as a case: the vehicle, the symptom as the
customer told it, the cause as found, the fix and the parts. First-time or
difficult repairs become reference and training material; problems that are
new since a model's launch, or frequent and risky, are flagged for the
warranty assessor, and the same page prints as the report.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dealers.models import Dealer
from reception.models import EstimateLine, InquirySheet, LineKind

# One set of rules for what counts as a photo and what it is called in storage: the walk-around's.
from reception.walkaround import checked_image as checked_image
from reception.walkaround import stored_name
from workshop.models import FaultCase, FaultCasePhoto, Job, JobStatus

MAX_PHOTOS = 6
CASE_FIELDS = ("make", "model", "model_year", "symptom", "cause", "fix", "parts", "for_warranty")


def case_prefill(job: Job) -> dict:
    """What the finished job already says: vehicle, symptom, cause, fix, parts."""
    ro = job.repair_order
    vehicle = ro.vehicle
    inquiry = InquirySheet.objects.filter(repair_order=ro).first()
    symptom = (inquiry.symptom if inquiry else "") or ro.purpose
    parts = EstimateLine.objects.filter(repair_order=ro, kind=LineKind.PART).order_by("position", "pk")
    return {
        "make": vehicle.make,
        "model": vehicle.model,
        "model_year": vehicle.model_year,
        "symptom": symptom,
        "cause": job.cause_found or (inquiry.presumed_cause if inquiry else ""),
        "fix": job.work_done or job.estimate_line.description,
        "parts": "、".join(
            f"{line.description}{f' ({line.part_number})' if line.part_number else ''} ×{line.quantity.normalize():f}"
            for line in parts
        )[:300],
        "for_warranty": False,
    }


@transaction.atomic
def fault_case_create(*, job: Job, by, photos: list[UploadedFile] | None = None, **fields) -> FaultCase:
    """Write up a finished job as a case; photos are checked like the
    walk-around's, all of them before anything is written, and stored under
    random names: a case's photo URL must not lead to the next case's."""
    if job.status != JobStatus.DONE:
        raise ValidationError(_("Only a finished job can be written up as a case."), code="job_not_done")
    staff = getattr(by, "staff", None)
    if staff is None:
        raise ValidationError(_("Only staff write up cases."))
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)s photos per case.") % {"n": MAX_PHOTOS}})
    case = FaultCase(dealer_id=job.dealer_id, job=job, created_by=staff)
    for name in CASE_FIELDS:
        value = fields.get(name)
        setattr(case, name, value.strip() if isinstance(value, str) else value)
    case.full_clean()
    formats = [checked_image(upload)[0] for upload in photos]  # every photo refused before anything is written
    case.save()
    for upload, fmt in zip(photos, formats, strict=True):
        photo = FaultCasePhoto(case=case)
        photo.image.save(stored_name(fmt), upload, save=False)
        photo.save()
    return case


def case_search(station: Dealer | None, *, model: str = "", symptom: str = "") -> QuerySet[FaultCase]:
    """Cases of the station by model (or make) and by words of the symptom, cause or fix."""
    qs = FaultCase.objects.for_station(station).select_related("created_by").order_by("-created_at", "-pk")
    model, symptom = model.strip(), symptom.strip()
    if model:
        qs = qs.filter(Q(model__icontains=model) | Q(make__icontains=model))
    for word in symptom.split():
        qs = qs.filter(Q(symptom__icontains=word) | Q(cause__icontains=word) | Q(fix__icontains=word))
    return qs
