"""Printouts of step 1: the four-copy registration form (预约登记表)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from appointments import documents, selectors
from appointments.models import Appointment
from appointments.views.booking import READERS
from dealers.access import role_required
from dealers.http import pdf_response


@role_required(*READERS)
def registration_form(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        appointment = selectors.appointment_for_print([s.pk for s in request.stations], pk)
    except Appointment.DoesNotExist:
        raise Http404 from None
    pdf = documents.registration_pdf(appointment, base_url=request.build_absolute_uri("/"))
    return pdf_response(pdf, f"registration-{appointment.number}.pdf")
