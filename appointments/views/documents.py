"""Printouts of step 1: the four-copy registration form (预约登记表)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from appointments import documents, selectors
from appointments.models import Appointment
from appointments.views.booking import READERS
from dealers.access import role_required


@role_required(*READERS)
def registration_form(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        appointment = selectors.appointment_for_print([s.pk for s in request.stations], pk)
    except Appointment.DoesNotExist:
        raise Http404 from None
    pdf = documents.registration_pdf(appointment, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    # Opens in the browser's viewer, from where it is printed.
    response["Content-Disposition"] = f'inline; filename="registration-{appointment.number}.pdf"'
    return response
