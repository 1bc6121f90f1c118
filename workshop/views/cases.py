"""The fault case library: search by model and symptom, write up a finished
job, and the case page that prints as the quality information report.

The search also answers the small htmx box (templates/workshop/_case_search.html)
that reception and the technician's pages include: with `box=1` only the
result list comes back."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.access import role_required
from dealers.forms import add_service_errors
from dealers.http import stored_file_response
from dealers.models import Role
from workshop import cases as services
from workshop.models import FaultCase, FaultCasePhoto, Job, JobStatus

READERS = (
    Role.TECHNICIAN,
    Role.DISPATCHER,
    Role.SERVICE_ADVISOR,
    Role.SERVICE_MANAGER,
    Role.SPECIALIST,
)
WRITERS = (Role.TECHNICIAN, Role.DISPATCHER, Role.SERVICE_MANAGER)


class CaseSearchForm(forms.Form):
    model = forms.CharField(required=False, max_length=60)
    symptom = forms.CharField(required=False, max_length=100)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class CaseForm(forms.ModelForm):
    photos = MultipleFileField(label=gettext_lazy("Photos"), required=False)

    class Meta:
        model = FaultCase
        fields = ["make", "model", "model_year", "symptom", "cause", "fix", "parts", "for_warranty"]
        widgets = {
            "symptom": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "fix": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "for_warranty": gettext_lazy(
                "A problem that is new since the model's launch, or frequent with a high risk: "
                "the case prints as the quality information report for the warranty assessor."
            )
        }


@role_required(*READERS)
def cases(request: HttpRequest) -> HttpResponse:
    form = CaseSearchForm(request.GET)
    form.is_valid()
    model, symptom = form.cleaned_data.get("model", ""), form.cleaned_data.get("symptom", "")
    qs = services.case_search(request.station, model=model, symptom=symptom)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("box", None)
    context = {
        "page": page,
        "model": model,
        "symptom": symptom,
        "query": query.urlencode(),
        "searched": bool(model or symptom),
    }
    if request.GET.get("box"):
        return render(request, "workshop/case_list.html#box_results", context)
    if request.htmx:
        return render(request, "workshop/case_list.html#results", context)
    return render(request, "workshop/case_list.html", context)


@role_required(*WRITERS)
def case_new(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        Job.objects.visible_to(request).select_related("repair_order__vehicle", "estimate_line", "technician"), pk=pk
    )
    if job.status != JobStatus.DONE:
        messages.error(request, _("Only a finished job can be written up as a case."))
        return redirect("workshop:quality", pk=job.repair_order_id)
    if request.method == "POST":
        form = CaseForm(request.POST, request.FILES)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in services.CASE_FIELDS}
            try:
                case = services.fault_case_create(job=job, by=request.user, photos=form.cleaned_data["photos"], **data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Case saved to the library."))
                return redirect("workshop:case", pk=case.pk)
    else:
        form = CaseForm(initial=services.case_prefill(job))
    context = {"form": form, "job": job, "ro": job.repair_order, "max_photos": services.MAX_PHOTOS}
    return render(request, "workshop/case_form.html", context)


def _case_for(request: HttpRequest, pk: int) -> FaultCase:
    qs = FaultCase.objects.visible_to(request).select_related(
        "dealer", "created_by", "job__repair_order__vehicle", "job__technician"
    )
    return get_object_or_404(qs, pk=pk)


@role_required(*READERS)
def case(request: HttpRequest, pk: int) -> HttpResponse:
    fault_case = _case_for(request, pk)
    context = {"case": fault_case, "photos": list(fault_case.photos.all())}
    return render(request, "workshop/case_detail.html", context)


@role_required(*READERS)
def case_photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    """Served to signed-in staff of the station only, never from a public URL."""
    fault_case = _case_for(request, pk)
    photo = get_object_or_404(FaultCasePhoto, case=fault_case, pk=photo_pk)
    return stored_file_response(photo.image, f"case-{fault_case.pk}-photo-{photo.pk}")


urlpatterns = [
    path("cases/", cases, name="cases"),
    path("cases/<int:pk>/", case, name="case"),
    path("cases/<int:pk>/photos/<int:photo_pk>/", case_photo, name="case_photo"),
    path("jobs/<int:pk>/case/", case_new, name="case_new"),
]
