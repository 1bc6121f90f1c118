"""The quality check (质检) on the dispatcher's tablet: open the round when
every job is done, pass or fail each item, sign off (the dispatcher only),
then the wash and ready. Each item posts on its own; through htmx the
checklist comes back in place, otherwise the post redirects to the page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.access import role_required, roles_of
from dealers.models import Role
from reception.models import RepairOrder, ROStatus
from workshop import quality as services
from workshop.models import Job, QualityCheck, QualityItem

FILLERS = (Role.DISPATCHER, Role.TECHNICIAN, Role.SERVICE_MANAGER)
VIEWERS = (*FILLERS, Role.SERVICE_ADVISOR)
WASHERS = (Role.DISPATCHER, Role.SERVICE_MANAGER)


class ItemForm(forms.Form):
    result = forms.ChoiceField(choices=[("pass", gettext_lazy("Pass")), ("fail", gettext_lazy("Fail"))])
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
    job = forms.IntegerField(required=False)


class SignOffForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _order_for(request: HttpRequest, pk: int) -> RepairOrder:
    """An RO of the user's stations, 404 otherwise."""
    qs = RepairOrder.objects.visible_to(request).select_related("customer", "vehicle", "advisor")
    return get_object_or_404(qs, pk=pk)


def _context(request: HttpRequest, ro: RepairOrder, **extra) -> dict:
    roles = roles_of(request.user)
    jobs = list(Job.objects.filter(repair_order=ro).select_related("estimate_line", "technician").order_by("pk"))
    check = services.current_round(ro)
    items = list(check.items.all()) if check else []
    is_open_round = bool(check and check.signed_off_at is None and ro.status == ROStatus.QUALITY_CHECK)
    all_done = bool(jobs) and all(job.status == "done" for job in jobs)
    earlier = list(
        QualityCheck.objects.filter(repair_order=ro, signed_off_at__isnull=False)
        .exclude(pk=check.pk if check else None)
        .select_related("signed_off_by")
        .order_by("-round")
    )
    context = {
        "ro": ro,
        "jobs": jobs,
        "check": check,
        "items": items,
        "state": services.round_state(items),
        "earlier": earlier,
        "rework_count": services.rework_count_for_order(ro),
        "is_open_round": is_open_round,
        "can_fill": is_open_round and bool(roles.intersection(FILLERS)),
        "can_sign": is_open_round and Role.DISPATCHER in roles,
        "can_open": ro.status in services.OPENABLE_STATES and all_done and bool(roles.intersection(FILLERS)),
        "waiting_for_jobs": ro.status in services.OPENABLE_STATES and not all_done,
        "can_wash": (
            ro.status == ROStatus.QUALITY_CHECK
            and check is not None
            and check.passed is True
            and bool(roles.intersection(WASHERS))
        ),
        "sign_off_form": SignOffForm(),
        "section_errors": [],
    }
    context.update(extra)
    return context


@role_required(*VIEWERS)
def quality(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    return render(request, "workshop/quality.html", _context(request, ro))


def _back(request: HttpRequest, ro: RepairOrder, errors: list[str] | None = None) -> HttpResponse:
    """htmx: the checklist in place, with any errors; otherwise to the page with messages."""
    if request.htmx:
        return render(request, "workshop/quality.html#checklist", _context(request, ro, section_errors=errors or []))
    for message in errors or []:
        messages.error(request, message)
    return redirect(reverse("workshop:quality", args=[ro.pk]) + "#qc-checklist")


@role_required(*FILLERS)
@require_POST
def quality_open(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        check = services.quality_check_open(repair_order=ro, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Quality check round %(round)s opened.") % {"round": check.round})
    return redirect("workshop:quality", pk=ro.pk)


@role_required(*FILLERS)
@require_POST
def quality_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    item = get_object_or_404(QualityItem, quality_check__repair_order=ro, pk=item_pk)
    form = ItemForm(request.POST)
    if not form.is_valid():
        return _back(request, ro, [_("Choose pass or fail.")])
    job = None
    if form.cleaned_data["job"]:
        job = Job.objects.filter(repair_order=ro, pk=form.cleaned_data["job"]).first()
    try:
        services.quality_item_record(
            item=item,
            passed=form.cleaned_data["result"] == "pass",
            note=form.cleaned_data["note"],
            job=job,
            by=request.user,
        )
    except ValidationError as error:
        return _back(request, ro, error.messages)
    return _back(request, ro)


@role_required(*FILLERS)
@require_POST
def quality_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    check = get_object_or_404(QualityCheck, repair_order=ro, pk=request.POST.get("check") or 0)
    form = SignOffForm(request.POST)
    form.is_valid()
    try:
        check = services.quality_check_sign_off(
            quality_check=check, by=request.user, note=form.cleaned_data.get("note", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if check.passed:
            messages.success(request, _("Quality check passed: the car can go to the wash."))
        else:
            messages.warning(request, _("Quality check failed: the order goes back for rework."))
    return redirect("workshop:quality", pk=ro.pk)


@role_required(*WASHERS)
@require_POST
def quality_washed(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        services.quality_check_washed(repair_order=ro, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Washed: the car is ready for the advisor."))
    return redirect("workshop:quality", pk=ro.pk)


urlpatterns = [
    path("orders/<int:pk>/quality/", quality, name="quality"),
    path("orders/<int:pk>/quality/open/", quality_open, name="quality_open"),
    path("orders/<int:pk>/quality/items/<int:item_pk>/", quality_item, name="quality_item"),
    path("orders/<int:pk>/quality/sign-off/", quality_sign_off, name="quality_sign_off"),
    path("orders/<int:pk>/quality/washed/", quality_washed, name="quality_washed"),
]
