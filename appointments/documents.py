"""Printed documents of step 1: the appointment registration form.

WeasyPrint renders the HTML template; the CJK font comes from the system's
fonts (fonts-noto-cjk), named on the template's `html` element so that the
page-margin boxes, which do not inherit from `body`, find it too."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.translation import pgettext_lazy

from appointments.models import Appointment
from dealers.pdf import render_pdf


@dataclass(frozen=True)
class Copy:
    number: int
    name: str
    keeper: str


# 预约登记表一式四联: one copy stays with the customer-service specialist who
# booked; the service manager passes the others to the advisor, the parts
# department and the workshop (SPEC.md 1).
REGISTRATION_COPIES = (
    Copy(1, pgettext_lazy("registration copy", "Customer-service copy"), pgettext_lazy("keeper", "Specialist")),
    Copy(2, pgettext_lazy("registration copy", "Service advisor copy"), pgettext_lazy("keeper", "Service advisor")),
    Copy(3, pgettext_lazy("registration copy", "Parts department copy"), pgettext_lazy("keeper", "Parts department")),
    Copy(4, pgettext_lazy("registration copy", "Workshop copy"), pgettext_lazy("keeper", "Workshop")),
)


def registration_pdf(appointment: Appointment, *, base_url: str | None = None) -> bytes:
    """The four-copy registration form, one A4 page per copy.

    Expects `vehicle.odometer_readings` and `lines` prefetched (see
    selectors.appointment_for_print)."""
    html = render_to_string(
        "appointments/print/registration.html",
        {
            "appointment": appointment,
            "station": appointment.dealer,
            "copies": REGISTRATION_COPIES,
            "last_reading": appointment.vehicle.last_reading,
        },
    )
    return render_pdf(html, base_url=base_url)
