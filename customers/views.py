from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers import selectors, services
from customers.forms import CustomerForm, OdometerForm, TransferForm, VehicleForm
from customers.models import Customer, OdometerReading, Ownership, Vehicle
from dealers.access import FILE_EDITOR_ROLES, FRONT_DESK_ROLES, role_required
from dealers.forms import add_service_errors


def _customer_for(request: HttpRequest, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.visible_to(request), pk=pk)


def _vehicle_for(request: HttpRequest, pk: int) -> Vehicle:
    return get_object_or_404(Vehicle.objects.visible_to(request).select_related("owner", "dealer"), pk=pk)


@role_required(*FRONT_DESK_ROLES)
def lookup(request: HttpRequest) -> HttpResponse:
    """The front desk: one search box for plate, phone, VIN (or its tail) and name."""
    q = request.GET.get("q", "").strip()
    too_short = 0 < len(q) < settings.LOOKUP_MIN_CHARS
    results = selectors.customer_lookup(station=request.station, q=q) if q and not too_short else None
    if results is None and not q:
        results = selectors.customers_with_vehicles(Customer.objects.for_station(request.station))
    page = Paginator(results, settings.PAGE_SIZE).get_page(request.GET.get("page")) if results is not None else None
    template = "customers/lookup.html"
    if request.htmx and request.htmx.target == "lookup-results":
        template += "#results"
    return render(
        request, template, {"q": q, "too_short": too_short, "page": page, "min_chars": settings.LOOKUP_MIN_CHARS}
    )


@role_required(*FRONT_DESK_ROLES)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The access check and the file in one fetch: the customers the user may see, prefetched.
    customer = get_object_or_404(selectors.customer_file_queryset(Customer.objects.visible_to(request)), pk=pk)
    return render(request, "customers/customer_detail.html", {"customer": customer})


@role_required(*FILE_EDITOR_ROLES)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(
        request.POST or None, initial={"phone": request.GET.get("phone", ""), "name": request.GET.get("name", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(dealer=request.station, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form})


@role_required(*FILE_EDITOR_ROLES)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_for(request, pk)
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@role_required(*FRONT_DESK_ROLES)
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_object_or_404(
        Vehicle.objects.visible_to(request)
        .select_related("owner", "dealer")
        .prefetch_related(
            # The page names who recorded each reading by their staff name.
            Prefetch("odometer_readings", queryset=OdometerReading.objects.select_related("recorded_by__staff")),
            Prefetch("ownerships", queryset=Ownership.objects.select_related("customer")),
        ),
        pk=pk,
    )
    return render(request, "customers/vehicle_detail.html", {"vehicle": vehicle, "odometer_form": OdometerForm()})


@role_required(*FILE_EDITOR_ROLES)
def vehicle_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    owner = _customer_for(request, customer_pk)
    form = VehicleForm(request.POST or None, dealer=owner.dealer)
    if request.method == "POST" and form.is_valid():
        try:
            vehicle = services.vehicle_register(owner=owner, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Vehicle %(vehicle)s added.") % {"vehicle": vehicle})
            return redirect("customers:detail", pk=owner.pk)
    return render(request, "customers/vehicle_form.html", {"form": form, "customer": owner})


@role_required(*FILE_EDITOR_ROLES)
def vehicle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle_for(request, pk)
    form = VehicleForm(request.POST or None, instance=vehicle)
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_update(vehicle=vehicle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:vehicle", pk=vehicle.pk)
    return render(request, "customers/vehicle_form.html", {"form": form, "vehicle": vehicle, "customer": vehicle.owner})


@role_required(*FRONT_DESK_ROLES)
def odometer_add(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle_for(request, pk)
    form = OdometerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.odometer_record(vehicle=vehicle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Odometer reading recorded."))
            return redirect("customers:vehicle", pk=vehicle.pk)
    return render(request, "customers/odometer_form.html", {"form": form, "vehicle": vehicle})


@role_required(*FILE_EDITOR_ROLES)
def vehicle_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle_for(request, pk)
    form = TransferForm(request.POST or None, station=vehicle.dealer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.vehicle_transfer(
                vehicle=vehicle, new_owner=data["new_owner"], on=data["on"], note=data["note"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Vehicle transferred to %(name)s.") % {"name": data["new_owner"].name})
            return redirect("customers:vehicle", pk=vehicle.pk)
    return render(request, "customers/transfer_form.html", {"form": form, "vehicle": vehicle})
