"""The four-copy registration form (预约登记表 一式四联), rendered by the real
WeasyPrint and read back as text, as a person holding the printout would."""

import shutil
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from appointments import services
from appointments.documents import REGISTRATION_COPIES
from dealers.models import JobType
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import OdometerReadingFactory, VehicleFactory

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed to read the PDF back"
)


def printed(text) -> str:
    """A label as the page language (Chinese by default) prints it, without
    spaces, since a label may wrap inside its box."""
    with translation.override(settings.LANGUAGE_CODE):
        return "".join(str(text).split())


def pdf_text(pdf: bytes, *, layout: bool = True) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(args, input=pdf, capture_output=True, check=True)
    return out.stdout.decode().rstrip("\f").split("\f")


@pytest.fixture
def appointment(workshop, advisor, oil_change, car):
    OdometerReadingFactory(vehicle=car, km=48_500)
    return services.appointment_book(
        dealer=workshop,
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=at(MONDAY, 9),
        request="发动机有异响，冷车明显",
        operations=[oil_change],
        substitute_car=True,
        now=NOW,
    )


def test_the_form_prints_four_pages_each_naming_its_copy(appointment, specialist, login):
    response = login(specialist).get(reverse("appointments:registration_form", args=[appointment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    # Without -layout: the copy name's box may wrap, the words stay together.
    pages = pdf_text(response.content, layout=False)
    assert len(pages) == 4
    names = [printed(copy.name) for copy in REGISTRATION_COPIES]
    for page, copy_name in zip(["".join(p.split()) for p in pages], names, strict=True):
        assert copy_name in page
        assert printed(gettext_lazy("Appointment registration form")) in page
        assert appointment.number in page
        assert appointment.vehicle.plate in page


def test_each_copy_carries_what_the_departments_need(appointment, specialist, login):
    page = pdf_text(login(specialist).get(reverse("appointments:registration_form", args=[appointment.pk])).content)[2]
    for expected in (
        "张伟",  # the customer
        appointment.customer.phone,
        appointment.vehicle.vin,
        "帕萨特",
        "48500 km",  # odometer last known
        "2026-11-30",  # agreed arrival day
        "09:00",
        "更换机油机滤",  # the service line
        "发动机有异响",  # the request in the customer's words
        "行驶证",  # what to bring
        "advisor",  # the named advisor (display name of the fixture)
        "北京朝阳服务站",
    ):
        assert expected in page, expected


def test_another_stations_staff_cannot_print_it(appointment, other_advisor, login):
    response = login(other_advisor).get(reverse("appointments:registration_form", args=[appointment.pk]))
    assert response.status_code == 404


def test_the_detail_page_links_the_printout(appointment, specialist, login):
    body = login(specialist).get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert reverse("appointments:registration_form", args=[appointment.pk]) in body


def test_a_vehicle_without_plate_or_vin_still_prints(workshop, advisor, oil_change, specialist, login):
    car = VehicleFactory(owner__dealer=workshop, plate="", vin="")
    appointment = services.appointment_book(
        dealer=workshop,
        customer=car.owner,
        vehicle=car,
        advisor=advisor,
        job_type=JobType.MAINTENANCE,
        arrives_at=at(MONDAY, 10),
        request="保养",
        operations=[oil_change],
        now=NOW,
    )
    pages = pdf_text(login(specialist).get(reverse("appointments:registration_form", args=[appointment.pk])).content)
    assert len(pages) == 4
