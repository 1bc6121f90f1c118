"""Workshop views: the technician's jobs on a phone or tablet, the job page
with its clock history and finish form, and the clock actions.

A technician sees only their own jobs (another one's answers 404); the
dispatcher and the service manager open any job of the station, and the
dispatcher may clock on a technician's behalf (workshop.clock decides).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.access import role_required, roles_of
from dealers.forms import add_service_errors
from dealers.models import Role, StaffMember
from reception.models import EstimateLine, LineKind, PartsIssueLine, PartsIssueNotice
from workshop import clock
from workshop.models import ClockKind, Job, JobStatus, PauseReason

VIEWERS = (Role.TECHNICIAN, Role.DISPATCHER, Role.SERVICE_MANAGER)
SEE_ALL = frozenset({Role.DISPATCHER, Role.SERVICE_MANAGER})
OPEN_STATES = (JobStatus.IN_PROGRESS, JobStatus.PAUSED, JobStatus.ASSIGNED)
ACTIONS = {"start": clock.job_start, "pause": clock.job_pause, "resume": clock.job_resume}


class FinishForm(forms.Form):
    # Required-ness is the service's rule (workshop.clock.job_finish), with its own messages.
    cause_found = forms.CharField(
        label=gettext_lazy("Cause as found"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    work_done = forms.CharField(
        label=gettext_lazy("Work done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    result = forms.CharField(label=gettext_lazy("Result"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- reads ------------------------------------------------------------------------------


def _with_everything(jobs: QuerySet) -> QuerySet:
    """Everything a job card shows, in a fixed number of queries."""
    notices = PartsIssueNotice.objects.order_by("created_at", "pk").prefetch_related(
        Prefetch("lines", PartsIssueLine.objects.select_related("estimate_line", "part").order_by("pk"))
    )
    return jobs.select_related(
        "repair_order__vehicle",
        "repair_order__inquiry",
        "repair_order__walk_around",
        "repair_order__advisor",
        "estimate_line__operation",
        "technician",
        "bay",
    ).prefetch_related(
        "clock",
        Prefetch(
            "repair_order__lines",
            EstimateLine.objects.filter(kind=LineKind.PART).order_by("position", "pk"),
            to_attr="part_lines",
        ),
        Prefetch("repair_order__issue_notices", notices, to_attr="notices"),
    )


def _decorate(job: Job, now: dt.datetime) -> Job:
    """Clocked hours and, per part line of the RO, its issue-notice line."""
    job.clocked = clock.clocked_hours(job, now)
    job.over_time = job.clocked > job.flat_rate_hours
    issued = {
        line.estimate_line_id: (notice, line) for notice in job.repair_order.notices for line in notice.lines.all()
    }
    job.parts = [(line, *issued.get(line.pk, (None, None))) for line in job.repair_order.part_lines]
    job.last_pause = next(
        (e for e in sorted(job.clock.all(), key=lambda e: (e.at, e.pk), reverse=True) if e.kind == ClockKind.PAUSE),
        None,
    )
    return job


def _staff(request: HttpRequest) -> StaffMember | None:
    return getattr(request.user, "staff", None)


def _jobs_for(request: HttpRequest) -> QuerySet:
    """The station's jobs this user may open: their own, or all for the dispatcher and manager."""
    jobs = Job.objects.for_station(request.station)
    if roles_of(request.user) & SEE_ALL:
        return jobs
    staff = _staff(request)
    return jobs.filter(technician=staff) if staff else jobs.none()


def _may_clock(request: HttpRequest, job: Job) -> bool:
    staff = _staff(request)
    return bool(staff) and (job.technician_id == staff.pk or Role.DISPATCHER in roles_of(request.user))


