"""Dispatch (派工): the jobs of one repair order, each assigned in one tap to
a suggested technician (a second tap picks another bay), and the printable
dispatch sheet (派工单)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.access import role_required
from dealers.models import Bay, Role, StaffMember
from reception.models import EstimateLine, LineKind, RepairOrder
from workshop.dispatch import DISPATCH_STATES, bays_for, job_assign, on_duty, suggest_technicians, technician_loads
from workshop.jobs import consented_line_ids, jobs_sync
from workshop.models import JOB_TRANSITIONS, Job, JobStatus

ACTORS = (Role.DISPATCHER, Role.SERVICE_MANAGER)
SHEET_READERS = (*ACTORS, Role.SERVICE_ADVISOR, Role.TECHNICIAN)


def _order(request: HttpRequest, pk: int) -> RepairOrder:
    orders = RepairOrder.objects.for_station(request.station).select_related("vehicle", "advisor", "customer")
    return get_object_or_404(orders, pk=pk)


def _jobs(order: RepairOrder) -> list[Job]:
    return list(order.jobs.select_related("estimate_line__operation", "technician", "bay").order_by("pk"))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@role_required(*ACTORS)
def dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    if request.method == "POST":
        return _assign(request, order)
    dispatchable = order.status in DISPATCH_STATES
    if dispatchable:
        jobs_sync(order)
    jobs = _jobs(order)
    station = request.station
    on_duty_today = on_duty(station, timezone.localdate())
    loads = technician_loads(station)
    bays = bays_for(station, order.job_type)
    for job in jobs:
        job.suggestions = suggest_technicians(job.required_grade, on_duty_today, loads)
        job.assignable = dispatchable and JobStatus.ASSIGNED in JOB_TRANSITIONS[job.status]
        job.chosen_bay_id = job.bay_id or (bays[0].pk if bays else None)
    context = {
        "order": order,
        "jobs": jobs,
        "bays": bays,
        "dispatchable": dispatchable,
        "unassigned": sum(1 for job in jobs if job.status == JobStatus.WAITING),
    }
    return render(request, "workshop/dispatch.html", context)


def _assign(request: HttpRequest, order: RepairOrder) -> HttpResponse:
    back = redirect(reverse("workshop:dispatch", args=[order.pk]))
    job = get_object_or_404(
        Job.objects.for_station(request.station), pk=_int(request.POST.get("job")), repair_order=order
    )
    technician = StaffMember.objects.filter(dealers=request.station, pk=_int(request.POST.get("technician"))).first()
    bay_id = _int(request.POST.get("bay"))
    bay = Bay.objects.filter(dealer=request.station, pk=bay_id).first() if bay_id else None
    version = _int(request.POST.get("version"))
    if technician is None or version is None or (bay_id and bay is None):
        messages.error(request, _("Choose a technician and a bay of this station."))
        return back
    try:
        job = job_assign(job=job, technician=technician, bay=bay, version=version, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    messages.success(
        request,
        _("%(job)s: assigned to %(name)s.") % {"job": job.estimate_line.description, "name": technician.display_name},
    )
    return back


@role_required(*SHEET_READERS)
def dispatch_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    consented = consented_line_ids(order)
    parts = EstimateLine.objects.filter(repair_order=order, kind=LineKind.PART, pk__in=consented).order_by(
        "position", "pk"
    )
    jobs = _jobs(order)
    context = {
        "order": order,
        "jobs": jobs,
        "parts": list(parts),
        "total_hours": sum((job.flat_rate_hours for job in jobs), 0),
        "printed_at": timezone.now(),
        "inquiry": getattr(order, "inquiry", None),
    }
    return render(request, "workshop/dispatch_sheet.html", context)


urlpatterns = [
    path("orders/<int:pk>/dispatch/", dispatch, name="dispatch"),
    path("orders/<int:pk>/dispatch-sheet/", dispatch_sheet, name="dispatch_sheet"),
]
