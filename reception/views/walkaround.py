"""The walk-around (环车检查) on the advisor's tablet at the car.

One page; each section (odometer, fuel, damage diagram, function checks,
belongings, photos) posts on its own and, through htmx, gets back only its
own fragment of the page. Without htmx the same posts redirect to the page.
Technicians and the dispatcher may look (the damage found at reception
protects the workshop too) but not change.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.access import role_required, roles_of
from dealers.forms import add_service_errors
from dealers.http import stored_file_response
from dealers.models import Role
from reception import walkaround as services
from reception.models import DamageKind, DamageMark, DamageView, RepairOrder, WalkAround, WalkAroundPhoto

EDITORS = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER)
VIEWERS = (*EDITORS, Role.DISPATCHER, Role.TECHNICIAN)
SECTIONS = ("odometer", "fuel", "damage", "checks", "belongings", "photos")


class OdometerForm(forms.Form):
    km = forms.IntegerField(
        label=gettext_lazy("Odometer (km)"),
        min_value=0,
        max_value=2_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    correction_reason = forms.CharField(
        label=gettext_lazy("Correction reason"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Only for a reading lower than the last one, e.g. instrument cluster replaced."),
    )


class MarkForm(forms.Form):
    view = forms.ChoiceField(choices=DamageView.choices)
    x = forms.DecimalField(max_digits=7, decimal_places=3)
    y = forms.DecimalField(max_digits=7, decimal_places=3)
    kind = forms.ChoiceField(choices=DamageKind.choices)
    note = forms.CharField(max_length=120, required=False)


class BelongingsForm(forms.Form):
    valuables = forms.CharField(
        label=gettext_lazy("Valuables left in the car"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. sunglasses in the glove box; none")}),
    )
    valuables_reminded = forms.BooleanField(label=gettext_lazy("Customer reminded to take valuables"), required=False)
    protective_kit = forms.BooleanField(label=gettext_lazy("Protective kit applied"), required=False)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=gettext_lazy("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    caption = forms.CharField(label=gettext_lazy("Caption"), max_length=120, required=False)


# --- helpers -------------------------------------------------------------------------


def _order_for(request: HttpRequest, pk: int) -> RepairOrder:
    """An RO of the user's stations, 404 otherwise."""
    return get_object_or_404(
        RepairOrder.objects.visible_to(request).select_related("customer", "vehicle", "advisor"), pk=pk
    )


def _walk_around_of(repair_order: RepairOrder) -> WalkAround:
    """The saved walk-around with everything the page shows, or an unsaved blank one."""
    found = (
        WalkAround.objects.filter(repair_order=repair_order)
        .select_related("odometer", "done_by")
        .prefetch_related(Prefetch("marks", DamageMark.objects.order_by("pk")), "photos")
        .first()
    )
    return found or WalkAround(repair_order=repair_order)


def _is_editor(request: HttpRequest) -> bool:
    return bool(roles_of(request.user).intersection(EDITORS))


def _context(request: HttpRequest, ro: RepairOrder, **extra) -> dict:
    walk_around = _walk_around_of(ro)
    editable = services.is_editable(ro)
    editor = _is_editor(request)
    checks = walk_around.checks or {}
    context = {
        "ro": ro,
        "tab": "walkaround",
        "walk_around": walk_around,
        "summary": services.summary_of(walk_around),
        "photos": list(walk_around.photos.all()) if walk_around.pk else [],
        "editable": editable,
        "can_edit": editor and editable and not walk_around.done_at,
        "can_reopen": editor and editable and bool(walk_around.done_at),
        "last_reading": services.last_other_reading(walk_around, ro.vehicle_id),
        "fuel_options": list(enumerate(services.FUEL_LABELS)),
        "check_rows": [(code, label, checks.get(code, "")) for code, label in services.CHECKS],
        "kinds": DamageKind.choices,
        "selected_kind": DamageKind.SCRATCH,
        "max_photo_mb": services.MAX_PHOTO_BYTES // 1024 // 1024,
        "odometer_form": OdometerForm(initial={"km": walk_around.odometer.km if walk_around.odometer_id else None}),
        "belongings_form": BelongingsForm(
            initial={
                "valuables": walk_around.valuables,
                "valuables_reminded": walk_around.valuables_reminded,
                "protective_kit": walk_around.protective_kit,
                "notes": walk_around.notes,
            }
        ),
        "photo_form": PhotoForm(),
    }
    context.update(extra)
    return context


def _respond(request: HttpRequest, ro: RepairOrder, section: str, *, errors: list | None = None, **extra):
    """htmx: the section's fragment, with its errors; otherwise back to the page.
    `errors` is None on success; a list (empty when the form shows them) on failure."""
    failed = errors is not None
    if request.htmx or failed:
        template = "reception/walkaround.html" + (f"#{section}" if request.htmx else "")
        context = _context(request, ro, section=section, section_errors=errors or [], **extra)
        return render(request, template, context)
    return redirect(reverse("reception:walkaround", args=[ro.pk]) + f"#wa-{section}")


def _kind_of(request: HttpRequest) -> str:
    """The kind chosen for the next mark stays chosen across posts."""
    kind = request.POST.get("kind", "")
    return kind if kind in DamageKind.values else DamageKind.SCRATCH


# --- the page -----------------------------------------------------------------------


