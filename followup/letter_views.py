"""The letters page: queued letters of the station, printed as one PDF batch
by the specialist or the service manager (followup.messaging.letters)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.access import role_required
from dealers.http import pdf_response
from dealers.models import Role
from followup.messaging import letters as service
from followup.models import MessageStatus

PRINTERS = (Role.SPECIALIST, Role.SERVICE_MANAGER)


class LetterFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *MessageStatus.choices],
    )
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, phone or address")}),
    )


@role_required(*PRINTERS)
def letters(request: HttpRequest) -> HttpResponse:
    """Letters waiting to be printed first; sent and failed ones by filter."""
    station = request.station
    form = LetterFilterForm(request.GET or {"status": MessageStatus.QUEUED})
    qs = service.letters_of(station)
    filtered = False
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if q := form.cleaned_data["q"].strip():
            qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__phone__icontains=q) | Q(to__icontains=q))
        filtered = bool(q) or form.cleaned_data["status"] != MessageStatus.QUEUED
    page = Paginator(qs.select_related("customer", "task").order_by("-created_at", "-pk"), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    batches = service.recent_batches(station)
    for batch in batches:
        batch["printed_at"] = service.batch_time(batch["provider_id"])
    context = {
        "form": form,
        "page": page,
        "filtered": filtered,
        "queued": service.queued_letters(station).count(),
        "batches": batches,
    }
    return render(request, "followup/letters.html", context)


@role_required(*PRINTERS)
def letters_preview(request: HttpRequest) -> HttpResponse:
    """The queued letters as they will print; marks nothing."""
    queued = service.for_print(service.queued_letters(request.station))
    if not queued:
        messages.info(request, _("No letters are waiting to be printed."))
        return redirect("followup:letters")
    pdf = service.letters_pdf(
        queued, station=request.station, printed_at=timezone.now(), base_url=request.build_absolute_uri("/")
    )
    return pdf_response(pdf, f"letters-{request.station.code}-preview.pdf")


@role_required(*PRINTERS)
@require_POST
def letters_print(request: HttpRequest) -> HttpResponse:
    """Print the batch: marks the letters sent, then shows the batch's PDF."""
    try:
        batch = service.letters_print(station=request.station, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("followup:letters")
    if batch is None:
        messages.warning(request, _("The waiting letters are no longer needed: their contacts were closed."))
        return redirect("followup:letters")
    return redirect("followup:letters_batch", batch=batch)


@role_required(*PRINTERS)
def letters_batch(request: HttpRequest, batch: str) -> HttpResponse:
    """A printed batch's PDF, again: for the printer that jammed."""
    printed = service.for_print(service.batch_letters(request.station, batch))
    printed_at = service.batch_time(batch)
    if not printed or printed_at is None:
        raise Http404(_("No such batch of letters."))
    pdf = service.letters_pdf(
        printed, station=request.station, printed_at=printed_at, base_url=request.build_absolute_uri("/")
    )
    return pdf_response(pdf, f"letters-{request.station.code}-{batch}.pdf")