def _url_or_none(name: str, pk: int) -> str | None:
    """Links to pages another part of the workshop provides, once it does."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


# --- pages --------------------------------------------------------------------------------


@role_required(Role.TECHNICIAN)
def my_jobs(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    staff = _staff(request)
    q = request.GET.get("q", "").strip()
    mine = Job.objects.for_station(request.station).filter(technician=staff)
    if q:
        mine = mine.filter(
            Q(repair_order__number__icontains=q)
            | Q(repair_order__vehicle__plate__icontains=q.replace(" ", "").upper())
            | Q(estimate_line__description__icontains=q)
        )
    order = Case(*(When(status=s, then=Value(i)) for i, s in enumerate(OPEN_STATES)), output_field=IntegerField())
    open_jobs = _with_everything(mine.filter(status__in=OPEN_STATES)).order_by(order, "repair_order__promised_at", "pk")
    page = Paginator(open_jobs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    start, end = clock._day_bounds(today)
    done = _with_everything(mine.filter(status=JobStatus.DONE, finished_at__gte=start, finished_at__lt=end)).order_by(
        "-finished_at"
    )
    context = {
        "page": page,
        "jobs": [_decorate(job, now) for job in page.object_list],
        "done": [_decorate(job, now) for job in done],
        "q": q,
        "today_hours": clock.clocked_hours_of(staff, today, now),
        "reasons": PauseReason.choices,
        "may_clock": True,
    }
    return render(request, "workshop/my_jobs.html", context)


def _job_context(request: HttpRequest, job: Job, form: FinishForm | None = None) -> dict:
    now = timezone.now()
    _decorate(job, now)
    history = sorted(job.clock.all(), key=lambda e: (e.at, e.pk))
    return {
        "job": job,
        "ro": job.repair_order,
        "history": history,
        "spans": clock.intervals(history, now),
        "form": form or FinishForm(),
        "reasons": PauseReason.choices,
        "may_clock": _may_clock(request, job),
        "case_new_url": _url_or_none("workshop:case_new", job.pk),
        "finding_new_url": _url_or_none("workshop:finding_new", job.repair_order_id),
        "back_url": reverse("workshop:my_jobs") if _staff(request) and job.technician_id == _staff(request).pk else "",
    }


@role_required(*VIEWERS)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_with_everything(_jobs_for(request)).select_related("estimate_line"), pk=pk)
    return render(request, "workshop/job.html", _job_context(request, job))


def _clock_target(request: HttpRequest, job: Job) -> str:
    if request.POST.get("back") == "list":
        return reverse("workshop:my_jobs")
    return reverse("workshop:job", args=[job.pk])


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@role_required(Role.TECHNICIAN, Role.DISPATCHER)
@require_POST
def job_clock(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    job = get_object_or_404(_jobs_for(request).select_related("repair_order", "estimate_line"), pk=pk)
    extra = {"reason": request.POST.get("reason", "")} if action == "pause" else {}
    try:
        ACTIONS[action](job=job, by=_staff(request), expected_version=_version(request), **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = {
            "start": _("Started %(job)s on %(number)s."),
            "pause": _("Paused %(job)s on %(number)s."),
            "resume": _("Resumed %(job)s on %(number)s."),
        }[action]
        messages.success(request, done % {"job": job.estimate_line.description, "number": job.repair_order.number})
    return redirect(_clock_target(request, job))


@role_required(Role.TECHNICIAN, Role.DISPATCHER)
@require_POST
def job_finish(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    form = FinishForm(request.POST)
    form.is_valid()
    try:
        clock.job_finish(job=job, by=_staff(request), expected_version=_version(request), **form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        fresh = get_object_or_404(_with_everything(_jobs_for(request)), pk=pk)
        return render(request, "workshop/job.html", _job_context(request, fresh, form), status=422)
    messages.success(
        request,
        _("Finished %(job)s on %(number)s.")
        % {"job": job.estimate_line.description, "number": job.repair_order.number},
    )
    if job.technician_id == getattr(_staff(request), "pk", None):
        return redirect("workshop:my_jobs")
    return redirect("workshop:job", job.pk)


urlpatterns = [
    path("my-jobs/", my_jobs, name="my_jobs"),
    path("jobs/<int:pk>/", job_detail, name="job"),
    path("jobs/<int:pk>/clock/<slug:action>/", job_clock, name="job_clock"),
    path("jobs/<int:pk>/finish/", job_finish, name="job_finish"),
]