@role_required(*VIEWERS)
def walkaround(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    return render(request, "reception/walkaround.html", _context(request, ro))


@role_required(*EDITORS)
@require_POST
def odometer(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    form = OdometerForm(request.POST)
    if form.is_valid():
        try:
            services.walk_around_odometer(repair_order=ro, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        # A lower reading: the reason field is what the advisor must fill in now.
        return _respond(request, ro, "odometer", errors=form.non_field_errors(), odometer_form=form)
    return _respond(request, ro, "odometer")


@role_required(*EDITORS)
@require_POST
def fuel(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        eighths = int(request.POST.get("fuel", ""))
        services.walk_around_fuel(repair_order=ro, eighths=eighths, by=request.user)
    except ValueError:
        return _respond(request, ro, "fuel", errors=[_("Choose a fuel level.")])
    except ValidationError as error:
        return _respond(request, ro, "fuel", errors=error.messages)
    return _respond(request, ro, "fuel")


@role_required(*EDITORS)
@require_POST
def mark_add(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    form = MarkForm(request.POST)
    kind = _kind_of(request)
    if not form.is_valid():
        errors = [_("Choose the kind of damage, then tap the drawing where it is.")]
        return _respond(request, ro, "damage", errors=errors, selected_kind=kind)
    try:
        services.walk_around_mark_add(repair_order=ro, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _respond(request, ro, "damage", errors=error.messages, selected_kind=kind)
    return _respond(request, ro, "damage", selected_kind=kind)


@role_required(*EDITORS)
@require_POST
def mark_remove(request: HttpRequest, pk: int, mark_pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    kind = _kind_of(request)
    try:
        services.walk_around_mark_remove(repair_order=ro, mark_id=mark_pk, by=request.user)
    except ValidationError as error:
        return _respond(request, ro, "damage", errors=error.messages, selected_kind=kind)
    return _respond(request, ro, "damage", selected_kind=kind)


@role_required(*EDITORS)
@require_POST
def check(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        if request.POST.get("all_ok"):
            services.walk_around_checks_all_ok(repair_order=ro, by=request.user)
        else:
            services.walk_around_check(
                repair_order=ro, code=request.POST.get("code", ""), state=request.POST.get("state", ""), by=request.user
            )
    except ValidationError as error:
        return _respond(request, ro, "checks", errors=error.messages)
    return _respond(request, ro, "checks")


@role_required(*EDITORS)
@require_POST
def belongings(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    form = BelongingsForm(request.POST)
    if form.is_valid():
        try:
            services.walk_around_belongings(repair_order=ro, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return _respond(request, ro, "belongings", errors=form.non_field_errors(), belongings_form=form)
    return _respond(request, ro, "belongings", saved=True)


@role_required(*EDITORS)
@require_POST
def photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.walk_around_photo_add(
                repair_order=ro,
                upload=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return _respond(request, ro, "photos", errors=form.non_field_errors(), photo_form=form)
    return _respond(request, ro, "photos")


@role_required(*EDITORS)
@require_POST
def photo_remove(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        services.walk_around_photo_remove(repair_order=ro, photo_id=photo_pk, by=request.user)
    except ValidationError as error:
        return _respond(request, ro, "photos", errors=error.messages)
    return _respond(request, ro, "photos")


@role_required(*VIEWERS)
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    """Photos are the customer's car: served to signed-in staff of the station only, never from a public URL."""
    ro = _order_for(request, pk)
    item = get_object_or_404(WalkAroundPhoto, walk_around__repair_order=ro, pk=photo_pk)
    thumb = services.thumb_name(item.image.name)
    variant = thumb if request.GET.get("thumb") and default_storage.exists(thumb) else None
    return stored_file_response(item.image, f"{ro.number}-photo-{item.pk}", variant=variant)


@role_required(*EDITORS)
@require_POST
def done(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        services.walk_around_done(repair_order=ro, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Walk-around done."))
    return redirect("reception:walkaround", pk=ro.pk)


@role_required(*EDITORS)
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    ro = _order_for(request, pk)
    try:
        services.walk_around_reopen(repair_order=ro, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("reception:walkaround", pk=ro.pk)


urlpatterns = [
    path("orders/<int:pk>/walkaround/", walkaround, name="walkaround"),
    path("orders/<int:pk>/walkaround/odometer/", odometer, name="walkaround_odometer"),
    path("orders/<int:pk>/walkaround/fuel/", fuel, name="walkaround_fuel"),
    path("orders/<int:pk>/walkaround/marks/", mark_add, name="walkaround_mark_add"),
    path("orders/<int:pk>/walkaround/marks/<int:mark_pk>/remove/", mark_remove, name="walkaround_mark_remove"),
    path("orders/<int:pk>/walkaround/checks/", check, name="walkaround_check"),
    path("orders/<int:pk>/walkaround/belongings/", belongings, name="walkaround_belongings"),
    path("orders/<int:pk>/walkaround/photos/", photo_add, name="walkaround_photo_add"),
    path("orders/<int:pk>/walkaround/photos/<int:photo_pk>/", photo, name="walkaround_photo"),
    path("orders/<int:pk>/walkaround/photos/<int:photo_pk>/remove/", photo_remove, name="walkaround_photo_remove"),
    path("orders/<int:pk>/walkaround/done/", done, name="walkaround_done"),
    path("orders/<int:pk>/walkaround/reopen/", reopen, name="walkaround_reopen"),
]
